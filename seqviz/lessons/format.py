"""The lesson file format (docs/lessons.md): a Markdown file with a header and steps, parsed and checked.

    # Vanishing gradients in a 100-step RNN          ← the title
    audience: first-year graduate students          ← header fields, one per line, up to a blank line
    minutes: 20
    shows: why an RNN's gradient fades over 100 steps
    order: 10                                        ← optional: its place in the list

    ## The textbook experiment                       ← a step
    page: gradient-flow                              ← the page it shows (its URL path)
    grad_T: 100                                      ← settings: the page's URL query parameters
                                                      (a blank line ends the step's header)
    Narrative in Markdown and LaTeX, with {{facts}} computed when the step is shown.

    ### Predict first                                ← optional: a question …
    ### Answer                                       ← … and its answer, revealed on a click
    ### Try this                                     ← optional: a bulleted list of things to try

Checking a file needs the pages' controls (`Control`, built by seqviz.ui.page_params from the pages'
source) and the names of the facts a narrative may quote; every problem found is reported with its
line number, and a file with any problem gives no lesson.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Mapping

HEADER_FIELDS = ("audience", "minutes", "shows")  # required
OPTIONAL_FIELDS = ("order",)  # a whole number: the lesson's place in the list (then by title)
DEFAULT_ORDER = 100
SECTIONS = {"predict first": "predict", "answer": "answer", "try this": "try_this"}
MAX_MINUTES = 240
FACT = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
_FIELD = re.compile(r"^([A-Za-z0-9_]+)\s*:\s*(.*)$")


@dataclass(frozen=True)
class Control:
    """One URL query parameter of a page: its key, the control's label, and `accepts(raw)` (returns the value,
    raises ValueError for one the page ignores; None where only a run of the page can check it)."""

    key: str
    label: str
    accepts: Callable[[str], object] | None
    accepted: str  # what it takes, in words, for error messages
    default: str | None = None  # the page's default as the URL writes it (None: known only when the page runs)


@dataclass(frozen=True)
class Step:
    """One step: the page shown (URL path) at `settings` ((key, raw URL value) pairs), and its texts."""

    title: str
    page: str
    settings: tuple[tuple[str, str], ...]
    narrative: str
    predict: str = ""
    answer: str = ""
    try_this: tuple[str, ...] = ()
    line: int = 0
    defaults: tuple[tuple[str, str], ...] = ()  # the page's defaults of the keys the step does not set

    @property
    def values(self) -> dict[str, str]:
        """Every setting of the page at this step (key → URL text): its defaults, then the step's own."""
        return {**dict(self.defaults), **dict(self.settings)}


@dataclass(frozen=True)
class Lesson:
    """A parsed, checked lesson; `name` is its file's stem (what the URL's `lesson=` says)."""

    name: str
    title: str
    audience: str
    minutes: int
    shows: str
    intro: str
    steps: tuple[Step, ...]
    order: int = DEFAULT_ORDER


