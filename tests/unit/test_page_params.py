"""Each page's URL parameters, read from its source without running it: keys, checks, defaults."""
from __future__ import annotations

import pytest

from seqviz.ui.page_params import file_controls, page_controls

PAGE = '''
import streamlit as st
from seqviz.core.models import INITS
from seqviz.ui.state import url_radio, url_selectbox, url_slider, url_toggle

CHOICES = ("a", "b")


def section(prefix: str) -> None:
    url_slider("N", 4, 64, key=f"{prefix}_N", default=16, step=4)


def layers(n: int) -> int:
    return url_slider("Layer", 0, n - 1, key="layer", default=0)


url_radio("View", CHOICES, key="view")
url_selectbox("Init", INITS, key="init", default="xavier")
url_toggle("On", key="on")
url_slider("Scale", 0.1, 2.0, key="scale", default=1.0, step=0.1)
section("one")
section("two")
'''


@pytest.fixture
def controls(tmp_path):
    path = tmp_path / "fixture_page.py"
    path.write_text(PAGE, encoding="utf-8")
    return file_controls(path)


def test_every_url_bound_control_is_found_with_a_prefixed_key_resolved(controls):
    assert set(controls) == {"view", "init", "on", "scale", "one_N", "two_N", "layer"}


def test_options_come_from_the_pages_own_constants_and_imports(controls):
    assert controls["view"].accepts("b") == "b" and controls["init"].accepts("orthogonal") == "orthogonal"
    with pytest.raises(ValueError):
        controls["init"].accepts("orthogonl")


def test_numbers_are_checked_against_bounds_and_the_sliders_grid(controls):
    assert controls["one_N"].accepts("8") == 8 and controls["scale"].accepts("0.3") == pytest.approx(0.3)
    for raw in ("2", "6", "68", "x"):
        with pytest.raises(ValueError):
            controls["one_N"].accepts(raw)


def test_a_bound_known_only_when_the_page_runs_keeps_the_type_check(controls):
    assert controls["layer"].accepts("7") == 7 and "checked when the page runs" in controls["layer"].accepted
    with pytest.raises(ValueError):
        controls["layer"].accepts("one")


def test_toggles_take_one_or_zero(controls):
    assert controls["on"].accepts("1") is True
    with pytest.raises(ValueError):
        controls["on"].accepts("yes")


def test_defaults_are_read_as_the_url_writes_them(controls):
    assert {k: c.default for k, c in controls.items()} == {"view": "a", "init": "xavier", "on": "0", "scale": "1.0",
                                                          "one_N": "16", "two_N": "16", "layer": "0"}


def test_every_page_takes_the_sidebars_device_and_seed():
    for page, controls in page_controls().items():
        assert {"device", "seed"} <= set(controls), page


def test_the_gradient_flow_pages_sequence_length_is_read_from_its_grid_and_config():
    control = page_controls()["gradient-flow"]["grad_T"]
    assert control.accepts("300") == 300 and control.default == "100"
    with pytest.raises(ValueError):
        control.accepts("5001")
