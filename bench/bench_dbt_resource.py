"""What ``RoiDbtCliResource``'s two overrides save per dbt invocation, against the stock ``DbtCliResource``.

dagster-dbt's ``DbtCliResource.cli()`` runs ``dbt --version`` in a subprocess
(``_cli_version``) and loads dbt's macros in-process to make an adapter handle
(``_initialize_dbt_core_adapter``) before every invocation; neither has a
public switch in dagster-dbt 0.29 (both are called unconditionally for dbt-core
below 2.0). This times exactly those two calls, stock against the override,
alternating, each on a fresh resource (the version is cached per instance):

    .venv/bin/python bench/bench_dbt_resource.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _time(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args()
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("ROI_WAREHOUSE", str(REPO / "warehouse" / "roi.duckdb"))
    from dagster_dbt import DbtCliResource

    from orchestration.defs.dbt.assets import RoiDbtCliResource, dbt_project

    executable = str(Path(sys.executable).parent / "dbt")
    seconds: dict[str, list[float]] = {"stock": [], "override": []}
    os.chdir(dbt_project.project_dir)
    for _ in range(arguments.repeats):
        for label, cls in (("stock", DbtCliResource), ("override", RoiDbtCliResource)):
            resource = cls(project_dir=dbt_project, dbt_executable=executable)
            seconds[label].append(
                _time(lambda resource=resource: resource._cli_version)
                + _time(lambda resource=resource: resource._initialize_dbt_core_adapter(["build"]))
            )
    print(f"dbt version + adapter handle per invocation ({arguments.repeats} alternating runs, {os.cpu_count()} cores)")
    for label, values in seconds.items():
        print(f"  {label:<9} mean {statistics.mean(values):6.2f} s   runs {', '.join(f'{v:.2f}' for v in values)}")
    print(f"  saved    {statistics.mean(seconds['stock']) - statistics.mean(seconds['override']):6.2f} s per dbt call")
    return 0


if __name__ == "__main__":
    sys.exit(main())
