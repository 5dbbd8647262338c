"""Synthetic tasks that need content-based memory: selective copying and induction heads.

Alphabet (shared by both tasks; one character per token, so a user can type a sequence)
    "."       noise / blank (token 0)
    "a" … "h" data tokens (tokens 1 … 8)
    "?"       marker (token 9): "recall now" in selective copying, the trigger in induction heads

Selective copying (Gu & Dao 2023, §3.1): `n_memorize` data tokens sit at random positions among
`length` noise tokens; then `n_memorize` markers follow, and at the markers the model must output
the data tokens in their order of appearance. Position alone cannot solve it: the model must
select by content (data vs noise).

Induction heads (Olsson et al. 2022): `length` random data tokens in which the trigger "?" appears
once, followed by some token v; the sequence ends with the trigger again and the model must
output v at the last position.

Targets use −100 (ignored by cross-entropy) everywhere except where an answer is expected.
"""
from __future__ import annotations

import torch

ALPHABET = ".abcdefgh?"
NOISE, MARKER = 0, len(ALPHABET) - 1
DATA_TOKENS = len(ALPHABET) - 2
VOCAB_SIZE = len(ALPHABET)
IGNORE = -100
TASKS = ("selective_copying", "induction_heads")


def encode(text: str) -> torch.Tensor:
    """(l,) token ids of a typed sequence; ValueError naming any character outside the alphabet."""
    bad = sorted({ch for ch in text if ch not in ALPHABET})
    if bad:
        raise ValueError(f"characters must be among {ALPHABET!r}; got {''.join(bad)!r}")
    if not text:
        raise ValueError("the sequence must not be empty")
    return torch.tensor([ALPHABET.index(ch) for ch in text])


def decode(tokens) -> str:
    """The characters of token ids (any iterable of ints)."""
    return "".join(ALPHABET[int(t)] for t in tokens)


def _check_sizes(length: int, n_memorize: int) -> None:
    if length < 2 or n_memorize < 1 or n_memorize > length:
        raise ValueError(f"need length ≥ 2 and 1 ≤ n_memorize ≤ length; got length={length}, n_memorize={n_memorize}")


def selective_copying(batch: int, length: int, n_memorize: int, generator: torch.Generator):
    """A batch of the selective-copying task.

    Returns:
        inputs: (batch, length + n_memorize) token ids; targets: same shape, the data tokens in
        order at the last n_memorize positions, IGNORE elsewhere.
    """
    _check_sizes(length, n_memorize)
    data = torch.randint(1, DATA_TOKENS + 1, (batch, n_memorize), generator=generator)
    positions = torch.rand(batch, length, generator=generator).argsort(dim=1)[:, :n_memorize].sort(dim=1).values
    inputs = torch.full((batch, length + n_memorize), NOISE)
    inputs.scatter_(1, positions, data)
    inputs[:, length:] = MARKER
    targets = torch.full_like(inputs, IGNORE)
    targets[:, length:] = data
    return inputs, targets


def induction_heads(batch: int, length: int, generator: torch.Generator):
    """A batch of the induction-head task.

    Returns:
        inputs: (batch, length + 1) token ids ending with the trigger; targets: IGNORE except the
        last position, which holds the token that followed the first trigger.
    """
    _check_sizes(length, 1)
    inputs = torch.randint(1, DATA_TOKENS + 1, (batch, length + 1), generator=generator)
    trigger_at = torch.randint(0, length - 1, (batch,), generator=generator)
    rows = torch.arange(batch)
    inputs[rows, trigger_at] = MARKER
    inputs[:, -1] = MARKER
    targets = torch.full_like(inputs, IGNORE)
    targets[:, -1] = inputs[rows, trigger_at + 1]
    return inputs, targets


def make_batch(task: str, batch: int, length: int, n_memorize: int, generator: torch.Generator):
    """A batch of `task` ("selective_copying" or "induction_heads"); n_memorize is ignored by the latter."""
    if task == "selective_copying":
        return selective_copying(batch, length, n_memorize, generator)
    if task == "induction_heads":
        return induction_heads(batch, length, generator)
    raise ValueError(f"task must be one of {', '.join(TASKS)}; got {task!r}")
