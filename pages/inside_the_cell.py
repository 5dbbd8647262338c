"""Inside the cell: hidden state, cell state and gates of an RNN, LSTM or GRU, step by step."""
from typing import Callable

import streamlit as st

from seqviz.cell.export import EXPORT_CSV_MAX_BYTES, csv_size_estimate, trace_csv_bytes, trace_npz_bytes
from seqviz.cell.inputs import (
    ENCODINGS,
    MAX_EMBED_DIM,
    MAX_FEATURES,
    MAX_SEQUENCE_LENGTH,
    SOURCES,
    UPLOAD_MAX_BYTES,
    InputSpec,
)
from seqviz.cell.params import compare_kinds
from seqviz.cell.run import (
    CELL_VARIANTS,
    MAX_HIDDEN,
    MAX_LAYERS,
    CellConfig,
    backward_pass,
    cell_states,
    final_state,
    layer_input,
    layer_input_names,
    run_cell,
    step_numbers,
)
from seqviz.core.devices import computed_on
from seqviz.core.models import INITS
from seqviz.figures.cell import (
    ANIMATION_TABLE_UNITS,
    backward_animation,
    cell_animation,
    order_matters,
    parameter_counts,
    state_heatmaps,
    step_bars,
    step_scrub,
    unit_lines,
)
from seqviz.figures.equations import general_equations, stacked, step_rows, step_table
from seqviz.figures.glossary import explain
from seqviz.figures.tables import escape_markdown
from seqviz.ui.cache import cached_data, cached_resource
from seqviz.ui.charts import plotly_chart
from seqviz.ui.components.instant import static_chart
from seqviz.ui.errors import explain_errors
from seqviz.ui.headings import subheader
from seqviz.ui.sidebar import shared_settings
from seqviz.ui.own_model import ModelUpload, own_model_panel, showing_caption
from seqviz.ui.state import (
    url_multiselect,
    url_number,
    url_radio,
    url_selectbox,
    url_slider,
    url_step_scrubber,
    url_tab,
    url_text,
    url_toggle,
)

TITLE = "Inside the cell"
ICON = ":material/memory:"
SUMMARY = ("Watch an RNN, LSTM or GRU step through a sequence you choose: hidden and cell states and every gate, "
           "animated, with the equations' numbers at each step.")
ORDER = 10
MAIN_CONTROL = "Current step t"  # drives the default tab (bars at step t), which T leaves unchanged
STEP_HELP = "Sets the bars, the table of the step's numbers and the marker on the heatmaps and lines."

CELL_NAMES = {"rnn-tanh": "RNN (tanh)", "rnn-relu": "RNN (ReLU)", "lstm": "LSTM", "gru": "GRU"}
SOURCE_NAMES = {"incident": "incident events (seeds' example)", "sine": "sine wave + noise",
                "square": "square wave + noise", "gaussian": "random Gaussian", "step": "step (memory settles)",
                "impulse": "impulse (memory decays)", "text": "typed text", "csv": "CSV upload"}
MAX_EQUATION_UNITS = 3
BARS = "Bars at step t"  # the step tabs
ANIMATION = "Animation (play)"
HEATMAPS = "Heatmaps: units × time"
UNIT_LINES = "Chosen units over time"
BACKWARD = "Backward pass (play)"
STEP_FIGURES = {BARS: "step_bars", ANIMATION: "animation", BACKWARD: "backward", HEATMAPS: "heatmaps",
                UNIT_LINES: "units"}  # keys, files
cached_run = cached_data(run_cell, max_entries=8)  # a trace at the largest sizes is ~260 MB
OWN_MODEL = ModelUpload("cell_own_model", MAX_HIDDEN, MAX_LAYERS)  # a visitor's model, in session state


def cell_controls(container, own: bool) -> dict:
    """The cell's settings; disabled (`own`) while the visitor's own model is shown."""
    with container:
        subheader("Cell")
        cell = url_selectbox("Cell", tuple(CELL_VARIANTS), key="cell_kind", default=CellConfig.cell,
                             format_func=CELL_NAMES.__getitem__, disabled=own)
        hidden = url_slider("Hidden size H", 1, MAX_HIDDEN, key="cell_hidden", default=CellConfig.hidden_size,
                            disabled=own)
        layers = url_slider("Layers L", 1, MAX_LAYERS, key="cell_layers", default=CellConfig.num_layers, disabled=own)
        bidirectional = url_toggle("Bidirectional (D = 2)", key="cell_bidir", default=CellConfig.bidirectional,
                                   disabled=own)
        init = url_selectbox("Initialisation", INITS, key="cell_init", default=CellConfig.init, disabled=own,
                             help=explain("initialisation"))
        forget_bias = CellConfig.forget_bias
        if cell == "lstm":
            forget_bias = url_slider("Forget bias b_if + b_hf", -5.0, 5.0, key="cell_forget_bias", default=forget_bias,
                                     step=0.5, disabled=own, help="Total bias of the LSTM forget gate f, set on top "
                                     "of the initialisation; higher keeps c longer.")
    return dict(cell=cell, hidden_size=hidden, num_layers=layers, bidirectional=bidirectional, init=init,
                forget_bias=forget_bias)


