"""Argument checks every backend entry point shares, so that bad input fails early with a message
that names the argument and what it accepts (a page shows the message as it is)."""
from __future__ import annotations


def check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    """ValueError naming the choices unless `value` is one of them."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}; got {value!r}")


def check_positive(name: str, value: int) -> None:
    """ValueError unless `value` is a positive int (a bool is refused, though Python counts it as one)."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive integer; got {value!r}")
