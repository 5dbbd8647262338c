"""Language lab: character-level RNN, LSTM and GRU language models on real text (Python's own source)."""
from __future__ import annotations

import html
import time

import numpy as np
import streamlit as st

from seqviz.core.models import KIND_LABELS, KINDS
from seqviz.figures.language import (
    activation_chart,
    coloured_text,
    distribution_figure,
    reach_figure,
    saturation_figure,
    unit_figure,
)
from seqviz.figures.tables import html_table
from seqviz.language import lab
from seqviz.language.decoding import MAX_BEAM_WIDTH, Strategy
from seqviz.language.features import FEATURES
from seqviz.language.lab import (
    DecodeSpec,
    PatternSpec,
    ReadingSpec,
    WindowSpec,
    decode,
    find_pattern,
    reach,
    reading,
    results,
    saturation,
    shipped_model,
)
from seqviz.language.reading import SIGMOID_GATES, quantities
from seqviz.ui.cache import cached_data, cached_resource, computation_note
from seqviz.ui.charts import plotly_chart
from seqviz.ui.components.instant import Chart, static_chart
from seqviz.ui.errors import explain_errors
from seqviz.ui.headings import subheader
from seqviz.ui.sidebar import shared_settings
from seqviz.ui.state import (url_instant_select, url_multiselect, url_number, url_radio, url_selectbox, url_slider,
                             url_text_area)

TITLE = "Language lab"
ICON = ":material/text_fields:"
SUMMARY = ("Character-level RNN, LSTM and GRU language models on Python's own source: read one unit over real "
           "text, search the corpus for a pattern of units, compare decoding strategies, and see how far back a "
           "prediction reaches.")
ORDER = 35
MAIN_CONTROL = "Unit"
COSTLY_CONTROLS = {"Characters to generate": 100}

READING, PATTERNS, DECODING, REACH = "Reading the hidden state", "Pattern search", "Decoding", "Gradient reach"
VIEWS = (READING, PATTERNS, DECODING, REACH)
SOURCES = ("held-out code", "your own text")
cached_reading = cached_resource(reading)
cached_saturation = cached_resource(saturation)
cached_corpus = cached_resource(lab.corpus, spinner=False)
cached_decode = cached_data(decode)
cached_reach = cached_data(reach)


def models_table() -> None:
    """Held-out bits per character of the baselines and the three models (scripts/make_language_models.py)."""
    scores = results()
    rows = [{"model": name, "parameters": "—", "valid bits/char": f"{b['valid']:.3f}", "test bits/char": f"{b['test']:.3f}"}
            for name, b in scores["baselines"].items()]
    rows += [{"model": KIND_LABELS[kind], "parameters": f"{m['parameters']:,}",
              "valid bits/char": f"{m['bits_per_char']['valid']:.3f}", "test bits/char": f"{m['bits_per_char']['test']:.3f}"}
             for kind, m in scores["models"].items()]
    st.html(html_table(rows))
    lstm = scores["models"].get("lstm")
    if lstm:
        st.caption(f"Each model: embedding ({lstm['config']['embed_size']}) → one stock nn module "
                   f"(H = {lstm['config']['hidden_size']}) → linear, {lstm['training']['updates']:,} updates of "
                   f"{lstm['training']['streams']} streams × {lstm['training']['truncation']} characters on the training "
                   f"split; the baselines are add-α unigram and bigram counts of the same split. The LSTM took "
                   f"{lstm['train_seconds'] / 60:.0f} minutes on one CPU thread.")


def window_controls(model) -> lab.Window:
    """The text the reading, pattern and reach views read: held-out code, or the visitor's own."""
    c1, c2, c3 = st.columns([1, 1, 2])
    source = url_radio("Text", SOURCES, key="lang_source", horizontal=True, container=c1)
    if source == SOURCES[1]:
        text = url_text_area("Your text (at most 20,000 characters)", key="lang_text", default=WindowSpec.text,
                             container=c3, height=120, max_chars=lab.MAX_TEXT_CHARS)
        return lab.typed(text, model)
    start = url_number("Start at character", 0, lab.VALID_CHARS - 2, key="lang_start", default=WindowSpec.start,
                       step=100, container=c2, help="Where the window begins in the held-out (validation) files.")
    length = url_slider("Characters", 200, 3000, key="lang_length", default=WindowSpec.length, step=100, container=c3)
    return lab.held_out(start, length, model)


