"""The payloads sent to the browser components are described once on each side: each TypedDict in
Python has a JSDoc typedef of the same name and the same fields in the component's JavaScript."""
import re
from pathlib import Path

import pytest

from seqviz.figures import cell
from seqviz.ui.components import instant, scrubber

COMPONENTS = Path(instant.__file__).resolve().parents[1]
TYPEDEF = re.compile(r"@typedef \{Object\} (\w+)\n(.*?)\*/", re.S)
PROPERTY = re.compile(r"@property \{[^}]*\} (\w+)")


def typedefs(js: Path) -> dict[str, set[str]]:
    """Each JSDoc `@typedef {Object}` of `js` → the names of its properties."""
    return {name: set(PROPERTY.findall(body)) for name, body in TYPEDEF.findall(js.read_text())}


@pytest.mark.parametrize("js, typed", [
    ("instant/instant.js", [instant.InstantData, instant.ChartPayload, instant.ChoiceControl, instant.SelectControl,
                            instant.RangeControl, instant.Pick]),
    ("scrubber/scrubber.js", [scrubber.ScrubberData, cell.ScrubPanel, cell.ScrubTable, cell.ScrubStyle,
                              cell.ScrubTheme, scrubber.StepReport]),
])
def test_every_python_payload_type_has_a_js_typedef_with_the_same_fields(js, typed):
    described = typedefs(COMPONENTS / js)
    assert {t.__name__: set(t.__annotations__) | set(getattr(t, "__required_keys__", ())) for t in typed} == described


def test_what_the_scrubber_is_sent_has_exactly_the_fields_of_its_type(monkeypatch):
    import numpy as np

    states = {"h": np.zeros((3, 2)), "c": np.ones((3, 2))}
    spec = cell.step_scrub(states, ["t=0", "t=1", "t=2"], rows_at=lambda t: [{"unit": 0, "h": float(t)}])
    assert set(spec) == cell.StepScrub.__required_keys__
    assert set(spec["panels"][0]) == cell.ScrubPanel.__required_keys__
    assert set(spec["table"]) == cell.ScrubTable.__required_keys__
