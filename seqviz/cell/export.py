"""A trace and its input as downloadable files: NPZ (every array, exact) and CSV (one row per step).

Glossary
    T steps, I input size, L layers, D directions, H hidden size (as in `seqviz.trace`).

NPZ keys: x (T, I), step_labels (T,), feature_names (I,), hidden / cell / gate_<name> (T, L, D, H),
output (T, D·H), grad_hidden_norm (T, L, D), grad_input_norm (T,), kind, nonlinearity.
CSV columns: t, label, x_<feature>…, then h_l<l>_d<d>_u<j>, c_…, <gate>_l<l>_d<d>_u<j>, and
grad_h_norm_l<l>_d<d>; floats written with 9 significant digits, enough to read float32 back exactly.
"""
from __future__ import annotations

import io

import numpy as np
import pandas as pd

from seqviz.cell.inputs import InputSequence
from seqviz.core.tracing import Trace

EXPORT_CSV_MAX_BYTES = 100 * 1024**2
_CHARS_PER_NUMBER = 14


def _state_arrays(tr: Trace) -> dict[str, np.ndarray]:
    """name → (T, L, D, H): hidden as "h", cell as "c" (LSTM), then each gate."""
    arrays = {"h": tr.hidden}
    if tr.cell is not None:
        arrays["c"] = tr.cell
    arrays.update(tr.gates)
    return arrays


def trace_npz_bytes(tr: Trace, sequence: InputSequence) -> bytes:
    """Every array of the trace and the input, as a compressed .npz file's bytes."""
    arrays = {"x": sequence.x, "step_labels": np.array(sequence.step_labels),
              "feature_names": np.array(sequence.feature_names), "hidden": tr.hidden, "output": tr.output,
              "grad_hidden_norm": tr.grad_hidden_norm, "grad_input_norm": tr.grad_input_norm,
              "kind": np.array(tr.kind), "nonlinearity": np.array(tr.nonlinearity)}
    if tr.cell is not None:
        arrays["cell"] = tr.cell
    arrays.update({f"gate_{name}": value for name, value in tr.gates.items()})
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def csv_size_estimate(tr: Trace, sequence: InputSequence) -> int:
    """Rough size in bytes of `trace_csv_bytes`' output."""
    per_step = sequence.input_size + len(_state_arrays(tr)) * tr.num_layers * tr.num_directions * tr.hidden_size
    return tr.steps * per_step * _CHARS_PER_NUMBER


def trace_csv_bytes(tr: Trace, sequence: InputSequence) -> bytes:
    """One row per step: t, label, the input, every state and gate unit, ‖dL/dh_t‖ (UTF-8 CSV bytes).

    ValueError when the file would exceed EXPORT_CSV_MAX_BYTES (the NPZ holds the same numbers, compressed).
    """
    estimate = csv_size_estimate(tr, sequence)
    if estimate > EXPORT_CSV_MAX_BYTES:
        raise ValueError(f"the CSV would be about {estimate / 1024**2:,.0f} MB "
                         f"(over {EXPORT_CSV_MAX_BYTES / 1024**2:.0f} MB); "
                         "download the NPZ instead, or reduce the sequence length, hidden size or layers")
    columns = {"t": np.arange(tr.steps), "label": list(sequence.step_labels)}
    columns.update({f"x_{name}": sequence.x[:, k] for k, name in enumerate(sequence.feature_names)})
    L, D, H = tr.num_layers, tr.num_directions, tr.hidden_size
    for name, values in _state_arrays(tr).items():
        for l in range(L):
            for d in range(D):
                columns.update({f"{name}_l{l}_d{d}_u{j}": values[:, l, d, j] for j in range(H)})
    for l in range(L):
        for d in range(D):
            columns[f"grad_h_norm_l{l}_d{d}"] = tr.grad_hidden_norm[:, l, d]
    return pd.DataFrame(columns).to_csv(index=False, float_format="%.9g").encode("utf-8")
