"""Attention: why an encoder–decoder RNN forgets long inputs, and how attention fixes it."""
from __future__ import annotations

from contextlib import nullcontext
from functools import partial

import streamlit as st

from seqviz.core.devices import device_label
from seqviz.figures.attention import alignment_figure, bottleneck_figure, exposure_figure, training_figure
from seqviz.figures.equations import decoder_equations, stacked
from seqviz.seq2seq.attention import ATTENTIONS
from seqviz.seq2seq.experiments import (
    SWEEP_LENGTH_STEP,
    SweepConfig,
    align,
    bottleneck_sweep,
    EXPOSURE_EXTRA_LENGTH,
    exposure_bias,
    sweep_lengths,
)
from seqviz.seq2seq.model import MAX_BEAM_WIDTH, SEQ2SEQ_CELLS, ModelConfig
from seqviz.seq2seq.shipped import shipped_models, shipped_sweep
from seqviz.seq2seq.tasks import MAX_DELAY, MAX_LENGTH, TASKS, TaskSpec, task_spec, uses_lengths
from seqviz.seq2seq.training import (
    MAX_TRAINING_STEPS,
    Seq2SeqConfig,
    TrainedModel,
    snapshot,
    train_seq2seq,
    with_attention,
)
from seqviz.ui.cache import cached_resource, computation_note
from seqviz.ui.charts import plotly_chart
from seqviz.ui.components.instant import Chart
from seqviz.ui.errors import explain_errors
from seqviz.ui.live import LiveReport, LiveTraining
from seqviz.ui.session import SessionStore
from seqviz.ui.sidebar import shared_settings
from seqviz.ui.state import url_instant_choice, url_number, url_radio, url_selectbox, url_slider, url_text, url_toggle

TITLE = "Attention"
ICON = ":material/center_focus_strong:"
SUMMARY = ("Seq2seq RNNs with and without Bahdanau/Luong attention: train live, watch alignments form, "
           "measure the fixed-vector bottleneck and exposure bias.")
ORDER = 30
MAIN_CONTROL = "Task"
COSTLY_CONTROLS = {"Training updates": 20, "Updates per model": 10}

TRAIN, ALIGNMENT, BOTTLENECK, EXPOSURE_BIAS = "Train", "Alignment", "Bottleneck", "Exposure bias"
VIEWS = (TRAIN, ALIGNMENT, BOTTLENECK, EXPOSURE_BIAS)
EXAMPLES = {"reverse": "3141592653", "sort": "3141592653", "copy-delay": "3141592653", "dates": "23 Nov 2026"}
MODELS = SessionStore("attn_models", capacity=8)  # Seq2SeqConfig → TrainedModel trained in this session
SWEEPS = SessionStore("attn_sweeps", capacity=8)  # SweepConfig → SweepResult run in this session
LIVE = LiveTraining(stop_key="attn_stop", slot="attn_live",
                    stop_help="Stops training; the model as of the last evaluation is kept.")
SWEEP_LIVE = LiveTraining(stop_key="attn_sweep_stop", stop_help="Stops the sweep; a sweep cut short is not kept.")
FEEDING_UNAVAILABLE = {"none": "Input feeding passes on the attentional state h̃, which needs attention: "
                               "choose a Luong-style score (luong-*, scaled-dot).",
                       "bahdanau": "Bahdanau's decoder already reads its context in each step; input feeding "
                                   "belongs to Luong-style decoders (luong-*, scaled-dot)."}
cached_shipped_models = cached_resource(shipped_models)
cached_shipped_sweep = cached_resource(shipped_sweep)
PENDING = "attn_train_pending"  # a Seq2SeqConfig to train in the next full run of the page (request_training)
PENDING_SWEEP = "attn_sweep_pending"  # a SweepConfig to run in the next full run (Stop interrupts a full run)


