"""Input sequences to feed a recurrent cell: examples, signals, typed text and uploaded CSV.

Glossary
    T   time steps (sequence length), 1 ≤ T ≤ MAX_SEQUENCE_LENGTH
    I   input size: features per step (one-hot width, embedding size E, or CSV columns)
    E   embedding size of the fixed random character embedding
    x   (T, I) float32 array, row t is x_t

Sources (`InputSpec.source`)
    incident   the three-event incident history (error logged → reproduction confirmed →
               rollback requested), one-hot over the three event types, T = 3.
    sine       sin(2πt/period) + Gaussian noise, I = 1.
    square     sign(sin(2πt/period)) (±1) + Gaussian noise, I = 1.
    gaussian   independent N(0, 1) features, I = `features`.
    step       0 before `onset`, 1 from it on (watch the state settle), I = 1.
    impulse    1 at `onset` only, 0 elsewhere (watch the memory decay), I = 1.
    text       the typed characters: one-hot over the text's own sorted alphabet, or a fixed random
               embedding (each character always gets the same E-vector for a given seed).
    csv        an uploaded numeric table: rows are steps, columns are features; an optional header
               row names the features.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

SOURCES = ("incident", "sine", "square", "gaussian", "step", "impulse", "text", "csv")
ENCODINGS = ("onehot", "embedding")
MIN_SEQUENCE_LENGTH, MAX_SEQUENCE_LENGTH = 1, 2000
MAX_FEATURES = 64
MAX_EMBED_DIM = 64
UPLOAD_MAX_BYTES = 5 * 1024**2
_QUOTED = re.compile(r'"(?:[^"]|"")*"')  # a quoted CSV field, whose commas are not separators
INCIDENT_EVENTS = ("error logged", "reproduction confirmed", "rollback requested")
INCIDENT_FEATURES = ("error_seen", "repro_confirmed", "rollback_requested")


@dataclass(frozen=True)
class InputSequence:
    """A sequence ready for a cell.

    Attributes:
        x: (T, I) float32, read-only.
        step_labels: T short labels, one per step (event name, character, or "t=…").
        feature_names: I names, one per input feature.
        description: one line saying what the sequence is.
    """

    x: np.ndarray
    step_labels: tuple[str, ...]
    feature_names: tuple[str, ...]
    description: str

    @property
    def steps(self) -> int:
        return self.x.shape[0]

    @property
    def input_size(self) -> int:
        return self.x.shape[1]

    def reversed(self) -> InputSequence:
        """The same steps in the opposite order."""
        return _sequence(self.x[::-1], self.step_labels[::-1], self.feature_names,
                         f"{self.description}, reversed")


@dataclass(frozen=True)
class InputSpec:
    """Everything that determines an input sequence (hashable, so it can key a cache)."""

    source: str = "sine"
    steps: int = 100
    period: float = 25.0
    noise: float = 0.1
    features: int = 3
    onset: int = 10
    text: str = "hello world"
    encoding: str = "onehot"
    embed_dim: int = 8
    csv: bytes | None = None
    csv_name: str = "the file"
    seed: int = 0


def _sequence(x, step_labels, feature_names, description) -> InputSequence:
    x = np.array(x, dtype=np.float32)  # a fresh C-ordered copy: positive strides even for one reversed step
    x.flags.writeable = False
    return InputSequence(x, tuple(step_labels), tuple(feature_names), description)


def _check_steps(steps: int) -> None:
    if isinstance(steps, bool) or not isinstance(steps, int) or not MIN_SEQUENCE_LENGTH <= steps <= MAX_SEQUENCE_LENGTH:
        raise ValueError(f"sequence length must be an integer from {MIN_SEQUENCE_LENGTH} to {MAX_SEQUENCE_LENGTH}; "
                         f"got {steps!r}")


def _time_labels(steps: int) -> tuple[str, ...]:
    return tuple(f"t={t}" for t in range(steps))


def incident_events() -> InputSequence:
    """The incident example: three ordered events, one-hot over INCIDENT_FEATURES. x: (3, 3)."""
    return _sequence(np.eye(3), INCIDENT_EVENTS, INCIDENT_FEATURES,
                     "incident events: " + " → ".join(INCIDENT_EVENTS))


def wave(shape: str, steps: int, period: float, noise: float, seed: int = 0) -> InputSequence:
    """A sine or square wave (amplitude 1) plus N(0, noise²) noise. x: (T, 1)."""
    if shape not in ("sine", "square"):
        raise ValueError(f"wave shape must be one of sine, square; got {shape!r}")
    _check_steps(steps)
    if not period > 0:
        raise ValueError(f"period must be > 0 steps; got {period!r}")
    if not noise >= 0:
        raise ValueError(f"noise must be ≥ 0; got {noise!r}")
    clean = np.sin(2 * np.pi * np.arange(steps) / period)
    if shape == "square":
        clean = np.where(clean >= 0, 1.0, -1.0)
    x = clean + noise * np.random.default_rng(seed).standard_normal(steps)
    return _sequence(x[:, None], _time_labels(steps), ("x",),
                     f"{shape} wave, period {period:g} steps, noise σ = {noise:g}")


def gaussian(steps: int, features: int, seed: int = 0) -> InputSequence:
    """Independent standard normal features. x: (T, features)."""
    _check_steps(steps)
    if isinstance(features, bool) or not isinstance(features, int) or not 1 <= features <= MAX_FEATURES:
        raise ValueError(f"features must be an integer from 1 to {MAX_FEATURES}; got {features!r}")
    x = np.random.default_rng(seed).standard_normal((steps, features))
    return _sequence(x, _time_labels(steps), tuple(f"x{k}" for k in range(features)),
                     f"Gaussian noise, {features} feature(s)")


def step_or_impulse(shape: str, steps: int, onset: int) -> InputSequence:
    """A unit step (1 from `onset` on) or a unit impulse (1 at `onset` only). x: (T, 1)."""
    if shape not in ("step", "impulse"):
        raise ValueError(f"shape must be one of step, impulse; got {shape!r}")
    _check_steps(steps)
    if not 0 <= onset < steps:
        raise ValueError(f"onset must be a step from 0 to {steps - 1} (T = {steps}); got {onset!r}")
    x = np.zeros(steps)
    if shape == "step":
        x[onset:] = 1.0
    else:
        x[onset] = 1.0
    return _sequence(x[:, None], _time_labels(steps), ("x",), f"unit {shape} at t = {onset}")


def _char_label(ch: str) -> str:
    """A character as a visible step label: a space as ␣, other white space escaped (\\n, \\t, \\xa0)."""
    if ch == " ":
        return "␣"
    return repr(ch)[1:-1] if ch.isspace() else ch


def text(characters: str, encoding: str = "onehot", embed_dim: int = 8, seed: int = 0) -> InputSequence:
    """Typed text, one character per step.

    "onehot": x is (T, V) over the text's sorted distinct characters (V of them).
    "embedding": x is (T, E); character ch maps to N(0, 1/E) draws from a generator seeded with
    (seed, ord(ch)), so the same character gets the same vector in any text.
    """
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {', '.join(ENCODINGS)}; got {encoding!r}")
    if not characters:
        raise ValueError("the text is empty; type at least one character")
    if len(characters) > MAX_SEQUENCE_LENGTH:
        raise ValueError(f"the text has {len(characters)} characters; at most {MAX_SEQUENCE_LENGTH} are accepted")
    labels = tuple(map(_char_label, characters))
    if encoding == "onehot":
        alphabet = sorted(set(characters))
        index = {ch: k for k, ch in enumerate(alphabet)}
        x = np.eye(len(alphabet))[[index[ch] for ch in characters]]
        names = tuple(f"'{ch}'" for ch in alphabet)
        return _sequence(x, labels, names, f"text, one-hot over {len(alphabet)} characters")
    if isinstance(embed_dim, bool) or not isinstance(embed_dim, int) or not 1 <= embed_dim <= MAX_EMBED_DIM:
        raise ValueError(f"embedding size must be an integer from 1 to {MAX_EMBED_DIM}; got {embed_dim!r}")
    table = {ch: np.random.default_rng([seed, ord(ch)]).standard_normal(embed_dim) / np.sqrt(embed_dim)
             for ch in set(characters)}
    x = np.stack([table[ch] for ch in characters])
    return _sequence(x, labels, tuple(f"e{k}" for k in range(embed_dim)),
                     f"text, fixed random {embed_dim}-d character embedding")


def parse_csv(data: bytes, name: str = "the file") -> InputSequence:
    """Parse an uploaded numeric CSV: rows are steps, columns are features. x: (T, columns).

    A first row with no numeric cell is a header naming the features. Every other cell must be a
    finite number. ValueError (naming the bad cell or rows) for: an empty file, a file over
    UPLOAD_MAX_BYTES, text cells, empty / NaN / infinite cells, more than MAX_SEQUENCE_LENGTH rows or
    MAX_FEATURES columns.
    """
    if len(data) > UPLOAD_MAX_BYTES:
        raise ValueError(f"{name} is {len(data) / 1024**2:.1f} MB; CSV uploads are limited to "
                         f"{UPLOAD_MAX_BYTES / 1024**2:.0f} MB ({MAX_SEQUENCE_LENGTH} rows × {MAX_FEATURES} columns "
                         "at most)")
    table = _read_cells(data, name)
    header, body = _split_header(table)
    if body.empty:
        raise ValueError(f"{name} has a header row but no data rows")
    if body.shape[0] > MAX_SEQUENCE_LENGTH:
        raise ValueError(f"{name} has {body.shape[0]} data rows; at most {MAX_SEQUENCE_LENGTH} steps are accepted")
    if body.shape[1] > MAX_FEATURES:
        raise ValueError(f"{name} has {body.shape[1]} columns; at most {MAX_FEATURES} features are accepted")
    values = _numeric(body, name, header_rows=0 if header is None else 1)
    names = header if header is not None else tuple(f"col{k}" for k in range(values.shape[1]))
    return _sequence(values, _time_labels(values.shape[0]), names,
                     f"CSV {name}: {values.shape[0]} steps × {values.shape[1]} features")


def _read_cells(data: bytes, name: str) -> pd.DataFrame:
    """All cells as strings (NaN where a cell is missing)."""
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(f"{name} is not a UTF-8 text CSV file (byte {error.start} cannot be decoded)") from None
    if not content.strip():
        raise ValueError(f"{name} is empty; upload a CSV with one row per step and one column per feature")
    _check_columns(content, name)
    try:
        return pd.read_csv(io.StringIO(content), header=None, dtype=str, skip_blank_lines=True,
                           keep_default_na=False, na_values=[""])
    except pd.errors.ParserError as error:
        raise ValueError(f"{name} is not a well-formed CSV: {error}") from None


def _check_columns(content: str, name: str) -> None:
    """ValueError when a line has more than MAX_FEATURES fields, found before any parsing: a file of
    one very wide row would otherwise cost the parser time and memory far beyond its size."""
    for number, line in enumerate(content.splitlines(), start=1):
        fields = _QUOTED.sub("", line).count(",") + 1
        if fields > MAX_FEATURES:
            raise ValueError(f"{name} has {fields} columns in line {number}; at most {MAX_FEATURES} features "
                             "are accepted")


def _is_number(cell) -> bool:
    try:
        float(cell)
    except (TypeError, ValueError):
        return False
    return True


def _split_header(table: pd.DataFrame) -> tuple[tuple[str, ...] | None, pd.DataFrame]:
    first = table.iloc[0]
    if first.notna().any() and not any(_is_number(cell) for cell in first if isinstance(cell, str)):
        names = [c.strip() if isinstance(c, str) and c.strip() else f"col{k}" for k, c in enumerate(first)]
        return _unique(names), table.iloc[1:]
    return None, table


def _unique(names: list[str]) -> tuple[str, ...]:
    """Header names made unique, a repeat numbered from its second use (a, a_2, a_3): each feature
    keeps a column of its own in the exports. Linear in the names: each name's next number is kept."""
    unique: list[str] = []
    taken: set[str] = set()
    last: dict[str, int] = {}
    for name in names:
        candidate, k = name, last.get(name, 1)
        while candidate in taken:
            k += 1
            candidate = f"{name}_{k}"
        last[name] = k
        taken.add(candidate)
        unique.append(candidate)
    return tuple(unique)


