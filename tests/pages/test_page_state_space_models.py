"""AppTest of the state-space page: every view runs with defaults and reacts to its main controls."""
import json

import numpy as np

from harness.apptest import app_test, instant_views, page_captions, page_figures
from harness.apptest import plotly_array as values
from seqviz.ssm.compare import CompareConfig

PAGE = "pages/state_space_models.py"


def run(**query):
    at = app_test(PAGE, **query).run()
    assert not at.exception, at.exception
    return at


def test_kernel_explorer_default_shows_kernels_and_the_legs_comparison_and_another_view_the_eigenvalues():
    at = run()
    assert at.title[0].value == "State-space models"
    kernels, legs = page_figures(at)
    assert len(kernels["data"]) == 3 and len(values(kernels["data"][0]["y"])) == 1024
    assert [trace["name"] for trace in legs["data"]].count("dense HiPPO-LegS") == 1
    at = run(ssm_k_tab="Eigenvalues of Ā")
    eigenvalues, legs = page_figures(at)
    assert eigenvalues["data"][1]["name"] == "unit circle" and len(eigenvalues["frames"]) >= 13
    assert "Move the slider under the right plot" in page_captions(at)


def dense_kernel(legs: dict) -> np.ndarray:
    (trace,) = [t for t in legs["data"] if t["name"] == "dense HiPPO-LegS"]
    return values(trace["y"])


def test_legs_comparison_follows_the_chosen_basis_kernel_and_reports_the_rate():
    at = run()
    first = dense_kernel(page_figures(at)[1])
    at.selectbox(key="ssm_legs_n").set_value(3).run()
    legs = page_figures(at)[1]
    assert legs["layout"]["annotations"][0]["text"] == "basis kernel n = 3"
    assert not np.allclose(dense_kernel(legs), first)
    assert any("N=512" in c.value and "fall like N^(−" in c.value for c in at.caption)


def test_kernel_explorer_at_n_256_and_l_16384_is_decimated_and_stable():
    at = run(ssm_k_N=256, ssm_k_L=16384, ssm_k_init="inv")
    kernels = page_figures(at)[0]
    assert len(values(kernels["data"][0]["y"])) <= 4000 and "every 5th sample" in kernels["layout"]["title"]["text"]
    assert "max |λ(Ā)|" in page_captions(at)


def test_n_is_sent_with_the_plots_of_n_and_n_plus_and_minus_2_and_the_slider_follows_its_steps():
    at = run(ssm_k_N=32, ssm_k_L=256)
    (view,) = instant_views(at)
    assert view["control"] == {"kind": "slider", "min": 4, "max": 256, "step": 2} and view["value"] == 32
    assert sorted(view["charts"], key=int) == ["30", "32", "34"]
    assert "N=34" in json.loads(view["charts"]["34"]["figure"])["layout"]["title"]["text"]
    at.session_state["ssm_k_N"] = 34  # the slider's right arrow key
    at.run()
    assert page_figures(at)[0] == json.loads(view["charts"]["34"]["figure"])
    assert run(ssm_k_N=33).session_state["ssm_k_N"] == 64  # a URL value off the slider's steps is ignored


def test_larger_step_pulls_discrete_eigenvalues_toward_zero():
    at = run(ssm_k_init="real", ssm_k_N=8, ssm_k_tab="Eigenvalues of Ā")
    small = np.abs(values(page_figures(at)[0]["data"][2]["x"])).max()
    at.slider(key="ssm_k_logdt").set_value(0.0).run()
    large = np.abs(values(page_figures(at)[0]["data"][2]["x"])).max()
    assert large < small


def test_dense_reference_over_n_64_gives_a_clear_error():
    at = run(ssm_k_init="hippo_dense", ssm_k_N=128)
    assert any("N ≤ 64" in e.value for e in at.error)
    assert instant_views(at)[0]["charts"] is None  # the slider alone, to bring N back down


def test_memory_view_scrubbing_time_changes_the_reconstructed_window():
    at = run(ssm_view="Memory (HiPPO)", ssm_mem_T=500, ssm_mem_t=100)
    assert len(values(page_figures(at)[0]["data"][2]["y"])) == 101
    at.slider(key="ssm_mem_t").set_value(400).run()
    memory, errors = page_figures(at)
    assert len(values(memory["data"][2]["y"])) == 401
    assert {trace["name"] for trace in errors["data"]} == {"N=4", "N=16", "N=32"}


def test_memory_view_at_n_256_reconstructs_a_polynomial_closely():
    at = run(ssm_view="Memory (HiPPO)", ssm_mem_signal="polynomial", ssm_mem_N=256, ssm_mem_T=2000)
    assert float(at.metric[0].value) < 1e-3


def test_conv_equals_recurrence_at_l_16384_and_n_256():
    at = run(ssm_view="Conv = recurrence", ssm_c_N=256, ssm_c_L=16384)
    assert float(at.metric[0].value) < 1e-6
    timing = page_figures(at)[1]
    assert list(values(timing["data"][0]["x"])) == [256, 1024, 4096, 16384]


