"""Gradient flow: vanishing and exploding gradients through time, initialisation, gating and clipping."""
import math
import time
from dataclasses import replace

import streamlit as st

from seqviz.core.devices import computed_on
from seqviz.core.models import INITS, KIND_LABELS
from seqviz.figures.equations import stacked
from seqviz.figures.glossary import GLOSSARY, explain
from seqviz.figures.gradients import (
    compare_figure,
    fit_table,
    gradient_time_figure,
    itemised_figure,
    phase_figure,
    spectrum_figure,
    training_figure,
    training_heatmap_figure,
)
from seqviz.gradients.clipping import CLIP_MODES
from seqviz.gradients.flow import (
    HANDBOOK_EXPERIMENT,
    HANDBOOK_QUOTED_RATIO,
    ITEMISED_MAX_STEPS,
    KINDS,
    MAX_HIDDEN,
    MAX_LAYERS,
    FlowConfig,
    PhaseConfig,
    flow_kinds,
    gradient_through_time,
    is_handbook_experiment,
    itemised_gradients,
    jacobian_spectrum,
    length_grid,
    phase_sweep,
    phase_verdict,
    radius_grid,
)
from seqviz.gradients.tasks import TASKS
from seqviz.gradients.training import OPTIMIZERS, TaskTrainConfig, histories_csv, run_label, train_on_task
from seqviz.ui.cache import cached_data
from seqviz.ui.charts import plotly_chart
from seqviz.ui.components.instant import Chart
from seqviz.ui.errors import explain_errors
from seqviz.ui.headings import subheader
from seqviz.ui.live import LiveReport, LiveTraining
from seqviz.ui.prefetch import ValueGrid, charts_around, prefetch_neighbours
from seqviz.ui.session import SessionStore
from seqviz.ui.sidebar import shared_settings
from seqviz.ui.state import url_instant_number, url_number, url_radio, url_selectbox, url_slider, url_tab, url_toggle
from seqviz.ui.own_model import ModelUpload, own_model_panel, showing_caption

TITLE = "Gradient flow"
ICON = ":material/trending_down:"
SUMMARY = ("Why gradients vanish or explode through time in RNN, LSTM and GRU: per-step gradient norms, Jacobian "
           "spectra, who teaches whom, a (ρ, T) phase diagram, and clipping in live training.")
ORDER = 20
MAIN_CONTROL = "Sequence length T"
COSTLY_CONTROLS = {"Sequence length T": 120, "Hidden size H": 32, "Layers L": 2, "Updates": 20, "Longest T": 100,
                   "Number of radii ρ in [0.1, 3]": 8, "Batch size": 16, "Task length T": 40}

GRADIENT_THROUGH_TIME = "Gradient through time"
JACOBIAN_SPECTRUM = "Jacobian spectrum"
WHO_TEACHES_WHOM = "Who teaches whom"
PHASE_DIAGRAM = "Phase diagram"
CLIPPING_IN_TRAINING = "Clipping in training"
COMPARE_RUNS = "Compare runs"
VIEWS = (GRADIENT_THROUGH_TIME, JACOBIAN_SPECTRUM, WHO_TEACHES_WHOM, PHASE_DIAGRAM, CLIPPING_IN_TRAINING, COMPARE_RUNS)
EQUATIONS = {  # the views computed from the model controls and T: what each one measures
    GRADIENT_THROUGH_TIME: stacked([
        r"\frac{dL}{ds_t}=\frac{\partial L}{\partial s_t}+J_{t+1}^{\top}\frac{dL}{ds_{t+1}},\quad "
        r"J_{t+1}=\frac{\partial s_{t+1}}{\partial s_t}",
        r"s_t=h_t\ (\text{RNN, GRU}),\ (h_t,c_t)\ (\text{LSTM}),\quad \delta_t=\frac{dL}{dh_t}",
        r"\log_{10}\lVert\delta_t\rVert\approx b+\lambda\,(T-1-t),\qquad M=\frac{6}{-\lambda}"]),
    JACOBIAN_SPECTRUM: r"\frac{\partial s_{T-1}}{\partial s_s}=J_{T-1}J_{T-2}\cdots J_{s+1},\qquad "
                       r"J_t=\frac{\partial s_t}{\partial s_{t-1}}",
    WHO_TEACHES_WHOM: r"G_{t,s}=\Big\lVert\frac{dL_t}{dh_s}\Big\rVert,\quad s\le t,\qquad L_t=\sum_j y_{t,j}",
}
CURVES, FIT = "Curves", "Fit per model (λ, M, zeros)"  # the tabs of the gradient through time
RUNS = SessionStore("grad_runs", capacity=8)  # name → TrainHistory, for the 'Compare runs' view
LIVE = LiveTraining(stop_key="grad_stop", slot="grad_live")
T_GRID = ValueGrid(lowest=10, highest=5000, step=10)  # the values of Sequence length T
UNDERFLOW = ("Some gradients are exactly 0 in float32: they underflowed, and the curves drop to the row marked 0 "
             "at the bottom of the chart. Switch Precision to float64 to see their true size.")
