"""The language lab's text and its characters.

Glossary
    V   vocabulary size: the characters seen at least MIN_COUNT times in training, plus UNK (id 0)
    T   characters in a text

The corpus is the Python standard library's own source (scripts/make_language_corpus.py), split by
file into train / valid / test; each split is checked against the manifest's SHA-256 when loaded.
"""
from __future__ import annotations

import gzip
import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from seqviz.core.paths import assets

SPLITS = ("train", "valid", "test")
CORPUS_DIR = assets("language", "stdlib")
MANIFEST = CORPUS_DIR / "manifest.json"
UNK = "\ufffd"  # shown for every character the model never saw in training
MIN_COUNT = 20


def split_file(split: str) -> Path:
    return CORPUS_DIR / f"{split}.txt.gz"


@lru_cache(maxsize=len(SPLITS))
def load_split(split: str) -> str:
    """The text of one split, verified against the manifest (ValueError if it was altered)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}; got {split!r}")
    text = gzip.decompress(split_file(split).read_bytes()).decode("utf-8")
    expected = json.loads(MANIFEST.read_text())["splits"][split]["sha256"]
    if hashlib.sha256(text.encode()).hexdigest() != expected:
        raise ValueError(f"{split_file(split)} does not match its checksum in {MANIFEST}")
    return text


@dataclass(frozen=True)
class Vocabulary:
    """Characters ↔ ids; `chars[0]` is UNK, which every unseen character maps to."""

    chars: str

    @classmethod
    def from_text(cls, text: str, min_count: int = MIN_COUNT) -> "Vocabulary":
        """The characters of `text` seen at least `min_count` times, in code-point order, after UNK."""
        counts = Counter(text)
        return cls(UNK + "".join(sorted(c for c, n in counts.items() if n >= min_count and c != UNK)))

    @property
    def size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        """(T,) int64 ids; characters outside the vocabulary become UNK (0)."""
        index = _index(self.chars)
        return np.fromiter((index.get(c, 0) for c in text), dtype=np.int64, count=len(text))

    def unknown_count(self, text: str) -> int:
        """How many characters of `text` the vocabulary does not hold."""
        index = _index(self.chars)
        return sum(c not in index for c in text)

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)


@lru_cache(maxsize=8)
def _index(chars: str) -> dict[str, int]:
    return {c: i for i, c in enumerate(chars)}
