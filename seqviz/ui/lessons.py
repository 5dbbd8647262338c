"""Playing a lesson on top of any page: the step's settings applied, its narrative and the step bar drawn.

A lesson is active while the URL holds `lesson=<name>&step=<k>` (and `present=1` in presenter mode), so a
link opens that step and Back/Forward move between steps. app.py calls `start_step` before its URL batch:
where the URL's step is not the one this session last applied, it forgets the step page's remembered
control values, puts the step's settings in the URL and, if the step shows another page, switches to it;
the page's URL-bound widgets then read the step's values like any link's (seqviz.ui.state), and ignore a
value they do not take with the same toast. Inside the batch, `lesson_panel` draws the step: in the
sidebar, or above the page in presenter mode, which also hides the sidebar, the page's heading and the
page's controls the step does not set, and enlarges the type.
The controls stay live; "Reset this step" applies the step's settings again.
"""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from seqviz.lessons.facts import fill_facts
from seqviz.lessons.format import Lesson, LessonError, Step
from seqviz.lessons.library import LessonLibrary, load_lessons
from seqviz.ui.cache import cached_data
from seqviz.ui.page_params import page_controls
from seqviz.ui.registry import discover_pages
from seqviz.ui.sidebar import SHARED_KEYS, shared_settings
from seqviz.ui.state import url_keep

LESSON, STEP, PRESENT = "lesson", "step", "present"  # the URL's query keys
_APPLIED = "_lesson_applied"  # (lesson name, step index) whose settings this session last applied
_UPLOADS = "_lesson_uploads"  # name → Lesson uploaded in this session (never shared)
_REVEALED = "_lesson_revealed"  # {(lesson name, step index)} whose answer was revealed
PRESENTER_CSS = """
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
[data-testid="stHeader"] { display: none !important; }
.stMainBlockContainer { max-width: 100% !important; padding: 0.75rem 1.5rem !important; }
[data-testid="stMarkdown"] p, [data-testid="stMarkdown"] li, [data-testid="stWidgetLabel"] p,
[data-testid="stAlert"] p { font-size: 1.3rem !important; }
.stMain h1 { display: none; } .stMainBlockContainer h3 { font-size: 1.7rem !important; }
"""
# A Streamlit widget (it has a label) of the page that the step does not set; keyed widgets carry st-key-<key>.
UNUSED_CONTROL = '.stMain [class*="st-key-"]:has([data-testid="stWidgetLabel"]):not([class*="st-key-lesson_"]){kept}'
# An expander of the page holding none of the step's controls (its widgets would be hidden anyway).
UNUSED_EXPANDER = '.stMain [data-testid="stExpander"]:not(.st-key-lesson_panel *):not(:has({holds}))'
# The page's header, folded away with its unused controls so the first chart starts higher on a projector: the
# caption right under its (hidden) title, and its display equations (st.latex), but not the step's own text.
PAGE_HEADER = """
.stMain [data-testid="stElementContainer"]:has(h1) + [data-testid="stElementContainer"]:has([data-testid="stCaptionContainer"]),
.stMain [data-testid="stElementContainer"]:has(> [data-testid="stMarkdown"] .katex-display):not(.st-key-lesson_panel *)
{ display: none !important; }
"""



@dataclass(frozen=True)
class ActiveStep:
    lesson: Lesson
    index: int  # 0-based; the URL says index + 1
    present: bool

    @property
    def step(self) -> Step:
        return self.lesson.steps[self.index]


def library() -> LessonLibrary:
    """The shipped and the teacher's lessons (files read again each call: a teacher's edit shows at once)."""
    return load_lessons(page_controls())


def uploaded() -> dict[str, Lesson]:
    """This session's uploaded lessons (name → Lesson)."""
    return st.session_state.setdefault(_UPLOADS, {})


def find_lesson(name: str) -> Lesson | LessonError | None:
    """The lesson called `name` (an upload of this session first), its file's errors, or None."""
    if name in uploaded():
        return uploaded()[name]
    found = library()
    if name in found.lessons:
        return found.lessons[name]
    return next((error for error in found.broken if error.source.endswith(f"{name}.md")), None)


