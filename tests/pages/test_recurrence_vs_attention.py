"""AppTest of the Recurrence-vs-attention page: each view runs with its defaults and follows its controls."""
import numpy as np

from harness.apptest import app_test, instant_views, page_captions, page_figures, table_cells
from seqviz.transformer.cost import CostConfig
from seqviz.transformer.learn import RetrainConfig
from seqviz.transformer.looks import SOURCES, LookConfig, example
from tests.pages.test_page_state_space_models import values

PAGE = "pages/recurrence_vs_attention.py"
QUICK_COST = dict(rva_view="What a token costs", rva_cost_T=1024, rva_cost_L=256, rva_cost_d=32)


def run(**query):
    at = app_test(PAGE, **query).run()
    assert not at.exception, at.exception
    return at


def permutation_rows(at) -> dict[str, float]:
    (table,) = [m.value for m in at.markdown if "∣f(P x) − P f(x)∣" in m.value]
    return {row[0]: float(row[1]) for row in table_cells(table)[1:]}


def test_who_looks_at_whom_shows_every_layer_and_head_and_the_recurrent_matrices():
    at = run()
    assert at.title[0].value == "Recurrence vs attention"
    looks = page_figures(at)[0]
    text = at.text_input(key="rva_look_text").value
    heads = [t for t in looks["data"] if t["coloraxis"] == "coloraxis"]
    (mamba,) = [t for t in looks["data"] if t["coloraxis"] == "coloraxis2"]
    (lstm,) = [t for t in looks["data"] if t["coloraxis"] == "coloraxis3"]
    assert len(heads) == 4  # 2 layers × 2 heads
    assert values(heads[0]["z"]).shape == (len(text), len(text))
    assert f"0:{text[0]}" in list(heads[0]["x"])
    for trace in (mamba, lstm):
        z = values(trace["z"])
        assert z.shape == (len(text), len(text)) and np.allclose(np.triu(z, 1), 0)
    assert "over every matrix: 0." in page_captions(at)


def test_every_sources_matrices_go_to_the_browser_with_the_source_control():
    at = run()
    (view,) = [v for v in instant_views(at) if v["label"] == "Source"]
    assert view["control"]["kind"] == "choice" and set(view["charts"]) == set(SOURCES)
    assert "Untrained models" in view["charts"]["corpus"]["caption"]


def test_without_positions_and_mask_the_measured_permutation_deviation_is_rounding_only():
    at = run()
    rows = permutation_rows(at)
    assert any("rounding only" in c.value and "already tells positions apart" in c.value for c in at.caption)
    assert rows["no positions, no mask"] < 1e-6
    assert rows["no positions, causal mask"] > 1e-3


def test_changing_the_source_draws_an_example_of_it_and_recomputes():
    at = run()
    first = page_figures(at)[0]
    at.session_state["rva_look_source"] = "corpus"  # as the browser's pick is taken (seqviz.ui.components.instant)
    at.run()
    assert not at.exception
    text = at.text_input(key="rva_look_text").value
    assert text == example("corpus", 0) and page_figures(at)[0] != first
    assert "Untrained models" in page_captions(at)
    at.session_state["rva_look_source"] = LookConfig.source
    at.run()
    assert at.text_input(key="rva_look_text").value == example(LookConfig.source, 0)  # its own example again


def test_a_typed_input_is_kept_until_the_source_changes():
    at = run()
    at.text_input(key="rva_look_text").set_value("abcabcab").run()
    assert not at.exception and at.text_input(key="rva_look_text").value == "abcabcab"
    assert values(page_figures(at)[0]["data"][0]["z"]).shape == (8, 8)


def test_switching_the_positional_encoding_shows_another_trained_transformer():
    at = run()
    first = page_figures(at)[0]
    at.radio(key="rva_look_pe").set_value("none").run()
    assert not at.exception
    assert page_figures(at)[0] != first
    assert list(permutation_rows(at)) == ["no positions, causal mask", "no positions, no mask"]


def test_a_character_outside_the_task_alphabet_is_a_clear_message():
    at = run(rva_look_source="selective_copying", rva_look_text="..x..")
    assert any("characters must be among" in e.value for e in at.error)


def test_what_each_learns_shows_five_models_and_length_generalisation():
    at = run(rva_view="What each can learn")
    accuracy, generalisation = page_figures(at)[:2]
    names = {t["name"].rsplit(" (", 1)[0] for t in accuracy["data"]}
    assert names == {"Mamba (S6)", "S4D", "LSTM", "GRU", "Transformer"}
    assert [t["name"] for t in generalisation["data"]] == ["tested at 32 (trained)", "tested at 64", "tested at 128"]


def test_retrain_controls_start_at_the_retrain_configs_defaults():
    at = run(rva_view="What each can learn")
    assert at.slider(key="rva_learn_steps").value == RetrainConfig.steps
    assert at.radio(key="rva_learn_pe").value == RetrainConfig.positional
    assert at.selectbox(key="rva_learn_L").value == RetrainConfig.length
    assert at.selectbox(key="rva_learn_layers").value == RetrainConfig.n_layers
    assert at.selectbox(key="rva_learn_heads").value == RetrainConfig.n_heads


def test_the_transformer_retrains_live_with_a_small_budget():
    at = run(rva_view="What each can learn", rva_learn_steps=20, rva_learn_L=16, rva_learn_pe="none",
             rva_learn_layers=1, rva_learn_heads=4)
    [b for b in at.button if b.label == "Train the Transformer now (live)"][0].click().run()
    assert not at.exception
    loss = [f for f in page_figures(at) if f["layout"]["title"]["text"].startswith("live run")][0]
    assert len(values(loss["data"][0]["y"])) == 20 and "1 layer(s), 4 head(s)" in loss["layout"]["title"]["text"]
    assert any("Live run" in m.value for m in at.markdown)


def test_token_cost_measures_every_model_and_states_computed_numbers():
    at = run(**QUICK_COST)
    tokens, train = page_figures(at)
    assert {t["name"].split(":")[0] for t in tokens["data"]} == {"LSTM", "Mamba (S6)", "Transformer"}
    assert list(values(tokens["data"][0]["x"])) == [128, 256, 512, 1024]
    assert list(values(train["data"][0]["x"])) == [128, 256]
    assert any("At T = 1,024 the Transformer's KV cache holds" in m.value for m in at.markdown)


def test_token_cost_controls_start_at_the_cost_configs_defaults():
    at = run(rva_view="What a token costs", rva_cost_L=256)  # a short training length keeps the test quick
    assert at.selectbox(key="rva_cost_T").value == CostConfig.longest_context
    assert at.selectbox(key="rva_cost_d").value == CostConfig.d_model


def test_changing_the_width_measures_again():
    at = run(**QUICK_COST)
    before = page_figures(at)[0]
    at.selectbox(key="rva_cost_d").set_value(64).run()
    assert not at.exception
    assert page_figures(at)[0] != before


def test_a_stopped_measurement_is_not_started_again_by_the_stops_own_rerun():
    at = app_test(PAGE, **QUICK_COST)
    at.session_state["rva_cost_stop"] = True  # the run a click on Stop starts
    at.run()
    assert not at.exception
    assert page_figures(at) == [] and any("Measuring stopped" in i.value for i in at.info)
