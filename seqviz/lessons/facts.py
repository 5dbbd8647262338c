"""Numbers a lesson's narrative quotes, computed from the step's own settings by the backend the page uses.

A narrative writes `{{rnn_ratio}}`; when the step is shown (and in the handout) the placeholder becomes the
value the page computes at that step's settings, so a quoted number is never typed in by hand. A step's
settings are its page's URL query parameters (raw text); what a setting leaves out takes the default of
the computation's config dataclass, the same default the page shows.

Each fact is `(settings, run) -> str`, where `run(fn, *args)` calls a backend function: the app passes a
cached call (seqviz.ui.cache.cached_data), tests and scripts a plain one.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping

from seqviz.gradients.flow import FlowConfig, HANDBOOK_QUOTED_RATIO, gradient_through_time, jacobian_spectrum
from seqviz.ssm.lab import SSMConfig, conv_and_scan

Settings = Mapping[str, str]
Run = Callable[..., object]
PAGE_FORGET_BIAS = 1.0  # the Gradient flow page's forget-bias slider while its toggle is off (a page literal)


def plain_run(fn, *args):
    """Call `fn(*args)` as it is (no cache)."""
    return fn(*args)


def flow_config(settings: Settings) -> FlowConfig:
    """The Gradient flow page's FlowConfig at these settings (grad_* keys, seed; computed on the CPU)."""
    d = FlowConfig()
    fb_on = settings.get("grad_fb_on", "1" if d.forget_bias is not None else "0") == "1"
    return FlowConfig(
        steps=int(settings.get("grad_T", d.steps)), hidden_size=int(settings.get("grad_H", d.hidden_size)),
        num_layers=int(settings.get("grad_layers", d.num_layers)),
        nonlinearity=settings.get("grad_nonlin", d.nonlinearity), init=settings.get("grad_init", d.init),
        spectral_radius=float(settings.get("grad_rho", d.spectral_radius)),
        forget_bias=float(settings.get("grad_fb", PAGE_FORGET_BIAS)) if fb_on else None,
        input_scale=float(settings.get("grad_scale", d.input_scale)), loss=settings.get("grad_loss", d.loss),
        dtype=settings.get("grad_dtype", d.dtype), seed=int(settings.get("seed", d.seed)))


def ssm_config(settings: Settings, prefix: str = "ssm_c") -> SSMConfig:
    """The State-space models page's SSMConfig of a view (`prefix`: ssm_k kernels, ssm_c conv = recurrence)."""
    d = SSMConfig()
    return SSMConfig(init=settings.get(f"{prefix}_init", d.init), N=int(settings.get(f"{prefix}_N", d.N)),
                     dt=10 ** float(settings.get(f"{prefix}_logdt", math.log10(d.dt))),
                     method=settings.get(f"{prefix}_method", d.method), L=int(settings.get(f"{prefix}_L", d.L)),
                     seed=int(settings.get("seed", d.seed)))


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
    return run(gradient_through_time, flow_config(settings))


def _ratio(kind: str):
    def fact(settings: Settings, run: Run) -> str:
        return _power(_flow(settings, run).kinds[kind].input_ratio())
    return fact


def _first_input_gradient(kind: str):
    def fact(settings: Settings, run: Run) -> str:
        return _power(float(_flow(settings, run).kinds[kind].grad_input_norm[0]))
    return fact


def _decay(kind: str):
    def fact(settings: Settings, run: Run) -> str:
        slope = _flow(settings, run).kinds[kind].fits[0].slope
        return "not measurable" if math.isnan(slope) else f"{slope:.3g}"
    return fact


def _memory(kind: str):
    def fact(settings: Settings, run: Run) -> str:
        memory = _flow(settings, run).kinds[kind].fits[0].effective_memory
        return "unbounded (no decay)" if not math.isfinite(memory) else f"{memory:.0f}"
    return fact


def _underflowed(kind: str):
    def fact(settings: Settings, run: Run) -> str:
        return str(int(_flow(settings, run).kinds[kind].underflow[:, 0].sum()))
    return fact


def _contracting_steps(settings: Settings, run: Run) -> str:
    """How many steps' Jacobians J_t have every singular value below 1 (the Jacobian spectrum view's model)."""
    spectrum = run(jacobian_spectrum, flow_config(settings), settings.get("grad_spec_kind", "rnn"), 0)
    return str(int((spectrum.singular_values.max(axis=1) < 1).sum()))


def _conv_scan_difference(settings: Settings, run: Run) -> str:
    return f"{run(conv_and_scan, ssm_config(settings)).max_difference:.1e}"


@dataclass(frozen=True)
class Fact:
    compute: Callable[[Settings, Run], str]
    says: str  # what it is, for docs/lessons.md and error messages


FACTS: dict[str, Fact] = {
    "quoted_ratio": Fact(lambda s, r: f"{HANDBOOK_QUOTED_RATIO:,}", "the handbook's quoted ratio ‖dL/dx_99‖ ÷ ‖dL/dx_0‖"),
    **{f"{k}_ratio": Fact(_ratio(k), f"the {k.upper()}'s ‖dL/dx_(T−1)‖ ÷ ‖dL/dx_0‖ (Gradient flow)") for k in ("rnn", "lstm", "gru")},
    **{f"{k}_first_input_gradient": Fact(_first_input_gradient(k), f"the {k.upper()}'s ‖dL/dx_0‖")
       for k in ("rnn", "lstm", "gru")},
    **{f"{k}_decay": Fact(_decay(k), f"the {k.upper()}'s fitted decay rate λ (decades per step, layer 0)")
       for k in ("rnn", "lstm", "gru")},
    **{f"{k}_memory": Fact(_memory(k), f"the {k.upper()}'s effective memory M = 6/(−λ) in steps")
       for k in ("rnn", "lstm", "gru")},
    **{f"{k}_underflowed": Fact(_underflowed(k), f"how many of the {k.upper()}'s ‖dL/dh_t‖ are exactly 0")
       for k in ("rnn", "lstm", "gru")},
    "contracting_steps": Fact(_contracting_steps, "how many steps' Jacobians have σ_max < 1 (Jacobian spectrum)"),
    "conv_scan_difference": Fact(_conv_scan_difference, "max |y_conv − y_scan| of the Conv = recurrence view"),
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
