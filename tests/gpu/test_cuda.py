"""On a CUDA GPU, seqviz computes what it computes on the CPU (`make gpu-check`; skipped without one).

The policy under test (seqviz.core.devices): float32 in IEEE precision, TF32 off, deterministic cuDNN
kernels. A trace on the GPU must agree with the CPU's to the tolerances the README promises.
"""
import itertools
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

import seqviz
from seqviz.core import seeding
from seqviz.core.devices import deterministic_cublas

deterministic_cublas()  # read when CUDA creates its first cuBLAS handle, as the server does

if not torch.cuda.is_available():
    pytest.skip("no CUDA GPU on this machine: `make gpu-check` runs these where "
                "`python -c 'import torch; print(torch.cuda.is_available())'` prints True", allow_module_level=True)
pytestmark = pytest.mark.gpu
ROOT = Path(__file__).resolve().parents[2]
CASES = list(itertools.product(("rnn", "lstm", "gru"), (1, 2, 3), (False, True), ("float32", "float64")))
TOLERANCE = {"float32": dict(states=1e-5, gradients=1e-4), "float64": dict(states=1e-12, gradients=1e-10)}


def _x(T=200, inputs=4, seed=0):
    return torch.randn(T, inputs, generator=seeding.generator(seed))


@pytest.mark.parametrize("kind,layers,bidirectional,dtype", CASES)
def test_a_cuda_trace_matches_the_cpu_trace(kind, layers, bidirectional, dtype, monkeypatch):
    """With TF32 on, cuDNN's identity product alone errs by ~1e-4 in the states at this size."""
    monkeypatch.setattr(torch.backends.cudnn.rnn, "fp32_precision", "tf32")  # PyTorch's default on Ampere+
    cpu_model = seqviz.build_model(kind, 4, 32, layers, bidirectional, seed=1)
    gpu_model = seqviz.build_model(kind, 4, 32, layers, bidirectional, seed=1, device="cuda")
    cpu, gpu = seqviz.trace(cpu_model, _x(), dtype=dtype), seqviz.trace(gpu_model, _x().cuda(), dtype=dtype)
    assert gpu.device == "cuda" and torch.backends.cudnn.rnn.fp32_precision == "tf32"  # restored
    tol = TOLERANCE[dtype]
    np.testing.assert_allclose(gpu.hidden, cpu.hidden, atol=tol["states"])
    for gate in cpu.gates:
        np.testing.assert_allclose(gpu.gates[gate], cpu.gates[gate], atol=tol["states"])
    np.testing.assert_allclose(gpu.grad_hidden_norm, cpu.grad_hidden_norm, rtol=tol["gradients"])
    np.testing.assert_allclose(gpu.grad_input_norm, cpu.grad_input_norm, rtol=tol["gradients"])


def test_same_seed_same_weights_on_cpu_and_cuda():
    for kind in ("rnn", "lstm", "gru"):
        cpu = seqviz.build_model(kind, 3, 16, 2, True, init="orthogonal", seed=5).state_dict()
        gpu = seqviz.build_model(kind, 3, 16, 2, True, init="orthogonal", seed=5, device="cuda").state_dict()
        assert all(torch.equal(cpu[name], gpu[name].cpu()) for name in cpu)


def test_gradient_flow_training_repeats_on_the_gpu():
    from seqviz.gradients.training import TaskTrainConfig, train_on_task

    config = TaskTrainConfig(kind="lstm", updates=30, heatmap_every=10, device="cuda")
    first, second = train_on_task(config), train_on_task(config)
    assert first.status == "finished"
    assert first.loss == second.loss and first.raw_norm == second.raw_norm
    cpu = train_on_task(TaskTrainConfig(kind="lstm", updates=30, heatmap_every=10))
    np.testing.assert_allclose(first.loss, cpu.loss, rtol=1e-3)


