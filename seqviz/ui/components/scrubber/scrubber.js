// The step scrubber (seqviz/ui/components/scrubber/__init__.py): a step slider with the bars and the numbers of every
// step t (seqviz.figures.cell.step_scrub), drawn here, so that moving the slider redraws them in the
// same frame with no round trip to the server. Each committed change (a key press, the end of a
// drag) is reported as the state "t", which the server mirrors in the URL and the step tab's download.
//
// The server sends t with a sequence number "seq" (of its session) that it changes only when it
// moves t itself (a URL from Back or Forward, another tab's slider, a bound that moved); otherwise
// the step this page shows wins, so a rerun answering an older change never pulls the slider back.
/**
 * What the server sends (ScrubberData in seqviz/ui/components/scrubber/__init__.py, the StepScrub of
 * seqviz/figures/cell.py with the slider's label, help and step).
 * @typedef {Object} ScrubberData
 * @property {string} id  a hash of the bars and numbers: a new id builds the scrubber again
 * @property {number} steps  T
 * @property {string} title  the chart's title is title + t + suffix[t]
 * @property {Array<string>} suffix
 * @property {string} note  under the title ("" for none)
 * @property {Array<number>} units  the units drawn
 * @property {?Array<number>} ticks  the unit axis's ticks, or null for evenly spaced ones
 * @property {Array<number>} x_range
 * @property {string} x_title
 * @property {Array<ScrubPanel>} panels
 * @property {?ScrubTable} table
 * @property {ScrubStyle} style
 * @property {ScrubTheme} theme
 * @property {string} label
 * @property {?string} help
 * @property {string} seq  the sequence number of `t` (seqviz/ui/components/sync.py)
 * @property {number} t  the step to show
 */
/**
 * One row of bars at every step (ScrubPanel).
 * @typedef {Object} ScrubPanel
 * @property {string} prefix  the row's title before its colour key
 * @property {Array<Array<string>>} key  [title, colour] of each state in the row
 * @property {Array<string>} names  each bar's state title
 * @property {Array<string>} colours  each bar's colour
 * @property {Array<number>} x  each bar's centre on the unit axis
 * @property {number} width  every bar's width
 * @property {Array<number>} range  the row's y range
 * @property {string} values  base64 little-endian float32 (T, bars): each step's heights
 */
/**
 * The step's numbers at every step (ScrubTable).
 * @typedef {Object} ScrubTable
 * @property {Array<boolean>} numeric  per column: right-aligned numbers
 * @property {Array<Array<Array<string>>>} cells  per step: its header row, then its rows
 */
/**
 * The table's inline styles (ScrubStyle).
 * @typedef {Object} ScrubStyle
 * @property {string} table
 * @property {string} cell
 * @property {string} numeric
 */
/**
 * Colours and font of seqviz's Plotly template (ScrubTheme).
 * @typedef {Object} ScrubTheme
 * @property {string} text
 * @property {string} grid
 * @property {string} font
 */
/**
 * What this reports as its state "t" (StepReport).
 * @typedef {Object} StepReport
 * @property {number} t
 * @property {string} seq  the sequence number the page held when the step was set
 */
const SVG = "http://www.w3.org/2000/svg";
const TITLE_PX = 56;  // the title and its note
const PANEL_TITLE_PX = 22;
const PANEL_PX = 200;  // the plot area of one row of bars
const GAP_PX = 40;  // between two rows
const BOTTOM_PX = 52;  // tick labels and the x axis title
const LEFT_PX = 56;
const RIGHT_PX = 16;
const Y_TICKS = 5;
const MIN_WIDTH_PX = 200;
const onScreen = new Map();  // component key → {seq, t}: the step this page shows, kept while the page stays loaded
const STEPS_PER_S = 5;  // playing at 1×
const SPEEDS = [0.5, 1, 2, 4, 8, 32];  // the speed menu's multiples of STEPS_PER_S

/**
 * @param {{data: ScrubberData, key: string, parentElement: HTMLElement,
 *          setStateValue: function(string, StepReport): void}} args
 */
