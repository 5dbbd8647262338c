"""Features of Python source text, one number per character, for finding the units that track them.

Karpathy, Johnson & Fei-Fei (2015) found character-LSTM cells that follow quotes, comments,
brackets, indentation and the position in the line. `text_features` computes those properties of
each character with a small scanner (strings with ' " ''' \"\"\" and escapes, # comments, ([{
nesting), tolerant of broken or partial code; `rank_units` orders units by how strongly their
activation correlates with one feature.
"""
from __future__ import annotations

import numpy as np

FEATURES = ("inside a string", "inside a comment", "bracket depth", "indentation depth", "position in line",
            "start of a word")
_OPEN, _CLOSE = "([{", ")]}"


def text_features(text: str) -> dict[str, np.ndarray]:
    """Feature name → (T,) float64 values, one per character of `text`.

    A string or comment covers its delimiters too; bracket depth counts the brackets open (outside
    strings and comments) around the character, so a bracket pair sits at its outer depth;
    indentation depth is the number of leading spaces of the character's line (a tab counts 8).
    """
    T = len(text)
    string, comment, depth = np.zeros(T), np.zeros(T), np.zeros(T)
    quote, level, t = "", 0, 0
    while t < T:
        c = text[t]
        depth[t] = level
        if quote:
            string[t] = 1
            if c == "\\":
                t += 1
                if t < T:
                    string[t], depth[t] = 1, level
            elif text.startswith(quote, t):
                string[t:t + len(quote)], depth[t:t + len(quote)] = 1, level
                t += len(quote) - 1
                quote = ""
        elif c == "#":
            end = text.find("\n", t)
            end = T if end < 0 else end
            comment[t:end], depth[t:end] = 1, level
            t = end - 1
        elif c in "'\"":
            quote = c * 3 if text.startswith(c * 3, t) else c
            string[t:t + len(quote)], depth[t:t + len(quote)] = 1, level
            t += len(quote) - 1
        elif c in _OPEN:
            level += 1
        elif c in _CLOSE:
            level = depth[t] = max(level - 1, 0)
        t += 1
    column, indent = _line_positions(text)
    return {"inside a string": string, "inside a comment": comment, "bracket depth": depth,
            "indentation depth": indent, "position in line": column, "start of a word": _word_starts(text)}


def _line_positions(text: str) -> tuple[np.ndarray, np.ndarray]:
    """(T,) column of each character and (T,) leading-space count of its line."""
    column, indent = np.zeros(len(text)), np.zeros(len(text))
    start = 0
    for line in text.split("\n"):
        end = start + len(line) + 1  # the newline belongs to its line
        stripped = line.lstrip(" \t")
        lead = line[:len(line) - len(stripped)]
        column[start:end] = np.arange(min(end, len(text)) - start)
        indent[start:end] = len(lead.expandtabs(8)) if stripped else 0
        start = end
    return column, indent


def _word_starts(text: str) -> np.ndarray:
    """(T,) 1 where an identifier-like word (letters, digits, _) begins, 0 elsewhere."""
    word = np.array([c.isalnum() or c == "_" for c in text], dtype=bool)
    starts = word.copy()
    starts[1:] &= ~word[:-1]
    return starts.astype(np.float64)


def correlations(activations: np.ndarray, feature: np.ndarray) -> np.ndarray:
    """(U,) Pearson correlation of each unit's activations (T, U) with `feature` (T,); 0 where either is constant."""
    a = activations - activations.mean(axis=0)
    f = feature - feature.mean()
    denominator = np.sqrt((a ** 2).sum(axis=0) * (f ** 2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (a * f[:, None]).sum(axis=0) / denominator
    return np.where(denominator > 0, r, 0.0)


def rank_units(activations: np.ndarray, feature: np.ndarray, top: int = 10) -> list[tuple[int, float]]:
    """The `top` units (index, correlation) most correlated with `feature`, by |r|, strongest first."""
    r = correlations(activations, feature)
    order = np.argsort(-np.abs(r), kind="stable")[:top]
    return [(int(u), float(r[u])) for u in order]


def saturation(gate: np.ndarray, low: float = 0.1, high: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
    """Per unit of a sigmoid gate's values (T, U): the fraction of steps below `low` and above `high`."""
    return (gate < low).mean(axis=0), (gate > high).mean(axis=0)
