"""Recurrence vs attention: a small Transformer beside LSTM, GRU, S4D and Mamba."""
from functools import partial

import numpy as np
import streamlit as st

from seqviz.figures import transformer as figures
from seqviz.figures.equations import stacked
from seqviz.ssm.results import load_results, results_path
from seqviz.ssm.tasks import TASKS
from seqviz.transformer.cost import COST_KINDS, CostConfig, CostResult, fitted_slope, measure
from seqviz.transformer.learn import GENERALISATION_FACTORS, LearnResult, RetrainConfig, retrain, transformer_name
from seqviz.transformer.looks import SOURCES, LookConfig, LookResult, example, who_looks_at_whom
from seqviz.transformer.model import POSITIONAL
from seqviz.transformer.results import saved_result
from seqviz.ui.cache import cached_data, computation_note
from seqviz.ui.charts import plotly_chart
from seqviz.ui.components.instant import Chart
from seqviz.ui.errors import explain_errors
from seqviz.ui.live import LiveReport, LiveTraining
from seqviz.ui.session import SessionStore
from seqviz.ui.sidebar import shared_settings
from seqviz.ui.state import url_instant_choice, url_radio, url_seed, url_selectbox, url_slider, url_text

TITLE = "Recurrence vs attention"
ICON = ":material/compare_arrows:"
SUMMARY = ("A small Transformer beside LSTM, S4D and Mamba: who attends to whom, what each can learn, "
           "what a token costs.")
ORDER = 38
MAIN_CONTROL = "Source"
COSTLY_CONTROLS = {"Training steps": 40, "Longest context T": 4096, "Longest training length L": 256}

WHO_LOOKS = "Who looks at whom"
WHAT_LEARNS = "What each can learn"
TOKEN_COST = "What a token costs"
VIEWS = (WHO_LOOKS, WHAT_LEARNS, TOKEN_COST)
SOURCE_HELP = ("selective_copying and induction_heads: models trained on that task (the state-space page's Mamba "
               "and LSTM, this page's Transformer); corpus: the Language lab's Python source, read by untrained "
               "models.")
RETRAIN_LENGTHS = (16, 32, 64)
ROUNDING = 1e-9  # a float64 permutation deviation below this is rounding
RETRAIN_LAYERS = (1, 2)
RETRAIN_HEADS = (1, 2, 4)
CONTEXT_CHOICES = (1024, 4096, 16_384)
TRAIN_CHOICES = (256, 512, 1024, 2048)
WIDTH_CHOICES = (32, 64, 128)
RETRAINED = SessionStore("rva_retrained", capacity=8)  # RetrainConfig → LearnResult of this session
COSTS = SessionStore("rva_costs", capacity=8)  # CostConfig → CostResult measured in this session
RETRAIN_LIVE = LiveTraining(stop_key="rva_retrain_stop", stop_help="Stops training; a run cut short is not kept.")
MEASURE_LIVE = LiveTraining(stop_key="rva_cost_stop", stop_help="Stops measuring; nothing measured so far is kept.")
cached_looks = cached_data(who_looks_at_whom)
cached_example = cached_data(example)


def new_example(seed: int) -> None:
    """A new input of the chosen source (a callback: before the text box is drawn)."""
    st.session_state["rva_look_examples"] = st.session_state.get("rva_look_examples", 0) + 1
    source = st.session_state.get("rva_look_source", LookConfig.source)
    st.session_state["rva_look_text"] = cached_example(source, seed + st.session_state["rva_look_examples"])


def follow_source(source: str, seed: int) -> None:
    """When the source has changed since the last run (picked in the browser), its own example for the sidebar's
    seed replaces the input, so going back to a source shows what it showed before, from the cache."""
    shown = st.session_state.get("rva_look_shown")
    st.session_state["rva_look_shown"] = source
    if shown is not None and shown != source:
        st.session_state["rva_look_examples"] = 0
        st.session_state["rva_look_text"] = cached_example(source, seed)


def permutation_table(deviations: dict[str, float]) -> str:
    rows = "\n".join(f"| {setting} | {value:.1e} |" for setting, value in deviations.items())
    return "| Transformer | max over logits of ∣f(P x) − P f(x)∣ (float64) |\n|---|---|\n" + rows