def test_selection_view_shows_delta_attention_states_and_lstm_gates():
    at = run(ssm_view="Selection (Mamba)", ssm_sel_text="..a...b..c.d....????")
    titles = [spec["layout"]["title"]["text"] for spec in page_figures(at)]
    delta = page_figures(at)[0]
    assert titles[0].startswith("Δ_t per token") and len(values(delta["data"][0]["y"])) == 20
    assert values(delta["data"][1]["z"]).shape == (32, 20)
    assert any(t.startswith("hidden attention") for t in titles)
    assert any("forget gate" in t for t in titles) and any("input gate" in t for t in titles)


def test_selection_view_rejects_characters_outside_the_alphabet():
    at = run(ssm_view="Selection (Mamba)", ssm_sel_text="..x..")
    assert any("characters must be among" in e.value for e in at.error)


def test_compare_view_shows_the_saved_run_next_to_the_paper():
    at = run(ssm_view="Compare on a task")
    accuracy = page_figures(at)[0]
    assert {t["name"].rsplit(" (", 1)[0] for t in accuracy["data"]} == {"Mamba (S6)", "S4D", "LSTM"}
    assert any("99.8" in m.value for m in at.markdown)
    assert any("**This run at length 64:** Mamba (S6) 97.1 %" in m.value and "Mamba first, as in the paper" in m.value
               for m in at.markdown)  # the saved run, read from assets/ssm/compare_selective_copying.json


def test_compare_view_starts_at_the_compare_configs_defaults():
    at = run(ssm_view="Compare on a task")
    assert at.slider(key="ssm_cmp_steps").value == CompareConfig.steps
    assert at.selectbox(key="ssm_cmp_task").value == CompareConfig.task
    assert at.selectbox(key="ssm_cmp_lengths").value == ", ".join(map(str, CompareConfig.lengths))


def test_compare_view_trains_live_with_a_small_budget():
    at = run(ssm_view="Compare on a task", ssm_cmp_steps=20, ssm_cmp_lengths="8")
    at.button[0].click().run()
    assert not at.exception
    assert any("live run" in m.value and "20 steps" in m.value for m in at.markdown)
    ordering = next(m.value for m in at.markdown if m.value.startswith("**This run at length 8:**"))
    assert "as in the paper" in ordering or "fewer than the saved run's 1600" in ordering
    assert list(values(page_figures(at)[0]["data"][0]["x"])) == [8]
    loss = page_figures(at)[1]["data"][0]  # 20 steps: the mean of the last 4 at each step from the 4th
    assert list(values(loss["x"])) == list(range(4, 21)) and np.isfinite(values(loss["y"])).all()


def test_selection_view_new_example_button_draws_a_task_sequence():
    at = run(ssm_view="Selection (Mamba)", ssm_sel_text="..a..")
    at.button[0].click().run()
    text = at.text_input(key="ssm_sel_text").value
    assert text != "..a.." and text.endswith("????") and len(text) == 36


def test_memory_view_shortening_the_signal_clamps_the_scrubbed_time():
    at = run(ssm_view="Memory (HiPPO)", ssm_mem_T=1000, ssm_mem_t=900)
    at.slider(key="ssm_mem_T").set_value(500).run()
    assert not at.exception
    assert at.slider(key="ssm_mem_t").value == 499


def test_choosing_another_task_replaces_the_input_by_an_example_of_it():
    at = run(ssm_view="Selection (Mamba)")
    first = at.text_input(key="ssm_sel_text").value
    at.selectbox(key="ssm_sel_task").set_value("induction_heads").run()
    assert not at.exception
    text = at.text_input(key="ssm_sel_text").value
    assert text != first and at.query_params["ssm_sel_text"] == text
    assert len(values(page_figures(at)[0]["data"][0]["y"])) == len(text)  # Δ_t of the new input's tokens


def test_on_a_gpu_the_page_says_it_computes_on_the_cpu(monkeypatch):
    assert not any("computes on the CPU" in c.value for c in run().caption)
    monkeypatch.setattr("torch.cuda.is_available", lambda: True)  # the sidebar's "auto" would pick CUDA
    at = app_test(PAGE)
    at.session_state["device"] = "auto"
    at.run()
    assert not at.exception
    assert any("computes on the CPU, not on the sidebar's cuda" in c.value for c in at.caption)


def test_kernel_explorer_shows_the_discretisation_it_computes():
    for method, marker in (("zoh", r"A^{-1}(e^{\Delta A}-I)B"), ("bilinear", r"(I-\tfrac{\Delta}{2}A)^{-1}\Delta B")):
        at = run(ssm_k_method=method)
        (latex,) = [el.value for el in at.latex if r"\bar B" in el.value]
        assert marker in latex and rf"(\text{{{method}}})" in latex, method
