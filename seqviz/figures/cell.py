"""Figures of one recurrent cell over a sequence: animated bars, heatmaps, unit lines, order, parameters.

Glossary
    T  time steps    H  hidden size    U  units shown    F  animation frames
    states  name → (T, H) array, in display order: "h", "c" (LSTM), then the gates (i f g o / r z n)

Payload: every figure is sent to the browser whole (all frames) on every rerun, so each one is kept
under about 2 MB. Arrays are float32 (Plotly writes them as base64, ~5.3 bytes a number) and each
figure has a budget of numbers; when a sequence is bigger the figure shows every k-th step (bars)
or averages bins of k steps (heatmaps) and says so in its title.
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
from typing import TypedDict

import numpy as np
import plotly.graph_objects as go

from seqviz.cell.params import ParamCount
from seqviz.cell.run import BackwardPass
from seqviz.core.models import KIND_LABELS
from seqviz.figures.labels import colour_key
from seqviz.figures.tables import HTML_CELL_STYLES, HTML_TABLE_STYLE, table_texts
from seqviz.figures.theme import FONT, GRID, TEXT
from seqviz.figures.unvalidated import axis, figure, row_layout, stacked_layout

ANIMATION_VALUE_BUDGET = 200_000
BYTES_PER_VALUE = 5.3  # a float32 number written as base64 by Plotly
HEATMAP_VALUE_BUDGET = 240_000
SCRUB_BYTE_BUDGET = 2_000_000  # step_scrub's payload, sent once per view (T = 100, H = 16: 0.16 MB)
STEP_BARS_TITLE = "States and gates at step t = "
MAX_BAR_UNITS = 64
TICK_EVERY_UNIT = 16  # up to this many shown units, the bars' axis ticks each one
MAX_FRAMES = 500
ANIMATION_MARGIN = dict(t=90, b=160)  # room for the title, and for the buttons and the slider below
GRID_LINE_PX = 17  # one line of the numbers' text (font size GRID_FONT)
GRID_FONT = 12
GRID_GAP = 3  # characters between two columns of the numbers
# Units whose numbers the animation writes under its bars: its text does not shrink with the chart, and a
# third unit's column ran into the second's at a projector's width (the step views' HTML table scrolls).
ANIMATION_TABLE_UNITS = 2
GRID_LINE_CHARS = 22  # a longer product or sum is broken after its first " + "
GRID_TOP_GAP_PX = 80  # between the numbers and the bars above them: the bars' tick labels and axis title
SLIDER_MAX_LABELS = 25
ORDER_TITLE_CHARS = 40  # a longer panel title of the order view is broken into a line per label
ORDER_TITLE_LINE_PX = 17
STATE_TITLES = {"h": "h  hidden state", "c": "c  cell state", "i": "i  input gate", "f": "f  forget gate",
                "g": "g  candidate", "o": "o  output gate", "r": "r  reset gate", "z": "z  update gate",
                "n": "n  candidate", "x": "x_t  the layer's input (own colour scale: hover for values)"}
GATES = ("i", "f", "o", "r", "z")  # the sigmoid gates, in (0, 1), drawn in their own row of the step bars
BAR_GROUP_WIDTH = 0.8  # of the spacing between shown units, shared by a unit's bars
COLORS = {"h": "#1f77b4", "c": "#ff7f0e", "i": "#2ca02c", "f": "#d62728", "g": "#9467bd", "o": "#8c564b",
          "r": "#e377c2", "z": "#17becf", "n": "#bcbd22"}


def shown_units(H: int, max_units: int = MAX_BAR_UNITS) -> np.ndarray:
    """(U,) unit indices to draw: all H, or max_units evenly spaced ones."""
    if H <= max_units:
        return np.arange(H)
    return np.unique(np.linspace(0, H - 1, max_units).round().astype(int))


def frame_steps(T: int, values_per_frame: int, budget: int = ANIMATION_VALUE_BUDGET,
                max_frames: int = MAX_FRAMES) -> np.ndarray:
    """(F,) the steps that get an animation frame: every k-th step, k the smallest stride in budget."""
    allowed = max(1, min(max_frames, budget // max(1, values_per_frame)))
    stride = math.ceil(T / allowed)
    return np.arange(0, T, stride)


def _f32(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float32)


def _value_range(values: np.ndarray) -> list[float]:
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 1.0)
    pad = 0.05 * max(hi - lo, 1e-3)
    return [min(lo, 0.0) - pad, max(hi, 0.0) + pad]


def _note(parts) -> str:
    """A subtitle saying what was left out to keep the figure small, or "" when nothing was."""
    text = _note_text(parts)
    return f"<br><sup>{text}</sup>" if text else ""


def _note_text(parts) -> str:
    parts = [p for p in parts if p]
    return f"{'; '.join(parts)} to keep the page light" if parts else ""


def _units_note(shown: int, H: int) -> str:
    return f"{shown} of {H} units shown" if shown < H else ""


def _bar_rows(names: list[str]) -> list[list[str]]:
    """The names drawn in each row of the bars: the states (h, c, candidate), then the gates if any."""
    rows = [[n for n in names if n not in GATES], [n for n in names if n in GATES]]
    return [row for row in rows if row]


def _bars(states: dict[str, np.ndarray], units: np.ndarray, t: int) -> tuple[list[dict], dict]:
    """Grouped bars of every state at step t, the states in one row and the gates in another, and their
    layout; y ranges fixed over the whole sequence. One bar trace per row: its bars stand side by side
    at each unit, a state's colour and name on each bar (`_row_values` gives a row's heights).

    Two subplots instead of one per state, and one trace per row instead of one per state: a browser
    draws every subplot and trace anew on every change of the step, so fewer traces draw sooner. Each
    row's title is its colour key, in place of a legend (see seqviz.figures.labels.colour_key).
    """
    rows = _bar_rows(list(states))
    titles = [_row_prefix(row) + colour_key(_row_key(row)) for row in rows]
    layout = stacked_layout(titles, "unit j", spacing=0.12)
    data = []
    for k, row in enumerate(rows, start=1):
        x, width = _bar_positions(units, len(row))
        data.append(dict(type="bar", x=x, y=_row_values(states, row, units, t), width=width,
                         marker=dict(color=[COLORS[name] for name in row for _ in units]),
                         customdata=[[STATE_TITLES[name], int(j)] for name in row for j in units],
                         hovertemplate="%{customdata[0]}, unit %{customdata[1]}: %{y:.3f}<extra></extra>",
                         xaxis=axis("x", k), yaxis=axis("y", k)))
        layout[axis("yaxis", k)]["range"] = _row_range(states, row)
        if len(units) <= TICK_EVERY_UNIT:  # else Plotly's own ticks; with one unit they fell at −0.4 … 0.4
            layout[axis("xaxis", k)]["tickvals"] = units.tolist()
    # default margins: the set t=90, b=40 drew it in twice the time
    layout.update(height=260 * len(rows) + 180, showlegend=False)
    return data, layout


def _row_prefix(row: list[str]) -> str:
    return "gates (0 to 1): " if row[0] in GATES else "states: "


def _row_key(row: list[str]) -> list[tuple[str, str]]:
    """A row's colour key: (title, colour) of each state it draws."""
    return [(STATE_TITLES[name], COLORS[name]) for name in row]


