"""Where an interaction's time goes on the page's main thread, from a Chromium performance trace.

benchmarks/latency.py (with --trace) records Chromium's trace while it changes a control; the
browser-test driver leaves two console.timeStamp marks in it (harness/browser.py TRACE_MARKS):
the input event and the frame that showed the updated chart. Between them, the renderer's main
thread (the one holding the marks) is either

  idle        waiting with no task to run: for the server's messages, a timer or the next frame;
  in tasks    running a task, of which `cpu` on a CPU core (the rest: descheduled, i.e. the machine's
              other processes held the cores);

and the time in tasks splits into style (UpdateLayoutTree), layout, paint (PrePaint, Paint,
Layerize), garbage collection and script and the rest. A page whose extra time over the trivial
page is idle is waiting for the server; one whose extra time is script renders more per message.

Trace events (Chromium's JSON trace format): complete events `ph == "X"` with `ts` and `dur` in µs
and, for tasks, `tdur` (thread time, µs); instant events for the marks.
"""
from __future__ import annotations

from dataclasses import dataclass

from harness.browser import TRACE_MARKS

TRACE_CATEGORIES = ("devtools.timeline", "disabled-by-default-devtools.timeline", "toplevel")
TASKS = ("ThreadControllerImpl::RunTask", "RunTask")  # a main-thread task, as Chromium names it
KINDS = {"style": ("UpdateLayoutTree",), "layout": ("Layout",), "paint": ("PrePaint", "Paint", "Layerize"),
         "gc": ("MinorGC", "MajorGC")}


@dataclass(frozen=True)
class MainThread:
    """One interaction, input event → updated chart on screen, in ms on the page's main thread."""
    wall: float
    idle: float
    in_tasks: float
    cpu: float
    kinds: dict[str, float]  # KINDS' names and "script": the time in tasks that is none of KINDS


def _mark(event: dict) -> str | None:
    if event.get("name") != "TimeStamp":
        return None
    return (event.get("args", {}).get("data") or {}).get("message")


def _overlap(event: dict, start: float, end: float) -> float:
    return max(0.0, min(event["ts"] + event["dur"], end) - max(event["ts"], start))


def _outermost(events: list[dict]) -> list[dict]:
    """The tasks not nested in another (Chromium nests a RunTask inside its ThreadControllerImpl one)."""
    outer, end = [], float("-inf")
    for event in sorted(events, key=lambda e: (e["ts"], -e["dur"])):
        if event["ts"] >= end:
            outer.append(event)
            end = event["ts"] + event["dur"]
    return outer


def breakdown(events: list[dict], marks: tuple[str, str] = TRACE_MARKS) -> list[MainThread]:
    """One MainThread per input mark that a chart mark follows, in trace order."""
    stamps = sorted((e for e in events if _mark(e) in marks), key=lambda e: e["ts"])
    if not stamps:
        return []
    thread = (stamps[0]["pid"], stamps[0]["tid"])
    on_thread = [e for e in events if (e.get("pid"), e.get("tid")) == thread and e.get("ph") == "X" and "dur" in e]
    tasks = _outermost([e for e in on_thread if e["name"] in TASKS])
    results, start = [], None
    for stamp in stamps:
        if _mark(stamp) == marks[0]:
            start = stamp["ts"]
        elif start is not None:
            results.append(_between(on_thread, tasks, start, stamp["ts"]))
            start = None
    return results


def _between(on_thread: list[dict], tasks: list[dict], start: float, end: float) -> MainThread:
    in_tasks = sum(_overlap(t, start, end) for t in tasks)
    cpu = sum(t.get("tdur", t["dur"]) * _overlap(t, start, end) / t["dur"] for t in tasks if t["dur"] > 0)
    kinds = {kind: sum(_overlap(e, start, end) for e in on_thread if e["name"] in names) for kind, names in KINDS.items()}
    kinds["script"] = max(0.0, in_tasks - sum(kinds.values()))
    ms = 1e-3
    return MainThread(wall=(end - start) * ms, idle=max(0.0, end - start - in_tasks) * ms, in_tasks=in_tasks * ms,
                      cpu=min(cpu, in_tasks) * ms, kinds={k: v * ms for k, v in kinds.items()})
