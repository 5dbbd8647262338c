"""Numbers a lesson's narrative quotes, computed from the step's own settings by the backend the page uses.

A narrative writes `{{rnn_ratio}}`; when the step is shown (and in the handout) the placeholder becomes the
value the page computes at that step's settings, so a quoted number is never typed in by hand. A step's
settings are its page's URL query parameters (raw text); what a setting leaves out takes the default of
the computation's config dataclass, the same default the page shows.

Each fact is `(settings, run) -> str`, where `run(fn, *args)` calls a backend function: the app passes a
cached call (seqviz.ui.cache.cached_data), tests and scripts a plain one. The settings are a step's
`values`: the page's defaults (read from its source, seqviz.ui.page_params) with the step's own on top,
so a view's name or a page literal is never repeated here; a config field left out takes its
dataclass's default. `device`, where given, is a resolved one ("cpu", "cuda", "mps"), as the pages use.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np
import torch

from seqviz.cell.inputs import InputSpec
from seqviz.cell.run import CellConfig, cell_states, run_cell
from seqviz.gradients.flow import (
    HANDBOOK_QUOTED_RATIO,
    KINDS,
    FlowConfig,
    PhaseConfig,
    gradient_through_time,
    jacobian_spectrum,
    length_grid,
    phase_sweep,
    radius_grid,
)
from seqviz.gradients.training import TaskTrainConfig
from seqviz.language import lab
from seqviz.seq2seq.experiments import EXPOSURE_EXTRA_LENGTH, SweepConfig, exposure_bias, sweep_lengths
from seqviz.seq2seq.model import ModelConfig
from seqviz.seq2seq.shipped import shipped_models, shipped_sweep
from seqviz.seq2seq.tasks import MAX_LENGTH, TaskSpec, task_spec
from seqviz.seq2seq.training import Seq2SeqConfig
from seqviz.ssm.compare import CompareConfig
from seqviz.ssm.lab import MemoryConfig, SSMConfig, conv_and_scan, hippo_memory, ssm_kernels
from seqviz.ssm.results import load_results, results_path
from seqviz.ssm.tasks import TASKS
from seqviz.transformer.cost import COST_KINDS, CostConfig, CostModels, fitted_slope, token_cost
from seqviz.transformer.learn import GENERALISATION_FACTORS, RetrainConfig, transformer_name
from seqviz.transformer.looks import LookConfig, example, who_looks_at_whom
from seqviz.transformer.results import saved_result

Settings = Mapping[str, str]
Run = Callable[..., object]


def _flag(settings: Settings, key: str, default: bool) -> bool:
    """A toggle's setting ("1" or "0"), or `default` (the config dataclass's) where the settings leave it out."""
    return settings.get(key, "1" if default else "0") == "1"


def plain_run(fn, *args):
    """Call `fn(*args)` as it is (no cache)."""
    return fn(*args)


def flow_config(settings: Settings) -> FlowConfig:
    """The Gradient flow page's FlowConfig at these settings (grad_* keys, seed; on `device`, else the CPU)."""
    d = FlowConfig()
    fb_on = _flag(settings, "grad_fb_on", d.forget_bias is not None)
    return FlowConfig(
        steps=int(settings.get("grad_T", d.steps)), hidden_size=int(settings.get("grad_H", d.hidden_size)),
        num_layers=int(settings.get("grad_layers", d.num_layers)),
        nonlinearity=settings.get("grad_nonlin", d.nonlinearity), init=settings.get("grad_init", d.init),
        spectral_radius=float(settings.get("grad_rho", d.spectral_radius)),
        forget_bias=float(settings["grad_fb"]) if fb_on else None,
        input_scale=float(settings.get("grad_scale", d.input_scale)), loss=settings.get("grad_loss", d.loss),
        dtype=settings.get("grad_dtype", d.dtype), seed=int(settings.get("seed", d.seed)),
        device=settings.get("device", d.device))


