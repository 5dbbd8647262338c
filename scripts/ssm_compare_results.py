"""Precompute the state-space page's task comparison: results JSON and the trained models it inspects.

Trains the Mamba, S4D and LSTM models of seqviz.ssm.compare with the default CompareConfig but
`--steps` steps on both tasks (the page's "Train now" button reruns the same code live) and writes
    assets/ssm/compare_<task>.json     loss curves, accuracies, parameter counts, seconds
    assets/ssm/models_<task>.pt        state dicts of the models trained at INSPECT_LENGTH
Run from the repository root: python -m scripts.ssm_compare_results [--task selective_copying] [--steps 1600]
"""
from __future__ import annotations

import argparse
import time

import torch

from seqviz.ssm.compare import CompareConfig, compare
from seqviz.ssm.results import INSPECT_LENGTH, models_path, results_path, save_results
from seqviz.ssm.tasks import TASKS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=TASKS, nargs="+", default=list(TASKS))
    parser.add_argument("--steps", type=int, default=1600)
    args = parser.parse_args()
    for task in args.task:
        config = CompareConfig(task=task, steps=args.steps)
        start = time.perf_counter()

        def progress(kind, length, step, steps, loss):
            if step % 100 == 0 or step == steps - 1:
                print(f"{task} {kind:>5} l={length:<3} step {step:>4}/{steps} loss {loss:.3f} "
                      f"({time.perf_counter() - start:.0f} s)", flush=True)

        result, models = compare(config, progress, keep_models_at=INSPECT_LENGTH)
        save_results(result, results_path(task))
        torch.save({kind: model.state_dict() for kind, model in models.items()}, models_path(task))
        print(task, "accuracy:", {k: {l: round(a, 3) for l, a in v.items()} for k, v in result.accuracy.items()})


if __name__ == "__main__":
    main()