def model_controls(seed: int) -> tuple[tuple[int, int, int], dict]:
    """Architecture and training widgets → the task's (shortest, longest, delay) and the other Seq2SeqConfig
    fields (`task_view` draws the task itself, above the view)."""
    with st.expander("Task, model and training", expanded=True):
        c1, c2, c3, c4 = st.columns(4)
        shortest = url_slider("Shortest source", 1, MAX_LENGTH, key="attn_min_len", default=TaskSpec.min_length,
                              container=c1)
        longest = url_slider("Longest source", 1, MAX_LENGTH, key="attn_max_len", default=TaskSpec.max_length,
                             container=c1,
                             help="Training draws source lengths uniformly from shortest..longest (not for dates).")
        delay = url_slider("Delay (copy-delay)", 0, MAX_DELAY, key="attn_delay", default=TaskSpec.delay, container=c1)
        cell = url_selectbox("Cell", SEQ2SEQ_CELLS, key="attn_cell", default=ModelConfig.cell, container=c2)
        attention = url_selectbox("Attention", ATTENTIONS, key="attn_attention", default=ModelConfig.attention,
                                  container=c2)
        t1, t2 = st.columns(2)  # toggles' labels sit beside the switch: a quarter of a projector's width cut them
        bidirectional = url_toggle("Bidirectional encoder", key="attn_bidir", default=ModelConfig.bidirectional,
                                   container=t1)
        feeding = url_toggle("Luong input feeding", key="attn_feed", default=ModelConfig.input_feeding, container=t2,
                             unavailable=FEEDING_UNAVAILABLE.get(attention),
                             help="Feed h̃_{t−1} into the next decoder step (Luong-style decoders only).")
        hidden = url_selectbox("Hidden size H", (16, 32, 64, 128), key="attn_hidden", default=ModelConfig.hidden_size,
                               container=c3)
        steps = url_number("Training updates", 10, MAX_TRAINING_STEPS, key="attn_steps", default=Seq2SeqConfig.steps,
                           step=100, container=c3)
        teacher = url_slider("Teacher forcing ratio", 0.0, 1.0, key="attn_tf", default=Seq2SeqConfig.teacher_forcing,
                             step=0.05, container=c4,
                             help="Probability that a decoder step reads the true previous token (else its own).")
    with explain_errors("Settings: "):
        model = ModelConfig(cell=cell, attention=attention, bidirectional=bidirectional,
                            input_feeding=feeding, hidden_size=hidden)
    return (shortest, longest, delay), dict(model=model, steps=int(steps), teacher_forcing=float(teacher), seed=seed)


@st.fragment
def task_view(view: str, lengths: tuple[int, int, int], training: dict, device: str) -> None:
    """The task, right above the view of the model trained on it, and the view.

    A fragment: changing the task, the page's main control, reruns only this, not the title, the sidebar
    and the other controls, which do not depend on it (changing one of those reruns the whole page). In
    the Train view the task is drawn in the browser with the training curves of every task's model
    (seqviz.ui.components.instant), so a click shows the curves before the server has heard of it.
    """
    curves = (lambda _: training_charts(lengths, training, device)) if view == TRAIN else None
    task, chart = url_instant_choice(MAIN_CONTROL, TASKS, key="attn_task", default=TaskSpec.name, charts=curves)
    shortest, longest, _ = lengths
    if shortest > longest and uses_lengths(task):
        st.error(f"Shortest source ({shortest}) is longer than Longest source ({longest}): lower the first "
                 "or raise the second (under Task, model and training).")
        return
    with explain_errors("Settings: "):
        config = Seq2SeqConfig(task=task_spec(task, *lengths), **training)
    if view == TRAIN:
        train_view(config, device, chart)
    else:
        views = {ALIGNMENT: alignment_view, BOTTLENECK: bottleneck_view, EXPOSURE_BIAS: exposure_view}
        # a saved sweep, or a live one that reports its own progress, gets no note
        with nullcontext() if view == BOTTLENECK else computation_note(device):
            views[view](config, device)


def training_charts(lengths: tuple[int, int, int], training: dict, device: str) -> dict[str, Chart]:
    """Task → the training curves and origin of its model under these settings, for every task whose
    model is known (shipped or trained in this session) and whose settings are valid."""
    shortest, longest, _ = lengths
    curves = {}
    for task in TASKS:
        if shortest > longest and uses_lengths(task):
            continue
        try:
            config = Seq2SeqConfig(task=task_spec(task, *lengths), **training)
        except (ValueError, TypeError):  # the page says why when that task is chosen
            continue
        trained = known_model(config, device)
        if trained is not None:
            curves[task] = Chart(training_figure(trained.history, "training curves"), describe(trained, device))
    return curves


def known_model(config: Seq2SeqConfig, device: str) -> TrainedModel | None:
    """The session's model for `config` (moved to `device` if it was on another), else a shipped one."""
    store = MODELS.entries()
    trained = store.get(config)
    if trained is not None and trained.device != device:
        trained = store[config] = trained.moved_to(device)
    return trained or cached_shipped_models(device).get(config)


def request_training(config: Seq2SeqConfig) -> None:
    """Have the next full run of the page train `config` (above the task fragment): a click on Stop
    interrupts a full run, where Streamlit queued a rerun of the fragment behind the training in it."""
    st.session_state[PENDING] = config
    st.rerun(scope="app")


def train_live(config: Seq2SeqConfig, device: str) -> None:
    """Train `config` with a progress bar and live curves, and keep the model."""
    MODELS.put(config, LIVE.run(lambda on_progress: train_seq2seq(config, device, on_progress),
                                partial(training_report, config)))


