"""Benchmark: the full build on a generated landing zone with 1M touchpoints (or --touchpoints N).

Prints the generation time (not counted), the ingestion and full-build wall
times (from the run's own step timings) and the peak memory of the whole
process tree (the Python process plus the dbt subprocess), against targets;
the slowest steps and dbt nodes as the run recorded them (audit.run_step_timings);
the wall time of a second run over the same files (nothing to rebuild);
then runs bench/bench_attribution.py on the warehouse it built (what the seven
models and the ROI marts add, per node, and the exact Markov solve against
simulation). Exits 1 when a target is missed.

    make bench                                   # 1M touchpoints, fresh warehouse
    make bench ARGS="--touchpoints 200000"       # another size (any option below, through ARGS)
    make bench ARGS="--touchpoints 10000000 --skip-attribution"   # 10M, landing zone from seeds/generate_large.py
    .venv/bin/python bench/run_bench.py --touchpoints 200000 --keep
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import NamedTuple

import yaml

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
TARGET_NO_CHANGE_SECONDS = 5.0
# (up to this many touchpoints, full-build seconds, peak GiB of the process tree): issue 14's targets.
TARGETS = ((1_000_000, 20.0, 1.5), (10_000_000, 75.0, 3.0))
# Above this size the landing zone comes from seeds/generate_large.py (DuckDB copies of a simulated template):
# seeds/generate.py takes minutes and several GiB at 10M.
LARGE_GENERATOR_ABOVE = 1_000_000


def targets(touchpoints: int) -> tuple[float, float]:
    """The build-time and peak-memory targets of the smallest target size at least ``touchpoints``."""
    return next(((seconds, gib) for size, seconds, gib in TARGETS if touchpoints <= size), TARGETS[-1][1:])


def generator(choice: str, touchpoints: int) -> str:
    if choice == "auto":
        choice = "large" if touchpoints > LARGE_GENERATOR_ABOVE else "sample"
    return {"sample": "seeds/generate.py", "large": "seeds/generate_large.py"}[choice]


def _tree_rss_bytes(root_pid: int) -> int:
    """Resident memory of ``root_pid`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        pid = int(entry.name)
        children.setdefault(int(fields.get("PPid", "0").strip()), []).append(pid)
        rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0]) * 1024
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


class PeakMemory(threading.Thread):
    """Samples the process tree's resident memory every 50 ms."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, _tree_rss_bytes(self.pid))
            time.sleep(0.05)


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Measured(NamedTuple):
    code: int
    wall: float  # seconds
    peak: int  # bytes of resident memory, the whole process tree
    cpu: float  # user + system seconds of the process and every descendant it waited for (dbt included)


def run_measured(command: list[str], env: dict[str, str]) -> Measured:
    started, cpu_before = time.monotonic(), _children_cpu_seconds()
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sampler = PeakMemory(process.pid)
    sampler.start()
    output, _ = process.communicate()
    sampler.done.set()
    sampler.join()
    elapsed = time.monotonic() - started
    cpu = _children_cpu_seconds() - cpu_before  # unlike the wall time, hardly moved by other builds on the cores
    if process.returncode != 0:
        print(output[-6000:])
    return Measured(process.returncode, elapsed, sampler.peak, cpu)


def print_profile(warehouse: Path, run_id: str, limit: int = 8) -> None:
    """The run's slowest Dagster steps and dbt nodes, as the run recorded them in audit.run_step_timings."""
    sys.path.insert(0, str(REPO))
    from orchestration.lib import profiling

    for kind, title in (("dagster_step", "slowest steps"), ("dbt_node", "slowest dbt nodes")):
        print(f"  {title} (audit.run_step_timings, kind = '{kind}'):")
        for name, seconds in profiling.slowest(warehouse, run_id, kind, limit):
            print(f"    {name:<64}{seconds:8.2f} s")


def config_without_mmm(path: Path) -> Path:
    """A copy of the config in force with the marketing-mix model switched off."""
    sys.path.insert(0, str(REPO))
    from orchestration.lib.settings import config_path

    config = yaml.safe_load(config_path().read_text(encoding="utf-8")) or {}
    config.setdefault("incrementality", {})["enabled"] = False
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--touchpoints", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temporary folder")
    parser.add_argument("--keep", action="store_true", help="keep the generated landing zone and warehouse")
    parser.add_argument("--skip-attribution", action="store_true", help="only the full build, not bench_attribution")
    parser.add_argument("--landing", type=Path, default=None, help="build this landing zone (no generation)")
    parser.add_argument(
        "--without-mmm",
        action="store_true",
        help="incrementality.enabled: false (a copy of the config): the build without the MMM fit, a fixed cost "
        "that does not grow with the touchpoints (bench/bench_mmm.py times it)",
    )
    parser.add_argument(
        "--generator",
        choices=("auto", "sample", "large"),
        default="auto",
        help=f"seeds/generate.py (sample) or seeds/generate_large.py (large); auto: large above "
        f"{LARGE_GENERATOR_ABOVE:,} touchpoints",
    )
    arguments = parser.parse_args()

    workdir = arguments.workdir or Path(tempfile.mkdtemp(prefix="roi-bench-"))
    landing, warehouse, dagster_home = workdir / "landing", workdir / "roi.duckdb", workdir / "dagster_home"
    for path in (warehouse, dagster_home) if arguments.landing else (landing, warehouse, dagster_home):
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
    dagster_home.mkdir(parents=True)
    shutil.copy(REPO / "orchestration" / "dagster.yaml", dagster_home / "dagster.yaml")

    started = time.monotonic()
    if arguments.landing:  # an A/B comparison: the same files for every run
        landing = arguments.landing
        print(f"Landing zone {landing} (generated before, not generated again)")
    else:
        script = generator(arguments.generator, arguments.touchpoints)
        print(f"Generating {arguments.touchpoints:,} touchpoints into {landing} with {script} ...")
        command = [PYTHON, script, "--out", str(landing), "--touchpoints", str(arguments.touchpoints)]
        subprocess.run([*command, "--seed", str(arguments.seed)], cwd=REPO, check=True)
    generation = time.monotonic() - started
    landing_bytes = sum(path.stat().st_size for path in landing.rglob("*") if path.is_file())

    timings = workdir / "timings.json"
    env = {
        **os.environ,
        "ROI_LANDING_DIR": str(landing),
        "ROI_WAREHOUSE": str(warehouse),
        "DAGSTER_HOME": str(dagster_home),
    }
    if arguments.without_mmm:
        env["ROI_CONFIG"] = str(config_without_mmm(workdir / "roi_without_mmm.yml"))
    # Deployment step, not part of the build: parse the dbt project for this warehouse and these vars.
    subprocess.run([PYTHON, "-m", "orchestration.cli", "prepare"], cwd=REPO, env=env, check=True)
    code, wall, peak, cpu = run_measured(
        [PYTHON, "-m", "orchestration.cli", "run", "--log-level", "WARNING", "--timings", str(timings)], env
    )
    if code != 0:
        print(f"build failed with exit code {code}")
        return code
    steps = json.loads(timings.read_text())
    ingestion = sum(seconds for step, seconds in steps["steps"].items() if step.startswith("ingest"))
    build = steps["run_seconds"]

    gib = peak / 2**30
    target_seconds, target_gib = targets(arguments.touchpoints)
    rows = [
        ("landing zone generated", f"{generation:8.1f} s", f"{landing_bytes / 2**20:.0f} MiB on disk (not counted)"),
        ("ingestion (all sources)", f"{ingestion:8.1f} s", "the ingest_landing_zone step"),
        ("full build (the run)", f"{build:8.1f} s", f"target <= {target_seconds:.0f} s"),
        ("process wall time", f"{wall:8.1f} s", "includes Python start-up and loading definitions"),
        ("process CPU time", f"{cpu:8.1f} s", "user + system, the whole process tree"),
        ("peak memory (tree)", f"{gib:8.2f} GiB", f"target <= {target_gib:.1f} GiB"),
    ]
    print(f"\nBenchmark: {arguments.touchpoints:,} touchpoints, {os.cpu_count()} cores")
    for name, value, note in rows:
        print(f"  {name:<26}{value:>12}   {note}")
    print_profile(warehouse, steps["run_id"])

    # The same landing zone again: nothing new, so nothing is rebuilt.
    code, noop_wall, _, _ = run_measured([PYTHON, "-m", "orchestration.cli", "run", "--log-level", "WARNING"], env)
    noop_ok = code == 0 and noop_wall <= TARGET_NO_CHANGE_SECONDS
    print(
        f"  {'run again, no change':<26}{noop_wall:8.1f} s      process wall time, "
        f"target <= {TARGET_NO_CHANGE_SECONDS:.0f} s"
    )
    ok = build <= target_seconds and gib <= target_gib and noop_ok
    print(f"\n{'WITHIN' if ok else 'OVER'} TARGET (full build)")

    attribution_ok = True
    if not arguments.skip_attribution:
        print("\nAttribution at this scale (bench/bench_attribution.py, on the warehouse just built):")
        attribution = subprocess.run(
            [PYTHON, "bench/bench_attribution.py", "--warehouse", str(warehouse), "--landing", str(landing)],
            cwd=REPO,
            env=env,
            check=False,
        )
        attribution_ok = attribution.returncode == 0
    print("\nBudget scenarios (bench/bench_optimiser.py: three default scenarios, 8 channels x 2,000 draws):")
    optimiser = subprocess.run([PYTHON, "bench/bench_optimiser.py"], cwd=REPO, env=env, check=False)
    attribution_ok = attribution_ok and optimiser.returncode == 0
    if not arguments.keep and arguments.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if ok and attribution_ok else 1


if __name__ == "__main__":
    sys.exit(main())
