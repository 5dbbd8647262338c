"""The Gradient flow page under AppTest: every view, the preset, and the extreme settings."""
import json
import math

import numpy as np
import pytest

import seqviz.gradients.flow
from harness.apptest import app_test, instant_charts, instant_views, page_figures, plotly_specs, table_cells
from harness.apptest import plotly_array as array
from seqviz.core.budget import BudgetError
from seqviz.gradients.flow import PhaseConfig
from seqviz.gradients.training import TaskTrainConfig, TrainHistory
from seqviz.ui import prefetch

PAGE = "pages/gradient_flow.py"
TINY_TRAINING = dict(grad_view="Clipping in training", grad_updates=10, grad_task_T=20, grad_batch=8,
                     grad_train_H=8, grad_every=5)


def run(**query):
    at = app_test(PAGE, **query).run()
    assert not at.exception
    return at


def warnings(at) -> list[str]:
    """The page's warnings: Streamlit's and the one under the curves (an instant view's)."""
    return [w.value for w in at.warning] + [v["warning"] for v in instant_charts(at) if v["warning"]]


def trace_names(spec) -> list[str]:
    return [t.get("name", "") for t in spec["data"]]


def test_default_view_overlays_rnn_lstm_gru_and_states_what_seed_004_really_gives():
    at = run()
    spec = page_figures(at)[0]
    names = trace_names(spec)
    for label in ("RNN", "LSTM", "GRU"):
        assert f"{label} ‖dL/dh_t‖" in names and f"{label} ‖dL/dx_t‖" in names
    assert "0" not in spec["layout"]["yaxis"]["ticktext"] and not warnings(at)  # tiny, not 0, in float32 too
    note = " ".join(i.value for i in at.info)
    assert "in float32" in note and "RNN's ratio is 1.45e+32×" in note and "exactly 0" not in note
    assert "400,000×" in note and "For nn.LSTM the ratio is" in note and "10^" in note
    assert "100-step nn.RNN(32, 64)" in note and "about 10^27 times the quoted 400,000" in note
    assert not [m for m in at.markdown if m.value.startswith("| model |")]  # the fit has its own view, not built


def test_fit_view_shows_one_row_per_model_with_a_positive_effective_memory():
    at = run(grad_tab="Fit per model (λ, M, zeros)")
    assert not plotly_specs(at)
    header, *rows = table_cells(next(m.value for m in at.markdown if m.value.startswith("| model |")))
    memory = header.index("M (steps)")
    assert [row[0] for row in rows] == ["RNN", "LSTM", "GRU"] and all(float(row[memory]) > 0 for row in rows)
    assert any("Last/first: ‖dL/dx_99‖ ÷ ‖dL/dx_0‖" in c.value for c in at.caption)


def test_float64_switch_removes_the_underflow_marks_where_float32_gradients_reach_zero():
    at = run(grad_T=200)  # dL/dh_t of the RNN falls below float32's smallest number, ~1e-45
    spec = page_figures(at)[0]
    assert "0" in spec["layout"]["yaxis"]["ticktext"] and "exactly 0" in warnings(at)[0]
    assert "exactly 0 (underflow)" in spec["data"][trace_names(spec).index("RNN ‖dL/dh_t‖")]["customdata"]
    at.radio(key="grad_dtype").set_value("float64").run()
    spec = page_figures(at)[0]
    assert "0" not in spec["layout"]["yaxis"]["ticktext"]
    assert not any("customdata" in trace for trace in spec["data"])
    assert not warnings(at)


def test_preset_button_restores_the_handbook_experiment():
    at = run(grad_T=50, grad_H=16)
    at.button(key="grad_preset").click().run()
    assert at.session_state["grad_T"] == 100 and at.slider(key="grad_H").value == 64
    assert instant_views(at)[0]["value"] == 100  # and the browser is told so


