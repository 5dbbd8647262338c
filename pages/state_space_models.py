"""State-space models: S4/S4D kernels, HiPPO memory, conv = recurrence, Mamba's selection, a task race."""
import math
from contextlib import nullcontext
from functools import partial

import numpy as np
import streamlit as st

from seqviz.figures import ssm as figures
from seqviz.figures.equations import stacked
from seqviz.figures.glossary import explain
from seqviz.ssm import s4
from seqviz.ssm.compare import CompareConfig, closing_losses, compare, ranked_at
from seqviz.ssm.lab import (
    KERNEL_INITS,
    LEGS_BASIS,
    MAX_SELECTION_LENGTH,
    SIGNALS,
    MemoryConfig,
    SSMConfig,
    conv_and_scan,
    hippo_memory,
    inspect_selection,
    large_step_limit,
    legs_comparison,
    radius_text,
    ssm_kernels,
)
from seqviz.ssm.results import inspected_models, inspection_example, load_results, results_path
from seqviz.ssm.tasks import ALPHABET, TASKS
from seqviz.ui.cache import cached_data, cached_resource, computation_note
from seqviz.ui.charts import plotly_chart
from seqviz.ui.components.instant import Chart, static_chart
from seqviz.ui.errors import explain_errors
from seqviz.ui.live import LiveReport, LiveTraining
from seqviz.ui.prefetch import ValueGrid, charts_around
from seqviz.ui.session import SessionStore
from seqviz.ui.sidebar import shared_settings
from seqviz.ui.state import url_instant_slider, url_radio, url_selectbox, url_slider, url_tab, url_text

TITLE = "State-space models"
ICON = ":material/waves:"
SUMMARY = "S4/S4D kernels and HiPPO memory, convolution = recurrence, and how Mamba selects what to remember."
ORDER = 40
MAIN_CONTROL = "State size N"
COSTLY_CONTROLS = {"Training steps per model": 20}

KERNEL_EXPLORER = "Kernel explorer"
MEMORY = "Memory (HiPPO)"
CONV_EQUALS_RECURRENCE = "Conv = recurrence"
SELECTION = "Selection (Mamba)"
COMPARE_ON_A_TASK = "Compare on a task"
VIEWS = (KERNEL_EXPLORER, MEMORY, CONV_EQUALS_RECURRENCE, SELECTION, COMPARE_ON_A_TASK)
KERNELS, EIGENVALUES = "Kernels K_l", "Eigenvalues of Ā"  # the kernel explorer's tabs
N_GRID = ValueGrid(lowest=4, highest=256, step=2)  # the values of State size N
N_HELP = "Complex inits store N/2 conjugate pairs."
DISCRETISATIONS = {  # (Ā, B̄) of each method in seqviz.ssm.s4.discretize
    "zoh": r"\bar A = e^{\Delta A},\; \bar B = A^{-1}(e^{\Delta A}-I)B \;\;(\text{zoh})",
    "bilinear": r"\bar A = (I-\tfrac{\Delta}{2}A)^{-1}(I+\tfrac{\Delta}{2}A),\; "
                r"\bar B = (I-\tfrac{\Delta}{2}A)^{-1}\Delta B \;\;(\text{bilinear})",
}
LENGTH_CHOICES = ("16, 32, 64", "16, 32", "8")  # the compare view's lengths, as the URL writes them
PAPER = {"paper: S4, no gate ≈ 18 %": 18.0, "paper: S6 (Mamba) ≈ 99.8 %": 99.8}
COMPARISONS = SessionStore("ssm_cmp_results", capacity=8)  # CompareConfig → CompareResult trained in this session
COMPARE_LIVE = LiveTraining(stop_key="ssm_cmp_stop",
                            stop_help="Stops training; a comparison cut short is not kept (the saved one is shown).")
cached_kernels = cached_data(ssm_kernels)
cached_legs = cached_data(legs_comparison)
cached_memory = cached_data(hippo_memory)
cached_conv_scan = cached_data(conv_and_scan)
cached_inspected_models = cached_resource(inspected_models)


