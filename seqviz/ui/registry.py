"""Find the app's pages: every pages/*.py that declares TITLE, ICON, SUMMARY and ORDER.

A new page is one file in pages/ with those four module-level constants; app.py and the home
page pick it up from here, nothing else to touch. The constants are read with `ast`, so
discovering pages never runs them.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

PAGES_DIR = Path(__file__).resolve().parents[2] / "pages"
_FIELDS = ("TITLE", "ICON", "SUMMARY", "ORDER")


@dataclass(frozen=True)
class PageInfo:
    path: Path
    title: str
    icon: str
    summary: str
    order: int

    @property
    def url_path(self) -> str:
        return self.path.stem.replace("_", "-")


def _constants(path: Path) -> dict:
    values = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name in _FIELDS:
                values[name] = ast.literal_eval(node.value)
    return values


def discover_pages(directory: Path = PAGES_DIR) -> list[PageInfo]:
    """Every page file in `directory` that declares all of TITLE, ICON, SUMMARY, ORDER, by ORDER."""
    pages = []
    for path in sorted(directory.glob("*.py")):
        values = _constants(path)
        if all(f in values for f in _FIELDS):
            pages.append(PageInfo(path, values["TITLE"], values["ICON"], values["SUMMARY"], values["ORDER"]))
    return sorted(pages, key=lambda p: (p.order, p.title))