@dataclass(frozen=True)
class Problem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class LessonError(ValueError):
    """A lesson file that cannot be played; `problems` lists each with its line number."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source, self.problems = source, problems
        super().__init__(f"{source}: " + "; ".join(str(p) for p in problems))


def parse_lesson(text: str, name: str, controls: Mapping[str, Mapping[str, Control]],
                 facts: frozenset[str] = frozenset(), source: str | None = None) -> Lesson:
    """Parse and check one lesson file's `text`; `controls`: page URL path → its query keys' Controls.

    Raises LessonError listing every problem (line numbers count from 1)."""
    problems: list[Problem] = []
    blocks = _split(text.splitlines(), problems)
    lesson = None
    if blocks:
        lesson = _lesson(name, blocks, controls, facts, problems)
    if problems or lesson is None:
        raise LessonError(source or name, sorted(problems, key=lambda p: p.line) or [Problem(1, "empty lesson")])
    return lesson


def _split(lines: list[str], problems: list[Problem]) -> list[tuple[int, int, str, list[tuple[int, str]]]]:
    """[(level, line number, heading, [(line number, line) …])] for the '#', '##' and '###' headings, outside
    code fences; text before the title is a problem."""
    blocks, fenced = [], False
    for number, line in enumerate(lines, start=1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        level = len(line) - len(line.lstrip("#"))
        if not fenced and 1 <= level <= 3 and line[level:level + 1] == " ":
            blocks.append((level, number, line[level:].strip(), []))
        elif blocks:
            blocks[-1][3].append((number, line))
        elif line.strip():
            problems.append(Problem(number, "a lesson starts with its title: '# Title'"))
    if blocks and blocks[0][0] != 1:
        problems.append(Problem(blocks[0][1], "a lesson starts with its title: '# Title'"))
    return blocks


def _lesson(name, blocks, controls, facts, problems) -> Lesson | None:
    """The Lesson of the title block and the step blocks, or None where a problem was found (all are listed)."""
    level, number, title, body = blocks[0]
    header, intro = _fields(body)
    for line, key, _ in header:
        if key not in HEADER_FIELDS + OPTIONAL_FIELDS:
            problems.append(Problem(line, f"unknown header field {key!r}; a header has "
                                          f"{', '.join(HEADER_FIELDS + OPTIONAL_FIELDS)}"))
    values = {key: value for _, key, value in header}
    for key in HEADER_FIELDS:
        if not values.get(key):
            problems.append(Problem(number, f"the header has no {key!r} line (e.g. '{key}: …' under the title)"))
    minutes = _minutes(values.get("minutes", ""), _line_of(header, "minutes", number), problems)
    order = _order(values.get("order", str(DEFAULT_ORDER)), _line_of(header, "order", number), problems)
    _check_facts(intro, facts, problems)
    steps = _steps(blocks[1:], controls, facts, problems)
    if not steps:
        problems.append(Problem(number, "a lesson has at least one step: '## Step title' with a 'page:' line"))
    if level != 1 or problems:
        return None
    return Lesson(name, title, values["audience"], minutes, values["shows"], _text(intro), tuple(steps), order)


def _fields(body: list[tuple[int, str]]) -> tuple[list[tuple[int, str, str]], list[tuple[int, str]]]:
    """Split a block's body into its leading 'name: value' lines (to the first blank line) and the rest."""
    fields, rest = [], list(body)
    while rest and rest[0][1].strip():
        match = _FIELD.match(rest[0][1].strip())
        if not match:
            break
        fields.append((rest[0][0], match.group(1), match.group(2).strip()))
        rest.pop(0)
    return fields, rest


def _line_of(fields, key, fallback) -> int:
    return next((line for line, k, _ in fields if k == key), fallback)


def _minutes(raw: str, line: int, problems: list[Problem]) -> int:
    """The header's minutes as a whole number (0 and a problem where it is not one in 1…MAX_MINUTES)."""
    if raw and (not raw.isdigit() or not 1 <= int(raw) <= MAX_MINUTES):
        problems.append(Problem(line, f"minutes must be a whole number of minutes in 1…{MAX_MINUTES}; got {raw!r}"))
        return 0
    return int(raw) if raw else 0


def _order(raw: str, line: int, problems: list[Problem]) -> int:
    """The optional header's order as a whole number (the default and a problem where it is not one)."""
    if raw.lstrip("-").isdigit():
        return int(raw)
    problems.append(Problem(line, f"order must be a whole number (the lesson's place in the list); got {raw!r}"))
    return DEFAULT_ORDER


def _steps(blocks, controls, facts, problems) -> list[Step]:
    """The steps: each '##' block with the '###' sections that follow it."""
    steps: list[Step] = []
    for level, number, heading, body in blocks:
        if level == 1:
            problems.append(Problem(number, "a lesson has one title ('# …'); steps are '## …'"))
        elif level == 2:
            steps.append(_step(number, heading, body, controls, facts, problems))
        elif not steps:
            problems.append(Problem(number, f"section '### {heading}' comes before the first step ('## …')"))
        else:
            steps[-1] = _with_section(steps[-1], number, heading, body, facts, problems)
    for step in steps:
        if step.answer and not step.predict:
            problems.append(Problem(step.line, f"step '{step.title}' has an answer but no '### Predict first'"))
        if step.predict and not step.answer:
            problems.append(Problem(step.line, f"step '{step.title}' asks to predict but has no '### Answer'"))
    return steps


