"""Memory estimates checked before big work, so a request too large is refused with advice."""
from __future__ import annotations

DEFAULT_BUDGET_BYTES = 2 * 1024**3


class BudgetError(ValueError):
    """Work whose memory estimate exceeds the budget; the message says what to reduce."""


def check_budget(estimated_bytes: float, what: str, reduce: str, budget_bytes: float = DEFAULT_BUDGET_BYTES) -> None:
    """Raise BudgetError when `estimated_bytes` exceeds `budget_bytes`.

    Args:
        estimated_bytes: the estimate for the work about to start.
        what: the work, e.g. "a trace of T=5000, H=256, 3 layers".
        reduce: which settings to lower, e.g. "sequence length or hidden size".
    """
    if estimated_bytes > budget_bytes:
        raise BudgetError(
            f"{what} needs about {estimated_bytes / 1024**2:,.0f} MB, over this app's budget of "
            f"{budget_bytes / 1024**2:,.0f} MB; reduce the {reduce}."
        )


def trace_bytes(steps: int, hidden_size: int, num_layers: int = 1, num_directions: int = 1,
                gate_blocks: int = 4, batch: int = 1, itemsize: int = 4) -> int:
    """Rough peak memory of `seqviz.trace`: states, gates, pre-projected inputs and their gradients."""
    per_step = batch * num_layers * num_directions * hidden_size * (6 + 4 * gate_blocks)
    return steps * per_step * itemsize
