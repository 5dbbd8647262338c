"""Widgets whose values live in session state and are mirrored in the URL query string.

A page creates its controls with these helpers; the first run of a session reads each value from
the URL (ignoring values that are out of bounds or not among the options), and every run writes
the values that differ from their defaults back, so a copied link reproduces what is on screen.

The browser keeps one history entry per URL the app sends. `url_batch` (around app.py's run) sends
a full run's writes in one message, and a page at its defaults writes none: visiting a page adds one
entry, a change of a control one more. Back and Forward then move between those: where the URL of
the page on screen differs from the one the last run left, its values win over the remembered ones.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Sequence
from urllib.parse import quote

import streamlit as st

from seqviz.figures.cell import StepScrub
from seqviz.ui.components import instant
from seqviz.ui.components.scrubber import step_scrubber

_BATCH = "_url_batch"  # key → URL text (None: remove) written by the running full run; absent outside url_batch
_LAST_RUN = "_url_last_run"  # (page, the keys its last full run wrote) of the last run
_LEFT = "_url_left"  # page → the query params its last run left in the URL
URL_TEXT_BYTES = 2_000  # the longest typed text (percent-encoded) a link carries


@contextmanager
def url_batch(page: str):
    """Around a full run of app.py showing `page` (its URL path): follow the URL where the browser moved
    since the last run of the same page (Back/Forward), and at the end send the URL of the run's own
    keys (a key another page left there goes) in one message."""
    _forget_moved_values(page)
    st.session_state[_BATCH] = {}
    try:
        yield
    finally:
        written = st.session_state.pop(_BATCH)
        _write_query(written)
        _record(page, set(written))


def _record(page: str, keys: set) -> None:
    st.session_state[_LAST_RUN] = (page, keys)
    st.session_state.setdefault(_LEFT, {})[page] = st.query_params.to_dict()


def link_query(page: str, shared: Sequence[str]) -> dict:
    """Query params for a link to `page` (its URL path): those its last run left, with the `shared` keys'
    (the sidebar's) as this run writes them. Following the link then adds one history entry, with the
    URL the page will keep, rather than a bare one the page's run would extend. Call after drawing the
    `shared` controls."""
    batch = st.session_state.get(_BATCH, {})
    own = {k: v for k, v in st.session_state.get(_LEFT, {}).get(page, {}).items() if k not in shared}
    return {**own, **{k: batch[k] for k in shared if batch.get(k) is not None}}


def _forget_moved_values(page: str) -> None:
    """Forget the remembered value of each of `page`'s keys whose URL value moved since its last run, so
    its control reads the URL (or its default, where the key left it)."""
    last_page, keys = st.session_state.get(_LAST_RUN, (None, set()))
    if last_page != page:
        return
    now, left = st.query_params.to_dict(), st.session_state[_LEFT][page]
    for key in keys:
        if now.get(key) != left.get(key):
            st.session_state.pop(key, None)


def _write_query(wanted: dict) -> None:
    """Make the URL's query `wanted` (key → text; None: left out) in one message, if it is not already."""
    wanted = {k: v for k, v in wanted.items() if v is not None}
    if wanted != st.query_params.to_dict():
        st.query_params.from_dict(wanted)


def _from_url(key: str, parse, default, label: str | None = None):
    """Session value for `key`: existing, else parsed from the URL, else `default`; a URL value the
    control does not take is ignored, and a toast names it (once: the session keeps the default)."""
    if key not in st.session_state:
        raw = st.query_params.get(key)
        try:
            value = default if raw is None else parse(raw)
        except (TypeError, ValueError, KeyError):
            value = default
            st.toast(f"The link's value {raw[:40]!r} for “{label or key}” is not one it takes: it shows its "
                     "default instead.", icon=":material/link_off:")
        st.session_state[key] = value
    return st.session_state[key]


def _to_url(key: str, value, default) -> None:
    """Mirror `value` in the URL, or remove `key` from it at the default: at once, or with the full run's
    other writes inside `url_batch`."""
    text = None if value == default else _url_text(value)
    if _BATCH in st.session_state:
        st.session_state[_BATCH][key] = text
        return
    _write_query({**st.query_params.to_dict(), key: text})
    if _LAST_RUN in st.session_state:  # a fragment's run: what the next full run compares the URL with
        page, keys = st.session_state[_LAST_RUN]
        _record(page, keys | {key})


def url_keep(key: str, text: str | None) -> None:
    """Keep `key` = `text` in the URL this run writes (None: leave it out), for a value held without a widget
    (a lesson's name and step, seqviz.ui.lessons): url_batch writes only the keys its run wrote."""
    _to_url(key, text, None)


def _url_text(value) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(int(value) if isinstance(value, bool) else value)


def _in_options(options: Sequence):
    def parse(raw: str):
        for option in options:
            if str(option) == raw:
                return option
        raise ValueError(raw)
    return parse


def _bounded(cast, lo, hi, step=None):
    """Parse a URL value of a number control: within [lo, hi] and, with a `step`, on its grid lo + k·step."""
    def parse(raw: str):
        value = cast(raw)
        if not lo <= value <= hi or (step is not None and not _on_grid(value, lo, step)):
            raise ValueError(raw)
        return value
    return parse


def _on_grid(value, lo, step) -> bool:
    k = (value - lo) / step
    return abs(k - round(k)) < 1e-9


def _bound(widget, label: str, options_or_bounds: tuple, key: str, parse, default, **kwargs):
    """Seed `key` from the URL, draw `widget(label, *options_or_bounds, key=key)`, mirror it back.

    The value persists for the session while the widget is not drawn: a run that stopped at an error
    message above it, or a visit to another page, would otherwise drop it (and a tab choice dropped
    that way came back empty in the browser)."""
    _from_url(key, parse, default, label)
    value = widget(label, *options_or_bounds, key=key, persist_state="session", **kwargs)
    _to_url(key, value, default)
    return value


def _strict_labels(options: Sequence, kwargs: dict) -> dict:
    """Make a `format_func` refuse non-options, so a caller holding only a label (AppTest) gets it back as is."""
    if "format_func" not in kwargs:
        return kwargs
    label_of = kwargs["format_func"]

    def format_option(value):
        if value not in options:
            raise ValueError(f"{value!r} is not one of the options")
        return label_of(value)
    return {**kwargs, "format_func": format_option}


def url_selectbox(label: str, options: Sequence, key: str, default=None, container=st, **kwargs):
    """st.selectbox bound to `key` and to the URL; `default` must be one of `options`."""
    default = options[0] if default is None else default
    return _bound(container.selectbox, label, (options,), key, _in_options(options), default,
                  **_strict_labels(options, kwargs))


def url_radio(label: str, options: Sequence, key: str, default=None, container=st, **kwargs):
    """st.radio bound to `key` and to the URL."""
    default = options[0] if default is None else default
    return _bound(container.radio, label, (options,), key, _in_options(options), default,
                  **_strict_labels(options, kwargs))


def url_segmented(label: str, options: Sequence, key: str, default=None, container=st, **kwargs):
    """st.segmented_control (one option always selected) bound to `key` and to the URL: a row of buttons
    that a click selects, which as a page's main control redraws its chart sooner than a horizontal
    st.radio with the same options."""
    default = options[0] if default is None else default
    return _bound(container.segmented_control, label, (options,), key, _in_options(options), default,
                  selection_mode="single", required=True, **_strict_labels(options, kwargs))


def _clamp_remembered(key: str, lo, hi) -> None:
    """Move a remembered value that the bounds no longer allow (e.g. a step after T shrank) to the nearest bound."""
    value = st.session_state.get(key)
    if value is not None and not lo <= value <= hi:
        st.session_state[key] = min(max(value, lo), hi)


def url_slider(label: str, min_value, max_value, key: str, default, container=st, **kwargs):
    """st.slider (single value, int or float) bound to `key` and to the URL, clamped to its bounds; a URL
    value off the slider's steps is ignored like one out of bounds (its arrow keys would keep it off them)."""
    parse = _bounded(float if isinstance(default, float) else int, min_value, max_value, kwargs.get("step"))
    _clamp_remembered(key, min_value, max_value)
    return _bound(container.slider, label, (min_value, max_value), key, parse, default, **kwargs)


def url_step_scrubber(label: str, spec: StepScrub, key: str, default: int = 0, help: str | None = None) -> int:
    """The step slider of `spec` (from `seqviz.figures.cell.step_scrub`), drawn in the browser with the
    chart it drives (seqviz.ui.components.scrubber), bound to `key` and to the URL like url_slider over
    0 … T − 1."""
    last = spec["steps"] - 1
    _clamp_remembered(key, 0, last)
    _from_url(key, _bounded(int, 0, last), default, label)
    step_scrubber(label, spec, key, help)
    t = st.session_state[key]
    _to_url(key, t, default)
    return t


def url_seed(key: str, default, options: Sequence | None = None, label: str | None = None):
    """The session's value of `key`, seeded from the URL (or `default`) without drawing its control: for a value a
    page needs before the control that shows it (a url_* helper with the same key) is drawn. `options`: the
    values the control takes (else any text)."""
    return _from_url(key, str if options is None else _in_options(options), default, label)


def url_instant_choice(label: str, options: Sequence, key: str, charts: Callable[[object], dict] | None,
                       default=None, format_func=str, help: str | None = None) -> tuple[object, instant.Chart | None]:
    """One of `options` as a row of buttons drawn with the chart it drives (seqviz.ui.components.instant), bound to
    `key` and to the URL like url_segmented. `charts(value)` gives the charts to send (option → Chart; an
    option it leaves out waits for the server); None draws the control alone.

    Returns the value and its chart, if it had one (else the page draws what the value asks for)."""
    default = options[0] if default is None else default
    control = instant.ChoiceControl(kind="choice", options=[[str(o), format_func(o)] for o in options])
    return _url_instant(label, control, key, default, _in_options(options), charts, help,
                        lambda: url_segmented(label, options, key, default, format_func=format_func, help=help))


def url_instant_select(label: str, options: Sequence, key: str, charts: Callable[[object], dict] | None,
                       default=None, format_func=str, help: str | None = None) -> tuple[object, instant.Chart | None]:
    """One of `options` as a drop-down list drawn with the chart it drives (seqviz.ui.components.instant), bound to
    `key` and to the URL like url_selectbox: for more options than a row of buttons holds. `charts` and the result
    as in url_instant_choice."""
    default = options[0] if default is None else default
    control = instant.SelectControl(kind="select", options=[[str(o), format_func(o)] for o in options])
    return _url_instant(label, control, key, default, _in_options(options), charts, help,
                        lambda: url_selectbox(label, options, key, default, format_func=format_func, help=help))


def url_instant_number(label: str, min_value: int, max_value: int, key: str, default: int, step: int,
                       charts: Callable[[int], dict] | None,
                       help: str | None = None) -> tuple[int, instant.Chart | None]:
    """A whole number with − and + buttons (by `step`) drawn with the chart it drives (seqviz.ui.components.instant),
    bound to `key` and to the URL like url_number; `charts` and the result as in url_instant_choice."""
    _clamp_remembered(key, min_value, max_value)
    control = instant.RangeControl(kind="number", min=min_value, max=max_value, step=step)
    return _url_instant(label, control, key, default, _bounded(int, min_value, max_value), charts, help,
                        lambda: url_number(label, min_value, max_value, key, default, step=step, help=help))


def url_instant_slider(label: str, min_value: int, max_value: int, key: str, default: int, step: int,
                       charts: Callable[[int], dict] | None,
                       help: str | None = None) -> tuple[int, instant.Chart | None]:
    """A whole-number slider over min_value, min_value + step, … max_value drawn with the chart it drives
    (seqviz.ui.components.instant), bound to `key` and to the URL like url_slider; `charts` and the result as in
    url_instant_choice."""
    _clamp_remembered(key, min_value, max_value)
    control = instant.RangeControl(kind="slider", min=min_value, max=max_value, step=step)
    return _url_instant(label, control, key, default, _bounded(int, min_value, max_value, step), charts, help,
                        lambda: url_slider(label, min_value, max_value, key, default, step=step, help=help))


def _url_instant(label: str, control: instant.Control, key: str, default, parse, charts, help, fallback) -> tuple:
    """Seed `key` from the URL, draw the instant view of `control` with `charts(value)`, mirror it back;
    where plotly.js cannot be served, `fallback()` draws Streamlit's own widget and the value's chart."""
    if not instant.available():
        value = fallback()
        return value, _chart_on_server(charts, value)
    value = _from_url(key, parse, default, label)
    sent = None if charts is None else charts(value)
    instant.instant_view(label, control, key, sent, parse, help)
    _to_url(key, value, default)
    return value, None if sent is None else sent.get(value)


def _chart_on_server(charts: Callable | None, value) -> instant.Chart | None:
    sent = None if charts is None else charts(value)  # None: the value cannot be computed, the page says why
    chart = None if sent is None else sent.get(value)
    instant.show_on_server(chart)
    return chart


def url_number(label: str, min_value, max_value, key: str, default, container=st, **kwargs):
    """st.number_input bound to `key` and to the URL, clamped to its bounds."""
    parse = _bounded(float if isinstance(default, float) else int, min_value, max_value)
    _clamp_remembered(key, min_value, max_value)
    return _bound(container.number_input, label, (min_value, max_value), key, parse, default, **kwargs)


def url_toggle(label: str, key: str, default: bool = False, container=st, unavailable: str | None = None,
               **kwargs) -> bool:
    """st.toggle bound to `key` and to the URL ("1"/"0").

    With `unavailable` (the reason, shown as its help), the toggle is drawn off and disabled and returns
    False; the visitor's own choice is kept, and comes back when the toggle applies again."""
    _from_url(key, lambda raw: {"1": True, "0": False}[raw] if raw in ("0", "1") else _fail(raw), default, label)
    if unavailable is not None:
        container.toggle(label, value=False, key=f"{key}_unavailable", disabled=True, help=unavailable)
        return False
    value = container.toggle(label, key=key, persist_state="session", **kwargs)
    _to_url(key, value, default)
    return value


def _fail(raw):
    raise ValueError(raw)


def url_multiselect(label: str, options: Sequence, key: str, default: Sequence = (), container=st, **kwargs) -> list:
    """st.multiselect bound to `key` and to the URL (comma-separated); unknown options are dropped, and
    those past `max_selections` (if given)."""
    def parse(raw: str) -> list:
        return [option for option in options if str(option) in raw.split(",")]
    _from_url(key, parse, list(default), label)
    st.session_state[key] = [value for value in st.session_state[key] if value in options][:kwargs.get("max_selections")]
    values = container.multiselect(label, options, key=key, persist_state="session", **_strict_labels(options, kwargs))
    _to_url(key, values, list(default))
    return values


def url_text(label: str, key: str, default: str = "", container=st, **kwargs) -> str:
    """st.text_input bound to `key` and to the URL; `max_chars` (if given) also bounds the URL value."""
    return _url_text_widget(container.text_input, label, key, default, container, kwargs)


def url_text_area(label: str, key: str, default: str = "", container=st, **kwargs) -> str:
    """st.text_area bound to `key` and to the URL, like `url_text`."""
    return _url_text_widget(container.text_area, label, key, default, container, kwargs)


def _url_text_widget(widget, label: str, key: str, default: str, container, kwargs: dict) -> str:
    """Seed `key` from the URL, draw the text widget, mirror its value back when a link can carry it.

    A text longer than URL_TEXT_BYTES percent-encoded is left out of the URL (web servers refuse a
    request line of 8-16 KiB, and a link's other values need room too), and the page says so."""
    limit = kwargs.get("max_chars")
    _from_url(key, lambda raw: raw if limit is None or len(raw) <= limit else _fail(raw), default, label)
    value = widget(label, key=key, persist_state="session", **kwargs)
    linkable = len(quote(value, safe="")) <= URL_TEXT_BYTES
    _to_url(key, value if linkable else default, default)
    if not linkable:
        container.caption(f"This text is too long for a link ({len(value):,} characters): a copied link opens the "
                          "view with the default text.")
    return value


def url_tab(label: str, tabs: Sequence[str], key: str) -> str:
    """Which of `tabs` (alternative charts of one section) to build: a segmented control (`label` hidden,
    one button per tab) bound to `key` and to the URL, so a page builds and sends only the chosen one.

    Not st.tabs: a tab panel watches every change in its subtree and then looks for a focusable
    element in it, which made Chromium recompute styles while each redrawn chart inside it was
    being drawn."""
    return url_segmented(label, tabs, key=key, label_visibility="collapsed")
