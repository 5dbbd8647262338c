"""Drive any page's widgets through valid values in AppTest, with no knowledge of the page.

Valid means what the widget itself declares: a slider's or number input's min, max and step, a
selectbox's, radio's, segmented control's or multiselect's options. Widgets without such a
declaration (text, dates, files) are left alone. Used by tests/pages/test_page_robustness.py.

Options are chosen by their displayed text, as AppTest does; this is exact for options whose
format function is str (the url_* helpers' default) or raises on a label. A page's COSTLY_CONTROLS
({label: cap}) keep training budgets at or under their caps, so a run stays short: a slider's or number's
range ends at the cap, and a choice's numeric options above it are left out.
"""
from __future__ import annotations

import json
import math

from hypothesis import strategies as st
from streamlit.proto.NumberInput_pb2 import NumberInput as NumberInputProto
from streamlit.proto.Slider_pb2 import Slider as SliderProto

from harness.apptest import ROOT, app_test
from seqviz.ui.components.instant import WIDGET_SUFFIX
from seqviz.ui.registry import page_constants

WIDGET_TYPES = ("slider", "select_slider", "number_input", "selectbox", "radio", "button_group", "multiselect",
                "toggle", "checkbox", "button")
NUMBER_INPUT_SPAN = 100  # steps each side of the current value when a number input has no bound


class InstantControl:
    """An instant view's control (seqviz.ui.components.instant) as the drivers see a widget: label, key, and options
    (their texts; the instant choices' options are strings) or bounds. AppTest cannot click in the
    browser, so a value is set the way the server moves the control: in its session key, as the type it holds
    there (an instant list's option texts stand for numbers where its options are numbers)."""

    def __init__(self, at, element):
        data = json.loads(element.proto.json)
        self.at, self.label, self.key = at, data["label"], element.key.removesuffix(WIDGET_SUFFIX)
        self.value = data["value"]
        control = data["control"]
        if control["kind"] in ("choice", "select"):
            self.options = [text for text, _ in control["options"]]
        else:
            self.min, self.max, self.step = control["min"], control["max"], control["step"]

    def set_value(self, value) -> None:
        held = self.at.session_state[self.key]
        numeric = isinstance(held, (int, float)) and not isinstance(held, bool) and isinstance(value, str)
        self.at.session_state[self.key] = type(held)(value) if numeric else value


def widgets(at) -> list:
    """Every drivable widget on the page (main area and sidebar), in page order per type; instant
    views' controls last."""
    instant = [InstantControl(at, el) for el in at.get("bidi_component") if el.key and el.key.endswith(WIDGET_SUFFIX)]
    return [w for kind in WIDGET_TYPES for w in at.get(kind) if _drivable(w)] + instant


def widget_name(widget) -> str:
    return f"{type(widget).__name__}({widget.key or widget.label!r})"


def _drivable(widget) -> bool:
    if getattr(widget, "disabled", False):
        return False
    if type(widget).__name__ == "Slider":
        return widget.data_type in (SliderProto.INT, SliderProto.FLOAT)
    if hasattr(widget, "options"):
        return len(widget.options) > 0
    return True


def _grid(low: float, high: float, step: float, integer: bool):
    """Values low, low + step, … ≤ high, as the widget's own type."""
    count = int(math.floor((high - low) / step + 1e-9))
    cast = int if integer else (lambda v: round(v, 12))
    return st.integers(0, count).map(lambda k: cast(min(high, low + k * step)))


def _is_integer(widget) -> bool:
    if isinstance(widget, InstantControl):
        return True
    if type(widget).__name__ == "Slider":
        return widget.data_type == SliderProto.INT
    return widget.proto.data_type == NumberInputProto.INT


def costly_caps(relative_path: str) -> dict[str, float]:
    """The page's COSTLY_CONTROLS: widget label → the highest value the drivers may give it."""
    return page_constants(ROOT / relative_path).get("COSTLY_CONTROLS", {})


def _bounds(widget, caps: dict | None = None) -> tuple[float, float]:
    """A slider's or number input's (min, max) under its cost cap, as ints for integer widgets."""
    low, high = (widget.min, widget.max) if type(widget).__name__ in ("Slider", "InstantControl") else _number_bounds(widget)
    high = min(high, (caps or {}).get(widget.label, high))
    return (int(low), int(high)) if _is_integer(widget) else (low, high)


