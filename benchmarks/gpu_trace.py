"""seqviz.trace on the GPU ÷ on the CPU, side by side in one process (part of `make gpu-check`).

One sequence, H = 64 and 256, one and three layers, T = 1000 and 10,000; CUDA computes in float32
with TF32 off (seqviz.core.devices.exact_fp32). The GPU time includes copying the trace back to NumPy,
as a page needs it. Exits with a message, not an error, where there is no CUDA GPU.
Run from the repository root: python -m benchmarks.gpu_trace [--steps 1000 10000] [--repeats 3]
"""
from __future__ import annotations

import argparse
import time

import torch

import seqviz
from seqviz.core import seeding
from seqviz.core.devices import device_label


def best_time(fn, repeats: int, cuda: bool) -> float:
    """Fastest of `repeats` timed calls after one warm-up; CUDA work is synchronised inside the timing."""
    fn()
    times = []
    for _ in range(repeats):
        if cuda:
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if cuda:
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--hidden", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--layers", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("gpu_trace: no CUDA GPU on this machine; nothing to time.")
        return
    print(f"torch {torch.__version__}; CPU: {torch.get_num_threads()} threads; GPU: {device_label('cuda')}")
    print(f"{'kind':<6}{'H':>5}{'L':>3}{'T':>7}{'CPU (ms)':>11}{'GPU (ms)':>11}{'GPU ÷ CPU':>11}")
    for T in args.steps:
        for H in args.hidden:
            for L in args.layers:
                for kind in ("rnn", "lstm", "gru"):
                    x = torch.randn(T, 32, generator=seeding.generator(0))
                    cpu_model = seqviz.build_model(kind, 32, H, L, seed=0)
                    gpu_model = seqviz.build_model(kind, 32, H, L, seed=0, device="cuda")
                    x_gpu = x.cuda()
                    cpu = best_time(lambda: seqviz.trace(cpu_model, x), args.repeats, False)
                    gpu = best_time(lambda: seqviz.trace(gpu_model, x_gpu), args.repeats, True)
                    print(f"{kind:<6}{H:>5}{L:>3}{T:>7}{cpu * 1e3:>11.1f}{gpu * 1e3:>11.1f}{gpu / cpu:>10.2f}x",
                          flush=True)


if __name__ == "__main__":
    main()