def _numeric(body: pd.DataFrame, name: str, header_rows: int) -> np.ndarray:
    """(rows, columns) float array; ValueError naming the first text cell or the NaN rows."""
    text_cells = body.notna() & ~body.map(_is_number)
    if text_cells.to_numpy().any():
        r, c = np.argwhere(text_cells.to_numpy())[0]
        raise ValueError(f"{name} has a text cell {body.iat[r, c]!r} at row {r + 1 + header_rows}, column {c + 1}; "
                         "every cell must be a number (an optional first row may name the columns)")
    values = body.map(float, na_action="ignore").to_numpy(dtype=np.float64)  # "nan", "inf" parse; NaN stays
    in_range = np.abs(values) <= np.finfo(np.float32).max  # False for NaN and ±inf too; the model runs in float32
    bad_rows = np.flatnonzero(~in_range.all(axis=1))
    if len(bad_rows):
        shown = ", ".join(str(r + 1 + header_rows) for r in bad_rows[:5]) + (" …" if len(bad_rows) > 5 else "")
        raise ValueError(f"{name} has {len(bad_rows)} row(s) with empty, NaN or infinite cells, or numbers beyond "
                         f"float32's ±3.4e38 (row {shown}); fill, rescale or remove them")
    return values


def make_input(spec: InputSpec) -> InputSequence:
    """The sequence `spec` describes (see the module docstring for each source)."""
    if spec.source == "incident":
        return incident_events()
    if spec.source in ("sine", "square"):
        return wave(spec.source, spec.steps, spec.period, spec.noise, spec.seed)
    if spec.source == "gaussian":
        return gaussian(spec.steps, spec.features, spec.seed)
    if spec.source in ("step", "impulse"):
        return step_or_impulse(spec.source, spec.steps, spec.onset)
    if spec.source == "text":
        return text(spec.text, spec.encoding, spec.embed_dim, spec.seed)
    if spec.source == "csv":
        if spec.csv is None:
            raise ValueError("no CSV uploaded yet; choose a file with one row per step and one column per feature")
        return parse_csv(spec.csv, spec.csv_name)
    raise ValueError(f"input source must be one of {', '.join(SOURCES)}; got {spec.source!r}")
