"""Memory estimates checked before big work, so a request too large is refused with advice."""
from __future__ import annotations

import torch

from seqviz.core import admission

DEFAULT_BUDGET_BYTES = 2 * 1024**3
CHARGE_WAIT_S = 10.0  # how long work admitted to run waits for the server's memory before it is refused


class BudgetError(ValueError):
    """Work whose memory estimate exceeds the budget; the message says what to reduce."""


def check_budget(estimated_bytes: float, what: str, reduce: str, budget_bytes: float = DEFAULT_BUDGET_BYTES,
                 device: str | torch.device = "cpu") -> None:
    """Raise BudgetError when `estimated_bytes` exceeds `budget_bytes`, or on a GPU its free memory; under
    the server-wide admission (seqviz.core.admission), also when it does not fit beside the server's other
    running work within CHARGE_WAIT_S.

    Args:
        estimated_bytes: the estimate for the work about to start.
        what: the work, e.g. "a trace of T=5000, H=256, 3 layers".
        reduce: which settings to lower, e.g. "sequence length or hidden size".
        device: where the work runs; on CUDA the memory free on that GPU bounds it too.
    """
    if estimated_bytes > budget_bytes:
        raise BudgetError(
            f"{what} needs about {_mb(estimated_bytes)}, over this app's budget of {_mb(budget_bytes)}; "
            f"reduce the {reduce}."
        )
    memory = gpu_memory(device)
    if memory is not None and estimated_bytes > memory[0]:
        raise BudgetError(
            f"{what} needs about {_mb(estimated_bytes)} of GPU memory, but only {_mb(memory[0])} of the GPU's "
            f"{_mb(memory[1])} are free now; reduce the {reduce}, or choose the CPU in the sidebar."
        )
    ticket = admission.current()
    if ticket is not None:  # work a page runs under the server-wide admission (seqviz.ui.heavy)
        try:
            ticket.charge(estimated_bytes, CHARGE_WAIT_S)
        except admission.ServerBusy as busy:
            raise BudgetError(f"{what}: {busy}") from None


def gpu_memory(device: str | torch.device) -> tuple[int, int] | None:
    """(available, total) bytes on a CUDA device, None elsewhere.

    Available counts the memory free on the card and what PyTorch's caching allocator holds unused.
    """
    device = torch.device(device)
    if device.type != "cuda" or not torch.cuda.is_available():
        return None
    free, total = torch.cuda.mem_get_info(device)
    return free + torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device), total


def _mb(n: float) -> str:
    return f"{n / 1024**2:,.0f} MB"


# Peak bytes of a trace (seqviz.core.tracing.trace) per unit and step, for one layer, one direction and one
# sequence, by (gate blocks, bytes per number): measured as the rise of the process's resident set with
# harness/memory.py at a few sizes and rounded up (tests/unit/test_memory_estimates.py measures them again).
# The old count, (6 + 4·gate blocks) numbers, undercounted by about half.
TRACE_BYTES_PER_UNIT_STEP = {(4, 8): 470, (4, 4): 200, (3, 8): 420, (3, 4): 280, (1, 8): 180, (1, 4): 128}
BATCHED_SHARE = 0.85  # per sequence of a batch, of one sequence's bytes: the weights and fixed parts are shared


def trace_bytes(steps: int, hidden_size: int, num_layers: int = 1, num_directions: int = 1,
                gate_blocks: int = 4, batch: int = 1, itemsize: int = 4) -> int:
    """Peak memory of `seqviz.trace` on `batch` sequences of `steps` steps (float32: itemsize 4; float64: 8)."""
    per_sequence = TRACE_BYTES_PER_UNIT_STEP[(gate_blocks, itemsize)] * (1.0 if batch == 1 else BATCHED_SHARE)
    return int(steps * num_layers * num_directions * hidden_size * batch * per_sequence)
