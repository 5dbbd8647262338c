"""Load PyTorch checkpoints (state dicts) from untrusted files without running their code.

A checkpoint written by `torch.save` is a pickle, and unpickling can run arbitrary code: a crafted
file's `__reduce__` may call any importable function. Every checkpoint seqviz reads therefore goes
through `torch.load(..., weights_only=True)`, whose restricted unpickler accepts only tensors,
primitive containers and numbers and refuses every other global before anything is called.

Glossary
    state dict   mapping parameter name → tensor, e.g. "weight_hh_l0" → (G·H, H)
    G, H         gate blocks (RNN 1, GRU 3, LSTM 4) and hidden size, as in seqviz.core.models

What is refused, each with a message saying why: files over `MAX_CHECKPOINT_BYTES` (or archives
that unpack to more), empty files, files that are not `torch.save` output, pickles holding anything
but tensors, containers that are not a flat name → tensor mapping, and tensors with NaN or inf.
"""
from __future__ import annotations

import io
import pickle
import re
import zipfile
from pathlib import Path
from typing import BinaryIO

import torch
from torch import nn

MAX_CHECKPOINT_BYTES = 10 * 2**20  # matches server.maxUploadSize (MB) in .streamlit/config.toml
_PICKLE_PROTOCOL_MARK = b"\x80"  # first byte of a protocol ≥ 2 pickle (torch's legacy format)
_FORBIDDEN_GLOBAL = re.compile(r"Unsupported global: GLOBAL (\S+)")
_NESTED_KEYS = ("state_dict", "model_state_dict", "model")
_MODULE_CLASSES = "torch.nn.modules."  # a pickled nn.Module names its class from here


class CheckpointError(ValueError):
    """A checkpoint that cannot or must not be loaded; the message says what is wrong."""


def load_state_dict_file(source: str | Path | bytes | BinaryIO,
                         max_bytes: int = MAX_CHECKPOINT_BYTES) -> dict[str, torch.Tensor]:
    """Read a state dict from a path, raw bytes or a binary file (e.g. a Streamlit upload).

    Args:
        source: a file written by `torch.save(module.state_dict(), …)`; a dict that nests the
            state dict under "state_dict", "model_state_dict" or "model" is accepted too.
        max_bytes: size limit, checked before anything is parsed.
    Returns:
        name → tensor on the CPU.
    Raises:
        CheckpointError (a ValueError) naming the problem; nothing in the file is executed.
    """
    return _validated(_unwrap(load_weights_only(source, max_bytes)))


def load_weights_only(source: str | Path | bytes | BinaryIO, max_bytes: int = MAX_CHECKPOINT_BYTES):
    """Whatever `torch.save` wrote (tensors in plain containers), read with weights_only=True.

    Raises CheckpointError for oversize, empty, non-torch or code-carrying files; nothing runs.
    """
    data = _read_limited(source, max_bytes)
    _check_format(data, max_bytes)
    try:
        return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise CheckpointError(_refusal(error)) from None
    except Exception as error:  # corrupt files raise RuntimeError, EOFError, struct.error, KeyError …
        raise CheckpointError(f"not a readable PyTorch checkpoint: {_first_line(error)}") from None


def load_checkpoint_into(module: nn.Module, source: str | Path | bytes | BinaryIO) -> nn.Module:
    """Copy a checkpoint's tensors into `module` (in place) after checking names and shapes.

    Pass a freshly built module, never a cached one: cached models are shared by every session.
    """
    state = load_state_dict_file(source)
    expected = module.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise CheckpointError(f"checkpoint does not fit this {type(module).__name__}: "
                              f"missing {missing or 'nothing'}, unexpected {unexpected or 'nothing'}")
    for name, tensor in state.items():
        if tensor.shape != expected[name].shape:
            raise CheckpointError(f"{name} has shape {tuple(tensor.shape)}; this model needs "
                                  f"{tuple(expected[name].shape)}")
    module.load_state_dict(state)
    return module


def _read_limited(source, max_bytes: int) -> bytes:
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    elif isinstance(source, (str, Path)):
        path = Path(source)
        if path.stat().st_size > max_bytes:
            raise CheckpointError(f"checkpoint is {path.stat().st_size} bytes; the limit is {max_bytes}")
        data = path.read_bytes()
    else:
        data = source.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise CheckpointError(f"checkpoint is over the limit of {max_bytes} bytes")
    if not data:
        raise CheckpointError("checkpoint is empty")
    return data


def _check_format(data: bytes, max_bytes: int) -> None:
    if zipfile.is_zipfile(io.BytesIO(data)):
        _check_unpacked_size(data, max_bytes)
    elif not data.startswith(_PICKLE_PROTOCOL_MARK):
        raise CheckpointError("not a PyTorch checkpoint: expected a file written by torch.save "
                              f"(zip archive or pickle); it starts with {data[:8]!r}")


def _check_unpacked_size(data: bytes, max_bytes: int) -> None:
    """Refuse an archive whose entries unpack to more than `max_bytes`: torch.save stores them
    uncompressed, but torch.load also inflates compressed ones, so a small file could fill memory."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as error:
        raise CheckpointError(f"not a readable PyTorch checkpoint: {_first_line(error)}") from None
    if unpacked > max_bytes:
        raise CheckpointError(f"checkpoint unpacks to {unpacked} bytes (a compressed archive); the limit is "
                              f"{max_bytes}")


def _unwrap(loaded):
    if isinstance(loaded, dict):
        for key in _NESTED_KEYS:
            if isinstance(loaded.get(key), dict):
                return loaded[key]
    return loaded


def _validated(state) -> dict[str, torch.Tensor]:
    if not isinstance(state, dict) or not state:
        raise CheckpointError(f"expected a non-empty mapping of parameter name → tensor; got {type(state).__name__}")
    for name, value in state.items():
        if not isinstance(name, str):
            raise CheckpointError(f"parameter names must be strings; got {name!r}")
        if not isinstance(value, torch.Tensor):
            raise CheckpointError(f"{name} must be a tensor; got {type(value).__name__}")
        if value.is_floating_point() and not torch.isfinite(value).all():
            raise CheckpointError(f"{name} contains NaN or inf")
    return dict(state)


def _refusal(error: pickle.UnpicklingError) -> str:
    """The weights-only unpickler's refusal, without its advice to load unsafely."""
    forbidden = _FORBIDDEN_GLOBAL.search(str(error))
    what = f"would import {forbidden.group(1)}" if forbidden else "holds pickle content other than tensors"
    if forbidden and forbidden.group(1).startswith(_MODULE_CLASSES):
        what = f"is a whole pickled model (torch.save(model) of {forbidden.group(1)}), not a state dict"
    return (f"refused: the checkpoint {what}; loading it could run code. "
            "Save only `module.state_dict()` with torch.save.")


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
