"""Updates per second of the instrumented trainer ÷ a plain PyTorch loop, same model and batches.

The instrumented trainer (`seqviz.gradients.training.train_on_task`) clips, records raw and clipped ‖g‖ every update
and samples the exact ‖dL/dh_t‖ profile every `heatmap_every` updates. The plain loop does only
batch generation, forward, loss, backward and the optimizer step. Both are timed side by side in
one process, interleaved, best of `repeats` each; both wall-clock and process CPU time are reported
(CPU time is the steadier of the two on a shared machine). The trainer always runs on one thread
(seqviz.core.threads); `--threads` sets the plain loop's. The bar is a ratio ≥ 0.5.
Run from the repository root: python -m benchmarks.training_speed [--updates 100] [--repeats 3] [--threads 1]
"""
from __future__ import annotations

import argparse
import time

import torch

from seqviz.gradients.tasks import task_batch
from seqviz.gradients.training import TaskTrainConfig, build_task_model, task_loss, train_on_task

CASES = [
    dict(task="adding", length=50, kind="rnn"),
    dict(task="adding", length=200, kind="lstm"),
    dict(task="copy", length=50, kind="gru"),
    dict(task="copy", length=100, kind="lstm", truncation=20),
]


def plain_loop(config: TaskTrainConfig) -> None:
    model = build_task_model(config)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    generator = torch.Generator().manual_seed(config.seed)
    for _ in range(config.updates):
        batch = task_batch(config.task, config.batch_size, config.length, generator)
        optimizer.zero_grad(set_to_none=True)
        task_loss(config.task, model(batch.x, config.truncation), batch).backward()
        optimizer.step()


def rates(fn, config: TaskTrainConfig) -> tuple[float, float]:
    """Updates per second of one run, by wall clock and by process CPU time."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn(config)
    return config.updates / (time.perf_counter() - wall), config.updates / (time.process_time() - cpu)


def best_rates(config: TaskTrainConfig, repeats: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """Best (wall, CPU) updates per second of the plain loop and of the trainer, runs interleaved."""
    plain, instrumented = (0.0, 0.0), (0.0, 0.0)
    for _ in range(repeats):
        plain = tuple(map(max, plain, rates(plain_loop, config)))
        instrumented = tuple(map(max, instrumented, rates(train_on_task, config)))
    return plain, instrumented


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--heatmap-every", type=int, default=TaskTrainConfig.heatmap_every)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, H=32, batch 32, Adam, clip by norm, "
          f"‖dL/dh_t‖ sampled every {args.heatmap_every} updates")
    print(f"{'task':<8}{'T':>5}{'kind':>6}{'k':>5}{'plain upd/s':>13}{'trainer upd/s':>15}{'ratio':>7}"
          f"{'CPU-time ratio':>16}")
    for case in CASES:
        config = TaskTrainConfig(**case, updates=args.updates, heatmap_every=args.heatmap_every)
        plain_loop(config)  # warm-up
        plain, instrumented = best_rates(config, args.repeats)
        print(f"{config.task:<8}{config.length:>5}{config.kind:>6}{config.truncation:>5}{plain[0]:>13.1f}"
              f"{instrumented[0]:>15.1f}{instrumented[0] / plain[0]:>7.2f}{instrumented[1] / plain[1]:>16.2f}")


if __name__ == "__main__":
    main()
