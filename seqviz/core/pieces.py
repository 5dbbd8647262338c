"""Run a stock one-layer recurrent module over a long sequence as P pieces side by side.

Stepping nn.GRU through a long text one character at a time spends most of each step on overhead:
a batch of one row does little arithmetic per call. Cut into P pieces run side by side (a batch of
P), each step does P rows of work for about the same overhead. A piece must start in the state its
predecessor ends in, which is known only once that piece has run; a trained recurrent network forgets
where it started, so the pieces start from guesses and are corrected until each begins where the one
before it ends:

1. guess: a piece's start is the state after the last W steps of the piece before it, run from zeros;
2. run every piece from its start, keeping the state at the end of each block of K steps;
3. correct: a piece whose start differs from its predecessor's end is run again from that end, block by
   block, until its state meets the trajectory it had before (from there on nothing changes). Repeat
   until no start moves. Pieces still moving after `rounds` corrections are run in order, as one
   sequence, from the last settled piece's end.

Piece 0 starts from the true initial state, so after r corrections pieces 0..r are exact; the result is
the module's own output to the tolerance `tol` of the comparisons (float32 rounding differs slightly
between a batch of P and a batch of one). The tests compare it with the plain module.

Glossary
    T   steps     I   inputs     H   hidden units     P   pieces     L = ⌈T / P⌉ steps per piece
    K   steps per block          W   warm-up steps of the guess
States are torch's: h (1, P, H), or (h, c) for an LSTM.
"""
from __future__ import annotations

import math

import torch


def run_in_pieces(module, x: torch.Tensor, init=None, pieces: int = 16, block: int = 512, warmup: int = 2048,
                  tol: float = 1e-5, rounds: int = 3) -> torch.Tensor:
    """The outputs h_t (T, H) of a one-layer, one-direction, sequence-first module over x (T, I).

    `init` is the module's initial state for a batch of one (zeros when None). Sequences too short for
    two pieces of 2K steps run as one.
    """
    T, P = x.shape[0], min(pieces, x.shape[0] // (2 * block))
    if P < 2:
        return module(x[:, None], init)[0][:, 0]
    L = math.ceil(T / P)
    xs = torch.cat([x, x.new_zeros(P * L - T, x.shape[1])]).view(P, L, -1).transpose(0, 1)  # (L, P, I)
    init = _zeros(module, 1, x) if init is None else init
    out = x.new_empty(L, P, module.hidden_size)
    _, guess = module(xs[max(L - warmup, 0):], _zeros(module, P, x))
    start = _after(guess, init)
    ends = [None] * math.ceil(L / block)
    final = _run(module, xs, out, start, ends, torch.arange(P), block, tol, settle=False)
    for correction in range(rounds + 1):
        wanted = _after(final, init)
        moved = torch.nonzero(~_close(wanted, start, tol)).flatten()
        if len(moved) == 0:
            return _flat(out, T)
        if correction == rounds:
            return _in_order(module, x, out, wanted, int(moved[0]), T)
        start = _put(start, moved, _take(wanted, moved))
        settled = _run(module, xs, out, _take(wanted, moved), ends, moved, block, tol, settle=True)
        final = final if settled is None else _put(final, moved, settled)


def _run(module, xs, out, state, ends, rows, block: int, tol: float, settle: bool):
    """Run pieces `rows` from `state` block by block, writing out[:, rows] and ends[k][rows].

    With `settle`, stop as soon as every row meets its previous block end (None: nothing after that
    changes). Returns the rows' final states otherwise.
    """
    for k in range(len(ends)):
        steps = slice(k * block, (k + 1) * block)
        h, state = module(xs[steps][:, rows], state)
        out[steps, rows] = h
        if settle and bool(_close(state, _take(ends[k], rows), tol).all()):
            return None
        ends[k] = state if ends[k] is None else _put(ends[k], rows, state)
    return state


def _in_order(module, x, out, wanted, first: int, T: int) -> torch.Tensor:
    """Outputs with the pieces from `first` on run as one sequence from piece `first`'s wanted start."""
    flat, L = _flat(out, T).clone(), out.shape[0]
    flat[first * L:] = module(x[first * L:, None], _take(wanted, torch.tensor([first])))[0][:, 0]
    return flat


def _flat(out: torch.Tensor, T: int) -> torch.Tensor:
    """(T, H) outputs in time order from the pieces' (L, P, H)."""
    return out.transpose(0, 1).reshape(-1, out.shape[-1])[:T]


def _zeros(module, P: int, x: torch.Tensor):
    h = x.new_zeros(1, P, module.hidden_size)
    return (h, h.clone()) if isinstance(module, torch.nn.LSTM) else h


def _after(final, init):
    """Each piece's wanted start: `init` for piece 0, then the end of the piece before it."""
    return _each(lambda f, i: torch.cat([i, f[:, :-1]], dim=1), final, init)


def _close(a, b, tol: float) -> torch.Tensor:
    """(P,) True for the pieces whose states agree: |a − b| ≤ tol (1 + |b|) in every unit."""
    pairs = zip(a, b) if isinstance(a, tuple) else [(a, b)]
    return torch.stack([((p - q).abs() <= tol * (1 + q.abs())).all(dim=2).all(dim=0) for p, q in pairs]).all(dim=0)


def _take(state, rows: torch.Tensor):
    return _each(lambda s: s[:, rows], state)


def _put(state, rows: torch.Tensor, value):
    def put(s, v):
        s = s.clone()
        s[:, rows] = v
        return s
    return _each(put, state, value)


def _each(fn, *states):
    """fn applied to a state's tensors: h alone, or h and c of an LSTM."""
    if isinstance(states[0], tuple):
        return tuple(fn(*parts) for parts in zip(*states))
    return fn(*states)