def start_step(pages: list, url_path: str) -> ActiveStep | None:
    """Before app.py's URL batch: the lesson step the URL asks for, its settings applied if they are not yet
    (switching to its page where it shows another). None without a playable lesson in the URL."""
    name = st.query_params.get(LESSON)
    if not name:
        st.session_state.pop(_APPLIED, None)
        return None
    lesson = find_lesson(name)
    if not isinstance(lesson, Lesson):
        _say_unplayable(name, lesson)
        return None
    active = ActiveStep(lesson, _step_index(lesson), st.query_params.get(PRESENT) == "1")
    if st.session_state.get(_APPLIED) != (name, active.index):
        _apply(active, pages, url_path)
    return active


def _say_unplayable(name: str, error: LessonError | None) -> None:
    """A toast for an unknown lesson; a broken one's problems, with their lines, in the sidebar."""
    if error is None:
        st.toast(f"There is no lesson {name[:40]!r}: see the Lessons page.", icon=":material/link_off:")
    else:
        st.sidebar.error(f"Lesson {name!r} cannot be played:\n\n" + "\n".join(f"- {p}" for p in error.problems))


def _step_index(lesson: Lesson) -> int:
    """The URL's step (1 … n) as an index; a step the lesson lacks opens the first, with a toast."""
    raw = st.query_params.get(STEP, "1")
    if raw.isdigit() and 1 <= int(raw) <= len(lesson.steps):
        return int(raw) - 1
    st.toast(f"Lesson {lesson.name!r} has steps 1–{len(lesson.steps)}, not {raw[:20]!r}: showing step 1.",
             icon=":material/link_off:")
    return 0


def step_query(active: ActiveStep) -> dict[str, str]:
    """The URL of a step: the shared settings kept, the step's settings, the lesson's own keys."""
    shared = {k: v for k in SHARED_KEYS if (v := st.query_params.get(k)) is not None}
    own = {LESSON: active.lesson.name, STEP: str(active.index + 1)}
    return {**shared, **dict(active.step.settings), **own, **({PRESENT: "1"} if active.present else {})}


def _apply(active: ActiveStep, pages: list, url_path: str) -> None:
    """Forget the step page's remembered control values and open its URL with the step's settings."""
    step = active.step
    for key in page_controls().get(step.page, {}):
        if key not in SHARED_KEYS or key in dict(step.settings):
            st.session_state.pop(key, None)
    wanted = step_query(active)
    st.session_state[_APPLIED] = (active.lesson.name, active.index)
    if url_path != step.page:
        st.switch_page(next(p for p in pages if p.url_path == step.page), query_params=wanted)
    st.query_params.from_dict(wanted)


def lesson_panel(active: ActiveStep | None) -> None:
    """Inside app.py's URL batch: keep the lesson's keys in the URL and draw the step (see module docstring)."""
    if active is None:
        return
    url_keep(LESSON, active.lesson.name)
    url_keep(STEP, str(active.index + 1))
    url_keep(PRESENT, "1" if active.present else None)
    if not active.present:
        with st.sidebar:
            step_bar(active)
            narrative(active)
        return
    with st.container(border=True, key="lesson_panel"):
        text, bar = st.columns([2, 1])
        with bar:
            step_bar(active)
            everything = st.toggle("Show every control", key="lesson_all_controls",
                                   help="Presenter mode hides the page's controls this step does not set, and its "
                                        "header's caption and equations.")
        with text:
            narrative(active)
    st.html(f"<style>{presenter_css(active.step, everything)}</style>")


def presenter_css(step: Step, every_control: bool) -> str:
    """Presenter mode's style: no sidebar, larger type and, unless `every_control`, the page's widgets that
    the step does not set hidden, with the expanders that hold none of them, the caption under the page's
    title and its display equations (the charts, drawn by their own components, stay)."""
    if every_control:
        return PRESENTER_CSS
    kept = "".join(f':not([class*="st-key-{key}"])' for key, _ in step.settings)
    holds = ", ".join(f'[class*="st-key-{key}"]' for key, _ in step.settings) or "#none"
    return (PRESENTER_CSS + PAGE_HEADER + UNUSED_CONTROL.format(kept=kept) + ", "
            + UNUSED_EXPANDER.format(holds=holds) + " { display: none !important; }")


