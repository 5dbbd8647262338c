"""Shared pytest set-up: test-size Hypothesis settings and the folder for browser artifacts."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"

# Randomised AppTest runs are real page runs: few examples, no per-example deadline.
# SEQVIZ_FUZZ_EXAMPLES raises the count for a longer local hunt.
settings.register_profile(
    "seqviz",
    max_examples=int(os.environ.get("SEQVIZ_FUZZ_EXAMPLES", "4")),
    deadline=None,
    derandomize=True,  # the same examples on every run: a failure reproduces, a pass is not luck
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("seqviz")

try:  # `make gpu-check` runs on machines whose Python may lack Streamlit
    from streamlit import config as streamlit_config
except ImportError:
    streamlit_config = None
else:
    # AppTest runs show the real exception text in failures; the served app keeps
    # .streamlit/config.toml's showErrorDetails = "none".
    streamlit_config.set_option("client.showErrorDetails", "full")


def pytest_configure(config):
    share_the_cores()
    config.addinivalue_line("markers", "browser: drives the app in Chromium (skipped where Chromium is missing)")
    config.addinivalue_line("markers", "gpu: needs a CUDA GPU (`make gpu-check`; skipped without one)")
    config.addinivalue_line("markers", "timing: checks the latency harness against real frame durations (`make "
                                       "latency` runs them; `make test` leaves them out: a busy machine changes them)")


def share_the_cores():
    """Each pytest-xdist worker computes on its share of the cores: with torch's default pool in every worker,
    N workers run N × cores threads that spin waiting for each other on a busy machine."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:
        import torch

        torch.set_num_threads(max(1, (os.cpu_count() or 1) // workers))


@pytest.fixture
def two_threads():
    """torch at two threads during the test, so that a check that one is used and the count restored means
    something even where the worker runs at one (share_the_cores)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)
