"""Where lessons come from: the shipped ones in assets/lessons and a teacher's folder(s) in $SEQVIZ_LESSONS_DIR.

A broken file never hides the others: `load_lessons` returns the lessons that parsed and, separately,
each broken file's LessonError (with line numbers) for the Lessons page to show.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from seqviz.core.paths import assets
from seqviz.lessons.facts import FACT_NAMES
from seqviz.lessons.format import Control, Lesson, LessonError, Problem, parse_lesson

LESSONS_ENV = "SEQVIZ_LESSONS_DIR"
MAX_LESSON_BYTES = 200_000
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")  # a lesson's name, as `lesson=` in the URL


@dataclass
class LessonLibrary:
    """The lessons found, by name, and the files that did not parse."""

    lessons: dict[str, Lesson] = field(default_factory=dict)
    broken: list[LessonError] = field(default_factory=list)


def lesson_directories() -> list[Path]:
    """assets/lessons, then each directory of $SEQVIZ_LESSONS_DIR (os.pathsep-separated)."""
    extra = os.environ.get(LESSONS_ENV, "")
    return [assets("lessons")] + [Path(d) for d in extra.split(os.pathsep) if d]


def load_lessons(controls: Mapping[str, Mapping[str, Control]]) -> LessonLibrary:
    """Every *.md lesson of `lesson_directories()`, by order then title; the first file of a name wins, a later
    one is reported."""
    library = LessonLibrary()
    for directory in lesson_directories():
        for path in sorted(directory.glob("*.md")) if directory.is_dir() else ():
            try:
                lesson = read_lesson(path.read_bytes(), path.stem.lower(), controls, str(path))
            except LessonError as error:
                library.broken.append(error)
                continue
            if lesson.name in library.lessons:
                library.broken.append(LessonError(str(path), [Problem(1, f"a lesson named {lesson.name!r} "
                                                                          "was found earlier; this one is not used")]))
            else:
                library.lessons[lesson.name] = lesson
    library.lessons = dict(sorted(library.lessons.items(), key=lambda item: (item[1].order, item[1].title)))
    return library


def read_lesson(data: bytes, name: str, controls: Mapping[str, Mapping[str, Control]], source: str) -> Lesson:
    """Parse a lesson file's bytes (UTF-8, at most MAX_LESSON_BYTES); LessonError with line numbers if broken."""
    if not NAME.match(name):
        raise LessonError(source, [Problem(1, f"a lesson's file name is its name in links: lowercase letters, digits,"
                                              f" '-' and '_' (at most 64), then .md; got {name!r}")])
    if len(data) > MAX_LESSON_BYTES:
        raise LessonError(source, [Problem(1, f"the file has {len(data):,} bytes; a lesson has at most "
                                              f"{MAX_LESSON_BYTES:,}")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise LessonError(source, [Problem(line, "the file is not UTF-8 text")]) from None
    return parse_lesson(text, name, controls, FACT_NAMES, source)
