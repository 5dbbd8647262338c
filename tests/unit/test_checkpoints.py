"""Checkpoints are read only through torch.load(weights_only=True): tensors in, code never run."""
from __future__ import annotations

import ast
import io
import pickle
import zipfile
from pathlib import Path

import pytest
import torch

import seqviz
from harness.apptest import ROOT
from seqviz.core.checkpoints import CheckpointError, load_checkpoint_into, load_state_dict_file


class CreatesMarkerFile:
    """Unpickling this calls open(marker, "w"): a file appearing proves the pickle ran code."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return open, (str(self.marker), "w")


def saved(obj) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def zip_without_tensors() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "not a checkpoint")
    return buffer.getvalue()


def small_model():
    return seqviz.build_model("gru", 3, 4, seed=1)


def test_the_malicious_payload_really_runs_code_when_unpickled_unsafely(tmp_path):
    marker = tmp_path / "ran"
    pickle.loads(pickle.dumps(CreatesMarkerFile(marker)))
    assert marker.exists()


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
@pytest.mark.parametrize("wrap", ["torch_save", "inside_state_dict", "pickle_protocol_2", "pickle_protocol_4"])
def test_a_malicious_pickle_is_refused_without_running_anything(tmp_path, wrap):
    marker = tmp_path / "ran"
    payload = CreatesMarkerFile(marker)
    data = {"torch_save": lambda: saved(payload),
            "inside_state_dict": lambda: saved({"weight": torch.ones(2), "extra": payload}),
            "pickle_protocol_2": lambda: pickle.dumps(payload, protocol=2),
            "pickle_protocol_4": lambda: pickle.dumps(payload, protocol=4)}[wrap]()
    with pytest.raises(CheckpointError, match="refused: the checkpoint"):
        load_state_dict_file(data)
    assert not marker.exists()


def test_the_refusal_names_the_forbidden_import(tmp_path):
    with pytest.raises(CheckpointError, match=r"would import \S*open; loading it could run code"):
        load_state_dict_file(saved(CreatesMarkerFile(tmp_path / "ran")))


def test_a_state_dict_round_trips_from_bytes_path_and_file(tmp_path):
    model = small_model()
    data = saved(model.state_dict())
    path = tmp_path / "model.pt"
    path.write_bytes(data)
    for source in (data, path, str(path), io.BytesIO(data)):
        state = load_state_dict_file(source)
        assert state.keys() == model.state_dict().keys()
        assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())


def test_a_nested_state_dict_is_accepted():
    model = small_model()
    state = load_state_dict_file(saved({"state_dict": model.state_dict(), "epoch": 3}))
    assert state.keys() == model.state_dict().keys()


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"weight,bias\n1,2\n", "not a PyTorch checkpoint"),
    (bytes(range(256)) * 4, "not a PyTorch checkpoint"),
    (b"PK\x03\x04" + b"\x00" * 64, "not a PyTorch checkpoint"),
    (zip_without_tensors(), "not a readable PyTorch checkpoint"),
    (b"\x80\x04junk", "not a readable PyTorch checkpoint"),
])
def test_junk_files_get_a_clear_message(data, message):
    with pytest.raises(CheckpointError, match=message):
        load_state_dict_file(data)


@pytest.mark.parametrize("content, message", [
    ([torch.ones(2)], "mapping"),
    ({}, "mapping"),
    ({"weight": 3.0}, "weight must be a tensor"),
    ({1: torch.ones(2)}, "names must be strings"),
    ({"weight": torch.tensor([1.0, float("nan")])}, "weight contains NaN or inf"),
])
def test_content_that_is_not_a_finite_state_dict_is_refused(content, message):
    with pytest.raises(CheckpointError, match=message):
        load_state_dict_file(saved(content))


def test_files_over_the_size_limit_are_refused_before_parsing(tmp_path):
    path = tmp_path / "big.pt"
    path.write_bytes(saved({"weight": torch.zeros(1000)}))
    with pytest.raises(CheckpointError, match="limit"):
        load_state_dict_file(path, max_bytes=100)
    with pytest.raises(CheckpointError, match="limit"):
        load_state_dict_file(io.BytesIO(path.read_bytes()), max_bytes=100)


def test_a_checkpoint_loads_into_a_matching_model():
    trained = small_model()
    fresh = seqviz.build_model("gru", 3, 4, seed=2)
    load_checkpoint_into(fresh, saved(trained.state_dict()))
    assert all(torch.equal(fresh.state_dict()[k], v) for k, v in trained.state_dict().items())


def test_a_checkpoint_for_another_architecture_names_the_mismatch():
    with pytest.raises(CheckpointError, match=r"weight_ih_l0 has shape \(12, 3\); this model needs \(24, 3\)"):
        load_checkpoint_into(seqviz.build_model("gru", 3, 8), saved(small_model().state_dict()))
    with pytest.raises(CheckpointError, match="missing"):
        load_checkpoint_into(seqviz.build_model("gru", 3, 4, num_layers=2), saved(small_model().state_dict()))


def unsafe_loads(path: Path) -> list[str]:
    """torch.load calls without a literal weights_only=True, and any pickle/dill/joblib loading."""
    problems = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        owner = node.func.value.id if isinstance(node.func.value, ast.Name) else None
        name = f"{owner}.{node.func.attr}"
        safe = any(k.arg == "weights_only" and isinstance(k.value, ast.Constant) and k.value.value is True
                   for k in node.keywords)
        if (name == "torch.load" and not safe) or name in ("pickle.load", "pickle.loads", "dill.load",
                                                           "dill.loads", "joblib.load"):
            problems.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
    return problems


def test_every_checkpoint_load_in_the_app_uses_weights_only():
    sources = [ROOT / "app.py", *(ROOT / "seqviz").rglob("*.py"), *(ROOT / "pages").glob("*.py")]
    assert [p for path in sources for p in unsafe_loads(path)] == []


def test_the_source_check_catches_an_unsafe_load(tmp_path):
    bad = ROOT / "tests" / "fixtures" / "unsafe_load_example.py"
    assert unsafe_loads(bad) == ["tests/fixtures/unsafe_load_example.py:6 torch.load",
                                 "tests/fixtures/unsafe_load_example.py:7 pickle.loads"]