def _number_bounds(widget) -> tuple[float, float]:
    step = widget.step or 1
    value = widget.value if widget.value is not None else 0
    low = widget.min if widget.min is not None else value - NUMBER_INPUT_SPAN * step
    high = widget.max if widget.max is not None else value + NUMBER_INPUT_SPAN * step
    return low, high


def value_strategy(widget, caps: dict | None = None):
    """A Hypothesis strategy of valid values for `widget`, drawing its bounds often."""
    kind = type(widget).__name__
    if kind in ("Slider", "NumberInput") or (kind == "InstantControl" and not hasattr(widget, "options")):
        low, high = _bounds(widget, caps)
        single = st.one_of(st.just(low), st.just(high), _grid(low, high, widget.step or 1, _is_integer(widget)))
        if isinstance(widget.value, (list, tuple)):
            return st.tuples(single, single).map(lambda pair: tuple(sorted(pair)))
        return single
    if kind == "Multiselect":
        most = widget.max_selections or len(widget.options)
        return st.lists(st.sampled_from(widget.options), unique=True, max_size=most)
    if hasattr(widget, "options"):
        return st.sampled_from(_options(widget, caps))
    return st.booleans()


def bound_value(widget, side: str, caps: dict | None = None):
    """The widget's lowest ("low") or highest ("high") valid value."""
    kind = type(widget).__name__
    if kind in ("Slider", "NumberInput") or (kind == "InstantControl" and not hasattr(widget, "options")):
        value = _bounds(widget, caps)[0 if side == "low" else 1]
        return (value, value) if isinstance(widget.value, (list, tuple)) else value
    if kind == "Multiselect":
        return [] if side == "low" else widget.options[:widget.max_selections or len(widget.options)]
    if hasattr(widget, "options"):
        return _options(widget, caps)[0 if side == "low" else -1]
    return side == "high"


def _options(widget, caps: dict | None = None) -> list:
    """A choice widget's options, without the numbers above its cost cap (a selectbox of context lengths)."""
    cap = (caps or {}).get(widget.label)
    if cap is None:
        return list(widget.options)
    kept = [option for option in widget.options if _number(option) is None or _number(option) <= cap]
    assert kept, f"{widget.label!r}: every option is above its cap {cap}"
    return kept


def _number(text) -> float | None:
    try:
        return float(str(text).replace(",", ""))
    except ValueError:
        return None


def apply(widget, value) -> None:
    if type(widget).__name__ == "Button":
        if value:
            widget.click()
    else:
        widget.set_value(value)


def run_checked(at, settings: dict) -> None:
    """Run the page and fail with the settings that led to an exception."""
    at.run()
    assert not at.exception, f"{settings} raised:\n" + "\n".join(
        f"{e.proto.type}: {e.value}\n" + "\n".join(e.proto.stack_trace[-4:]) for e in at.exception)


def set_every_widget(at, choose, rounds: int = 2) -> dict:
    """Give each widget a value from `choose(widget)` and run; widgets that appear are set next round."""
    settings: dict[str, object] = {}
    for _ in range(rounds):
        fresh = [w for w in widgets(at) if widget_name(w) not in settings]
        if not fresh:
            break
        for widget in fresh:
            settings[widget_name(widget)] = value = choose(widget)
            apply(widget, value)
        run_checked(at, settings)
    return settings


def drive_bounds(relative_path: str) -> None:
    """Every widget at its lowest valid value, then every widget at its highest, in fresh sessions."""
    for side in ("low", "high"):
        at = app_test(relative_path)
        run_checked(at, {})
        set_every_widget(at, lambda w, side=side: bound_value(w, side, costly_caps(relative_path)))


def drive_randomly(relative_path: str, draw) -> None:
    """One fresh session whose widgets take values drawn with `draw` (Hypothesis' data.draw)."""
    at = app_test(relative_path)
    run_checked(at, {})
    caps = costly_caps(relative_path)
    set_every_widget(at, lambda w: draw(value_strategy(w, caps), label=widget_name(w)))
