"""A lesson as one self-contained HTML file: narrative, equations and each step's figures, no server needed.

Equations are rendered in the browser by the KaTeX copy that ships inside the streamlit package (its
static files), inlined, as MathML (no fonts needed); figures are interactive Plotly charts drawn by the
plotly.js that ships inside the plotly package, inlined too. Nothing is fetched when the file is opened.
Where no KaTeX copy is found, equations stay as TeX source and the handout says so.

Figures come from the same backend and figure functions the pages use (`STEP_FIGURES`), at the step's
settings; a step whose page view is not drawn here (a session's own runs, models not shipped, the Language
lab's pattern search) says so in the handout. Training with clipping is done here, seeded; the cost of a token
is measured here, on the machine making the handout. Like a page, this module uses the backend and
seqviz.figures; unlike one, it never imports Streamlit.
"""
from __future__ import annotations

import html
import importlib.util
import json
from dataclasses import replace
import random
import re
from pathlib import Path
from typing import Callable

import numpy as np
import plotly
import plotly.graph_objects as go

from seqviz.cell.run import cell_states, run_cell
from seqviz.figures import attention as attention_figures
from seqviz.figures import cell as cell_figures
from seqviz.figures import language as language_figures
from seqviz.figures import ssm as ssm_figures
from seqviz.figures import transformer as transformer_figures
from seqviz.figures.gradients import (
    gradient_time_figure,
    phase_figure,
    spectrum_figure,
    training_figure,
    training_heatmap_figure,
)
from seqviz.gradients.flow import gradient_through_time, jacobian_spectrum, phase_sweep
from seqviz.gradients.training import train_on_task
from seqviz.lessons.facts import (
    Run,
    Settings,
    cell_config,
    exposure_length,
    fill_facts,
    flow_config,
    language_reading,
    learned,
    look_config,
    memory_config,
    phase_configs,
    plain_run,
    reading_args,
    seq2seq_config,
    shipped_exposure,
    ssm_config,
    sweep_config,
    train_config,
)
from seqviz.language.decoding import Strategy
from seqviz.language.lab import REACH_CONTEXT, DecodeSpec, ReadingSpec, WindowSpec, decode, reach, shipped_model
from seqviz.lessons.format import Lesson, Step
from seqviz.seq2seq.attention import ATTENTIONS
from seqviz.seq2seq.experiments import align
from seqviz.seq2seq.shipped import shipped_models, shipped_sweep
from seqviz.seq2seq.tasks import sample_sources
from seqviz.seq2seq.training import with_attention
from seqviz.ssm.compare import CompareConfig
from seqviz.ssm.lab import conv_and_scan, hippo_memory, inspect_selection, ssm_kernels
from seqviz.ssm.results import inspected_models, inspection_example, load_results, results_path
from seqviz.ssm.tasks import TASKS as SSM_TASKS
from seqviz.transformer.cost import COST_KINDS, CostConfig, measure
from seqviz.transformer.learn import RetrainConfig
from seqviz.transformer.looks import who_looks_at_whom
from seqviz.transformer.results import saved_result

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
_MATH = re.compile(r"\$\$(.+?)\$\$|\$(?!\s)([^$\n]+?)(?<!\s)\$", re.S)


def katex_source() -> str | None:
    """Streamlit's bundled KaTeX (an ES module) as a classic script that sets window.katex; None if absent.
    The package's files are found without importing it (this module stays free of Streamlit)."""
    spec = importlib.util.find_spec("streamlit")
    if spec is None or spec.origin is None:
        return None
    for path in sorted((Path(spec.origin).parent / "static" / "static" / "js").glob("katex.*.js")):
        text = path.read_text(encoding="utf-8")
        match = re.search(r"export\s*\{\s*(\w+)\s+as\s+default\s*\};?\s*$", text)
        if match:
            return "(function(){" + text[:match.start()] + f";window.katex={match.group(1)};}})();"
    return None


# ---------------------------------------------------------------- each step's figures, as the page draws them

