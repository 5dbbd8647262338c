"""AppTest of the Language lab: every view runs at its defaults and follows its controls."""
import json

import pytest
import torch

from harness.apptest import app_test, instant_views, page_captions, page_figures, page_html
from seqviz.language.lab import WindowSpec

PAGE = "pages/language_lab.py"


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the server runs (seqviz.ui.runtime)
    yield
    torch.set_num_threads(threads)


def run(**query):
    at = app_test(PAGE, timeout=300, **query).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def coloured(at) -> str:
    (html,) = [body for body in page_html(at) if "white-space:pre-wrap;line-height" in body]
    return html


def unit_control(at) -> dict:
    (view,) = [v for v in instant_views(at) if v["label"] == "Unit"]
    return view


def test_reading_colours_the_held_out_text_by_the_unit_ranked_first_for_strings():
    at = run()
    assert at.title[0].value == "Language lab"
    html = coloured(at)
    assert html.count("<span") == WindowSpec.length
    unit = unit_control(at)
    labels = dict(unit["control"]["options"])
    assert unit["control"]["kind"] == "select" and "with inside a string" in labels[unit["value"]]
    unit_line, saturation = page_figures(at)
    assert len(unit_line["data"][0]["x"]) == WindowSpec.length
    assert [t["name"] for t in saturation["data"][:3]] == ["i", "f", "o"]


def test_another_unit_recolours_the_same_text():
    at = run()
    before = coloured(at)
    options = [int(value) for value, _ in unit_control(at)["control"]["options"]]
    at.session_state["lang_unit"] = options[5]  # as the browser's pick is taken (seqviz.ui.components.instant)
    at.run()
    assert not at.exception and coloured(at) != before
    assert unit_control(at)["value"] == str(options[5])


def test_the_next_units_in_the_ranking_go_to_the_browser_with_the_chosen_one():
    at = run()
    unit = unit_control(at)
    options = [value for value, _ in unit["control"]["options"]]
    assert list(unit["charts"]) == options[:5]  # the first: itself and the next four
    for value, chart in unit["charts"].items():
        assert f"of unit {value}" in json.loads(chart["figure"])["layout"]["title"]["text"]
        assert chart["html"].count("<span") == WindowSpec.length


def test_a_gru_reads_its_own_gates_and_an_rnn_has_none():
    at = run(lang_model="gru", lang_quantity="z")
    assert "z of unit" in page_captions(at)
    at = run(lang_model="rnn")
    assert "An RNN has no gates" in page_captions(at)


def test_typed_text_with_unknown_characters_is_read_and_counted():
    at = run(lang_source="your own text")
    at.text_area(key="lang_text").set_value("x = 'ünïcødé ∑'  # comment\n").run()
    assert not at.exception
    assert "2 character(s) of this text are not in the model's vocabulary" in page_captions(at) or \
        "not in the model's vocabulary" in page_captions(at)


def test_too_short_typed_text_gets_a_message():
    at = app_test(PAGE, timeout=300, lang_source="your own text").run()
    at.text_area(key="lang_text").set_value("x").run()
    assert not at.exception and "at least two characters" in at.error[0].value


def test_decoding_shows_three_strategies_and_steps_through_one():
    at = run(lang_view="Decoding", lang_gen="60")
    assert [m.value for m in at.markdown if m.value.startswith("**")][:3] == ["**greedy**", "**beam (width 4)**",
                                                                               "**sampling**"]
    codes = [c.value for c in at.code]
    assert len(codes) == 3 and all(len(c) == 60 for c in codes)
    (distribution,) = page_figures(at)
    assert "kept mass" in distribution["layout"]["title"]["text"]
    at.slider(key="lang_step").set_value(10).run()
    assert not at.exception


def test_sampling_follows_the_sidebar_seed_and_repeats_for_it():
    def sample(seed: int) -> str:
        at = app_test(PAGE, timeout=300, lang_view="Decoding", lang_gen="40")
        at.session_state["seed"] = seed  # the sidebar's seed (app.py draws the sidebar)
        return at.run().code[2].value

    assert sample(3) == sample(3) != sample(4)


def test_gradient_reach_draws_all_three_models():
    at = run(lang_view="Gradient reach")
    (reach,) = page_figures(at)
    assert [t["name"] for t in reach["data"]] == ["RNN", "LSTM", "GRU"]
    assert reach["layout"]["yaxis"]["type"] == "log"


def test_pattern_search_asks_for_a_span_until_one_is_brushed():
    at = run(lang_view="Pattern search", lang_length="500")
    (chart,) = at.get("vega_lite_chart")
    assert json.loads(chart.proto.spec)["params"][0]["name"] == "span"
    assert list(chart.proto.selection_mode) == ["span"]  # the brush reruns the page with the span
    assert "Drag across the chart" in at.info[0].value
