"""The instrumented trainer: clipping equals torch's, the ‖dL/dh_t‖ profile is exact under
truncation, runs are reproducible, stop and NaN endings keep their curves."""
import math

import numpy as np
import pytest
import torch
from torch import nn

from seqviz.gradients.clipping import clip_gradients
from seqviz.gradients.tasks import step_losses, task_batch
from seqviz.gradients.training import (
    TaskTrainConfig,
    build_task_model,
    hidden_gradient_profile,
    histories_csv,
    history_rows,
    run_label,
    train_on_task,
)


def gradients_pair(seed=0, scale=10.0):
    """Two identical parameter sets with the same random gradients."""
    generator = torch.Generator().manual_seed(seed)
    a = [nn.Parameter(torch.zeros(4, 3)), nn.Parameter(torch.zeros(5)), nn.Parameter(torch.zeros(2, 2))]
    b = [nn.Parameter(torch.zeros_like(p)) for p in a]
    for p, q in zip(a, b):
        g = torch.randn(p.shape, generator=generator) * scale
        p.grad, q.grad = g.clone(), g.clone()
    return a, b


@pytest.mark.parametrize("max_norm", [0.5, 3.0, 1e6])
def test_clip_by_global_norm_equals_torch_clip_grad_norm(max_norm):
    ours, theirs = gradients_pair()
    raw = clip_gradients(ours, "norm", max_norm).raw_norm
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm)
    assert raw == pytest.approx(float(expected), rel=1e-6)
    for p, q in zip(ours, theirs):
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-6, atol=0)


def test_clip_by_value_equals_torch_clip_grad_value():
    ours, theirs = gradients_pair()
    clip_gradients(ours, "value", 2.5)
    torch.nn.utils.clip_grad_value_(theirs, 2.5)
    for p, q in zip(ours, theirs):
        assert torch.equal(p.grad, q.grad)


def test_clipping_reports_raw_and_clipped_norms_and_whether_it_clipped():
    params, _ = gradients_pair()
    result = clip_gradients(params, "norm", 1.0)
    assert result.raw_norm > 1.0 and result.clipped_norm == pytest.approx(1.0, rel=1e-5) and result.clipped
    params, _ = gradients_pair(scale=1e-3)
    result = clip_gradients(params, "norm", 1.0)
    assert result.raw_norm == pytest.approx(result.clipped_norm) and not result.clipped
    params, _ = gradients_pair()
    result = clip_gradients(params, "off", 1.0)
    assert result.raw_norm == result.clipped_norm and not result.clipped


def stepwise_profile(model, batch, truncation):
    """‖dL/dh_t‖ over the batch by stepping the stock core one step at a time (detaching every k)."""
    S = batch.x.shape[1]
    state, hs, outs = None, [], []
    for t in range(S):
        if truncation and t % truncation == 0 and state is not None:
            state = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
        out, state = model.core(batch.x[:, t:t + 1].transpose(0, 1), state)
        h = state[0] if isinstance(state, tuple) else state
        h.retain_grad()
        hs.append(h)
        outs.append(h[0])
    prediction = model.readout(torch.stack(outs, dim=1))
    loss = (batch.mask * step_losses(batch.task, prediction, batch.y)).sum() / batch.mask.sum()
    loss.backward()
    return np.array([float(h.grad.double().norm()) if h.grad is not None else 0.0 for h in hs])


@pytest.mark.parametrize("kind, task, truncation", [("rnn", "copy", 0), ("lstm", "copy", 4), ("gru", "adding", 5),
                                                     ("rnn", "adding", 0)])
def test_hidden_gradient_profile_matches_a_stepwise_loop(kind, task, truncation):
    config = TaskTrainConfig(task=task, length=12, kind=kind, hidden_size=6, seed=1)
    model = build_task_model(config)
    batch = task_batch(task, 3, 12, torch.Generator().manual_seed(0))
    profile = hidden_gradient_profile(model, batch, truncation)
    np.testing.assert_allclose(profile, stepwise_profile(model, batch, truncation), rtol=2e-4, atol=1e-12)


def test_truncation_stops_the_adding_gradient_at_the_last_chunk():
    config = TaskTrainConfig(task="adding", length=20, hidden_size=6)
    batch = task_batch("adding", 4, 20, torch.Generator().manual_seed(0))
    profile = hidden_gradient_profile(build_task_model(config), batch, truncation=5)
    assert (profile[:15] == 0).all() and (profile[15:] > 0).all()