def ssm_controls(prefix: str, seed: int) -> dict:
    """Init, Δ, discretisation and L, with keys `prefix`_… (one set per view); N is `state_size`."""
    c1, c2, c3, c4 = st.columns(4)
    init = url_selectbox("Initialisation", KERNEL_INITS, key=f"{prefix}_init", default=SSMConfig.init, container=c1,
                         help="S4D-LegS/Inv/Lin/Real diagonal A, or the dense HiPPO-LegS matrix (N ≤ 64).")
    log_dt = url_slider("log₁₀ Δ", -4.0, 0.0, key=f"{prefix}_logdt", default=math.log10(SSMConfig.dt), step=0.25,
                        container=c2, help="Step size Δ from 1e-4 to 1 (log scale).")
    method = url_radio("Discretisation", s4.METHODS, key=f"{prefix}_method", default=SSMConfig.method, container=c3)
    L = url_selectbox("Length L", (256, 1024, 4096, 16384), key=f"{prefix}_L", default=SSMConfig.L, container=c4)
    return dict(init=init, dt=float(10**log_dt), method=method, L=L, seed=seed)


def state_size(prefix: str) -> int:
    return url_slider(MAIN_CONTROL, N_GRID.lowest, N_GRID.highest, key=f"{prefix}_N", default=SSMConfig.N,
                      step=N_GRID.step, help=N_HELP)


def kernel_explorer(seed: int) -> None:
    equation = st.empty()  # above the controls, written once the method is known
    fields = ssm_controls("ssm_k", seed)
    equation.latex(stacked([DISCRETISATIONS[fields["method"]], r"K_l = C\,\bar A^{\,l}\,\bar B,\; l = 0,\dots,L-1"]))
    kernels(fields, url_tab("Kernel view", (KERNELS, EIGENVALUES), key="ssm_k_tab"))
    legs_convergence()


@st.fragment
def kernels(fields: dict, tab: str) -> None:
    """State size N (on its own row, right above the plot it drives) and the chosen tab's plot: the
    kernels, or Ā's eigenvalues (see url_tab): only the chosen one is computed and sent.

    A fragment: changing N, the page's main control, reruns only this, not the title, the sidebar,
    the other controls or the LegS comparison, which do not depend on N. N is drawn in the browser with
    the plots of N and N ± 2 (seqviz.ui.components.instant), so its arrow keys show them before the server hears.
    """
    N, chart = url_instant_slider(MAIN_CONTROL, N_GRID.lowest, N_GRID.highest, key="ssm_k_N", default=SSMConfig.N,
                                  step=N_GRID.step, charts=lambda N: kernel_charts(fields, tab, N), help=N_HELP)
    if chart is None:  # N could not be computed: say why
        with explain_errors():
            cached_kernels(SSMConfig(N=N, **fields))


def kernel_charts(fields: dict, tab: str, N: int) -> dict[int, Chart] | None:
    """N → the chosen tab's plot and caption, for N and its neighbours (seqviz.ui.prefetch.charts_around)."""
    try:
        config = SSMConfig(N=N, **fields)
    except (ValueError, TypeError):
        return None
    return charts_around(ssm_kernels, config, "N", N_GRID, lambda result, c: kernel_chart(result, c, tab))


def kernel_chart(result, config: SSMConfig, tab: str) -> Chart:
    radius = radius_text(result.max_abs_eig_A_bar)
    if tab == KERNELS:
        title = f"kernel K_l, {config.init}, N={config.N}, Δ={config.dt:.1e}, {config.method}"
        channels = [f"channel {c} (random C)" for c in range(config.channels)]
        return Chart(figures.kernel_figure(result.K, channels, title),
                     f"max |λ(Ā)| = {radius} (< 1: the recurrence is stable; the tab '{EIGENVALUES}' shows "
                     "every eigenvalue).")
    return Chart(figures.eigenvalue_figure(result.eig_A, result.eig_A_bar, config.dt),
                 f"max |λ(Ā)| = {radius}. Move the slider under the right plot to see Ā's eigenvalues travel as Δ "
                 f"changes: small Δ keeps them near 1 (long memory), large Δ {large_step_limit(config.method)} "
                 f"({config.method}).")


