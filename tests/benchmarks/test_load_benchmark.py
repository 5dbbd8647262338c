"""benchmarks/load.py's protocol-level visitor drives the browser-side controls as their scripts report
a change (seqviz/ui/components/instant/instant.js, seqviz/ui/components/scrubber/scrubber.js)."""
import json

from streamlit.proto.BidiComponent_pb2 import BidiComponent

from benchmarks.load import Widget, choices, widget_state


def component(kind: str, data: dict) -> Widget:
    return Widget(kind, BidiComponent(id="$$ID-x-key"), True, "", data)


def test_an_instant_choice_offers_its_other_options_and_reports_a_pick_with_its_sequence_number():
    widget = component("instant", {"label": "Task", "value": "sort", "seq": "ab:3",
                                   "control": {"kind": "choice", "options": [["reverse", "R"], ["sort", "S"], ["dates", "D"]]}})
    assert choices(widget) == ["reverse", "dates"]
    state = widget_state(widget, "dates")
    assert state.id == "$$ID-x-key" and json.loads(state.json_value) == {"pick": {"value": "dates", "seq": "ab:3"}}


def test_an_instant_number_offers_its_grid_and_a_scrubber_its_steps():
    number = component("instant", {"label": "T", "value": 20, "seq": "ab:1",
                                   "control": {"kind": "number", "min": 10, "max": 40, "step": 10}})
    assert choices(number) == [10, 30, 40]
    scrubber = component("scrubber", {"label": "t", "steps": 3, "t": 1, "seq": "cd:2"})
    assert choices(scrubber) == [0, 2]
    assert json.loads(widget_state(scrubber, 2).json_value) == {"t": {"t": 2, "seq": "cd:2"}}
