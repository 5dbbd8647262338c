"""Language lab speed on the CPU (one thread, as the server runs), each against a baseline measured
in the same run:

1. corpus states (the pattern search's precomputation) of each shipped model over the searched
   corpus ÷ the plain module's forward pass over the same characters;
2. pattern search over those states, for a span's pattern of units;
3. generating characters with each decoding strategy ÷ greedy decoding.

Run from the repository root: python -m benchmarks.language_speed [--characters 300] [--repeats 3]
"""
from __future__ import annotations

import argparse
import time

import torch

from seqviz.core.models import KINDS
from seqviz.language.corpus import load_split
from seqviz.language.decoding import Strategy, generate
from seqviz.language.lab import CORPUS_CHARS, shipped_model
from seqviz.core.pieces import run_in_pieces
from seqviz.language.patterns import corpus_states, layer_io, pattern_units, search


def best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


@torch.no_grad()
def plain_forward(model, text: str) -> torch.Tensor:
    """h (T, H) of the whole module over `text` as one batch-of-one sequence."""
    ids = torch.as_tensor(model.vocabulary.encode(text))
    return model.rnn(model.embed(ids)[:, None])[0][:, 0]


@torch.no_grad()
def pieces_error(model, text: str) -> float:
    """Largest |h| difference between the last layer run as pieces side by side and the plain module."""
    x = model.embed(torch.as_tensor(model.vocabulary.encode(text)))
    h = layer_io(model, x, model.config.num_layers - 1, run_in_pieces)[1]
    return float((h - plain_forward(model, text)).abs().max())


def corpus_and_search(text: str, repeats: int) -> None:
    print(f"Corpus states over {len(text):,} characters (hidden state, layer 0), and one pattern search")
    print("(states run as pieces side by side: max |Δ| is their largest difference from the plain module's h")
    print(" before they are kept as int8, whose step is the resolution)")
    print(f"{'model':<6}{'plain f (s)':>12}{'states (s)':>12}{'ratio':>8}{'max |Δ|':>10}{'int8 step':>11}"
          f"{'units':>7}{'search (ms)':>13}")
    for kind in KINDS:
        model = shipped_model(kind).model
        plain = best(lambda: plain_forward(model, text), repeats)
        start = time.perf_counter()
        states = corpus_states(model, text)
        seconds = time.perf_counter() - start
        error = pieces_error(model, text)
        values = states.unit_values(range(model.config.hidden_size), 0, 2000)
        units = pattern_units(values, 1000, 1010, 0.3) or [0]
        searched = best(lambda: search(states, units, 0.3, 10), repeats)
        print(f"{kind:<6}{plain:>12.2f}{seconds:>12.2f}{seconds / plain:>7.2f}x{error:>10.1e}"
              f"{1 / states.scales.min():>11.4f}{len(units):>7}{searched * 1e3:>13.1f}")


def decoding(characters: int, repeats: int) -> None:
    print(f"\nGenerating {characters} characters after a prompt (LSTM)")
    model = shipped_model("lstm").model
    prompt = "    def __init__(self, "
    strategies = {"greedy": Strategy("greedy"), "sample τ=0.8, top-p 0.95": Strategy("sample", 0.8, 0, 0.95),
                  "sample top-k 10": Strategy("sample", top_k=10), "beam width 5": Strategy("beam", beam_width=5)}
    greedy = best(lambda: generate(model, prompt, characters, strategies["greedy"]), repeats)
    print(f"{'strategy':<26}{'time (s)':>10}{'÷ greedy':>10}")
    for name, strategy in strategies.items():
        seconds = best(lambda: generate(model, prompt, characters, strategy), repeats)
        print(f"{name:<26}{seconds:>10.3f}{seconds / greedy:>9.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--characters", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, one thread")
    corpus_and_search(load_split("valid")[:CORPUS_CHARS], args.repeats)
    decoding(args.characters, args.repeats)


if __name__ == "__main__":
    main()