def unknown_note(window: lab.Window) -> None:
    if window.unknown:
        st.caption(f"{window.unknown:,} character(s) of this text are not in the model's vocabulary: it reads each "
                   "as the unknown symbol �.")


def reading_view(kind: str, model, window: lab.Window) -> None:
    c1, c2, c3 = st.columns(3)
    layer = url_slider("Layer", 0, model.config.num_layers - 1, key="lang_layer", default=0, container=c1) \
        if model.config.num_layers > 1 else 0
    quantity = url_selectbox("Quantity", quantities(kind), key="lang_quantity", default=ReadingSpec.quantity,
                             container=c2, help="h: hidden state; c: LSTM cell state; i, f, g, o (LSTM) and r, z, n "
                                                "(GRU): gates, in PyTorch's conventions.")
    feature = url_selectbox("Rank units by", FEATURES, key="lang_feature", default=ReadingSpec.feature, container=c3,
                            help="Units ordered by the correlation of their activation with this property of the "
                                 "text (computed from the characters by a small scanner).")
    unit_reading(kind, window, layer, quantity, feature)
    unknown_note(window)
    saturation_section(kind)


NEIGHBOURS = (-1, 1, 2, 3, 4)  # the options around the chosen unit whose charts go to the browser with it


@st.fragment
def unit_reading(kind: str, window: lab.Window, layer: int, quantity: str, feature: str) -> None:
    """The unit choice, its line and the coloured text, drawn in the browser together
    (seqviz.ui.components.instant) with those of the next units in the list, so stepping down the ranking
    shows each unit at once. A fragment: choosing a unit, the page's main control, reruns only this."""
    result = cached_reading(kind, window, layer, quantity, feature)
    ranked = [u for u, _ in result.ranking]
    options = ranked + [u for u in range(result.values.shape[1]) if u not in ranked]
    correlation = dict(result.ranking)

    def charts(unit: int) -> dict[int, Chart]:
        at = options.index(unit)
        near = [options[at + d] for d in (0, *NEIGHBOURS) if 0 <= at + d < len(options)]
        return {u: unit_chart(result, window, quantity, feature, u) for u in near}

    url_instant_select(MAIN_CONTROL, options, key="lang_unit", default=options[0], charts=charts,
                       format_func=lambda u: f"{u} (r = {correlation[u]:+.2f} with {feature})" if u in correlation
                       else str(u), help="The first options are the units ranked by the feature above; with the "
                                         "list focused, the arrow keys step through it.")


def unit_chart(result, window: lab.Window, quantity: str, feature: str, unit: int) -> Chart:
    """One unit's line over the window, the window's text coloured by it, and its correlation with `feature`."""
    values = result.values[:, unit]
    scale = 1.0 if quantity != "cell" else max(float(np.abs(values).max()), 1e-6)
    r = np.corrcoef(values, result.feature)[0, 1] if values.std() and result.feature.std() else 0.0
    start = max(window.start, 0)
    return Chart(unit_figure(values, window.text, start, f"{quantity} of unit {unit}"),
                 caption=f"Red: {quantity} of unit {unit} > 0, blue: < 0, opaque at ±{scale:.2g}; hover a character "
                         f"for its value. r = {r:+.2f} with {feature} over these {len(window.text):,} characters.",
                 html=coloured_text(window.text, values, scale, start))


def saturation_section(kind: str) -> None:
    subheader("Gate saturation")
    if not SIGMOID_GATES[kind]:
        st.caption("An RNN has no gates: nothing saturates but tanh itself.")
        return
    static_chart(saturation_figure(cached_saturation(kind), f"{KIND_LABELS[kind]} gates over "
                                                            f"{lab.SATURATION_CHARS:,} held-out characters"),
                 key="lang_saturation_chart")
    st.caption("Each point is one gate unit: how often it is nearly shut (< 0.1, right) against nearly open "
               "(> 0.9, up). Points near the axes are units that act as switches; Karpathy et al. (2015) found many "
               "such units in character LSTMs, and forget gates that stay open to carry information far.")