def train_config(settings: Settings) -> TaskTrainConfig:
    """The Clipping-in-training view's TaskTrainConfig at these settings (grad_task*, grad_train_*, grad_clip*,
    … keys, seed), on the CPU: the page's training, seeded, so the same settings give the same curves."""
    d = TaskTrainConfig()
    rho_on = _flag(settings, "grad_train_rho_on", d.spectral_radius is not None)
    return TaskTrainConfig(
        task=settings.get("grad_task", d.task), length=int(settings.get("grad_task_T", d.length)),
        kind=settings.get("grad_train_kind", d.kind), hidden_size=int(settings.get("grad_train_H", d.hidden_size)),
        nonlinearity=settings.get("grad_train_nonlin", d.nonlinearity),
        spectral_radius=float(settings.get("grad_train_rho", 1.0)) if rho_on else None,
        clip=settings.get("grad_clip", d.clip), clip_threshold=float(settings.get("grad_clip_c", d.clip_threshold)),
        truncation=int(settings.get("grad_tbptt", d.truncation)), optimizer=settings.get("grad_opt", d.optimizer),
        learning_rate=float(settings.get("grad_lr", d.learning_rate)),
        batch_size=int(settings.get("grad_batch", d.batch_size)), updates=int(settings.get("grad_updates", d.updates)),
        heatmap_every=int(settings.get("grad_every", d.heatmap_every)), seed=int(settings.get("seed", d.seed)),
        device="cpu")


def phase_configs(settings: Settings) -> list[PhaseConfig]:
    """The phase diagram's sweeps at these settings (grad_phase_* keys), one per model."""
    d = PhaseConfig()
    kinds = KINDS if settings.get("grad_phase_gated") == "1" else ("rnn",)
    return [PhaseConfig(kind, int(settings.get("grad_phase_H", d.hidden_size)),
                        radius_grid(int(settings.get("grad_phase_radii", len(d.rhos)))),
                        length_grid(int(settings.get("grad_phase_Tmax", max(d.lengths)))),
                        float(settings.get("grad_phase_scale", d.input_scale)), int(settings.get("seed", d.seed)))
            for kind in kinds]


def cell_config(settings: Settings) -> CellConfig:
    """Inside the cell's CellConfig at these settings (cell_* keys) for a generated input (not text or CSV)."""
    d, i = CellConfig(), InputSpec()
    kind = settings.get("cell_kind", d.cell)
    source = settings.get("cell_source", i.source)
    if source in ("text", "csv"):
        raise ValueError("facts read generated inputs only")
    spec = InputSpec(source=source, steps=int(settings.get("cell_T", i.steps)),
                     period=float(settings.get("cell_period", i.period)),
                     noise=float(settings.get("cell_noise", i.noise)),
                     features=int(settings.get("cell_features", i.features)),
                     onset=int(settings.get("cell_onset", i.onset)), seed=int(settings.get("seed", i.seed)))
    return CellConfig(cell=kind, hidden_size=int(settings.get("cell_hidden", d.hidden_size)),
                      num_layers=int(settings.get("cell_layers", d.num_layers)),
                      bidirectional=_flag(settings, "cell_bidir", d.bidirectional),
                      init=settings.get("cell_init", d.init),
                      forget_bias=float(settings.get("cell_forget_bias", d.forget_bias)) if kind == "lstm"
                      else d.forget_bias,
                      seed=int(settings.get("seed", d.seed)), device=settings.get("device", d.device), input=spec)


def ssm_config(settings: Settings, prefix: str = "ssm_c") -> SSMConfig:
    """The State-space models page's SSMConfig of a view (`prefix`: ssm_k kernels, ssm_c conv = recurrence)."""
    d = SSMConfig()
    return SSMConfig(init=settings.get(f"{prefix}_init", d.init), N=int(settings.get(f"{prefix}_N", d.N)),
                     dt=10 ** float(settings.get(f"{prefix}_logdt", math.log10(d.dt))),
                     method=settings.get(f"{prefix}_method", d.method), L=int(settings.get(f"{prefix}_L", d.L)),
                     seed=int(settings.get("seed", d.seed)))