def _row_range(states: dict[str, np.ndarray], row: list[str]) -> list[float]:
    """A row's y range over the whole sequence; gates on their whole (0, 1), so that "nearly open" reads
    the same at every step."""
    return [-0.02, 1.02] if row[0] in GATES else _value_range(np.stack([states[n] for n in row]))


def _bar_positions(units: np.ndarray, per_unit: int) -> tuple[np.ndarray, float]:
    """(per_unit · U,) the x of each bar, per_unit bars side by side at each unit, state-major; their width."""
    spacing = _unit_spacing(units)
    width = BAR_GROUP_WIDTH * spacing / per_unit
    x = np.concatenate([units + (j + 0.5) * width - BAR_GROUP_WIDTH * spacing / 2 for j in range(per_unit)])
    return np.round(x, 6), width


def _unit_spacing(units: np.ndarray) -> float:
    return float(np.diff(units).min()) if len(units) > 1 else 1.0


def _row_values(states: dict[str, np.ndarray], row: list[str], units: np.ndarray, t: int) -> np.ndarray:
    """The heights of a row's bars at step t: each state of `row` over `units`, one after the other."""
    return _f32(np.concatenate([states[name][t, units] for name in row]))


def step_bars(states: dict[str, np.ndarray], t: int, step_label: str, max_units: int = MAX_BAR_UNITS) -> go.Figure:
    """Bars of every state and gate at step t (the step the equations show).

    Args:
        states: name → (T, H), e.g. from `seqviz.cell.run.cell_states`.
        t: the step; step_label: its label (event, character or "t=…").
    Returns:
        a figure with one bar trace per row, each state's bars grouped by unit: h, c and the candidate in
        the top row, the gates in the bottom one; y ranges span the whole sequence.
    """
    H = next(iter(states.values())).shape[1]
    units = shown_units(H, max_units)
    data, layout = _bars(states, units, t)
    title = f"{STEP_BARS_TITLE}{t}{_label_suffix(t, step_label)}"
    layout["title"] = dict(text=title + _note([_units_note(len(units), H)]))
    return figure(data, layout)


def _own_label(t: int, step_label: str) -> bool:
    """Whether step t's label says more than "t=…" (an event, a character)."""
    return step_label != f"t={t}"


def _label_suffix(t: int, step_label: str) -> str:
    """What a title adds after "t = …": the step's own label, if it has one."""
    return f" ({step_label})" if _own_label(t, step_label) else ""