def _gradient_flow(settings: Settings, run: Run) -> list[go.Figure]:
    """The Gradient flow view's chart: the curves, the Jacobian spectrum or the phase diagram."""
    view = settings["grad_view"]
    config = flow_config(settings)
    if view == "Gradient through time":
        return [gradient_time_figure(run(gradient_through_time, config), 0)]
    if view == "Jacobian spectrum":
        return [spectrum_figure(run(jacobian_spectrum, config, settings["grad_spec_kind"], 0))]
    if view == "Phase diagram":
        return [phase_figure([run(phase_sweep, phase) for phase in phase_configs(settings)])]
    if view == "Clipping in training":  # seeded on the CPU: the same curves the page trains live
        history = run(train_on_task, train_config(settings))
        return [training_figure(history), training_heatmap_figure(history)]
    raise LookupError(f"the Gradient flow view '{view}' compares a session's runs")


def _state_space(settings: Settings, run: Run) -> list[go.Figure]:
    """The State-space models view's charts: kernels, HiPPO memory, or conv = recurrence."""
    view = settings["ssm_view"]
    if view == "Kernel explorer":
        config = ssm_config(settings, "ssm_k")
        result = run(ssm_kernels, config)
        labels = [f"channel {c} (random C)" for c in range(config.channels)]
        return [ssm_figures.kernel_figure(result.K, labels, f"kernel K_l, {config.init}, N={config.N}")]
    if view == "Memory (HiPPO)":
        config, t = memory_config(settings)
        result = run(hippo_memory, config)
        rebuilt, _ = result.history_at(t)
        return [ssm_figures.memory_figure(np.arange(config.T), result.u, t, rebuilt, config.N),
                ssm_figures.memory_error_figure(result.error_times, result.errors)]
    if view == "Conv = recurrence":
        result = run(conv_and_scan, ssm_config(settings))
        return [ssm_figures.conv_scan_figure(result.y_conv, result.y_scan)]
    if view == "Selection (Mamba)":  # the shipped models trained on the task, on the step's input
        return _selection(settings, run)
    if view == "Compare on a task":  # the saved run the page shows until a visitor trains live
        saved = load_results(results_path(settings.get("ssm_cmp_task", CompareConfig.task)))
        if saved is not None:
            return [ssm_figures.accuracy_figure(saved.accuracy, saved.params), ssm_figures.training_figure(saved.losses)]
    raise LookupError(f"the State-space models view '{view}' reads trained models or trains live")


def _selection(settings: Settings, run: Run) -> list[go.Figure]:
    """Mamba's Δ, hidden attention (mean over channels), gates and state on the step's input."""
    task = settings.get("ssm_sel_task", SSM_TASKS[0])
    text = settings.get("ssm_sel_text") or inspection_example(task, int(settings.get("seed", 0)))
    models = inspected_models(task)
    result = inspect_selection(text, models["mamba"], models["lstm"])
    return [ssm_figures.delta_figure(result.chars, result.delta),
            ssm_figures.hidden_attention_figure(result.hidden_attention(None), result.chars, "mean over channels"),
            ssm_figures.gate_figure(result.forget, result.chars, "forget gate f_t"),
            ssm_figures.state_figure(result.state_norm, result.chars),
            ssm_figures.gate_figure(result.input_gate, result.chars, "input gate i_t")]


def _inside_the_cell(settings: Settings, run: Run) -> list[go.Figure]:
    """Inside the cell's step tab: the heatmaps, the animation, or the bars at step t (the unit lines: bars)."""
    result = run(run_cell, cell_config(settings))
    states, labels = cell_states(result.trace), result.sequence.step_labels
    t = min(int(settings.get("cell_step", 0)), len(labels) - 1)
    tab = settings["cell_tab"]
    if tab == "Heatmaps: units × time":
        return [cell_figures.state_heatmaps(states, t)]
    if tab == "Animation (play)":
        return [cell_figures.cell_animation(states, labels)]
    return [cell_figures.step_bars(states, t, labels[t])]


