"""benchmarks.main_thread: splitting input → chart on the page's main thread, on hand-made trace events."""
import pytest

from benchmarks.main_thread import breakdown

PID, TID = 7, 1


def mark(ts, message, tid=TID):
    return dict(name="TimeStamp", ph="I", ts=ts, pid=PID, tid=tid, args=dict(data=dict(message=message)))


def event(name, ts, dur, tdur=None, tid=TID):
    e = dict(name=name, ph="X", ts=ts, dur=dur, pid=PID, tid=tid)
    if tdur is not None:
        e["tdur"] = tdur
    return e


def test_time_in_tasks_is_split_into_kinds_and_script_and_the_rest_is_idle():
    events = [
        mark(1_000, "seqviz-input"),
        event("ThreadControllerImpl::RunTask", 1_000, 20_000, tdur=15_000),  # 20 ms, 15 of them on CPU
        event("RunTask", 1_000, 20_000, tdur=15_000),                        # nested: counted once
        event("UpdateLayoutTree", 5_000, 3_000),
        event("MinorGC", 9_000, 1_000),
        event("ThreadControllerImpl::RunTask", 31_000, 10_000, tdur=10_000),  # after 10 ms idle
        event("Layout", 31_000, 2_000),
        event("Paint", 34_000, 1_000),
        mark(41_000, "seqviz-chart"),
        event("ThreadControllerImpl::RunTask", 41_000, 50_000, tdur=50_000),  # after the chart: left out
        event("Layout", 41_000, 40_000, tid=TID + 1),                          # another thread: left out
    ]
    [result] = breakdown(events)
    assert result.wall == pytest.approx(40)
    assert result.in_tasks == pytest.approx(30)
    assert result.idle == pytest.approx(10)
    assert result.cpu == pytest.approx(25)
    assert result.kinds == pytest.approx(dict(style=3, layout=2, paint=1, gc=1, script=23))


def test_a_task_cut_by_the_window_counts_only_inside_it_and_each_input_pairs_with_the_next_chart():
    events = [
        event("ThreadControllerImpl::RunTask", 0, 20_000, tdur=10_000),
        mark(10_000, "seqviz-input"), mark(30_000, "seqviz-chart"),
        mark(40_000, "seqviz-input"), mark(45_000, "seqviz-input"), mark(50_000, "seqviz-chart"),
        mark(60_000, "seqviz-chart"),  # no input before it since the last chart: ignored
    ]
    first, second = breakdown(events)
    assert (first.wall, first.in_tasks, first.cpu, first.idle) == pytest.approx((20, 10, 5, 10))
    assert (second.wall, second.in_tasks, second.idle) == pytest.approx((5, 0, 5))  # from the later input


def test_a_trace_without_marks_has_nothing_to_report():
    assert breakdown([event("ThreadControllerImpl::RunTask", 0, 1_000)]) == []
