"""Choosing the next character: greedy, beam search, and sampling with temperature, top-k and top-p.

Glossary
    p        the model's next-character distribution, softmax(logits)
    q        the distribution a strategy samples from after its transformation
    τ        temperature: q ∝ p^(1/τ); τ → 0 is greedy, τ = 1 leaves p as it is
    top-k    keep the k most probable characters, renormalise
    top-p    keep the smallest set of most probable characters whose mass reaches p, renormalise
             (nucleus sampling); the order of equal probabilities is by character id, lowest first

Every strategy is seeded (a generator of its own), so the same prompt, strategy and seed give the
same text. The log-probability of a generated text is always under the model's own p.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from seqviz.language.model import CharModel

STRATEGIES = ("greedy", "sample", "beam")
MAX_BEAM_WIDTH = 8


@dataclass(frozen=True)
class Strategy:
    """How the next character is chosen. `top_k` 0 and `top_p` 1.0 switch those cut-offs off."""

    name: str = "sample"
    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    beam_width: int = 4
    seed: int = 0

    def __post_init__(self):
        if self.name not in STRATEGIES:
            raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}; got {self.name!r}")
        if not self.temperature >= 0:
            raise ValueError(f"temperature must be ≥ 0; got {self.temperature}")
        if self.top_k < 0:
            raise ValueError(f"top-k must be ≥ 0 (0 keeps every character); got {self.top_k}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top-p must be in (0, 1]; got {self.top_p}")
        if not 1 <= self.beam_width <= MAX_BEAM_WIDTH:
            raise ValueError(f"beam width must be between 1 and {MAX_BEAM_WIDTH}; got {self.beam_width}")


def _descending(p: torch.Tensor) -> torch.Tensor:
    """Ids of (V,) p from most to least probable; equal probabilities by id, lowest first."""
    return torch.sort(-p, stable=True).indices


def transform(logits: torch.Tensor, strategy: Strategy) -> tuple[torch.Tensor, torch.Tensor]:
    """(p, q) for (V,) logits: the model's distribution and the one `strategy` draws from (both (V,))."""
    p = torch.softmax(logits.double(), dim=-1)
    if strategy.name == "greedy" or strategy.temperature == 0:
        q = torch.zeros_like(p)
        q[_descending(p)[0]] = 1.0
        return p, q
    q = torch.softmax(logits.double() / strategy.temperature, dim=-1)
    order = _descending(q)
    keep = torch.ones_like(q, dtype=torch.bool)
    if strategy.top_k:
        keep[order[strategy.top_k:]] = False
    if strategy.top_p < 1.0:
        mass_before = torch.cumsum(q[order], dim=0) - q[order]
        keep[order[mass_before >= strategy.top_p]] = False
    q = torch.where(keep, q, 0.0)
    return p, q / q.sum()


@dataclass
class Generation:
    """A generated continuation: its ids, log p under the model, and per step the (V,) p and q."""

    prompt: str
    text: str
    log_prob: float
    p: list[np.ndarray] = field(repr=False)
    q: list[np.ndarray] = field(repr=False)

    @property
    def bits_per_char(self) -> float:
        return -self.log_prob / math.log(2) / max(len(self.text), 1)


@torch.no_grad()
def _prime(model: CharModel, prompt: str):
    """The state after reading the prompt (all but its last character) and the last character's id."""
    ids = torch.as_tensor(model.vocabulary.encode(prompt or "\n"))
    state = None
    if len(ids) > 1:
        _, state = model(ids[:-1, None], None)
    return state, ids[-1:]


@torch.no_grad()
def generate(model: CharModel, prompt: str, steps: int, strategy: Strategy) -> Generation:
    """`steps` characters after `prompt` by greedy choice or sampling (beam search: `beam_search`)."""
    if strategy.name == "beam":
        return beam_search(model, prompt, steps, strategy.beam_width)
    model.eval()
    generator = torch.Generator().manual_seed(strategy.seed)
    state, last = _prime(model, prompt)
    chosen, ps, qs, log_prob = [], [], [], 0.0
    for _ in range(steps):
        logits, state = model(last[:, None], state)
        p, q = transform(logits[0, 0], strategy)
        c = int(torch.multinomial(q, 1, generator=generator))
        log_prob += math.log(float(p[c]))
        chosen.append(c)
        ps.append(p.float().numpy())
        qs.append(q.float().numpy())
        last = torch.tensor([c])
    return Generation(prompt, model.vocabulary.decode(chosen), log_prob, ps, qs)


@torch.no_grad()
def beam_search(model: CharModel, prompt: str, steps: int, width: int) -> Generation:
    """The `steps`-character continuation of highest log p found keeping `width` beams.

    With width ≥ V^(steps−1) no sequence is ever dropped, so the result is the most probable one.
    Per step, p and q are those of the best beam's own history (q is one-hot on its choice).
    """
    model.eval()
    state, last = _prime(model, prompt)
    beams = [([], 0.0, state, last, [])]  # (ids, log p, state, last id, per-step p)
    for _ in range(steps):
        candidates = []
        for ids, score, state, last, ps in beams:
            logits, next_state = model(last[:, None], state)
            p = torch.softmax(logits[0, 0].double(), dim=-1)
            for c in _descending(p)[:width].tolist():
                candidates.append((ids + [c], score + math.log(float(p[c])), next_state, torch.tensor([c]),
                                   ps + [p.float().numpy()]))
        candidates.sort(key=lambda beam: -beam[1])  # stable: ties keep the earlier beam and the lower id
        beams = candidates[:width]
    ids, score, _, _, ps = beams[0]
    qs = [np.eye(len(p), dtype=np.float32)[c] for p, c in zip(ps, ids)]
    return Generation(prompt, model.vocabulary.decode(ids), score, ps, qs)


def distinct_n(text: str, n: int) -> float:
    """Distinct n-grams ÷ all n-grams of `text` (1.0: no n-gram repeats); 0 for text shorter than n."""
    grams = [text[i:i + n] for i in range(len(text) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


def longest_repeat(text: str) -> int:
    """Length of the longest substring that occurs at least twice (overlaps allowed): loops show up here."""
    best = 0
    for length in range(1, len(text)):
        seen = {text[i:i + length] for i in range(len(text) - length + 1)}
        if len(seen) == len(text) - length + 1:
            return best
        best = length
    return best
