"""Build the language lab's corpus: this Python's standard-library source, split by file.

Every top-level `.py` module of the standard library (PSF licence, copied beside the corpus) goes
whole into one split, chosen by a hash of its file name, so no file straddles two splits. The
splits are written gzipped with a manifest (Python version, every file's split, size and SHA-256,
and each split's checksum) that seqviz.language.corpus checks when it loads them. Run from the
repository root:

    python -m scripts.make_language_corpus
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import platform
import sysconfig
from pathlib import Path

from seqviz.language.corpus import CORPUS_DIR, MANIFEST, SPLITS, split_file

SKIPPED = {"this.py"}  # a rot13 puzzle, not Python as people write it
HELD_OUT_SHARE = 0.1  # of the files, by name hash, for each of valid and test


def split_of(name: str) -> str:
    """"train", "valid" or "test" from the file name's SHA-256: stable across machines and runs."""
    bucket = int(hashlib.sha256(name.encode()).hexdigest(), 16) % 1000 / 1000
    return "test" if bucket < HELD_OUT_SHARE else "valid" if bucket < 2 * HELD_OUT_SHARE else "train"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stdlib", type=Path, default=Path(sysconfig.get_path("stdlib")))
    args = parser.parse_args()
    files = sorted(p for p in args.stdlib.glob("*.py") if p.name not in SKIPPED)
    texts = {split: [] for split in SPLITS}
    entries = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        split = split_of(path.name)
        texts[split].append(text)
        entries.append({"name": path.name, "split": split, "chars": len(text), "sha256": sha256(text)})
    CORPUS_DIR.mkdir(parents=True, exist_ok=True)
    summary = {}
    for split in SPLITS:
        joined = "\n".join(texts[split])
        with open(split_file(split), "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
            out.write(joined.encode("utf-8"))  # mtime 0: the same text gives the same bytes
        summary[split] = {"files": len(texts[split]), "chars": len(joined), "sha256": sha256(joined)}
        print(f"{split:<6}{len(texts[split]):>5} files{len(joined):>10,} characters")
    (CORPUS_DIR / "LICENSE.txt").write_bytes((args.stdlib / "LICENSE.txt").read_bytes())
    manifest = {"source": f"Python {platform.python_version()} standard library, top-level modules",
                "licence": "PSF License Agreement (LICENSE.txt)", "splits": summary, "files": entries}
    MANIFEST.write_text(json.dumps(manifest, indent=1) + "\n")


if __name__ == "__main__":
    main()
