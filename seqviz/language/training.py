"""Training character models with truncated backpropagation through time, and measuring them.

Glossary
    B   streams: the text is cut into B contiguous pieces read side by side, one column each
    K   truncation: each update backpropagates through K characters; the state carries over
    bits per character   mean −log₂ p(c_{t+1} | c_≤t) over held-out text (lower is better)
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from seqviz.language.corpus import Vocabulary
from seqviz.language.model import CharModel, CharModelConfig, TrainedCharModel

LN2 = math.log(2)


@dataclass(frozen=True)
class CharTrainConfig:
    """How a character model is trained: updates, streams B, truncation K, Adam's rate, clipping."""

    updates: int = 4000
    streams: int = 32
    truncation: int = 128
    learning_rate: float = 3e-3
    clip_norm: float = 1.0
    eval_every: int = 250
    eval_chars: int = 50_000  # of the validation text, for the curve; the final number reads all of it


def as_streams(ids: np.ndarray, B: int) -> torch.Tensor:
    """(S, B) the id sequence cut into B contiguous streams of S = len(ids) // B characters."""
    S = len(ids) // B
    return torch.as_tensor(ids[:S * B]).reshape(B, S).T.contiguous()


def _detach(state):
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


@torch.no_grad()
def bits_per_char(model: CharModel, ids: np.ndarray, streams: int = 64, chunk: int = 512) -> float:
    """Held-out bits per character of `ids`, read as `streams` contiguous streams from a zero state."""
    model.eval()
    data = as_streams(ids, min(streams, max(len(ids) // 2, 1)))
    total, count, state = 0.0, 0, None
    for start in range(0, data.shape[0] - 1, chunk):
        x, y = data[start:start + chunk], data[start + 1:start + chunk + 1]
        logits, state = model(x[:len(y)], state)
        total += F.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="sum").item()
        count += y.numel()
    return total / count / LN2


def learning_rate_at(config: CharTrainConfig, update: int) -> float:
    """Cosine decay from the full rate at update 0 to 10 % of it at the last update."""
    progress = update / max(config.updates - 1, 1)
    return config.learning_rate * (0.1 + 0.45 * (1 + math.cos(math.pi * progress)))


def train_char_model(model_config: CharModelConfig, config: CharTrainConfig, vocabulary: Vocabulary,
                     train_ids: np.ndarray, valid_ids: np.ndarray,
                     callback: Callable[[dict], bool] | None = None) -> TrainedCharModel:
    """Train a fresh model (seeded by `model_config.seed`); `callback(history)` after each evaluation
    may return False to stop. The streams are read in order, wrapping around with a fresh state."""
    model = CharModel(model_config, vocabulary)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    data = as_streams(train_ids, config.streams)
    history = {"update": [], "loss_bits": [], "valid_bits": [], "seconds": []}
    start, position, state, losses = time.perf_counter(), 0, None, []
    for update in range(config.updates):
        if position + config.truncation + 1 > data.shape[0]:
            position, state = 0, None
        x = data[position:position + config.truncation]
        y = data[position + 1:position + config.truncation + 1]
        position += config.truncation
        loss, state = _update(model, optimizer, x, y, state, config, update)
        losses.append(loss)
        if (update + 1) % config.eval_every == 0 or update == config.updates - 1:
            history["update"].append(update + 1)
            history["loss_bits"].append(sum(losses) / len(losses) / LN2)
            history["valid_bits"].append(bits_per_char(model, valid_ids[:config.eval_chars]))
            history["seconds"].append(time.perf_counter() - start)
            losses = []
            model.train()
            if callback is not None and callback(history) is False:
                break
    model.eval()
    return TrainedCharModel(model, history, {}, time.perf_counter() - start)


def _update(model: CharModel, optimizer, x, y, state, config: CharTrainConfig, update: int):
    """One step of truncated BPTT on (K, B) inputs x and targets y: (loss, the final state detached)."""
    model.train()
    logits, final = model(x, state)
    loss = F.cross_entropy(logits.flatten(0, 1), y.flatten())
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), config.clip_norm)
    for group in optimizer.param_groups:
        group["lr"] = learning_rate_at(config, update)
    optimizer.step()
    return loss.item(), _detach(final)