def _attention(settings: Settings, run: Run) -> list[go.Figure]:
    """The Attention view's chart, from the shipped models and sweep (a model trained live is not drawn)."""
    config, view = seq2seq_config(settings), settings["attn_view"]
    if view == "Bottleneck":
        sweep = run(shipped_sweep)
        if sweep is None or sweep.config != sweep_config(settings):
            raise LookupError("only the shipped bottleneck sweep is drawn here")
        length = int(settings.get("attn_sweep_len", sweep.lengths[-1]))
        return [attention_figures.bottleneck_figure(sweep, length)]
    if view == "Exposure bias":
        length = exposure_length(settings)
        return [attention_figures.exposure_figure(run(shipped_exposure, config, length))]
    models = run(shipped_models)
    if config not in models:
        raise LookupError("the Attention page trains this model live")
    if view == "Train":
        return [attention_figures.training_figure(models[config].history, "training curves")]
    return [attention_figures.alignment_figure(*_alignments(settings, config, models))]


def _alignments(settings: Settings, config, models: dict) -> tuple[list, list[str]]:
    """The Alignment view's attention maps on a fresh source of the task (the page's own example box is
    not a lesson setting), for the step's model and the one it is compared with."""
    other = settings["attn_compare"]
    configs = [config] + ([with_attention(config, other)] if other in ATTENTIONS else [])
    source = sample_sources(config.task, 1, random.Random(config.seed))[0]
    width = int(settings.get("attn_beam", 1))
    alignments = [align(models[c], source, width) for c in configs if c in models]
    return alignments, [a.attention for a in alignments]


def _language_lab(settings: Settings, run: Run) -> list[go.Figure]:
    """The Language lab's reading (the chosen, else the first-ranked, unit over the held-out window), its
    gradient reach, or its decoding (one strategy's next-character distribution at one step)."""
    view = settings["lang_view"]
    if view == "Gradient reach":
        return [_language_reach(settings, run)]
    if view == "Decoding":
        return [_language_step(settings, run)]
    if view != "Reading the hidden state":
        raise LookupError("the Language lab draws this view only live")
    args = reading_args(settings)
    reading, window = run(language_reading, *args)
    unit = int(settings.get("lang_unit", reading.ranking[0][0]))
    return [language_figures.unit_figure(reading.values[:, unit], window.text, max(window.start, 0),
                                         f"{args[4]} of unit {unit}")]


def _recurrence_vs_attention(settings: Settings, run: Run) -> list[go.Figure]:
    """Recurrence vs attention: who looks at whom (the three models' matrices on the step's input), what each
    can learn (the saved runs), or what a token costs (measured now, on the machine making the handout)."""
    view = settings.get("rva_view", "Who looks at whom")
    if view == "Who looks at whom":
        result = run(who_looks_at_whom, look_config(settings, run))
        return [transformer_figures.looks_figure(result.attention, result.mamba, result.lstm, result.chars)]
    if view == "What each can learn":
        task = settings.get("rva_learn_task", RetrainConfig().task)
        accuracy, params = run(learned, task)
        saved = run(saved_result, task)
        return [transformer_figures.accuracy_figure(accuracy, params),
                transformer_figures.generalisation_figure(saved.generalisation, saved.config.train_length)]
    config = CostConfig(longest_context=int(settings.get("rva_cost_T", CostConfig.longest_context)),
                        longest_train=int(settings.get("rva_cost_L", CostConfig.longest_train)),
                        d_model=int(settings.get("rva_cost_d", CostConfig.d_model)), device="cpu",
                        seed=int(settings.get("seed", 0)))
    result = run(measure, config)  # timed on the machine that makes the handout, as the chart says
    slopes = {what: {k: result.slope(what, k) for k in COST_KINDS} for what in ("token", "bytes", "train")}
    return [transformer_figures.token_cost_figure(result.contexts, result.token_seconds, result.state_bytes, slopes,
                                                  result.device),
            transformer_figures.train_cost_figure(result.train_lengths, result.train_seconds, slopes["train"],
                                                  result.device)]