def test_profile_leaves_the_model_without_gradients():
    config = TaskTrainConfig(task="copy", length=5, hidden_size=4)
    model = build_task_model(config)
    hidden_gradient_profile(model, task_batch("copy", 2, 5, torch.Generator().manual_seed(0)))
    assert all(p.grad is None for p in model.parameters())


def tiny(**changes) -> TaskTrainConfig:
    return TaskTrainConfig(**{**dict(task="adding", length=20, hidden_size=8, batch_size=8, updates=15,
                                     heatmap_every=5), **changes})


def test_same_seed_gives_the_same_curves_and_another_seed_does_not():
    a, b, c = train_on_task(tiny(seed=4)), train_on_task(tiny(seed=4)), train_on_task(tiny(seed=5))
    assert a.loss == b.loss and a.raw_norm == b.raw_norm
    assert all(np.array_equal(x, y) for x, y in zip(a.heatmap, b.heatmap))
    assert a.loss != c.loss


def test_training_records_every_update_and_samples_the_heatmap():
    history = train_on_task(tiny(clip="norm", clip_threshold=0.01))
    assert history.status == "finished" and history.updates_done == 15
    assert history.heatmap_updates == [0, 5, 10, 14]
    assert history.heatmap[0].shape == (20,)
    assert history.fraction_clipped == 1.0
    assert all(c == pytest.approx(0.01, rel=1e-3) for c in history.clipped_norm)


def test_adam_learns_the_adding_problem_a_little_below_its_start():
    history = train_on_task(tiny(updates=60, optimizer="adam", learning_rate=1e-2))
    assert np.mean(history.loss[-10:]) < np.mean(history.loss[:10])


def test_on_progress_returning_false_stops_and_keeps_the_curves():
    history = train_on_task(tiny(updates=50), on_progress=lambda h: h.updates_done < 7)
    assert history.status == "stopped" and history.updates_done == 7


def test_no_clipping_with_rho_3_ends_in_nan_and_says_where():
    history = train_on_task(tiny(clip="off", nonlinearity="relu", spectral_radius=3.0, length=200))
    assert history.status == "nan"
    assert math.isnan(history.loss[-1])
    assert "update 0" in history.message and "forward pass overflowed" in history.message


def test_exploding_sgd_run_keeps_its_finite_curve_up_to_the_nan():
    history = train_on_task(tiny(clip="off", init="normal", spectral_radius=3.0, optimizer="sgd", learning_rate=10.0,
                                 length=100, updates=50))
    assert history.status == "nan" and history.updates_done > 2
    assert all(math.isfinite(v) for v in history.loss[:-1])
    assert f"update {history.updates_done - 1}" in history.message


def test_history_rows_are_one_per_update():
    history = train_on_task(tiny(updates=3))
    rows = history_rows("a", history)
    assert [r["update"] for r in rows] == [0, 1, 2] and rows[1]["loss"] == history.loss[1]


def test_histories_csv_holds_every_update_of_every_run_under_its_name():
    first, second = train_on_task(tiny(updates=2)), train_on_task(tiny(updates=3))
    lines = histories_csv({"first": first, "second": second}).splitlines()
    assert lines[0] == "run,update,loss,raw_norm,clipped_norm,clipped"
    assert [line.split(",")[:2] for line in lines[1:]] == [["first", "0"], ["first", "1"], ["second", "0"],
                                                           ["second", "1"], ["second", "2"]]


def test_bad_clip_names_the_accepted_ones():
    with pytest.raises(ValueError, match="off, norm, value; got 'max'"):
        TaskTrainConfig(clip="max")


def test_a_run_label_names_the_core_settings_and_every_changed_one():
    assert run_label(TaskTrainConfig()) == "RNN adding T=50, clip norm 1"
    label = run_label(TaskTrainConfig(kind="lstm", task="copy", clip="off", optimizer="sgd", learning_rate=0.01,
                                      spectral_radius=1.5, truncation=5))
    assert label == "LSTM copy T=50, clip off, ρ=1.5, TBPTT k=5, sgd, lr=0.01"
    settings = [TaskTrainConfig(learning_rate=lr) for lr in (1e-3, 2e-3)] + [TaskTrainConfig(optimizer="sgd"),
                                                                           TaskTrainConfig(spectral_radius=1.0)]
    assert len({run_label(c) for c in settings}) == len(settings)