class ScrubPanel(TypedDict):
    """One row of `step_bars` at every step (scrubber.js: ScrubPanel)."""

    prefix: str  # the row's title before its colour key
    key: list[list[str]]  # [title, colour] of each state in the row
    names: list[str]  # each bar's state title, unit by unit within a state
    colours: list[str]  # each bar's colour
    x: list[float]  # each bar's centre on the unit axis
    width: float  # every bar's width
    range: list[float]  # the row's y range, fixed over the whole sequence
    values: str  # base64 little-endian float32 (T, bars): each step's heights, bars in `names` order


class ScrubTable(TypedDict):
    """The step's numbers at every step (scrubber.js: ScrubTable)."""

    numeric: list[bool]  # per column: right-aligned numbers
    cells: list[list[list[str]]]  # per step: its header row, then its rows, as texts


class ScrubStyle(TypedDict):
    """The table's inline styles (scrubber.js: ScrubStyle)."""

    table: str
    cell: str
    numeric: str


class ScrubTheme(TypedDict):
    """Colours and font of seqviz's template, for the chart scrubber.js draws (scrubber.js: ScrubTheme)."""

    text: str
    grid: str
    font: str


class StepScrub(TypedDict):
    """`step_bars` and the step's numbers at every step, JSON-ready (scrubber.js: StepScrub)."""

    id: str  # a hash of the rest
    steps: int  # T
    title: str  # the chart's title is title + t + suffix[t]
    suffix: list[str]
    note: str  # under the title ("" for none)
    units: list[int]  # (U,) the units drawn
    ticks: list[int] | None  # the unit axis's ticks, or None for evenly spaced ones
    x_range: list[float]
    x_title: str
    panels: list[ScrubPanel]
    table: ScrubTable | None
    style: ScrubStyle
    theme: ScrubTheme


def step_scrub(states: dict[str, np.ndarray], step_labels, rows_at=None, max_units: int = MAX_BAR_UNITS,
               budget: int = SCRUB_BYTE_BUDGET) -> StepScrub | None:
    """`step_bars` and the step's numbers at every step, for the browser to draw itself as its step
    slider moves (seqviz.ui.components.scrubber): no server round trip per step.

    Args:
        states: name → (T, H); step_labels: T labels.
        rows_at: None, or a function of a step t giving that step's table rows (dicts with the same
            columns at every step, e.g. `seqviz.figures.equations.step_rows`).
    Returns:
        None when the payload (every step's bar heights and table texts, estimated from step 0) would
        exceed `budget` bytes; else the StepScrub.
    """
    rows = _bar_rows(list(states))
    T, H = next(iter(states.values())).shape
    units = shown_units(H, max_units)
    first = None if rows_at is None else table_texts(rows_at(0))
    per_step = sum(map(len, rows)) * len(units) * BYTES_PER_VALUE + (0 if first is None else len(json.dumps(first)))
    if T * per_step > budget:
        return None
    half = _unit_spacing(units) / 2
    content = dict(
        steps=T, title=STEP_BARS_TITLE, suffix=[_label_suffix(t, label) for t, label in enumerate(step_labels)],
        note=_note_text([_units_note(len(units), H)]), units=units.tolist(),
        ticks=units.tolist() if len(units) <= TICK_EVERY_UNIT else None,
        x_range=[float(units[0]) - half, float(units[-1]) + half], x_title="unit j",
        panels=[_scrub_panel(states, row, units) for row in rows],
        table=None if first is None else _scrub_table([first] + [table_texts(rows_at(t)) for t in range(1, T)]),
        style=ScrubStyle(table=HTML_TABLE_STYLE, cell=HTML_CELL_STYLES[False], numeric=HTML_CELL_STYLES[True]),
        theme=ScrubTheme(text=TEXT, grid=GRID, font=FONT))
    return StepScrub(**content, id=hashlib.blake2b(json.dumps(content).encode(), digest_size=8).hexdigest())


def _scrub_panel(states: dict[str, np.ndarray], row: list[str], units: np.ndarray) -> ScrubPanel:
    """One row of `step_bars` at every step, for `step_scrub`."""
    x, width = _bar_positions(units, len(row))
    heights = _f32(np.concatenate([states[name][:, units] for name in row], axis=1))  # (T, bars)
    return ScrubPanel(prefix=_row_prefix(row), key=[list(entry) for entry in _row_key(row)],
                      names=[STATE_TITLES[n] for n in row for _ in units],
                      colours=[COLORS[n] for n in row for _ in units], x=x.tolist(), width=width,
                      range=_row_range(states, row),
                      values=base64.b64encode(heights.astype("<f4").tobytes()).decode("ascii"))


def _scrub_table(texts: list[tuple]) -> ScrubTable:
    """Every step's table for `step_scrub`, from each step's `table_texts`: per step its header's and rows'
    texts, and the numeric flags of step 0."""
    return ScrubTable(numeric=texts[0][1], cells=[[columns] + cells for columns, _, cells in texts])


