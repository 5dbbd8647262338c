"""Facts of the Attention lesson's exposure-bias step and of the Transformer lesson, each checked against the
backend call it quotes, made here directly."""
from __future__ import annotations

import numpy as np
import pytest

from seqviz.lessons.facts import FACTS, cost_config, kept_bytes, seq2seq_config
from seqviz.seq2seq.experiments import EXPOSURE_EXTRA_LENGTH, exposure_bias
from seqviz.seq2seq.shipped import shipped_models
from seqviz.ssm.results import load_results, results_path
from seqviz.transformer.cost import COST_KINDS, CostConfig, measure
from seqviz.transformer.learn import GENERALISATION_FACTORS
from seqviz.transformer.looks import LookConfig, example, who_looks_at_whom
from seqviz.transformer.results import saved_result


def memo_run():
    """A run that computes each backend call once (facts of one step share their calls, as in the app)."""
    seen = {}

    def run(fn, *args):
        if (fn, args) not in seen:
            seen[fn, args] = fn(*args)
        return seen[fn, args]
    return run


def fact(name: str, settings: dict, run) -> str:
    return FACTS[name].compute(settings, run)


def test_exposure_facts_are_the_views_means_and_exact_accuracies_at_its_default_length():
    settings, run = {}, memo_run()
    config = seq2seq_config(settings)
    length = config.task.max_length + EXPOSURE_EXTRA_LENGTH
    result = exposure_bias(shipped_models()[config], length, n=128, seed=config.seed)
    assert fact("exposure_test_length", settings, run) == str(length)
    assert fact("teacher_forced_mean", settings, run) == f"{result.teacher_forced_mean:.1%}"
    assert fact("free_running_mean", settings, run) == f"{result.free_running_mean:.1%}"
    assert fact("teacher_forced_exact", settings, run) == f"{result.teacher_forced_exact:.0%}"
    assert fact("free_running_exact", settings, run) == f"{result.free_running_exact:.0%}"
    assert result.teacher_forced_mean > result.free_running_mean  # what the lesson's step is about


@pytest.fixture(scope="module")
def looks():
    """The view's result for the induction-heads example at seed 0, with sinusoidal and with no positions."""
    text = example("induction_heads", 0)
    return text, {pe: who_looks_at_whom(LookConfig("induction_heads", text, pe, 0, 0)) for pe in ("sinusoidal", "none")}


@pytest.mark.parametrize("pe", ["sinusoidal", "none"])
def test_look_facts_are_read_off_the_views_matrices(looks, pe):
    text, results = looks
    result, run = results[pe], memo_run()
    settings = {"rva_look_source": "induction_heads", "rva_look_pe": pe, "seed": "0"}
    assert fact("look_layers", settings, run) == str(result.attention.shape[0])
    assert fact("look_heads", settings, run) == str(result.attention.shape[1])
    above = max(float(np.abs(np.triu(m, 1)).max())
                for m in (*result.attention.reshape(-1, len(text), len(text)), result.mamba, result.lstm))
    assert fact("look_above_diagonal", settings, run) == f"{above:g}"
    last = result.attention[-1, :, -1]  # (heads, l): the last token's row in the last layer
    position = int(last.max(axis=0).argmax())
    assert fact("last_token_focus", settings, run) == f"`{text[position]}` at position {position}"
    assert fact("last_token_focus_weight", settings, run) == f"{last.max():.2f}"
    assert fact("permutation_masked", settings, run) == f"{result.permutation['no positions, causal mask']:.1e}"
    assert fact("permutation_unmasked", settings, run) == f"{result.permutation['no positions, no mask']:.1e}"


def test_the_trigger_answer_is_the_token_after_the_first_trigger_and_the_trained_head_finds_it(looks):
    text, _ = looks
    settings, run = {"rva_look_source": "induction_heads", "seed": "0"}, memo_run()
    position = text.index("?") + 1
    assert fact("trigger_answer", settings, run) == f"`{text[position]}` at position {position}"
    assert fact("last_token_focus", settings, run) == fact("trigger_answer", settings, run)


def test_permutation_facts_say_rounding_without_mask_and_far_more_with_it(looks):
    _, results = looks
    deviations = results["none"].permutation
    assert deviations["no positions, no mask"] < 1e-9 < deviations["no positions, causal mask"]


@pytest.mark.parametrize("task", ["selective_copying", "induction_heads"])
def test_learned_facts_are_the_saved_runs(task):
    settings, run = {"rva_learn_task": task}, memo_run()
    saved, ssm = saved_result(task), load_results(results_path(task))
    accuracy = {**ssm.accuracy, **saved.accuracy}
    longest = max(saved.accuracy["transformer"])
    assert fact("learned_longest", settings, run) == str(longest)
    for kind in ("transformer", "mamba", "s4d", "lstm", "gru"):
        assert fact(f"learned_accuracy_{kind}", settings, run) == f"{100 * accuracy[kind][longest]:.0f} %"
    params = {**ssm.params, "gru": saved.params["gru"], "transformer": saved.params["transformer (sinusoidal)"]}
    for kind, count in params.items():
        assert fact(f"learned_params_{kind}", settings, run) == f"{count:,}"
    L = saved.config.train_length
    assert fact("generalisation_train_length", settings, run) == str(L)
    assert fact("generalisation_longest", settings, run) == str(max(GENERALISATION_FACTORS) * L)
    for name, curve in (("sinusoidal", "transformer (sinusoidal)"), ("learned", "transformer (learned)"),
                        ("no_positions", "transformer (none)"), ("mamba", "mamba"), ("s4d", "s4d"), ("lstm", "lstm"),
                        ("gru", "gru")):
        assert fact(f"generalisation_{name}", settings, run) == \
            f"{100 * saved.generalisation[curve][max(GENERALISATION_FACTORS) * L]:.0f} %"


def test_bytes_facts_are_the_bytes_the_cost_view_measures():
    settings = {"rva_cost_T": "512", "rva_cost_L": "128", "rva_cost_d": "32", "seed": "0"}
    config = cost_config(settings)
    assert config == CostConfig(longest_context=512, longest_train=128, d_model=32, seed=0)
    measured = measure(config)
    kept = kept_bytes(config)
    assert {k: list(v) for k, v in measured.state_bytes.items()} == kept
    run = memo_run()
    cache, lstm, mamba = (measured.state_bytes[k][-1] for k in ("transformer", "lstm", "mamba"))
    assert fact("kv_cache", settings, run) == f"{cache / 2**20:,.1f} MiB"
    assert fact("state_bytes_lstm", settings, run) == f"{lstm:,} bytes"
    assert fact("state_bytes_mamba", settings, run) == f"{mamba:,} bytes"
    assert fact("kv_cache_over_lstm", settings, run) == f"{cache / lstm:,.0f}"
    assert fact("kv_cache_over_mamba", settings, run) == f"{cache / mamba:,.0f}"
    for kind in COST_KINDS:
        assert fact(f"bytes_slope_{kind}", settings, run) == f"{measured.slope('bytes', kind):.2f}"
    assert fact("bytes_slope_transformer", settings, run) == "1.00" and fact("bytes_slope_lstm", settings, run) == "0.00"
    assert fact("shortest_context", settings, run) == f"{measured.contexts[0]:,}"
    assert fact("longest_context", settings, run) == f"{measured.contexts[-1]:,}"
