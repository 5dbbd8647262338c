"""A visitor's own model file: inferred, checked, loaded into a stock module, or refused with a reason."""
from __future__ import annotations

import gc
import io
import json
import os
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from seqviz.core.safetensors_io import SafetensorsError, read_safetensors, write_safetensors
from seqviz.core.tracing import trace
from seqviz.core.user_model import (
    MAX_MODEL_BYTES,
    ModelFileError,
    UserModel,
    check_limits,
    load_user_model,
    user_module,
)


def saved(obj) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def seeded_module(cls, *args, seed=0, **kwargs) -> nn.Module:
    torch.manual_seed(seed)
    return cls(*args, **kwargs)


class RunsShellCommand:
    """Unpickling this calls os.system("touch marker"): the marker appearing proves the pickle ran code."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_the_shell_payload_really_runs_when_unpickled_unsafely(tmp_path):
    marker = tmp_path / "ran"
    pickle.loads(pickle.dumps(RunsShellCommand(marker)))
    assert marker.exists()


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
@pytest.mark.parametrize("wrap", ["bare", "torch_save", "inside_state_dict", "as_a_tensor_value", "protocol_0"])
def test_a_malicious_pickle_is_refused_without_running(tmp_path, wrap):
    marker = tmp_path / "ran"
    payload = RunsShellCommand(marker)
    lstm = nn.LSTM(1, 2).state_dict()
    data = {"bare": lambda: pickle.dumps(payload, protocol=4),
            "torch_save": lambda: saved(payload),
            "inside_state_dict": lambda: saved({**lstm, "evil": payload}),
            "as_a_tensor_value": lambda: saved({"weight_ih_l0": payload}),
            "protocol_0": lambda: pickle.dumps(payload, protocol=0)}[wrap]()
    with pytest.raises(ModelFileError) as refused:
        load_user_model(data, "evil.pt")
    assert not marker.exists()
    assert "evil.pt" in str(refused.value)


def test_a_malicious_pickle_is_refused_as_code_it_could_run(tmp_path):
    with pytest.raises(ModelFileError, match=r"evil.pt: refused: the checkpoint .*; loading it could run code"):
        load_user_model(saved(RunsShellCommand(tmp_path / "ran")), "evil.pt")


@pytest.mark.parametrize("kind, cls, blocks", [("rnn", nn.RNN, 1), ("lstm", nn.LSTM, 4), ("gru", nn.GRU, 3)])
def test_kind_and_sizes_are_inferred_from_the_keys_and_gate_multiples(kind, cls, blocks):
    module = seeded_module(cls, 3, 5, 2)
    assert module.weight_hh_l0.shape == (blocks * 5, 5)
    model = load_user_model(saved(module.state_dict()), "m.pt").model
    assert (model.kind, model.input_size, model.hidden_size, model.num_layers) == (kind, 3, 5, 2)
    assert model.bias and not model.bidirectional and model.nonlinearity == "tanh"


def test_bias_free_and_bidirectional_modules_are_recognised():
    model = load_user_model(saved(nn.GRU(2, 4, bias=False, bidirectional=True).state_dict()), "g.pt").model
    assert not model.bias and model.bidirectional


@pytest.mark.parametrize("cls, nonlinearity", [(nn.LSTM, "tanh"), (nn.GRU, "tanh"), (nn.RNN, "relu")])
@pytest.mark.parametrize("fmt", ["pt", "safetensors"])
def test_a_saved_module_loads_into_a_stock_module_with_identical_outputs(cls, nonlinearity, fmt):
    options = {"nonlinearity": nonlinearity} if cls is nn.RNN else {}
    original = seeded_module(cls, 3, 6, 2, seed=4, **options).eval()
    data = saved(original.state_dict()) if fmt == "pt" else write_safetensors(original.state_dict())
    loaded = load_user_model(data, f"m.{fmt}")
    module = user_module(loaded.model.with_nonlinearity(nonlinearity))
    assert type(module) is cls and module.state_dict().keys() == original.state_dict().keys()
    x = torch.randn(7, 1, 3, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert torch.equal(module(x)[0], original(x)[0])


def test_a_trace_of_the_uploaded_model_equals_running_the_module_directly():
    original = seeded_module(nn.LSTM, 2, 4, bidirectional=True, seed=2).eval()
    loaded = load_user_model(write_safetensors(original.state_dict()), "l.safetensors")
    x = torch.randn(9, 2, generator=torch.Generator().manual_seed(3))
    traced = trace(user_module(loaded.model), x)
    with torch.no_grad():
        output, _ = original(x[:, None])
    np.testing.assert_allclose(traced.output, output[:, 0].numpy(), rtol=1e-5, atol=1e-6)


def test_the_weights_are_copied_in_so_the_loaded_module_never_shares_them():
    loaded = load_user_model(saved(nn.RNN(1, 2).state_dict()), "r.pt")
    first = user_module(loaded.model)
    with torch.no_grad():
        first.weight_hh_l0.fill_(7.0)
    assert not torch.equal(user_module(loaded.model).weight_hh_l0, first.weight_hh_l0)


def test_half_precision_weights_are_accepted_and_run_in_float32():
    module = nn.GRU(2, 3).half()
    loaded = load_user_model(saved(module.state_dict()), "h.pt")
    assert user_module(loaded.model).weight_hh_l0.dtype == torch.float32


def test_identical_bytes_have_the_same_digest_and_share_registered_weights():
    data = saved(nn.LSTM(1, 2).state_dict())
    first, second = load_user_model(data, "a.pt"), load_user_model(data, "b.pt")
    assert first.model.digest == second.model.digest and first.weights is second.weights


def test_weights_no_session_holds_any_more_are_gone_with_a_clear_message():
    loaded = load_user_model(saved(seeded_module(nn.LSTM, 1, 3, seed=9).state_dict()), "gone.pt")
    model = loaded.model
    del loaded
    gc.collect()
    with pytest.raises(ModelFileError, match="gone.pt is no longer loaded on the server; upload it again"):
        user_module(model)


def test_the_nonlinearity_is_the_visitors_choice_for_an_rnn_only():
    loaded = load_user_model(saved(nn.RNN(1, 2).state_dict()), "r.pt")  # held: it keeps the weights loaded
    assert user_module(loaded.model.with_nonlinearity("relu")).nonlinearity == "relu"
    lstm = load_user_model(saved(nn.LSTM(1, 2).state_dict()), "l.pt").model
    with pytest.raises(ValueError, match="nonlinearity applies to an RNN only"):
        lstm.with_nonlinearity("relu")


def test_the_label_names_file_kind_and_sizes():
    model = UserModel("mine.pt", "0" * 64, "lstm", 1, 8, 2, True, False)
    assert model.label == "your model (mine.pt: LSTM, I = 1, H = 8, L = 2)"


def state_with(**changes) -> dict:
    state = dict(nn.LSTM(2, 3).state_dict())
    for key, value in changes.items():
        if value is None:
            del state[key]
        else:
            state[key] = value
    return state


@pytest.mark.parametrize("content, message", [
    (state_with(**{"fc.weight": torch.ones(2, 3)}), r"not the state dict of a stock nn.RNN.*unexpected keys 'fc.weight'"),
    ({f"lstm.{k}": v for k, v in nn.LSTM(2, 3).state_dict().items()},
     r"sit under lstm\.: save that submodule's own state_dict \(e\.g\. model\.lstm\.state_dict\(\)\)"),
    (nn.LSTM(2, 4, proj_size=2).state_dict(), r"LSTM with projections \(weight_hr_l\*, proj_size > 0\)"),
    (state_with(weight_hh_l0=torch.ones(6, 3)), r"weight_hh_l0 is 6 × 3, so 2 gate blocks.*RNN has 1"),
    (state_with(weight_ih_l0=None), "has no weight_ih_l0 and weight_hh_l0"),
    (state_with(weight_ih_l0=torch.ones(12, 0)), r"must be non-empty matrices; got shapes \(12, 3\) and \(12, 0\)"),
    (state_with(bias_hh_l0=None), r"keys do not fit one: missing \['bias_hh_l0'\]"),
    (state_with(bias_ih_l0=torch.ones(5)), r"bias_ih_l0 has shape \(5,\); an LSTM with I = 2, H = 3, L = 1 needs \(12,\)"),
    (nn.LSTM(2, 3, num_layers=3).state_dict() | {"weight_ih_l1": None}, "must be a tensor"),
    ({k: v for k, v in nn.LSTM(2, 3, num_layers=3).state_dict().items() if "_l1" not in k},
     "layers must be numbered 0, 1, …; found l0, l2"),
    (state_with(bias_ih_l0=torch.ones(12, dtype=torch.int64)), r"bias_ih_l0 holds torch.int64 values; weights must be "
                                                                 "floating point"),
    (state_with(weight_hh_l0=torch.full((12, 3), float("nan"))), "weight_hh_l0 contains NaN or inf"),
    (state_with(weight_hh_l0=torch.full((12, 3), float("inf"))), "weight_hh_l0 contains NaN or inf"),
])
def test_anything_but_a_finite_stock_state_dict_is_refused_with_its_reason(content, message):
    for data in (saved(content), _safetensors_or_none(content)):
        if data is None:
            continue
        with pytest.raises(ModelFileError, match=message):
            load_user_model(data, "bad.pt")


def _safetensors_or_none(content: dict) -> bytes | None:
    if not all(isinstance(v, torch.Tensor) for v in content.values()):
        return None
    return write_safetensors(content)


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
@pytest.mark.parametrize("data, message", [
    (b"", "bad.bin is empty"),
    (b"time,value\n0,1.0\n", "not a PyTorch checkpoint"),
    (b"\x89PNG\r\n\x1a\n" + bytes(100), "not a PyTorch checkpoint"),
    (struct.pack("<Q", 2**40) + b"{}", "not a safetensors file"),
    (struct.pack("<Q", 5) + b"{oops", "not valid UTF-8 JSON"),
])
def test_a_file_that_is_not_a_checkpoint_at_all_is_refused(data, message):
    with pytest.raises(ModelFileError, match=message):
        load_user_model(data, "bad.bin")


def test_a_whole_pickled_model_is_refused_as_such():
    with pytest.raises(ModelFileError, match=r"is a whole pickled model \(torch.save\(model\) of "
                                             r"torch.nn.modules.rnn.LSTM\), not a state dict"):
        load_user_model(saved(nn.LSTM(1, 2)), "whole.pt")


def test_a_file_over_the_size_limit_is_refused_before_it_is_read():
    with pytest.raises(ModelFileError, match=r"big.pt is 10.0 MB; model files are limited to 10 MB"):
        load_user_model(b"\x80" * (MAX_MODEL_BYTES + 1), "big.pt")


@pytest.mark.parametrize("sizes, allow_bidirectional, message", [
    ((1, 300, 1, False), True, "H = 300; this page takes H ≤ 256"),
    ((1, 8, 4, False), True, "L = 4 layers; this page takes L ≤ 3"),
    ((300, 8, 1, False), True, "I = 300; this page takes I ≤ 256"),
    ((1, 8, 1, True), False, "is bidirectional; this page follows the gradient through time forward only"),
])
def test_a_model_bigger_than_a_page_computes_is_refused(sizes, allow_bidirectional, message):
    I, H, L, D = sizes
    model = UserModel("m.pt", "0" * 64, "gru", I, H, L, True, D)
    with pytest.raises(ModelFileError, match=message):
        check_limits(model, 256, 3, allow_bidirectional)


# ---------------------------------------------------------------- the safetensors reader

def hand_built(header: dict, body: bytes, pad: bytes = b"") -> bytes:
    text = json.dumps(header).encode() + pad
    return struct.pack("<Q", len(text)) + text + body


def test_the_reader_reads_hand_built_bytes():
    body = struct.pack("<4f", 1.0, 2.0, 3.0, 4.0) + struct.pack("<2d", 5.0, 6.0)
    data = hand_built({"__metadata__": {"format": "pt"},
                       "a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
                       "b": {"dtype": "F64", "shape": [2], "data_offsets": [16, 32]}}, body, pad=b"   ")
    tensors = read_safetensors(data)
    assert torch.equal(tensors["a"], torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert tensors["b"].dtype == torch.float64 and tensors["b"].tolist() == [5.0, 6.0]


def test_the_writer_and_reader_round_trip_every_dtype_and_shape():
    tensors = {"f32": torch.randn(3, 4), "f16": torch.randn(5).half(), "bf16": torch.randn(2, 2).bfloat16(),
               "f64": torch.randn(1, 1, 2, dtype=torch.float64), "i64": torch.arange(3), "empty": torch.zeros(0, 4),
               "scalar": torch.tensor(2.5), "flags": torch.tensor([True, False])}
    back = read_safetensors(write_safetensors(tensors, {"note": "x"}))
    assert back.keys() == tensors.keys()
    assert all(back[k].dtype == v.dtype and torch.equal(back[k], v) for k, v in tensors.items())


def test_the_writer_pads_the_header_to_eight_bytes():
    data = write_safetensors({"w": torch.ones(3)})
    (size,) = struct.unpack("<Q", data[:8])
    assert (8 + size) % 8 == 0


def test_the_reader_agrees_with_the_safetensors_library_where_it_is_installed():
    library = pytest.importorskip("safetensors.torch")
    tensors = {"weight_ih_l0": torch.randn(8, 1), "weight_hh_l0": torch.randn(8, 2), "b": torch.randn(3).half()}
    ours = read_safetensors(library.save(tensors))
    theirs = library.load(write_safetensors(tensors))
    assert all(torch.equal(ours[k], v) and torch.equal(theirs[k], v) for k, v in tensors.items())


F32 = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}


@pytest.mark.parametrize("data, message", [
    (b"\x01\x00", "starts with an 8-byte header length"),
    (struct.pack("<Q", 100) + b"{}", "past the end of the file"),
    (hand_built([1, 2], b""), "must be a JSON object"),
    (struct.pack("<Q", 18) + b'{"a": {}, "a": {}}', "names a tensor twice"),
    (hand_built({"a": {**F32, "dtype": "F8"}}, bytes(8)), "unsupported dtype 'F8'"),
    (hand_built({"a": {**F32, "shape": [-2]}}, bytes(8)), "shape must be a list"),
    (hand_built({"a": {**F32, "shape": [True]}}, bytes(8)), "shape must be a list"),
    (hand_built({"a": {**F32, "data_offsets": [8, 0]}}, bytes(8)), "data_offsets must be"),
    (hand_built({"a": {**F32, "extra": 1}}, bytes(8)), "expected exactly dtype, shape and data_offsets"),
    (hand_built({"a": {**F32, "data_offsets": [0, 4]}}, bytes(8)), "spans 4 bytes; F32 of shape \\[2\\] needs 8"),
    (hand_built({"a": F32}, bytes(4)), "past the data's 4 bytes"),
    (hand_built({"a": F32}, bytes(12)), "4 bytes after the last tensor belong to none"),
    (hand_built({"a": F32, "b": {**F32, "data_offsets": [4, 12]}}, bytes(12)), "starts at byte 4 of the data; "
                                                                              "expected 8"),
    (hand_built({"a": F32, "b": {**F32, "data_offsets": [12, 20]}}, bytes(20)), "starts at byte 12"),
    (hand_built({"__metadata__": {"n": 1}}, b""), "__metadata__ must be an object of strings"),
])
def test_the_reader_refuses_malformed_files_with_the_reason(data, message):
    with pytest.raises(SafetensorsError, match=message):
        read_safetensors(data)


def test_a_malformed_safetensors_upload_is_refused_with_its_file_name():
    with pytest.raises(ModelFileError, match="odd.safetensors: .*belong to none"):
        load_user_model(hand_built({"weight_hh_l0": F32}, bytes(12)), "odd.safetensors")


# ---------------------------------------------------------------- the pages' backends on an uploaded model

def uploaded(module: nn.Module, name="mine.safetensors"):
    return load_user_model(write_safetensors(module.state_dict()), name)


def test_inside_the_cell_traces_the_uploaded_module_exactly_as_running_it_directly():
    from seqviz.cell.run import CellConfig, run_cell

    original = seeded_module(nn.GRU, 1, 5, 2, bidirectional=True, seed=6).eval()
    loaded = uploaded(original)
    run = run_cell(CellConfig().with_model(loaded.model))
    x = torch.tensor(run.sequence.x)[:, None]  # (T, 1, I)
    with torch.no_grad():
        output, h_n = original(x)
        _, h_rev = original(x.flip(0))
    np.testing.assert_allclose(run.trace.output, output[:, 0].numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(run.reversed_final, h_rev[:, 0].reshape(2, 2, 5).numpy(), rtol=1e-5, atol=1e-6)
    assert run.config.model == loaded.model and run.trace.kind == "gru"


def test_gradient_flow_gives_the_input_gradients_of_the_uploaded_module_computed_by_autograd():
    from seqviz.gradients.flow import FlowConfig, flow_input, gradient_through_time

    original = seeded_module(nn.RNN, 3, 6, nonlinearity="relu", seed=7).double()
    loaded = uploaded(original.float())
    config = FlowConfig(steps=15, dtype="float64").with_model(loaded.model.with_nonlinearity("relu"))
    result = gradient_through_time(config)
    x = flow_input(config)[:, None].requires_grad_(True)  # (T, 1, I): I is the model's own
    original.double()(x)[0][-1].sum().backward()
    assert list(result.kinds) == ["rnn"]
    np.testing.assert_allclose(result.kinds["rnn"].grad_input_norm, x.grad[:, 0].norm(dim=-1).numpy(), rtol=1e-10)


def test_the_seed_draws_gradient_flows_input_but_never_the_uploaded_weights():
    from seqviz.gradients.flow import FlowConfig, flow_model

    loaded = uploaded(nn.LSTM(2, 3))
    a, b = (flow_model(FlowConfig(seed=seed).with_model(loaded.model), "lstm") for seed in (0, 1))
    assert all(torch.equal(a.state_dict()[k], v) for k, v in b.state_dict().items())


def test_a_config_that_contradicts_its_uploaded_model_is_refused():
    from seqviz.cell.run import CellConfig, run_cell
    from seqviz.gradients.flow import FlowConfig

    loaded = uploaded(nn.LSTM(1, 3))
    with pytest.raises(ValueError, match="must describe it"):
        FlowConfig(model=loaded.model)
    with pytest.raises(ValueError, match="must describe it"):
        run_cell(CellConfig(model=loaded.model))


def test_gradient_flow_refuses_a_bidirectional_upload_and_inside_the_cell_takes_it():
    from seqviz.cell.run import CellConfig, run_cell
    from seqviz.gradients.flow import FlowConfig

    loaded = uploaded(nn.LSTM(1, 3, bidirectional=True))
    with pytest.raises(ValueError, match="bidirectional; this page follows the gradient through time forward only"):
        FlowConfig().with_model(loaded.model)
    assert run_cell(CellConfig().with_model(loaded.model)).trace.num_directions == 2


def test_an_input_of_the_wrong_size_names_the_sizes_and_how_to_fix_it():
    from seqviz.cell.inputs import InputSpec
    from seqviz.cell.run import CellConfig, run_cell

    loaded = uploaded(nn.LSTM(2, 3), "two.safetensors")
    with pytest.raises(ValueError, match=r"two.safetensors: LSTM.*takes I = 2 input\(s\) per step; this sequence has "
                                         r"I = 1\. Pick a sequence with 2 feature\(s\)"):
        run_cell(CellConfig(input=InputSpec(source="sine")).with_model(loaded.model))


def test_a_model_without_biases_shows_zero_bias_terms_in_the_step_numbers():
    from seqviz.cell.run import CellConfig, run_cell, step_numbers

    original = seeded_module(nn.RNN, 1, 4, bias=False, seed=8)
    loaded = uploaded(original)
    run = run_cell(CellConfig().with_model(loaded.model))
    numbers = step_numbers(run, 0, 0, 5, [0, 1])
    h_prev = torch.tensor(run.trace.hidden[4, 0, 0], dtype=torch.float64)
    expected = (original.weight_hh_l0.detach().double() @ h_prev)[:2].numpy()
    np.testing.assert_allclose(numbers.recurrent_part[0], expected, rtol=1e-6)


def test_a_compressed_archive_that_would_unpack_past_the_limit_is_refused_before_unpacking():
    import zipfile

    plain = zipfile.ZipFile(io.BytesIO(saved({"weight_hh_l0": torch.zeros(3_000_000, 4)})))  # 48 MB of zeros
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:  # torch.load would inflate it
        for entry in plain.infolist():
            archive.writestr(entry.filename, plain.read(entry.filename))
    assert len(packed.getvalue()) < MAX_MODEL_BYTES
    with pytest.raises(ModelFileError, match=r"bomb.pt: checkpoint unpacks to \d+ bytes \(a compressed archive\)"):
        load_user_model(packed.getvalue(), "bomb.pt")