def seq2seq_config(settings: Settings) -> Seq2SeqConfig:
    """The Attention page's Seq2SeqConfig at these settings (attn_* keys), as its model controls build it."""
    t, m, d = TaskSpec(), ModelConfig(), Seq2SeqConfig()
    attention = settings.get("attn_attention", m.attention)
    model = ModelConfig(cell=settings.get("attn_cell", m.cell), attention=attention,
                        bidirectional=_flag(settings, "attn_bidir", m.bidirectional),
                        input_feeding=attention != "none" and _flag(settings, "attn_feed", m.input_feeding),
                        hidden_size=int(settings.get("attn_hidden", m.hidden_size)))
    task = task_spec(settings.get("attn_task", t.name), int(settings.get("attn_min_len", t.min_length)),
                     int(settings.get("attn_max_len", t.max_length)), int(settings.get("attn_delay", t.delay)))
    return Seq2SeqConfig(task=task, model=model, steps=int(settings.get("attn_steps", d.steps)),
                         teacher_forcing=float(settings.get("attn_tf", d.teacher_forcing)),
                         seed=int(settings.get("seed", d.seed)))


def sweep_config(settings: Settings) -> SweepConfig:
    """The Attention page's bottleneck SweepConfig at these settings."""
    d, config = SweepConfig(), seq2seq_config(settings)
    return SweepConfig(attention=settings.get("attn_sweep_attention", d.attention), cell=config.model.cell,
                       hidden_size=config.model.hidden_size,
                       lengths=sweep_lengths(int(settings.get("attn_sweep_max", max(d.lengths)))),
                       steps=int(settings.get("attn_sweep_steps", d.steps)), seed=config.seed)


def _power(value: float) -> str:
    """A positive number as 'about 10^k' in Markdown-LaTeX, or its digits where it is between 0.01 and 10⁴."""
    if value == 0:
        return "exactly 0"
    if not math.isfinite(value):
        return "infinite"
    if 0.01 <= value < 1e4:
        return f"{value:.3g}"
    return f"about $10^{{{math.log10(value):.0f}}}$"


def _flow(settings: Settings, run: Run):
    """The Gradient flow result at these settings: RNN, LSTM and GRU on the same input."""
    return run(gradient_through_time, flow_config(settings))


def _ratio(kind: str):
    """‖dL/dx_(T−1)‖ ÷ ‖dL/dx_0‖ of `kind`, as a power of ten."""
    def fact(settings: Settings, run: Run) -> str:
        return _power(_flow(settings, run).kinds[kind].input_ratio())
    return fact


def _first_input_gradient(kind: str):
    """‖dL/dx_0‖ of `kind`, as a power of ten."""
    def fact(settings: Settings, run: Run) -> str:
        return _power(float(_flow(settings, run).kinds[kind].grad_input_norm[0]))
    return fact


def _decay(kind: str):
    """The fitted decay rate λ of `kind` (layer 0), decades per step."""
    def fact(settings: Settings, run: Run) -> str:
        slope = _flow(settings, run).kinds[kind].fits[0].slope
        return "not measurable" if math.isnan(slope) else f"{slope:.3g}"
    return fact


def _memory(kind: str):
    """The effective memory M = 6/(−λ) of `kind` (layer 0), in steps."""
    def fact(settings: Settings, run: Run) -> str:
        memory = _flow(settings, run).kinds[kind].fits[0].effective_memory
        return "unbounded (no decay)" if not math.isfinite(memory) else f"{memory:.0f}"
    return fact


def _underflowed(kind: str):
    """How many of `kind`'s ‖dL/dh_t‖ (layer 0) are exactly 0."""
    def fact(settings: Settings, run: Run) -> str:
        return str(int(_flow(settings, run).kinds[kind].underflow[:, 0].sum()))
    return fact


def _contracting_steps(settings: Settings, run: Run) -> str:
    """How many steps' Jacobians J_t have every singular value below 1 (the Jacobian spectrum view's model)."""
    spectrum = run(jacobian_spectrum, flow_config(settings), settings["grad_spec_kind"], 0)
    return str(int((spectrum.singular_values.max(axis=1) < 1).sum()))