def step_bar(active: ActiveStep) -> None:
    """"Step k of n", back / next (← / → keys), reset, presenter mode and leave."""
    n, k = len(active.lesson.steps), active.index
    st.caption(f"**{active.lesson.title}** · Step {k + 1} of {n} · {page_title(active.step.page)}")
    (back, forward), (reset, present), leave = st.columns(2), st.columns(2), st.container()
    back.button("Back", icon=":material/arrow_back:", shortcut="Left", disabled=k == 0, key="lesson_prev",
                on_click=_go_to, args=(k - 1,), width="stretch", help="The previous step (← key)")
    forward.button("Next", icon=":material/arrow_forward:", shortcut="Right", disabled=k == n - 1, key="lesson_next",
                   on_click=_go_to, args=(k + 1,), width="stretch", help="The next step (→ key)")
    reset.button("Reset", icon=":material/restart_alt:", key="lesson_reset", on_click=_reset, width="stretch",
                 help="Reset this step: its own settings again, after you changed the controls.")
    present.button("Present", icon=":material/co_present:", key="lesson_present", on_click=_toggle_present,
                   width="stretch", type="primary" if active.present else "secondary",
                   help="Presenter mode, for a projector: no sidebar, larger type, the step above the page and only "
                        "its controls (click again to leave it).")
    leave.button("Leave the lesson", icon=":material/close:", key="lesson_leave", on_click=_leave, width="stretch")


def page_title(url_path: str) -> str:
    """The title of the page at `url_path` (presenter mode hides the page's own heading)."""
    return next((p.title for p in discover_pages() if p.url_path == url_path), url_path)


def _go_to(index: int) -> None:
    st.query_params[STEP] = str(index + 1)


def _reset() -> None:
    st.session_state.pop(_APPLIED, None)


def _toggle_present() -> None:
    """Presenter mode on or off (a button's callback, before the run)."""
    if st.query_params.get(PRESENT) == "1":
        del st.query_params[PRESENT]
    else:
        st.query_params[PRESENT] = "1"


def _leave() -> None:
    """Take the lesson's keys out of the URL: the page stays as it is (a button's callback)."""
    for key in (LESSON, STEP, PRESENT):
        if key in st.query_params:
            del st.query_params[key]


def cached_run(fn, *args):
    """A backend call through the pages' shared cache (facts quote what the page computes)."""
    return cached_data(fn)(*args)


def quiet_run(fn, *args):
    """cached_run without the spinner, for work outside a page run (the handout a download button builds)."""
    return cached_data(fn, quiet=True)(*args)


def narrative(active: ActiveStep) -> None:
    """The step's title, narrative, predict-first question (answer on a click) and things to try."""
    shared = shared_settings()  # the sidebar's: the page computes with them too
    step, settings = active.step, {**active.step.values, "seed": str(shared.seed), "device": shared.device}
    st.markdown(f"### {step.title}")
    st.markdown(fill_facts(step.narrative, settings, cached_run))
    if step.predict:
        st.markdown("**Predict first.** " + fill_facts(step.predict, settings, cached_run))
        shown = (active.lesson.name, active.index) in st.session_state.setdefault(_REVEALED, set())
        if shown:
            st.success(fill_facts(step.answer, settings, cached_run))
        else:
            st.button("Reveal the answer", icon=":material/visibility:", key="lesson_reveal", on_click=_reveal,
                      args=(active.lesson.name, active.index))
    if step.try_this:
        st.markdown("**Try this**\n" + "\n".join(f"- {item}" for item in step.try_this))


def _reveal(name: str, index: int) -> None:
    st.session_state.setdefault(_REVEALED, set()).add((name, index))