REPEATS = {True: "training is seeded, so it would repeat exactly",
           False: "training is seeded and uses deterministic cuDNN kernels on the GPU, but PyTorch promises "
                  "bit-identical CUDA reruns only for the operations it lists as deterministic"}
cached_flow = cached_data(gradient_through_time)
cached_spectrum = cached_data(jacobian_spectrum)
cached_itemised = cached_data(itemised_gradients)
cached_phase = cached_data(phase_sweep)
OWN_MODEL = ModelUpload("grad_own_model", MAX_HIDDEN, MAX_LAYERS, bidirectional=False)  # in session state


def load_handbook_experiment() -> None:
    """Set the controls to the handbook's experiment (called before the widgets are drawn)."""
    s = HANDBOOK_EXPERIMENT
    st.session_state.update(grad_T=s.steps, grad_H=s.hidden_size, grad_layers=s.num_layers, grad_init=s.init,
                            grad_loss=s.loss, grad_dtype=s.dtype, grad_scale=s.input_scale,
                            grad_fb_on=s.forget_bias is not None, grad_nonlin=s.nonlinearity,
                            grad_view=GRADIENT_THROUGH_TIME)


def model_controls(seed: int, device: str) -> FlowConfig:
    """Every FlowConfig field but T (`flow_view` draws T, next to the view it drives), with the visitor's
    own model where one is uploaded (then the controls that make weights are disabled)."""
    own = own_model_panel(OWN_MODEL)
    fields = weight_controls(own is not None)
    config = FlowConfig(seed=seed, device=device, **fields)
    if own is None:
        return config
    st.info(showing_caption(own, "H, L, the RNN nonlinearity φ, the initialisation, ρ and the forget bias") +
            f" Its input x_t has its own I = {own.input_size}.")
    return config.with_model(own)