def cell_animation(states: dict[str, np.ndarray], step_labels, numbers=None, max_units: int = MAX_BAR_UNITS,
                   budget: int = ANIMATION_VALUE_BUDGET) -> go.Figure:
    """The bars of `step_bars` animated over time: one frame per shown step, a slider, play/pause, and
    optionally the step's numbers under the bars, which every frame updates with the bars.

    Args:
        states: name → (T, H).
        step_labels: T labels, shown on the slider.
        numbers: None, or a function of a step t giving that step's table rows, each a dict
            {column: text} with the same columns at every step (e.g. `seqviz.figures.equations.step_rows`).
    Returns:
        a figure starting at t = 0 with `step_bars`' traces (and a text trace for the numbers) and one
        frame per shown step (every step, or every k-th one when the frames' numbers, T × (states ×
        units + the table's text, counted as numbers), exceed the budget). Frames update the traces in
        place (redraw False), so moving the slider or playing needs no round trip to a server.
    """
    rows = _bar_rows(list(states))  # one of _bars' traces per row
    T, H = next(iter(states.values())).shape
    units = shown_units(H, max_units)
    first = None if numbers is None else numbers(0)
    steps = frame_steps(T, len(states) * len(units) + (0 if first is None else _text_values(first)), budget)
    data, layout = _bars(states, units, 0)
    stride = int(steps[1] - steps[0]) if len(steps) > 1 else 1
    note = _note([_units_note(len(units), H), f"one frame every {stride} steps ({len(steps)} frames)" if stride > 1 else ""])
    frames = [dict(name=str(t), traces=list(range(len(rows))),
                   data=[dict(type="bar", y=_row_values(states, row, units, t)) for row in rows]) for t in steps]
    if numbers is not None:
        _add_number_grid(data, layout, frames, [first] + [numbers(int(t)) for t in steps[1:]])
    layout.update(title=dict(text=f"States and gates over time: press play or drag the slider{note}"),
                  updatemenus=[_play_pause()], sliders=[_slider(steps, step_labels)], margin=ANIMATION_MARGIN)
    return figure(data, layout, frames)


def _text_values(table: list[dict]) -> int:
    """The numbers a table's text weighs in a frame, in the animation budget's unit (one float32 number)."""
    return math.ceil(len(json.dumps(_grid_texts(table))) / BYTES_PER_VALUE)


def _top_level_plus(text: str) -> int:
    """Index of the first " + " outside parentheses in text, or −1."""
    depth = 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and text.startswith(" + ", i):
            return i
    return -1


def _number_lines(text: str) -> str:
    """A number cell "expression = value" on lines: the value on a line of its own, an expression longer
    than GRID_LINE_CHARS broken after its first " + " outside parentheses."""
    head, sep, value = text.rpartition(" = ")
    if not sep:
        return text
    cut = _top_level_plus(head) if len(head) > GRID_LINE_CHARS else -1
    if cut >= 0:
        head = f"{head[:cut]} +<br>{head[cut + 3:]}"
    return f"{head}<br>= {value}"


def _grid_texts(table: list[dict]) -> list[str]:
    """A table's texts column by column, each column's header first: row titles broken at their ", ",
    number cells by `_number_lines`."""
    header = list(table[0])
    titles = [f"{a}<br>{b}" if sep else a for a, sep, b in (str(row[header[0]]).partition(", ") for row in table)]
    numbers = [[_number_lines(str(row[key])) for row in table] for key in header[1:]]
    return [text for head, column in zip(header, [titles, *numbers]) for text in (head, *column)]


def _add_number_grid(data: list[dict], layout: dict, frames: list[dict], tables: list[list[dict]]) -> None:
    """Add the step's numbers under the bars as one text trace on a hidden subplot, and give each frame
    its text (see `_grid_positions`).

    Text, not a Plotly table: a frame updates a text trace in place, where a table needs a full redraw
    at every step."""
    texts = [_grid_texts(table) for table in tables]  # per frame, column by column
    x, y, width, lines = _grid_positions(texts, n_rows=len(tables[0]) + 1)
    k = len(data) + 1
    data.append(dict(type="scatter", mode="text", x=x, y=y, text=texts[0], textposition="middle right",
                     textfont=dict(size=GRID_FONT), hoverinfo="skip", cliponaxis=False,
                     xaxis=axis("x", k), yaxis=axis("y", k)))
    for frame, text in zip(frames, texts):
        frame["traces"].append(k - 1)
        frame["data"].append(dict(type="scatter", text=text))
    top = _make_room_below(layout, k - 1, grid_px=int(GRID_LINE_PX * lines))
    layout[axis("xaxis", k)] = dict(domain=[0, 1], anchor=axis("y", k), range=[0, width], visible=False,
                                    fixedrange=True)
    layout[axis("yaxis", k)] = dict(domain=[0, top], anchor=axis("x", k), range=[-lines, 0.0], visible=False,
                                    fixedrange=True)


