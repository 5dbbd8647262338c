"""seqviz.transformer's page backend (looks, learn, cost) and seqviz.figures.transformer."""
import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from seqviz.core import seeding
from seqviz.figures import transformer as figures
from seqviz.ssm.compare import SequenceModel, parameter_count
from seqviz.transformer import learn
from seqviz.transformer.cost import CostConfig, fitted_slope, measure
from seqviz.transformer.looks import LookConfig, example, recurrent_dependency


def test_lstm_dependency_equals_the_norms_of_autograd_jacobian_blocks():
    lstm = seeding.seeded(nn.LSTM, 3, 5, batch_first=True, generator=seeding.generator(0)).double()
    x = torch.randn(7, 3, generator=seeding.generator(1), dtype=torch.float64)
    J = torch.autograd.functional.jacobian(lambda v: lstm(v[None])[0][0], x)  # (l, H, l, E)
    reference = J.square().sum(dim=(1, 3)).sqrt().numpy()
    assert np.allclose(recurrent_dependency(lstm, x), reference, atol=1e-12)


@pytest.mark.parametrize("positional", ["learned", "none"])
def test_the_permutation_check_keeps_the_shown_models_weights_and_finds_equivariance_only_unmasked(positional):
    from seqviz.transformer.looks import permutation_check, permuted
    from seqviz.transformer.model import Transformer, TransformerConfig
    model = Transformer(TransformerConfig(d_model=8, positional=positional, max_len=16))
    same = permuted(model.config, model, positional, True)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), same.state_dict().values()))
    deviations = permutation_check(model, torch.arange(10)[None], seed=1)
    assert len(deviations) == (3 if positional == "learned" else 2)
    assert deviations["no positions, no mask"] < 1e-6 < deviations["no positions, causal mask"]


def test_look_config_refuses_an_input_too_long_to_draw_with_a_message():
    with pytest.raises(ValueError, match="2 to 96 tokens"):
        LookConfig("corpus", "x" * 97)


def test_examples_are_repeatable_from_their_seed():
    assert example("corpus", 3) == example("corpus", 3) != example("corpus", 4)
    assert len(example("corpus", 3)) == 64 and example("induction_heads", 2).endswith("?")


def test_the_added_models_are_matched_to_the_mamba_budget():
    config = learn.LearnConfig()
    target = parameter_count(SequenceModel("mamba", config.base.d_model, config.base.d_state))
    for kind in learn.ADDED_KINDS:
        assert abs(parameter_count(learn.build(kind, config)) - target) / target < 0.1, kind


def test_a_short_retrain_reports_losses_and_generalisation_at_l_2l_and_4l():
    config = learn.RetrainConfig(task="induction_heads", positional="learned", length=8, steps=3)
    result, model = learn.retrain(config)
    name = "transformer (learned)"
    assert len(result.losses["transformer"][8]) == 3 and set(result.generalisation[name]) == {8, 16, 32}
    assert not model.training


def test_a_learn_result_survives_saving_and_loading(tmp_path):
    config = replace(learn.LearnConfig(), base=replace(learn.LearnConfig.base, steps=2, lengths=(8,)),
                     train_length=8)
    result, _ = learn.learn(config, kinds=("gru",), encodings=("none",))
    learn.save_learned(result, tmp_path / "r.json")
    assert learn.load_learned(tmp_path / "r.json") == result
    assert learn.load_learned(tmp_path / "missing.json") is None


def test_fitted_slope_recovers_a_power_law():
    x = np.array([128, 256, 512, 1024.0])
    assert fitted_slope(x, 3 * x ** 1.5) == pytest.approx(1.5)


