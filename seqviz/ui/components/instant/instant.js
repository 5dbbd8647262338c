// The instant view (seqviz/ui/components/instant/__init__.py): a page's main control drawn here together with the
// Plotly chart it drives. The server sends the chart of the value on screen and of the values a visitor
// is likely to pick next (every option of a choice, the next value of a number); picking one of those
// redraws the chart at once, in the input event's own task, with Plotly.react on the same plot node,
// before the server has heard of the change (a slider's drag redraws at each value whose chart it
// has). Each committed change is reported as the state "pick";
// the server mirrors it in the URL and draws the rest of the page. A value whose chart was not sent
// dims the chart until the server's answer brings it. The server sends its value with a sequence
// number it changes only when it moves the value itself (seqviz/ui/components/sync.py).
//
// Streamlit's client bundles its own Plotly, not as a global, so plotly.js is loaded once per page
// from the app's static files (data.plotly, staged there by seqviz/ui/components/instant/__init__.py).
/**
 * What the server sends (InstantData in seqviz/ui/components/instant/__init__.py).
 * @typedef {Object} InstantData
 * @property {string} label
 * @property {?string} help
 * @property {ChoiceControl | SelectControl | RangeControl | NoControl} control
 * @property {string} control_id  changes with label, control and help: the control is built again
 * @property {string} seq  the sequence number of `value` (seqviz/ui/components/sync.py)
 * @property {string | number} value  the value to show: an option's text, or a number
 * @property {string} current  the session's value as text, which the rest of the page follows
 * @property {?Object<string, ChartPayload>} charts  value text → its chart; null: the control alone
 * @property {string} plotly  the URL of plotly.js
 */
/**
 * A chart as the server sends it (ChartPayload).
 * @typedef {Object} ChartPayload
 * @property {string} id  changes with the content: an unchanged chart is not drawn again
 * @property {string} figure  the Plotly figure as JSON text
 * @property {string} html  markup drawn under the figure (made by seqviz.figures, its text escaped); "" for none
 * @property {string} caption
 * @property {string} warning
 */
/**
 * One option always selected, as a row of buttons (ChoiceControl).
 * @typedef {Object} ChoiceControl
 * @property {"choice"} kind
 * @property {Array<Array<string>>} options  [value text, label] of each option
 */
/**
 * One of many options, as a drop-down list (SelectControl).
 * @typedef {Object} SelectControl
 * @property {"select"} kind
 * @property {Array<Array<string>>} options  [value text, label] of each option
 */
/**
 * A whole number in [min, max], with − and + buttons by `step` or on a slider (RangeControl).
 * @typedef {Object} RangeControl
 * @property {"number" | "slider"} kind
 * @property {number} min
 * @property {number} max
 * @property {number} step
 */
/**
 * What this reports as its state "pick" (Pick).
 * @typedef {Object} Pick
 * @property {string | number} value
 * @property {string} seq  the sequence number the page held when the value was picked
 */
const PLOTLY_CONFIG = { displaylogo: false, responsive: true };
const onScreen = new Map();  // component key → {seq, value}: what this page shows, kept while it stays loaded
let plotlyLoad = null;  // the promise of window.Plotly

/**
 * @param {{data: InstantData, key: string, parentElement: HTMLElement,
 *          setStateValue: function(string, Pick): void}} args
 */
export default function ({ data, key, parentElement, setStateValue }) {
  let instance = parentElement.seqvizInstant;
  if (!instance || instance.controlId !== data.control_id) {
    instance?.destroy();
    instance = parentElement.seqvizInstant = build(parentElement, data, key);
  }
  instance.data = data;
  const show = (value) => {
    onScreen.set(key, { seq: data.seq, value });
    instance.show(value);
  };
  const memory = onScreen.get(key);
  show(memory && memory.seq === data.seq ? memory.value : data.value);
  instance.preview = show;
  instance.pick = (value) => {
    show(value);
    // the number it was picked under (seqviz/ui/components/sync.py); not a state named "value", whose object Streamlit
    // would unwrap, calling back only when its own "value" changed
    setStateValue("pick", { value, seq: data.seq });
  };
  return () => {
    instance.pick = instance.preview = null;
    setTimeout(() => {  // unmounted, not just updated: let go of the plot and its listeners
      if (instance.root.isConnected) { return; }
      instance.destroy();
      if (parentElement.seqvizInstant === instance) { parentElement.seqvizInstant = null; }
    });
  };
}

