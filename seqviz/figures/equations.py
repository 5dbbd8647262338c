"""The cell's equations: in general as LaTeX, and with one step's numbers filled in as table rows;
the attention decoder's step (`decoder_equations`); `stacked` lines for any page.

The numbers change at every step t, so they are a table: the browser redraws it next to the step
chart at almost no cost, where KaTeX typesetting of the same numbers held the chart's frame back.

Symbols match `seqviz.cell.run` and `seqviz.trace`: x_t input, h_t hidden state, c_t LSTM cell state,
i f g o LSTM gates, r z n GRU gates, σ the logistic sigmoid, ⊙ the elementwise product, and
"prev" the step before t in processing order (t−1, or t+1 for the backward direction).
GRU convention: PyTorch's, h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_prev.
"""
from __future__ import annotations

import math

from seqviz.cell.run import StepNumbers
from seqviz.figures.tables import html_table
from seqviz.seq2seq.model import ModelConfig


def _prev(direction: int) -> str:
    return "t+1" if direction else "t-1"


def _pre(gate: str, prev: str) -> str:
    return rf"W_{{i{gate}}} x_t + b_{{i{gate}}} + W_{{h{gate}}} h_{{{prev}}} + b_{{h{gate}}}"


def general_equations(kind: str, nonlinearity: str, direction: int = 0, layer: int = 0,
                      bidirectional: bool = False) -> list[str]:
    """The update rule of a cell kind as LaTeX lines (vectors, no numbers; one gate a line, so that they
    fit a projector's 1024-px window); above the first layer, a last line says what x_t is there: the
    layer below's h_t (both directions' when bidirectional)."""
    return _update_rule(kind, nonlinearity, _prev(direction)) + ([_layer_input(layer, bidirectional)] if layer else [])


def _update_rule(kind: str, nonlinearity: str, p: str) -> list[str]:
    if kind == "rnn":
        phi = r"\tanh" if nonlinearity == "tanh" else r"\operatorname{ReLU}"
        return [rf"h_t = {phi}\left(W_{{ih}} x_t + b_{{ih}} + W_{{hh}} h_{{{p}}} + b_{{hh}}\right)"]
    if kind == "lstm":
        return [rf"i_t = \sigma({_pre('i', p)})", rf"f_t = \sigma({_pre('f', p)})",
                rf"g_t = \tanh({_pre('g', p)})", rf"o_t = \sigma({_pre('o', p)})",
                rf"c_t = f_t \odot c_{{{p}}} + i_t \odot g_t \qquad h_t = o_t \odot \tanh(c_t)"]
    return [rf"r_t = \sigma({_pre('r', p)})", rf"z_t = \sigma({_pre('z', p)})",
            rf"n_t = \tanh\left(W_{{in}} x_t + b_{{in}} + r_t \odot (W_{{hn}} h_{{{p}}} + b_{{hn}})\right)",
            rf"h_t = (1 - z_t) \odot n_t + z_t \odot h_{{{p}}}"]


def _layer_input(layer: int, bidirectional: bool) -> str:
    below = rf"h^{{({layer - 1})}}_t"
    if bidirectional:
        below = rf"\left[\overrightarrow{{h}}^{{({layer - 1})}}_t ;\ \overleftarrow{{h}}^{{({layer - 1})}}_t\right]"
    return rf"\text{{layer {layer} reads }} x_t = {below}"


GATE_TITLES = {"i": "i  input gate", "f": "f  forget gate", "g": "g  candidate", "o": "o  output gate",
               "r": "r  reset gate", "z": "z  update gate", "n": "n  candidate"}


BIG = 1e4  # from this magnitude on, a number is written with an exponent


def _n(value: float) -> str:
    """A number: 3 decimals, or 4 significant digits and an exponent from BIG on (an exploding state
    written in full took 39 digits), a true minus sign."""
    text = f"{value:.3e}" if math.isfinite(value) and abs(value) >= BIG else f"{value:.3f}"
    return text.replace("-", "−")


def _f(value: float) -> str:
    """A factor in a product: negative numbers in parentheses."""
    return f"({_n(value)})" if value < 0 else _n(value)


def _sum(a: float, b: float) -> str:
    return f"{_n(a)} {'−' if b < 0 else '+'} {_n(abs(b))}"


def step_rows(numbers: StepNumbers) -> list[dict[str, str]]:
    """The step's numbers as table rows: one per gate and state, a "step t = …" column naming it, then one
    column per chosen unit j ("unit j = …").

    The first row is the layer's input x_t (when known). A gate's cell reads activation(input part +
    recurrent part) = value, where input part = W_i· x_t + b_i· and recurrent part = W_h· h_prev + b_h·
    (the GRU's n: input part + r·(recurrent part)); c and h show their update with its factors. h_prev
    and c_prev are the states of the step before t in processing order (0 at the start).
    """
    s, units = numbers, range(len(numbers.units))
    cells = {}
    if s.x is not None:  # the input every unit reads, written once, in the first unit's column
        cells["x_t  this layer's input"] = [_vector(s.x)] + [""] * (len(s.units) - 1)
    cells |= {GATE_TITLES[name]: [_gate_cell(s, name, k) for k in units] for name in s.gates}
    if s.kind == "lstm":
        cells["c  cell state, f·c_prev + i·g"] = [_c_cell(s, k) for k in units]
    cells[_h_title(s)] = [_h_cell(s, k) for k in units]
    columns = [f"unit j = {j}" for j in s.units]
    return [{f"step t = {s.t}": title} | dict(zip(columns, row)) for title, row in cells.items()]