def legs_convergence() -> None:
    n = url_selectbox("LegS basis kernel n", LEGS_BASIS, key="ssm_legs_n",
                      help="Which HiPPO-LegS state x_n to read out (C = e_n) in the comparison below.")
    legs = cached_legs(coefficient=n)
    static_chart(figures.legs_comparison_figure(legs.t, legs.dense, legs.diagonal, legs.relative_difference, n),
                 key="ssm_legs_chart")
    st.caption("S4D-LegS keeps HiPPO-LegS's normal part A + P Pᵀ, drops the low-rank term and, in the theory, halves B "
               "(Gu et al. 2022; the authors' code keeps B whole). ZOH kernels at Δ = 0.02; the dense reference is exact for every N because "
               "HiPPO-LegS's A is lower-triangular. Measured relative L2 differences: "
               + ", ".join(f"N={N}: {d:.3f}" for N, d in legs.relative_difference.items())
               + f" — they fall like N^(−{legs.order:.2f}). The convergence is weak, not pointwise "
                 "(Yu et al. 2024): in continuous time the diagonal kernel starts at half the dense one "
                 "(B/2) and keeps a fast oscillation of undiminished size; averaging over each step Δ, as "
                 "ZOH does, cancels it. At smaller Δ the same agreement needs a larger N.")


def memory(seed: int) -> None:
    st.latex(stacked([r"c'(t) = \tfrac{1}{t}A\,c(t) + \tfrac{1}{t}B\,u(t),\quad B_n = \sqrt{2n+1}",
                      r"A_{nk} = -\begin{cases}\sqrt{2n+1}\sqrt{2k+1} & n>k\\ n+1 & n=k\\ 0 & n<k\end{cases}",
                      r"u(s) \approx \sum_{n<N} c_n(t)\sqrt{2n+1}\,P_n\!\left(\tfrac{2s}{t}-1\right),\; s\in[0,t]"]))
    c1, c2, c3 = st.columns(3)
    signal = url_selectbox("Signal", SIGNALS, key="ssm_mem_signal", default=MemoryConfig.signal, container=c1)
    T = url_slider("Length T", 100, 4000, key="ssm_mem_T", default=MemoryConfig.T, step=100, container=c2)
    N = url_slider("Coefficients N", 2, 256, key="ssm_mem_N", default=MemoryConfig.N, container=c3)
    t = url_slider("Time t (scrub)", 1, T - 1, key="ssm_mem_t", default=T // 2,
                   help="The state c(t) at this time is all the model keeps; the red curve is rebuilt from it.")
    with explain_errors():
        result = cached_memory(MemoryConfig(signal, T, N, seed))
    reconstruction, rms = result.history_at(t)
    plotly_chart(figures.memory_figure(np.arange(T), result.u, t, reconstruction, N))
    st.metric("RMS error of the history [0, t]", f"{rms:.2e}")
    plotly_chart(figures.memory_error_figure(result.error_times, result.errors))


def conv_equals_recurrence(seed: int) -> None:
    st.latex(stacked([r"y = K * u + Du \;\;(\text{FFT}, O(L\log L))\quad\text{vs}",
                      r"x_k = \bar A x_{k-1} + \bar B u_k,\; y_k = C x_k + D u_k \;\;(\text{scan}, O(L)\text{ sequential steps})"]))
    config = SSMConfig(N=state_size("ssm_c"), **ssm_controls("ssm_c", seed))
    with explain_errors():
        result = cached_conv_scan(config)
    st.metric("max |conv − scan|", f"{result.max_difference:.2e}")
    plotly_chart(figures.conv_scan_figure(result.y_conv, result.y_scan))
    plotly_chart(figures.timing_figure(result.lengths, result.seconds))
    st.caption("Timed once per length on this server while computing (first run), so the numbers are noisy; "
               "`python -m benchmarks.ssm_speed` measures them carefully.")