function build(parent, data, key) {
  const id = `seqviz-instant-${key}`;
  const alone = data.control.kind === "none";  // a chart without a control: no label, another test id
  const root = element("div", { class: "seqviz-instant", "data-testid": alone ? "seqvizChart" : "seqvizInstant" });
  const instance = { controlId: data.control_id, data, root, value: null, drawn: null, pick: null, preview: null };
  const control = CONTROLS[data.control.kind](id, data.control, instance);
  const box = element("div", { class: "seqviz-instant-chart", "data-testid": "seqvizInstantChart" });
  const plot = element("div", { class: "seqviz-instant-plot" });
  const markup = element("div", { class: "seqviz-instant-html", hidden: "" });
  const caption = element("p", { class: "seqviz-instant-caption", hidden: "" });
  const warning = element("div", { class: "seqviz-instant-warning", role: "alert", hidden: "" });
  box.append(plot, markup, caption, warning);
  if (!alone) {
    root.append(element("label", { id: `${id}-label`, class: "seqviz-instant-label", for: id,
      "data-testid": "seqvizWidgetLabel", title: data.help || "" }, data.label), control.element);
  }
  root.append(box);
  parent.querySelector(":scope > .seqviz-instant")?.remove();  // a control of an earlier spec; the CSS stays
  parent.append(root);
  let width = null;
  const resize = new ResizeObserver(([entry]) => {  // the sidebar opened or closed: no window resize event
    const now = Math.round(entry.contentRect.width);
    if (width !== null && now !== width && now > 0 && plot.data && window.Plotly) {
      window.Plotly.Plots.resize(plot).catch(() => {});  // removed from the page meanwhile: nothing to resize
    }
    width = now;
  });
  resize.observe(box);
  instance.show = (value) => {
    instance.value = value;
    control.set(value);
    const charts = instance.data.charts;
    const entry = charts && charts[String(value)];
    // no chart: a control only, or the server, already at this value, draws what it asks for (a Train
    // button, an error); not sent but picked here: the old chart, dimmed, until the server answers
    box.hidden = charts === null || (!entry && instance.data.current === String(value));
    box.classList.toggle("seqviz-instant-stale", Boolean(charts) && !entry);
    if (!entry || entry.id === instance.drawn) { return; }
    instance.drawn = entry.id;
    markup.innerHTML = entry.html || "";  // trusted: made on the server by seqviz.figures, its text escaped
    markup.hidden = !entry.html;
    setText(caption, entry.caption);
    setText(warning, entry.warning);
    draw(plot, entry, instance, instance.data.plotly);
  };
  instance.destroy = () => {
    resize.disconnect();
    if (window.Plotly) { window.Plotly.purge(plot); }
  };
  return instance;
}

// Draws at once where plotly.js is loaded (every change after the first chart), else when it is.
function draw(plot, entry, instance, url) {
  const figure = JSON.parse(entry.figure);  // parsed for each draw: Plotly keeps and changes what it is given
  const react = (Plotly) => {
    if (instance.drawn === entry.id) { Plotly.react(plot, figure.data, figure.layout, PLOTLY_CONFIG); }
  };
  if (window.Plotly) {
    react(window.Plotly);
    return;
  }
  loadPlotly(url).then(react, (error) => {
    instance.drawn = null;  // the next run's data tries again
    plot.replaceChildren(element("p", { class: "seqviz-instant-warning" }, `The chart could not be drawn: ${error.message}.`));
  });
}

function loadPlotly(url) {
  if (!plotlyLoad) {
    plotlyLoad = new Promise((resolve, reject) => {
      // seqviz.ui.preload puts plotly.js in the page's head; wait for it while it is still loading
      const preloaded = document.getElementById("seqviz-plotly");
      const script = preloaded && !preloaded.dataset.settled ? preloaded : element("script", { src: url, async: "" });
      script.addEventListener("load", () => (window.Plotly ? resolve(window.Plotly)
        : reject(new Error(`${url} defined no Plotly`))));
      script.addEventListener("error", () => reject(new Error(`plotly.js did not load from ${url}`)));
      if (script !== preloaded) { document.head.append(script); }
    });
    plotlyLoad.catch(() => { plotlyLoad = null; });  // the next chart tries again
  }
  return plotlyLoad;
}