def input_controls(container, seed: int) -> InputSpec:
    with container:
        subheader("Input x_t")
        source = url_selectbox("Sequence", SOURCES, key="cell_source", default=InputSpec.source,
                               format_func=SOURCE_NAMES.__getitem__)
        spec = dict(source=source, seed=seed)
        if source in ("sine", "square", "gaussian", "step", "impulse"):
            spec["steps"] = url_slider("Length T", 1, MAX_SEQUENCE_LENGTH, key="cell_T", default=InputSpec.steps,
                                       help=f"Number of steps x_0 … x_(T−1), 1 to {MAX_SEQUENCE_LENGTH}.")
        if source in ("sine", "square"):
            spec["period"] = url_slider("Period (steps)", 2.0, 500.0, key="cell_period", default=InputSpec.period)
            spec["noise"] = url_slider("Noise σ", 0.0, 1.0, key="cell_noise", default=InputSpec.noise, step=0.05,
                                       help="Standard deviation of the Gaussian noise added to the wave.")
        if source == "gaussian":
            spec["features"] = url_slider("Features I", 1, MAX_FEATURES, key="cell_features",
                                          default=InputSpec.features)
        if source in ("step", "impulse"):
            spec["onset"] = url_number("Onset step", 0, spec["steps"] - 1, key="cell_onset",
                                       default=min(InputSpec.onset, spec["steps"] - 1), step=1,
                                       help="The step t at which x_t becomes 1.")
        if source == "text":
            spec.update(text_controls())
        if source == "csv":
            spec.update(csv_upload())
    return InputSpec(**spec)


def text_controls() -> dict:
    typed = url_text("Text (one character per step)", key="cell_text", default=InputSpec.text,
                     max_chars=MAX_SEQUENCE_LENGTH)
    encoding = url_radio("Encoding", ENCODINGS, key="cell_encoding", default=InputSpec.encoding, horizontal=True,
                         format_func={"onehot": "one-hot", "embedding": "fixed random embedding"}.__getitem__)
    embed_dim = InputSpec.embed_dim
    if encoding == "embedding":
        embed_dim = url_slider("Embedding size E", 1, MAX_EMBED_DIM, key="cell_embed_dim", default=embed_dim)
    return dict(text=typed, encoding=encoding, embed_dim=embed_dim)