def _language_reach(settings: Settings, run: Run) -> go.Figure:
    """‖dL_t/dx_s‖ of the three models before position t of the window (the page's default t)."""
    _, window = run(language_reading, *reading_args(settings))
    t = int(settings.get("lang_reach_t", min(WindowSpec.reach_position, len(window.text) - 2)))
    context = window.text[max(t - REACH_CONTEXT + 1, 0):t + 1]
    return language_figures.reach_figure(run(reach, window, t), context,
                                         f"how far back the prediction of {window.text[t + 1]!r} reaches")


def _language_step(settings: Settings, run: Run) -> go.Figure:
    """The chosen strategy's distribution before and after its transformation at generated character t."""
    kind, prompt = settings.get("lang_model", ReadingSpec.kind), settings.get("lang_prompt", DecodeSpec.prompt)
    steps, seed = int(settings.get("lang_gen", DecodeSpec.steps)), int(settings.get("seed", 0))
    width = int(settings.get("lang_beam", DecodeSpec.beam_width))
    strategies = {"greedy": Strategy("greedy"), f"beam (width {width})": Strategy("beam", beam_width=width),
                  "sampling": Strategy("sample", float(settings.get("lang_tau", DecodeSpec.temperature)),
                                       int(settings.get("lang_top_k", DecodeSpec.top_k)),
                                       float(settings.get("lang_top_p", DecodeSpec.top_p)), seed=seed)}
    name = settings.get("lang_step_strategy", "greedy")
    chosen = run(decode, kind, prompt, steps, strategies.get(name, strategies["greedy"])).generation
    t = min(int(settings.get("lang_step", 0)), len(chosen.text) - 1)
    chars = shipped_model(kind).model.vocabulary.chars
    return language_figures.distribution_figure(chosen.p[t], chosen.q[t], chars, chars.index(chosen.text[t]),
                                                f"after {html.escape(repr((prompt + chosen.text[:t])[-30:]))}")


STEP_FIGURES: dict[str, Callable[[Settings, Run], list[go.Figure]]] = {
    "inside-the-cell": _inside_the_cell,
    "gradient-flow": _gradient_flow,
    "attention": _attention,
    "state-space-models": _state_space,
    "language-lab": _language_lab,
    "recurrence-vs-attention": _recurrence_vs_attention,
}


def step_figures(step: Step, run: Run = plain_run) -> list[go.Figure] | str:
    """The figures of `step`'s page view at its settings, or why the handout cannot draw them."""
    make = STEP_FIGURES.get(step.page)
    if make is None:
        return f"This step's charts ({step.page}) are drawn only by the live app."
    try:
        return make(step.values, run)
    except LookupError as error:
        return f"Not drawn in the handout: {error}. Open the step in the app to see it."
    except (ValueError, TypeError) as error:
        return f"Not drawn in the handout: {error}"


# ---------------------------------------------------------------- Markdown (the lesson format's subset) to HTML

def markdown_html(text: str) -> str:
    """Paragraphs, '-' lists, **bold**, *italic*, `code`, [links](url) and $math$ / $$math$$ (left for KaTeX)."""
    blocks, out = re.split(r"\n\s*\n", text.strip()), []
    for block in blocks:
        lines = block.splitlines()
        if lines and all(line.lstrip().startswith(("- ", "* ")) for line in lines):
            out.append("<ul>" + "".join(f"<li>{_inline(line.lstrip()[2:])}</li>" for line in lines) + "</ul>")
        elif block.strip():
            out.append(f"<p>{_inline(block)}</p>")
    return "\n".join(out)


def _inline(text: str) -> str:
    """One block's text in HTML: math spans for KaTeX, the rest escaped and styled."""
    parts, last = [], 0
    for match in _MATH.finditer(text):
        parts.append(_styled(text[last:match.start()]))
        display, tex = match.group(1) is not None, match.group(1) or match.group(2)
        parts.append(f'<span class="math" data-display="{int(display)}">{html.escape(tex)}</span>')
        last = match.end()
    return "".join(parts) + _styled(text[last:])


def _styled(text: str) -> str:
    """Escaped text with `code`, **bold**, *italic* and [links](https://…)."""
    text = html.escape(text, quote=False)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    text = re.sub(r"(?<!\*)\*(?!\s)(.+?)(?<!\s)\*", r"<em>\1</em>", text)
    return re.sub(r"\[([^\]]+)\]\((https?://[^)\s]+)\)", r'<a href="\2">\1</a>', text)


