"""Find the app's pages: every pages/*.py that declares TITLE, ICON, SUMMARY and ORDER.

A new page is one file in pages/ with those four module-level constants; app.py and the home
page pick it up from here, nothing else to touch. The constants are read with `ast`, so
discovering pages never runs them.

Optional constant
    MAIN_CONTROL   the label of the widget that best shows what the page does (e.g. "Sequence
                   length T"); the browser tests and the latency benchmark change it and expect
                   the page's chart to update. Without it they use the page's first widget.
    COSTLY_CONTROLS  {widget label: cap} for controls whose high values buy long work (training
                   budgets); the generic widget drivers of the tests keep them at or under the cap.
                   The page itself still accepts the control's whole range.
    CHARTS         False for a page that draws no chart (the Lessons page): the tests and benchmarks
                   that change a main control and wait for its chart leave it out. True by default.

`SEQVIZ_EXTRA_PAGES` (directories separated by os.pathsep) adds pages from elsewhere; the
browser tests use it for a test-only fixture page. Unset in normal use.
"""
from __future__ import annotations

import ast
import copy
import functools
import os
from dataclasses import dataclass
from pathlib import Path

from seqviz.core.paths import app_root

PAGES_DIR = app_root() / "pages"
EXTRA_PAGES_ENV = "SEQVIZ_EXTRA_PAGES"
_FIELDS = ("TITLE", "ICON", "SUMMARY", "ORDER")
_OPTIONAL_FIELDS = ("MAIN_CONTROL", "COSTLY_CONTROLS", "CHARTS")


@dataclass(frozen=True)
class PageInfo:
    path: Path
    title: str
    icon: str
    summary: str
    order: int
    main_control: str | None = None
    charts: bool = True  # False: the page draws no chart (CHARTS = False)

    @property
    def url_path(self) -> str:
        return self.path.stem.replace("_", "-")


def page_constants(path: Path) -> dict:
    """The page constants (required and optional) that a page file declares, read without running it.

    app.py asks on every rerun; a file is parsed again only when its modification time changes.
    """
    return copy.deepcopy(_parsed_constants(path, path.stat().st_mtime_ns))  # callers may modify theirs


@functools.lru_cache(maxsize=256)
def _parsed_constants(path: Path, mtime_ns: int) -> dict:
    values = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name in _FIELDS or name in _OPTIONAL_FIELDS:
                values[name] = ast.literal_eval(node.value)
    return values


def page_directories() -> list[Path]:
    """pages/ followed by any directories named in $SEQVIZ_EXTRA_PAGES."""
    extra = os.environ.get(EXTRA_PAGES_ENV, "")
    return [PAGES_DIR] + [Path(d).resolve() for d in extra.split(os.pathsep) if d]


def discover_pages(directory: Path | None = None) -> list[PageInfo]:
    """Every page file that declares all of TITLE, ICON, SUMMARY, ORDER, by ORDER.

    Looks in `directory`, or by default in every directory of `page_directories()`.
    """
    directories = page_directories() if directory is None else [directory]
    pages = []
    for path in sorted(p for d in directories for p in d.glob("*.py")):
        values = page_constants(path)
        if all(f in values for f in _FIELDS):
            pages.append(PageInfo(path, values["TITLE"], values["ICON"], values["SUMMARY"], values["ORDER"],
                                  values.get("MAIN_CONTROL"), values.get("CHARTS", True)))
    return sorted(pages, key=lambda p: (p.order, p.title))