def _sweep_exact(which: str):
    """Exact accuracy at the sweep's longest length, of 'none' or of the attention model (shipped sweep)."""
    def fact(settings: Settings, run: Run) -> str:
        sweep, wanted = run(shipped_sweep), sweep_config(settings)
        if sweep is None or sweep.config != wanted:
            raise ValueError("only the shipped sweep is quoted; run this one on the page")
        return f"{sweep.exact['none' if which == 'none' else wanted.attention][-1]:.0%}"
    return fact


def exposure_length(settings: Settings) -> int:
    """The Exposure bias view's test source length at these settings (its default: a few past training)."""
    longest = seq2seq_config(settings).task.max_length
    return int(settings.get("attn_exp_len", min(longest + EXPOSURE_EXTRA_LENGTH, MAX_LENGTH)))


def _exposure(field: str, digits: int = 0):
    """An accuracy of the shipped model at these settings, teacher-forced or free-running (Exposure bias):
    exact (whole outputs) or the mean per position, as a percentage with `digits` decimals (the page's)."""
    def fact(settings: Settings, run: Run) -> str:
        result = run(shipped_exposure, seq2seq_config(settings), exposure_length(settings))
        return f"{getattr(result, field):.{digits}%}"
    return fact


def shipped_exposure(config: Seq2SeqConfig, length: int):
    """The Exposure bias view's result for the shipped model of `config` (128 sources of `length`, as the page)."""
    trained = shipped_models().get(config)
    if trained is None:
        raise ValueError("no shipped model has these settings; train it on the page")
    return exposure_bias(trained, length, n=128, seed=config.seed)


IMPULSE_FRACTION = 0.01  # an impulse's trace has faded once the state's deviation is under 1 % of its peak


def _impulse_steps(state: str):
    """Steps after an impulse (or a step's onset) until state `state`'s largest deviation from its value just
    before the onset falls under IMPULSE_FRACTION of its peak (layer 0, forward)."""
    def fact(settings: Settings, run: Run) -> str:
        config = cell_config(settings)
        values = cell_states(run(run_cell, config).trace)[state]  # (T, H)
        onset = config.input.onset
        deviation = np.abs(values[onset:] - values[max(onset - 1, 0)]).max(axis=1)  # (T − onset,)
        faded = np.nonzero(deviation < IMPULSE_FRACTION * deviation.max())[0]
        return f"{faded[0]}" if len(faded) else f"more than {len(deviation) - 1}"
    return fact


def _phase_boundary(settings: Settings, run: Run) -> str:
    """The smallest swept ρ at which the RNN's gradient grows back to h_0 over the longest T (phase diagram)."""
    config = phase_configs(settings)[0]
    longest = run(phase_sweep, config).log10_ratio[:, -1]
    growing = [rho for rho, value in zip(config.rhos, longest) if value > 0]
    return f"{min(growing):.2f}" if growing else "beyond the swept radii"


def _kernel_radius(settings: Settings, run: Run) -> str:
    return f"{run(ssm_kernels, ssm_config(settings, 'ssm_k')).max_abs_eig_A_bar:.6f}"


