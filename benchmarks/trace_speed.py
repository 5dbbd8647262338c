"""Time of seqviz.trace (exact per-step gradient norms) ÷ the plain module's forward + backward.

Both are measured side by side in one process, on CPU, one sequence, one layer, H = 128.
Run from the repository root: python -m benchmarks.trace_speed [--steps 1000 5000] [--repeats 5]
"""
from __future__ import annotations

import argparse
import time

import torch

import seqviz


def best_time(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def plain_forward_backward(module, x):
    out, _ = module(x.unsqueeze(1))
    out[-1].sum().backward()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, H={args.hidden}, one layer, one sequence")
    print(f"{'kind':<6}{'T':>6}{'plain f+b (ms)':>16}{'trace (ms)':>12}{'ratio':>8}")
    for T in args.steps:
        for kind in ("lstm", "gru", "rnn"):
            module = seqviz.build_model(kind, 32, args.hidden, seed=0)
            x = torch.randn(T, 32, generator=torch.Generator().manual_seed(0))
            plain = best_time(lambda: plain_forward_backward(module, x), args.repeats)
            traced = best_time(lambda: seqviz.trace(module, x, loss="last"), args.repeats)
            print(f"{kind:<6}{T:>6}{plain * 1e3:>16.1f}{traced * 1e3:>12.1f}{traced / plain:>7.2f}x")


if __name__ == "__main__":
    main()
