"""Drive the real app in Chromium: start a Streamlit server, open pages, change controls, read charts.

Shared by the browser tests, benchmarks/latency.py, benchmarks/load.py and scripts/screenshot.py,
so they all start the app, wait for it and change a page's main control the same way.

Waiting follows Streamlit's own end-to-end tests: the app root `[data-testid='stApp']` carries
`data-test-connection-state` (CONNECTED once the websocket is up) and `data-test-script-state`
(notRunning once a script run has finished and its elements are on the page).
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from seqviz.ui.registry import EXTRA_PAGES_ENV

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_PAGES = ROOT / "tests" / "fixtures" / "pages"
CHROMIUM = os.environ.get("SEQVIZ_CHROMIUM", "/usr/bin/chromium")  # Debian's package
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
APP_CONNECTED = "[data-testid='stApp'][data-test-connection-state='CONNECTED']"
APP_IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
EXCEPTION = "[data-testid='stException']"
MAIN = "[data-testid='stMain']"
SIDEBAR = "[data-testid='stSidebar']"
WIDGET_LABELS = "[data-testid='stWidgetLabel'], [data-testid='seqvizWidgetLabel']"  # Streamlit's, the scrubber's
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
# A deep link (/page-name) makes Streamlit's client probe /page-name/_stcore/… before the server
# root; those two 404s are part of how Streamlit finds its base path, not an app error.
_BASE_PATH_PROBE = re.compile(r"/[^/]+/_stcore/(health|host-config)$")

# Records when the first input event after `arm` happened (performance.now() time base),
# so latency is measured from the event the browser delivered, not from when Python sent it.
INPUT_CLOCK = f"const SCRIPT_FINISHED_FIELD = {ForwardMsg.DESCRIPTOR.fields_by_name['script_finished'].number};" + """
window.__seqvizArmed = false;
window.__seqvizInputAt = null;
for (const type of ["keydown", "pointerdown", "click"]) {
  document.addEventListener(type, (event) => {
    if (window.__seqvizArmed) {
      window.__seqvizInputAt = event.timeStamp; window.__seqvizArmed = false;
      console.timeStamp("seqviz-input");  // a mark in a Chromium trace (see TRACE_MARKS); a no-op otherwise
    }
  }, true);
}
// Script runs the server reported finished: each ForwardMsg on Streamlit's websocket is read down to
// its top-level fields, and one carrying script_finished (field SCRIPT_FINISHED_FIELD, an enum) counts.
window.__seqvizRunsFinished = 0;
const finishesARun = (bytes) => {
  let i = 0;
  const varint = () => {
    let value = 0, shift = 0, byte;
    do { byte = bytes[i++]; value += (byte & 0x7f) * 2 ** shift; shift += 7; } while (byte & 0x80);
    return value;
  };
  while (i < bytes.length) {
    const tag = varint(), field = Math.floor(tag / 8), wire = tag % 8;
    if (field === SCRIPT_FINISHED_FIELD && wire === 0) { return true; }
    if (wire === 0) { varint(); } else if (wire === 1) { i += 8; } else if (wire === 5) { i += 4; }
    else if (wire === 2) { const length = varint(); i += length; } else { return false; }  // not i += varint(): i is read first
  }
  return false;
};
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(...args) {
    super(...args);
    this.addEventListener("message", (event) => {
      if (event.data instanceof ArrayBuffer && finishesARun(new Uint8Array(event.data))) { window.__seqvizRunsFinished += 1; }
    });
  }
};
// Chromium's long animation frames (over 50 ms): [start, duration, longest script's duration and
// invoker], the last 32, so a benchmark can say how long the frame that showed a chart took.
window.__seqvizLongFrames = [];
try {
  new PerformanceObserver((list) => {
    for (const frame of list.getEntries()) {
      const longest = (frame.scripts || []).reduce((a, b) => (b.duration > a.duration ? b : a), {duration: 0});
      window.__seqvizLongFrames.push([frame.startTime, frame.duration, longest.duration, longest.invoker || ""]);
    }
    window.__seqvizLongFrames.splice(0, window.__seqvizLongFrames.length - 32);
  }).observe({type: "long-animation-frame", buffered: true});
} catch (error) {}  // a browser without the Long Animation Frames API: no frame breakdown
// seqviz's step scrubbers (seqviz/ui/components/scrubber/scrubber.js), charts drawn in the page itself: each one's
// data-signature names the data and the step it has drawn.
const SCRUBBERS = "[data-testid='stMain'] [data-testid='seqvizScrubber']";
// A fingerprint of every main-area chart's data and of its shapes' positions (a step marker is one):
// per trace, for x, y and z, a hash of a typed array's base64 text (how Plotly receives numpy
// arrays), or the length and up to 16 evenly spaced values of a plain array (of a few rows of a
// 2-D one). It is computed on every animation frame while a
// benchmark waits, so it must stay cheap: serialising whole charts would steal main-thread time
// from the page being measured, the more so the bigger its charts. Each array's part is kept per
// array object (a changed figure arrives as new objects), so an array is read once, not on every
// frame: reading them all each frame took 2.5 ms a frame on the state-space page.
const sample = (values, parts) => {
  const n = values.length;
  parts.push(n);
  for (let k = 0; k < Math.min(n, 16); k++) { parts.push(values[Math.floor(k * n / Math.min(n, 16))]); }
};
const arrayParts = new WeakMap();
const arrayPart = (values) => {
  if (arrayParts.has(values)) { return arrayParts.get(values); }
  const parts = [];
  if (typeof values.bdata === "string") {  // a typed array as Plotly sends it: hash the base64
    let hash = 0;
    for (let i = 0; i < values.bdata.length; i++) { hash = (hash * 31 + values.bdata.charCodeAt(i)) | 0; }
    parts.push(values.dtype, values.shape, values.bdata.length, hash);
  } else {
    const rows = values.length && values[0] !== null && typeof values[0] === "object" ? values : null;
    if (rows) { [0, rows.length >> 1, rows.length - 1].forEach((r) => sample(rows[r], parts)); }
    sample(values, parts);
  }
  const part = parts.map(String).join(",");
  arrayParts.set(values, part);
  return part;
};
window.__seqvizChartSignature = () => {
  const plots = Array.from(document.querySelectorAll("[data-testid='stMain'] .js-plotly-plot"));
  const parts = [plots.length];
  for (const g of plots) {
    for (const trace of g.data || []) {
      for (const key of ["x", "y", "z"]) {
        const values = trace[key];
        const array = values && (typeof values.bdata === "string" || typeof values.length === "number");
        parts.push(array ? arrayPart(values) : key);
      }
    }
    for (const shape of (g.layout && g.layout.shapes) || []) { parts.push(shape.x0, shape.x1); }  // a step marker
    parts.push("|");
  }
  for (const scrubber of document.querySelectorAll(SCRUBBERS)) { parts.push(scrubber.dataset.signature, "|"); }
  return parts.map(String).join(",");
};
// True when every main-area component is built and every chart box holds a plot that Plotly has
// finished drawing: none missing (Streamlit replaces a changed chart's node, so for a moment the box is
// empty or the new plot is still being drawn) and none mid-draw (Plotly sets _fullLayout._replotting back to false when a
// plot's last layer is drawn).
window.__seqvizChartsDrawn = () => {
  const main = document.querySelector("[data-testid='stMain']");
  // Streamlit's chart boxes and the instant views' (seqviz/ui/components/instant/instant.js; hidden: a control alone)
  const boxes = main.querySelectorAll("[data-testid='stPlotlyChart'], [data-testid='seqvizInstantChart']:not([hidden])").length;
  const plots = Array.from(main.querySelectorAll(".js-plotly-plot"));
  const scrubbers = Array.from(document.querySelectorAll(SCRUBBERS));
  // a component (scrubber, instant view, static chart) whose script has not built it yet holds neither
  const mounted = Array.from(main.querySelectorAll(".stBidiComponent")).every(
    (c) => c.querySelector(".seqviz-instant, [data-testid='seqvizScrubber']"));
  return mounted && boxes + scrubbers.length > 0 && plots.length === boxes && plots.every(
    (g) => g.data && g._fullLayout && g._fullLayout._replotting === false && g.querySelector("svg.main-svg"))
    && scrubbers.every((scrubber) => scrubber.dataset.signature);
};
"""

# Armed before the input event: on every animation frame, checks for the updated charts (their data
# differ from `before`, every chart is drawn, and there are as many as before, unless the run has
# finished with another number) and records in window.__seqvizChartWatch when the first frame that
# shows them began rendering (`chart`), and the first such frame at which, in addition, the script run
# the change started has finished (`done`: the whole page is up to date): the server has sent a
# script_finished message since the watch was armed and the page has taken it in (a step scrubber
# redraws its chart before the run its change asks for has even begun, and a fast run can start and
# end within one React commit, so the script state alone cannot tell). The time taken is
# performance.now() inside the frame's callback, which Chromium runs right before that frame's style, layout and paint. The
# callback's timestamp argument would not do: it is the frame's start, which precedes a long task run
# before the frame's rendering (here, Streamlit's React commit that mounts and draws the new chart),
# so it dated the chart up to that task's length (tens of ms) before it was drawn.
WATCH_FOR_NEW_CHART = """
(before) => {
  const watch = window.__seqvizChartWatch = {chart: null, done: null};
  const app = document.querySelector("[data-testid='stApp']");
  const count = Number(before.split(",")[0]);
  const finishedBefore = window.__seqvizRunsFinished;
  const check = () => {
    if (window.__seqvizChartWatch !== watch) { return; }  // a later change armed its own watch
    const now = performance.now();
    const finished = window.__seqvizRunsFinished > finishedBefore
      && app.getAttribute("data-test-script-state") === "notRunning";
    if (watch.chart === null && window.__seqvizChartSignature() !== before && window.__seqvizChartsDrawn()
        && (finished || document.querySelectorAll("[data-testid='stMain'] .js-plotly-plot").length === count)) {
      watch.chart = now;
      console.timeStamp("seqviz-chart");
    }
    if (watch.chart !== null && finished) {
      watch.done = now;
    } else {
      requestAnimationFrame(check);
    }
  };
  requestAnimationFrame(check);
}
"""


# The console.timeStamp marks INPUT_CLOCK and WATCH_FOR_NEW_CHART leave in a Chromium trace, which
# date the input event and the frame that showed the updated chart on the trace's own clock.
TRACE_MARKS = ("seqviz-input", "seqviz-chart")

# Resolves with the long animation frame that drew the chart the watch saw at time `at`, as [duration,
# longest script's duration, its invoker], or with null if there was none (that frame was shorter than
# 50 ms). Chromium reports a long frame after it has ended, to observers some time later, so this waits
# up to 300 ms for the reports. The watch can see a chart one frame after the frame that drew it (Plotly
# marks a plot finished a task after drawing it), so two frames qualify: the one containing `at` and the
# one that ended at most 50 ms before that frame began (before `at` if it was short); of those, the
# longer, as mounting and drawing the chart is the heavy work, and under load both can be long.
LONG_FRAME_AT = """
(at) => new Promise((resolve) => {
  const start = performance.now();
  const look = () => {
    const frames = window.__seqvizLongFrames;
    const seen = frames.findLast(([begin, duration]) => begin <= at && at <= begin + duration);
    const from = seen ? seen[0] : at;
    const drew = frames.findLast(([begin, duration]) => begin + duration <= from && from - begin - duration <= 50);
    if (!seen && performance.now() - start <= 300) { setTimeout(look, 20); return; }
    const frame = [seen, drew].filter(Boolean).sort((a, b) => b[1] - a[1])[0];  // the longer
    resolve(frame ? frame.slice(1) : null);
  };
  look();
})
"""


def wait_healthy(url: str, process: subprocess.Popen, name: str, timeout: float, why_exited=lambda: "") -> None:
    """Wait until `url`/_stcore/health answers "ok"; raise if `process` (named `name`) exits first (with
    `why_exited()` in the message) or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with code {process.returncode} before it was healthy{why_exited()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{name} did not answer {url}/_stcore/health within {timeout} s")


def stop_process(process: subprocess.Popen, timeout: float = 10) -> None:
    """Ask `process` to end (SIGTERM); kill it if it has not within `timeout` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def chromium_available() -> bool:
    return Path(CHROMIUM).is_file()


# What follows `python -m` to start a script: seqviz's launcher (as `make run` does) or plain Streamlit.
LAUNCHERS = {"seqviz": ["seqviz.ui.serve"], "streamlit": ["streamlit", "run"]}


class StreamlitServer:
    """The app's launcher (as `make run` starts it) on a free loopback port, while the context is open."""

    def __init__(self, script: str = "app.py", extra_pages: bool = False, log_path: Path | None = None,
                 page_dirs: tuple[Path, ...] = (), launcher: str = "seqviz", warm: bool = False):
        """`extra_pages` adds the test-only fixture pages, `page_dirs` further page directories;
        `launcher` is a key of LAUNCHERS (plain `streamlit run` only to show what seqviz's avoids);
        `warm` runs every page before the server starts, as `make run` does (seqviz's launcher only)."""
        self.script = script
        self._command, self._warm = LAUNCHERS[launcher] + ["--warm"] * warm, warm
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        extra = ((FIXTURE_PAGES,) if extra_pages else ()) + tuple(page_dirs)
        self._env = dict(os.environ, **({EXTRA_PAGES_ENV: os.pathsep.join(map(str, extra))} if extra else {}))
        self._log_path = log_path
        self._log = None
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> StreamlitServer:
        self._log = open(self._log_path, "w") if self._log_path else None
        self.process = subprocess.Popen(
            [sys.executable, "-m", *self._command, self.script, "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none",
             "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=self._env, stdout=self._log or subprocess.DEVNULL, stderr=subprocess.STDOUT)
        try:
            self._wait_healthy(timeout=180 if self._warm else 60)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        stop_process(self.process)
        if self._log:
            self._log.close()

    def _wait_healthy(self, timeout: float) -> None:
        wait_healthy(self.url, self.process, "streamlit", timeout)

    def rss_bytes(self) -> int:
        """Resident memory of the server process (VmRSS from /proc)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("VmRSS missing from /proc status")


# Everything but loopback goes to a proxy that does not exist, so it fails at once. Blocking it this way
# instead of routing each request through Playwright keeps Chromium's cache, which routing turns off.
LOOPBACK_ONLY = {"server": "http://127.0.0.1:9", "bypass": ",".join(LOOPBACK_HOSTS)}


def launch_chromium(playwright):
    """Debian's Chromium, headless, that can reach only loopback; Playwright never downloads a browser here."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, proxy=LOOPBACK_ONLY)


@contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            yield browser
        finally:
            browser.close()


def new_context(browser, viewport=(1280, 900)):
    """A fresh browser context (own cookies, own Streamlit session); like its browser it reaches only loopback."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    context.add_init_script(INPUT_CLOCK)
    return context


class ConsoleErrors:
    """Collects the page's console errors and uncaught exceptions, minus external and probe noise.

    Requests leaving the machine are blocked (see `launch_chromium`); their failures are not app errors
    (the app itself needs none: its favicon is a local file).
    """

    def __init__(self, page):
        self.errors: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def _on_console(self, message) -> None:
        if message.type != "error":
            return
        url = (message.location or {}).get("url", "")
        parsed = urlparse(url)
        if url and parsed.hostname not in LOOPBACK_HOSTS:
            return
        if "404" in message.text and _BASE_PATH_PROBE.search(parsed.path):
            return
        self.errors.append(f"{message.text} ({url})" if url else message.text)


def wait_for_app_run(page, timeout_ms: float = 60_000) -> None:
    """Wait until the websocket is connected, the script run has finished and nothing is stale.

    The script state goes initial → running → notRunning; the short pause first lets a run that
    an action has just requested start. Skeletons and stale elements mean output still arriving.
    """
    page.wait_for_timeout(150)
    page.wait_for_selector(APP_CONNECTED, state="attached", timeout=timeout_ms)
    page.wait_for_selector(APP_IDLE, state="attached", timeout=timeout_ms)
    page.wait_for_function(
        """() => !document.querySelector("[data-testid='stSkeleton'], [data-stale='true']")""",
        timeout=timeout_ms)


def open_page(page, url: str, timeout_ms: float = 60_000) -> None:
    page.goto(url)
    wait_for_app_run(page, timeout_ms)


def page_link(url_path: str, area: str = SIDEBAR) -> str:
    """CSS for the st.page_link to the page at `url_path` ("" for home), whatever query it carries."""
    link = f"{area} a[data-testid='stPageLink-NavLink']"
    return f"{link}[href='{url_path}'], {link}[href^='{url_path}?']"


def latex_errors(page) -> list[str]:
    """Formulas KaTeX could not typeset: a parse error (span.katex-error, its source in red) or an
    unknown command (typeset in KaTeX's error colour)."""
    return page.evaluate(
        """() => [...document.querySelectorAll(".katex-error, .katex mstyle[mathcolor='#cc0000']")]
                 .map((e) => e.getAttribute("title") || e.textContent)""")


def overflowing_formulas(page) -> list[str]:
    """Displayed formulas wider than the column they sit in (the reader would have to scroll them)."""
    return page.evaluate(
        """() => [...document.querySelectorAll("[data-testid='stMain'] .katex-display")]
                 .filter((e) => e.scrollWidth > e.clientWidth + 4)  // KaTeX's own few px of overhang aside
                 .map((e) => e.querySelector("annotation")?.textContent.slice(0, 60))""")


def chart_count(page) -> int:
    """Plotly chart elements Streamlit put in the main area (drawn or not yet)."""
    return page.locator(f"{MAIN} [data-testid='stPlotlyChart']").count()


def charts_with_data(page) -> list[int]:
    """Number of traces in each Plotly chart of the main area that has drawn its SVG."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll("[data-testid='stMain'] .js-plotly-plot"))
                 .map((g) => (g.querySelector("svg.main-svg") && g.data) ? g.data.length : 0)""")


def chart_signature(page) -> str:
    """A short fingerprint of every main-area chart's data (changes when any chart's data does)."""
    return page.evaluate("() => window.__seqvizChartSignature()")


def wait_for_charts(page, timeout_ms: float = 60_000) -> None:
    """Wait until the main area has at least one chart and Plotly has drawn every one with data."""
    page.wait_for_function("() => window.__seqvizChartsDrawn()", timeout=timeout_ms)


def control(page, label: str, area: str = MAIN):
    """The element container, inside `area` (main or SIDEBAR), of the widget labelled exactly `label`."""
    label_pattern = re.compile(rf"^\s*{re.escape(label)}\s*$")
    return page.locator(f"{area} [data-testid='stElementContainer']").filter(
        has=page.locator(WIDGET_LABELS, has_text=label_pattern)).first


def first_control_label(page) -> str | None:
    """The label of the first widget in the main area (used when a page declares no MAIN_CONTROL)."""
    labels = page.locator(f"{MAIN} [data-testid='stWidgetLabel']")
    return labels.first.inner_text().strip() if labels.count() else None


def arm_input_clock(page) -> None:
    page.evaluate("() => { window.__seqvizArmed = true; window.__seqvizInputAt = null; }")


def change_control(page, label: str, forward: bool = True, area: str = MAIN) -> str:
    """Change the widget labelled `label` to a neighbouring value, as a user would.

    Sliders: arrow key on the thumb; selectbox, radio and segmented control: the next (or previous)
    option, wrapping around; number input: step button; checkbox and toggle: click. `forward` picks
    the direction where there is a choice; at a bound the other direction is used. The input clock is
    armed just before the committing event.
    Returns the kind of widget that was changed.
    """
    container = control(page, label, area)
    container.wait_for(timeout=30_000)
    for kind, action in _ACTIONS.items():
        if container.locator(f"[data-testid='{kind}']").count():
            action(page, container, forward)
            return kind
    raise ValueError(f"cannot drive the control {label!r}: it is none of {', '.join(_ACTIONS)}")


def _change_slider(page, container, forward: bool) -> None:
    thumb = container.locator("input[type='range']").first
    value, low, high = float(thumb.input_value()), float(thumb.get_attribute("min")), float(thumb.get_attribute("max"))
    up = (forward and value < high) or value <= low
    thumb.focus()
    arm_input_clock(page)
    thumb.press("ArrowRight" if up else "ArrowLeft")


def _change_selectbox(page, container, forward: bool) -> None:
    container.locator("input").first.click()
    listbox = page.locator("[role='listbox']").last
    listbox.wait_for()
    options = listbox.locator("[role='option']")
    selected = [options.nth(i).get_attribute("aria-selected") for i in range(options.count())].index("true")
    arm_input_clock(page)
    options.nth(_neighbour(selected, options.count(), forward)).click()


def _neighbour(index: int, count: int, forward: bool) -> int:
    """The next (or previous) of `count` options, wrapping around."""
    if count < 2:
        raise ValueError("a control with a single option cannot be changed")
    return (index + (1 if forward else -1)) % count


def _change_number_input(page, container, forward: bool) -> None:
    up, down = (container.locator(f"[data-testid='{t}']") for t in ("stNumberInputStepUp", "stNumberInputStepDown"))
    button = up if (forward and up.is_enabled()) or not down.is_enabled() else down
    arm_input_clock(page)
    button.click()


def _change_radio(page, container, forward: bool) -> None:
    options = container.locator("input[type='radio']")
    checked = [options.nth(i).is_checked() for i in range(options.count())].index(True)
    arm_input_clock(page)
    container.locator("label").filter(has=page.locator("input[type='radio']")).nth(
        _neighbour(checked, options.count(), forward)).click()


def _change_button_group(page, container, forward: bool) -> None:
    """st.segmented_control / st.pills or an instant view's choice, one option selected: click the next (or
    previous) option."""
    options = container.locator("[data-testid='stButtonGroup'] button, [data-testid='seqvizButtonGroup'] button")
    selected = [options.nth(i).get_attribute("aria-checked") for i in range(options.count())].index("true")
    arm_input_clock(page)
    options.nth(_neighbour(selected, options.count(), forward)).click()


def _change_instant_number(page, container, forward: bool) -> None:
    """An instant view's number (seqviz/ui/components/instant/instant.js): its + or − button."""
    up, down = (container.locator(f"[data-testid='{t}']") for t in ("seqvizStepUp", "seqvizStepDown"))
    button = up if (forward and up.is_enabled()) or not down.is_enabled() else down
    arm_input_clock(page)
    button.click()


def _change_instant_select(page, container, forward: bool) -> None:
    """An instant view's drop-down list (a native select): the arrow key to the next (or previous) option,
    wrapping around by selecting the first (or last) one, as a keyboard user would."""
    select = container.locator("[data-testid='seqvizSelect']")
    count, index = select.evaluate("(s) => [s.options.length, s.selectedIndex]")
    target = _neighbour(index, count, forward)
    select.focus()
    arm_input_clock(page)
    if abs(target - index) == 1:
        select.press("ArrowDown" if target > index else "ArrowUp")
    else:
        select.press("End" if target > index else "Home")


def _change_checkbox(page, container, forward: bool) -> None:
    arm_input_clock(page)
    container.locator("label").first.click()


_ACTIONS = {
    "stSlider": _change_slider,
    "stSelectbox": _change_selectbox,
    "stNumberInput": _change_number_input,
    "stRadio": _change_radio,
    "stButtonGroup": _change_button_group,
    "stCheckbox": _change_checkbox,
    "seqvizScrubber": _change_slider,  # a native range input (seqviz/ui/components/scrubber/scrubber.js)
    "seqvizButtonGroup": _change_button_group,  # an instant view's choice (seqviz/ui/components/instant/instant.js)
    "seqvizSelect": _change_instant_select,  # an instant view's drop-down list
    "seqvizNumberInput": _change_instant_number,  # an instant view's number
    "seqvizSlider": _change_slider,  # an instant view's slider: a native range input
}


def click_chart_slider_step(page, step: int) -> None:
    """Click step number `step` (0-based) of the first Plotly slider drawn inside a main-area chart (an
    animation's own slider, which Streamlit never sees), scrolled into view first; the input clock is
    armed just before the click."""
    page.locator(f"{MAIN} .slider-rail-rect").first.scroll_into_view_if_needed()
    tick = page.locator(f"{MAIN} .slider-tick-rect").nth(step).bounding_box()
    arm_input_clock(page)
    page.mouse.click(tick["x"] + tick["width"] / 2, tick["y"] + 2)


def control_value(page, label: str, area: str = MAIN) -> str:
    """What the widget labelled `label` shows as its value (slider position, selection, number, state)."""
    container = control(page, label, area)
    if container.locator("[data-testid='stButtonGroup'], [data-testid='seqvizButtonGroup']").count():
        return ",".join(b.inner_text() for b in container.locator("button[aria-checked='true']").all())
    if container.locator("[data-testid='seqvizSelect']").count():
        return container.locator("[data-testid='seqvizSelect']").input_value()
    field = container.locator("input").first
    if field.get_attribute("type") in ("checkbox", "radio"):
        return ",".join(str(box.is_checked()) for box in container.locator("input").all())
    return field.input_value()


def change_and_wait(page, label: str, forward: bool = True, area: str = MAIN, timeout_ms: float = 60_000) -> float:
    """Change the control and wait for the updated chart and the end of the rerun; returns the input
    event → updated chart on screen latency in ms."""
    return change_and_time(page, label, forward, area, timeout_ms)[0]


def change_and_time(page, label: str, forward: bool = True, area: str = MAIN,
                    timeout_ms: float = 60_000) -> tuple[float, float]:
    """Change the control; returns (input event → updated chart on screen, input event → rerun
    finished with the chart updated), both in ms (see WATCH_FOR_NEW_CHART)."""
    act_and_wait(page, lambda: change_control(page, label, forward, area), f"changing {label!r}", timeout_ms)
    chart_at, done_at, input_at = page.evaluate(
        "() => [window.__seqvizChartWatch.chart, window.__seqvizChartWatch.done, window.__seqvizInputAt]")
    if input_at is None:
        raise RuntimeError(f"no input event reached the page while changing {label!r}")
    return chart_at - input_at, done_at - input_at


def act_and_wait(page, act, what: str, timeout_ms: float = 60_000) -> None:
    """Do `act()` (change a control, go back in history, …) and wait until a main-area chart has new data, is
    drawn, and the run that `act` started has finished (WATCH_FOR_NEW_CHART). Unlike wait_for_app_run this
    cannot end before that run has even started, however busy the machine."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.evaluate(WATCH_FOR_NEW_CHART, chart_signature(page))
    act()
    try:
        page.wait_for_function("() => window.__seqvizChartWatch.done !== null", timeout=timeout_ms)
    except PlaywrightTimeout:
        raise RuntimeError(f"no chart update within {timeout_ms:.0f} ms of {what}") from None


def long_frame_of_last_chart(page) -> tuple[float, float, str] | None:
    """(duration, longest script's duration, its invoker) of the long animation frame (≥ 50 ms) that
    drew the chart of the last `change_and_time` (see LONG_FRAME_AT), or None if that frame was shorter."""
    frame = page.evaluate(LONG_FRAME_AT, page.evaluate("() => window.__seqvizChartWatch.chart"))
    return tuple(frame) if frame else None
