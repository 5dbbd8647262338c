"""Updates per second of the instrumented trainer ÷ a plain PyTorch loop, same model and batches.

The instrumented trainer (`seqviz.training.train`) clips, records raw and clipped ‖g‖ every update
and samples the exact ‖dL/dh_t‖ profile every `heatmap_every` updates. The plain loop does only
batch generation, forward, loss, backward and the optimizer step. Both are timed side by side in
one process. The bar is a ratio ≥ 0.5.
Run from the repository root: python -m benchmarks.training_speed [--updates 100] [--repeats 3]
"""
from __future__ import annotations

import argparse
import time

import torch

from seqviz.tasks import task_batch
from seqviz.training import TrainConfig, build_task_model, task_loss, train

CASES = [
    dict(task="adding", length=50, kind="rnn"),
    dict(task="adding", length=200, kind="lstm"),
    dict(task="copy", length=50, kind="gru"),
    dict(task="copy", length=100, kind="lstm", truncation=20),
]


def plain_loop(config: TrainConfig) -> None:
    model = build_task_model(config)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    generator = torch.Generator().manual_seed(config.seed)
    for _ in range(config.updates):
        batch = task_batch(config.task, config.batch_size, config.length, generator)
        optimizer.zero_grad(set_to_none=True)
        task_loss(config.task, model(batch.x, config.truncation), batch).backward()
        optimizer.step()


def rate(fn, config: TrainConfig) -> float:
    start = time.perf_counter()
    fn(config)
    return config.updates / (time.perf_counter() - start)


def best_rates(config: TrainConfig, repeats: int) -> tuple[float, float]:
    """Best updates per second of the plain loop and of the trainer, runs interleaved (fair under load)."""
    plain, instrumented = 0.0, 0.0
    for _ in range(repeats):
        plain = max(plain, rate(plain_loop, config))
        instrumented = max(instrumented, rate(train, config))
    return plain, instrumented


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--heatmap-every", type=int, default=10)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, H=32, batch 32, Adam, clip by norm, "
          f"‖dL/dh_t‖ sampled every {args.heatmap_every} updates")
    print(f"{'task':<8}{'T':>5}{'kind':>6}{'k':>5}{'plain (upd/s)':>15}{'trainer (upd/s)':>17}{'ratio':>8}")
    for case in CASES:
        config = TrainConfig(**case, updates=args.updates, heatmap_every=args.heatmap_every)
        plain_loop(config)  # warm-up
        plain, instrumented = best_rates(config, args.repeats)
        print(f"{config.task:<8}{config.length:>5}{config.kind:>6}{config.truncation:>5}{plain:>15.1f}"
              f"{instrumented:>17.1f}{instrumented / plain:>8.2f}")


if __name__ == "__main__":
    main()