def weight_controls(own: bool) -> dict:
    """The FlowConfig fields but T, seed and device; those that make weights disabled (`own`)."""
    with st.expander("Model and input", expanded=True):
        st.button("Preset: the textbook's step 0 vs step 99 (a 100-step nn.RNN(32, 64))", on_click=load_handbook_experiment,
                  key="grad_preset")
        c1, c2, c3, c4 = st.columns(4)
        hidden = url_slider("Hidden size H", 4, MAX_HIDDEN, key="grad_H", default=FlowConfig.hidden_size, container=c2,
                            disabled=own)
        layers = url_slider("Layers L", 1, MAX_LAYERS, key="grad_layers", default=FlowConfig.num_layers, container=c3,
                            disabled=own)
        nonlin = url_radio("RNN nonlinearity φ", ("tanh", "relu"), key="grad_nonlin", default=FlowConfig.nonlinearity,
                           horizontal=True, container=c4, disabled=own)
        init = url_selectbox("Initialisation", INITS, key="grad_init", default=FlowConfig.init, container=c1,
                             disabled=own, help=explain("initialisation"))
        rho = url_slider("Spectral radius ρ (init normal)", 0.1, 3.0, key="grad_rho",
                         default=FlowConfig.spectral_radius, step=0.05, container=c2, disabled=own or init != "normal")
        scale = url_number("Input scale (x_t ~ N(0, scale²))", 0.01, 10.0, key="grad_scale",
                           default=FlowConfig.input_scale, container=c3)
        loss = url_radio("Loss on", ("last", "all"), key="grad_loss", default=FlowConfig.loss, horizontal=True,
                         container=c4, help="last: L = Σ_j y_{T−1,j}; all: the sum of that over every step.")
        dtype = url_radio("Precision", ("float32", "float64"), key="grad_dtype", default=FlowConfig.dtype,
                          horizontal=True, container=c1)
        f1, f2 = st.columns(2)  # a quarter of a projector's width cut the toggle's label
        fb_on = url_toggle("Set the LSTM forget bias", key="grad_fb_on", default=FlowConfig.forget_bias is not None,
                           container=f1, disabled=own,
                           help="Set the LSTM forget gate's total bias to the slider's value; off: the "
                                "initialisation's own.")
        forget_bias = url_slider("LSTM forget bias b_if + b_hf", -3.0, 5.0, key="grad_fb", default=1.0, step=0.5,
                                 container=f2, disabled=own or not fb_on)
    return dict(hidden_size=hidden, num_layers=layers, nonlinearity=nonlin, init=init, spectral_radius=rho,
                forget_bias=forget_bias if fb_on else None, input_scale=scale, loss=loss, dtype=dtype)


@st.fragment
def flow_view(view: str, settings: FlowConfig) -> None:
    """Sequence length T, right above the view computed from it, and the view.

    A fragment: changing T, the page's main control, reruns only this, not the title, the sidebar and
    the other dozen controls, which do not depend on T (changing one of those reruns the whole page).
    Over the gradient curves, T is drawn in the browser with the curves of T and of the next T
    (seqviz.ui.components.instant), so a click on − or + shows them before the server has heard of it.
    """
    if view != GRADIENT_THROUGH_TIME:
        steps, _ = sequence_length(charts=None)
        with explain_errors():
            {JACOBIAN_SPECTRUM: spectrum_view, WHO_TEACHES_WHOM: itemised_view}[view](replace(settings, steps=steps))
        return
    layer = layer_control(settings.num_layers)
    curves = url_tab("Gradient view", (CURVES, FIT), key="grad_tab") == CURVES
    charts = (lambda steps: curve_charts(settings, layer, steps)) if curves else None
    steps, chart = sequence_length(charts)
    with explain_errors():
        gradient_view(replace(settings, steps=steps), layer, chart)


def sequence_length(charts) -> tuple[int, Chart | None]:
    """Sequence length T, the page's main control, with the charts it drives (see url_instant_number)."""
    return url_instant_number(MAIN_CONTROL, T_GRID.lowest, T_GRID.highest, key="grad_T", default=FlowConfig.steps,
                              step=T_GRID.step, charts=charts)


def layer_control(num_layers: int) -> int:
    if num_layers == 1:
        return 0
    return url_slider("Layer shown", 0, num_layers - 1, key="grad_layer", default=0)


def curve_charts(settings: FlowConfig, layer: int, steps: int) -> dict[int, Chart] | None:
    """T → the curves, for `steps` and the T a click on − or + asks for (seqviz.ui.prefetch.charts_around)."""
    return charts_around(gradient_through_time, replace(settings, steps=steps), "steps", T_GRID,
                         lambda result, _: curves_chart(result, layer))


def curves_chart(result, layer: int) -> Chart:
    caption = computed_on(result.config.device, result.config.dtype, result.seconds)
    return Chart(gradient_time_figure(result, layer), caption, UNDERFLOW if result.float32_underflow(layer) else "")


