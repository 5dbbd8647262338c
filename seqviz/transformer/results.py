"""Saved results of the Transformer page (assets/transformer/), written by scripts/transformer_results.py:
what each model learned (JSON) and the models trained at the generalisation length (state dicts),
which the "who looks at whom" view reads."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from seqviz.core.checkpoints import load_weights_only
from seqviz.core.paths import assets
from seqviz.ssm.compare import CompareConfig
from seqviz.ssm.results import INSPECT_LENGTH, load_models
from seqviz.transformer.learn import (
    LearnConfig,
    LearnResult,
    build,
    generalisation,
    learn,
    load_learned,
    transformer_name,
)
from seqviz.transformer.model import Transformer

UNSAVED_STEPS = 200  # the short training of a task whose Transformer was not saved
SHIPPED_CONFIG = LearnConfig(train_length=INSPECT_LENGTH)  # the state-space page's models are trained there too


def learned_path(task: str) -> Path:
    return assets("transformer", f"learn_{task}.json")


def models_path(task: str) -> Path:
    return assets("transformer", f"models_{task}.pt")


def saved_result(task: str) -> LearnResult | None:
    return load_learned(learned_path(task))


def config_of(task: str) -> LearnConfig:
    return replace(SHIPPED_CONFIG, base=replace(SHIPPED_CONFIG.base, task=task))


def state_space_generalisation(task: str) -> dict[str, dict[int, float]]:
    """L, 2L, 4L accuracy of the state-space page's saved Mamba, S4D and LSTM (trained at L = 32)."""
    models = load_models(task, CompareConfig(task=task, lengths=(INSPECT_LENGTH,)))
    return {} if models is None else {kind: generalisation(m, config_of(task)) for kind, m in models.items()}


def task_transformer(task: str, positional: str = SHIPPED_CONFIG.positional) -> Transformer:
    """The Transformer with `positional` encoding (eval mode) trained on `task` at INSPECT_LENGTH: the saved
    one, else trained now for UNSAVED_STEPS steps. A new module at each call: callers may not share it."""
    config = config_of(task)
    model = build("transformer", config, positional)
    path = models_path(task)
    if path.exists():
        model.load_state_dict(load_weights_only(path)[transformer_name(positional)])
        return model.eval()
    short = replace(config, base=replace(config.base, steps=UNSAVED_STEPS, lengths=(INSPECT_LENGTH,)))
    _, kept = learn(short, kinds=("transformer",), encodings=(positional,))
    return kept[transformer_name(positional)]
