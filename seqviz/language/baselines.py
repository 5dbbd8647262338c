"""Count-based baselines for bits per character: a unigram and a bigram model of the training text.

p_uni(c) = (n(c) + α) / (N + αV);   p_bi(c | b) = (n(b, c) + α) / (n(b) + αV)   (add-α smoothing)
α is chosen from a small grid on the validation text, then the test text is scored: the same
held-out protocol as the neural models.
"""
from __future__ import annotations

import math

import numpy as np

ALPHAS = (0.001, 0.01, 0.1, 0.5, 1.0)


def counts(ids: np.ndarray, V: int, order: int) -> np.ndarray:
    """(V,) character counts (order 1) or (V, V) counts of (previous, next) pairs (order 2)."""
    if order == 1:
        return np.bincount(ids, minlength=V).astype(np.float64)
    if order == 2:
        return np.bincount(ids[:-1] * V + ids[1:], minlength=V * V).reshape(V, V).astype(np.float64)
    raise ValueError(f"order must be 1 or 2; got {order}")


def ngram_bits_per_char(train_ids: np.ndarray, eval_ids: np.ndarray, V: int, order: int, alpha: float) -> float:
    """Mean −log₂ p(c_{t+1} | …) over eval_ids[1:] under the add-α n-gram model of train_ids."""
    n = counts(train_ids, V, order) + alpha
    if order == 1:
        p = n / n.sum()
        nll = -np.log(p[eval_ids[1:]])
    else:
        p = n / n.sum(axis=1, keepdims=True)
        nll = -np.log(p[eval_ids[:-1], eval_ids[1:]])
    return float(nll.mean() / math.log(2))


def baseline_bits(train_ids: np.ndarray, valid_ids: np.ndarray, test_ids: np.ndarray, V: int) -> dict[str, dict]:
    """{"unigram": {...}, "bigram": {...}}, each with its α (best on valid) and valid and test bits per character."""
    results = {}
    for name, order in (("unigram", 1), ("bigram", 2)):
        alpha = min(ALPHAS, key=lambda a: ngram_bits_per_char(train_ids, valid_ids, V, order, a))
        results[name] = {"alpha": alpha, "valid": ngram_bits_per_char(train_ids, valid_ids, V, order, alpha),
                         "test": ngram_bits_per_char(train_ids, test_ids, V, order, alpha)}
    return results
