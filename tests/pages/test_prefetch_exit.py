"""A process that exits while the prefetch worker computes ends cleanly, not with an abort."""
import subprocess
import sys
import textwrap

from harness.apptest import ROOT

SCRIPT = textwrap.dedent("""
    import threading
    import time
    from dataclasses import replace

    from seqviz.ssm.lab import SSMConfig, ssm_kernels
    from seqviz.ui import prefetch

    started = threading.Event()

    def kernels(config):  # the kernel explorer's neighbours, as its page queues them
        started.set()
        return ssm_kernels(config)

    config = SSMConfig(N=256, L=16384)
    prefetch.prefetch(kernels, [replace(config, N=config.N - 2 * k) for k in range(1, 4)])
    started.wait()
    time.sleep(0.1)  # the worker is inside torch's C++ code when the interpreter exits
""")


def test_exiting_mid_prefetch_waits_for_the_running_job_instead_of_aborting():
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-500:]
    assert "terminate called" not in done.stderr
