"""Bring your own model on Inside the cell and Gradient flow, under AppTest: the upload, the example,
refusals in the page, the session's own model only, and numbers equal to running the module directly."""
from __future__ import annotations

import io
import os

import numpy as np
import pytest
import torch
from torch import nn

from harness.apptest import app_test, page_figures, plotly_array, scrub_heights, step_scrubbers
from seqviz.cell.inputs import InputSpec, make_input
from seqviz.core.paths import assets
from seqviz.core.safetensors_io import read_safetensors
from seqviz.core.user_model import load_user_model
from seqviz.gradients.flow import FlowConfig, flow_input

CELL, GRAD = "pages/inside_the_cell.py", "pages/gradient_flow.py"
UPLOADER = {CELL: "cell_own_model_file", GRAD: "grad_own_model_file"}
EXAMPLE = {CELL: "cell_own_model_example", GRAD: "grad_own_model_example"}


def saved(obj) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def example_lstm() -> nn.LSTM:
    """The shipped example as a plain nn.LSTM, loaded by torch itself (not through seqviz)."""
    lstm = nn.LSTM(1, 8)
    lstm.load_state_dict(torch.load(assets("examples", "sine-lstm.pt"), weights_only=True))
    return lstm.eval()


def upload(page: str, name: str, data: bytes, at=None):
    at = at or app_test(page).run()
    at.file_uploader(key=UPLOADER[page]).set_value((name, data, "application/octet-stream")).run()
    return at


def with_example(page: str):
    at = app_test(page).run()
    at.button(key=EXAMPLE[page]).click().run()
    return at


def shown_model(at) -> str:
    return " ".join(i.value for i in at.info if "your model" in i.value)


def assert_clean(at):
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("page", [CELL, GRAD])
def test_the_example_button_shows_the_example_and_says_the_seed_no_longer_sets_its_weights(page):
    at = with_example(page)
    assert_clean(at)
    assert "Showing your model (sine-lstm.safetensors: LSTM, I = 1, H = 8, L = 1)" in shown_model(at)
    assert "The seed in the sidebar no longer changes its weights" in shown_model(at)


def test_inside_the_cell_shows_the_hidden_states_of_running_the_module_directly():
    at = with_example(CELL)
    (scrub,) = step_scrubbers(at)
    panel = scrub["panels"][0]
    values = scrub_heights(panel, scrub["steps"])
    hidden = values[:, [k for k, name in enumerate(panel["names"]) if name.startswith("h ")]]  # (T, H)
    x = torch.tensor(make_input(InputSpec()).x)[:, None]  # the page's default input, (T, 1, I)
    with torch.no_grad():
        output, _ = example_lstm()(x)
    np.testing.assert_allclose(hidden, output[:, 0].numpy(), rtol=1e-5, atol=1e-6)


def test_gradient_flow_shows_the_input_gradients_autograd_gives_for_the_module():
    at = with_example(GRAD)
    (figure,) = page_figures(at)
    (curve,) = [d for d in figure["data"] if d["name"] == "LSTM ‖dL/dx_t‖"]
    shown = plotly_array(curve["y"])
    example = load_user_model(assets("examples", "sine-lstm.safetensors").read_bytes(), "example").model
    x = flow_input(FlowConfig().with_model(example)).float()[:, None].requires_grad_(True)  # (T, 1, I = 1)
    example_lstm()(x)[0][-1].sum().backward()  # loss on the last output, the page's default
    np.testing.assert_allclose(shown, x.grad[:, 0].double().norm(dim=-1).numpy(), rtol=1e-4)


@pytest.mark.parametrize("page", [CELL, GRAD])
def test_an_uploaded_state_dict_is_shown_with_its_file_name_kind_and_sizes(page):
    at = upload(page, "mine.pt", saved(nn.GRU(1, 4, num_layers=2).state_dict()))
    assert_clean(at)
    assert "your model (mine.pt: GRU, I = 1, H = 4, L = 2)" in shown_model(at)


def test_an_uploaded_rnn_runs_with_the_nonlinearity_the_visitor_picks():
    at = upload(CELL, "rnn.safetensors", saved(nn.RNN(1, 3).state_dict()))
    assert "RNN (tanh)" in shown_model(at)
    at.radio(key="cell_own_model_nonlinearity").set_value("relu").run()
    assert_clean(at)
    assert "RNN (relu)" in shown_model(at)


