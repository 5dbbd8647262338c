"""Saved task comparisons (assets/ssm/): results JSON and trained models, written by
scripts/ssm_compare_results.py and read by the state-space page so its compare view is instant;
and the trained models and example sequences its selection view inspects."""
from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path

import torch

from seqviz.core.checkpoints import load_weights_only
from seqviz.core.paths import assets
from seqviz.ssm.compare import CompareConfig, CompareResult, SequenceModel, build_models, compare
from seqviz.ssm.tasks import decode, make_batch

INSPECT_LENGTH = 32
UNSAVED_STEPS = 200  # the short training of a task whose inspected models were not saved


def results_path(task: str) -> Path:
    return assets("ssm", f"compare_{task}.json")


def models_path(task: str) -> Path:
    return assets("ssm", f"models_{task}.pt")


def save_results(result: CompareResult, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(result)))


def load_results(path: Path) -> CompareResult | None:
    """The saved comparison, or None when the file does not exist."""
    if not path.exists():
        return None
    raw = json.loads(path.read_text())
    config = raw["config"]
    config["lengths"] = tuple(config["lengths"])

    def by_length(d):
        return {kind: {int(l): v for l, v in per.items()} for kind, per in d.items()}

    return CompareResult(CompareConfig(**config), by_length(raw["losses"]), by_length(raw["accuracy"]),
                         raw["params"], by_length(raw["seconds"]))


def load_models(task: str, config: CompareConfig) -> dict[str, SequenceModel] | None:
    """The saved trained models (eval mode) built as `config` builds them, or None when not saved."""
    path = models_path(task)
    if not path.exists():
        return None
    states = load_weights_only(path)
    models = build_models(config.d_model, config.d_state, config.seed)
    for kind, model in models.items():
        model.load_state_dict(states[kind])
        model.eval()
    return models


def inspected_models(task: str) -> dict[str, SequenceModel]:
    """The comparison's models (eval mode) trained on `task` at INSPECT_LENGTH: the saved ones, else
    trained now for UNSAVED_STEPS steps."""
    config = CompareConfig(task=task, lengths=(INSPECT_LENGTH,))
    models = load_models(task, config)
    if models is None:
        _, models = compare(replace(config, steps=UNSAVED_STEPS), keep_models_at=INSPECT_LENGTH)
    return models


def inspection_example(task: str, seed: int) -> str:
    """One sequence of `task` at INSPECT_LENGTH (with CompareConfig's answers), drawn from `seed`, as text."""
    inputs, _ = make_batch(task, 1, INSPECT_LENGTH, CompareConfig.n_memorize, torch.Generator().manual_seed(seed))
    return decode(inputs[0])
