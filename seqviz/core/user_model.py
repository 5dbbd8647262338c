"""A visitor's own trained nn.RNN / nn.LSTM / nn.GRU, read from a weights file it uploads.

Glossary
    I   input size      H   hidden size      L   layers      D   directions (1, or 2: "_reverse" keys)
    G   gate blocks per weight matrix: RNN 1, GRU 3, LSTM 4 (`weight_hh_l0` is (G·H, H))

Accepted files: a safetensors file, or a `torch.save(module.state_dict())` file read with
`torch.load(weights_only=True)` (`seqviz.core.checkpoints`), so no file can run code. The keys must
be exactly a stock module's (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, … per
layer and direction); I, H, L, D, bias and the kind are inferred from them and their shapes, then
the weights go into a freshly built stock module with `load_state_dict(strict=True)`. An RNN's
nonlinearity (tanh or ReLU) is not in its weights: the visitor says which (`nonlinearity`).

Refused with a message saying why: files over `MAX_MODEL_BYTES`, files that are neither format,
pickles that hold anything but tensors (a whole `torch.save(model)` included), keys of anything but
a stock recurrent module, a projection LSTM (`weight_hr_l*`, proj_size > 0), shapes that fit no
kind, non-float tensors, NaN or inf weights, and sizes over the limits a page passes.

How a model travels. Cached computations take frozen, hashable configs, and the cache is shared by
every session; so a config carries a `UserModel`, a small description keyed by the SHA-256 digest
of the uploaded bytes, never the weights. The weights (`UserWeights`, read-only: only ever copied
into fresh modules) are held by the visitor's session; `register` also puts them in a process-wide
map by digest with weak references only, so a computation (or a prefetch) can find them while some
session holds them, and they go when the last session holding them lets go. Two visitors who
upload identical bytes share results, which are the same; nothing else passes between sessions.
"""
from __future__ import annotations

import hashlib
import re
import threading
import weakref
from dataclasses import dataclass, replace
from types import MappingProxyType

import torch
from torch import nn

from seqviz.core.checkpoints import MAX_CHECKPOINT_BYTES, CheckpointError, load_state_dict_file
from seqviz.core.models import KIND_LABELS, NONLINEARITIES
from seqviz.core.safetensors_io import SafetensorsError, read_safetensors
from seqviz.core.seeding import blank

MAX_MODEL_BYTES = MAX_CHECKPOINT_BYTES  # 10 MB, server.maxUploadSize in .streamlit/config.toml
MAX_INPUT_SIZE = 256  # Gradient flow's who-teaches-whom holds T × T × I inputs (T ≤ 300)
KIND_OF_BLOCKS = {1: "rnn", 4: "lstm", 3: "gru"}  # rows of weight_hh_l0 ÷ H → kind
_MODULES = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
_KEY = re.compile(r"(weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l(\d+)(_reverse)?")
_FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
_REGISTRY: weakref.WeakValueDictionary[str, UserWeights] = weakref.WeakValueDictionary()
_REGISTRY_LOCK = threading.Lock()


class ModelFileError(ValueError):
    """An uploaded model file that cannot or must not be used; the message says what is wrong."""


@dataclass(frozen=True)
class UserModel:
    """What a visitor's model is, keyed by the digest of its file: small and hashable (a cache key).

    Attributes:
        name: the file's name, for captions.
        digest: SHA-256 (hex) of the file's bytes; the weights are found by it (`weights_of`).
        kind: "rnn", "lstm" or "gru".
        input_size, hidden_size, num_layers: I, H, L.
        bias: whether the module has biases; bidirectional: D = 2.
        nonlinearity: "tanh" or "relu" (an RNN's choice; "tanh" for LSTM and GRU).
    """

    name: str
    digest: str
    kind: str
    input_size: int
    hidden_size: int
    num_layers: int
    bias: bool
    bidirectional: bool
    nonlinearity: str = "tanh"

    @property
    def label(self) -> str:
        """'your model (name: LSTM, I = 1, H = 8, L = 1)', as the pages show it."""
        kind = KIND_LABELS[self.kind] + (f" ({self.nonlinearity})" if self.kind == "rnn" else "")
        extras = ("bidirectional, " if self.bidirectional else "") + ("" if self.bias else "no bias, ")
        return (f"your model ({self.name}: {kind}, {extras}I = {self.input_size}, H = {self.hidden_size}, "
                f"L = {self.num_layers})")

    def with_nonlinearity(self, nonlinearity: str) -> UserModel:
        """The same model with an RNN's nonlinearity set (ValueError for LSTM and GRU, or a bad name)."""
        if nonlinearity not in NONLINEARITIES:
            raise ValueError(f"nonlinearity must be one of {', '.join(NONLINEARITIES)}; got {nonlinearity!r}")
        if self.kind != "rnn" and nonlinearity != "tanh":
            raise ValueError(f"nonlinearity applies to an RNN only; this model is an {KIND_LABELS[self.kind]}")
        return replace(self, nonlinearity=nonlinearity)


