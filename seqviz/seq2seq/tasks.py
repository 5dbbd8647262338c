"""Seeded sequence-to-sequence toy tasks, their vocabularies and padded batches.

Glossary
    B   batch size          S   source length (padded)         T   target length incl. </s> (padded)
    x   source string       y   target string                  V   vocabulary size

Tasks (`TaskSpec.name`)
    reverse     a digit string, reversed:                 "4071" → "1704"
    sort        a digit string, digits in ascending order: "4071" → "0147"
    copy-delay  a digit string copied after `delay` blanks: "4071" → "__4071" (delay 2)
    dates       a date written "23 Nov 2026" or "November 23, 2026" → ISO "2026-11-23";
                dates between 1900-01-01 and 2099-12-31; the length range does not apply.

Token ids 0, 1, 2 are <pad>, <s> (start of the decoder input) and </s> (end of the target); the
task's characters follow. One vocabulary serves both sides; `source_alphabet` is what a typed
source may contain.
"""
from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass

import torch

TASKS = ("reverse", "sort", "copy-delay", "dates")
PAD, SOS, EOS = 0, 1, 2
SPECIALS = ("<pad>", "<s>", "</s>")
MIN_LENGTH, MAX_LENGTH = 1, 40
MAX_DELAY = 8
BLANK = "_"
DIGITS = "0123456789"
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
FIRST_DATE, LAST_DATE = dt.date(1900, 1, 1), dt.date(2099, 12, 31)
_SHORT_FORMAT = re.compile(r"(\d{1,2}) ([A-Z][a-z]{2}) (\d{4})")
_LONG_FORMAT = re.compile(r"([A-Z][a-z]+) (\d{1,2}), (\d{4})")


@dataclass(frozen=True)
class TaskSpec:
    """Which task, and the range of source lengths (inclusive) its generator draws from."""

    name: str = "reverse"
    min_length: int = 3
    max_length: int = 10
    delay: int = 2  # copy-delay only: blanks before the copy

    def __post_init__(self):
        if self.name not in TASKS:
            raise ValueError(f"task must be one of {', '.join(TASKS)}; got {self.name!r}")
        if not MIN_LENGTH <= self.min_length <= self.max_length <= MAX_LENGTH:
            raise ValueError(f"lengths must satisfy {MIN_LENGTH} ≤ min_length ≤ max_length ≤ {MAX_LENGTH}; "
                             f"got {self.min_length}..{self.max_length}")
        if not 0 <= self.delay <= MAX_DELAY:
            raise ValueError(f"delay must be between 0 and {MAX_DELAY}; got {self.delay}")


def uses_lengths(name: str) -> bool:
    """Whether task `name` draws its sources' lengths from min_length..max_length (dates have their own)."""
    return name != "dates"


def task_spec(name: str, min_length: int, max_length: int, delay: int) -> TaskSpec:
    """The TaskSpec of task `name` with only the settings it uses; the others at TaskSpec's defaults
    (dates have their own lengths, only copy-delay has a delay), so a setting that does nothing to a
    task does not make its models, shipped ones included, a different configuration."""
    default = TaskSpec()
    if not uses_lengths(name):
        min_length, max_length = default.min_length, default.max_length
    return TaskSpec(name, min_length, max_length, delay if name == "copy-delay" else default.delay)


@dataclass(frozen=True)
class Vocabulary:
    """Token ids ↔ characters: ids 0–2 are the specials, then one id per character."""

    chars: str

    @property
    def size(self) -> int:
        return len(SPECIALS) + len(self.chars)

    @property
    def tokens(self) -> tuple[str, ...]:
        return SPECIALS + tuple(self.chars)

    def encode(self, text: str) -> list[int]:
        return [len(SPECIALS) + self.chars.index(c) for c in text]

    def decode(self, ids) -> str:
        """Characters of `ids` up to the first </s>; <pad> and <s> are skipped."""
        out = []
        for i in ids:
            i = int(i)
            if i == EOS:
                break
            if i >= len(SPECIALS):
                out.append(self.chars[i - len(SPECIALS)])
        return "".join(out)


def _date_chars() -> str:
    letters = sorted(set("".join(MONTHS)))
    return DIGITS + " ,-" + "".join(letters)


def source_alphabet(name: str) -> str:
    """The characters a source string of task `name` may contain."""
    return _date_chars().replace("-", "") if name == "dates" else DIGITS