def csv_upload() -> dict:
    upload = st.file_uploader("CSV: one row per step, one column per feature (optional header row)", type="csv",
                              key="cell_csv", max_upload_size=max(1, UPLOAD_MAX_BYTES // 1024**2))
    if upload is None:
        return dict(csv=None)
    return dict(csv=upload.getvalue(), csv_name=upload.name)


TERMS_NOTE = ("In the table of numbers each gate reads activation(input part + recurrent part) = value: the input "
              "part is W_i·x_t + b_i· (what this step's input x_t asks for), the recurrent part W_h·h_prev + b_h· "
              "(what the previous state asks for); h_prev is the state of the step before, 0 at the start.")


def units_to_show(tr) -> tuple[int, int, list[int]]:
    """The layer, direction and units the step tabs show."""
    left, middle, right = st.columns([1, 1, 2])
    layer = url_selectbox("Layer shown", tuple(range(tr.num_layers)), key="cell_layer", container=left)
    direction = url_radio("Direction shown", tuple(range(tr.num_directions)), key="cell_direction", container=middle,
                          horizontal=True, format_func=("forward", "backward").__getitem__)
    units = url_multiselect("Units j (the numbers show the first 3)", tuple(range(tr.hidden_size)), key="cell_units",
                            default=tuple(range(min(3, tr.hidden_size))), container=right, max_selections=8)
    if not units:
        right.caption("No unit chosen: the numbers and the lines show unit j = 0.")
    return layer, direction, units or [0]


@cached_resource
def animation_figure(_run, config: CellConfig, layer: int, direction: int, units: tuple[int, ...]):
    """The animation, with the numbers of `units` at every frame's step: it does not depend on the step t,
    so it is built once per tab and shared, read-only (st.plotly_chart and the HTML download only read it)."""
    return cell_animation(cell_states(_run.trace, layer, direction), _run.sequence.step_labels,
                          numbers=lambda t: step_rows(step_numbers(_run, layer, direction, t, units)))


def step_tabs(run, config: CellConfig, layer: int, direction: int, units: list[int]) -> tuple[str, Callable]:
    """The chosen step tab (see url_tab): only it is built and sent, one chart per rerun instead of four.

    Returns the tab's name and a function giving the figure the step fragment drew last, which
    the fragment keeps in this session's `drawn` dict: the tab's download button (see `downloads`)
    is outside the fragment, so moving t does not redraw it, yet it saves the step on screen."""
    drawn = st.session_state.setdefault("cell_step_figure", {})
    name = url_tab("Step view", tuple(STEP_FIGURES), key="cell_tab")
    step_tab(run, config, layer, direction, units, name, drawn)
    tr = run.trace
    st.latex(stacked(general_equations(tr.kind, tr.nonlinearity, direction, layer, tr.num_directions == 2)))
    st.caption(escape_markdown(TERMS_NOTE))
    if tr.kind == "gru":
        st.caption("GRU in PyTorch's convention: h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_prev, so z is the share of the "
                   "old state kept (some texts swap z and 1 − z).")
    return name, lambda: drawn["figure"]()


@cached_resource
def backward_figure(_run, config: CellConfig, layer: int, direction: int):
    """The backward-pass animation of one layer and direction: built once and shared, read-only."""
    return backward_animation(backward_pass(_run, layer, direction), _run.sequence.step_labels)


@cached_resource
def bars_scrub(_run, config: CellConfig, layer: int, direction: int, units: tuple[int, ...]) -> dict | None:
    """The bars and the numbers of `units` at every step, for the browser's step slider (None when they
    would be too big to send; see step_scrub): built once per tab and shared, read-only."""
    return step_scrub(cell_states(_run.trace, layer, direction), _run.sequence.step_labels,
                      rows_at=lambda t: step_rows(step_numbers(_run, layer, direction, t, units)))


@st.fragment
def step_tab(run, config: CellConfig, layer: int, direction: int, units: list[int], tab: str, drawn: dict) -> None:
    """The step slider, the chosen tab's chart and the numbers at step t; the figure on screen goes into
    `drawn` (as a function building it). A fragment: moving t reruns only these, not the tab choice, the
    unit choice above or the general equations below.

    The bars at step t are drawn in the browser with their slider (url_step_scrubber), which redraws
    them and the numbers at once as t moves, unless every step's numbers would be too big to send.
    Elsewhere the numbers are an HTML table, not LaTeX or Markdown: KaTeX typesetting at every step held
    the chart's frame back; the browser parses HTML once, a Markdown table at every redraw (see
    html_table). The animation has neither slider nor table here: it plays and scrubs in the browser and
    carries its own step slider and numbers."""
    with explain_errors():
        numbered = tuple(units[:MAX_EQUATION_UNITS])
        if tab == ANIMATION:
            show_step_figure(animation_figure(run, config, layer, direction, numbered[:ANIMATION_TABLE_UNITS]), tab,
                             drawn)
            return
        if tab == BACKWARD:
            show_step_figure(backward_figure(run, config, layer, direction), tab, drawn)
            st.caption(f"Loss L = the sum of the top layer's outputs at the last step, t = {run.trace.steps - 1}: the "
                       "gradient enters there and travels back through the steps. Each frame reveals one more step "
                       "of ‖dL/dh_t‖ (top) over the factor it passes through there (bottom).")
            return
        tr = run.trace
        states = cell_states(tr, layer, direction)
        scrub = bars_scrub(run, config, layer, direction, numbered) if tab == BARS else None
        if scrub is not None:
            t = url_step_scrubber(MAIN_CONTROL, scrub, key="cell_step", help=STEP_HELP)
            drawn["figure"] = lambda: step_bars(states, t, run.sequence.step_labels[t])
            return
        t = 0
        if tr.steps > 1:
            t = url_slider(MAIN_CONTROL, 0, tr.steps - 1, key="cell_step", default=0, help=STEP_HELP)
        if tab == BARS:
            st.caption("The numbers of every step would be too big to send to the browser at once here, so each "
                       "step is computed when t moves.")
            fig = step_bars(states, t, run.sequence.step_labels[t])
        elif tab == HEATMAPS:
            fig = state_heatmaps(states, t, inputs=layer_input(run, layer))
        else:
            fig = unit_lines(states, units, t, inputs=layer_input(run, layer),
                             input_names=layer_input_names(run, layer))
        show_step_figure(fig, tab, drawn)
        st.html(step_table(step_numbers(run, layer, direction, t, numbered)))


def show_step_figure(fig, tab: str, drawn: dict) -> None:
    plotly_chart(fig, key=f"cell_fig_{STEP_FIGURES[tab]}")
    drawn["figure"] = lambda: fig


def trace_sections(run, config: CellConfig) -> None:
    """The trace's summary and every section drawn from it."""
    st.caption(f"{escape_markdown(run.sequence.description)}: T = {run.trace.steps}, I = {run.sequence.input_size}. "
               + computed_on(run.trace.device, run.trace.dtype, run.seconds))
    if run.trace.first_nonfinite_step is not None:
        st.warning(f"The states overflow: they are infinite or NaN from step t = {run.trace.first_nonfinite_step} on. "
                   "Scale the input down or pick another initialisation.")
    subheader("Step by step")
    layer, direction, units = units_to_show(run.trace)
    tab, step_figure = step_tabs(run, config, layer, direction, units)
    subheader("Order matters")
    st.caption("The same module on the same steps in reverse order. Unless the sequence reads the same backwards, "
               "the final state generally differs: order is information, not just the set of inputs (a nearly "
               "linear cell, e.g. small weights, is nearly indifferent to it).")
    order = order_matters(final_state(run.trace, layer, direction), run.reversed_final[layer, direction],
                          run.sequence.step_labels)
    static_chart(order, key="cell_fig_order")
    subheader("Parameter count")
    bias = config.model is None or config.model.bias  # a visitor's model may have none
    counts = compare_kinds(run.sequence.input_size, config.hidden_size, config.num_layers, config.bidirectional, bias)
    params = parameter_counts(counts, f"I={run.sequence.input_size}, H={config.hidden_size}, L={config.num_layers}"
                              + (", bidirectional" if config.bidirectional else "") + ("" if bias else ", no biases"))
    static_chart(params, key="cell_fig_params")
    downloads(run, {STEP_FIGURES[tab]: (tab, step_figure), "order": ("Order matters", lambda: order),
                    "params": ("Parameter count", lambda: params)})


def download_figure(figure: Callable, name: str, title: str) -> None:
    """A button that downloads `figure()` as a standalone HTML file, built only when clicked (Streamlit
    calls the data function then, outside the script run: it must not read st.session_state)."""
    st.download_button(f"{title}: figure (HTML)", data=lambda: figure().to_html(include_plotlyjs=True),
                       file_name=f"inside_the_cell_{name}.html", mime="text/html", on_click="ignore",
                       key=f"cell_html_{name}")


def downloads(run, figures: dict[str, tuple[str, Callable]]) -> None:
    """Every download of the page in one popover: the trace as NPZ and CSV, and each of `figures`
    (file name → (title, function giving the figure)) as standalone HTML.

    In a popover, not on the page: the browser mounts a popover's buttons only while it is open, and
    Streamlit's client renders every element of the page again at each rerun, the step fragment's
    included (docs/performance.md)."""
    with st.popover("Download the trace or a figure", icon=":material/download:"):
        st.download_button("The trace (NPZ)", data=lambda: trace_npz_bytes(run.trace, run.sequence),
                           file_name="inside_the_cell_trace.npz", mime="application/octet-stream", on_click="ignore",
                           key="cell_npz")
        if csv_size_estimate(run.trace, run.sequence) <= EXPORT_CSV_MAX_BYTES:
            st.download_button("The trace (CSV)", data=lambda: trace_csv_bytes(run.trace, run.sequence),
                               file_name="inside_the_cell_trace.csv", mime="text/csv", on_click="ignore",
                               key="cell_csv_out")
        else:
            st.caption(f"The CSV would exceed {EXPORT_CSV_MAX_BYTES // 1024**2} MB at these sizes; the NPZ holds "
                       "every number.")
        for name, (title, figure) in figures.items():
            download_figure(figure, name, title)


st.title(TITLE)
st.caption("Every number below comes from a stock torch.nn module, traced step by step by seqviz.trace.")
settings = shared_settings()
own = own_model_panel(OWN_MODEL)
cell_column, input_column = st.columns(2)
with explain_errors():
    model = cell_controls(cell_column, own is not None)
    spec = input_controls(input_column, settings.seed)
    config = CellConfig(seed=settings.seed, device=settings.device, input=spec, **model)
    if own is not None:
        config = config.with_model(own)
        st.info(showing_caption(own, "the Cell settings (kind, H, L, D, initialisation, forget bias)"))
    run = cached_run(config)
trace_sections(run, config)