# ---------------------------------------------------------------- the page

def handout_html(lesson: Lesson, run: Run = plain_run, figures: Callable = step_figures, seed: int = 0) -> str:
    """The whole handout of `lesson` at `seed` (the sidebar's): one HTML document with its scripts inlined."""
    katex = katex_source()
    body = [f"<h1>{html.escape(lesson.title)}</h1>",
            f'<p class="meta">For {html.escape(lesson.audience)} · about {lesson.minutes} minutes · '
            f"{len(lesson.steps)} steps · computed with seed {seed}</p>",
            f'<p class="meta">{html.escape(lesson.shows)}</p>', markdown_html(lesson.intro)]
    if katex is None:
        body.append('<p class="note">Equations are shown as TeX source: no KaTeX copy was found.</p>')
    seeded = [replace(step, defaults=step.defaults + (("seed", str(seed)),)) for step in lesson.steps]
    body += [_step_html(k, step, run, figures) for k, step in enumerate(seeded)]
    scripts = [PLOTLY_JS.read_text(encoding="utf-8"), katex or "", _RENDER_MATH]
    return _PAGE.format(title=html.escape(lesson.title), body="\n".join(body),
                        scripts="\n".join(f"<script>{s}</script>" for s in scripts if s))


def _step_html(k: int, step: Step, run: Run, figures: Callable) -> str:
    """One step's section: heading, settings, narrative, the question folded over its answer, things to try, charts."""
    settings = step.values
    parts = [f'<section><h2>Step {k + 1}. {html.escape(step.title)}</h2>',
             f'<p class="meta">Page: {html.escape(step.page)} · settings: '
             + html.escape(", ".join(f"{key} = {value}" for key, value in step.settings) or "its defaults") + "</p>",
             markdown_html(fill_facts(step.narrative, settings, run))]
    if step.predict:
        parts.append("<details><summary><strong>Predict first.</strong> "
                     f"{_inline(fill_facts(step.predict, settings, run))}</summary>"
                     f"{markdown_html(fill_facts(step.answer, settings, run))}</details>")
    if step.try_this:
        parts.append("<p><strong>Try this</strong></p><ul>"
                     + "".join(f"<li>{_inline(item)}</li>" for item in step.try_this) + "</ul>")
    drawn = figures(step, run)
    if isinstance(drawn, str):
        parts.append(f'<p class="note">{html.escape(drawn)}</p>')
    else:
        for n, figure in enumerate(drawn):
            parts.append(f'<div class="chart" id="chart-{k}-{n}"></div><script type="application/json" '
                         f'class="figure" data-target="chart-{k}-{n}">{_json_for_script(figure)}</script>')
    return "\n".join(parts) + "</section>"


def _json_for_script(figure: go.Figure) -> str:
    """The figure's JSON, safe inside a <script> element."""
    return json.dumps(json.loads(figure.to_json())).replace("</", "<\\/")


_RENDER_MATH = """
document.querySelectorAll('script.figure').forEach(function (s) {
  var fig = JSON.parse(s.textContent);
  Plotly.newPlot(s.dataset.target, fig.data, fig.layout, {responsive: true});
});
if (window.katex) document.querySelectorAll('span.math').forEach(function (el) {
  katex.render(el.textContent, el, {displayMode: el.dataset.display === '1', output: 'mathml', throwOnError: false});
});
"""
_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5;
       color: #1f2430; }}
h2 {{ border-top: 1px solid #ccc; padding-top: 1rem; }}
.meta, .note {{ color: #555; }} .note {{ font-style: italic; }}
.chart {{ width: 100%; min-height: 420px; }}
details {{ background: #f4f6fa; padding: 0.5rem 1rem; border-radius: 0.4rem; margin: 1rem 0; }}
code {{ background: #f0f0f0; padding: 0 0.2rem; }}
</style></head>
<body>
{body}
{scripts}
</body></html>
"""
