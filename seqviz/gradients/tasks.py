"""Long-range toy tasks generated in-app: the adding problem and the copy-memory task.

Glossary
    B  batch size      T  the task's length parameter      S  steps in a sequence
    x  (B, S, I) inputs        y  (B, S) targets           m  (B, S) loss mask (1 where a step is scored)
    ℓ(ŷ_t, y_t)  per-step loss: squared error (adding) or cross-entropy (copy)
    task loss  Σ m·ℓ / Σ m, the mean over scored steps

Tasks (`task`)
    adding  (Hochreiter & Schmidhuber 1997; Le et al. 2015) S = T, I = 2. Channel 0 holds values
            U(0, 1); channel 1 marks two steps with 1, one in each half of the sequence. Only the
            last step is scored: y = the sum of the two marked values, squared error.
            Always predicting 1 scores E[(u₁ + u₂ − 1)²] = Var(u₁ + u₂) = 2/12 = 1/6 ≈ 0.1667.
    copy    (Arjovsky et al. 2016) S = T + 20, I = 10 one-hot symbols (0 blank, 1–8 data, 9 cue).
            Input: 10 data symbols, T − 1 blanks, the cue, 10 blanks. Target: blanks for the
            first T + 10 steps, then the 10 data symbols. Every step is scored, cross-entropy.
            Predicting blank, then uniform over the 8 data symbols for the last 10 steps, scores
            10·log 8 / (T + 20): the best any model without memory can do.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from seqviz.core.checks import check_choice

TASKS = ("adding", "copy")
COPY_SYMBOLS = 8
COPY_LENGTH = 10
COPY_CLASSES = COPY_SYMBOLS + 2  # blank, 8 data symbols, cue
CUE = COPY_SYMBOLS + 1


@dataclass(frozen=True)
class TaskBatch:
    """x (B, S, I) float32 inputs, y (B, S) targets (float for adding, long for copy), m (B, S) mask."""

    task: str
    x: torch.Tensor
    y: torch.Tensor
    mask: torch.Tensor


def input_size(task: str) -> int:
    check_choice("task", task, TASKS)
    return 2 if task == "adding" else COPY_CLASSES


def output_size(task: str) -> int:
    check_choice("task", task, TASKS)
    return 1 if task == "adding" else COPY_CLASSES


def adding_problem(batch: int, T: int, generator: torch.Generator) -> TaskBatch:
    """A batch of the adding problem of length T ≥ 2 (see the module docstring)."""
    if T < 2:
        raise ValueError(f"the adding problem needs T ≥ 2; got {T}")
    values = torch.rand(batch, T, generator=generator)
    first = torch.randint(0, T // 2, (batch,), generator=generator)
    second = torch.randint(T // 2, T, (batch,), generator=generator)
    rows = torch.arange(batch)
    markers = torch.zeros(batch, T)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    y = torch.zeros(batch, T)
    y[:, -1] = values[rows, first] + values[rows, second]
    mask = torch.zeros(batch, T)
    mask[:, -1] = 1.0
    return TaskBatch("adding", torch.stack([values, markers], dim=-1), y, mask)


def copy_memory(batch: int, T: int, generator: torch.Generator) -> TaskBatch:
    """A batch of the copy-memory task with delay T ≥ 1 (sequences of T + 20 steps)."""
    if T < 1:
        raise ValueError(f"the copy-memory task needs T ≥ 1; got {T}")
    S = T + 2 * COPY_LENGTH
    data = torch.randint(1, COPY_SYMBOLS + 1, (batch, COPY_LENGTH), generator=generator)
    symbols = torch.zeros(batch, S, dtype=torch.long)
    symbols[:, :COPY_LENGTH] = data
    symbols[:, T + COPY_LENGTH - 1] = CUE
    y = torch.zeros(batch, S, dtype=torch.long)
    y[:, -COPY_LENGTH:] = data
    return TaskBatch("copy", F.one_hot(symbols, COPY_CLASSES).float(), y, torch.ones(batch, S))


def task_batch(task: str, batch: int, T: int, generator: torch.Generator) -> TaskBatch:
    check_choice("task", task, TASKS)
    return (adding_problem if task == "adding" else copy_memory)(batch, T, generator)


def step_losses(task: str, prediction: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """(B, S) per-step loss ℓ from predictions (B, S, output_size) and targets (B, S)."""
    if task == "adding":
        return (prediction[..., 0] - y) ** 2
    return F.cross_entropy(prediction.transpose(1, 2), y, reduction="none")


def baseline_loss(task: str, T: int) -> float:
    """The loss of the memoryless baseline: 1/6 (adding, always predict 1), 10·log 8/(T+20) (copy)."""
    check_choice("task", task, TASKS)
    if task == "adding":
        return 1.0 / 6.0
    return COPY_LENGTH * math.log(COPY_SYMBOLS) / (T + 2 * COPY_LENGTH)
