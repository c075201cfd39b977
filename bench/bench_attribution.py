"""Benchmark: attribution and ROI at 1M touchpoints, against the issue's targets.

    .venv/bin/python bench/bench_attribution.py                                  # generate 1M, build, measure
    .venv/bin/python bench/bench_attribution.py --warehouse W --landing L        # reuse a built warehouse

Prints, on a 1M-touchpoint landing zone (seed 7 by default, as ``bench/run_bench.py``):

1. What attribution adds to the full build: the same ``dbt build`` as the pipeline's (same vars, same
   exclusions), on a copy of the built warehouse, with and without the attribution nodes (every node
   downstream of the channel rules, the conversions in the reporting currency, the channelled touches
   and the monthly spend: the seven models, the ROI marts and their intervals, and their tests),
   alternating, median of ``--repeats`` each; plus the Dagster ``attribution_checks`` step, run on its
   own. Target: at most 15 s.
2. Wall time per attribution node (dbt's run_results.json of a full build: each model with the
   data tests on it), and of the Python parts in-process: the exact Markov solve, the Shapley values,
   the ROI bootstrap.
3. The exact Markov solve against the Monte-Carlo simulation on the warehouse's real 1M paths
   (``int_attribution_paths``), as ``bench/bench_markov.py`` does on synthetic ones. Targets: at least
   10x faster, every channel's share within 0.01.

Exits 1 when a target is missed. From ``bench/run_bench.py``, after its run (which leaves a built
warehouse and its landing zone in its workdir with ``--keep``):

    subprocess.run([PYTHON, "bench/bench_attribution.py", "--warehouse", str(warehouse),
                    "--landing", str(landing)], cwd=REPO, check=False)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "bench")]

from bench_markov import share_standard_error  # noqa: E402

from orchestration.lib import settings  # noqa: E402
from orchestration.lib.attribution import (  # noqa: E402
    PATH_SEPARATOR,
    SET_SEPARATOR,
    markov_removal_effects,
    markov_removal_effects_simulated,
    roi_intervals,
    shapley_values,
    split_joined,
)

PYTHON = sys.executable
DBT = str(Path(sys.executable).parent / "dbt")
TARGET_ADDED_SECONDS = 15.0
MIN_SPEEDUP = 10.0
MAX_SHARE_DIFFERENCE = 0.01
# The pipeline's dbt build leaves these out (orchestration/defs/dbt/assets.py: code tests, not data tests).
PIPELINE_EXCLUDE = ["tag:macro_self_test", "test_type:unit"]
# Every node attribution adds: all that is downstream of these (seeds, models, their tests).
ATTRIBUTION_ROOTS = [
    "channel_rules+",
    "attribution_models+",
    "int_conversions_converted_to_rc+",
    "int_touchpoints_channelled+",
    "int_marketing_spend_monthly+",
]


def dbt_env(warehouse: Path) -> dict[str, str]:
    return {
        **os.environ,
        "ROI_WAREHOUSE": str(warehouse),
        "DBT_PROFILES_DIR": str(REPO / "dbt_project"),
        "DO_NOT_TRACK": "1",
    }


def dbt_parse(warehouse: Path, target: Path) -> Path:
    """Parse once; every build starts from this parse state, as the pipeline's does (``cli prepare``)."""
    command = [DBT, "parse", "--quiet", "--vars", json.dumps(settings.dbt_vars()), "--target-path", str(target)]
    subprocess.run(command, cwd=REPO / "dbt_project", env=dbt_env(warehouse), check=True, capture_output=True)
    return target / "partial_parse.msgpack"


