"""The generated long-range tasks: their layout and their memoryless baselines."""
import math

import pytest
import torch

from seqviz.gradients.tasks import COPY_CLASSES, adding_problem, baseline_loss, copy_memory, step_losses, task_batch


def generator(seed=0):
    return torch.Generator().manual_seed(seed)


def test_adding_problem_marks_one_value_in_each_half_and_targets_their_sum():
    batch = adding_problem(64, 30, generator())
    values, markers = batch.x[..., 0], batch.x[..., 1]
    assert (markers[:, :15].sum(1) == 1).all() and (markers[:, 15:].sum(1) == 1).all()
    torch.testing.assert_close(batch.y[:, -1], (values * markers).sum(1))
    assert (batch.mask[:, -1] == 1).all() and batch.mask[:, :-1].sum() == 0


def test_always_predicting_one_on_the_adding_problem_scores_one_sixth():
    batch = adding_problem(1_000_000, 50, generator(0))
    mse = float(((1.0 - batch.y[:, -1].double()) ** 2).mean())  # 0.166485… for this seed
    assert mse == pytest.approx(1 / 6, abs=1e-3)
    assert baseline_loss("adding", 50) == pytest.approx(0.1667, abs=1e-4)


def test_copy_memory_layout_data_blanks_cue_then_recall():
    T = 7
    batch = copy_memory(16, T, generator())
    symbols = batch.x.argmax(-1)
    assert batch.x.shape == (16, T + 20, COPY_CLASSES)
    data = symbols[:, :10]
    assert ((data >= 1) & (data <= 8)).all()
    assert (symbols[:, 10:T + 9] == 0).all() and (symbols[:, T + 9] == 9).all() and (symbols[:, T + 10:] == 0).all()
    assert (batch.y[:, :T + 10] == 0).all() and torch.equal(batch.y[:, T + 10:], data)
    assert (batch.mask == 1).all()


@pytest.mark.parametrize("T", [1, 20, 200])
def test_memoryless_copy_baseline_is_ten_log_eight_over_T_plus_20(T):
    batch = copy_memory(8, T, generator())
    logits = torch.full((8, T + 20, COPY_CLASSES), -1e4, dtype=torch.float64)
    logits[:, :T + 10, 0] = 0.0  # certain blank while nothing is to be recalled
    logits[:, T + 10:, 1:9] = 0.0  # uniform over the 8 data symbols at recall
    loss = float(step_losses("copy", logits, batch.y).mean())
    assert loss == pytest.approx(10 * math.log(8) / (T + 20), rel=1e-12)
    assert baseline_loss("copy", T) == pytest.approx(loss, rel=1e-12)


def test_same_generator_seed_gives_the_same_batch():
    a, b = task_batch("copy", 4, 10, generator(5)), task_batch("copy", 4, 10, generator(5))
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)


def test_bad_task_names_the_accepted_ones():
    with pytest.raises(ValueError, match="adding, copy; got 'add'"):
        task_batch("add", 4, 10, generator())