def test_extreme_rho_3_and_T_5000_marks_overflow_instead_of_dropping_it():
    at = run(grad_T=5000, grad_H=8, grad_init="normal", grad_rho=3.0, grad_nonlin="relu")
    spec = page_figures(at)[0]
    assert "∞/NaN" in spec["layout"]["yaxis"]["ticktext"]
    assert "inf/NaN (overflow)" in spec["data"][trace_names(spec).index("RNN ‖dL/dh_t‖")]["customdata"]
    assert len(at.get("bidi_component")[0].proto.json) < 2_100_000  # the views' budget, and the control


def test_t_is_sent_with_the_curves_of_t_and_of_t_plus_and_minus_one_step_as_the_server_draws_them():
    at = run(grad_T=200, grad_H=16)
    (view,) = instant_views(at)
    assert view["control"] == {"kind": "number", "min": 10, "max": 5000, "step": 10} and view["value"] == 200
    assert sorted(view["charts"], key=int) == ["190", "200", "210"]
    sent = {int(t): json.loads(v["figure"]) for t, v in view["charts"].items()}
    assert len(array(sent[190]["data"][0]["x"])) == 190 and len(array(sent[210]["data"][0]["x"])) == 210
    at.session_state["grad_T"] = 210  # the value the browser drew from sent[210]
    at.run()
    assert not at.exception and page_figures(at)[0] == sent[210]
    assert sorted(instant_views(at)[0]["charts"], key=int) == ["200", "210", "220"]
    assert at.query_params["grad_T"] in ("210", ["210"])


def test_after_another_controls_change_the_neighbours_wait_for_the_background_not_the_chart():
    at = run(grad_T=170, grad_H=22)
    at.slider(key="grad_H").set_value(26).run()
    assert list(instant_views(at)[0]["charts"]) == ["170"]  # the new chart first, alone
    prefetch.wait_idle()  # T ± 10 at H = 26, computed in the background
    at.run()  # the visitor's next run, e.g. the click on + that the browser answered itself
    assert sorted(instant_views(at)[0]["charts"], key=int) == ["160", "170", "180"]


def test_t_at_its_bounds_sends_the_one_neighbour_inside_them():
    at = run(grad_T=10, grad_H=8)
    assert sorted(instant_views(at)[0]["charts"], key=int) == ["10", "20"]


def test_t_that_cannot_be_computed_draws_the_control_alone_and_says_why(monkeypatch):
    def refuse(estimated_bytes, what, reduce, **_):
        raise BudgetError(f"{what} is over the budget: reduce the {reduce}")

    monkeypatch.setattr(seqviz.gradients.flow, "check_budget", refuse)  # no setting of the page's is over it
    at = run(grad_T=330, grad_H=12)
    (view,) = instant_views(at)
    assert view["charts"] is None and view["value"] == 330  # the control stays, to bring T back down
    assert "reduce the sequence length or hidden size" in at.error[0].value


def test_jacobian_spectrum_view_shows_the_heatmap_and_the_running_product():
    at = run(grad_view="Jacobian spectrum", grad_T=60, grad_H=8, grad_spec_kind="lstm")
    spec = plotly_specs(at)[0]
    assert [t["type"] for t in spec["data"]] == ["heatmap", "scatter"]
    assert len(array(spec["data"][0]["y"])) == 16  # s = (h, c): 2H singular values
    assert "2H singular values" in at.caption[-1].value


def test_spectrum_too_big_is_refused_with_a_clear_error():
    at = run(grad_view="Jacobian spectrum", grad_T=5000, grad_H=256, grad_spec_kind="lstm")
    assert "reduce the sequence length or hidden size" in at.error[0].value


def test_who_teaches_whom_shows_three_lower_triangular_heatmaps():
    at = run(grad_view="Who teaches whom", grad_T=20, grad_H=8)
    spec = plotly_specs(at)[0]
    assert len(spec["data"]) == 3
    z = array(spec["data"][0]["z"])
    assert z.shape == (20, 20) and np.isnan(z[0, 1]) and np.isfinite(z[19, 0])


def test_who_teaches_whom_warns_and_caps_long_sequences():
    at = run(grad_view="Who teaches whom", grad_T=400, grad_H=4)
    assert "T ≤ 300" in at.warning[0].value
    assert len(array(plotly_specs(at)[0]["data"][0]["x"])) <= 300