class UserWeights:
    """A checked state dict, read-only: its tensors are only ever copied into fresh modules."""

    def __init__(self, digest: str, state: dict[str, torch.Tensor]):
        self.digest = digest
        self._state = MappingProxyType({name: tensor.detach().clone() for name, tensor in state.items()})

    def module(self, model: UserModel) -> nn.Module:
        """A fresh stock module of `model`'s kind and sizes holding these weights (float32, CPU)."""
        options = {"nonlinearity": model.nonlinearity} if model.kind == "rnn" else {}
        module = blank(_MODULES[model.kind], model.input_size, model.hidden_size, model.num_layers,
                       bias=model.bias, bidirectional=model.bidirectional, **options)
        with torch.no_grad():
            module.load_state_dict(self._state, strict=True)  # copies, casting to float32
        return module


@dataclass(frozen=True)
class LoadedModel:
    """What a session keeps: the description (the cache key) and the weights it holds alive."""

    model: UserModel
    weights: UserWeights


def load_user_model(data: bytes, name: str) -> LoadedModel:
    """Read, check and describe an uploaded model file; register its weights by digest.

    Args:
        data: the file's bytes (safetensors, or torch.save of a state dict).
        name: the file's name, for messages and captions.
    Raises:
        ModelFileError (a ValueError) naming the problem; nothing in the file is executed.
    """
    if len(data) > MAX_MODEL_BYTES:
        raise ModelFileError(f"{name} is {len(data) / 2**20:.1f} MB; model files are limited to "
                             f"{MAX_MODEL_BYTES / 2**20:.0f} MB")
    state = _read_state(data, name)
    digest = hashlib.sha256(data).hexdigest()
    model = describe(state, name, digest)
    weights = UserWeights(digest, state)
    weights.module(model)  # proves strict loading works before the model is offered
    return LoadedModel(model, register(weights))


def _read_state(data: bytes, name: str) -> dict[str, torch.Tensor]:
    """name → tensor from safetensors or torch.save bytes, each failure as a ModelFileError."""
    if not data:
        raise ModelFileError(f"{name} is empty")
    try:
        if data[8:9] == b"{":  # after the 8-byte header length, the JSON header (torch's files differ)
            return read_safetensors(data)
        return load_state_dict_file(data, MAX_MODEL_BYTES)
    except (SafetensorsError, CheckpointError) as error:
        raise ModelFileError(f"{name}: {error}") from None


def describe(state: dict[str, torch.Tensor], name: str = "the file", digest: str = "") -> UserModel:
    """Infer the stock module a state dict belongs to, checking every key, shape and value.

    Raises ModelFileError for keys no stock RNN/LSTM/GRU has, a projection LSTM, shapes that fit no
    kind, gaps in the layers, non-float tensors and NaN or inf values.
    """
    keys = _parse_keys(state, name)
    _check_values(state, name)
    kind, input_size, hidden_size = _sizes(state, name)
    layers = sorted({layer for _, layer, _ in keys.values()})
    if layers != list(range(len(layers))):
        raise ModelFileError(f"{name}: layers must be numbered 0, 1, …; found l{', l'.join(map(str, layers))}")
    bias = any(parameter in ("bias_ih", "bias_hh") for parameter, _, _ in keys.values())
    bidirectional = any(reverse for _, _, reverse in keys.values())
    model = UserModel(name, digest, kind, input_size, hidden_size, len(layers), bias, bidirectional)
    _check_against_stock(state, model)
    return model


def _parse_keys(state: dict, name: str) -> dict[str, tuple[str, int, bool]]:
    """key → (parameter, layer, reverse) for every key; refuses any other key, and projections."""
    parsed, unknown = {}, []
    for key in state:
        match = _KEY.fullmatch(key) if isinstance(key, str) else None
        if match is None:
            unknown.append(key)
        else:
            parsed[key] = (match.group(1), int(match.group(2)), match.group(3) is not None)
    if unknown:
        raise ModelFileError(_unknown_keys_message(name, unknown))
    if any(parameter == "weight_hr" for parameter, _, _ in parsed.values()):
        raise ModelFileError(f"{name} is an LSTM with projections (weight_hr_l*, proj_size > 0): its hidden and cell "
                             "sizes differ, which seqviz does not trace. Use an LSTM without proj_size.")
    return parsed