def pattern_view(kind: str, model, window: lab.Window) -> None:
    if len(window.text) > lab.MAX_PATTERN_WINDOW:
        st.info(f"The pattern view reads the first {lab.MAX_PATTERN_WINDOW} characters of the window.")
        window = lab.Window(window.text[:lab.MAX_PATTERN_WINDOW], window.start, window.unknown)
    state = url_radio("State", ("hidden", "cell") if kind == "lstm" else ("hidden",), key="lang_pattern_state",
                      horizontal=True)
    ranking = cached_reading(kind, window, 0, state, PatternSpec.feature).ranking
    c1, c2 = st.columns(2)
    plotted = url_multiselect("Units to plot", list(range(model.config.hidden_size)), key="lang_plotted",
                              default=[u for u, _ in ranking[:PatternSpec.plotted]], max_selections=8, container=c1)
    threshold = url_slider("Threshold θ", 0.0, 0.95, key="lang_threshold", default=PatternSpec.threshold, step=0.05,
                           container=c2, help="A unit is on where its value exceeds θ.")
    values = cached_reading(kind, window, 0, state, PatternSpec.feature).values
    start = max(window.start, 0)
    event = st.altair_chart(activation_chart(values[:, plotted], plotted, window.text, start, threshold),
                            on_select="rerun", key="lang_brush", width="stretch")
    brushed = (event.selection.get("span") or {}).get("step") if event else None
    if not brushed:
        st.info("Drag across the chart to select a span of steps: the units on over the whole span (and off "
                "just before it) form a pattern, searched for in the held-out corpus.")
        return
    span = lab.brushed_steps(brushed, start, len(window.text))
    if span is None:
        st.info("The span selected holds no whole step: drag across at least one.")
        return
    first, last = span
    with st.spinner(f"Reading the {lab.CORPUS_CHARS:,} held-out characters with the {KIND_LABELS[kind]} (a few seconds, "
                    "once per model and state for everyone on this server)…"):
        states = cached_corpus(kind, 0, state)
    began = time.perf_counter()
    found = find_pattern(states, window, values, first, last, threshold)
    seconds = time.perf_counter() - began
    shown = html.escape(window.text[first:last]).replace("\n", "↵")
    st.markdown(f"Span {first + start}…{last + start - 1}: **{len(found.units)} unit(s)** on over it and off before "
                f"it: {', '.join(map(str, found.units[:30])) or '—'}.")
    st.html(f"<code>{shown}</code>")
    if not found.units:
        st.info("No unit is on over the whole span and off before it at this θ: lower θ or select a shorter span.")
        return
    st.caption(f"{len(found.matches)} best of the matches in {len(states.text):,} held-out characters, found in "
               f"{seconds * 1000:.0f} ms; ranked by how close their length is to the span's ({last - first}).")
    for match in found.matches:
        st.html(match_snippet(states.text, match))


def match_snippet(text: str, match) -> str:
    """The matched characters highlighted in their line's context."""
    before = text[max(match.start - 40, 0):match.start]
    after = text[match.stop:match.stop + 40]
    part = lambda s: html.escape(s).replace("\n", "↵")  # noqa: E731
    return (f'<div style="font-family:monospace;white-space:pre">{match.start:>7}  {part(before)}'
            f'<mark>{part(text[match.start:match.stop])}</mark>{part(after)}</div>')