def gradient_view(config: FlowConfig, layer: int, curves: Chart | None) -> None:
    """Under the curves (`curves`, drawn with T), the handbook's note where it applies; or, in a tab of
    its own, the fit per model: one tab at a time (see url_tab), only the chosen one sent. The table
    has its own tab because next to the chart it was redrawn in the same browser frame, delaying it."""
    result = cached_flow(config)
    if curves is None:
        st.markdown(fit_table(result, layer))
        st.caption("λ: least-squares slope of log₁₀‖dL/dh_t‖ against steps back from the end, over the "
                   "finite nonzero steps (negative: vanishing); Lyapunov: λ·ln 10. M: effective memory, steps "
                   "back until ‖dL/dh_t‖ falls by 10⁶ (∞ when λ ≥ 0). Exact 0s and inf/NaN: steps whose "
                   f"‖dL/dh_t‖ underflowed or overflowed. Last/first: ‖dL/dx_{config.steps - 1}‖ ÷ ‖dL/dx_0‖. "
                   + computed_on(config.device, config.dtype, result.seconds))
        if result.float32_underflow(layer):
            st.warning(UNDERFLOW)
        prefetch_neighbours(gradient_through_time, config, "steps", T_GRID, result.seconds)  # the − and + buttons
    if is_handbook_experiment(config):
        handbook_note(result)


def ratio_text(flow, dtype: str) -> str:
    if flow.grad_input_norm[0] == 0:
        return f"is infinite: ‖dL/dx_0‖ is **exactly 0**, the {dtype} gradient underflowed before reaching x_0"
    ratio = flow.input_ratio()
    return f"is {ratio:.3g}× (≈ 10^{math.log10(ratio):.0f}), with ‖dL/dx_0‖ = {flow.grad_input_norm[0]:.3g}"


def beyond_quote(flow) -> str:
    """How far the measured ratio is from the quoted one, in powers of ten (computed, not typed)."""
    ratio = flow.input_ratio() if flow.grad_input_norm[0] != 0 else math.inf
    if not math.isfinite(ratio):
        return f", not the quoted {HANDBOOK_QUOTED_RATIO:,}"
    return f", about 10^{math.log10(ratio / HANDBOOK_QUOTED_RATIO):.0f} times the quoted {HANDBOOK_QUOTED_RATIO:,}"


def handbook_note(result) -> None:
    rnn, lstm, dtype = result.kinds["rnn"], result.kinds["lstm"], result.config.dtype
    st.info(f"**A textbook experiment, measured.** A widely taught example of vanishing gradients runs a "
            f"100-step nn.RNN(32, 64) with PyTorch's default initialisation and the loss on the last output, and "
            f"compares ‖dL/dx_99‖ with ‖dL/dx_0‖ (the gradient reaching the last input and the first); the handbook "
            f"this course draws on quotes the ratio as \"{HANDBOOK_QUOTED_RATIO:,}×\". Computed here with PyTorch in {dtype} for this "
            f"seed, the RNN's ratio {ratio_text(rnn, dtype)}{beyond_quote(rnn)}. For nn.LSTM the ratio {ratio_text(lstm, dtype)}. Precision float64 shows the true size of "
            "gradients that underflow in float32; the seed in the sidebar shows how the numbers vary.")


def spectrum_view(config: FlowConfig) -> None:
    if config.model is None:
        kind = url_radio("Model", KINDS, key="grad_spec_kind", horizontal=True, format_func=KIND_LABELS.get)
    else:
        kind = config.model.kind
    layer = layer_control(config.num_layers)
    spectrum = cached_spectrum(config, kind, layer)
    plotly_chart(spectrum_figure(spectrum))
    state = "s = h" if kind != "lstm" else "s = (h, c), so 2H singular values"
    failure = (f"The plain {config.dtype} product {spectrum.naive_failure}s at s = {spectrum.naive_failure_step} "
               "(dashed line); the curve continues because it is computed with QR re-orthonormalisation and "
               "accumulated log-norms." if spectrum.naive_failure else
               f"The plain {config.dtype} product stays representable over all {config.steps} steps.")
    st.caption(f"State {state}. {failure} {computed_on(config.device, config.dtype, spectrum.seconds)}")


