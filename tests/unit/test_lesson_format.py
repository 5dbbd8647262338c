"""The lesson file format: a well-formed file parses; each kind of malformed file is refused with its line."""
from __future__ import annotations

import pytest

from seqviz.lessons.facts import FACT_NAMES, fill_facts
from seqviz.lessons.format import Control, LessonError, parse_lesson
from seqviz.lessons.library import read_lesson


def _whole(raw: str) -> int:
    value = int(raw)
    if not 10 <= value <= 500:
        raise ValueError(raw)
    return value


CONTROLS = {"gradient-flow": {"grad_T": Control("grad_T", "Sequence length T", _whole, "a whole number in 10…500"),
                              "grad_dtype": Control("grad_dtype", "Precision", {"float32": 1, "float64": 2}.__getitem__,
                                                    "one of 'float32', 'float64'")}}
GOOD = """# A lesson
audience: students
minutes: 10
shows: something

An introduction.

## First step
page: gradient-flow
grad_T: 100

Narrative with $x^2$.

### Predict first
A question?

### Answer
An answer.

### Try this
- one thing
- another
"""


def problems(text: str) -> list[tuple[int, str]]:
    with pytest.raises(LessonError) as caught:
        parse_lesson(text, "lesson", CONTROLS, frozenset({"rnn_ratio"}))
    return [(p.line, p.message) for p in caught.value.problems]


def only_problem(text: str) -> tuple[int, str]:
    found = problems(text)
    assert len(found) == 1, found
    return found[0]


def test_a_well_formed_lesson_parses_into_its_header_and_steps():
    lesson = parse_lesson(GOOD, "lesson", CONTROLS)
    assert (lesson.title, lesson.audience, lesson.minutes, lesson.shows) == ("A lesson", "students", 10, "something")
    step = lesson.steps[0]
    assert (step.title, step.page, step.settings) == ("First step", "gradient-flow", (("grad_T", "100"),))
    assert (step.narrative, step.predict, step.answer) == ("Narrative with $x^2$.", "A question?", "An answer.")
    assert step.try_this == ("one thing", "another")


def test_unknown_page_is_refused_with_its_line_and_the_pages():
    line, message = only_problem(GOOD.replace("page: gradient-flow", "page: gradient-flo"))
    assert line == 9 and "unknown page 'gradient-flo'" in message and "gradient-flow" in message


def test_unknown_query_parameter_is_refused_with_its_line():
    line, message = only_problem(GOOD.replace("grad_T: 100", "grad_X: 100"))
    assert line == 10 and "no control with query parameter 'grad_X'" in message and "grad_T" in message


def test_value_out_of_range_is_refused_with_what_the_control_takes():
    line, message = only_problem(GOOD.replace("grad_T: 100", "grad_T: 9000"))
    assert line == 10 and "does not take '9000'" in message and "10…500" in message


def test_value_not_among_the_options_is_refused():
    line, message = only_problem(GOOD.replace("grad_T: 100", "grad_dtype: float16"))
    assert line == 10 and "'float16'" in message and "float64" in message


def test_step_without_narrative_is_refused():
    text = GOOD.replace("Narrative with $x^2$.\n", "")
    line, message = only_problem(text)
    assert line == 8 and "no narrative" in message


def test_step_without_page_is_refused():
    line, message = only_problem(GOOD.replace("page: gradient-flow\n", ""))
    assert line == 8 and "no 'page:' line" in message


def test_missing_header_field_is_refused():
    line, message = only_problem(GOOD.replace("audience: students\n", ""))
    assert line == 1 and "'audience'" in message


def test_minutes_must_be_a_whole_number():
    line, message = only_problem(GOOD.replace("minutes: 10", "minutes: ten"))
    assert line == 3 and "minutes" in message


def test_text_before_the_title_is_refused():
    line, message = only_problem("Hello\n" + GOOD)
    assert line == 1 and "starts with its title" in message


def test_a_lesson_without_steps_is_refused():
    line, message = only_problem(GOOD.split("## First step")[0])
    assert line == 1 and "at least one step" in message


def test_unknown_section_is_refused():
    line, message = only_problem(GOOD.replace("### Try this", "### Homework"))
    assert line == 20 and "unknown section" in message


def test_a_question_without_an_answer_is_refused():
    line, message = only_problem(GOOD.replace("### Answer\nAn answer.\n", ""))
    assert line == 8 and "no '### Answer'" in message


def test_unknown_fact_is_refused_with_its_line():
    line, message = only_problem(GOOD.replace("Narrative with", "Ratio {{rnn_ration}} with"))
    assert line == 12 and "unknown fact {{rnn_ration}}" in message


def test_every_problem_of_a_file_is_reported_at_once():
    text = GOOD.replace("minutes: 10", "minutes: 0").replace("grad_T: 100", "grad_T: 5")
    assert [line for line, _ in problems(text)] == [3, 10]


def test_headings_inside_code_fences_are_narrative():
    text = GOOD.replace("Narrative with $x^2$.", "```\n## not a step\n```")
    assert len(parse_lesson(text, "lesson", CONTROLS).steps) == 1


def test_a_file_that_is_not_utf8_is_refused_with_its_line():
    with pytest.raises(LessonError) as caught:
        read_lesson(GOOD.encode() + b"\n\xff", "lesson", CONTROLS, "lesson.md")
    assert caught.value.problems[0].line == GOOD.count("\n") + 2


def test_a_file_name_that_cannot_be_a_link_is_refused():
    with pytest.raises(LessonError, match="file name"):
        read_lesson(GOOD.encode(), "My Lesson", CONTROLS, "My Lesson.md")


def test_facts_fill_their_placeholders():
    assert "quoted_ratio" in FACT_NAMES
    assert fill_facts("quoted {{quoted_ratio}}, {{ quoted_ratio }}", {}) == "quoted 400,000, 400,000"


def test_a_try_this_item_may_continue_on_an_indented_line():
    text = GOOD.replace("- one thing\n", "- one thing\n  that goes on\n")
    assert parse_lesson(text, "lesson", CONTROLS).steps[0].try_this == ("one thing that goes on", "another")


def test_order_is_optional_and_must_be_a_whole_number():
    assert parse_lesson(GOOD, "lesson", CONTROLS).order == 100
    assert parse_lesson(GOOD.replace("minutes: 10", "minutes: 10\norder: 3"), "lesson", CONTROLS).order == 3
    line, message = only_problem(GOOD.replace("minutes: 10", "minutes: 10\norder: first"))
    assert line == 4 and "order" in message
