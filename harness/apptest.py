"""Helpers shared by the tests: repository paths and AppTest runners."""
from __future__ import annotations

import base64
import json
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]


def app_test(relative_path: str, timeout: float = 120, **query) -> AppTest:
    """An AppTest of a script in the repository (e.g. "app.py", "pages/inside_the_cell.py"), not yet run."""
    at = AppTest.from_file(str(ROOT / relative_path), default_timeout=timeout)
    for key, value in query.items():
        at.query_params[key] = str(value)
    return at


def plotly_array(value) -> np.ndarray:
    """A data array of a Plotly figure's JSON as numpy: a plain list, or Plotly's typed-array encoding
    {"dtype", "bdata"[, "shape"]}."""
    if isinstance(value, dict):
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = value.get("shape")
        return flat.reshape([int(n) for n in str(shape).split(",")]) if shape else flat
    return np.asarray(value, dtype=float)


def scrub_heights(panel: dict, steps: int) -> np.ndarray:
    """(steps, bars) the bar heights a step scrubber's panel holds for every step (base64 float32)."""
    return np.frombuffer(base64.b64decode(panel["values"]), dtype="<f4").reshape(steps, -1)


def plotly_specs(at: AppTest) -> list[dict]:
    """The Plotly figures an AppTest run rendered, as dicts with data, layout and frames."""
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def _components(at: AppTest, name: str) -> list[dict]:
    """What each custom component named `name` in an AppTest run was sent (its data)."""
    return [json.loads(el.proto.json) for el in at.get("bidi_component") if el.proto.component_name.endswith(name)]


def step_scrubbers(at: AppTest) -> list[dict]:
    """What each step scrubber (seqviz.ui.components.scrubber) of an AppTest run was sent: its step_scrub spec with
    its label, help, and the step it is sent to show ("t") with that step's sequence number ("seq")."""
    return _components(at, "seqviz_step_scrubber")


def instant_views(at: AppTest, static: bool = False) -> list[dict]:
    """What each instant view (seqviz.ui.components.instant) of an AppTest run was sent: label, control, the value
    it is sent to show with its sequence number ("seq"), and its charts (value text → figure JSON text,
    caption, warning; None for a control alone). With `static`, the static charts (no control) too."""
    return [data for data in _components(at, "seqviz_instant_view") if static or data["control"]["kind"] != "none"]


def instant_charts(at: AppTest) -> list[dict]:
    """The chart each instant view and static chart draws for the value it was sent (figure parsed), where it
    was sent one."""
    on_screen = [(data["charts"] or {}).get(str(data["value"])) for data in instant_views(at, static=True)]
    return [{**chart, "figure": json.loads(chart["figure"])} for chart in on_screen if chart is not None]


def page_figures(at: AppTest) -> list[dict]:
    """Every figure a visitor sees: the instant views' and static charts' figures, then Streamlit's Plotly
    charts."""
    return [chart["figure"] for chart in instant_charts(at)] + plotly_specs(at)


def page_captions(at: AppTest) -> str:
    """The text of every caption, the instant views' included, in one string."""
    return " ".join([c.value for c in at.caption] + [chart["caption"] for chart in instant_charts(at)])


def page_html(at: AppTest) -> list[str]:
    """The markup of every st.html element, then of every instant view's chart on screen."""
    return [el.proto.body for el in at.get("html")] + [chart["html"] for chart in instant_charts(at) if chart["html"]]


def table_cells(markdown: str) -> list[list[str]]:
    """The cells of a Markdown table, row by row (the header first, the alignment row left out)."""
    rows = [line.strip("|").split(" | ") for line in markdown.splitlines()]
    return [[cell.strip() for cell in row] for k, row in enumerate(rows) if k != 1]


class _Cells(HTMLParser):
    """Collects each row's cell texts (td and th alike) while it reads an HTML table."""

    def __init__(self):
        super().__init__()
        self.rows, self._cell = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.rows[-1].append(self._cell.strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def html_table_cells(html: str) -> list[list[str]]:
    """The cells of an HTML table, row by row (the header first), as the browser shows their text."""
    parser = _Cells()
    parser.feed(html)
    return parser.rows