def test_measured_bytes_grow_with_the_context_for_the_kv_cache_only():
    result = measure(CostConfig(longest_context=512, longest_train=128, d_model=16, n_heads=2, tokens_timed=2,
                                repeats=1))
    assert result.contexts == (128, 256, 512) and result.train_lengths == (128,)
    assert list(result.state_bytes["transformer"]) == [2 * 2 * 2 * 16 * T * 4 // 2 for T in (128, 256, 512)]
    assert len(set(result.state_bytes["lstm"])) == 1 and len(set(result.state_bytes["mamba"])) == 1
    assert result.slope("bytes", "transformer") == pytest.approx(1.0)
    assert all(np.all(s > 0) for s in result.token_seconds.values())


def test_cost_config_names_a_context_out_of_range():
    with pytest.raises(ValueError, match="longest_context must lie in"):
        CostConfig(longest_context=32_768)


def titles(figure) -> list[str]:
    texts = [figure.layout.title.text or ""] + [a.text for a in figure.layout.annotations]
    return [t for t in texts if t]


def test_figures_show_tokens_on_hover_and_titles_without_latex_braces():
    chars = list("ab?c")
    attention = np.tril(np.ones((2, 2, 4, 4))) / np.arange(1, 5)[:, None]
    built = [figures.looks_figure(attention, np.eye(4), np.eye(4), chars),
             figures.token_cost_figure([128, 256], {"lstm": np.ones(2), "transformer": np.ones(2)},
                                       {"lstm": np.ones(2), "transformer": np.ones(2)},
                                       {w: {"lstm": 0.0, "transformer": 1.0} for w in ("token", "bytes")}, "cpu"),
             figures.train_cost_figure([128, 256], {"lstm": np.ones(2)}, {"lstm": 1.0}, "cpu"),
             figures.generalisation_figure({"mamba": {8: 1.0, 16: 0.5}}, 8),
             figures.accuracy_figure({"gru": {8: 1.0}}, {"gru": 10})]
    assert len(built[0].data) == 2 * 2 + 2 and list(built[0].data[0].x) == ["0:a", "1:b", "2:?", "3:c"]
    assert [t.coloraxis for t in built[0].data] == ["coloraxis"] * 4 + ["coloraxis2", "coloraxis3"]
    assert "output %{y} ← input %{x}" in built[0].data[0].hovertemplate
    for figure in built:
        assert not any("{" in t or "\\" in t for t in titles(figure)), titles(figure)
        json.loads(figure.to_json())


def test_whitespace_is_visible_in_token_labels():
    assert figures.token_labels([" ", "\n"]) == ["0:␣", "1:⏎"]


def test_every_task_has_a_saved_result_with_generalisation_of_all_seven_models():
    from seqviz.ssm.tasks import TASKS
    from seqviz.transformer.results import saved_result
    for task in TASKS:
        saved = saved_result(task)
        assert saved.config.base.task == task and set(saved.accuracy) == set(learn.ADDED_KINDS)
        assert set(saved.generalisation) == {"gru", "mamba", "s4d", "lstm", "transformer (sinusoidal)",
                                             "transformer (learned)", "transformer (none)"}


def test_the_task_transformer_is_the_saved_one(monkeypatch):
    from seqviz.transformer import results
    monkeypatch.setattr(results, "learn", lambda *a, **k: pytest.fail("trained instead of loading"))
    model = results.task_transformer("induction_heads")
    assert not model.training and model.config.positional == "sinusoidal"


def test_the_readmes_generalisation_table_is_the_saved_induction_heads_run():
    from tests.conftest import ROOT
    from seqviz.transformer.results import saved_result
    g = saved_result("induction_heads").generalisation
    readme = (ROOT / "README.md").read_text()
    pct = lambda name, l: f"{100 * g[name][l]:.0f}"  # noqa: E731
    assert all(g[k][32] == g[k][128] == 1.0 for k in ("lstm", "gru", "mamba"))
    names = [f"transformer ({pe})" for pe in ("sinusoidal", "learned", "none")]
    row = (f"| Transformer, sinusoidal / learned / no positions | {' / '.join(pct(n, 32) for n in names)} % | "
           f"{' / '.join(pct(n, 128) for n in names)} % |")
    assert row in readme


def test_the_backend_and_its_figures_import_without_streamlit():
    import subprocess
    import sys
    code = ("import sys, seqviz.figures.transformer, seqviz.transformer.looks, seqviz.transformer.cost, "
            "seqviz.transformer.learn; assert 'streamlit' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