def itemised_view(config: FlowConfig) -> None:
    if config.steps > ITEMISED_MAX_STEPS:
        st.warning(f"This view takes T ≤ {ITEMISED_MAX_STEPS}; showing the first {ITEMISED_MAX_STEPS} steps.")
        config = replace(config, steps=ITEMISED_MAX_STEPS)
    layer = layer_control(config.num_layers)
    start = time.perf_counter()
    matrices = {kind: cached_itemised(config, kind, layer) for kind in flow_kinds(config)}
    plotly_chart(itemised_figure(matrices))
    st.caption("Row t: how strongly the loss at step t reaches back to each earlier state h_s. Each model's matrix "
               "comes from one batched backward pass (T copies, copy t carrying L_t). "
               + computed_on(config.device, config.dtype, time.perf_counter() - start))


def phase_view(seed: int) -> None:
    st.latex(stacked([r"\log_{10}\frac{\lVert dL/dh_0\rVert}{\lVert dL/dh_{T-1}\rVert},\qquad L=\sum_j h_{T-1,j}",
                      r"W_{h\cdot}\sim\mathcal N(0,1/H)\ \text{rescaled to spectral radius }\rho"]))
    c1, c2, c3, c4 = st.columns(4)
    hidden = url_slider("Hidden size H", 4, 64, key="grad_phase_H", default=PhaseConfig.hidden_size, container=c1)
    radii = url_slider("Number of radii ρ in [0.1, 3]", 5, 40, key="grad_phase_radii", default=len(PhaseConfig.rhos),
                       container=c2)
    longest = url_number("Longest T", 10, 2000, key="grad_phase_Tmax", default=max(PhaseConfig.lengths), step=10,
                         container=c3)
    scale = url_number("Input scale (x_t ~ N(0, scale²))", 0.0, 10.0, key="grad_phase_scale",
                       default=PhaseConfig.input_scale, container=c4,
                       help="With large inputs the RNN's tanh saturates and damps its gradient (a gate saturated "
                            "open, f → 1 or z → 1, keeps the LSTM's or GRU's); 0 removes the inputs.")
    gated = url_toggle("Add LSTM, GRU", key="grad_phase_gated", default=False,
                       help="Sweep LSTM and GRU too, each beside the RNN, with the same H, radii and lengths.")
    rhos, lengths = radius_grid(radii), length_grid(longest)
    kinds = KINDS if gated else ("rnn",)
    start = time.perf_counter()
    results = [cached_phase(PhaseConfig(kind, hidden, rhos, lengths, scale, seed)) for kind in kinds]
    wall = time.perf_counter() - start
    plotly_chart(phase_figure(results))
    computed = sum(r.seconds for r in results)
    cache_note = f"computed in {computed:.2f} s"
    if wall < 0.5 * computed:
        cache_note += " when first asked for, shown now from the cache"
    st.caption(f"One vectorised sweep per model over {len(rhos)} radii × {len(lengths)} lengths, on the CPU in "
               f"float64, input scale {scale:g}: {cache_note}.")
    st.markdown(" ".join(verdict_sentence(phase_verdict(r), seed) for r in results) + " " + SATURATION_NOTE)


SATURATION_NOTE = (
    "ρ > 1 does not by itself mean exploding. ρ is the gain of W at h = 0, where tanh has slope 1; an "
    "expanding W pushes the state away from 0 into tanh's flat tails, where each step's Jacobian "
    "diag(1 − h_t²)·W is smaller. Whether a long gradient then grows (the saturated state wanders "
    "chaotically) or shrinks (it settles) depends on the particular W, so the picture at large ρ and long "
    "T changes with the seed: change it in the sidebar.")


def verdict_sentence(verdict, seed: int) -> str:
    """One sentence on how the radii above 1 end at the longest T, counted from the sweep."""
    if not verdict.above_one:
        return f"{KIND_LABELS[verdict.kind]}: no radius above 1 in this sweep."
    return (f"**{KIND_LABELS[verdict.kind]}, seed {seed}, T = {verdict.longest}:** of the {verdict.above_one} "
            f"radii above 1, {verdict.exploding} explode (ratio > 10, red), {verdict.vanishing} vanish "
            f"(ratio < 1/10, blue) and {verdict.in_between} stay within 10× (pale).")