def who_looks_at_whom_view(seed: int) -> None:
    """The source, drawn in the browser with the matrices of every source (seqviz.ui.components.instant), so a click
    shows them before the server has heard of it; under them the input, the encoding and the permutation check."""
    st.latex(stacked([r"A[t,s] = \mathrm{softmax}_s\!\left(q_t\cdot k_s/\sqrt{d_h}\right),\; s \le t",
                      r"\alpha[t,s] = C_t\Big(\prod_{k=s+1}^{t}\bar A_k\Big)\Delta_s B_s\quad "
                      r"J[t,s] = \lVert \partial y_t/\partial x_s \rVert_F"]))
    source = url_seed("rva_look_source", LookConfig.source, SOURCES, MAIN_CONTROL)
    follow_source(source, seed)
    text = url_seed("rva_look_text", cached_example(source, seed))
    positional = url_seed("rva_look_pe", LookConfig.positional, POSITIONAL)
    texts = {s: text if s == source else cached_example(s, seed) for s in SOURCES}
    url_instant_choice(MAIN_CONTROL, SOURCES, key="rva_look_source", default=LookConfig.source,
                       charts=lambda _: looks_charts(texts, positional, seed), help=SOURCE_HELP)
    c1, c2 = st.columns([3, 1])
    url_text("Input (one token per character)", key="rva_look_text", default=cached_example(source, seed),
             container=c1)
    c2.button("New example", on_click=new_example, args=(seed,))
    url_radio("Transformer's positional encoding", POSITIONAL, key="rva_look_pe", default=LookConfig.positional,
              horizontal=True, help="On a task: the Transformer trained with this encoding (all three are saved).")
    with explain_errors():  # an input the source does not take: said here, under the controls
        result: LookResult = cached_looks(look_config(source, text, positional, seed))
    st.markdown("**Permute the input and compare** (one random permutation P of the positions, from the sidebar's "
                "seed; the same weights, with the positional encoding and the causal mask switched off in turn):")
    st.markdown(permutation_table(result.permutation))
    st.caption(permutation_text(result.permutation))


def look_config(source: str, text: str, positional: str, seed: int) -> LookConfig:
    return LookConfig(source, text, positional, permutation_seed=seed, seed=seed)


def looks_charts(texts: dict[str, str], positional: str, seed: int) -> dict[str, Chart]:
    """Source → its matrices and caption on its input (`texts`), for every source that takes its input (the page
    says why one does not when it is chosen)."""
    charts = {}
    for source, text in texts.items():
        try:
            result = cached_looks(look_config(source, text, positional, seed))
        except ValueError:
            continue
        figure = figures.looks_figure(result.attention, result.mamba, result.lstm, result.chars)
        charts[source] = Chart(figure, looks_caption(result, positional))
    return charts


def looks_caption(result: LookResult, positional: str) -> str:
    layers, heads = result.attention.shape[:2]
    above = max(float(np.abs(np.triu(m, 1)).max()) for m in (*result.attention.reshape(-1, *result.mamba.shape),
                                                              result.mamba, result.lstm))
    return ((f"Models trained on this task at length 32: the Transformer ({layers} layers, {heads} heads, "
             f"{positional} positions) of scripts/transformer_results.py, the Mamba and LSTM of the state-space "
             "page." if result.trained else
             "Untrained models (seeded from the sidebar): no Transformer or Mamba is trained on the corpus, so "
             "these show what each architecture can reach, not what it learned.")
            + f" Largest entry above the diagonal (an output reading a later input), over every matrix: {above:g}.")


def permutation_text(deviations: dict[str, float]) -> str:
    """What the measured deviations say (the verdicts follow the numbers: nothing here is assumed)."""
    unmasked, masked = deviations["no positions, no mask"], deviations["no positions, causal mask"]
    verdict = "rounding only: the outputs permute with the inputs" if unmasked < ROUNDING else "more than rounding"
    mask = ("the causal mask alone already tells positions apart (token t sees t + 1 tokens)" if masked >= ROUNDING
            else "with the causal mask too the outputs permute with the inputs on this input")
    return (f"Measured on this input: without positions and without the mask the deviation is {unmasked:.1e}, "
            f"{verdict}; with the mask it is {masked:.1e}: {mask}.")


def merged_accuracy(saved: LearnResult, task: str) -> tuple[dict, dict]:
    """Accuracy and parameter counts of the five models: the state-space page's saved run and this page's."""
    accuracy, params = {}, {}
    ssm = load_results(results_path(task))
    if ssm is not None:
        accuracy.update(ssm.accuracy)
        params.update(ssm.params)
    accuracy.update(saved.accuracy)
    params.update({k: saved.params[transformer_name(saved.config.positional) if k == "transformer" else k]
                   for k in saved.accuracy})
    return accuracy, params


