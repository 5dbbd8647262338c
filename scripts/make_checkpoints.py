"""Train the Attention page's default models and bottleneck sweep; write them to assets/attention/.

Each checkpoint is a weights-only dictionary (see seqviz.seq2seq.training.save_checkpoint), a few
hundred kB; the sweep is a small JSON. The page loads these so it is instant on first open, and
retrains any other configuration live. Run from the repository root:

    python -m scripts.make_checkpoints [--only reverse] [--skip-sweep]
"""
from __future__ import annotations

import argparse
import json

from seqviz.seq2seq.attention import ATTENTIONS
from seqviz.seq2seq.experiments import SweepConfig, bottleneck_sweep
from seqviz.seq2seq.model import ModelConfig
from seqviz.seq2seq.shipped import SWEEP_FILE, checkpoint_name, shipped_dir
from seqviz.seq2seq.tasks import TaskSpec
from seqviz.seq2seq.training import Seq2SeqConfig, save_checkpoint, train_seq2seq

SIZE_LIMIT_BYTES = 1_000_000

def default_configs() -> list[Seq2SeqConfig]:
    """The page's defaults: reversal with every attention type, and one Bahdanau model per other task."""
    configs = [Seq2SeqConfig(model=ModelConfig(attention=a)) for a in ATTENTIONS]
    return configs + [Seq2SeqConfig(task=TaskSpec(name)) for name in ("sort", "copy-delay", "dates")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="train only configs whose file name contains this")
    parser.add_argument("--skip-sweep", action="store_true")
    args = parser.parse_args()
    folder = shipped_dir()
    folder.mkdir(parents=True, exist_ok=True)
    print(f"{'checkpoint':<36}{'steps':>7}{'exact acc':>11}{'seconds':>9}{'to 95 %':>14}{'kB':>7}")
    for config in default_configs():
        name = checkpoint_name(config)
        if args.only and args.only not in name:
            continue
        trained = train_seq2seq(config)
        path = folder / name
        save_checkpoint(trained, path)
        size = path.stat().st_size
        if size > SIZE_LIMIT_BYTES:
            raise SystemExit(f"{name} is {size} bytes, over the {SIZE_LIMIT_BYTES} limit")
        reached = trained.time_to_accuracy(0.95)
        when = f"{reached[0]} / {reached[1]:.1f} s" if reached else "never"
        print(f"{name:<36}{config.steps:>7}{trained.accuracy:>11.3f}{trained.seconds:>9.1f}{when:>14}{size / 1e3:>7.0f}",
              flush=True)
    if not args.skip_sweep:
        sweep = bottleneck_sweep(SweepConfig())
        (folder / SWEEP_FILE).write_text(json.dumps(sweep.as_dict()))
        print("bottleneck sweep:", json.dumps(sweep.exact))


if __name__ == "__main__":
    main()
