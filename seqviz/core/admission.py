"""A server-wide bound on heavy work: at most `slots` computations run at once, their memory estimates
(reported through seqviz.core.budget.check_budget) together stay within `budget_bytes`, and the rest
wait in arrival order. The per-request budget bounds one computation; this bounds the sum, so a class
opening the same heavy view at once queues instead of exhausting the machine's memory.

Pure threading, no Streamlit: seqviz.ui.heavy shows a waiting visitor the queue and a Stop button.
"""
from __future__ import annotations

import os
import threading
from collections import deque
from dataclasses import dataclass

SLOTS = int(os.environ.get("SEQVIZ_HEAVY_SLOTS", str(max(1, os.cpu_count() or 1))))
SERVER_BUDGET_BYTES = int(float(os.environ.get("SEQVIZ_SERVER_BUDGET_GB", "8")) * 1024**3)
_local = threading.local()


class ServerBusy(RuntimeError):
    """The work's memory would not fit beside what is running, within the time allowed to wait."""


@dataclass(eq=False)
class Ticket:
    """One computation's place: queued, then running (admitted) with its charged bytes, then released."""

    admission: Admission
    charged: int = 0
    admitted: bool = False
    released: bool = False

    def ahead(self) -> int:
        """How many computations run or wait before this one."""
        return self.admission.ahead_of(self)

    def wait(self, timeout: float | None = None) -> bool:
        """Block up to `timeout` seconds for a slot; True once admitted."""
        return self.admission.wait_for_slot(self, timeout)

    def charge(self, estimated_bytes: int, timeout: float) -> None:
        """Count `estimated_bytes` against the server budget, waiting up to `timeout` s for room."""
        self.admission.charge(self, int(estimated_bytes), timeout)

    def release(self) -> None:
        self.admission.release(self)


class Admission:
    """The queue and the running set of one server (one process)."""

    def __init__(self, slots: int = SLOTS, budget_bytes: int = SERVER_BUDGET_BYTES):
        if slots < 1 or budget_bytes <= 0:
            raise ValueError(f"slots must be ≥ 1 and the budget positive; got {slots}, {budget_bytes}")
        self.slots, self.budget_bytes = slots, budget_bytes
        self._changed = threading.Condition()
        self._waiting: deque[Ticket] = deque()
        self._running: list[Ticket] = []

    def ticket(self) -> Ticket:
        """A new place at the end of the queue (admitted at once when a slot is free and nobody waits)."""
        ticket = Ticket(self)
        with self._changed:
            self._waiting.append(ticket)
            self._admit()
        return ticket

    def ahead_of(self, ticket: Ticket) -> int:
        with self._changed:
            if ticket.admitted or ticket.released:
                return 0
            return len(self._running) + list(self._waiting).index(ticket)

    def wait_for_slot(self, ticket: Ticket, timeout: float | None) -> bool:
        with self._changed:
            self._changed.wait_for(lambda: ticket.admitted, timeout)
            return ticket.admitted

    def charge(self, ticket: Ticket, estimated_bytes: int, timeout: float) -> None:
        def fits() -> bool:
            others = sum(t.charged for t in self._running if t is not ticket)
            return others + estimated_bytes <= self.budget_bytes or others == 0

        with self._changed:
            if not self._changed.wait_for(fits, timeout):
                used = sum(t.charged for t in self._running if t is not ticket)
                raise ServerBusy(f"the server's other computations hold about {used / 1024**2:,.0f} MB of its "
                                 f"{self.budget_bytes / 1024**2:,.0f} MB budget and this one needs about "
                                 f"{estimated_bytes / 1024**2:,.0f} MB: try again in a moment, or lower the settings")
            ticket.charged = max(ticket.charged, estimated_bytes)

    def release(self, ticket: Ticket) -> None:
        with self._changed:
            if ticket.released:
                return
            ticket.released = True
            if ticket in self._running:
                self._running.remove(ticket)
            elif ticket in self._waiting:
                self._waiting.remove(ticket)
            self._admit()
            self._changed.notify_all()

    def running(self) -> int:
        with self._changed:
            return len(self._running)

    def _admit(self) -> None:
        """Move waiting tickets to running, in order, while slots are free (the lock is held)."""
        while self._waiting and len(self._running) < self.slots:
            ticket = self._waiting.popleft()
            ticket.admitted = True
            self._running.append(ticket)
        self._changed.notify_all()


SERVER = Admission()


def current() -> Ticket | None:
    """The ticket of the computation this thread runs, if it runs one under admission."""
    return getattr(_local, "ticket", None)


class holding:
    """Context manager marking `ticket` as this thread's current one (nested calls reuse it)."""

    def __init__(self, ticket: Ticket):
        self.ticket, self._before = ticket, None

    def __enter__(self) -> Ticket:
        self._before = current()
        _local.ticket = self.ticket
        return self.ticket

    def __exit__(self, *exc) -> None:
        _local.ticket = self._before
