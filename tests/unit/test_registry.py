"""Page discovery: the four required constants, the optional MAIN_CONTROL, extra page folders."""
from __future__ import annotations

import os
from pathlib import Path

from seqviz.ui.registry import EXTRA_PAGES_ENV, PageInfo, discover_pages

PAGE = 'TITLE = "A"\nICON = ":material/star:"\nSUMMARY = "s"\nORDER = {order}\n'


def write_page(folder: Path, name: str, order: int = 1, extra: str = "") -> Path:
    path = folder / f"{name}.py"
    path.write_text(PAGE.format(order=order) + extra, encoding="utf-8")
    return path


def test_main_control_is_read_when_declared(tmp_path):
    write_page(tmp_path, "with_main", extra='MAIN_CONTROL = "Hidden size H"\n')
    assert discover_pages(tmp_path)[0].main_control == "Hidden size H"


def test_main_control_is_optional(tmp_path):
    write_page(tmp_path, "plain")
    assert discover_pages(tmp_path)[0].main_control is None


def test_a_page_without_charts_says_so(tmp_path):
    write_page(tmp_path, "text_only", extra="CHARTS = False\n")
    write_page(tmp_path, "plain")
    assert [p.charts for p in discover_pages(tmp_path)] == [True, False]


def test_page_info_keeps_its_five_field_constructor():
    info = PageInfo(Path("pages/x_y.py"), "X", ":material/star:", "s", 3)
    assert (info.main_control, info.url_path) == (None, "x-y")


def test_pages_without_all_required_constants_are_ignored(tmp_path):
    (tmp_path / "helper.py").write_text('TITLE = "helper"\n', encoding="utf-8")
    assert discover_pages(tmp_path) == []


def test_extra_page_folders_are_added_and_sorted_by_order(tmp_path, monkeypatch):
    write_page(tmp_path, "extra_first", order=-1)
    monkeypatch.setenv(EXTRA_PAGES_ENV, str(tmp_path))
    pages = discover_pages()
    assert pages[0].path == tmp_path / "extra_first.py"
    monkeypatch.delenv(EXTRA_PAGES_ENV)
    assert all(p.path.parent != tmp_path for p in discover_pages())


def test_an_edited_page_file_is_read_again(tmp_path):
    path = write_page(tmp_path, "edited", order=1)
    assert discover_pages(tmp_path)[0].order == 1
    stat = path.stat()
    write_page(tmp_path, "edited", order=5)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # a new mtime even on coarse clocks
    assert discover_pages(tmp_path)[0].order == 5
