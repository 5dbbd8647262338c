"""Precompute the Recurrence-vs-attention page's "what each can learn" view.

For both tasks of seqviz.ssm.tasks, with the state-space page's CompareConfig (lengths 16, 32, 64,
1,600 AdamW steps of batch 32, ~3,000 parameters per model) trains a GRU and a 2-layer, 2-head
Transformer (sinusoidal positions) at every length, and Transformers with learned and no positional
encoding at L = 32; tests each model trained at L = 32, and the state-space page's saved Mamba, S4D
and LSTM, at L, 2L and 4L. Writes
    assets/transformer/learn_<task>.json   accuracies, loss curves, parameter counts, generalisation
    assets/transformer/models_<task>.pt    state dicts of the models trained at L = 32
Small models, few steps: 3 to 6 minutes per task on one thread of the shared 2-core machine (175 s and
351 s when the shipped files were made).
Run from the repository root: python -m scripts.transformer_results [--task induction_heads] [--steps 1600]
"""
from __future__ import annotations

import argparse
import time
from dataclasses import replace

import torch

from seqviz.ssm.tasks import TASKS
from seqviz.transformer.learn import learn, save_learned
from seqviz.transformer.results import config_of, learned_path, models_path, state_space_generalisation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=TASKS, nargs="+", default=list(TASKS))
    parser.add_argument("--steps", type=int, default=1600)
    args = parser.parse_args()
    for task in args.task:
        config = config_of(task)
        config = replace(config, base=replace(config.base, steps=args.steps))
        start = time.perf_counter()

        def progress(name, length, step, loss):
            if step % 400 == 0 or step == args.steps - 1:
                print(f"{task} {name:>24} l={length:<3} step {step:>4}/{args.steps} loss {loss:.3f} "
                      f"({time.perf_counter() - start:.0f} s)", flush=True)

        result, models = learn(config, progress)
        result.generalisation.update(state_space_generalisation(task))
        save_learned(result, learned_path(task))
        torch.save({name: model.state_dict() for name, model in models.items()}, models_path(task))
        print(task, "accuracy:", {k: {l: round(a, 3) for l, a in v.items()} for k, v in result.accuracy.items()})
        print(task, "generalisation:", {k: {l: round(a, 3) for l, a in v.items()}
                                        for k, v in result.generalisation.items()})
        print(task, "parameters:", result.params, f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