// One option always selected, as a row of buttons (st.segmented_control's look).
function choiceControl(id, spec, instance) {
  const group = element("div", { id, class: "seqviz-instant-choice", role: "radiogroup", "aria-labelledby": `${id}-label`,
    "data-testid": "seqvizButtonGroup" });
  const buttons = spec.options.map(([value, text]) => {
    const button = element("button", { type: "button", role: "radio", "aria-checked": "false" }, text);
    button.addEventListener("click", () => { if (value !== instance.value) { instance.pick?.(value); } });
    group.append(button);
    return [value, button];
  });
  const set = (value) => buttons.forEach(([v, button]) => button.setAttribute("aria-checked", String(v === value)));
  return { element: group, set };
}

// One of many options as a native drop-down list (st.selectbox's place): a click opens it, and with the
// focus on it the arrow keys step to the previous or next option, each step a pick.
function selectControl(id, spec, instance) {
  const select = element("select", { id, class: "seqviz-instant-select", "data-testid": "seqvizSelect" });
  select.append(...spec.options.map(([value, text]) => element("option", { value }, text)));
  select.addEventListener("change", () => { if (select.value !== instance.value) { instance.pick?.(select.value); } });
  const set = (value) => { select.value = value; };
  return { element: select, set };
}

// A whole number in [min, max] with − and + buttons that move it by `step` (st.number_input's look).
// A typed value counts on Enter or when the field loses focus; the arrow keys step it like the buttons.
function numberControl(id, spec, instance) {
  const group = element("div", { class: "seqviz-instant-number", "data-testid": "seqvizNumberInput" });
  const input = element("input", { id, type: "number", min: spec.min, max: spec.max, step: 1, inputmode: "numeric" });
  const down = element("button", { type: "button", "aria-label": `minus ${spec.step}`, "data-testid": "seqvizStepDown" }, "−");
  const up = element("button", { type: "button", "aria-label": `plus ${spec.step}`, "data-testid": "seqvizStepUp" }, "+");
  group.append(input, down, up);
  const commit = (value) => {
    if (!Number.isFinite(value)) {
      input.value = instance.value;
      return;
    }
    const bounded = Math.min(Math.max(Math.round(value), spec.min), spec.max);
    if (bounded === instance.value) {
      input.value = bounded;
      return;
    }
    instance.pick?.(bounded);
  };
  const typed = () => commit(input.value === "" ? NaN : Number(input.value));
  down.addEventListener("click", () => commit(instance.value - spec.step));
  up.addEventListener("click", () => commit(instance.value + spec.step));
  input.addEventListener("change", typed);
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      typed();
    } else if (event.key === "ArrowUp" || event.key === "ArrowDown") {
      event.preventDefault();
      commit(instance.value + (event.key === "ArrowUp" ? spec.step : -spec.step));
    }
  });
  const set = (value) => {
    input.value = value;
    down.disabled = value <= spec.min;
    up.disabled = value >= spec.max;
  };
  return { element: group, set };
}

// A whole number in [min, max] on a grid of `step`, as a range slider with its value beside the label
// (st.slider's look). A drag previews each value it passes; its end, or a key press, commits the value.
function sliderControl(id, spec, instance) {
  const group = element("div", { class: "seqviz-instant-slider", "data-testid": "seqvizSlider" });
  const readout = element("output", { for: id });
  const input = element("input", { id, class: "seqviz-range", type: "range", min: spec.min, max: spec.max, step: spec.step });
  group.append(readout, input);
  input.addEventListener("input", () => instance.preview?.(Number(input.value)));
  input.addEventListener("change", () => instance.pick?.(Number(input.value)));
  const set = (value) => {
    input.value = value;
    readout.textContent = value;
    input.style.setProperty("--filled", `${(100 * (value - spec.min)) / (spec.max - spec.min)}%`);
  };
  return { element: group, set };
}

const CONTROLS = { choice: choiceControl, select: selectControl, number: numberControl, slider: sliderControl,
  none: () => ({ element: null, set: () => {} }) };

function setText(node, text) {
  node.textContent = text || "";
  node.hidden = !text;
}

function element(tag, attributes, ...children) {
  const made = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) { made.setAttribute(name, value); }
  made.append(...children);
  return made;
}