def test_phase_diagram_compares_gated_models_and_says_how_long_it_took():
    at = run(grad_view="Phase diagram", grad_phase_H=4, grad_phase_radii=5, grad_phase_Tmax=40, grad_phase_gated=1)
    spec = plotly_specs(at)[0]
    assert len(spec["data"]) == 3 and len(array(spec["data"][0]["y"])) == 5
    assert "computed in" in at.caption[-1].value
    verdicts = at.markdown[-1].value  # one sentence per model, counted from its sweep, and why ρ > 1 can vanish
    assert all(f"**{label}, seed 0, T = 40:**" in verdicts for label in ("RNN", "LSTM", "GRU"))
    assert "tanh's flat tails" in verdicts


def test_the_phase_diagrams_controls_start_at_the_phase_configs_defaults():
    at = run(grad_view="Phase diagram", grad_phase_Tmax=40)
    assert at.slider(key="grad_phase_H").value == PhaseConfig.hidden_size
    assert at.slider(key="grad_phase_radii").value == len(PhaseConfig.rhos)


def test_training_view_trains_live_and_shows_curves_baseline_and_clipping():
    at = run(**TINY_TRAINING, grad_task="copy")
    at.button(key="grad_train").click().run()
    assert not at.exception
    specs = plotly_specs(at)
    assert len(specs) == 2 and specs[1]["data"][0]["type"] == "heatmap"
    metrics = {m.label: m.value for m in at.metric}
    assert float(metrics["memoryless baseline"]) == pytest.approx(10 * math.log(8) / 40, abs=1e-4)


def test_no_clipping_with_rho_3_ends_in_nan_with_the_reason_and_keeps_the_curves():
    at = run(**{**TINY_TRAINING, "grad_task_T": 200}, grad_clip="off", grad_train_rho_on=1, grad_train_rho=3.0,
             grad_train_nonlin="relu")
    at.button(key="grad_train").click().run()
    assert not at.exception
    assert "NaN" in at.error[0].value and "update 0" in at.error[0].value
    assert len(plotly_specs(at)) == 2


def test_a_run_cut_short_by_stop_is_kept_as_stopped():
    at = app_test(PAGE, **TINY_TRAINING)
    partial = TrainHistory(TaskTrainConfig(), baseline=1 / 6, loss=[0.5, 0.4], raw_norm=[1.0, 0.9],
                           clipped_norm=[1.0, 0.9], clipped=[False, False])
    at.session_state["grad_live"] = partial
    at.run()
    assert "Stopped by the user after 2 updates" in at.warning[0].value
    assert len(plotly_specs(at)) == 2


def test_compare_view_overlays_kept_runs_with_a_csv_download():
    at = run(**TINY_TRAINING)
    at.button(key="grad_train").click().run()
    at.radio(key="grad_clip").set_value("off").run()
    at.button(key="grad_train").click().run()
    at.radio(key="grad_view").set_value("Compare runs").run()
    assert not at.exception
    names = {t["name"] for t in plotly_specs(at)[0]["data"]}
    assert len(names) == 2 and any("clip off" in n for n in names)
    assert at.get("download_button")


def test_compare_view_without_runs_says_how_to_get_some():
    at = run(grad_view="Compare runs")
    assert "No runs yet" in at.info[0].value


def test_the_session_keeps_the_last_eight_runs_under_unique_names():
    at = run(**TINY_TRAINING)
    for i in range(9):
        at.number_input(key="grad_lr").set_value(0.001 + 0.001 * i).run()
        at.button(key="grad_train").click().run()
    names = list(at.session_state["grad_runs"])
    assert len(names) == 8 and names[0].startswith("#2 ") and names[-1].startswith("#9 ")


def test_the_gradient_equation_carries_the_lstm_cell_state_in_the_recursion():
    at = app_test(PAGE).run()
    latex = at.latex[0].value
    assert r"(h_t,c_t)\ (\text{LSTM})" in latex and r"J_{t+1}^{\top}\frac{dL}{ds_{t+1}}" in latex
