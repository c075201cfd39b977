"""What one more dbt invocation costs a run, apart from the models it builds.

A run invokes dbt through dagster-dbt: a ``dbt build`` subprocess that starts Python and dbt, reads the
partial parse state, opens the DuckDB adapter, then builds its nodes. This times that fixed part on a
copy of a built warehouse, as the pipeline invokes dbt (its vars, a partial parse state made for that
warehouse, as ``cli prepare`` makes one), alternating:

- ``nothing``: a ``dbt build`` whose selection matches no node (process start, imports, parse);
- ``one view``: a ``dbt build`` of one staging view (the above plus the adapter, a connection, a view);

and, from the warehouse's own profile of its last run (``audit.run_step_timings``), each dbt step's wall
seconds in Dagster:

    .venv/bin/python bench/bench_dbt_invocation.py [--warehouse warehouse/roi.duckdb] [--repeats 5]
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
import time
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from orchestration.lib import settings  # noqa: E402

DBT = str(Path(sys.executable).parent / "dbt")
ONE_VIEW = "stg_optimisation__budget_scenarios"
NO_NODE = "tag:no_node_has_this_tag"


def dbt(warehouse: Path, target: Path, *arguments: str) -> float:
    """Wall seconds of one dbt command with the pipeline's vars, on ``warehouse``."""
    command = [DBT, *arguments, "--quiet", "--vars", json.dumps(settings.dbt_vars())]
    command += ["--target-path", str(target), "--log-path", str(target / "logs")]
    env = {**os.environ, "ROI_WAREHOUSE": str(warehouse), "DBT_PROFILES_DIR": str(REPO / "dbt_project")}
    env.update(DO_NOT_TRACK="1", DBT_SEND_ANONYMOUS_USAGE_STATS="False")
    started = time.perf_counter()
    subprocess.run(command, cwd=REPO / "dbt_project", env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def invocation_seconds(warehouse: Path, parse_state: Path, select: str, scratch: Path) -> float:
    """One ``dbt build`` as dagster-dbt makes it: its own target folder, seeded with the parse state."""
    target = scratch / "target"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    shutil.copy(parse_state, target / "partial_parse.msgpack")
    return dbt(warehouse, target, "build", "--select", select)


def last_run_dbt_steps(warehouse: Path) -> list[tuple[str, float]]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(
            """
            select name, seconds from audit.run_step_timings
            where kind = 'dagster_step' and name like 'dbt%' and run_id = (
                select run_id from audit.run_step_timings where kind = 'dagster_run' order by recorded_at desc limit 1
            )
            order by name
            """
        ).fetchall()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, default=REPO / "warehouse" / "roi.duckdb")
    parser.add_argument("--repeats", type=int, default=5)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="roi-bench-dbt-") as folder:
        scratch = Path(folder)
        warehouse = scratch / "roi.duckdb"
        shutil.copy(arguments.warehouse, warehouse)
        # The parse state for this warehouse path (another path is another profile: a full parse), not timed,
        # as `cli prepare` makes it before a run.
        parsed = scratch / "parsed"
        parse_seconds = dbt(warehouse, parsed, "parse")
        parse_state = parsed / "partial_parse.msgpack"
        timings: dict[str, list[float]] = {"nothing": [], "one view": []}
        for _ in range(arguments.repeats):
            timings["nothing"].append(invocation_seconds(warehouse, parse_state, NO_NODE, scratch))
            timings["one view"].append(invocation_seconds(warehouse, parse_state, ONE_VIEW, scratch))
    print(f"One dbt invocation, {arguments.repeats} alternating repeats, {os.cpu_count()} cores:")
    print(f"  (a full parse, not counted: {parse_seconds:.2f} s)")
    for name, seconds in timings.items():
        print(
            f"  {name:<10} median {statistics.median(seconds):6.2f} s  (min {min(seconds):.2f}, max {max(seconds):.2f})"
        )
    print(f"\nThe dbt steps of the last run of {arguments.warehouse} (Dagster step wall seconds):")
    for name, seconds in last_run_dbt_steps(arguments.warehouse):
        print(f"  {name:<28}{seconds:8.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
