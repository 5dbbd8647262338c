"""Lessons in the app: every step of every shipped lesson opens with its settings applied; the step bar,
reset, presenter mode and the Lessons page (AppTest)."""
from __future__ import annotations

import pytest

from harness.apptest import app_test
from seqviz.lessons.library import load_lessons
from seqviz.ui.page_params import page_controls

CONTROLS = page_controls()
LESSONS = load_lessons(CONTROLS)
STEPS = [(name, k) for name, lesson in LESSONS.lessons.items() for k in range(len(lesson.steps))]


def open_step(name: str, k: int, **query):
    return app_test("app.py", timeout=300, lesson=name, step=k + 1, **query).run()


def url(at, key: str) -> str | None:
    """The URL's value of `key` after an AppTest run (None: not in the URL)."""
    value = at.query_params.get(key)
    return value[0] if isinstance(value, list) else value


def test_every_shipped_lesson_parses():
    assert not LESSONS.broken
    assert {"vanishing", "gates", "exploding", "attention", "state-space", "language"} <= set(LESSONS.lessons)


@pytest.mark.parametrize("name", sorted(LESSONS.lessons))
def test_every_shipped_lesson_has_five_to_nine_steps(name):
    assert 5 <= len(LESSONS.lessons[name].steps) <= 9


@pytest.mark.parametrize("name,k", STEPS)
def test_every_step_opens_with_its_settings_applied(name, k):
    at = open_step(name, k)
    step = LESSONS.lessons[name].steps[k]
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    for key, raw in step.settings:
        parse = CONTROLS[step.page][key].accepts
        expected = parse(raw) if parse is not None else raw
        assert at.session_state[key] == expected, (key, raw)
    shown = " ".join(m.value for m in at.sidebar.markdown)
    assert step.title in shown and "{{" not in shown and "(not computed" not in shown


def test_the_url_keeps_the_lesson_step_and_the_steps_settings():
    at = open_step("vanishing", 1)
    assert url(at, "lesson") == "vanishing" and url(at, "step") == "2"
    assert url(at, "grad_T") == "300"


def test_next_and_previous_move_between_steps_and_apply_their_settings():
    at = open_step("vanishing", 1)
    at.sidebar.button(key="lesson_next").click().run()
    assert url(at, "step") == "3" and at.session_state["grad_dtype"] == "float64"
    at.sidebar.button(key="lesson_prev").click().run()
    assert url(at, "step") == "2" and at.session_state["grad_dtype"] == "float32"


def test_controls_stay_live_and_reset_brings_the_steps_settings_back():
    at = open_step("vanishing", 2)
    at.radio(key="grad_dtype").set_value("float32").run()
    assert at.session_state["grad_dtype"] == "float32" and url(at, "lesson") == "vanishing"
    at.sidebar.button(key="lesson_reset").click().run()
    assert at.session_state["grad_dtype"] == "float64"


def test_a_step_on_another_page_switches_to_it():
    at = open_step("gates", 3)
    at.sidebar.button(key="lesson_next").click().run()
    assert not at.exception
    assert at.title[0].value == "Gradient flow" and url(at, "step") == "5"


def test_the_predict_first_answer_is_revealed_on_a_click():
    at = open_step("vanishing", 0)
    answer = "Computed for this seed"
    assert not any(answer in s.value for s in at.sidebar.success)
    at.sidebar.button(key="lesson_reveal").click().run()
    assert any(answer in s.value for s in at.sidebar.success)


def test_presenter_mode_draws_the_step_above_the_page_and_keeps_present_in_the_url():
    at = open_step("vanishing", 0, present=1)
    assert not at.exception and url(at, "present") == "1"
    assert any("The textbook experiment" in m.value for m in at.main.markdown)
    at.button(key="lesson_present").click().run()
    assert "present" not in at.query_params


def test_a_step_the_lesson_lacks_opens_the_first_with_a_toast():
    at = app_test("app.py", lesson="vanishing", step="99").run()
    assert not at.exception and url(at, "step") == "1"
    assert any("not '99'" in t.value for t in at.toast)


def test_an_unknown_lesson_leaves_the_page_as_it_is():
    at = app_test("app.py", lesson="no-such-lesson").run()
    assert not at.exception and "lesson" not in at.query_params


def test_a_broken_lesson_in_the_teachers_folder_is_listed_with_its_lines_and_never_breaks_the_app(
        tmp_path, monkeypatch):
    (tmp_path / "broken.md").write_text("# Broken\naudience: me\nminutes: 5\nshows: x\n\n"
                                        "## Step\npage: nowhere\n\nText\n")
    monkeypatch.setenv("SEQVIZ_LESSONS_DIR", str(tmp_path))
    at = app_test("pages/lessons.py").run()
    assert not at.exception
    assert any("line 7" in e.value and "unknown page 'nowhere'" in e.value for e in at.error)
    played = app_test("app.py", lesson="broken").run()
    assert not played.exception and any("line 7" in e.value for e in played.sidebar.error)


def test_a_teachers_lesson_from_the_folder_is_listed(tmp_path, monkeypatch):
    (tmp_path / "mine.md").write_text("# My own\naudience: my class\nminutes: 5\nshows: x\n\n"
                                      "## Step\npage: gradient-flow\ngrad_T: 50\n\nText\n")
    monkeypatch.setenv("SEQVIZ_LESSONS_DIR", str(tmp_path))
    at = app_test("pages/lessons.py").run()
    assert any(m.value == "#### My own" for m in at.markdown)


def test_the_lessons_page_lists_every_lesson_with_audience_and_length():
    at = app_test("pages/lessons.py").run()
    assert not at.exception
    captions = " ".join(c.value for c in at.caption)
    for lesson in LESSONS.lessons.values():
        assert any(m.value == f"#### {lesson.title}" for m in at.markdown)
        assert f"For {lesson.audience} · about {lesson.minutes} minutes" in captions


def test_start_puts_the_first_step_in_the_url():
    at = app_test("pages/lessons.py").run()
    at.button(key="lesson_start_gates").click().run()
    assert url(at, "lesson") == "gates" and url(at, "step") == "1"


def test_shipped_lessons_are_listed_in_teaching_order():
    assert list(LESSONS.lessons)[:7] == ["vanishing", "gates", "exploding", "attention", "state-space", "language",
                                         "transformer"]
