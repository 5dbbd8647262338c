"""Attention scores over encoder states, and the masked softmax that turns them into weights.

Glossary
    B   batch size      S   source positions (padded)      A   attention size (additive scores)
    s   decoder state, the query (B, Q)                     h_j encoder state j, a key (B, S, K)
    e_j score of position j (B, S)    α_j = softmax(e)_j over valid j    c = Σ_j α_j h_j  context (B, K)

Scores (`SCORES`)
    bahdanau       e_j = vᵀ tanh(W_s s + W_h h_j)          additive (Bahdanau et al., 2015)
    luong-dot      e_j = sᵀ h_j                            needs Q = K
    luong-general  e_j = sᵀ W_a h_j                        bilinear
    luong-concat   e_j = vᵀ tanh(W_a [s; h_j])             one matrix on the concatenation
    scaled-dot     e_j = sᵀ h_j / √K                       dot product scaled as in Transformers
Which decoder state s is used (Bahdanau: the previous one; Luong: the current one) is the
decoder's business, see seqviz.seq2seq.model. Score layers have no biases, so each e_j is exactly the
formula above.

Padded positions (mask False) get weight exactly 0: their score is set to −∞ before the softmax.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from seqviz.core import seeding
from seqviz.core.seeding import seeded

SCORES = ("bahdanau", "luong-dot", "luong-general", "luong-concat", "scaled-dot")
ATTENTIONS = ("none",) + SCORES


def masked_softmax(scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Softmax over the last axis restricted to mask True; masked entries are exactly 0.

    Args:
        scores: (..., S) real scores.
        mask: (..., S) bool, True at valid positions; every row needs at least one.
    Returns:
        (..., S) weights summing to 1 over the valid positions of each row.
    """
    if not bool(mask.any(dim=-1).all()):
        raise ValueError("every row of the attention mask needs at least one valid position")
    weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)
    return weights.masked_fill(~mask, 0.0)


class Attention(nn.Module):
    """One score function and its parameters; `forward` gives context and weights.

    Keys are projected once per source sequence (`prepare`), then each decoder step only
    projects its query: the per-step cost is O(S·A) for additive scores, O(S·K) otherwise.
    """

    def __init__(self, score: str, query_size: int, key_size: int, attention_size: int,
                 generator: torch.Generator | None = None):
        """Weights drawn from `generator` (seed 0 when None); v ~ U(−1/√A, 1/√A)."""
        super().__init__()
        if score not in SCORES:
            raise ValueError(f"attention score must be one of {', '.join(SCORES)}; got {score!r}")
        if score in ("luong-dot", "scaled-dot") and query_size != key_size:
            raise ValueError(f"{score} needs query size = key size; got {query_size} and {key_size}")
        g = seeding.generator(0) if generator is None else generator
        self.score = score
        self.query_size, self.key_size = query_size, key_size
        if score == "bahdanau":
            self.W_s = seeded(nn.Linear, query_size, attention_size, bias=False, generator=g)
            self.W_h = seeded(nn.Linear, key_size, attention_size, bias=False, generator=g)
        elif score == "luong-general":
            self.W_a = seeded(nn.Linear, key_size, query_size, bias=False, generator=g)  # W_a h_j, (Q, K)
        elif score == "luong-concat":
            self.W_a = seeded(nn.Linear, query_size + key_size, attention_size, bias=False, generator=g)
        if score in ("bahdanau", "luong-concat"):
            bound = attention_size ** -0.5
            self.v = nn.Parameter(torch.empty(attention_size).uniform_(-bound, bound, generator=g))

    def prepare(self, keys: torch.Tensor) -> torch.Tensor:
        """The query-independent part of the scores for keys (B, S, K)."""
        if self.score == "bahdanau":
            return self.W_h(keys)  # (B, S, A)
        if self.score == "luong-general":
            return self.W_a(keys)  # (B, S, Q)
        if self.score == "luong-concat":
            return keys @ self.W_a.weight[:, self.query_size:].T  # (B, S, A)
        return keys

    def scores(self, query: torch.Tensor, prepared: torch.Tensor) -> torch.Tensor:
        """Scores e (B, S) of query s (B, Q) against prepared keys (from `prepare`)."""
        if self.score == "bahdanau":
            return torch.tanh(self.W_s(query).unsqueeze(1) + prepared) @ self.v
        if self.score == "luong-concat":
            query_part = query @ self.W_a.weight[:, :self.query_size].T  # (B, A)
            return torch.tanh(query_part.unsqueeze(1) + prepared) @ self.v
        dot = (prepared @ query.unsqueeze(-1)).squeeze(-1)  # (B, S)
        return dot / math.sqrt(self.key_size) if self.score == "scaled-dot" else dot

    def forward(self, query, keys, mask, prepared=None):
        """Context c (B, K) and weights α (B, S) for query s (B, Q), keys h (B, S, K), mask (B, S)."""
        prepared = self.prepare(keys) if prepared is None else prepared
        weights = masked_softmax(self.scores(query, prepared), mask)
        context = (weights.unsqueeze(1) @ keys).squeeze(1)
        return context, weights