def vocabulary(name: str) -> Vocabulary:
    """The shared source/target vocabulary of task `name`."""
    if name == "dates":
        return Vocabulary(_date_chars())
    return Vocabulary(DIGITS + BLANK if name == "copy-delay" else DIGITS)


def parse_date(text: str) -> dt.date:
    """The date written as "23 Nov 2026" or "November 23, 2026"; ValueError names both formats."""
    short, long = _SHORT_FORMAT.fullmatch(text), _LONG_FORMAT.fullmatch(text)
    abbreviations = [m[:3] for m in MONTHS]
    try:
        if short and short.group(2) in abbreviations:
            return dt.date(int(short.group(3)), abbreviations.index(short.group(2)) + 1, int(short.group(1)))
        if long and long.group(1) in MONTHS:
            return dt.date(int(long.group(3)), MONTHS.index(long.group(1)) + 1, int(long.group(2)))
    except ValueError as error:
        raise ValueError(f"{text!r} is not a real date: {error}") from None
    raise ValueError(f"a date must be written like '23 Nov 2026' or 'November 23, 2026'; got {text!r}")


def format_date(date: dt.date, long: bool) -> str:
    month = MONTHS[date.month - 1]
    return f"{month} {date.day}, {date.year}" if long else f"{date.day} {month[:3]} {date.year}"


def target_for(spec: TaskSpec, source: str) -> str:
    """The exact answer y for source x under `spec`."""
    if spec.name == "reverse":
        return source[::-1]
    if spec.name == "sort":
        return "".join(sorted(source))
    if spec.name == "copy-delay":
        return BLANK * spec.delay + source
    return parse_date(source).isoformat()


def check_source(spec: TaskSpec, source: str) -> str:
    """Return `source` if the task's model can read it; ValueError naming the bad characters otherwise."""
    alphabet = source_alphabet(spec.name)
    bad = sorted(set(c for c in source if c not in alphabet))
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        raise ValueError(f"characters {shown} are not in the {spec.name} task's vocabulary; "
                         f"accepted characters: {alphabet!r}")
    if not MIN_LENGTH <= len(source) <= MAX_LENGTH:
        raise ValueError(f"the input must have {MIN_LENGTH} to {MAX_LENGTH} characters; got {len(source)}")
    if spec.name == "dates":
        parse_date(source)
    return source


def sample_sources(spec: TaskSpec, n: int, rng: random.Random) -> list[str]:
    """`n` random source strings; digit tasks draw each length uniformly from the spec's range."""
    if spec.name == "dates":
        span = LAST_DATE.toordinal() - FIRST_DATE.toordinal()
        return [format_date(dt.date.fromordinal(FIRST_DATE.toordinal() + rng.randint(0, span)), rng.random() < 0.5)
                for _ in range(n)]
    return ["".join(rng.choices(DIGITS, k=rng.randint(spec.min_length, spec.max_length))) for _ in range(n)]


@dataclass(frozen=True)
class Batch:
    """Padded tensors for a list of (source, target) pairs.

    src (B, S) source ids, src_lengths (B,), tgt_in (B, T) <s> + target ids (decoder inputs),
    tgt_out (B, T) target ids + </s> (what each decoder step must emit); padding is PAD.
    """

    sources: tuple[str, ...]
    targets: tuple[str, ...]
    src: torch.Tensor
    src_lengths: torch.Tensor
    tgt_in: torch.Tensor
    tgt_out: torch.Tensor


def _pad(rows: list[list[int]]) -> torch.Tensor:
    out = torch.full((len(rows), max(len(r) for r in rows)), PAD, dtype=torch.long)
    for b, row in enumerate(rows):
        out[b, :len(row)] = torch.tensor(row, dtype=torch.long)
    return out


def make_batch(spec: TaskSpec, sources: list[str], device: str | torch.device = "cpu") -> Batch:
    """Encode `sources` and their exact targets into a padded Batch on `device`."""
    vocab = vocabulary(spec.name)
    targets = [target_for(spec, s) for s in sources]
    src = [vocab.encode(s) for s in sources]
    tgt = [vocab.encode(t) for t in targets]
    return Batch(
        tuple(sources), tuple(targets),
        _pad(src).to(device), torch.tensor([len(s) for s in src]).to(device),
        _pad([[SOS] + t for t in tgt]).to(device), _pad([t + [EOS] for t in tgt]).to(device),
    )


def random_batch(spec: TaskSpec, n: int, rng: random.Random, device: str | torch.device = "cpu") -> Batch:
    return make_batch(spec, sample_sources(spec, n, rng), device)