export default function ({ data, key, parentElement, setStateValue }) {
  let instance = parentElement.seqvizScrubber;
  if (!instance || instance.id !== data.id) {
    instance?.destroy();
    instance = parentElement.seqvizScrubber = build(parentElement, data, key);
  }
  const memory = onScreen.get(key);
  const show = (t) => {
    instance.draw(t);
    onScreen.set(key, { seq: data.seq, t });
  };
  show(clamp(memory && memory.seq === data.seq ? memory.t : data.t, 0, data.steps - 1));
  const commit = () => setStateValue("t", { t: instance.t, seq: data.seq });  // see sync.py
  const player = playing(instance, data.steps, show, commit);
  const onInput = () => { player.pause(false); show(Number(instance.input.value)); };
  const listeners = [
    [instance.input, "input", onInput],
    [instance.input, "change", commit],
    [instance.controls.back, "click", () => player.step(-1)],
    [instance.controls.forward, "click", () => player.step(1)],
    [instance.controls.play, "click", () => player.toggle()],
    [instance.controls.speed, "change", () => player.restart()],
  ];
  listeners.forEach(([target, type, listener]) => target.addEventListener(type, listener));
  return () => {
    player.pause(false);  // a rerun rebuilds the listeners; playing stops with the old ones
    listeners.forEach(([target, type, listener]) => target.removeEventListener(type, listener));
    setTimeout(() => {  // unmounted, not just updated: let go of its ResizeObserver
      if (instance.input.isConnected) { return; }
      instance.destroy();
      if (parentElement.seqvizScrubber === instance) { parentElement.seqvizScrubber = null; }
    });
  };
}

// Play, pause and single steps: the step moves here, in the browser, and is reported (`commit`) once it
// rests (a pause, the last step, a single step), not at every step played, which would rerun the page.
function playing(instance, steps, show, commit) {
  const { play, speed } = instance.controls;
  const pause = (report) => {
    if (!instance.timer) { return; }
    clearInterval(instance.timer);
    instance.timer = null;
    play.textContent = "▶ play";
    play.setAttribute("aria-pressed", "false");
    if (report) { commit(); }
  };
  const start = () => {
    if (instance.t >= steps - 1) { show(0); }
    instance.timer = setInterval(() => {
      show(Math.min(instance.t + 1, steps - 1));
      if (instance.t >= steps - 1) { pause(true); }
    }, 1000 / (STEPS_PER_S * Number(speed.value)));
    play.textContent = "❚❚ pause";
    play.setAttribute("aria-pressed", "true");
  };
  return {
    pause,
    toggle: () => (instance.timer ? pause(true) : start()),
    restart: () => { if (instance.timer) { pause(false); start(); } },
    step: (dt) => { pause(false); show(clamp(instance.t + dt, 0, steps - 1)); commit(); },
  };
}

function buildControls(single) {
  const button = (testid, label, text) => element("button", { type: "button", class: "seqviz-scrubber-button",
                                                                "data-testid": testid, "aria-label": label, title: label }, text);
  const back = button("seqvizStepBack", "One step back", "◀");
  const play = button("seqvizPlay", "Play the steps from here (pause to stop)", "▶ play");
  const forward = button("seqvizStepForward", "One step forward", "▶");
  play.setAttribute("aria-pressed", "false");
  const speed = element("select", { class: "seqviz-scrubber-speed", "data-testid": "seqvizSpeed",
                                    "aria-label": `Speed (1× = ${STEPS_PER_S} steps a second)` });
  for (const multiple of SPEEDS) {
    const option = element("option", { value: multiple }, `${multiple}×`);
    option.selected = multiple === 1;
    speed.append(option);
  }
  const row = element("div", { class: "seqviz-scrubber-controls" });
  row.append(back, play, forward, speed);
  row.hidden = single;
  return { row, back, play, forward, speed };
}