def decoding_view(kind: str, seed: int) -> None:
    prompt = url_text_area("Prompt", key="lang_prompt", default=DecodeSpec.prompt, height=100,
                           max_chars=lab.MAX_TEXT_CHARS)
    c1, c2, c3, c4, c5 = st.columns(5)
    steps = url_slider("Characters to generate", 20, lab.MAX_GENERATED, key="lang_gen", default=DecodeSpec.steps,
                       step=10, container=c1)
    width = url_slider("Beam width", 1, MAX_BEAM_WIDTH, key="lang_beam", default=DecodeSpec.beam_width, container=c2)
    temperature = url_slider("Temperature τ", 0.0, 2.0, key="lang_tau", default=DecodeSpec.temperature, step=0.05,
                             container=c3, help="q ∝ p^(1/τ): below 1 sharper, above 1 flatter; 0 is greedy.")
    top_k = url_number("Top-k (0: off)", 0, 100, key="lang_top_k", default=DecodeSpec.top_k, step=1, container=c4)
    top_p = url_slider("Top-p", 0.05, 1.0, key="lang_top_p", default=DecodeSpec.top_p, step=0.05, container=c5,
                       help="Keep the smallest set of most probable characters whose mass reaches p.")
    strategies = {"greedy": Strategy("greedy"), f"beam (width {width})": Strategy("beam", beam_width=width),
                  "sampling": Strategy("sample", temperature, top_k, top_p, seed=seed)}
    with explain_errors():
        decoded = {name: cached_decode(kind, prompt, steps, s) for name, s in strategies.items()}
    for column, (name, result) in zip(st.columns(len(decoded)), decoded.items()):
        column.markdown(f"**{name}**")
        column.code(result.generation.text, language=None, wrap_lines=True)
        column.caption(f"{result.generation.bits_per_char:.2f} bits/char under the model; distinct bigrams "
                       f"{result.distinct_2:.0%}, 4-grams {result.distinct_4:.0%}; longest repeat "
                       f"{result.longest_repeat} characters.")
    subheader("Step by step")
    name = url_radio("Strategy", list(decoded), key="lang_step_strategy", horizontal=True)
    chosen = decoded[name].generation
    t = url_slider("Generated character t", 0, len(chosen.text) - 1, key="lang_step", default=0)
    chars = shipped_model(kind).model.vocabulary.chars
    plotly_chart(distribution_figure(chosen.p[t], chosen.q[t], chars, chars.index(chosen.text[t]),
                                     f"after {html.escape(repr((prompt + chosen.text[:t])[-30:]))}"))
    st.caption("Grey: the model's next-character distribution p. Blue: what the strategy draws from after its "
               "transformation (temperature, then the top-k and top-p cuts, renormalised); grey bars without blue "
               "were cut.")


def reach_view(window: lab.Window) -> None:
    if len(window.text) < 3:
        st.info("The text needs at least three characters.")
        return
    t = url_slider("Position t (the prediction of the next character)", 1, len(window.text) - 2, key="lang_reach_t",
                   default=min(WindowSpec.reach_position, len(window.text) - 2))
    curves = cached_reach(window, t)
    context = window.text[max(t - lab.REACH_CONTEXT + 1, 0):t + 1]
    plotly_chart(reach_figure(curves, context, f"how far back the prediction of {window.text[t + 1]!r} reaches"))
    st.html(f'<div style="font-family:monospace;white-space:pre-wrap">…{html.escape(context[-120:])}'
            f'<mark>{html.escape(window.text[t + 1])}</mark></div>')
    st.caption(f"‖dL_t/dx_s‖ for every earlier character s (x_s: its embedding) with L_t = −log p(next character), "
               f"exact through seqviz.trace over the {len(context)} characters before t, for each shipped model.")


st.title(TITLE)
st.caption("Three character-level language models trained on the Python standard library's own source, read "
           "with seqviz.trace and the same stock nn modules the other pages use.")
with st.expander("The models and how well they predict held-out code"):
    models_table()
settings = shared_settings()
if settings.device != "cpu":
    st.caption(f"This page computes on the CPU, not on the sidebar's {settings.device}: one character at a time, its "
               "small models would wait on the GPU's launches more than they compute.")
kind = url_radio("Model", KINDS, key="lang_model", default=ReadingSpec.kind, horizontal=True, format_func=KIND_LABELS.get)
view = url_radio("View", VIEWS, key="lang_view", horizontal=True)
model = shipped_model(kind).model
with explain_errors(), computation_note("cpu"):
    if view == DECODING:
        decoding_view(kind, settings.seed)
    else:
        window = window_controls(model)
        {READING: lambda: reading_view(kind, model, window), PATTERNS: lambda: pattern_view(kind, model, window),
         REACH: lambda: reach_view(window)}[view]()
