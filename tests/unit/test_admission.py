"""The server-wide admission: slots in arrival order, memory charged against a shared budget."""
import threading

import pytest

from seqviz.core import admission, budget
from seqviz.core.admission import Admission, ServerBusy


def test_slots_are_given_in_arrival_order_and_each_waiting_ticket_knows_how_many_are_ahead():
    gate = Admission(slots=1, budget_bytes=100)
    first, second, third = gate.ticket(), gate.ticket(), gate.ticket()
    assert (first.admitted, second.admitted, third.admitted) == (True, False, False)
    assert (first.ahead(), second.ahead(), third.ahead()) == (0, 1, 2)
    assert not second.wait(timeout=0)
    first.release()
    assert second.admitted and not third.admitted and third.ahead() == 1
    third.release()  # a waiting ticket given up leaves the queue
    second.release()
    assert gate.running() == 0


def test_a_waiting_ticket_is_admitted_when_another_thread_releases_a_slot():
    gate = Admission(slots=1, budget_bytes=100)
    first, second = gate.ticket(), gate.ticket()
    releaser = threading.Thread(target=first.release)
    releaser.start()
    assert second.wait(timeout=30)
    releaser.join()


def test_memory_is_charged_against_the_shared_budget_and_a_lone_computation_may_exceed_it():
    gate = Admission(slots=2, budget_bytes=100)
    first, second = gate.ticket(), gate.ticket()
    first.charge(80, timeout=0)
    with pytest.raises(ServerBusy, match="the server.s other computations hold about"):
        second.charge(50, timeout=0)  # 80 + 50 > 100
    second.charge(20, timeout=0)  # fits beside the first
    first.release()
    second.charge(100, timeout=0)
    second.release()
    alone = gate.ticket()
    alone.charge(500, timeout=0)  # nothing else runs: the per-request budget (check_budget) bounds it


def test_check_budget_charges_the_current_ticket_and_refuses_with_a_budget_error():
    gate = Admission(slots=2, budget_bytes=1000)
    busy, mine = gate.ticket(), gate.ticket()
    busy.charge(900, timeout=0)
    with admission.holding(mine):
        budget.check_budget(50, "a small trace", "length", budget_bytes=10**6)
        assert mine.charged == 50
        with pytest.raises(budget.BudgetError, match="^a big trace: the server's other computations"):
            budget.CHARGE_WAIT_S, saved = 0.0, budget.CHARGE_WAIT_S
            try:
                budget.check_budget(500, "a big trace", "length", budget_bytes=10**6)
            finally:
                budget.CHARGE_WAIT_S = saved
    assert admission.current() is None


def test_an_admission_needs_a_slot_and_a_budget():
    with pytest.raises(ValueError):
        Admission(slots=0, budget_bytes=1)
