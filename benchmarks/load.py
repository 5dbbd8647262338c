"""Many visitors at once: 1, 10 and 30 concurrent sessions on one server, each changing a page's
main control; latency percentiles, the ratio to a single session, and the server's memory.

Each visitor is a protocol-level client: it speaks Streamlit's own websocket protocol (the
BackMsg/ForwardMsg protobufs the browser sends and receives) on loopback, so the numbers measure
the server, not 30 browsers fighting for the same CPU. A visitor opens the page at its default
settings, then changes the main control `--changes` times, pausing up to `--think` seconds
between changes. Latency is request sent → `script_finished` received (the whole rerun, every
chart included; for a control drawn by a fragment, the fragment's rerun, which is what a browser asks
for). Inside the cell's step scrubber draws each step in the browser itself: its change is the step
reported back, and the rerun timed here is what follows it (the URL and the download catch up). Within a level every visitor asks for the same sequence of values, as a class
following the teacher would; each level uses values no earlier level asked for, so the cache
starts cold for each value and identical requests from different visitors share one computation.

    python -m benchmarks.load [--sessions 10 30] [--changes 5] [--page url-path] [--fixture] [--replicas 3]

With --replicas N the visitors reach N app processes through nginx (harness/replicas.py), each with its own
affinity cookie, as a class behind one address would; memory is the replicas' together.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.NumberInput_pb2 import NumberInput as NumberInputProto

from harness import browser as driver
from harness.replicas import Replicas
from seqviz.ui.registry import PageInfo, discover_pages

TIMEOUT_S = 300
MAIN_AREA = 0  # delta_path[0]: 0 is the main area, 1 the sidebar
DRIVABLE = ("slider", "number_input", "selectbox", "radio", "button_group", "checkbox")


@dataclass
class Widget:
    kind: str
    proto: object
    in_main: bool
    fragment_id: str  # "" unless drawn by a fragment: a change then reruns only that fragment, as in a browser
    data: dict | None = None  # a step scrubber's or instant view's data (seqviz.ui.components.scrubber, .instant): label, …


@dataclass
class Level:
    sessions: int
    load_ms: list[float] = field(default_factory=list)
    change_ms: list[float] = field(default_factory=list)
    peak_rss: int = 0


class Visitor:
    """One Streamlit session over the websocket, as the browser would drive it."""

    def __init__(self, url: str, page_name: str, visitor_id: str = "visitor"):
        self.url = url.replace("http://", "ws://") + "/_stcore/stream"
        self.cookie = f"seqviz_visitor={visitor_id}"  # behind nginx (harness/replicas.py): which replica serves
        self.page_name = page_name
        self.widgets: dict[str, Widget] = {}
        self.errors: list[str] = []  # exception messages the page showed
        self.socket = None

    async def __aenter__(self) -> Visitor:
        self.socket = await websockets.connect(self.url, subprotocols=["streamlit"], max_size=None,
                                               additional_headers={"Cookie": self.cookie})
        return self

    async def __aexit__(self, *exc) -> None:
        await self.socket.close()

    async def rerun(self, widget_state=None, fragment_id: str = "") -> float:
        """Ask for a script run (with one widget's new state; of one fragment if `fragment_id`); ms until
        the run has finished."""
        message = BackMsg()
        message.rerun_script.page_name = self.page_name
        message.rerun_script.fragment_id = fragment_id
        if widget_state is not None:
            message.rerun_script.widget_states.widgets.append(widget_state)
        start = time.perf_counter()
        await self.socket.send(message.SerializeToString())
        await asyncio.wait_for(self._until_finished(), TIMEOUT_S)
        return (time.perf_counter() - start) * 1e3

    async def _until_finished(self) -> None:
        while True:
            message = ForwardMsg()
            message.ParseFromString(await self.socket.recv())
            kind = message.WhichOneof("type")
            if kind == "script_finished":
                return
            if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                self._remember_widget(message)
                if message.delta.new_element.WhichOneof("type") == "exception":
                    self.errors.append(message.delta.new_element.exception.message)

    async def control(self, label: str, attempts: int = 3) -> Widget:
        """The widget labelled `label`, rerunning the page if a run ended before drawing it."""
        for _ in range(attempts):
            if label in self.widgets:
                return self.widgets[label]
            await self.rerun()
        raise RuntimeError(f"{label!r} never appeared in {attempts} runs; widgets seen: {sorted(self.widgets)}; "
                           f"page errors: {self.errors or 'none'}")

    def _remember_widget(self, message) -> None:
        element = message.delta.new_element
        kind = element.WhichOneof("type")
        in_main = message.metadata.delta_path[0] == MAIN_AREA
        if kind in DRIVABLE:
            proto = getattr(element, kind)
            self.widgets[proto.label] = Widget(kind, proto, in_main, message.delta.fragment_id)
        elif kind == "bidi_component" and element.bidi_component.WhichOneof("data") == "json":
            data = json.loads(element.bidi_component.json)
            kind = "scrubber" if "steps" in data else "instant" if "control" in data else None
            if "label" in data and kind:  # a step scrubber or an instant view (sent whole the first time)
                self.widgets[data["label"]] = Widget(kind, element.bidi_component, in_main,
                                                     message.delta.fragment_id, data)


def main_control(widgets: dict[str, Widget], info: PageInfo | None) -> str:
    if info and info.main_control:
        return info.main_control
    main = [label for label, w in widgets.items() if w.in_main] or list(widgets)
    if not main:
        raise SystemExit("the page has no widget to change")
    return main[0]


def choices(widget: Widget) -> list:
    """The control's valid values other than its default, in order."""
    proto = widget.proto
    if widget.kind == "scrubber":
        return [t for t in range(widget.data["steps"]) if t != widget.data["t"]]
    if widget.kind == "instant":  # seqviz.ui.components.instant: a choice's option texts, or a number's grid
        control, shown = widget.data["control"], widget.data["value"]
        if control["kind"] == "choice":
            return [text for text, _ in control["options"] if text != shown]
        return [v for v in range(control["min"], control["max"] + 1, control["step"]) if v != shown]
    if widget.kind == "slider":
        count = int(round((proto.max - proto.min) / proto.step)) + 1
        values = [proto.min + k * proto.step for k in range(count)]
        return [v for v in values if v != proto.default[0]]
    if widget.kind == "number_input":
        low = proto.min if proto.has_min else proto.default - 1000 * proto.step
        count = int(round(((proto.max if proto.has_max else proto.default + 1000 * proto.step) - low) / proto.step)) + 1
        return [low + k * proto.step for k in range(count) if low + k * proto.step != proto.default]
    if widget.kind in ("selectbox", "radio"):
        return [o for i, o in enumerate(proto.options) if i != proto.default]
    if widget.kind == "button_group":  # st.segmented_control / st.pills: options carry their text in `content`
        return [o.content for i, o in enumerate(proto.options) if i not in proto.default]
    return [not proto.default]


def widget_state(widget: Widget, value):
    message = BackMsg().rerun_script.widget_states.widgets.add()
    message.id = widget.proto.id
    if widget.kind == "scrubber":  # the state its script reports, as the browser's setStateValue sends it
        message.json_value = json.dumps({"t": {"t": value, "seq": widget.data.get("seq")}})  # seqviz/ui/components/sync.py
    elif widget.kind == "instant":
        message.json_value = json.dumps({"pick": {"value": value, "seq": widget.data.get("seq")}})
    elif widget.kind == "slider":
        message.double_array_value.data.append(value)
    elif widget.kind == "number_input":
        if widget.proto.data_type == NumberInputProto.INT:
            message.int_value = int(value)
        else:
            message.double_value = value
    elif widget.kind in ("selectbox", "radio"):
        message.string_value = value
    elif widget.kind == "button_group":
        message.string_array_value.data.append(value)
    else:
        message.bool_value = value
    return message


async def visit(url: str, page_name: str, label: str, values: list, think_s: float, level: Level, seed: int):
    pause = random.Random(seed)
    async with Visitor(url, page_name, f"visitor-{level.sessions}-{seed}") as visitor:
        level.load_ms.append(await visitor.rerun())
        widget = await visitor.control(label)
        for value in values:
            await asyncio.sleep(pause.uniform(0, think_s))
            level.change_ms.append(await visitor.rerun(widget_state(widget, value), widget.fragment_id))


async def sample_rss(server, level: Level, stop: asyncio.Event) -> None:
    while not stop.is_set():
        level.peak_rss = max(level.peak_rss, server.rss_bytes())
        await asyncio.sleep(0.1)


async def run_level(server, page_name, label, values, args, sessions: int) -> Level:
    level = Level(sessions)
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_rss(server, level, stop))
    await asyncio.gather(*(visit(server.url, page_name, label, values, args.think, level, seed=i)
                           for i in range(sessions)))
    stop.set()
    await sampler
    return level