def _grid_positions(texts: list[list[str]], n_rows: int) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Where each text of a grid goes (x: characters from the left edge to its start; y: minus the lines
    from the top edge to its vertical middle), and the grid's width and height in those units: every
    column as wide as its longest line in any frame plus GRID_GAP, every row as tall as its tallest
    cell in any frame.

    texts: per frame, the grid's texts column by column (n_rows each), lines separated by <br>."""
    n_columns = len(texts[0]) // n_rows
    lines = [[text.split("<br>") for text in frame] for frame in texts]
    longest = np.array([[max(map(len, cell)) for cell in frame] for frame in lines]).max(axis=0)  # (columns·rows,)
    tallest = np.array([[len(cell) for cell in frame] for frame in lines]).max(axis=0)
    left = np.concatenate([[0], np.cumsum(longest.reshape(n_columns, n_rows).max(axis=1) + GRID_GAP)])
    heights = tallest.reshape(n_columns, n_rows).max(axis=0)
    top = np.concatenate([[0], np.cumsum(heights)])
    x = np.repeat(left[:-1], n_rows).astype(float)
    y = np.tile(-(top[:-1] + heights / 2), n_columns).astype(float)
    return x, y, float(left[-1]), float(top[-1])


def _make_room_below(layout: dict, n: int, grid_px: int) -> float:
    """Grow the figure by grid_px + GRID_TOP_GAP_PX and move subplots 1 … n and their titles up into its
    old height; returns the top (in paper units) of the room left at the bottom for grid_px."""
    plot_px = layout["height"] - ANIMATION_MARGIN["t"] - ANIMATION_MARGIN["b"]  # the plot area
    total = plot_px + grid_px + GRID_TOP_GAP_PX
    share = (grid_px + GRID_TOP_GAP_PX) / total

    def lift(y: float) -> float:
        return round(share + (1 - share) * y, 6)
    for j in range(1, n + 1):
        yaxis = layout[axis("yaxis", j)]
        yaxis["domain"] = [lift(y) for y in yaxis["domain"]]
    for note in layout["annotations"]:
        note["y"] = lift(note["y"])
    layout["height"] += grid_px + GRID_TOP_GAP_PX
    return round(grid_px / total, 6)


def _step_label(t: int, label: str) -> str:
    return f"{t} {label}" if _own_label(t, label) else str(t)


def _slider(steps: np.ndarray, step_labels) -> dict:
    """A slider with one position per frame; past SLIDER_MAX_LABELS frames the tick labels would overlap,
    so they are hidden and only the current value ("step t = …") is written."""
    jump = dict(mode="immediate", frame=dict(duration=0, redraw=False), transition=dict(duration=0))
    crowded = len(steps) > SLIDER_MAX_LABELS
    ticks = dict(ticklen=0, font=dict(color="rgba(0,0,0,0)")) if crowded else {}
    return dict(active=0, currentvalue=dict(prefix="step t = ", font=dict(size=14)), pad=dict(t=60),
                len=1.0, x=0.0, y=0, yanchor="top",  # under the buttons: beside them, a narrow window overlapped them
                **ticks, steps=[dict(method="animate", label=_step_label(int(t), step_labels[t]), args=[[str(t)], jump])
                       for t in steps])


PLAY_SPEEDS = {"▶ play": 80, "▶ slow": 320, "▶▶ fast": 20}  # button label → milliseconds per frame


def _play_pause() -> dict:
    """Play buttons at three speeds and pause, in a row above the step slider."""
    plays = [dict(label=label, method="animate", args=[None, dict(frame=dict(duration=ms, redraw=False),
                                                                    fromcurrent=True, transition=dict(duration=0))])
             for label, ms in PLAY_SPEEDS.items()]
    pause = dict(label="❚❚ pause", method="animate",
                 args=[[None], dict(frame=dict(duration=0, redraw=False), mode="immediate", transition=dict(duration=0))])
    return dict(type="buttons", direction="left", x=0.0, y=0, xanchor="left", yanchor="top", pad=dict(t=16),
                active=-1, buttons=[*plays, pause])  # none lit: Plotly lights the active one near-white