def test_seq2seq_training_beam_search_and_a_stopped_copy_on_the_gpu():
    from seqviz.seq2seq.experiments import align
    from seqviz.seq2seq.tasks import TaskSpec
    from seqviz.seq2seq.training import Progress, Seq2SeqConfig, snapshot, train_seq2seq

    config = Seq2SeqConfig(task=TaskSpec("reverse", 3, 6), steps=60, eval_every=20, eval_size=32)
    trained = train_seq2seq(config, "cuda")
    assert trained.device == "cuda" and trained.trained_on == "cuda"
    again = train_seq2seq(config, "cuda").history
    assert all(again[k] == trained.history[k] for k in ("step", "loss", "accuracy"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "RNN module weights are not part of single contiguous chunk"
        copied = snapshot(config, Progress(60, 60, trained.history, trained.model, 1.0))
        alignment = align(copied, "31415", beam_width=4)
    on_cpu = align(trained.moved_to("cpu"), "31415", beam_width=4)
    assert alignment.output == on_cpu.output
    np.testing.assert_allclose(alignment.weights, on_cpu.weights, atol=1e-5)


def test_the_mamba_scan_on_the_gpu_matches_the_cpu():
    from seqviz.ssm.mamba import selective_scan, selective_scan_reference

    g = seeding.generator(2)
    b, l, d, n = 2, 300, 8, 4
    u, delta = torch.randn(b, l, d, generator=g), torch.rand(b, l, d, generator=g)
    A, B, C, D = -torch.rand(d, n, generator=g), torch.randn(b, l, n, generator=g), \
        torch.randn(b, l, n, generator=g), torch.randn(d, generator=g)
    cpu = selective_scan_reference(u, delta, A, B, C, D)
    gpu = selective_scan(*(t.cuda() for t in (u, delta, A, B, C, D)))
    np.testing.assert_allclose(gpu.cpu().numpy(), cpu.numpy(), atol=1e-4)


def test_shipped_checkpoints_load_onto_the_gpu():
    from seqviz.seq2seq.training import load_checkpoint

    for path in sorted((ROOT / "assets" / "attention").glob("*.pt")):
        trained = load_checkpoint(path, "cuda")
        assert trained.device == "cuda"


def test_a_budget_on_the_gpu_reads_its_free_memory():
    from seqviz.core.budget import BudgetError, check_budget, gpu_memory

    available, total = gpu_memory("cuda")
    assert 0 < available <= total
    with pytest.raises(BudgetError, match="of GPU memory"):
        check_budget(available + 1, "a test", "size", budget_bytes=float("inf"), device="cuda")


@pytest.mark.parametrize("page", sorted(p.name for p in (ROOT / "pages").glob("*.py")))
def test_every_page_runs_with_the_device_set_to_cuda(page):
    testing = pytest.importorskip("streamlit.testing.v1", reason="Streamlit is not installed here")
    at = testing.AppTest.from_file(str(ROOT / "pages" / page), default_timeout=300)
    at.session_state["device"] = "cuda"
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def test_the_kv_cache_on_the_gpu_equals_recomputing_and_the_cpus_generation():
    from seqviz.transformer.cache import generate_cached, generate_recomputed
    from seqviz.transformer.model import Transformer, TransformerConfig

    config = TransformerConfig(vocab_size=10, d_model=16, n_heads=4, n_layers=2)
    cpu = Transformer(config).eval()
    gpu = Transformer(config).eval()
    gpu.load_state_dict(cpu.state_dict())
    gpu = gpu.cuda()
    prompt = torch.randint(0, 10, (2, 5), generator=seeding.generator(1))
    cached, cached_logits = generate_cached(gpu, prompt.cuda(), steps=9)
    recomputed, recomputed_logits = generate_recomputed(gpu, prompt.cuda(), steps=9)
    on_cpu, cpu_logits = generate_cached(cpu, prompt, steps=9)
    assert torch.equal(cached, recomputed) and torch.equal(cached.cpu(), on_cpu)
    assert torch.allclose(cached_logits, recomputed_logits, atol=1e-5)
    assert torch.allclose(cached_logits.cpu(), cpu_logits, atol=1e-5)


def test_the_token_cost_is_measured_on_the_gpu_with_the_same_bytes_as_on_the_cpu():
    from seqviz.transformer.cost import COST_KINDS, CostConfig, measure

    small = dict(longest_context=256, longest_train=256, d_model=32)
    gpu, cpu = measure(CostConfig(**small, device="cuda")), measure(CostConfig(**small))
    assert gpu.device == "cuda" and gpu.params == cpu.params
    for kind in COST_KINDS:
        assert np.array_equal(gpu.state_bytes[kind], cpu.state_bytes[kind])  # counted from the tensors
        assert (np.asarray(gpu.token_seconds[kind]) > 0).all() and (np.asarray(gpu.train_seconds[kind]) > 0).all()