def _step(number, title, body, controls, facts, problems) -> Step:
    """One '## ' block: its page, settings (each checked against the page's controls) and narrative."""
    fields, narrative = _fields(body)
    page = next((value for _, key, value in fields if key == "page"), None)
    if page is None:
        problems.append(Problem(number, f"step '{title}' has no 'page:' line under its heading"))
    elif page not in controls:
        problems.append(Problem(_line_of(fields, "page", number),
                                f"unknown page {page!r}; pages: {', '.join(sorted(controls))}"))
    settings = tuple((key, value) for _, key, value in fields if key != "page")
    if page in controls:
        for line, key, value in fields:
            if key != "page":
                _check_setting(line, page, key, value, controls[page], problems)
    if not _text(narrative):
        problems.append(Problem(number, f"step '{title}' has no narrative (text after its settings and a blank line)"))
    _check_facts(narrative, facts, problems)
    own = dict(settings)
    defaults = tuple((key, c.default) for key, c in controls.get(page, {}).items()
                     if c.default is not None and key not in own)
    return Step(title, page or "", settings, _text(narrative), line=number, defaults=defaults)


def _check_setting(line: int, page: str, key: str, raw: str, controls: Mapping[str, Control],
                   problems: list[Problem]) -> None:
    """A problem where `key` is not one of the page's query parameters or its control does not take `raw`."""
    control = controls.get(key)
    if control is None:
        problems.append(Problem(line, f"page {page!r} has no control with query parameter {key!r}; it has "
                                      f"{', '.join(sorted(controls))}"))
        return
    if control.accepts is None:
        return
    try:
        control.accepts(raw)
    except (TypeError, ValueError, KeyError):
        problems.append(Problem(line, f"{key} ({control.label}) does not take {raw!r}: it takes {control.accepted}"))


def _with_section(step: Step, number, heading, body, facts, problems) -> Step:
    """`step` with a '### ' section's text (Predict first, Answer) or items (Try this) added."""
    field = SECTIONS.get(heading.lower())
    if field is None:
        problems.append(Problem(number, f"unknown section '### {heading}'; sections: Predict first, Answer, Try this"))
        return step
    text = _text(body)
    if not text:
        problems.append(Problem(number, f"section '### {heading}' is empty"))
    _check_facts(body, facts, problems)
    if field != "try_this":
        return Step(**{**step.__dict__, field: text})
    items = _bullets(body)
    if text and not items:
        problems.append(Problem(number, "'### Try this' is a bulleted list ('- …' lines)"))
    return Step(**{**step.__dict__, "try_this": items})


def _bullets(body: list[tuple[int, str]]) -> tuple[str, ...]:
    """The items of a bulleted list ('- ' or '* ' lines; a following indented line continues its item)."""
    items: list[str] = []
    for _, line in body:
        if line.strip().startswith(("- ", "* ")):
            items.append(line.strip()[2:].strip())
        elif line.strip() and items and line[:1].isspace():
            items[-1] += " " + line.strip()
    return tuple(items)


def _check_facts(body: list[tuple[int, str]], facts: frozenset[str], problems: list[Problem]) -> None:
    """A problem for each {{placeholder}} in `body` that names no fact."""
    for line, text in body:
        for match in FACT.finditer(text):
            if match.group(1) not in facts:
                problems.append(Problem(line, f"unknown fact {{{{{match.group(1)}}}}}; "
                                              f"facts: {', '.join(sorted(facts))}"))


def _text(body: list[tuple[int, str]]) -> str:
    return "\n".join(line for _, line in body).strip()