def train_controls(seed: int, device: str) -> TaskTrainConfig:
    c1, c2, c3, c4 = st.columns(4)
    task = url_radio("Task", TASKS, key="grad_task", default=TaskTrainConfig.task, horizontal=True, container=c1,
                     format_func={"adding": "adding problem", "copy": "copy memory"}.get,
                     help=explain("adding problem", "copy memory"))
    length = url_slider("Task length T", 20, 200, key="grad_task_T", default=TaskTrainConfig.length, container=c1,
                        help=explain("task length"))
    kind = url_radio("Model", KINDS, key="grad_train_kind", default=TaskTrainConfig.kind, horizontal=True,
                     format_func=KIND_LABELS.get, container=c2)
    hidden = url_slider("Hidden size H", 8, 128, key="grad_train_H", default=TaskTrainConfig.hidden_size, container=c2)
    nonlin = url_radio("RNN φ", ("tanh", "relu"), key="grad_train_nonlin", default=TaskTrainConfig.nonlinearity,
                       horizontal=True, container=c2, help="The RNN's nonlinearity, h_t = φ(W_i x_t + W_h h_{t−1} + b); "
                       "the LSTM and GRU ignore it.")
    rho_on = url_toggle("Set ρ", key="grad_train_rho_on",
                        default=TaskTrainConfig.spectral_radius is not None, container=c3,
                        help=explain("spectral radius") + " Off: PyTorch's default initialisation as it comes.")
    rho = url_slider("ρ of every W_h· block", 0.1, 3.0, key="grad_train_rho", default=1.0, step=0.05, container=c3,
                     disabled=not rho_on, help="Every recurrent block (one per gate) is rescaled to this spectral "
                     "radius.")
    clip = url_radio("Clipping", CLIP_MODES, key="grad_clip", default=TaskTrainConfig.clip, horizontal=True,
                     container=c3, format_func={"off": "off", "norm": "global norm", "value": "by value"}.get,
                     help=explain("clipping"))
    threshold = url_number("Clip threshold c", 0.1, 100.0, key="grad_clip_c", default=TaskTrainConfig.clip_threshold,
                           container=c3, disabled=clip == "off", help="c: the largest gradient norm (global norm) "
                           "or entry (by value) an update may use.")
    truncation = url_number("Truncated BPTT k (0 = full)", 0, 200, key="grad_tbptt", default=TaskTrainConfig.truncation,
                            step=1, container=c4, help=explain("truncated BPTT"))
    optimizer = url_radio("Optimizer", OPTIMIZERS, key="grad_opt", default=TaskTrainConfig.optimizer, horizontal=True,
                          container=c4, format_func={"adam": "Adam", "sgd": "SGD"}.get, help=explain("optimizer"))
    lr = url_number("Learning rate", 1e-5, 10.0, key="grad_lr", default=TaskTrainConfig.learning_rate, format="%.5f",
                    container=c4, help=explain("learning rate"))
    batch = url_slider("Batch size", 8, 128, key="grad_batch", default=TaskTrainConfig.batch_size, container=c1,
                       help=explain("batch size"))
    updates = url_number("Updates", 10, 2000, key="grad_updates", default=TaskTrainConfig.updates, step=10,
                         container=c2, help=explain("updates"))
    every = url_slider("‖dL/dh_t‖ sample every k updates", 1, 100, key="grad_every",
                       default=TaskTrainConfig.heatmap_every, container=c4, help=explain("heatmap sampling"))
    return TaskTrainConfig(task=task, length=length, kind=kind, hidden_size=hidden, nonlinearity=nonlin,
                           spectral_radius=rho if rho_on else None, clip=clip, clip_threshold=threshold,
                           truncation=truncation, optimizer=optimizer, learning_rate=lr, batch_size=batch,
                           updates=updates, heatmap_every=every, seed=seed, device=device)


def keep_run(history) -> str:
    """Keep `history` in the session's runs under a new name (#n, its settings, its status); returns it."""
    number = st.session_state["grad_run_count"] = st.session_state.get("grad_run_count", 0) + 1
    name = f"#{number} {run_label(history.config)} ({history.status})"
    RUNS.put(name, history)
    return name