def accuracy_text(accuracy: dict[str, dict[int, float]]) -> str:
    return "; ".join(f"{figures.display_name(k)} " + ", ".join(f"{l}: {100 * a:.0f} %" for l, a in
                                                                      sorted(v.items())) for k, v in accuracy.items())


def retrain_report(config: RetrainConfig, name: str, length: int, step: int, loss: float) -> LiveReport | None:
    if step % 10 and step != config.steps - 1:
        return None
    return LiveReport((step + 1) / config.steps, f"{name} at length {length}: step {step + 1}/{config.steps}, "
                                                 f"loss {loss:.3f}")


def retrain_section(task: str, saved: LearnResult | None, seed: int) -> None:
    st.markdown("**Retrain the Transformer now** (live, on this server's CPU; the others keep their saved runs)")
    c1, c2, c3 = st.columns(3)
    positional = url_radio("Positional encoding", POSITIONAL, key="rva_learn_pe", default=RetrainConfig.positional,
                           container=c1, horizontal=True)
    length = url_selectbox("Training length L", RETRAIN_LENGTHS, key="rva_learn_L", default=RetrainConfig.length,
                           container=c2)
    steps = url_slider("Training steps", 20, 1600, key="rva_learn_steps", default=RetrainConfig.steps, step=20,
                       container=c3)
    c4, c5, _ = st.columns(3)
    layers = url_selectbox("Layers", RETRAIN_LAYERS, key="rva_learn_layers", default=RetrainConfig.n_layers,
                           container=c4)
    heads = url_selectbox("Heads", RETRAIN_HEADS, key="rva_learn_heads", default=RetrainConfig.n_heads, container=c5,
                          help="The width is chosen (a multiple of the heads) so the parameter count stays near "
                               "the Mamba model's.")
    config = RetrainConfig(task, positional, length, steps, layers, heads, seed)
    if st.button("Train the Transformer now (live)"):
        with explain_errors():
            result, _ = RETRAIN_LIVE.run(lambda on_progress: retrain(config, on_progress),
                                         partial(retrain_report, config))
        RETRAINED.put(config, result)
    live: LearnResult | None = RETRAINED.entries().get(config)
    if live is None:
        return
    name = transformer_name(positional)
    plotly_chart(figures.loss_figure(live.losses["transformer"][length],
                                     f"live run: {figures.display_name(name)}, {layers} layer(s), {heads} head(s), "
                                     f"L = {length}, {steps} steps"))
    shown = {f"{name} (live)": live.generalisation[name]}
    if saved is not None and saved.config.train_length == length:
        shown.update({k: v for k, v in saved.generalisation.items() if k != name})
    plotly_chart(figures.generalisation_figure(shown, length))
    st.markdown(f"**Live run ({live.params[name]:,} parameters):** " + accuracy_text(shown))


def what_each_learns_view(seed: int) -> None:
    task = url_selectbox("Task", TASKS, key="rva_learn_task", default=RetrainConfig.task)
    saved = saved_result(task)
    if saved is None:
        st.info("No saved comparison for this task (scripts/transformer_results.py writes it): retrain below.")
    else:
        accuracy, params = merged_accuracy(saved, task)
        plotly_chart(figures.accuracy_figure(accuracy, params))
        budget = saved.config.base
        st.markdown(f"**Measured (saved runs, {budget.steps} steps of batch {budget.batch} per model and length, "
                    f"lr {budget.lr}):** " + accuracy_text(accuracy) + ".")
        plotly_chart(figures.generalisation_figure(saved.generalisation, saved.config.train_length))
        factors = ", ".join(f"{k}L" for k in GENERALISATION_FACTORS)
        st.caption(f"Each model trained at L = {saved.config.train_length} and tested on held-out sequences of "
                   f"{factors} with the same number of answers. A learned position table has rows past L that "
                   "training never touched. Small models, short runs (a few minutes of one CPU core in all): "
                   "compare the ordering, not the numbers.")
    retrain_section(task, saved, seed)


def cost_report(what: str, size: int, fraction: float) -> LiveReport:
    return LiveReport(fraction, f"measuring {what} at {size:,} tokens")


def slopes_of(result: CostResult) -> dict[str, dict[str, float]]:
    return {what: {k: result.slope(what, k) for k in COST_KINDS} for what in ("token", "bytes", "train")}


