"""Small tables of numbers as Markdown or HTML, shown next to a figure, and Markdown escaping."""
from __future__ import annotations

import html
import math
import numbers
import re

MARKDOWN_SPECIALS = re.compile(r"[\\`*_\[\]<>|$~]")  # inside a table cell


def _text(value) -> str:
    """A table cell's text: reals to 3 significant digits (∞, −∞, NaN written out), integers in full,
    anything else as str()."""
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        value = float(value)
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "∞" if value > 0 else "−∞"
        return f"{value:.3g}".replace("-", "−")
    return str(value)


def _cell(value) -> str:
    """A Markdown table cell: `_text`, with Markdown's special characters escaped in text (so dL/dx_0
    keeps its underscore and $ starts no formula)."""
    return _text(value) if isinstance(value, numbers.Real) else escape_markdown(str(value))


def escape_markdown(text: str) -> str:
    """`text` with Markdown's special characters backslash-escaped, so it is shown literally."""
    return MARKDOWN_SPECIALS.sub(r"\\\g<0>", text)


def _columns(rows: list[dict]) -> tuple[list, list[bool]]:
    """A table's column names (the first row's keys) and, per column, whether all its values are numbers."""
    if not rows:
        raise ValueError("a table needs at least one row")
    columns = list(rows[0])
    return columns, [all(isinstance(row[c], numbers.Real) for row in rows) for c in columns]


def markdown_table(rows: list[dict]) -> str:
    """A Markdown table of `rows` (dicts with the same keys, in column order); numbers right-aligned.

    In the browser a Markdown table is static HTML: next to a chart redrawn at every change it
    costs little, where an interactive st.dataframe grid (a canvas, measured and painted) is
    rendered in the same frame as the chart.
    """
    columns, numeric = _columns(rows)
    lines = ["| " + " | ".join(_cell(c) for c in columns) + " |",
             "|" + "|".join("---:" if n else ":---" for n in numeric) + "|"]
    lines += ["| " + " | ".join(_cell(row[c]) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


_CELL_STYLE = "border:1px solid rgba(128,128,128,0.35);padding:0.25rem 0.5rem;vertical-align:top;"
HTML_TABLE_STYLE = "border-collapse:collapse;font-size:0.875rem;margin:0 0 1rem"  # the table's own style
HTML_CELL_STYLES = {False: _CELL_STYLE + "text-align:left",  # a text column's cells, by "numeric column"
                    True: _CELL_STYLE + "text-align:right;font-variant-numeric:tabular-nums"}


def html_table(rows: list[dict]) -> str:
    """`markdown_table`'s table as HTML for st.html: the same cells (text escaped), numbers right-aligned,
    borders in a grey that reads on light and dark themes.

    For a table redrawn with its chart at every change of a main control: the browser draws the app
    again at each of a rerun's script-state changes and parsed a Markdown table anew each time,
    where HTML is set once (docs/performance.md). Every cell carries its style inline, with
    no <style> element: st.html sets the table's HTML anew at every change, and a style sheet that
    comes and goes with it makes the browser match the page's style rules again.
    """
    columns, numeric, cells = table_texts(rows)

    def line(tag: str, texts) -> str:
        return "<tr>" + "".join(f'<{tag} style="{HTML_CELL_STYLES[n]}">{html.escape(text)}</{tag}>'
                                for text, n in zip(texts, numeric)) + "</tr>"
    body = "".join(line("td", row) for row in cells)
    return f'<table style="{HTML_TABLE_STYLE}"><thead>{line("th", columns)}</thead><tbody>{body}</tbody></table>'


def table_texts(rows: list[dict]) -> tuple[list[str], list[bool], list[list[str]]]:
    """A table's column names, whether each column is numeric (right-aligned), and its cells' texts
    row by row (`_text`): what `html_table` writes, for a table the browser fills in itself."""
    columns, numeric = _columns(rows)
    return [_text(c) for c in columns], numeric, [[_text(row[c]) for c in columns] for row in rows]