async def probe(server, page_name: str, info: PageInfo | None) -> tuple[str, list]:
    async with Visitor(server.url, page_name) as visitor:
        await visitor.rerun()
        label = main_control(visitor.widgets, info)
        return label, choices(await visitor.control(label))


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def report(levels: list[Level], idle_rss: int, page: str, label: str, replicas: int = 0) -> None:
    base = levels[0]
    serving = f"{replicas} replicas behind nginx" if replicas else "one server"
    print(f"page {page!r}, main control {label!r}, {serving}; RSS when idle {idle_rss / 2**20:.0f} MB")
    print(f"{'sessions':>8}{'load median ms':>16}{'change median ms':>18}{'p90 ms':>9}"
          f"{'median ÷ 1':>12}{'p90 ÷ 1':>9}{'peak RSS MB':>13}")
    for level in levels:
        median, high = statistics.median(level.change_ms), p90(level.change_ms)
        print(f"{level.sessions:>8}{statistics.median(level.load_ms):>16.0f}{median:>18.0f}{high:>9.0f}"
              f"{median / statistics.median(base.change_ms):>11.2f}x{high / p90(base.change_ms):>8.2f}x"
              f"{level.peak_rss / 2**20:>13.0f}")


async def benchmark(args) -> None:
    pages = discover_pages() + (discover_pages(driver.FIXTURE_PAGES) if args.fixture else [])
    info = next((p for p in pages if not args.page or p.url_path == args.page), None)
    if args.page and info is None:
        raise SystemExit(f"--page must be one of {', '.join(p.url_path for p in pages)}; got {args.page!r}")
    page_name = info.url_path if info else ""
    serving = Replicas(args.replicas) if args.replicas else \
        driver.StreamlitServer(extra_pages=args.fixture, log_path=args.server_log)
    with serving as server:
        label, values = await probe(server, page_name, info)
        idle_rss = server.rss_bytes()
        levels = []
        for number, sessions in enumerate([1] + args.sessions):
            fresh = values[number * args.changes:(number + 1) * args.changes] or values[-args.changes:]
            levels.append(await run_level(server, page_name, label, fresh, args, sessions))
    report(levels, idle_rss, info.title if info else "Home", label, args.replicas)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[10, 30], help="concurrent visitors per level")
    parser.add_argument("--changes", type=int, default=5, help="main-control changes per visitor (≥ 2)")
    parser.add_argument("--think", type=float, default=0.5, help="max pause between a visitor's changes (s)")
    parser.add_argument("--page", help="url path of the page (default: the first page, else Home)")
    parser.add_argument("--fixture", action="store_true", help="add the test-only fixture page")
    parser.add_argument("--replicas", type=int, default=0, help="serve through nginx with this many replicas "
                                                                 "(harness/replicas.py; 0: one server, no nginx)")
    parser.add_argument("--server-log", type=Path, help="write the app server's output here (page errors are "
                                                         "redacted for visitors; the log has the traceback)")
    args = parser.parse_args()
    if args.changes < 2 or not all(1 <= n <= 300 for n in args.sessions):
        parser.error("--changes must be ≥ 2 and each --sessions between 1 and 300")
    if args.replicas and args.fixture:
        parser.error("--fixture serves the test-only page from one server: leave out --replicas")
    asyncio.run(benchmark(args))


if __name__ == "__main__":
    main()
