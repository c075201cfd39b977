"""The benchmark's CPU time counts descendants nobody waited for (Spark's JVM, which dbt leaves running)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# A child that starts a grandchild burning 1.5 s of CPU and exits without waiting for it, as dbt leaves the
# JVM; the grandchild's output goes elsewhere, so the child's pipe closes at once.
MEASURE = """
import sys
sys.path[:0] = [{repo!r}, {bench!r}]
import run_bench
adopted = run_bench.adopt_orphans() if {adopt} else False
burn = "import time\\nstart = time.process_time()\\nwhile time.process_time() - start < 1.5: pass"
child = (
    "import subprocess, sys; "
    f"subprocess.Popen([sys.executable, '-c', {{burn!r}}], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)"
)
print(adopted, run_bench.run_measured([sys.executable, "-c", child], env=None).cpu)
"""


def measured(adopt: bool) -> tuple[str, float]:
    script = MEASURE.format(repo=str(REPO), bench=str(REPO / "bench"), adopt=adopt)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    return out[0], float(out[1])


def test_an_orphaned_grandchild_s_cpu_time_is_counted() -> None:
    adopted, cpu = measured(adopt=True)
    assert adopted == "True"
    assert cpu >= 1.4  # the grandchild's 1.5 s, give or take the clock's tick
    # Without adopting, the same measurement misses it: what the Spark column showed before.
    adopted, cpu = measured(adopt=False)
    assert adopted == "False"
    assert cpu < 1.0