def training_report(config: Seq2SeqConfig, progress) -> LiveReport | None:
    if not progress.evaluated:
        return None  # the bar keeps its text; only an evaluation brings new curves and a model to keep
    accuracy = progress.history["accuracy"][-1]
    return LiveReport(progress.step / progress.steps,
                      f"update {progress.step}/{progress.steps}, accuracy {accuracy:.1%}",
                      lambda: (training_figure(progress.history),), snapshot=snapshot(config, progress))


def model_for(config: Seq2SeqConfig, device: str, key: str) -> TrainedModel | None:
    """The trained model for `config` (session or shipped), or a Train button that trains it now."""
    trained = known_model(config, device)
    if trained is not None:
        return trained
    if st.button(f"Train {config.model.attention} model ({config.steps} updates)", key=key, type="primary"):
        request_training(config)
    st.info(f"The {config.model.attention} model for these settings has not been trained in this session yet: "
            "press Train.")
    return None


def describe(trained: TrainedModel, device: str) -> str:
    shipped = cached_shipped_models(device).get(trained.config) is trained
    origin = "shipped checkpoint (scripts/make_checkpoints.py)" if shipped else \
        f"trained in this session on {device_label(trained.trained_on)}"
    if not shipped and trained.trained_on != trained.device:
        origin += f", moved to {device_label(trained.device)}"
    stopped = ", stopped early" if trained.stopped else ""
    done = trained.history["step"][-1] if trained.history["step"] else 0
    reached = trained.time_to_accuracy(0.95)
    when = f"; ≥ 95 % first at update {reached[0]} ({reached[1]:.1f} s)" if reached else ""
    return (f"{trained.config.model.attention}, {origin}: {done} updates in {trained.seconds:.1f} s{stopped}; "
            f"held-out exact-sequence accuracy {trained.accuracy:.1%}{when}")


def train_view(config: Seq2SeqConfig, device: str, curves: Chart | None) -> None:
    """Under the training curves (`curves`, drawn with the task, or None: no model yet), a Retrain button,
    or the Train button for a model not trained yet."""
    if curves is None:
        model_for(config, device, key="attn_train")
        return
    if st.session_state.get("attn_retrain"):  # the button was pressed
        request_training(config)
    st.button("Retrain live", key="attn_retrain", help="Train this configuration again here, with a progress bar.")


def inline_code(text: str) -> str:
    """Text as inline code, or "(nothing)" for an empty output, which would read as two backticks."""
    return f"`{text}`" if text else "*(nothing)*"


def alignment_view(config: Seq2SeqConfig, device: str) -> None:
    c1, c2, c3 = st.columns([3, 1, 2])
    source = url_text("Input", f"attn_input_{config.task.name.replace('-', '_')}", EXAMPLES[config.task.name],
                      container=c1, help="Type your own source; only the task's characters are accepted.")
    width = url_slider("Beam width", 1, MAX_BEAM_WIDTH, key="attn_beam", default=1, container=c2,
                       help="1 = greedy decoding.")
    other = url_selectbox("Compare with", ("—",) + ATTENTIONS, key="attn_compare", container=c3,
                          help="Side by side: the same input through a model with another attention type.")
    st.latex(decoder_equations(config.model))
    configs = [config] + ([with_attention(config, other)] if other != "—" else [])
    models = [model_for(c, device, key=f"attn_train_{i}") for i, c in enumerate(configs)]
    if any(m is None for m in models):
        return
    with explain_errors("Input: "):
        alignments = [align(m, source, width) for m in models]
    for alignment in alignments:
        mark = "correct" if alignment.correct else "wrong"
        st.markdown(f"**{alignment.attention}** → {inline_code(alignment.output)}, {mark} "
                    f"(target `{alignment.target}`, log p = {alignment.log_prob:.2f})")
    plotly_chart(alignment_figure(alignments, [a.attention for a in alignments]), key="attn_alignment")