def memory_config(settings: Settings) -> tuple[MemoryConfig, int]:
    """The Memory (HiPPO) view's MemoryConfig and scrubbed time t at these settings (ssm_mem_* keys)."""
    d = MemoryConfig()
    config = MemoryConfig(settings.get("ssm_mem_signal", d.signal), int(settings.get("ssm_mem_T", d.T)),
                          int(settings.get("ssm_mem_N", d.N)), int(settings.get("seed", d.seed)))
    return config, int(settings.get("ssm_mem_t", config.T // 2))


def _memory_rms(settings: Settings, run: Run) -> str:
    config, t = memory_config(settings)
    _, rms = run(hippo_memory, config).history_at(t)
    return f"{rms:.2g}"


def _saved_accuracy(kind: str):
    """The saved comparison's accuracy of `kind` at its longest length (Compare on a task, its task setting)."""
    def fact(settings: Settings, run: Run) -> str:
        result = load_results(results_path(settings.get("ssm_cmp_task", CompareConfig().task)))
        if result is None:
            raise ValueError("no saved comparison for this task")
        accuracy = result.accuracy[kind]
        return f"{100 * accuracy[max(accuracy)]:.0f} %"
    return fact


def language_reading(kind: str, start: int, length: int, layer: int, quantity: str, feature: str):
    """The Language lab's reading of a held-out window: (its Reading, the Window)."""
    window = lab.held_out(start, length, lab.shipped_model(kind).model)
    return lab.reading(kind, window, layer, quantity, feature), window


def top_unit(kind: str, start: int, length: int, layer: int, quantity: str, feature: str) -> tuple[int, float]:
    """The Language lab's first-ranked unit for a held-out window and its correlation r with `feature`."""
    return language_reading(kind, start, length, layer, quantity, feature)[0].ranking[0]


def reading_args(settings: Settings) -> tuple:
    """The Language lab's reading arguments at these settings (lang_* keys), for held-out code."""
    w, r = lab.WindowSpec(), lab.ReadingSpec()
    if settings["lang_source"] != "held-out code":
        raise ValueError("facts read the held-out code only")
    return (settings.get("lang_model", r.kind), int(settings.get("lang_start", w.start)),
            int(settings.get("lang_length", w.length)), int(settings.get("lang_layer", 0)),
            settings.get("lang_quantity", r.quantity), settings.get("lang_feature", r.feature))


def _top_unit(settings: Settings, run: Run) -> str:
    return str(run(top_unit, *reading_args(settings))[0])


def _top_unit_r(settings: Settings, run: Run) -> str:
    return f"{run(top_unit, *reading_args(settings))[1]:+.2f}"


def _test_bits(name: str):
    """Held-out test bits per character of a shipped model or baseline (assets/language/results.json)."""
    def fact(settings: Settings, run: Run) -> str:
        scores = run(lab.results)
        bits = scores["models"][name]["bits_per_char"] if name in scores["models"] else scores["baselines"][name]
        return f"{bits['test']:.2f}"
    return fact


def _conv_scan_difference(settings: Settings, run: Run) -> str:
    return f"{run(conv_and_scan, ssm_config(settings)).max_difference:.1e}"


def look_config(settings: Settings, run: Run) -> LookConfig:
    """The "Who looks at whom" view's LookConfig at these settings (rva_look_* keys, seed): the page's
    example of the source where the step types no input."""
    seed = int(settings.get("seed", LookConfig.seed))
    source = settings.get("rva_look_source", LookConfig.source)
    text = settings.get("rva_look_text") or run(example, source, seed)
    return LookConfig(source, text, settings.get("rva_look_pe", LookConfig.positional), permutation_seed=seed,
                      seed=seed)


def _looks(settings: Settings, run: Run):
    return run(who_looks_at_whom, look_config(settings, run))


def _permutation(setting: str):
    """max |f(P x) − P f(x)| of the Transformer with `setting` (a row of the page's permutation table)."""
    def fact(settings: Settings, run: Run) -> str:
        return f"{_looks(settings, run).permutation[setting]:.1e}"
    return fact


def above_diagonal(result) -> float:
    """The largest entry above the diagonal (an output reading a later input) over every matrix of the view."""
    matrices = (*result.attention.reshape(-1, *result.mamba.shape), result.mamba, result.lstm)
    return max(float(np.abs(np.triu(m, 1)).max()) for m in matrices)


def last_row_focus(result) -> tuple[int, float]:
    """(position, weight) of the largest attention weight of the last token in the last layer, over its heads."""
    row = result.attention[-1, :, -1]  # (heads, l)
    head, position = np.unravel_index(int(row.argmax()), row.shape)
    return int(position), float(row[head, position])


def _focus(settings: Settings, run: Run) -> str:
    result = _looks(settings, run)
    position, _ = last_row_focus(result)
    return f"`{result.chars[position]}` at position {position}"


def _focus_weight(settings: Settings, run: Run) -> str:
    return f"{last_row_focus(_looks(settings, run))[1]:.2f}"


def _trigger_answer(settings: Settings, run: Run) -> str:
    """Induction heads: the token after the first trigger "?" of the input, and its position."""
    text = look_config(settings, run).text
    position = text.find("?") + 1
    if not 0 < position < len(text) - 1:
        raise ValueError("the input has no trigger followed by a token")
    return f"`{text[position]}` at position {position}"


def _look_shape(axis: int):
    """How many layers (0) or heads (1) the view's Transformer has."""
    def fact(settings: Settings, run: Run) -> str:
        return str(_looks(settings, run).attention.shape[axis])
    return fact


def learned(task: str) -> tuple[dict, dict]:
    """The "What each can learn" view's accuracy (kind → length → accuracy) and parameter counts of the five
    models: the state-space page's saved Mamba, S4D and LSTM and this page's GRU and Transformer."""
    saved, ssm = saved_result(task), load_results(results_path(task))
    if saved is None or ssm is None:
        raise ValueError("no saved comparison for this task")
    accuracy = {**ssm.accuracy, **saved.accuracy}
    params = {**ssm.params, **{k: saved.params[transformer_name(saved.config.positional) if k == "transformer"
                                               else k] for k in saved.accuracy}}
    return accuracy, params


def _learn_task(settings: Settings) -> str:
    task = settings.get("rva_learn_task", RetrainConfig().task)
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}")
    return task


def _learned_accuracy(kind: str):
    """The saved run's accuracy of `kind` at the longest length it was trained on."""
    def fact(settings: Settings, run: Run) -> str:
        accuracy = run(learned, _learn_task(settings))[0][kind]
        return f"{100 * accuracy[max(accuracy)]:.0f} %"
    return fact


def _learned_params(kind: str):
    def fact(settings: Settings, run: Run) -> str:
        return f"{run(learned, _learn_task(settings))[1][kind]:,}"
    return fact


def _longest_learned(settings: Settings, run: Run) -> str:
    return str(max(run(learned, _learn_task(settings))[0]["transformer"]))


def _saved_generalisation(settings: Settings, run: Run):
    saved = run(saved_result, _learn_task(settings))
    if saved is None:
        raise ValueError("no saved comparison for this task")
    return saved


def _generalisation(name: str):
    """Accuracy of `name` (a generalisation curve of the saved run) at the longest test, max(factors) · L."""
    def fact(settings: Settings, run: Run) -> str:
        curve = _saved_generalisation(settings, run).generalisation[name]
        return f"{100 * curve[max(curve)]:.0f} %"
    return fact


def _generalisation_length(factor: int):
    """`factor` · L: the training length of the generalisation test (1) or its longest test."""
    def fact(settings: Settings, run: Run) -> str:
        return str(factor * _saved_generalisation(settings, run).config.train_length)
    return fact


def cost_config(settings: Settings) -> CostConfig:
    """The "What a token costs" view's CostConfig at these settings (rva_cost_* keys, seed), on the CPU."""
    d = CostConfig()
    return CostConfig(longest_context=int(settings.get("rva_cost_T", d.longest_context)),
                      longest_train=int(settings.get("rva_cost_L", d.longest_train)),
                      d_model=int(settings.get("rva_cost_d", d.d_model)), seed=int(settings.get("seed", d.seed)))


def kept_bytes(config: CostConfig) -> dict[str, list[int]]:
    """kind → bytes kept between tokens at each context T of `config`, as the view counts them (token_cost on
    the CPU; the bytes are the same on any device, the timings that come with them are not quoted)."""
    models, device = CostModels(config), torch.device("cpu")
    return {kind: [token_cost(models, kind, T, config, device)[1] for T in config.contexts] for kind in COST_KINDS}


def _bytes_at_longest(kind: str):
    """Bytes `kind` keeps at the longest context: the KV cache (in MiB) or a recurrent state (bytes)."""
    def fact(settings: Settings, run: Run) -> str:
        value = run(kept_bytes, cost_config(settings))[kind][-1]
        return f"{value / 2**20:,.1f} MiB" if kind == "transformer" else f"{value:,} bytes"
    return fact


def _bytes_ratio(kind: str):
    """The KV cache at the longest context ÷ `kind`'s state."""
    def fact(settings: Settings, run: Run) -> str:
        kept = run(kept_bytes, cost_config(settings))
        return f"{kept['transformer'][-1] / kept[kind][-1]:,.0f}"
    return fact


def _bytes_slope(kind: str):
    """The fitted slope of log bytes against log T (the view's "bytes" slope): 1 linear, 0 constant."""
    def fact(settings: Settings, run: Run) -> str:
        config = cost_config(settings)
        return f"{fitted_slope(np.asarray(config.contexts, dtype=float), run(kept_bytes, config)[kind]):.2f}"
    return fact


def _context(which: int):
    """The shortest (0) or longest (−1) context T the view measures."""
    def fact(settings: Settings, run: Run) -> str:
        return f"{cost_config(settings).contexts[which]:,}"
    return fact


@dataclass(frozen=True)
class Fact:
    compute: Callable[[Settings, Run], str]
    says: str  # what it is, for docs/lessons.md and error messages


FACTS: dict[str, Fact] = {
    "quoted_ratio": Fact(lambda s, r: f"{HANDBOOK_QUOTED_RATIO:,}",
                         "the handbook's quoted ratio ‖dL/dx_99‖ ÷ ‖dL/dx_0‖"),
    **{f"{k}_ratio": Fact(_ratio(k), f"the {k.upper()}'s ‖dL/dx_(T−1)‖ ÷ ‖dL/dx_0‖ (Gradient flow)")
       for k in KINDS},
    **{f"{k}_first_input_gradient": Fact(_first_input_gradient(k), f"the {k.upper()}'s ‖dL/dx_0‖")
       for k in KINDS},
    **{f"{k}_decay": Fact(_decay(k), f"the {k.upper()}'s fitted decay rate λ (decades per step, layer 0)")
       for k in KINDS},
    **{f"{k}_memory": Fact(_memory(k), f"the {k.upper()}'s effective memory M = 6/(−λ) in steps")
       for k in KINDS},
    **{f"{k}_underflowed": Fact(_underflowed(k), f"how many of the {k.upper()}'s ‖dL/dh_t‖ are exactly 0")
       for k in KINDS},
    "contracting_steps": Fact(_contracting_steps, "how many steps' Jacobians have σ_max < 1 (Jacobian spectrum)"),
    "impulse_steps_h": Fact(_impulse_steps("h"), "steps until h's trace of an impulse falls under 1 % of its peak"),
    "impulse_steps_c": Fact(_impulse_steps("c"), "the same for the LSTM's cell state c"),
    "phase_boundary": Fact(_phase_boundary, "the smallest swept ρ whose RNN gradient grows over the longest T"),
    "sweep_none_exact": Fact(_sweep_exact("none"), "exact accuracy without attention at the sweep's longest length"),
    "sweep_attention_exact": Fact(_sweep_exact("attention"), "exact accuracy with attention at that length"),
    "teacher_forced_exact": Fact(_exposure("teacher_forced_exact"), "exact accuracy, teacher-forced (Exposure bias)"),
    "free_running_exact": Fact(_exposure("free_running_exact"), "exact accuracy, free-running (Exposure bias)"),
    "exposure_test_length": Fact(lambda s, r: str(exposure_length(s)), "the test source length (Exposure bias)"),
    "teacher_forced_mean": Fact(_exposure("teacher_forced_mean", 1),
                                "mean per-position accuracy, teacher-forced (Exposure bias)"),
    "free_running_mean": Fact(_exposure("free_running_mean", 1),
                              "mean per-position accuracy, free-running (Exposure bias)"),
    "kernel_radius": Fact(_kernel_radius, "max |λ(Ā)| of the Kernel explorer's SSM"),
    "memory_rms": Fact(_memory_rms, "RMS error of the history rebuilt from HiPPO's c(t) (Memory view)"),
    **{f"saved_accuracy_{k}": Fact(_saved_accuracy(k), f"the saved comparison's {k} accuracy at its longest length")
       for k in ("mamba", "s4d", "lstm")},
    "top_unit": Fact(_top_unit, "the Language lab's first-ranked unit for the step's feature"),
    "top_unit_r": Fact(_top_unit_r, "that unit's correlation r with the feature"),
    **{f"test_bits_{k}": Fact(_test_bits(k), f"held-out test bits per character of the {k}")
       for k in ("rnn", "lstm", "gru", "unigram", "bigram")},
    "conv_scan_difference": Fact(_conv_scan_difference, "max |y_conv − y_scan| of the Conv = recurrence view"),
    "look_layers": Fact(_look_shape(0), "the Transformer's layers (Who looks at whom)"),
    "look_heads": Fact(_look_shape(1), "the Transformer's heads per layer (Who looks at whom)"),
    "look_above_diagonal": Fact(lambda s, r: f"{above_diagonal(_looks(s, r)):g}",
                                "the largest entry above the diagonal over every matrix (Who looks at whom)"),
    "last_token_focus": Fact(_focus, "the token the last token's last-layer attention weighs most, and its position"),
    "last_token_focus_weight": Fact(_focus_weight, "that attention weight (the largest over the last layer's heads)"),
    "trigger_answer": Fact(_trigger_answer, "induction heads: the token after the input's first trigger ?"),
    "permutation_positions": Fact(_permutation("sinusoidal positions, causal mask"),
                                  "max |f(P x) − P f(x)| with sinusoidal positions and the causal mask"),
    "permutation_masked": Fact(_permutation("no positions, causal mask"),
                               "max |f(P x) − P f(x)| without positions, with the causal mask"),
    "permutation_unmasked": Fact(_permutation("no positions, no mask"),
                                 "max |f(P x) − P f(x)| without positions or mask"),
    **{f"learned_accuracy_{k}": Fact(_learned_accuracy(k), f"the saved {k} accuracy at the longest length "
                                                           "(What each can learn)")
       for k in ("transformer", "mamba", "s4d", "lstm", "gru")},
    **{f"learned_params_{k}": Fact(_learned_params(k), f"the {k}'s parameter count (What each can learn)")
       for k in ("transformer", "mamba", "s4d", "lstm", "gru")},
    "learned_longest": Fact(_longest_learned, "the longest length of the saved comparison (What each can learn)"),
    **{f"generalisation_{k}": Fact(_generalisation(n), f"accuracy of the {n} at {max(GENERALISATION_FACTORS)}L, "
                                                       "trained at L (What each can learn)")
       for k, n in (("sinusoidal", "transformer (sinusoidal)"), ("learned", "transformer (learned)"),
                    ("no_positions", "transformer (none)"), ("mamba", "mamba"), ("s4d", "s4d"), ("lstm", "lstm"),
                    ("gru", "gru"))},
    "generalisation_train_length": Fact(_generalisation_length(1), "the generalisation test's training length L"),
    "generalisation_longest": Fact(_generalisation_length(max(GENERALISATION_FACTORS)),
                                   "the generalisation test's longest length"),
    **{f"state_bytes_{k}": Fact(_bytes_at_longest(k), f"bytes the {k} keeps between tokens (What a token costs)")
       for k in ("lstm", "mamba")},
    "kv_cache": Fact(_bytes_at_longest("transformer"), "the Transformer's KV cache at the longest context T"),
    **{f"kv_cache_over_{k}": Fact(_bytes_ratio(k), f"the KV cache at the longest T ÷ the {k}'s state")
       for k in ("lstm", "mamba")},
    **{f"bytes_slope_{k}": Fact(_bytes_slope(k), f"fitted slope of the {k}'s bytes kept against T")
       for k in COST_KINDS},
    "shortest_context": Fact(_context(0), "the shortest context T measured (What a token costs)"),
    "longest_context": Fact(_context(-1), "the longest context T measured (What a token costs)"),
}
FACT_NAMES = frozenset(FACTS)


def fact_values(names, settings: Settings, run: Run = plain_run) -> dict[str, str]:
    """name → its value at `settings`, for each of `names`; a fact that cannot be computed says why."""
    values = {}
    for name in names:
        try:
            values[name] = FACTS[name].compute(settings, run)
        except (ValueError, TypeError, KeyError) as error:
            values[name] = f"(not computed: {error})"
    return values


def fill_facts(text: str, settings: Settings, run: Run = plain_run) -> str:
    """`text` with each {{fact}} replaced by its value at `settings`."""
    from seqviz.lessons.format import FACT
    names = {m.group(1) for m in FACT.finditer(text)}
    if not names:
        return text
    values = fact_values(names, settings, run)
    return FACT.sub(lambda m: values[m.group(1)], text)
