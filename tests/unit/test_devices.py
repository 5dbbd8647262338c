"""The GPU policy seen from a CPU: precision settings, GPU memory budget, out-of-memory messages.

The settings `exact_fp32` changes are process-wide flags that a CPU build of torch keeps too, so
their bookkeeping is tested here; `make gpu-check` runs the computations on a real GPU.
"""
import threading

import pytest
import torch
from streamlit.testing.v1 import AppTest

from seqviz.core import budget
from seqviz.core.budget import BudgetError, check_budget
from seqviz.core.devices import computed_on, exact_fp32


def _settings():
    return (torch.backends.cudnn.rnn.fp32_precision, torch.backends.cudnn.conv.fp32_precision,
            torch.backends.cuda.matmul.fp32_precision, torch.backends.cudnn.deterministic,
            torch.backends.cudnn.benchmark)


def test_exact_fp32_turns_tf32_off_on_cuda_and_restores_the_callers_settings():
    before = _settings()
    with exact_fp32("cuda:0"):
        assert _settings() == ("ieee", "ieee", "ieee", True, False)
    assert _settings() == before


def test_exact_fp32_changes_nothing_off_cuda():
    before = _settings()
    with exact_fp32("cpu"):
        assert _settings() == before


def test_exact_fp32_holds_until_the_last_thread_leaves():
    """Two overlapping computations: the first to leave must not restore TF32 under the second."""
    before = _settings()
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():
        with exact_fp32("cuda"):
            first_in.set()
            second_in.wait()
        first_out.set()

    def second():
        first_in.wait()
        with exact_fp32("cuda"):
            second_in.set()
            first_out.wait()
            seen["after the first left"] = _settings()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen["after the first left"][:3] == ("ieee", "ieee", "ieee")
    assert _settings() == before


def test_a_gpu_budget_counts_the_memory_free_on_the_card(monkeypatch):
    monkeypatch.setattr(budget, "gpu_memory", lambda device: (300 * 1024**2, 8 * 1024**3))
    check_budget(200 * 1024**2, "a trace", "sequence length", device="cuda")
    with pytest.raises(BudgetError, match=r"a trace needs about 400 MB of GPU memory, but only 300 MB of the "
                                          r"GPU's 8,192 MB are free now; reduce the sequence length, or choose "
                                          r"the CPU in the sidebar\."):
        check_budget(400 * 1024**2, "a trace", "sequence length", device="cuda")


def test_no_gpu_memory_is_read_for_cpu_work():
    assert budget.gpu_memory("cpu") is None


def test_a_result_says_where_and_how_precisely_it_was_computed():
    assert computed_on("cpu", "float64", 0.1234) == "Computed on CPU in float64 in 0.12 s."
    assert computed_on("cuda", "float32").startswith("Computed on CUDA")
    assert computed_on("cuda", "float32").endswith("in float32, TF32 off.")


def _out_of_memory_page():
    import torch

    from seqviz.ui.errors import explain_errors

    with explain_errors():
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")


def test_a_gpu_out_of_memory_error_is_a_message_not_a_traceback():
    at = AppTest.from_function(_out_of_memory_page).run()
    assert not at.exception
    assert "The GPU ran out of memory" in at.error[0].value
    assert "choose the CPU in the sidebar" in at.error[0].value
