"""State-space speed, measured side by side in one run on CPU:

1. one S4D channel (S4D-Lin, N = 64, ZOH): kernel + FFT convolution ÷ sequential scan, at L = 1k, 4k, 16k;
2. Mamba's selective scan: chunked scan ÷ sequential reference (forward, and forward + backward).

Run from the repository root: python -m benchmarks.ssm_speed [--lengths 1024 4096 16384] [--repeats 3]
"""
from __future__ import annotations

import argparse
import time

import torch

from seqviz.ssm import mamba
from seqviz.ssm import s4 as ssm


def paired_best_times(fn_a, fn_b, repeats: int) -> tuple[float, float]:
    """Best-of-`repeats` wall times of two functions, run alternately so load on a shared machine
    hits both alike."""
    fn_a(), fn_b()  # warm-up
    times_a, times_b = [], []
    for _ in range(repeats):
        for fn, times in ((fn_a, times_a), (fn_b, times_b)):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    return min(times_a), min(times_b)


def ssm_conv_vs_scan(lengths, N: int, repeats: int) -> None:
    A, B = ssm.s4d_init("lin", N)
    g = torch.Generator().manual_seed(0)
    C = torch.complex(torch.randn(N // 2, generator=g, dtype=torch.float64),
                      torch.randn(N // 2, generator=g, dtype=torch.float64))
    print(f"S4D-Lin, N={N}, one channel, float64: kernel + FFT conv vs sequential scan")
    print(f"{'L':>7}{'conv (ms)':>12}{'scan (ms)':>12}{'scan ÷ conv':>13}{'max |diff|':>12}")
    for L in lengths:
        u = torch.randn(L, generator=g, dtype=torch.float64)
        conv = lambda: ssm.fft_conv(u, ssm.kernel(A, B, C, 0.01, L))
        recur = lambda: ssm.scan(A, B, C, 0.01, u)
        t_conv, t_scan = paired_best_times(conv, recur, repeats)
        diff = float((conv() - recur()).abs().max())
        print(f"{L:>7}{t_conv * 1e3:>12.2f}{t_scan * 1e3:>12.1f}{t_scan / t_conv:>12.1f}x{diff:>12.1e}")


def selective_scan_speed(shapes, repeats: int) -> None:
    print("Mamba selective scan (float32): chunked scan ÷ sequential reference (< 1 means the chunked scan is faster)")
    print(f"{'b, l, d, n':>18}{'ref fwd (ms)':>14}{'par fwd (ms)':>14}{'ratio':>8}{'ref f+b (ms)':>14}{'par f+b (ms)':>14}{'ratio':>8}")
    for b, l, d, n in shapes:
        g = torch.Generator().manual_seed(0)
        u = torch.randn(b, l, d, generator=g, requires_grad=True)
        delta = torch.rand(b, l, d, generator=g) * 0.1
        A = -torch.rand(d, n, generator=g) - 0.5
        B, C = torch.randn(b, l, n, generator=g), torch.randn(b, l, n, generator=g)
        D = torch.ones(d)
        times = {}
        ref, par = mamba.selective_scan_reference, mamba.selective_scan
        with torch.no_grad():
            times["ref", "f"], times["par", "f"] = paired_best_times(lambda: ref(u, delta, A, B, C, D),
                                                                     lambda: par(u, delta, A, B, C, D), repeats)
        times["ref", "fb"], times["par", "fb"] = paired_best_times(
            lambda: ref(u, delta, A, B, C, D).sum().backward(), lambda: par(u, delta, A, B, C, D).sum().backward(),
            repeats)
        print(f"{f'{b}, {l}, {d}, {n}':>18}{times['ref', 'f'] * 1e3:>14.1f}{times['par', 'f'] * 1e3:>14.1f}"
              f"{times['par', 'f'] / times['ref', 'f']:>7.2f}x{times['ref', 'fb'] * 1e3:>14.1f}"
              f"{times['par', 'fb'] * 1e3:>14.1f}{times['par', 'fb'] / times['ref', 'fb']:>7.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[1024, 4096, 16384])
    parser.add_argument("--N", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    ssm_conv_vs_scan(args.lengths, args.N, args.repeats)
    selective_scan_speed([(8, 256, 32, 16), (2, 1024, 32, 16), (1, 2048, 16, 8)], args.repeats)


if __name__ == "__main__":
    main()
