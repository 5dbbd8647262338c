"""What the Language lab page asks of the backend: the shipped models and their scores, held-out or
typed text checked against a model's vocabulary, and one result per view.

Glossary
    window    the text a view reads: a stretch of the validation split, or text the visitor typed
    corpus    the first CORPUS_CHARS characters of the validation split, searched for patterns
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from seqviz.core.models import KINDS
from seqviz.core.paths import assets
from seqviz.language.corpus import load_split
from seqviz.language.decoding import Generation, Strategy, distinct_n, generate, longest_repeat
from seqviz.language.features import rank_units, text_features
from seqviz.language.model import CharModel, TrainedCharModel, load
from seqviz.language.patterns import CorpusStates, Match, corpus_states, pattern_units, search
from seqviz.language.reading import gate_saturation, gradient_reach, read

MAX_TEXT_CHARS = 20_000
CORPUS_CHARS = 250_000
SATURATION_CHARS = 20_000
MAX_GENERATED = 500
MAX_PATTERN_WINDOW = 600  # steps × plotted units stay under Altair's 5,000 rows
REACH_CONTEXT = 400  # characters before t that gradient reach reads
VALID_CHARS = 652_824  # the validation split's length (assets/language/stdlib/manifest.json; a test checks it)


@dataclass(frozen=True)
class WindowSpec:
    """The page's text defaults: the first characters of the validation split (a module docstring,
    imports, a list of strings, comments and a function: every feature the views look for)."""

    start: int = 0
    length: int = 1500
    text: str = 'def greet(name):\n    # say hello\n    print("Hello, " + name)  # a string\n'
    reach_position: int = 600


@dataclass(frozen=True)
class ReadingSpec:
    kind: str = "lstm"
    quantity: str = "hidden"
    feature: str = "inside a string"


@dataclass(frozen=True)
class PatternSpec:
    feature: str = "inside a string"  # ranks the units plotted first
    plotted: int = 4
    threshold: float = 0.5


@dataclass(frozen=True)
class DecodeSpec:
    prompt: str = "    def __init__(self, "
    steps: int = 200
    beam_width: int = 4
    temperature: float = 0.8
    top_k: int = 0
    top_p: float = 0.95


def model_path(kind: str):
    return assets("language", "models", f"{kind}.pt")


@lru_cache(maxsize=len(KINDS))
def shipped_model(kind: str) -> TrainedCharModel:
    """The shipped model of `kind` (scripts/make_language_models.py); shared: never modify it."""
    if kind not in KINDS:
        raise ValueError(f"model must be one of {', '.join(KINDS)}; got {kind!r}")
    return load(model_path(kind))


def results() -> dict:
    """assets/language/results.json: bits per character of the baselines and models, and their budgets."""
    return json.loads(assets("language", "results.json").read_text())


@dataclass(frozen=True)
class Window:
    """A text a view reads, as the model sees it: `unknown` characters outside its vocabulary."""

    text: str
    start: int  # where it begins in the validation split, or -1 for typed text
    unknown: int


def held_out(start: int, length: int, model: CharModel) -> Window:
    """`length` characters of the validation split from `start` (clamped to the split)."""
    valid = load_split("valid")
    length = min(max(length, 2), MAX_TEXT_CHARS)
    start = min(max(start, 0), len(valid) - length)
    text = valid[start:start + length]
    return Window(text, start, model.vocabulary.unknown_count(text))


def typed(text: str, model: CharModel) -> Window:
    """Text a visitor typed or pasted; ValueError if it is too short or too long to read."""
    if len(text) < 2:
        raise ValueError("type or paste at least two characters of text")
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(f"the text has {len(text):,} characters; at most {MAX_TEXT_CHARS:,} are read")
    return Window(text, -1, model.vocabulary.unknown_count(text))


@dataclass(frozen=True)
class Reading:
    """One quantity (T, H) over a window, and the units ranked by correlation with a text feature."""

    values: np.ndarray
    feature: np.ndarray
    ranking: list[tuple[int, float]]


def reading(kind: str, window: Window, layer: int, quantity: str, feature: str, top: int = 10) -> Reading:
    values = read(shipped_model(kind).model, window.text, layer, quantity)
    feature_values = text_features(window.text)[feature]
    return Reading(values, feature_values, rank_units(values, feature_values, top))


def saturation(kind: str) -> dict[str, np.ndarray]:
    """Gate saturation of the shipped model over the first SATURATION_CHARS of the validation text."""
    return gate_saturation(shipped_model(kind).model, load_split("valid")[:SATURATION_CHARS])


def corpus(kind: str, layer: int, state: str) -> CorpusStates:
    """The states of the searched corpus (computed once per model, layer and state; shared)."""
    return corpus_states(shipped_model(kind).model, load_split("valid")[:CORPUS_CHARS], layer, state)


@dataclass(frozen=True)
class PatternResult:
    """The units on over the selected span [start, stop) (window steps) and where else they switch on."""

    units: list[int]
    matches: list[Match]


def brushed_steps(brushed: list[float], start: int, length: int) -> tuple[int, int] | None:
    """Window steps [first, last) of the whole steps inside a brushed interval of step numbers (which
    begin at `start`); None when it holds none."""
    first = max(math.ceil(min(brushed)) - start, 0)
    last = min(math.floor(max(brushed)) - start + 1, length)
    return (first, last) if last > first else None


def find_pattern(states: CorpusStates, window: Window, window_values: np.ndarray, start: int, stop: int,
                 threshold: float, min_share: float = 1.0, top: int = 10) -> PatternResult:
    """Select the span's pattern in the window's own values, and search the corpus for it (the span
    itself is left out when the window is part of the corpus)."""
    units = pattern_units(window_values, start, stop, threshold)
    here = (window.start + start, window.start + stop) if window.start >= 0 else None
    return PatternResult(units, search(states, units, threshold, stop - start, top, min_share, exclude=here))


@dataclass(frozen=True)
class Decoded:
    """A strategy's continuation and how it reads: bits per character under the model, distinct
    bigrams and 4-grams, and the longest repeated substring."""

    strategy: Strategy
    generation: Generation
    distinct_2: float
    distinct_4: float
    longest_repeat: int


def decode(kind: str, prompt: str, steps: int, strategy: Strategy) -> Decoded:
    if not 1 <= steps <= MAX_GENERATED:
        raise ValueError(f"characters to generate must be between 1 and {MAX_GENERATED}; got {steps}")
    if len(prompt) > MAX_TEXT_CHARS:
        raise ValueError(f"the prompt has {len(prompt):,} characters; at most {MAX_TEXT_CHARS:,} are read")
    generation = generate(shipped_model(kind).model, prompt, steps, strategy)
    text = generation.text
    return Decoded(strategy, generation, distinct_n(text, 2), distinct_n(text, 4), longest_repeat(text))


def reach(window: Window, position: int) -> dict[str, np.ndarray]:
    """Model kind → ‖dL_t/dx_s‖ over the REACH_CONTEXT characters before t = `position` (window steps)."""
    first = max(position - REACH_CONTEXT + 1, 0)
    context = window.text[first:position + 2]
    return {kind: gradient_reach(shipped_model(kind).model, context, position - first)[0] for kind in KINDS}
