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


def _f(value: float) -> str:
    """A factor in a product: negative numbers in parentheses."""
    return f"({value:.3f})" if value < 0 else _n(value)


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
    if s.kind == "rnn":
        phi = r"\tanh" if s.nonlinearity == "tanh" else r"\operatorname{ReLU}"
        return rf"\textbf{{unit }} j={j}:\ h_{{{t},j}} = {phi}({_sum(a[0], b[0])}) = {_n(s.h[k])}"
    gates = []
    for index, name in enumerate(s.gates):
        act = r"\tanh" if name in ("g", "n") else r"\sigma"
        inside = (f"{_n(a[index])} + {_f(s.gates['r'][k])} \\cdot {_f(b[index])}" if name == "n"
                  else _sum(a[index], b[index]))
        gates.append(rf"{name}_{{{t},j}} = {act}({inside}) = {_n(s.gates[name][k])}")
    g = s.gates
    if s.kind == "lstm":
        update = [rf"c_{{{t},j}} = {_f(g['f'][k])} \cdot {_f(s.c_prev[k])} + {_f(g['i'][k])} \cdot {_f(g['g'][k])}"
                  rf" = {_n(s.c[k])}",
                  rf"h_{{{t},j}} = {_f(g['o'][k])} \cdot \tanh({_n(s.c[k])}) = {_n(s.h[k])}"]
    else:
        update = [rf"h_{{{t},j}} = (1 - {_n(g['z'][k])}) \cdot {_f(g['n'][k])} + {_f(g['z'][k])} \cdot "
                  rf"{_f(s.h_prev[k])} = {_n(s.h[k])}"]
    rows = [gates[i:i + 2] for i in range(0, len(gates), 2)] + [update]
    body = r"\\ ".join("&" + r",\quad ".join(row) for row in rows)
    return rf"\begin{{aligned}}&\textbf{{unit }} j={j}:\\ {body}\end{{aligned}}"


def stacked(lines: list[str]) -> str:
    """Several displayed LaTeX lines as one centred block (one st.latex element, one KaTeX render)."""
    return r"\begin{gathered}" + r" \\[6pt] ".join(lines) + r"\end{gathered}"
