"""Peak memory of one computation, measured in a fresh Python process: the rise of the process's
resident set (Linux /proc, VmHWM over VmRSS) while `call` runs, after `setup` has run. The memory
estimators of seqviz.core.budget are checked against it (tests/unit/test_memory_estimates.py)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AVAILABLE = sys.platform.startswith("linux") and Path("/proc/self/clear_refs").exists()

_SCRIPT = """
import json, torch
torch.set_num_threads(1)
def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
{setup}
open("/proc/self/clear_refs", "w").write("5")  # the peak (VmHWM) starts again from the resident set now
before = status("VmRSS")
{call}
print(json.dumps({{"before": before, "peak": status("VmHWM")}}))
"""


def peak_rise(setup: str, call: str, timeout_s: float = 600) -> int:
    """Bytes the resident set rose to at most while `call` ran (both are Python source lines)."""
    done = subprocess.run([sys.executable, "-c", _SCRIPT.format(setup=setup, call=call)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout_s, check=True)
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    return measured["peak"] - measured["before"]