def dbt_build(
    warehouse: Path, target: Path, parse_state: Path, *, with_attribution: bool
) -> tuple[float, dict[str, Any]]:
    """One pipeline-like ``dbt build``: wall seconds and its run_results.json."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(parse_state, target / "partial_parse.msgpack")
    exclude = PIPELINE_EXCLUDE + ([] if with_attribution else ATTRIBUTION_ROOTS)
    command = [DBT, "build", "--quiet", "--vars", json.dumps(settings.dbt_vars()), "--exclude", *exclude]
    command += ["--target-path", str(target), "--log-path", str(target / "logs")]
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, cwd=REPO / "dbt_project", env=dbt_env(warehouse), capture_output=True, text=True)
    seconds = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"dbt build failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}")
    run_results = json.loads((target / "run_results.json").read_text())
    run_results["_cpu_seconds"] = (cpu_after.ru_utime - cpu_before.ru_utime) + (
        cpu_after.ru_stime - cpu_before.ru_stime
    )
    return seconds, run_results


def attribution_node_ids(warehouse: Path, target: Path) -> set[str]:
    command = [DBT, "ls", "--quiet", "--select", *ATTRIBUTION_ROOTS, "--exclude", *PIPELINE_EXCLUDE]
    command += ["--output", "json", "--output-keys", "unique_id", "--target-path", str(target)]
    result = subprocess.run(
        command, cwd=REPO / "dbt_project", env=dbt_env(warehouse), capture_output=True, text=True, check=True
    )
    return {json.loads(line)["unique_id"] for line in result.stdout.splitlines() if line.startswith("{")}


def checks_step_seconds(warehouse: Path) -> float:
    """The ``attribution_checks`` step on its own, as the pipeline runs it (seconds from the event log)."""
    code = (
        "import json, dagster as dg\n"
        "from orchestration.lib import gx\n"
        "gx.import_in_background().join()  # as in the pipeline, where GX loads while the build runs\n"
        "from orchestration.defs.attribution.checks import attribution_checks\n"
        "from orchestration.defs.resources import warehouse_from_env\n"
        "job = dg.define_asset_job('attribution_checks_only', selection=dg.AssetSelection.checks(attribution_checks))\n"
        "defs = dg.Definitions(asset_checks=[attribution_checks], jobs=[job],"
        " resources={'warehouse': warehouse_from_env()})\n"
        "result = defs.resolve_job_def('attribution_checks_only').execute_in_process(raise_on_error=True)\n"
        "ms = [e.event_specific_data.duration_ms for e in result.all_events if e.is_step_success]\n"
        "print(json.dumps({'seconds': sum(ms) / 1000,"
        " 'passed': all(c.passed for c in result.get_asset_check_evaluations())}))\n"
    )
    env = {**dbt_env(warehouse), "DAGSTER_HOME": "", "GX_ANALYTICS_ENABLED": "False"}
    env.pop("DAGSTER_HOME")
    result = subprocess.run([PYTHON, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    if not report["passed"]:
        print("  warning: an attribution check did not pass on this warehouse")
    return float(report["seconds"])


def best_of(function: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    best, value = float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        value = function()
        best = min(best, time.perf_counter() - started)
    return best, value


def node_table(run_results: dict[str, Any], nodes: set[str]) -> list[tuple[str, float, float, int]]:
    """(node, its own seconds, seconds of the data tests on it, number of tests) for the attribution nodes."""
    own: dict[str, float] = {}
    tests: dict[str, list[float]] = {}
    manifest_parents: dict[str, list[str]] = {}
    for result in run_results["results"]:
        unique_id = result["unique_id"]
        if unique_id not in nodes:
            continue
        if unique_id.startswith("test."):
            manifest_parents.setdefault(unique_id, [])
            tests.setdefault(unique_id, []).append(result["execution_time"])
        else:
            own[unique_id] = result["execution_time"]
    manifest = json.loads((Path(run_results["_target"]) / "manifest.json").read_text())
    per_node_tests: dict[str, list[float]] = {node: [] for node in own}
    for test_id, seconds in tests.items():
        parents = [parent for parent in manifest["nodes"][test_id]["depends_on"]["nodes"] if parent in own]
        attached = manifest["nodes"][test_id].get("attached_node") or (parents[0] if parents else None)
        if attached in per_node_tests:
            per_node_tests[attached].extend(seconds)
    rows = [
        (node.split(".")[-1], own[node], sum(per_node_tests[node]), len(per_node_tests[node]))
        for node in sorted(own, key=lambda node: -own[node])
    ]
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--touchpoints", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--warehouse", type=Path, help="a warehouse already built from --landing (skips the run)")
    parser.add_argument("--landing", type=Path, help="a landing zone already generated (skips generation)")
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temporary folder")
    parser.add_argument("--repeats", type=int, default=3, help="dbt builds with and without attribution, each")
    parser.add_argument("--walks", type=int, default=5_000_000, help="random walks of the simulated Markov")
    parser.add_argument("--keep", action="store_true", help="keep the workdir")
    arguments = parser.parse_args(argv)

    workdir = arguments.workdir or Path(tempfile.mkdtemp(prefix="roi-bench-attribution-"))
    workdir.mkdir(parents=True, exist_ok=True)
    landing = arguments.landing or workdir / "landing"
    built = arguments.warehouse or workdir / "roi.duckdb"
    if arguments.warehouse is None:
        if arguments.landing is None:
            print(f"Generating {arguments.touchpoints:,} touchpoints into {landing} ...", flush=True)
            generate = [PYTHON, "seeds/generate.py", "--out", str(landing), "--seed", str(arguments.seed)]
            subprocess.run(
                [*generate, "--touchpoints", str(arguments.touchpoints)],
                cwd=REPO,
                check=True,
                capture_output=True,
            )
        dagster_home = workdir / "dagster_home"
        dagster_home.mkdir(exist_ok=True)
        shutil.copy(REPO / "orchestration" / "dagster.yaml", dagster_home / "dagster.yaml")
        env = {**dbt_env(built), "ROI_LANDING_DIR": str(landing), "DAGSTER_HOME": str(dagster_home)}
        print("Building the warehouse (the full pipeline) ...", flush=True)
        subprocess.run([PYTHON, "-m", "orchestration.cli", "prepare"], cwd=REPO, env=env, check=True)
        timings = workdir / "timings.json"
        run = subprocess.run(
            [PYTHON, "-m", "orchestration.cli", "run", "--log-level", "WARNING", "--timings", str(timings)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            print(run.stdout[-6000:])
            return run.returncode
        steps = json.loads(timings.read_text())
        dbt_seconds = sum(seconds for step, seconds in steps["steps"].items() if step.startswith("dbt_"))
        solver_seconds = sum(seconds for step, seconds in steps["steps"].items() if step.startswith("attribution__"))
        print(
            f"  full pipeline: {steps['run_seconds']:.1f} s (dbt steps {dbt_seconds:.1f} s, "
            f"attribution solver assets {solver_seconds:.1f} s)"
        )

    # 1. What attribution adds: dbt builds with and without it, alternating, on a copy of the warehouse.
    scratch = workdir / "scratch.duckdb"
    shutil.copy(built, scratch)
    nodes = attribution_node_ids(scratch, workdir / "target_ls")
    parse_state = dbt_parse(scratch, workdir / "target_parse")
    with_seconds: list[float] = []
    without_seconds: list[float] = []
    cpu_added: list[float] = []
    full_results: dict[str, Any] = {}
    for repeat in range(arguments.repeats):
        target = workdir / f"target_without_{repeat}"
        seconds, without_results = dbt_build(scratch, target, parse_state, with_attribution=False)
        without_seconds.append(seconds)
        target = workdir / f"target_with_{repeat}"
        seconds, full_results = dbt_build(scratch, target, parse_state, with_attribution=True)
        full_results["_target"] = str(target)
        with_seconds.append(seconds)
        cpu_added.append(full_results["_cpu_seconds"] - without_results["_cpu_seconds"])
        print(
            f"  dbt build without / with attribution: {without_seconds[-1]:6.1f} s / {seconds:6.1f} s wall, "
            f"{without_results['_cpu_seconds']:6.1f} s / {full_results['_cpu_seconds']:6.1f} s CPU",
            flush=True,
        )
    checks_seconds = statistics.median(checks_step_seconds(scratch) for _ in range(max(1, arguments.repeats - 1)))
    # each pair ran back to back under the same load: the median of the pairs' differences
    dbt_added = statistics.median(with_ - without for with_, without in zip(with_seconds, without_seconds, strict=True))
    added = dbt_added + checks_seconds

    # 2. Per node (the last full build), and the Python parts in-process.
    rows = node_table(full_results, nodes)
    with duckdb.connect(str(scratch), read_only=True) as connection:
        paths = connection.execute("select * from intermediate.int_attribution_paths").df()
        channel_sets = connection.execute("select * from intermediate.int_attribution_channel_sets").df()
        groups = connection.execute("select * from intermediate.int_roi_groups").df()
        contributions = pd.DataFrame(
            connection.execute("select * from intermediate.int_roi_bootstrap_contributions").fetchnumpy()
        )
        conversions, touches = connection.execute(
            "select count(*), (select count(*) from intermediate.int_touchpoints_channelled) from marts.fct_conversions"
        ).fetchone()
    markov_paths = pd.DataFrame(
        {
            "path": split_joined(paths["channel_path"], PATH_SEPARATOR),
            "conversions": paths["conversions"],
            "non_conversions": paths["non_conversions"],
        }
    )
    coalitions = pd.DataFrame(
        {
            "channels": split_joined(channel_sets["channel_set"], SET_SEPARATOR).map(frozenset),
            "conversions": channel_sets["conversions"],
        }
    )
    attribution = settings.config().attribution
    exact_seconds, exact = best_of(lambda: markov_removal_effects(markov_paths), 3)
    shapley_seconds, _ = best_of(lambda: shapley_values(coalitions), 3)
    bootstrap_seconds, _ = best_of(
        lambda: roi_intervals(
            contributions,
            groups,
            resamples=attribution.bootstrap_resamples,
            level=attribution.confidence_level,
            seed=attribution.random_seed,
        ),
        1,
    )

    # 3. Exact Markov against the simulation, on the same real paths.
    simulated_seconds, simulated = best_of(
        lambda: markov_removal_effects_simulated(markov_paths, walks=arguments.walks, seed=attribution.random_seed), 3
    )
    both = exact.merge(simulated, on="channel", suffixes=("_exact", "_simulated"))
    both["difference"] = (both["share_exact"] - both["share_simulated"]).abs()
    speedup = simulated_seconds / exact_seconds
    max_difference = float(both["difference"].max())

    journeys = int((paths["conversions"] + paths["non_conversions"]).sum())
    print(f"\nAttribution benchmark: {touches:,} touchpoints, {conversions:,} conversions, {os.cpu_count()} cores")
    print(f"  {journeys:,} journeys -> {len(paths):,} distinct paths, {len(channel_sets):,} channel sets")
    print(f"  {len(contributions):,} bootstrap rows (conversion x ROI group) over {len(groups):,} ROI groups\n")
    print(f"  {'node':<40}{'model s':>9}{'tests s':>9}{'tests':>7}")
    for name, seconds, test_seconds, test_count in rows:
        print(f"  {name:<40}{seconds:>9.2f}{test_seconds:>9.2f}{test_count:>7}")
    print(f"  {'sum of node times (2 dbt threads)':<40}{sum(row[1] + row[2] for row in rows):>9.2f}")
    print("\n  Python parts, in-process (best of 3; the bootstrap once):")
    print(f"    markov exact solve ({len(exact)} channels)   {exact_seconds:8.3f} s")
    print(f"    shapley exact values ({len(coalitions)} sets)  {shapley_seconds:8.3f} s")
    print(f"    ROI bootstrap ({attribution.bootstrap_resamples} resamples)   {bootstrap_seconds:8.3f} s")
    print("\n  Markov on the real paths: exact vs simulated")
    print(
        both[["channel", "share_exact", "share_simulated", "difference"]].to_string(
            index=False, float_format="{:.4f}".format
        )
    )
    standard_error = share_standard_error(simulated, arguments.walks)
    print(
        f"    P(conversion) exact {exact.attrs['conversion_probability']:.5f}, "
        f"simulated {simulated.attrs['conversion_probability']:.5f} ({arguments.walks:,} walks, "
        f"share std. error ~{standard_error:.4f})"
    )

    added_ok = added <= TARGET_ADDED_SECONDS
    speed_ok = speedup >= MIN_SPEEDUP
    agree_ok = max_difference <= MAX_SHARE_DIFFERENCE
    verdict = {True: "ok  ", False: "FAIL"}
    print("\n  Against the targets")
    print(
        f"    dbt build with / without attribution    {statistics.median(with_seconds):6.1f} / "
        f"{statistics.median(without_seconds):6.1f} s  (median of {arguments.repeats})"
    )
    print(f"    added by the attribution dbt nodes      {dbt_added:8.1f} s   (median of the pairs' differences)")
    print(f"      in CPU time (both cores)              {statistics.median(cpu_added):8.1f} s")
    print(f"    attribution_checks step                 {checks_seconds:8.1f} s")
    print(
        f"    added to the 1M full build              {added:8.1f} s   "
        f"{verdict[added_ok]} need <= {TARGET_ADDED_SECONDS:g} s"
    )
    print(
        f"    Markov exact / simulated                {exact_seconds:8.3f} / {simulated_seconds:.3f} s = "
        f"{speedup:.0f}x   {verdict[speed_ok]} need >= {MIN_SPEEDUP:g}x"
    )
    print(
        f"    max |share difference|                  {max_difference:8.4f}   "
        f"{verdict[agree_ok]} need <= {MAX_SHARE_DIFFERENCE}"
    )

    if not arguments.keep and arguments.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        scratch.unlink(missing_ok=True)
    return 0 if added_ok and speed_ok and agree_ok else 1


if __name__ == "__main__":
    sys.exit(main())
