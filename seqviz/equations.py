"""The cell's equations in LaTeX, in general and with one step's numbers filled in.

Symbols match `seqviz.cell` and `seqviz.trace`: x_t input, h_t hidden state, c_t LSTM cell state,
i f g o LSTM gates, r z n GRU gates, σ the logistic sigmoid, ⊙ the elementwise product, and
"prev" the step before t in processing order (t−1, or t+1 for the backward direction).
GRU convention: PyTorch's, h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_prev.
"""
from __future__ import annotations

from seqviz.cell import StepNumbers


def _prev(direction: int) -> str:
    return "t+1" if direction else "t-1"


def _pre(gate: str, prev: str) -> str:
    return rf"W_{{i{gate}}} x_t + b_{{i{gate}}} + W_{{h{gate}}} h_{{{prev}}} + b_{{h{gate}}}"


def general_equations(kind: str, nonlinearity: str, direction: int = 0) -> list[str]:
    """The update rule of a cell kind as LaTeX lines (vectors, no numbers)."""
    p = _prev(direction)
    if kind == "rnn":
        phi = r"\tanh" if nonlinearity == "tanh" else r"\operatorname{ReLU}"
        return [rf"h_t = {phi}\left(W_{{ih}} x_t + b_{{ih}} + W_{{hh}} h_{{{p}}} + b_{{hh}}\right)"]
    if kind == "lstm":
        return [rf"i_t = \sigma({_pre('i', p)}) \quad f_t = \sigma({_pre('f', p)})",
                rf"g_t = \tanh({_pre('g', p)}) \quad o_t = \sigma({_pre('o', p)})",
                rf"c_t = f_t \odot c_{{{p}}} + i_t \odot g_t \qquad h_t = o_t \odot \tanh(c_t)"]
    return [rf"r_t = \sigma({_pre('r', p)}) \quad z_t = \sigma({_pre('z', p)})",
            rf"n_t = \tanh\left(W_{{in}} x_t + b_{{in}} + r_t \odot (W_{{hn}} h_{{{p}}} + b_{{hn}})\right)",
            rf"h_t = (1 - z_t) \odot n_t + z_t \odot h_{{{p}}}"]


def _n(value: float) -> str:
    return f"{value:.3f}"


def _sum(a: float, b: float) -> str:
    return f"{_n(a)} {'-' if b < 0 else '+'} {_n(abs(b))}"


def unit_equations(numbers: StepNumbers) -> list[str]:
    """One LaTeX block per chosen unit j: the step's pre-activations, gates and new state.

    Gates show σ or tanh of (input part + recurrent part); the GRU's n shows input part + r·(recurrent part).
    Values h_prev, c_prev are the trace's states of the previous step in processing order (0 at the start).
    """
    return [_unit_line(numbers, k) for k in range(len(numbers.units))]


def _unit_line(s: StepNumbers, k: int) -> str:
    j, t = s.units[k], s.t
    a, b = s.input_part[:, k], s.recurrent_part[:, k]
    head = rf"\textbf{{unit }} j={j}:\ "
    if s.kind == "rnn":
        phi = r"\tanh" if s.nonlinearity == "tanh" else r"\operatorname{ReLU}"
        return head + rf"h_{{{t},j}} = {phi}({_sum(a[0], b[0])}) = {_n(s.h[k])}"
    parts = []
    for index, name in enumerate(s.gates):
        act = r"\tanh" if name in ("g", "n") else r"\sigma"
        inside = (f"{_n(a[index])} + {_n(s.gates['r'][k])} \\cdot ({_n(b[index])})" if name == "n"
                  else _sum(a[index], b[index]))
        parts.append(rf"{name}_{{{t},j}} = {act}({inside}) = {_n(s.gates[name][k])}")
    if s.kind == "lstm":
        g = s.gates
        parts.append(rf"c_{{{t},j}} = {_n(g['f'][k])} \cdot {_n(s.c_prev[k])} + {_n(g['i'][k])} \cdot {_n(g['g'][k])}"
                     rf" = {_n(s.c[k])}")
        parts.append(rf"h_{{{t},j}} = {_n(g['o'][k])} \cdot \tanh({_n(s.c[k])}) = {_n(s.h[k])}")
    else:
        z = s.gates["z"][k]
        parts.append(rf"h_{{{t},j}} = (1 - {_n(z)}) \cdot {_n(s.gates['n'][k])} + {_n(z)} \cdot "
                     rf"{_n(s.h_prev[k])} = {_n(s.h[k])}")
    gates, update = r",\ ".join(parts[:len(s.gates)]), r",\ ".join(parts[len(s.gates):])
    return rf"\begin{{aligned}}&{head}{gates}\\&{update}\end{{aligned}}"
