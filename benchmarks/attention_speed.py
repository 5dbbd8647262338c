"""Training updates per second of each attention type ÷ the no-attention model of the same sizes.

All models (GRU encoder and decoder, E = 32, H = 64, batch 64, reversal of lengths 3–10) are timed
side by side in one process on CPU, interleaved round by round; each gets the same pre-drawn
batches, and its best round counts. Like seqviz's training loop, it runs on one CPU thread unless
--threads says otherwise. Run from the repository root:
python -m benchmarks.attention_speed [--updates 50] [--rounds 3] [--threads N]
"""
from __future__ import annotations

import argparse
import random
import time

import torch

from seqviz.seq2seq.attention import ATTENTIONS
from seqviz.seq2seq.model import ModelConfig
from seqviz.seq2seq.tasks import random_batch
from seqviz.seq2seq.training import Seq2SeqConfig, build_seq2seq, update


def configs() -> list[Seq2SeqConfig]:
    out = [Seq2SeqConfig(model=ModelConfig(attention=a)) for a in ATTENTIONS]
    out += [Seq2SeqConfig(model=ModelConfig(attention=a, input_feeding=True)) for a in ATTENTIONS[2:]]
    return out


def label(config: Seq2SeqConfig) -> str:
    return config.model.attention + (" +feed" if config.model.input_feeding else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads or 1)
    runs = {label(c): (c, build_seq2seq(c)) for c in configs()}
    optimizers = {name: torch.optim.Adam(model.parameters()) for name, (_, model) in runs.items()}
    batches = [random_batch(configs()[0].task, 64, random.Random(i)) for i in range(args.updates)]
    best = {name: float("inf") for name in runs}
    for _ in range(args.rounds):
        for name, (config, model) in runs.items():
            start = time.perf_counter()
            for step, batch in enumerate(batches, start=1):
                update(model, optimizers[name], batch, config, step)
            best[name] = min(best[name], time.perf_counter() - start)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, GRU, E=32, H=64, batch 64, "
          f"reversal lengths 3-10, {args.updates} updates x {args.rounds} rounds (best)")
    print(f"{'attention':<22}{'updates/s':>11}{'÷ none':>9}")
    baseline = args.updates / best["none"]
    for name, seconds in best.items():
        rate = args.updates / seconds
        print(f"{name:<22}{rate:>11.1f}{rate / baseline:>8.2f}x")


if __name__ == "__main__":
    main()