def bottleneck_view(config: Seq2SeqConfig, device: str) -> None:
    c1, c2, c3 = st.columns(3)
    attention = url_selectbox("Attention (vs none)", ATTENTIONS[1:], key="attn_sweep_attention",
                              default=SweepConfig.attention, container=c1)
    steps = url_number("Updates per model", 10, MAX_TRAINING_STEPS, key="attn_sweep_steps", default=SweepConfig.steps,
                       step=100, container=c2)
    longest = url_slider("Longest length", 10, MAX_LENGTH, key="attn_sweep_max", default=max(SweepConfig.lengths),
                         step=SWEEP_LENGTH_STEP, container=c3)
    sweep = SweepConfig(attention=attention, cell=config.model.cell, hidden_size=config.model.hidden_size,
                        lengths=sweep_lengths(longest), steps=int(steps), seed=config.seed)
    st.caption(f"Two reversal models, one without attention and one with {attention}, trained for the same "
               f"{sweep.steps} updates on lengths 3–{longest}, then tested on {sweep.eval_size} fresh sources per length.")
    shipped = cached_shipped_sweep()
    result = SWEEPS.entries().get(sweep) or (shipped if shipped is not None and shipped.config == sweep else None)
    if st.button("Run the sweep live" if result is None else "Re-run the sweep live", key="attn_sweep_run"):
        st.session_state[PENDING_SWEEP] = sweep  # run above the fragment: see request_training
        st.rerun(scope="app")
    if result is None:
        st.info("No cached sweep for these settings: press the button (about two trainings of this budget).")
        return
    length = url_select_length(result.lengths)
    plotly_chart(bottleneck_figure(result, length), key="attn_bottleneck")


def sweep_live(sweep: SweepConfig, device: str) -> None:
    """Run the bottleneck sweep with a progress bar and Stop, and keep its result for the session."""
    SWEEPS.put(sweep, SWEEP_LIVE.run(lambda on_progress: bottleneck_sweep(sweep, device, on_progress), sweep_report))


def sweep_report(name: str, fraction: float) -> LiveReport:
    return LiveReport(fraction, f"training {name}: {fraction:.0%}")


def url_select_length(lengths: list[int]) -> int:
    return url_selectbox("Per-position accuracy at length", lengths, key="attn_sweep_len", default=lengths[-1])


def whole_outputs(result) -> str:
    """The exact-output accuracy, once where both decodings agree on it (they do up to float ties)."""
    if round(result.teacher_forced_exact, 3) == round(result.free_running_exact, 3):
        return f"{result.free_running_exact:.1%} both ways"
    return f"teacher-forced {result.teacher_forced_exact:.1%}, free-running {result.free_running_exact:.1%}"


def exposure_view(config: Seq2SeqConfig, device: str) -> None:
    trained = model_for(config, device, key="attn_train_exposure")
    if trained is None:
        return
    longest = config.task.max_length
    if config.task.name == "dates":
        st.caption("Dates have their own lengths: this view decodes fresh dates, not longer ones.")
        length = longest
    else:
        length = url_slider("Test source length", 1, MAX_LENGTH, key="attn_exp_len",
                            default=min(longest + EXPOSURE_EXTRA_LENGTH, MAX_LENGTH),
                            help=f"The model was trained on lengths {config.task.min_length}–{longest}.")
    with explain_errors("Exposure bias: "):
        result = exposure_bias(trained, length, n=128, seed=config.seed)
    st.latex(stacked([r"\text{teacher-forced: } s_t = \mathrm{cell}(y^{\ast}_{t-1}, s_{t-1})",
                      r"\text{free-running: } s_t = \mathrm{cell}(\hat y_{t-1}, s_{t-1})"]))
    sources = "128 fresh dates" if result.length is None else f"128 fresh sources of length {length}"
    st.caption(f"Mean per-position accuracy ({sources}): teacher-forced {result.teacher_forced_mean:.1%}, "
               f"free-running {result.free_running_mean:.1%}. Whole outputs right: {whole_outputs(result)}, "
               "as always with greedy decoding: an output right at every position under teacher "
               "forcing feeds itself the true prefix, so free-running gives the same output. The two part at "
               "the first mistake: teacher forcing puts the model back on the true prefix, free-running feeds "
               "the mistake in, and the positions after it suffer (exposure bias).")
    source, target, forced, free = result.example
    st.markdown(f"Example `{source}` → target `{target}`; teacher-forced {inline_code(forced)}; "
                f"free-running {inline_code(free)}")
    plotly_chart(exposure_figure(result), key="attn_exposure")


st.title(TITLE)
settings = shared_settings()
view = url_radio("View", VIEWS, key="attn_view", horizontal=True)
if view == TRAIN:
    st.latex(r"\mathcal{L} = -\frac{1}{N}\sum_{b,t} \log p(y_t^{(b)} \mid y_{<t}^{(b)}, x^{(b)})")
lengths, training = model_controls(settings.seed)
if (stopped := LIVE.interrupted()) is not None:
    MODELS.put(stopped.config, stopped)
if (pending := st.session_state.pop(PENDING, None)) is not None:
    with explain_errors("Training: "):
        train_live(pending, settings.device)
if (pending_sweep := st.session_state.pop(PENDING_SWEEP, None)) is not None:
    with explain_errors("Sweep: "):
        sweep_live(pending_sweep, settings.device)
task_view(view, lengths, training, settings.device)