@cached_data
def cached_selection(task: str, text: str):
    """`inspect_selection` of the models trained on `task`, cached per (task, text): choosing another
    hidden-attention channel does not run both models again."""
    models = cached_inspected_models(task)
    return inspect_selection(text, models["mamba"], models["lstm"])


def new_example(task: str, seed: int) -> None:
    st.session_state["ssm_sel_examples"] = st.session_state.get("ssm_sel_examples", 0) + 1
    st.session_state["ssm_sel_text"] = inspection_example(task, seed + st.session_state["ssm_sel_examples"])


def example_of_chosen_task(seed: int) -> None:
    """A new task replaces the input by one of its examples: the old task's input would not test its models."""
    new_example(st.session_state["ssm_sel_task"], seed)


def selection(seed: int) -> None:
    st.latex(stacked([r"\Delta_t = \mathrm{softplus}(W_\Delta x_t + b_\Delta),\quad \bar A_t = e^{\Delta_t A}",
                      r"h_t = \bar A_t h_{t-1} + \Delta_t B_t x_t,\quad y_t = C_t h_t + D x_t",
                      r"\alpha[t,s] = C_t\Big(\prod_{k=s+1}^{t}\bar A_k\Big)\Delta_s B_s"]))
    c1, c2 = st.columns([1, 2])
    task = url_selectbox("Trained on", TASKS, key="ssm_sel_task", container=c1, on_change=example_of_chosen_task,
                         args=(seed,))
    st.button("New example of this task", on_click=new_example, args=(task, seed))
    text = url_text(f"Input ({ALPHABET!r}: '.' noise, a–h data, '?' marker/trigger)", key="ssm_sel_text",
                    default=inspection_example(task, seed), container=c2, max_chars=MAX_SELECTION_LENGTH)
    with explain_errors():
        result = cached_selection(task, text)
    st.caption("Predictions at every position — Mamba: `" + result.predictions["mamba"] + "`, LSTM: `"
               + result.predictions["lstm"] + "` (only the answer positions are trained).")
    plotly_chart(figures.delta_figure(result.chars, result.delta))
    channel = url_selectbox("Hidden-attention channel", ("mean",) + tuple(range(result.alpha.shape[0])),
                            key="ssm_sel_channel")
    alpha = result.hidden_attention(None if channel == "mean" else channel)
    left, right = st.columns(2)
    plotly_chart(figures.hidden_attention_figure(alpha, result.chars,
                                                 "mean over channels" if channel == "mean" else f"channel {channel}"),
                 left)
    plotly_chart(figures.gate_figure(result.forget, result.chars, "forget gate f_t"), right)
    plotly_chart(figures.state_figure(result.state_norm, result.chars), left)
    plotly_chart(figures.gate_figure(result.input_gate, result.chars, "input gate i_t"), right)


def lengths_text(lengths: tuple[int, ...]) -> str:
    return ", ".join(map(str, lengths))


def compare_report(config: CompareConfig, kind: str, length: int, step: int, steps: int,
                   loss: float) -> LiveReport | None:
    if step % 10 and step != steps - 1:
        return None
    return LiveReport(config.fraction_done(kind, length, step),
                      f"{kind} at length {length}: step {step + 1}/{steps}, loss {loss:.3f}")