def time_bins(T: int, H: int, panels: int, budget: int = HEATMAP_VALUE_BUDGET) -> int:
    """Steps averaged per heatmap column so that panels × H × columns stays within budget."""
    columns = max(1, budget // max(1, panels * H))
    return math.ceil(T / columns)


def _binned(values: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(T, H) → ((C, H) means over bins of k steps, (C,) bin centres in steps)."""
    T = values.shape[0]
    starts = np.arange(0, T, k)
    means = np.add.reduceat(values.astype(np.float64), starts, axis=0) / np.diff(np.append(starts, T))[:, None]
    return means, starts + (np.minimum(starts + k, T) - 1 - starts) / 2


def state_heatmaps(states: dict[str, np.ndarray], current_step: int = 0,
                   budget: int = HEATMAP_VALUE_BUDGET, inputs: np.ndarray | None = None) -> go.Figure:
    """One units × time heatmap per state and gate, the current step marked by a vertical line; with
    `inputs`, the layer's input x_t above them (its own colour scale, read on hover).

    Args:
        states: name → (T, H).
        current_step: the step to mark.
        inputs: (T, I) the layer's input, or None.
    Returns:
        a figure with one heatmap trace per row (x_t first when given), z of shape (H or I, columns).
    """
    rows = ({"x": np.asarray(inputs)} if inputs is not None else {}) | states
    names = list(rows)
    T, H = states[list(states)[0]].shape
    k = time_bins(T, H, len(names), budget)
    layout = stacked_layout([STATE_TITLES[n] for n in names], "step t", spacing=0.04)
    data, marks = [], []
    for row, name in enumerate(names, start=1):
        means, centres = _binned(rows[name], k)
        data.append(dict(type="heatmap", z=_f32(means.T), x=_f32(centres), y=np.arange(means.shape[1]), name=name,
                         coloraxis=_coloraxis(name), xaxis=axis("x", row), yaxis=axis("y", row),
                         hovertemplate="t=%{x}<br>" + ("input" if name == "x" else "unit")
                                       + " %{y}<br>%{z:.3f}<extra>" + name + "</extra>"))
        layout[axis("yaxis", row)]["title"] = dict(text="input" if name == "x" else "unit")
        marks.append(dict(type="line", x0=current_step, x1=current_step, y0=0, y1=1, xref=axis("x", row),
                          yref=f"{axis('y', row)} domain", line=dict(color=TEXT, width=2, dash="dot")))
    note = _note([f"each column averages {k} steps" if k > 1 else ""])
    if T <= 30:  # whole steps only; Plotly would otherwise tick half steps
        layout[axis("xaxis", len(names))]["dtick"] = 1
    layout.update(title=dict(text=f"Units × time (current step t = {current_step} marked){note}"), shapes=marks,
                  height=170 * len(names) + 120, margin=dict(t=90, b=40), **_coloraxes(list(states), states))
    if inputs is not None:
        bound = _finite_bound(rows["x"])
        layout["coloraxis3"] = dict(colorscale="PuOr", cmin=-bound, cmax=bound, showscale=False)
    return figure(data, layout)


def _finite_bound(values: np.ndarray) -> float:
    finite = np.abs(values[np.isfinite(values)])
    return float(finite.max()) if finite.size and finite.max() > 0 else 1.0


def _coloraxis(name: str) -> str:
    if name == "x":
        return "coloraxis3"
    return "coloraxis" if name in ("i", "f", "o", "r", "z") else "coloraxis2"


def _coloraxes(names, states) -> dict:
    """Gates in (0, 1) share a sequential scale; states and tanh candidates a diverging one."""
    signed = [np.abs(states[n][np.isfinite(states[n])]) for n in names if _coloraxis(n) == "coloraxis2"]
    bound = max((float(a.max()) for a in signed if a.size), default=1.0)
    signed_names = ", ".join(n for n in names if _coloraxis(n) == "coloraxis2")  # h, c, g (LSTM); h, n (GRU)
    axes = {"coloraxis2": dict(colorscale="RdBu", reversescale=True, cmin=-bound, cmax=bound,
                               colorbar=dict(title=dict(text=signed_names), x=1.02, len=0.45, y=0.75))}
    if any(_coloraxis(n) == "coloraxis" for n in names):
        axes["coloraxis"] = dict(colorscale="Viridis", cmin=0, cmax=1,
                                 colorbar=dict(title=dict(text="gates"), x=1.12, len=0.45, y=0.25))
    return axes


def unit_lines(states: dict[str, np.ndarray], units, current_step: int = 0, inputs: np.ndarray | None = None,
               input_names=None) -> go.Figure:
    """Chosen units of h (and c) over time, one line each, the current step marked; with `inputs`, the
    layer's input x_t in a row above (its first MAX_INPUT_LINES features).

    Args:
        states: name → (T, H); "h" and, when present, "c" are drawn.
        units: unit indices to draw.
        inputs: (T, I) the layer's input, or None; input_names: I feature names (default x[k]).
    """
    title = f"Chosen units over time (current step t = {current_step} marked)"
    lines = [dict(type="scatter", x=np.arange(states[name].shape[0]), y=_f32(states[name][:, j]), mode="lines",
                  name=f"{name}[{j}]", line=dict(dash="solid" if name == "h" else "dot"))
             for name in ("h", "c") if name in states for j in units]
    if inputs is None:
        mark = dict(type="line", x0=current_step, x1=current_step, y0=0, y1=1, xref="x", yref="y domain",
                    line=dict(color=TEXT, width=1, dash="dot"))
        return figure(lines, dict(title=dict(text=title), xaxis=dict(title=dict(text="step t")),
                                  yaxis=dict(title=dict(text="value")), shapes=[mark], height=360,
                                  margin=dict(t=60, b=40)))
    return _lines_under_inputs(lines, np.asarray(inputs), input_names, current_step, title)


MAX_INPUT_LINES = 4  # input features drawn above the unit lines; the step table lists the rest


def _lines_under_inputs(lines: list[dict], inputs: np.ndarray, names, current_step: int, title: str) -> go.Figure:
    """The unit lines in a lower row (2/3 of the height), the input's first features in a row above."""
    I = inputs.shape[1]
    names = list(names) if names is not None else [f"x[{k}]" for k in range(I)]
    shown = min(I, MAX_INPUT_LINES)
    layout = stacked_layout(["x_t  the layer's input" + (f" (first {shown} of {I})" if I > shown else ""),
                             "h (solid) and c (dotted) of the chosen units"], "step t", spacing=0.1)
    layout["yaxis"]["domain"], layout["yaxis2"]["domain"] = [0.72, 1.0], [0.0, 0.62]
    layout["annotations"][0]["y"], layout["annotations"][1]["y"] = 1.0, 0.62
    inputs_data = [dict(type="scatter", x=np.arange(inputs.shape[0]), y=_f32(inputs[:, k]), mode="lines",
                        name=names[k], line=dict(color="grey", dash=("solid", "dash", "dot", "dashdot")[k]),
                        xaxis="x", yaxis="y") for k in range(shown)]
    for line in lines:
        line.update(xaxis="x2", yaxis="y2")
    marks = [dict(type="line", x0=current_step, x1=current_step, y0=0, y1=1, xref=axis("x", row),
                  yref=f"{axis('y', row)} domain", line=dict(color=TEXT, width=1, dash="dot")) for row in (1, 2)]
    layout.update(title=dict(text=title), shapes=marks, height=480, margin=dict(t=70, b=40))
    layout["yaxis2"]["title"] = dict(text="value")
    return figure(inputs_data + lines, layout)


def order_matters(forward_final: np.ndarray, reversed_final: np.ndarray, step_labels,
                  max_units: int = MAX_BAR_UNITS) -> go.Figure:
    """Final states of the same module on the sequence in order and reversed, side by side.

    Args:
        forward_final, reversed_final: (H,) final hidden states.
        step_labels: the labels of the sequence in order (the first and last few name the panels).
    """
    H = forward_final.shape[0]
    units = shown_units(H, max_units)
    gap = float(np.linalg.norm(forward_final.astype(np.float64) - reversed_final))
    titles = [f"in order: {_sequence_name(step_labels)}", f"reversed: {_sequence_name(step_labels[::-1])}"]
    lines = max(title.count("<br>") for title in titles) + 1
    data, layout = [], row_layout(titles, gap=0.06)
    for col, (final, color) in enumerate(((forward_final, "#1f77b4"), (reversed_final, "#ff7f0e")), start=1):
        data.append(dict(type="bar", x=units, y=_f32(final[units]), marker=dict(color=color), showlegend=False,
                         name=titles[col - 1].split(":")[0], xaxis=axis("x", col), yaxis=axis("y", col)))
        layout[axis("xaxis", col)]["title"] = dict(text="unit j")
        layout[axis("yaxis", col)].update({"matches": "y", "showticklabels": False} if col == 2
                                          else {"title": dict(text="final h")})
    title = f"Same steps, reverse order → final state moves by ‖Δh‖ = {gap:.3g}" + _note([_units_note(len(units), H)])
    extra = ORDER_TITLE_LINE_PX * (lines - 1)
    layout.update(title=dict(text=title), height=360 + extra, margin=dict(t=100 + extra, b=40))
    return figure(data, layout)


def _sequence_name(step_labels, shown: int = 3) -> str:
    """The first and last labels, joined by arrows; a name longer than ORDER_TITLE_CHARS takes a line
    per label (two panels share the figure's width)."""
    labels = [str(s) for s in step_labels]
    if len(labels) > shown:
        labels = [labels[0], "…", f"{labels[-1]} ({len(labels)} steps)"]
    name = " → ".join(labels)
    return name if len(name) <= ORDER_TITLE_CHARS else " →<br>".join(labels)


def parameter_counts(counts: dict[str, ParamCount], description: str) -> go.Figure:
    """Stacked bars of input weights, recurrent weights and biases per kind, with the ratio to the RNN.

    Args:
        counts: kind → ParamCount (e.g. `seqviz.cell.params.compare_kinds`).
        description: the sizes, e.g. "I=3, H=16, 1 layer".
    """
    kinds = list(counts)
    labels = [KIND_LABELS[k] for k in kinds]
    data = [dict(type="bar", x=labels, y=[getattr(counts[k], part) for k in kinds], name=title)
            for part, title in (("input_weights", "input weights W_i·"), ("recurrent_weights", "recurrent weights W_h·"),
                                ("biases", "biases b_i·, b_h·"))]
    base = counts["rnn"].total if "rnn" in counts else None
    totals = [dict(x=label, y=counts[kind].total, showarrow=False, yshift=12,
                   text=f"{counts[kind].total:,}" + (f" ({counts[kind].total / base:.2f}× RNN)" if base else ""))
              for label, kind in zip(labels, kinds)]
    return figure(data, dict(barmode="stack", title=dict(text=f"Parameters for {description}: about n², 4n², 3n²"),
                              yaxis=dict(title=dict(text="parameters")), annotations=totals, height=380,
                              margin=dict(t=60, b=40)))


PASS_TITLES = {"f": "forget gate f_t (mean over units): dL/dc_t−1 = f_t · dL/dc_t",
               "z": "update gate z_t (mean over units): the share passed straight to h_t−1",
               "tanh′": "tanh′ = 1 − h_t² (mean over units): the factor each step multiplies in",
               "ReLU′": "share of units with h_t > 0: only they pass the gradient on"}


def backward_animation(backward: BackwardPass, step_labels) -> go.Figure:
    """The backward pass played from the last step back to step 0: ‖dL/dh_t‖ revealed step by step (log
    scale, top) over the factor it passes through at each step (bottom), a marker on the current step.

    Frames are in the order the gradient travels (t = T−1 first); each frame's title says how far the
    gradient has fallen since the last step, in powers of ten."""
    T = len(backward.grad_norm)
    with np.errstate(divide="ignore"):
        log_norm = np.log10(backward.grad_norm)
    log_norm = np.where(np.isfinite(log_norm), log_norm, np.nan)
    steps = frame_steps(T, 2 * T)[::-1]
    steps = np.unique(np.concatenate([[T - 1], steps]))[::-1]  # always start at the last step
    (name, factor), = backward.passes.items()
    layout = stacked_layout(["log₁₀ ‖dL/dh_t‖, revealed as the gradient travels back", PASS_TITLES[name]],
                            "step t", spacing=0.14)
    data = [_revealed(log_norm, int(steps[0])), _here(log_norm, int(steps[0])),
            dict(type="scatter", x=np.arange(T), y=_f32(factor), mode="lines", name=name, xaxis="x2", yaxis="y2",
                 line=dict(color=COLORS.get(name, TEXT))),
            _here_line(factor, int(steps[0]))]
    frames = [dict(name=str(t), traces=[0, 1, 3], data=[_revealed(log_norm, int(t)), _here(log_norm, int(t)),
                                                         _here_line(factor, int(t))],
                   layout=dict(title=dict(text=_fall_title(log_norm, int(t))))) for t in steps]
    layout["yaxis"]["title"] = dict(text="log₁₀ norm")
    layout["yaxis2"]["range"] = [0, 1.02]  # every factor is a mean of numbers in [0, 1]
    layout.update(title=dict(text=_fall_title(log_norm, int(steps[0]))), showlegend=False, height=600,
                  updatemenus=[_play_pause()], sliders=[_slider(steps, step_labels)], margin=ANIMATION_MARGIN)
    layout["sliders"][0]["currentvalue"]["prefix"] = "gradient at step t = "
    layout["updatemenus"][0]["pad"], layout["sliders"][0]["pad"] = dict(t=72), dict(t=116)  # below the axis title
    layout["margin"] = dict(ANIMATION_MARGIN, b=230)
    finite = log_norm[np.isfinite(log_norm)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 1.0)
    layout["yaxis"]["range"] = [low - 0.05 * (high - low) - 0.5, high + 0.05 * (high - low) + 0.5]  # fixed: frames
    layout["xaxis"]["range"] = [-0.5, T - 0.5]  # do not rescale the axes as they reveal steps
    _redraw_frames(layout)  # each frame changes the title too, which needs a redraw
    return figure(data, layout, frames)


def _revealed(log_norm: np.ndarray, t: int) -> dict:
    shown = np.where(np.arange(len(log_norm)) >= t, log_norm, np.nan)
    return dict(type="scatter", x=np.arange(len(log_norm)), y=_f32(shown), mode="lines", name="log₁₀ ‖dL/dh_t‖",
                line=dict(color=COLORS["h"]), connectgaps=False)


def _here(log_norm: np.ndarray, t: int) -> dict:
    return dict(type="scatter", x=[t], y=[None if np.isnan(log_norm[t]) else float(log_norm[t])], mode="markers",
                marker=dict(size=11, color=COLORS["h"]), name="now")


def _here_line(factor: np.ndarray, t: int) -> dict:
    return dict(type="scatter", x=[t, t], y=[0, 1.02], mode="lines", line=dict(color=TEXT, dash="dot", width=1),
                xaxis="x2", yaxis="y2", name="now", hoverinfo="skip")


def _fall_title(log_norm: np.ndarray, t: int) -> str:
    """'Backward pass at step t = 37: ‖dL/dh_t‖ is 10^−3.2 of its size at the last step'."""
    start, here = log_norm[-1], log_norm[t]
    if t == len(log_norm) - 1:
        return f"Backward pass: the gradient starts at the last step, t = {t}; press play to follow it back"
    if np.isnan(here) or np.isnan(start):
        return f"Backward pass at step t = {t}: ‖dL/dh_t‖ is exactly 0 here (it underflowed)"
    return (f"Backward pass at step t = {t}: ‖dL/dh_t‖ is 10^{here - start:+.1f} of its size at the last step"
            .replace("-", "−"))


def _redraw_frames(layout: dict) -> None:
    """Make the play buttons and the slider redraw at each frame (titles change, not only traces)."""
    for button in layout["updatemenus"][0]["buttons"]:
        if button["args"][0] is None:
            button["args"][1]["frame"]["redraw"] = True
    for step in layout["sliders"][0]["steps"]:
        step["args"][1]["frame"]["redraw"] = True