def cost_text(result: CostResult, slopes: dict) -> str:
    """Sentences of computed numbers about the longest context measured."""
    T = result.contexts[-1]
    cache, lstm, mamba = (result.state_bytes[k][-1] for k in ("transformer", "lstm", "mamba"))
    per_token = {k: 1e3 * result.token_seconds[k][-1] for k in COST_KINDS}
    return (f"At T = {T:,} the Transformer's KV cache holds {cache / 2**20:,.1f} MiB, {cache / lstm:,.0f}× the "
            f"LSTM's state ({lstm:,} bytes) and {cache / mamba:,.0f}× Mamba's ({mamba:,} bytes), which stay the same "
            f"at every T. A token costs {per_token['transformer']:.2f} ms (Transformer), {per_token['lstm']:.2f} ms "
            f"(LSTM), {per_token['mamba']:.2f} ms (Mamba). Fitted slopes of per-token time: "
            + ", ".join(f"{figures.MODEL_NAMES[k]} {slopes['token'][k]:.2f}" for k in COST_KINDS)
            + tail_slope_text(result))


def tail_slope_text(result: CostResult) -> str:
    """The Transformer's per-token slope over the last two contexts, against the fit over all of them."""
    if len(result.contexts) < 3:
        return "."
    last = fitted_slope(np.asarray(result.contexts[-2:], dtype=float), result.token_seconds["transformer"][-2:])
    return (f"; the Transformer's between T = {result.contexts[-2]:,} and {result.contexts[-1]:,} alone: {last:.2f} "
            "(a fixed cost per call weighs most at small T; reading the cache grows with T).")


def token_cost_view(device: str, seed: int) -> None:
    c1, c2, c3 = st.columns(3)
    longest = url_selectbox("Longest context T", CONTEXT_CHOICES, key="rva_cost_T",
                            default=CostConfig.longest_context, container=c1)
    longest_train = url_selectbox("Longest training length L", TRAIN_CHOICES, key="rva_cost_L",
                                  default=CostConfig.longest_train, container=c2,
                                  help="Training steps at long L take seconds (the Transformer's L × L attention).")
    width = url_selectbox("Width d", WIDTH_CHOICES, key="rva_cost_d", default=CostConfig.d_model, container=c3)
    with explain_errors():
        config = CostConfig(longest_context=longest, longest_train=longest_train, d_model=width, device=device,
                            seed=seed)
    stopped = st.session_state.get(MEASURE_LIVE.stop_key, False)  # this run answers a click on Stop
    again = st.button("Measure again", help="Measurements are kept for this session; this measures anew.")
    result: CostResult | None = None if again else COSTS.entries().get(config)
    if result is None and stopped:
        st.info("Measuring stopped: nothing is shown until “Measure again”.")
        return
    if result is None:
        with explain_errors():
            result = MEASURE_LIVE.run(lambda on_progress: measure(config, on_progress), cost_report)
        COSTS.put(config, result)
    slopes = slopes_of(result)
    plotly_chart(figures.token_cost_figure(result.contexts, result.token_seconds, result.state_bytes, slopes,
                                           result.device))
    st.markdown(cost_text(result, slopes))
    plotly_chart(figures.train_cost_figure(result.train_lengths, result.train_seconds, slopes["train"],
                                           result.device))
    counts = ", ".join(f"{figures.MODEL_NAMES[k]} {n:,}" for k, n in result.params.items())
    st.caption(f"{config.n_layers} layers of width {width} each, untrained ({counts} parameters); generation: the "
               f"median of {config.tokens_timed} single-token steps, batch 1; training: the median of {config.repeats} "
               f"forward + backward passes of batch {config.batch}. The LSTM runs "
               "PyTorch's fused kernel, the others plain PyTorch ops; timings are this server's, noisy, and depend "
               "on what else it runs.")


st.title(TITLE)
settings = shared_settings()
view = url_radio("View", VIEWS, key="rva_view", horizontal=True)
if view != TOKEN_COST and settings.device != "cpu":
    st.caption(f"This view computes on the CPU, not on the sidebar's {settings.device}: its models have about "
               "3,000 parameters. 'What a token costs' measures on the sidebar's device.")
with explain_errors():
    if view == WHO_LOOKS:
        with computation_note("cpu", "float32 (the permutation check in float64)"):
            who_looks_at_whom_view(settings.seed)
    elif view == WHAT_LEARNS:
        what_each_learns_view(settings.seed)
    else:
        token_cost_view(settings.device, settings.seed)