class RunsShellCommand:
    """Unpickling this calls os.system("touch marker") (tests/unit/test_user_model.py shows it would)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


@pytest.mark.parametrize("page", [CELL, GRAD])
def test_a_malicious_upload_is_refused_in_the_page_without_running(page, tmp_path):
    marker = tmp_path / "ran"
    at = upload(page, "evil.pt", saved({"weight_ih_l0": RunsShellCommand(marker)}))
    assert not marker.exists()
    assert not at.exception and "refused" in at.error[0].value and "could run code" in at.error[0].value
    assert shown_model(at) == ""


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
@pytest.mark.parametrize("name, data, message", [
    ("whole.pt", saved(nn.LSTM(1, 2)), "is a whole pickled model"),
    ("series.pt", b"t,x\n0,1\n", "not a PyTorch checkpoint"),  # (Streamlit refuses other extensions)
    ("junk.safetensors", b"\x10" + bytes(7) + b"{ not json }    ", "not valid UTF-8 JSON"),
    ("proj.pt", saved(nn.LSTM(1, 4, proj_size=2).state_dict()), "LSTM with projections"),
    ("wide.pt", saved(nn.GRU(1, 300).state_dict()), "H = 300; this page takes H ≤ 256"),
    ("nan.pt", saved({**nn.RNN(1, 2).state_dict(), "bias_hh_l0": torch.tensor([float("nan"), 0.0])}),
     "bias_hh_l0 contains NaN or inf"),
])
def test_a_file_that_cannot_be_used_gets_its_reason_in_the_page_and_the_page_keeps_its_models(name, data, message):
    at = upload(CELL, name, data)
    assert not at.exception
    assert message in at.error[0].value and name in at.error[0].value
    assert shown_model(at) == "" and page_figures(at)  # the page's own LSTM is still shown


def test_gradient_flow_refuses_a_bidirectional_model_and_says_where_it_can_be_seen():
    at = upload(GRAD, "bi.pt", saved(nn.LSTM(1, 3, bidirectional=True).state_dict()))
    assert "bi.pt is bidirectional" in at.error[0].value and "Inside the cell shows both directions" in at.error[0].value
    assert "bidirectional" in shown_model(upload(CELL, "bi.pt", saved(nn.LSTM(1, 3, bidirectional=True).state_dict())))


def test_an_input_of_another_size_is_explained_in_the_page():
    at = upload(CELL, "three.pt", saved(nn.LSTM(3, 4).state_dict()))
    assert not at.exception
    assert "takes I = 3 input(s) per step; this sequence has I = 1" in at.error[0].value


def test_removing_the_file_or_going_back_returns_to_the_pages_own_models():
    at = upload(CELL, "mine.pt", saved(nn.GRU(1, 4).state_dict()))
    at.file_uploader(key=UPLOADER[CELL]).set_value(None).run()
    assert shown_model(at) == ""
    at.button(key=EXAMPLE[CELL]).click().run()
    at.button(key="cell_own_model_forget").click().run()
    assert_clean(at)
    assert shown_model(at) == ""


def test_one_visitors_model_is_not_seen_by_another_session():
    upload(CELL, "mine.pt", saved(nn.GRU(1, 4).state_dict()))
    other = app_test(CELL).run()
    assert shown_model(other) == "" and "cell_own_model" not in other.session_state


def test_the_uploaded_model_is_not_in_the_url():
    at = upload(CELL, "mine.pt", saved(nn.GRU(1, 4).state_dict()))
    assert not any("own_model" in key for key in at.query_params)


def test_the_seed_changes_the_input_but_not_the_uploaded_weights():
    at = with_example(GRAD)
    before = page_figures(at)[0]
    at.session_state["seed"] = 5
    at.run()
    assert_clean(at)
    assert "your model (sine-lstm.safetensors" in shown_model(at)
    assert page_figures(at)[0]["data"] != before["data"]  # a new x_t, the same weights (unit tests prove those)


def test_the_example_file_and_its_pickle_twin_hold_the_same_weights():
    ours = read_safetensors(assets("examples", "sine-lstm.safetensors").read_bytes())
    theirs = torch.load(assets("examples", "sine-lstm.pt"), weights_only=True)
    assert ours.keys() == theirs.keys() and all(torch.equal(ours[k], theirs[k]) for k in ours)


def test_a_removed_bad_file_takes_its_message_with_it():
    at = upload(CELL, "bad.pt", b"junk junk junk")
    assert at.error
    at.file_uploader(key=UPLOADER[CELL]).set_value(None).run()
    assert_clean(at)


def test_a_file_name_is_shown_literally_never_as_markdown():
    at = upload(CELL, "[click](http://example.com)*x*.pt", saved(nn.GRU(1, 4).state_dict()))
    assert "your model (_click__http___example.com__x_.pt: GRU" in shown_model(at)


@pytest.mark.parametrize("view", ["Jacobian spectrum", "Who teaches whom"])
def test_gradient_flows_other_views_show_the_uploaded_models_kind_alone(view):
    at = with_example(GRAD)
    at.session_state["grad_view"] = view
    at.run()
    assert_clean(at)
    assert "your model (sine-lstm.safetensors" in shown_model(at)
    assert not [r for r in at.radio if r.label == "Model"]  # no choice of RNN, LSTM, GRU: the model is the one
    (figure,) = page_figures(at)
    assert "LSTM" in str(figure["layout"]) and "GRU" not in str(figure["layout"])


def test_the_parameter_count_of_a_model_without_biases_counts_none():
    at = upload(CELL, "plain.pt", saved(nn.GRU(1, 4, bias=False).state_dict()))
    (params,) = [f for f in page_figures(at) if f["layout"]["title"]["text"].startswith("Parameters for")]
    assert "no biases" in params["layout"]["title"]["text"]
    totals = {note["x"]: note["y"] for note in params["layout"]["annotations"]}
    assert totals["GRU"] == sum(p.numel() for p in nn.GRU(1, 4, bias=False).parameters()) == 3 * 4 * (1 + 4)
