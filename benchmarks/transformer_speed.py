"""What a generated token costs as the context grows, measured on CPU in one run:

per-token time (median of single-token steps) and bytes kept between tokens for an LSTM (fixed state),
Mamba in recurrent mode (fixed state) and the Transformer with its KV cache, at contexts 1k, 4k, 16k;
each time is also given as a ratio to the LSTM's step measured in the same round (baseline), and the
KV-cached step against recomputing the whole sequence for the next token (where that fits).

Run from the repository root: python -m benchmarks.transformer_speed [--contexts 1024 4096 16384] [--rounds 3]
"""
from __future__ import annotations

import argparse
import time

import torch

from seqviz.core.threads import single_threaded
from seqviz.transformer.cost import COST_KINDS, CostConfig, CostModels, token_cost

RECOMPUTE_MAX = 4096  # the whole-sequence recompute holds (heads, T, T) attention weights


def best_of_rounds(models, config, context: int, rounds: int) -> dict[str, tuple[float, int]]:
    """kind → (best per-token median over `rounds`, bytes kept); the kinds alternate within each round."""
    best: dict[str, tuple[float, int]] = {}
    for _ in range(rounds):
        for kind in COST_KINDS:
            seconds, nbytes = token_cost(models, kind, context, config, torch.device("cpu"))
            best[kind] = (min(seconds, best.get(kind, (seconds, 0))[0]), nbytes)
    return best


@torch.no_grad()
def recompute_seconds(models: CostModels, context: int) -> float:
    """Seconds to recompute the whole sequence of context + 1 tokens (what the next token costs without a cache)."""
    tokens = torch.zeros(1, context + 1, dtype=torch.long)
    models.transformer(tokens)  # warm-up
    start = time.perf_counter()
    models.transformer(tokens)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contexts", type=int, nargs="+", default=[1024, 4096, 16384])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    config = CostConfig(longest_context=max(args.contexts), tokens_timed=16)
    models = CostModels(config).eval()
    print(f"torch {torch.__version__}, 1 thread; {config.n_layers} layers of width {config.d_model}, "
          f"{config.n_heads} heads; batch 1; median of {config.tokens_timed} steps, best of {args.rounds} rounds")
    header = "".join(f"{name:>32}" for name in ("LSTM ms (bytes)", "Mamba ms (bytes, ÷LSTM)",
                                                 "Transformer ms (bytes, ÷LSTM)"))
    print(f"{'context':>8}{header}{'recompute ÷ cached':>20}")
    with single_threaded():
        token_cost(models, "transformer", 128, config, torch.device("cpu"))  # warm-up
        for context in args.contexts:
            best = best_of_rounds(models, config, context, args.rounds)
            base = best["lstm"][0]
            cells = [f"{1e3 * best['lstm'][0]:.3f} ({best['lstm'][1]:,})"]
            cells += [f"{1e3 * best[k][0]:.3f} ({best[k][1]:,}, {best[k][0] / base:.1f}x)"
                      for k in ("mamba", "transformer")]
            recompute = (f"{recompute_seconds(models, context) / best['transformer'][0]:.0f}x"
                         if context <= RECOMPUTE_MAX else "—")
            print(f"{context:>8}" + "".join(f"{c:>32}" for c in cells) + f"{recompute:>20}")


if __name__ == "__main__":
    main()