function build(parent, data, key) {
  const root = element("div", { class: "seqviz-scrubber", "data-testid": "seqvizScrubber" });
  const id = `seqviz-scrubber-${key}`;
  const label = element("label", { for: id, "data-testid": "seqvizWidgetLabel", title: data.help || "" }, data.label);
  const value = element("output", { for: id });
  const input = element("input", { id, class: "seqviz-range", type: "range", min: 0, max: data.steps - 1, step: 1, value: 0 });
  const head = element("div", { class: "seqviz-scrubber-head" });
  head.append(label, value);
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "seqviz-scrubber-chart");
  svg.setAttribute("role", "img");
  svg.style.fontFamily = data.theme.font;
  const table = data.table && buildTable(data.table, data.style);
  head.hidden = input.hidden = data.steps === 1;  // one step: nothing to move
  const controls = buildControls(data.steps === 1);
  root.append(head, input, controls.row, svg);
  if (table) { root.append(element("div", { class: "seqviz-scrubber-table" }, table.element)); }
  parent.querySelector(":scope > .seqviz-scrubber")?.remove();  // a scrubber of an earlier spec; the CSS stays
  parent.append(root);
  const panels = data.panels.map((panel) => ({ ...panel, values: floats(panel.values), count: panel.names.length }));
  const instance = { id: data.id, input, controls, t: null, chart: null, timer: null };
  instance.draw = (t) => {
    if (t === instance.t) { return; }
    instance.t = t;
    input.value = t;
    input.style.setProperty("--filled", `${data.steps > 1 ? (100 * t) / (data.steps - 1) : 0}%`);
    value.textContent = t;
    if (instance.chart) { drawStep(instance.chart, panels, data, t); }
    if (table) { table.fill(data.table.cells[t]); }
  };
  // Drawn at the width the page lays the root out at, when the browser reports it (after layout, before
  // paint: the same frame), not read from root.clientWidth here, which would force a layout of the page.
  const resize = new ResizeObserver(([entry]) => {
    const width = Math.max(Math.round(entry.contentRect.width), MIN_WIDTH_PX);
    if (instance.chart && instance.chart.width === width) { return; }
    instance.chart = drawAxes(svg, panels, data, width);
    if (instance.t !== null) { drawStep(instance.chart, panels, data, instance.t); }
  });
  resize.observe(root);
  instance.destroy = () => { resize.disconnect(); clearInterval(instance.timer); };
  return instance;
}

// The axes, titles and empty bars at `width` px; returns what drawStep needs.
function drawAxes(svg, panels, data, width) {
  const height = TITLE_PX + panels.length * (PANEL_TITLE_PX + PANEL_PX) + (panels.length - 1) * GAP_PX + BOTTOM_PX;
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("height", height);
  svg.replaceChildren();
  const { text, grid } = data.theme;
  const [x0, x1] = data.x_range;
  const x = (v) => LEFT_PX + ((v - x0) / (x1 - x0)) * (width - LEFT_PX - RIGHT_PX);
  const title = svgText(svg, width / 2, 24, "", { "text-anchor": "middle", "font-size": 16, fill: text });
  if (data.note) { svgText(svg, width / 2, 44, data.note, { "text-anchor": "middle", "font-size": 11, fill: text }); }
  const rows = panels.map((panel, k) => {
    const top = TITLE_PX + k * (PANEL_TITLE_PX + PANEL_PX + GAP_PX) + PANEL_TITLE_PX;
    const [lo, hi] = panel.range;
    const y = (v) => top + PANEL_PX - ((clamp(v, lo, hi) - lo) / (hi - lo)) * PANEL_PX;
    const heading = svgText(svg, width / 2, top - 8, panel.prefix, { "text-anchor": "middle", "font-size": 14, fill: text });
    for (const [name, colour] of panel.key) {
      if (heading.childNodes.length > 1) { tspan(heading, " · ", text); }
      tspan(heading, name, colour);
    }
    const { values, step } = ticks(lo, hi, Y_TICKS);
    for (const v of values) {
      line(svg, LEFT_PX, y(v), width - RIGHT_PX, y(v), grid);
      svgText(svg, LEFT_PX - 6, y(v) + 4, tickText(v, step), { "text-anchor": "end", "font-size": 12, fill: text });
    }
    const bars = panel.x.map((centre, b) => {
      const bar = document.createElementNS(SVG, "rect");
      bar.setAttribute("x", x(centre - panel.width / 2));
      bar.setAttribute("width", Math.max(1, x(centre + panel.width / 2) - x(centre - panel.width / 2)));
      bar.setAttribute("fill", panel.colours[b]);
      bar.append(document.createElementNS(SVG, "title"));
      svg.append(bar);
      return bar;
    });
    return { y, bars };
  });
  const bottom = height - BOTTOM_PX;
  const unitTicks = data.ticks || ticks(data.units[0], data.units[data.units.length - 1], 8).values.filter(Number.isInteger);
  for (const unit of unitTicks) {
    svgText(svg, x(unit), bottom + 18, String(unit), { "text-anchor": "middle", "font-size": 12, fill: text });
  }
  svgText(svg, width / 2, bottom + 44, data.x_title, { "text-anchor": "middle", "font-size": 14, fill: text });
  return { svg, width, title, rows };
}

