"""Lessons: ready-made stories through the app for lectures, live demos and self-study (docs/lessons.md)."""
import streamlit as st

from seqviz.lessons.handout import handout_html
from seqviz.lessons.format import Lesson, LessonError
from seqviz.lessons.library import LESSONS_ENV, MAX_LESSON_BYTES, read_lesson
from seqviz.ui.lessons import LESSON, PRESENT, STEP, library, quiet_run, uploaded
from seqviz.ui.page_params import page_controls
from seqviz.ui.sidebar import shared_settings

TITLE = "Lessons"
ICON = ":material/school:"
SUMMARY = ("Ready-made lessons through the app for a lecture, a live demo or self-study, step by step, with a "
           "presenter mode and a handout; write your own as a Markdown file.")
ORDER = 90
CHARTS = False  # a list of lessons: no chart for the chart tests to wait for


def start(name: str, present: bool) -> None:
    """Put the lesson's first step in the URL: app.py's next run applies it and opens its page."""
    st.query_params.from_dict({LESSON: name, STEP: "1", **({PRESENT: "1"} if present else {})})


def lesson_card(lesson: Lesson, uploaded_here: bool) -> None:
    """A lesson's title, audience, length and what it shows; start buttons and the handout."""
    with st.container(border=True):
        st.markdown(f"#### {lesson.title}" + (" (uploaded, this session only)" if uploaded_here else ""))
        st.caption(f"For {lesson.audience} · about {lesson.minutes} minutes · {len(lesson.steps)} steps")
        st.markdown(f"**Shows** {lesson.shows}")
        go, present, handout = st.columns(3)
        go.button("Start", icon=":material/play_arrow:", key=f"lesson_start_{lesson.name}", on_click=start,
                  args=(lesson.name, False), type="primary")
        present.button("Present", icon=":material/co_present:", key=f"lesson_present_{lesson.name}",
                       on_click=start, args=(lesson.name, True), help="Start in presenter mode, for a projector.")
        seed = shared_settings().seed  # read now: the download's function runs outside the page run
        handout.download_button("Handout", lambda: handout_html(lesson, quiet_run, seed=seed),
                                file_name=f"seqviz-{lesson.name}.html", mime="text/html", icon=":material/download:",
                                key=f"lesson_handout_{lesson.name}", on_click="ignore",
                                help="Download this lesson as one self-contained HTML file: the narrative, equations "
                                     "and interactive charts.")
        st.markdown("\n".join(f"{k}. {step.title}" for k, step in enumerate(lesson.steps, start=1)))


def upload_lesson() -> None:
    """A teacher's lesson file for this session only, checked; its problems listed by line."""
    file = st.file_uploader("Try your own lesson (a .md file, for this session only)", type=["md"],
                            key="lesson_upload", max_upload_size=1)
    if file is None:
        return
    name = file.name.rsplit(".", 1)[0].lower()
    try:
        lesson = read_lesson(file.getvalue()[:MAX_LESSON_BYTES + 1], name, page_controls(), file.name)
    except LessonError as error:
        show_problems(error)
        return
    uploaded()[lesson.name] = lesson
    st.success(f"“{lesson.title}” is ready below ({len(lesson.steps)} steps), for this session.")


def show_problems(error: LessonError) -> None:
    st.error(f"**{error.source}** cannot be played:\n\n" + "\n".join(f"- {p}" for p in error.problems))


st.title(TITLE)
st.markdown("Each lesson is a sequence of steps: a short text next to a live page at the step's settings, "
            "sometimes a question to answer before you reveal it, and things to try. The controls stay live; "
            "**Reset** brings the step's settings back. Use **←** and **→** (or **Back** and **Next**) to move "
            "between steps; a copied link opens the same step. **Present** (presenter mode) hides the sidebar, "
            "enlarges the type and shows only the step's controls, for a projector.")
found = library()
upload_lesson()
for lesson in uploaded().values():
    lesson_card(lesson, uploaded_here=True)
for lesson in found.lessons.values():
    if lesson.name not in uploaded():
        lesson_card(lesson, uploaded_here=False)
for error in found.broken:
    show_problems(error)
st.caption(f"Write your own: a Markdown file in a folder named by the environment variable {LESSONS_ENV} (the "
           "format: docs/lessons.md in seqviz's repository), or upload one above for this session.")
