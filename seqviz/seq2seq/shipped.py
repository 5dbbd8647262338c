"""What the Attention page ships in assets/attention/, written by scripts/make_checkpoints.py: a
checkpoint of each default configuration and the default bottleneck sweep, so the page shows them at
once on first open and trains only other configurations live."""
from __future__ import annotations

import json
from pathlib import Path

import torch

from seqviz.core.paths import assets
from seqviz.seq2seq.experiments import SweepResult
from seqviz.seq2seq.training import Seq2SeqConfig, TrainedModel, load_checkpoint

SWEEP_FILE = "bottleneck.json"


def shipped_dir() -> Path:
    return assets("attention")


def checkpoint_name(config: Seq2SeqConfig) -> str:
    """The file name of `config`'s checkpoint: task, cell and attention (the defaults fix the rest)."""
    return f"{config.task.name}-{config.model.cell}-{config.model.attention}.pt"


def shipped_models(device: str | torch.device = "cpu") -> dict[Seq2SeqConfig, TrainedModel]:
    """Config → model (on `device`) for every checkpoint in assets/attention/."""
    models = {}
    for path in sorted(shipped_dir().glob("*.pt")):
        trained = load_checkpoint(path, device)
        models[trained.config] = trained
    return models


def shipped_sweep() -> SweepResult | None:
    """The shipped bottleneck sweep (of SweepConfig's defaults), or None where it was not written."""
    path = shipped_dir() / SWEEP_FILE
    return SweepResult.from_dict(json.loads(path.read_text())) if path.exists() else None