def keep_stopped_run() -> None:
    """A run cut short by the Stop button (or by leaving the page) is kept as stopped."""
    stopped = LIVE.interrupted()
    if stopped is not None:
        stopped.status = "stopped"
        st.session_state["grad_current"] = keep_run(stopped)


def training_view(seed: int, device: str) -> None:
    st.latex(stacked([r"g\leftarrow g\cdot\min\Big(1,\frac{c}{\lVert g\rVert+10^{-6}}\Big)\ \text{(global norm)}",
                      r"g_i\leftarrow\operatorname{clip}(g_i,-c,c)\ \text{(by value)}"]))
    keep_stopped_run()
    config = train_controls(seed, device)
    go, stop = st.columns([1, 5])
    if go.button("Train", type="primary", key="grad_train"):
        same = [name for name, h in RUNS.entries().items() if h.config == config and h.status != "stopped"]
        if same:
            st.session_state["grad_current"] = same[-1]
            st.info(f"Same settings as {same[-1]}: showing it ({REPEATS[config.device == 'cpu']}).")
        else:
            history = LIVE.run(lambda on_progress: train_on_task(config, on_progress), training_report,
                               stop_container=stop)
            st.session_state["grad_current"] = keep_run(history)
    current = RUNS.entries().get(st.session_state.get("grad_current"))
    if current is not None:
        show_run(st.session_state["grad_current"], current)


def training_report(history) -> LiveReport:
    done, updates = history.updates_done, history.config.updates
    return LiveReport(done / updates, f"Update {done} of {updates}",
                      lambda: (training_figure(history), training_heatmap_figure(history)), snapshot=history)


def show_run(name: str, history) -> None:
    subheader(name)
    if history.status == "nan":
        st.error(history.message)
    elif history.status == "stopped":
        st.warning(f"Stopped by the user after {history.updates_done} updates; the curves so far are kept.")
    plotly_chart(training_figure(history))
    plotly_chart(training_heatmap_figure(history))
    finite = [v for v in history.loss if math.isfinite(v)]
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("final loss", f"{finite[-1]:.4g}" if finite else "—")
    c2.metric("memoryless baseline", f"{history.baseline:.4g}", help=GLOSSARY["memoryless baseline"])
    c3.metric("updates clipped", f"{history.fraction_clipped:.0%}")
    c4.metric("updates per second", f"{history.updates_done / max(history.seconds, 1e-9):.1f}")
    st.caption(computed_on(history.config.device, "float32", history.seconds))


def compare_view() -> None:
    runs = RUNS.entries()
    if not runs:
        st.info(f"No runs yet: train some in the '{CLIPPING_IN_TRAINING}' view; they are kept here for this session.")
        return
    if st.session_state.get("grad_compare_seen") != list(runs):  # a new run: show every run again
        st.session_state["grad_compare_seen"] = st.session_state["grad_compare"] = list(runs)
    names = st.multiselect("Runs", list(runs), key="grad_compare")
    chosen = {name: runs[name] for name in names}
    if chosen:
        plotly_chart(compare_figure(chosen))
        st.download_button("Download histories (CSV)", histories_csv(chosen), file_name="gradient_flow_runs.csv",
                           mime="text/csv", key="grad_csv")
    if st.button("Clear runs", key="grad_clear"):
        runs.clear()
        st.rerun()


st.title(TITLE)
st.caption("‖dL/dh_t‖ is the exact gradient of the loss w.r.t. the hidden state at step t, computed by seqviz.trace "
           "from PyTorch's own nn.RNN / nn.LSTM / nn.GRU.")
settings = shared_settings()
view = url_radio("View", VIEWS, key="grad_view", horizontal=True)
with explain_errors():
    if view in EQUATIONS:
        st.latex(EQUATIONS[view])
        flow_view(view, model_controls(settings.seed, settings.device))
    elif view == PHASE_DIAGRAM:
        phase_view(settings.seed)
    elif view == CLIPPING_IN_TRAINING:
        training_view(settings.seed, settings.device)
    else:
        compare_view()
