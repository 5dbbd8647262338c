"""Same seed, same weights in every thread, and the global random number generators left alone."""
import random
import threading

import numpy as np
import pytest
import torch
from torch import nn

from seqviz import build_model, trace
from seqviz.core import seeding
from seqviz.core.models import INITS, KINDS
from seqviz.gradients.training import TaskTrainConfig, build_task_model
from seqviz.seq2seq.model import ModelConfig
from seqviz.seq2seq.training import Seq2SeqConfig, build_seq2seq
from seqviz.ssm.compare import build_models


def _builders():
    """(name, fn → state_dict) for every seeded model builder, over kinds, inits and seeds."""
    builders = []
    for kind in KINDS:
        for init in INITS:
            for seed in (0, 1, 2):
                builders.append((f"{kind}-{init}-{seed}", lambda k=kind, i=init, s=seed:
                                 build_model(k, 3, 16, 2, True, init=i, seed=s).state_dict()))
    builders.append(("task-lstm", lambda: build_task_model(TaskTrainConfig(kind="lstm", seed=4)).state_dict()))
    builders.append(("seq2seq", lambda: build_seq2seq(Seq2SeqConfig(model=ModelConfig(cell="lstm"), seed=6))
                     .state_dict()))
    builders.append(("compare", lambda: {f"{k}.{n}": v for k, m in build_models(8, 4, 3).items()
                                         for n, v in m.state_dict().items()}))
    return builders


def _equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[n], b[n]) for n in a)


def test_concurrent_builds_give_each_seed_its_own_weights():
    builders = _builders()
    expected = {name: fn() for name, fn in builders}
    model, x = build_model("gru", 3, 16, 2, True, seed=9), torch.randn(20, 3, generator=seeding.generator(0))
    expected_trace = trace(model, x).grad_hidden_norm
    mismatches, runs, barrier = [], [], threading.Barrier(4)

    def work(worker: int):
        order = random.Random(worker).sample(builders, len(builders))
        barrier.wait()
        for name, fn in order * 2:
            runs.append(name)
            if not _equal(fn(), expected[name]):
                mismatches.append(name)
            if not np.array_equal(trace(model, x).grad_hidden_norm, expected_trace):  # its selector layers interleave too
                mismatches.append("trace")

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(runs) == 4 * 2 * len(builders) > 300
    assert mismatches == []


def test_seeded_layers_draw_what_torch_manual_seed_draws():
    """The independent reference: PyTorch's own reset_parameters after torch.manual_seed."""
    layers = [(nn.Linear, (5, 3)), (nn.Linear, (4, 2), {"bias": False}), (nn.Conv1d, (6, 6, 4), {"groups": 6}),
              (nn.Embedding, (7, 3), {"padding_idx": 0}), (nn.LayerNorm, (5,)), (nn.LSTM, (3, 4, 2)),
              (nn.GRU, (3, 4), {"bidirectional": True}), (nn.RNN, (3, 4), {"nonlinearity": "relu"}),
              (nn.GRUCell, (3, 4)), (nn.LSTMCell, (3, 4))]
    state = torch.get_rng_state()
    try:
        for cls, args, *kwargs in layers:
            kwargs = kwargs[0] if kwargs else {}
            torch.manual_seed(11)
            reference = cls(*args, **kwargs)
            ours = seeding.seeded(cls, *args, generator=seeding.generator(11), **kwargs)
            assert _equal(ours.state_dict(), reference.state_dict()), cls.__name__
    finally:
        torch.set_rng_state(state)


def test_a_layer_without_a_seeded_initialisation_is_refused():
    with pytest.raises(TypeError, match="no seeded initialisation for Bilinear"):
        seeding.seeded(nn.Bilinear, 2, 2, 2, generator=seeding.generator(0))


def _global_states():
    states = {"torch": torch.get_rng_state(), "numpy": np.random.get_state()[1].copy(),
              "random": random.getstate()}
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def _same(a: dict, b: dict) -> bool:
    return (torch.equal(a["torch"], b["torch"]) and np.array_equal(a["numpy"], b["numpy"])
            and a["random"] == b["random"]
            and all(torch.equal(x, y) for x, y in zip(a.get("cuda", []), b.get("cuda", []))))


def _entry_points():
    """Every backend function the pages build, train, trace or sample with, at small sizes."""
    from seqviz.cell.run import CellConfig, run_cell
    from seqviz.gradients import flow as gradients
    from seqviz.gradients import training
    from seqviz.seq2seq import experiments as seq2seq_experiments
    from seqviz.seq2seq import training as seq2seq_training
    from seqviz.seq2seq.tasks import TaskSpec
    from seqviz.ssm import compare as ssm_compare
    from seqviz.ssm import lab as ssm_lab
    from seqviz.ssm.mamba import MambaBlock

    s2s = Seq2SeqConfig(task=TaskSpec("reverse", 3, 5), model=ModelConfig(hidden_size=8, embed_size=8,
                        attention_size=8), steps=2, batch_size=4, eval_every=1, eval_size=4, teacher_forcing=0.5)
    return {
        "build_model": lambda: build_model("lstm", 2, 4, init="orthogonal"),
        "trace": lambda: trace(build_model("lstm", 2, 4), torch.zeros(5, 2)),
        "run_cell": lambda: run_cell(CellConfig()),
        "train": lambda: training.train_on_task(TaskTrainConfig(updates=2, batch_size=2, length=8, heatmap_every=1)),
        "gradient flow": lambda: gradients.gradient_through_time(gradients.FlowConfig(steps=20, hidden_size=8)),
        "seq2seq train": lambda: seq2seq_training.train_seq2seq(s2s),
        "seq2seq decode": lambda: seq2seq_experiments.align(seq2seq_training.train_seq2seq(s2s), "123", beam_width=2),
        "compare": lambda: ssm_compare.compare(ssm_compare.CompareConfig(lengths=(8,), steps=1, batch=2,
                                                                         d_model=8, d_state=2)),
        "mamba": lambda: MambaBlock(4, 2),
        "kernel": lambda: ssm_lab.ssm_kernels(ssm_lab.SSMConfig()),
    }


@pytest.mark.parametrize("name", list(_entry_points()))
def test_public_entry_points_leave_the_global_generators_alone(name):
    before = _global_states()
    _entry_points()[name]()
    assert _same(before, _global_states())