def _unknown_keys_message(name: str, unknown: list) -> str:
    shown = ", ".join(repr(k) for k in unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
    prefixes = {k.rsplit(".", 1)[0] for k in unknown if isinstance(k, str) and "." in k
                and _KEY.fullmatch(k.rsplit(".", 1)[1])}
    hint = (f" The recurrent weights sit under {', '.join(sorted(prefixes))}.: save that submodule's own "
            f"state_dict (e.g. model.{sorted(prefixes)[0]}.state_dict())." if prefixes else "")
    return (f"{name} is not the state dict of a stock nn.RNN, nn.LSTM or nn.GRU: unexpected keys {shown}. Its keys "
            f"must be weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0 (and _l1 …, _reverse) only.{hint}")


def _check_values(state: dict[str, torch.Tensor], name: str) -> None:
    for key, tensor in state.items():
        if tensor.dtype not in _FLOAT_DTYPES:
            raise ModelFileError(f"{name}: {key} holds {tensor.dtype} values; weights must be floating point "
                                 "(float16, bfloat16, float32 or float64)")
        if not torch.isfinite(tensor).all():
            raise ModelFileError(f"{name}: {key} contains NaN or inf")


def _sizes(state: dict[str, torch.Tensor], name: str) -> tuple[str, int, int]:
    """(kind, I, H) from weight_hh_l0 (G·H, H) and weight_ih_l0 (G·H, I)."""
    if "weight_hh_l0" not in state or "weight_ih_l0" not in state:
        raise ModelFileError(f"{name} has no weight_ih_l0 and weight_hh_l0: not a stock recurrent module's state dict")
    recurrent, inputs = state["weight_hh_l0"], state["weight_ih_l0"]
    if recurrent.dim() != 2 or inputs.dim() != 2 or 0 in (recurrent.shape[1], inputs.shape[1]):
        raise ModelFileError(f"{name}: weight_hh_l0 and weight_ih_l0 must be non-empty matrices; got shapes "
                             f"{tuple(recurrent.shape)} and {tuple(inputs.shape)}")
    rows, hidden = recurrent.shape
    blocks = rows / hidden
    if blocks not in KIND_OF_BLOCKS:
        raise ModelFileError(f"{name}: weight_hh_l0 is {rows} × {hidden}, so {blocks:g} gate blocks of H = {hidden}; a "
                             "stock RNN has 1 (H × H), a GRU 3 (3H × H), an LSTM 4 (4H × H)")
    return KIND_OF_BLOCKS[int(blocks)], inputs.shape[1], hidden


def _check_against_stock(state: dict[str, torch.Tensor], model: UserModel) -> None:
    """Every key and shape of the stock module `model` describes, and no other key."""
    options = {"nonlinearity": "tanh"} if model.kind == "rnn" else {}
    expected = {k: v.shape for k, v in _MODULES[model.kind](
        model.input_size, model.hidden_size, model.num_layers, bias=model.bias,
        bidirectional=model.bidirectional, device="meta", **options).state_dict().items()}
    missing, unexpected = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    what = f"an {KIND_LABELS[model.kind]} with I = {model.input_size}, H = {model.hidden_size}, L = {model.num_layers}"
    if missing or unexpected:
        raise ModelFileError(f"{model.name} looks like {what}, but its keys do not fit one: missing "
                             f"{missing or 'nothing'}, unexpected {unexpected or 'nothing'}")
    for key, shape in expected.items():
        if state[key].shape != shape:
            raise ModelFileError(f"{model.name}: {key} has shape {tuple(state[key].shape)}; {what} needs {tuple(shape)}")


def check_limits(model: UserModel, max_hidden: int, max_layers: int, bidirectional: bool = True) -> None:
    """Refuse a model bigger than a page computes (ValueError naming the size and the limit)."""
    if model.hidden_size > max_hidden:
        raise ModelFileError(f"{model.name} has H = {model.hidden_size}; this page takes H ≤ {max_hidden}")
    if model.num_layers > max_layers:
        raise ModelFileError(f"{model.name} has L = {model.num_layers} layers; this page takes L ≤ {max_layers}")
    if model.input_size > MAX_INPUT_SIZE:
        raise ModelFileError(f"{model.name} has I = {model.input_size}; this page takes I ≤ {MAX_INPUT_SIZE}")
    if model.bidirectional and not bidirectional:
        raise ModelFileError(f"{model.name} is bidirectional; this page follows the gradient through time forward "
                             "only. Inside the cell shows both directions.")


def register(weights: UserWeights) -> UserWeights:
    """Make `weights` findable by digest while some session holds them; returns the registered copy
    (an identical upload's, if one is held already)."""
    with _REGISTRY_LOCK:
        return _REGISTRY.setdefault(weights.digest, weights)


def user_module(model: UserModel) -> nn.Module:
    """A fresh stock module for `model` (CPU, float32); ValueError when no session holds its weights."""
    with _REGISTRY_LOCK:
        weights = _REGISTRY.get(model.digest)
    if weights is None:
        raise ModelFileError(f"{model.name} is no longer loaded on the server; upload it again")
    return weights.module(model)