function drawStep(chart, panels, data, t) {
  chart.title.textContent = `${data.title}${t}${data.suffix[t]}`;
  chart.svg.setAttribute("aria-label", chart.title.textContent);
  chart.svg.parentElement.dataset.signature = `${data.id}:${t}`;  // what a test or benchmark compares to see the step drawn
  panels.forEach((panel, k) => {
    const { y, bars } = chart.rows[k];
    const zero = y(0);
    bars.forEach((bar, b) => {
      const v = panel.values[t * panel.count + b];
      const finite = Number.isFinite(v);
      const top = finite ? y(v) : zero;
      bar.setAttribute("y", Math.min(top, zero));
      bar.setAttribute("height", Math.abs(top - zero));
      bar.firstChild.textContent = `${panel.names[b]}, unit ${data.units[b % data.units.length]}: ${finite ? v.toFixed(3) : v}`;
    });
  });
}

// The step's numbers: the table's cells are made once and their texts set at each step.
function buildTable(table, style) {
  const element = document.createElement("table");
  element.setAttribute("style", style.table);
  const [head, ...rows] = table.cells[0];
  const styleOf = (c) => (table.numeric[c] ? style.numeric : style.cell);
  const cells = [head, ...rows].map((row, r) => {
    const tr = document.createElement("tr");
    const made = row.map((_, c) => {
      const cell = document.createElement(r === 0 ? "th" : "td");
      cell.setAttribute("style", styleOf(c));
      tr.append(cell);
      return cell;
    });
    (r === 0 ? element.createTHead() : element.tBodies[0] || element.createTBody()).append(tr);
    return made;
  });
  const fill = (texts) => texts.forEach((row, r) => row.forEach((text, c) => { cells[r][c].textContent = text; }));
  return { element, fill };
}

// Tick values over [lo, hi], about `count` of them at a step of 1, 2 or 5 × 10^k.
function ticks(lo, hi, count) {
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  const values = [];
  for (let k = Math.ceil(lo / step); k * step <= hi; k++) { values.push(k * step); }
  return { values, step };
}

function tickText(v, step) {
  const digits = Math.max(0, -Math.floor(Math.log10(step)));
  return String(Number(v.toFixed(digits))).replace("-", "−");
}

function floats(base64) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return new Float32Array(bytes.buffer);
}

function clamp(v, lo, hi) {
  return Math.min(Math.max(v, lo), hi);
}

function element(tag, attributes, ...children) {
  const made = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) { made.setAttribute(name, value); }
  made.append(...children);
  return made;
}

function svgText(svg, x, y, content, attributes) {
  const made = document.createElementNS(SVG, "text");
  for (const [name, value] of Object.entries({ x, y, ...attributes })) { made.setAttribute(name, value); }
  made.textContent = content;
  svg.append(made);
  return made;
}

function tspan(parent, content, colour) {
  const made = document.createElementNS(SVG, "tspan");
  made.setAttribute("fill", colour);
  made.textContent = content;
  parent.append(made);
}

function line(svg, x1, y1, x2, y2, colour) {
  const made = document.createElementNS(SVG, "line");
  for (const [name, value] of Object.entries({ x1, y1, x2, y2, stroke: colour })) { made.setAttribute(name, value); }
  svg.append(made);
}