def step_table(numbers: StepNumbers) -> str:
    """`step_rows` as an HTML table (for st.html)."""
    return html_table(step_rows(numbers))


def _vector(x, shown: int = 6) -> str:
    """(x₀, x₁, …): the first `shown` entries, then how many there are in all."""
    head = ", ".join(_n(v) for v in x[:shown])
    return f"({head})" if len(x) <= shown else f"({head}, … {len(x)} in all)"


def _gate_cell(s: StepNumbers, name: str, k: int) -> str:
    block = list(s.gates).index(name)
    a, b = s.input_part[block, k], s.recurrent_part[block, k]
    act = "tanh" if name in ("g", "n") else "σ"
    inside = f"{_n(a)} + {_f(s.gates['r'][k])}·{_f(b)}" if name == "n" else _sum(a, b)
    return f"{act}({inside}) = {_n(s.gates[name][k])}"


def _c_cell(s: StepNumbers, k: int) -> str:
    g = s.gates
    return f"{_f(g['f'][k])}·{_f(s.c_prev[k])} + {_f(g['i'][k])}·{_f(g['g'][k])} = {_n(s.c[k])}"


def _h_title(s: StepNumbers) -> str:
    return {"lstm": "h  hidden state, o·tanh(c)", "gru": "h  hidden state, (1 − z)·n + z·h_prev"}.get(
        s.kind, "h  hidden state")


def _h_cell(s: StepNumbers, k: int) -> str:
    g = s.gates
    if s.kind == "lstm":
        return f"{_f(g['o'][k])}·tanh({_n(s.c[k])}) = {_n(s.h[k])}"
    if s.kind == "gru":
        return f"(1 − {_n(g['z'][k])})·{_f(g['n'][k])} + {_f(g['z'][k])}·{_f(s.h_prev[k])} = {_n(s.h[k])}"
    phi = "tanh" if s.nonlinearity == "tanh" else "ReLU"
    return f"{phi}({_sum(s.input_part[0, k], s.recurrent_part[0, k])}) = {_n(s.h[k])}"


def stacked(lines: list[str]) -> str:
    """Several displayed LaTeX lines as one centred block (one st.latex element, one KaTeX render)."""
    return r"\begin{gathered}" + r" \\[4pt] ".join(lines) + r"\end{gathered}"


SCORE_EQUATIONS = {  # e_tj of each attention (seqviz.seq2seq.attention.SCORES); without attention the decoder has none
    "bahdanau": r"e_{tj} = v^\top \tanh(W_s s_{t-1} + W_h h_j)",
    "luong-dot": r"e_{tj} = s_t^\top h_j",
    "luong-general": r"e_{tj} = s_t^\top W_a h_j",
    "luong-concat": r"e_{tj} = v^\top \tanh(W_a [s_t; h_j])",
    "scaled-dot": r"e_{tj} = s_t^\top h_j / \sqrt{K}",
}


def decoder_equations(model: ModelConfig) -> str:
    """The decoder step of `model` as seqviz.seq2seq.model computes it: what it reads of the source (α and c
    from the scores, or without attention only s_0, the encoder's final state, both directions' joined
    when bidirectional), the state update and the output distribution."""
    y = r"\mathrm{emb}(y_{t-1})"
    if model.attention == "none":
        s_0 = r"[\overrightarrow{h}_S ;\ \overleftarrow{h}_1]" if model.bidirectional else "h_S"
        return stacked([rf"s_t = \mathrm{{cell}}({y}, s_{{t-1}}),\quad p_t = \mathrm{{softmax}}(W_o s_t)",
                        rf"s_0 = {s_0} \;(\text{{the only view of the source}})"])
    weights = [SCORE_EQUATIONS[model.attention], r"\alpha_{tj} = \mathrm{softmax}_j(e_{tj}),\quad c_t = \sum_j \alpha_{tj} h_j"]
    if model.attention == "bahdanau":
        return stacked(weights + [rf"s_t = \mathrm{{cell}}([{y};\ c_t], s_{{t-1}}),\quad "
                                  r"p_t = \mathrm{softmax}(W_o [s_t;\ c_t])"])
    read = rf"[{y};\ \tilde{{h}}_{{t-1}}]" if model.input_feeding else y
    return stacked(weights + [rf"s_t = \mathrm{{cell}}({read}, s_{{t-1}})" + (r",\quad \tilde{h}_0 = 0" if model.input_feeding else ""),
                              r"\tilde{h}_t = \tanh(W_c [c_t;\ s_t]),\quad p_t = \mathrm{softmax}(W_o \tilde{h}_t)"])
