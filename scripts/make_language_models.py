"""Train the language lab's character models (RNN, LSTM, GRU) and measure them and two baselines.

Each model reads the training split of the standard-library corpus (scripts/make_language_corpus.py)
with truncated BPTT; held-out bits per character are measured on the validation and test splits
(seqviz.language.training.bits_per_char), as are the add-α unigram and bigram baselines. Writes
assets/language/models/<kind>.pt (weights-only checkpoints) and assets/language/results.json.
Run from the repository root (one CPU thread per model; --updates sets the budget):

    python -m scripts.make_language_models [--only lstm] [--updates 3000]
"""
from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict

import torch

from seqviz.core.paths import assets
from seqviz.language.baselines import baseline_bits
from seqviz.language.corpus import Vocabulary, load_split
from seqviz.language.model import CharModelConfig, save
from seqviz.language.training import CharTrainConfig, bits_per_char, train_char_model

MODELS = {"rnn": CharModelConfig(kind="rnn"), "lstm": CharModelConfig(kind="lstm"), "gru": CharModelConfig(kind="gru")}
SIZE_LIMIT_BYTES = 3_000_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(MODELS))
    parser.add_argument("--updates", type=int, default=CharTrainConfig.updates)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    texts = {split: load_split(split) for split in ("train", "valid", "test")}
    vocabulary = Vocabulary.from_text(texts["train"])
    ids = {split: vocabulary.encode(text) for split, text in texts.items()}
    results_file = assets("language", "results.json")
    results = json.loads(results_file.read_text()) if results_file.exists() else {"models": {}}
    results["baselines"] = baseline_bits(ids["train"], ids["valid"], ids["test"], vocabulary.size)
    results["vocabulary_size"] = vocabulary.size
    config = CharTrainConfig(updates=args.updates)
    for kind, model_config in MODELS.items():
        if args.only and kind != args.only:
            continue
        start = time.perf_counter()
        trained = train_char_model(model_config, config, vocabulary, ids["train"], ids["valid"],
                        lambda h: print(f"{kind} update {h['update'][-1]}: valid {h['valid_bits'][-1]:.3f} "
                                        f"bits/char, {h['seconds'][-1]:.0f} s", flush=True))
        trained.bits_per_char = {split: bits_per_char(trained.model, ids[split]) for split in ("valid", "test")}
        path = assets("language", "models", f"{kind}.pt")
        path.parent.mkdir(parents=True, exist_ok=True)
        save(trained, path)
        if path.stat().st_size > SIZE_LIMIT_BYTES:
            raise SystemExit(f"{path} is {path.stat().st_size:,} bytes, over {SIZE_LIMIT_BYTES:,}")
        results["models"][kind] = {"config": asdict(model_config), "training": asdict(config),
                                   "parameters": trained.model.parameter_count(),
                                   "bits_per_char": trained.bits_per_char,
                                   "train_seconds": round(trained.seconds, 1),
                                   "total_seconds": round(time.perf_counter() - start, 1)}
        print(kind, trained.bits_per_char, flush=True)
    results_file.write_text(json.dumps(results, indent=1, default=str) + "\n")


if __name__ == "__main__":
    main()
