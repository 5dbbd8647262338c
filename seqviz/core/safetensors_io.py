"""A small, strict reader and writer of the safetensors format, without the `safetensors` package.

Format (https://github.com/huggingface/safetensors): an 8-byte little-endian unsigned header length
N, then N bytes of UTF-8 JSON, then the raw tensor bytes. The JSON maps each tensor name to
{"dtype": "F32", "shape": [d0, d1, …], "data_offsets": [begin, end]} (offsets into the bytes after
the header) and may hold one "__metadata__" object of string → string. Tensors are little-endian,
C-ordered, and together cover the data exactly: no gaps, no overlaps, nothing after the last one.

Nothing in a safetensors file is executed; this reader still checks everything (sizes before
parsing, duplicate names, offsets, each tensor's byte count against its dtype and shape) and
raises `SafetensorsError` naming the first problem. Only the dtypes in `DTYPES` are read. Bytes are
taken in the machine's order, which is little-endian on every platform PyTorch ships for.
"""
from __future__ import annotations

import json
import math
import struct

import torch

MAX_HEADER_BYTES = 1 * 2**20  # a recurrent model's header is a few kB (about 100 bytes per tensor)
MAX_TENSORS = 512
MAX_DIMENSIONS = 8
DTYPES = {"F16": torch.float16, "BF16": torch.bfloat16, "F32": torch.float32, "F64": torch.float64,
          "I8": torch.int8, "U8": torch.uint8, "I16": torch.int16, "I32": torch.int32, "I64": torch.int64,
          "BOOL": torch.bool}
_NAMES = {dtype: name for name, dtype in DTYPES.items()}
_ALIGNMENT = 8  # the writer pads the header with spaces to this many bytes, as the library does


class SafetensorsError(ValueError):
    """Bytes that are not a well-formed safetensors file; the message says what is wrong."""


def read_safetensors(data: bytes) -> dict[str, torch.Tensor]:
    """Parse safetensors bytes into name → tensor (fresh CPU tensors, independent of `data`). The
    caller bounds the size of `data` (seqviz.core.user_model: MAX_MODEL_BYTES).

    Raises SafetensorsError for a short or oversized header, a header that is not a JSON object,
    duplicate names, unknown dtypes, bad shapes or offsets, and data not exactly covered.
    """
    header, start = _header(data)
    entries = sorted(((name, _entry(name, spec)) for name, spec in header.items()), key=lambda e: e[1][2])
    body = memoryview(data)[start:]
    expected_begin = 0
    tensors = {}
    for name, (dtype, shape, (begin, end)) in entries:
        if begin != expected_begin:
            raise SafetensorsError(f"tensor {name!r} starts at byte {begin} of the data; expected {expected_begin} "
                                   "(tensors must cover the data without gaps or overlaps)")
        if end - begin != math.prod(shape) * _itemsize(dtype):
            raise SafetensorsError(f"tensor {name!r} spans {end - begin} bytes; {dtype} of shape {list(shape)} "
                                   f"needs {math.prod(shape) * _itemsize(dtype)}")
        if end > len(body):
            raise SafetensorsError(f"tensor {name!r} ends at byte {end}, past the data's {len(body)} bytes")
        tensors[name] = _tensor(body[begin:end], dtype, shape)
        expected_begin = end
    if expected_begin != len(body):
        raise SafetensorsError(f"{len(body) - expected_begin} bytes after the last tensor belong to none")
    return tensors


def write_safetensors(tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None = None) -> bytes:
    """Serialise name → tensor (dtypes in DTYPES) as safetensors bytes, tensors in name order."""
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name in sorted(tensors):
        tensor = tensors[name].detach().cpu().contiguous()
        if tensor.dtype not in _NAMES:
            raise SafetensorsError(f"tensor {name!r} has dtype {tensor.dtype}; writable: {', '.join(map(str, _NAMES))}")
        raw = _little_endian_bytes(tensor)
        header[name] = {"dtype": _NAMES[tensor.dtype], "shape": list(tensor.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-(8 + len(text)) % _ALIGNMENT)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def _header(data: bytes) -> tuple[dict, int]:
    """The header's tensor entries (metadata checked and dropped) and where the data begins."""
    if len(data) < 8:
        raise SafetensorsError(f"a safetensors file starts with an 8-byte header length; got {len(data)} bytes")
    (size,) = struct.unpack("<Q", data[:8])
    if size > MAX_HEADER_BYTES or 8 + size > len(data):
        raise SafetensorsError(f"the header length {size} is over the limit of {MAX_HEADER_BYTES} bytes or past "
                               f"the end of the file ({len(data)} bytes): not a safetensors file")
    try:
        header = json.loads(bytes(data[8:8 + size]).decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SafetensorsError(f"the header is not valid UTF-8 JSON ({error}): not a safetensors file") from None
    if not isinstance(header, dict):
        raise SafetensorsError(f"the header must be a JSON object; got {type(header).__name__}")
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise SafetensorsError("__metadata__ must be an object of strings")
    if len(header) > MAX_TENSORS:
        raise SafetensorsError(f"the file holds {len(header)} tensors; at most {MAX_TENSORS} are read")
    return header, 8 + size


def _no_duplicates(pairs: list) -> dict:
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        raise SafetensorsError(f"the header names a tensor twice: {sorted({n for n in names if names.count(n) > 1})}")
    return dict(pairs)


def _entry(name: str, spec) -> tuple[str, tuple[int, ...], tuple[int, int]]:
    """(dtype, shape, (begin, end)) of one header entry, each checked."""
    if not isinstance(spec, dict) or set(spec) != {"dtype", "shape", "data_offsets"}:
        raise SafetensorsError(f"tensor {name!r}: expected exactly dtype, shape and data_offsets; got {spec!r}")
    dtype, shape, offsets = spec["dtype"], spec["shape"], spec["data_offsets"]
    if not isinstance(dtype, str):
        raise SafetensorsError(f"tensor {name!r}: dtype must be a string; got {dtype!r}")
    if not (isinstance(shape, list) and len(shape) <= MAX_DIMENSIONS and all(_natural(d) for d in shape)):
        raise SafetensorsError(f"tensor {name!r}: shape must be a list of at most {MAX_DIMENSIONS} sizes ≥ 0; "
                               f"got {shape!r}")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(map(_natural, offsets))
            and offsets[0] <= offsets[1]):
        raise SafetensorsError(f"tensor {name!r}: data_offsets must be [begin, end] with 0 ≤ begin ≤ end; "
                               f"got {offsets!r}")
    return dtype, tuple(shape), (offsets[0], offsets[1])


def _natural(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _itemsize(dtype: str) -> int:
    if dtype not in DTYPES:
        raise SafetensorsError(f"unsupported dtype {dtype!r}; this reader takes {', '.join(DTYPES)}")
    return DTYPES[dtype].itemsize


def _tensor(raw: memoryview, dtype: str, shape: tuple[int, ...]) -> torch.Tensor:
    """A fresh tensor from little-endian bytes (copied: the result does not share `raw`)."""
    if not raw.nbytes:
        return torch.empty(shape, dtype=DTYPES[dtype])
    return torch.frombuffer(bytearray(raw), dtype=DTYPES[dtype]).reshape(shape)


def _little_endian_bytes(tensor: torch.Tensor) -> bytes:
    if not tensor.numel():
        return b""
    return tensor.reshape(-1).view(torch.uint8).numpy().tobytes()
