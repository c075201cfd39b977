"""Benchmark: the full build with Dagster's stock SQLite event log against the pooled one.

Builds the same generated landing zone from scratch, alternating the two
instance configurations (so a slow spell of a shared machine hits both), and
prints each run's build time and the means. "stock" is the shipped
``orchestration/dagster.yaml`` without its ``event_log_storage`` entry, i.e.
Dagster's default ``SqliteEventLogStorage``; "pooled" is the shipped file
(``orchestration/lib/event_log.py``).

    .venv/bin/python bench/bench_event_log.py                    # 1M touchpoints, 3 rounds
    .venv/bin/python bench/bench_event_log.py --touchpoints 200000 --rounds 2
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
SHIPPED = REPO / "orchestration" / "dagster.yaml"


def instance_configs() -> dict[str, str]:
    shipped = yaml.safe_load(SHIPPED.read_text())
    stock = {key: value for key, value in shipped.items() if key != "event_log_storage"}
    return {"stock": yaml.safe_dump(stock), "pooled": SHIPPED.read_text()}


def build_seconds(workdir: Path, landing: Path, variant: str, config_text: str) -> float:
    """One build from scratch with this instance configuration: the run's own wall time."""
    dagster_home, warehouse, timings = workdir / f"home_{variant}", workdir / "roi.duckdb", workdir / "timings.json"
    shutil.rmtree(dagster_home, ignore_errors=True)
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text(config_text)
    for path in workdir.glob("roi*.duckdb*"):
        path.unlink()
    env = {
        **os.environ,
        "ROI_LANDING_DIR": str(landing),
        "ROI_WAREHOUSE": str(warehouse),
        "DAGSTER_HOME": str(dagster_home),
    }
    command = [PYTHON, "-m", "orchestration.cli", "run", "--log-level", "WARNING", "--timings", str(timings)]
    build = subprocess.run(command, cwd=REPO, env=env, check=False, capture_output=True, text=True)
    if build.returncode != 0:
        raise SystemExit(f"the {variant} build failed:\n{(build.stdout + build.stderr)[-4000:]}")
    return json.loads(timings.read_text())["run_seconds"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--touchpoints", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3, help="builds per configuration")
    arguments = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="roi-bench-event-log-"))
    landing = workdir / "landing"
    try:
        print(f"Generating {arguments.touchpoints:,} touchpoints ...")
        generate = [PYTHON, "seeds/generate.py", "--out", str(landing), "--seed", str(arguments.seed)]
        subprocess.run([*generate, "--touchpoints", str(arguments.touchpoints)], cwd=REPO, check=True)
        env = {**os.environ, "ROI_LANDING_DIR": str(landing), "ROI_WAREHOUSE": str(workdir / "roi.duckdb")}
        subprocess.run([PYTHON, "-m", "orchestration.cli", "prepare"], cwd=REPO, env=env, check=True)

        seconds: dict[str, list[float]] = {variant: [] for variant in instance_configs()}
        for round_number in range(1, arguments.rounds + 1):
            for variant, config_text in instance_configs().items():
                seconds[variant].append(build_seconds(workdir, landing, variant, config_text))
                print(f"  round {round_number}  {variant:<7}{seconds[variant][-1]:8.1f} s")
        stock, pooled = statistics.mean(seconds["stock"]), statistics.mean(seconds["pooled"])
        print(f"\nFull build, {arguments.touchpoints:,} touchpoints, mean of {arguments.rounds} alternating runs each:")
        print(f"  stock SqliteEventLogStorage      {stock:8.1f} s")
        print(f"  PooledSqliteEventLogStorage      {pooled:8.1f} s   ({stock - pooled:+.1f} s saved)")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