def compare_on_a_task(seed: int) -> None:
    c1, c2, c3 = st.columns(3)
    task = url_selectbox("Task", TASKS, key="ssm_cmp_task", default=CompareConfig.task, container=c1,
                         help=explain("selective copying", "induction heads"))
    steps = url_slider("Training steps per model", 20, 2000, key="ssm_cmp_steps", default=CompareConfig.steps, step=20,
                       container=c2,
                       help="Budget of a live run (“Train now”); the saved run states its own budget below the charts.")
    lengths = url_selectbox("Lengths", LENGTH_CHOICES, key="ssm_cmp_lengths",
                            default=lengths_text(CompareConfig.lengths), container=c3)
    config = CompareConfig(task=task, steps=steps, lengths=tuple(int(x) for x in lengths.split(",")), seed=seed)
    if st.button("Train now (live)", help="Trains all three models at every length with this budget."):
        COMPARISONS.put(config, COMPARE_LIVE.run(lambda on_progress: compare(config, on_progress)[0],
                                                 partial(compare_report, config)))
    live = COMPARISONS.entries().get(config)
    saved = load_results(results_path(task))
    result = live or saved
    if result is None:
        st.info("No saved comparison for this task: press “Train now”.")
        return
    source = "live run" if live is not None else "saved run (scripts/ssm_compare_results.py)"
    plotly_chart(figures.accuracy_figure(result.accuracy, result.params, PAPER if task == "selective_copying" else None))
    plotly_chart(figures.training_figure(result.losses))
    measured = "; ".join(f"{figures.MODEL_NAMES[k]} " + ", ".join(f"l={l}: {100 * a:.1f} %" for l, a in sorted(v.items()))
                         for k, v in result.accuracy.items())
    st.markdown(f"**Measured ({source}, {result.config.steps} steps, batch {result.config.batch}):** {measured}.")
    if task == "selective_copying":
        st.markdown("**Paper (Gu & Dao 2023, Table 1, L = 4096, 16 tokens, 2-layer models):** S4 without a gate ≈ 18 %, "
                    "S6/Mamba ≈ 99.8 %. Our sizes are far smaller (one layer, ~3k parameters, short sequences, "
                    f"{result.config.n_memorize} tokens), so compare the ordering, not the numbers.")
        st.markdown(ordering_sentence(result, None if saved is None else saved.config.steps))


def ordering_sentence(result, saved: int | None) -> str:
    """What the shown run says about the paper's ordering at its longest length, and, where Mamba is not
    first, the reason this page can give: a budget shorter than the saved run's."""
    longest = max(result.config.lengths)
    ranked = ranked_at(result, longest)
    order = " > ".join(f"{figures.MODEL_NAMES[k]} {100 * accuracy:.1f} %" for k, accuracy in ranked)
    if ranked[0][0] == "mamba":
        return f"**This run at length {longest}:** {order}: Mamba first, as in the paper."
    why = ""
    if saved is not None and result.config.steps < saved:
        earlier, last = closing_losses(result.losses["mamba"][longest])
        falling = f" (its loss still fell from {earlier:.3f} to {last:.3f} over the last fifth)" if last < earlier else ""
        why = (f" With {result.config.steps} updates per model, fewer than the saved run's {saved}, Mamba has had "
               f"less time to learn which tokens to keep{falling}. Train with {saved} steps to compare with the "
               "saved run.")
    return f"**This run at length {longest}:** {order}: Mamba is not first here, unlike the paper.{why}"


SECTIONS = {KERNEL_EXPLORER: kernel_explorer, MEMORY: memory, CONV_EQUALS_RECURRENCE: conv_equals_recurrence,
            SELECTION: selection, COMPARE_ON_A_TASK: compare_on_a_task}  # each drawn from the sidebar's seed
PRECISION = {KERNEL_EXPLORER: "float64", MEMORY: "float64", CONV_EQUALS_RECURRENCE: "float64",
             SELECTION: "float32"}  # of the sections computed when drawn

st.title(TITLE)
settings = shared_settings()
if settings.device != "cpu":
    st.caption(f"This page computes on the CPU, not on the sidebar's {settings.device}: its kernels and scans are "
               "small, and its models have about 3,000 parameters.")
view = url_radio("View", VIEWS, key="ssm_view", horizontal=True)
note = computation_note("cpu", PRECISION[view]) if view in PRECISION else nullcontext()  # none for a saved or live run
with explain_errors(), note:
    SECTIONS[view](settings.seed)
