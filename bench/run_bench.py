"""Benchmark: the full build on a generated landing zone with 1M touchpoints (or --touchpoints N).

Prints the generation time (not counted), the ingestion, dbt and full-build wall
times (from the run's own step timings), the process tree's wall and CPU time
and peak memory (the Python process plus the dbt subprocess, and Spark's JVM on
Spark), against issue 14's targets; the slowest steps and dbt nodes as the run
recorded them (audit.run_step_timings); the wall time of a second run over the
same files (nothing to rebuild); one new day of Google Ads spend landed in the
zone (``seeds/_spend.py``: the last day again as the next one, removed again
afterwards) and the spend-only run it starts, with its slowest steps (DuckDB
only); then runs bench/bench_attribution.py on the
warehouse it built (what the seven models and the ROI marts add, per node, and
the exact Markov solve against simulation). Exits 1 when a target is missed.

``--engine spark`` builds with ``ROI_ENGINE=spark`` (every dbt model on local Spark, README "Running on
Spark"); ``--engine both`` builds the same landing zone on DuckDB and then on Spark and prints their
figures side by side (the targets judge the DuckDB build).

    make bench                                   # the sample on both engines, then 1M touchpoints on DuckDB
    make bench ARGS="--touchpoints 200000"       # another size (any option below, through ARGS)
    make bench ARGS="--touchpoints 10000000 --skip-attribution"   # 10M, landing zone from seeds/generate_large.py
    .venv/bin/python bench/run_bench.py --landing seeds/sample --engine both --skip-attribution
    .venv/bin/python bench/run_bench.py --touchpoints 10000000 --engine both --skip-attribution --without-mmm
    .venv/bin/python bench/run_bench.py --touchpoints 200000 --keep
"""

from __future__ import annotations

import argparse
import ctypes
import importlib.util
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

import duckdb
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from orchestration.lib import mart_parity  # noqa: E402
from orchestration.lib.settings import ENGINES  # noqa: E402
from orchestration.lib.sources import SOURCES_BY_NAME  # noqa: E402
from orchestration.lib.sql import quote_identifier  # noqa: E402
from seeds._spend import land_google_ads_day, next_google_ads_day  # noqa: E402

PYTHON = sys.executable
TARGET_NO_CHANGE_SECONDS = 5.0
TARGET_SPEND_DAY_SECONDS = 10.0  # a new day of spend files to the updated snapshot, in the run
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


PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h
ORPHANS_WAIT_SECONDS = 60.0


def adopt_orphans() -> bool:
    """Make this process the reaper of its descendants' orphans (Linux); whether it could.

    A process's CPU time reaches ``RUSAGE_CHILDREN`` only when its parent waits for it. dbt does not wait
    for the JVM PySpark starts (the JVM ends by itself once dbt is gone), so the JVM would be reparented
    to init and its CPU time lost; as a subreaper this process inherits it and :func:`reap_orphans`
    counts it.
    """
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def reap_orphans(deadline_seconds: float = ORPHANS_WAIT_SECONDS) -> int:
    """Wait for the adopted orphans still running (a JVM shutting down) up to the deadline; how many ended."""
    ended, deadline = 0, time.monotonic() + deadline_seconds
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return ended
        if pid:
            ended += 1
        elif time.monotonic() > deadline:
            print(f"warning: descendants still running after {deadline_seconds:.0f} s; their CPU time is not counted")
            return ended
        else:
            time.sleep(0.05)


class Measured(NamedTuple):
    code: int
    wall: float  # seconds
    peak: int  # bytes of resident memory, the whole process tree
    cpu: float  # user + system seconds of the whole process tree (dbt, and Spark's JVM: see adopt_orphans)


def run_measured(command: list[str], env: dict[str, str]) -> Measured:
    started, cpu_before = time.monotonic(), _children_cpu_seconds()
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sampler = PeakMemory(process.pid)
    sampler.start()
    output, _ = process.communicate()
    elapsed = time.monotonic() - started
    reap_orphans()  # Spark's JVM, which dbt left running: its CPU time counts (see adopt_orphans)
    sampler.done.set()
    sampler.join()
    cpu = _children_cpu_seconds() - cpu_before  # unlike the wall time, hardly moved by other builds on the cores
    if process.returncode != 0:
        print(output[-6000:])
    return Measured(process.returncode, elapsed, sampler.peak, cpu)


def print_profile(warehouse: Path, run_id: str, limit: int = 8) -> None:
    """The run's slowest Dagster steps and dbt nodes, as the run recorded them in audit.run_step_timings."""
    from orchestration.lib import profiling

    for kind, title in (("dagster_step", "slowest steps"), ("dbt_node", "slowest dbt nodes")):
        print(f"  {title} (audit.run_step_timings, kind = '{kind}'):")
        for name, seconds in profiling.slowest(warehouse, run_id, kind, limit):
            print(f"    {name:<64}{seconds:8.2f} s")


def config_without_mmm(path: Path) -> Path:
    """A copy of the config in force with the marketing-mix model switched off."""
    from orchestration.lib.settings import config_path

    config = yaml.safe_load(config_path().read_text(encoding="utf-8")) or {}
    config.setdefault("incrementality", {})["enabled"] = False
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


class SpendDay(NamedTuple):
    """The run after one new day of spend files (spend-only: attribution is left as built)."""

    mode: str  # the run's `Mode` line
    build: float  # seconds, the run's own (its steps, stage one and two)
    code: int


class Build(NamedTuple):
    """One engine's full build of the landing zone, and the run over the same files after it."""

    engine: str
    ingestion: float  # seconds, the ingest steps
    dbt: float  # seconds, the dbt steps (both invocations)
    build: float  # seconds, the run (the CLI's own timing)
    wall: float  # seconds, the process
    cpu: float  # seconds, user + system of the process tree
    peak: int  # bytes, the process tree
    noop_wall: float  # seconds, the second run (nothing new)
    noop_code: int
    env: dict[str, str]  # the run's environment (warehouse, landing zone, engine)
    spend_day: SpendDay | None = None  # DuckDB only


def spark_missing() -> str | None:
    """Why ``ROI_ENGINE=spark`` cannot run here (None: it can)."""
    if importlib.util.find_spec("pyspark") is None or importlib.util.find_spec("dbt.adapters.spark") is None:
        return "the Spark engine is not installed (make install-spark)"
    if shutil.which("java") is None:
        return "Spark needs Java 17 or later on PATH"
    return None


def build_on(engine: str, landing: Path, folder: Path, arguments: argparse.Namespace) -> Build | None:
    """Build ``landing`` with ``ROI_ENGINE=engine`` into a fresh warehouse under ``folder``; None if it failed."""
    warehouse, dagster_home = folder / "roi.duckdb", folder / "dagster_home"
    shutil.rmtree(folder, ignore_errors=True)
    dagster_home.mkdir(parents=True)
    shutil.copy(REPO / "orchestration" / "dagster.yaml", dagster_home / "dagster.yaml")
    timings = folder / "timings.json"
    env = {
        **os.environ,
        "ROI_ENGINE": engine,
        "ROI_LANDING_DIR": str(landing),
        "ROI_WAREHOUSE": str(warehouse),
        "DAGSTER_HOME": str(dagster_home),
    }
    for name in ("ROI_LAKE", "ROI_SPARK_DIR"):  # the lake and Spark's state beside this warehouse
        env.pop(name, None)
    if arguments.without_mmm:
        env["ROI_CONFIG"] = str(config_without_mmm(folder / "roi_without_mmm.yml"))
    # Deployment step, not part of the build: parse the dbt project for this warehouse, engine and vars.
    subprocess.run([PYTHON, "-m", "orchestration.cli", "prepare"], cwd=REPO, env=env, check=True)
    code, wall, peak, cpu = run_measured(
        [PYTHON, "-m", "orchestration.cli", "run", "--log-level", "WARNING", "--timings", str(timings)], env
    )
    if code != 0:
        print(f"{engine}: build failed with exit code {code}")
        return None
    steps = json.loads(timings.read_text())
    print_profile(warehouse, steps["run_id"])
    # The same landing zone again: nothing new, so nothing is rebuilt.
    noop_code, noop_wall, _, _ = run_measured([PYTHON, "-m", "orchestration.cli", "run", "--log-level", "WARNING"], env)
    spend_day = new_spend_day(landing, env, folder) if engine == "duckdb" else None
    return Build(
        engine=engine,
        ingestion=sum(seconds for step, seconds in steps["steps"].items() if step.startswith("ingest")),
        dbt=sum(seconds for step, seconds in steps["steps"].items() if step.startswith("dbt_")),
        build=steps["run_seconds"],
        wall=wall,
        cpu=cpu,
        peak=peak,
        noop_wall=noop_wall,
        noop_code=noop_code,
        env=env,
        spend_day=spend_day,
    )


def new_spend_day(landing: Path, env: dict[str, str], folder: Path) -> SpendDay:
    """Land one more day of Google Ads spend, run, and take the file out of the landing zone again."""
    frame, day = next_google_ads_day(landing)
    landed = land_google_ads_day(landing, frame, day)
    timings = folder / "spend_day_timings.json"
    try:
        command = [PYTHON, "-m", "orchestration.cli", "run", "--log-level", "WARNING", "--timings", str(timings)]
        process = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    finally:
        landed.unlink()
    mode = next((line.strip() for line in process.stdout.splitlines() if line.startswith("Mode")), "Mode ?")
    steps = json.loads(timings.read_text()) if timings.exists() else {"run_seconds": float("nan"), "steps": {}}
    print(f"\n  one new day of Google Ads spend ({day}): {mode}")
    for step, seconds in sorted(steps["steps"].items(), key=lambda item: -item[1])[:8]:
        print(f"    {step:<66} {seconds:6.2f} s")
    return SpendDay(mode=mode, build=steps["run_seconds"], code=process.returncode)


def print_builds(builds: list[Build], touchpoints: str, generation: float, landing_bytes: int) -> None:
    """One column per engine: the build's figures side by side."""
    print(f"\nBenchmark: {touchpoints} touchpoints, {os.cpu_count()} cores")
    print(f"  landing zone: {landing_bytes / 2**20:.0f} MiB on disk, generated in {generation:.1f} s (not counted)")
    print(f"  {'':<28}" + "".join(f"{build.engine:>12}" for build in builds))
    rows = (
        ("ingestion (all sources)", lambda build: f"{build.ingestion:10.1f} s", "the ingest steps (DuckDB on both)"),
        ("dbt (both invocations)", lambda build: f"{build.dbt:10.1f} s", "the dbt steps"),
        ("full build (the run)", lambda build: f"{build.build:10.1f} s", "ingestion to snapshot"),
        ("process wall time", lambda build: f"{build.wall:10.1f} s", "includes Python start-up and definitions"),
        ("process CPU time", lambda build: f"{build.cpu:10.1f} s", "user + system, the whole process tree"),
        ("peak memory (tree)", lambda build: f"{build.peak / 2**30:8.2f} GiB", "Spark's JVM included"),
        ("run again, no change", lambda build: f"{build.noop_wall:10.1f} s", "process wall time"),
        (
            "one new day of spend",
            lambda build: f"{build.spend_day.build:10.1f} s" if build.spend_day else f"{'-':>12}",
            "the spend-only run it starts (in the run)",
        ),
    )
    for name, figure, note in rows:
        print(f"  {name:<28}" + "".join(f"{figure(build):>12}" for build in builds) + f"   {note}")


def loaded_touchpoints(build: Build) -> int:
    """The touchpoint rows the build loaded (``--landing``: the size the targets are judged at)."""
    table = SOURCES_BY_NAME["touchpoints"].table
    with duckdb.connect(build.env["ROI_WAREHOUSE"], read_only=True) as connection:
        return connection.execute(f"select count(*) from raw.{quote_identifier(table)}").fetchone()[0]  # noqa: S608


def print_parity(builds: list[Build]) -> bool:
    """Every mart of the two builds compared (lib/mart_parity.py); whether they are all the same."""
    left, right = (Path(build.env["ROI_WAREHOUSE"]) for build in builds)
    results = mart_parity.compare(left, right)
    print(f"\nMarts, {builds[0].engine} against {builds[1].engine}: {mart_parity.summary(results)}")
    for result in results:
        if result.difference is not None:
            print(f"  {result.difference[:300]}")
    return all(result.difference is None for result in results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--touchpoints", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temporary folder")
    parser.add_argument("--keep", action="store_true", help="keep the generated landing zone and warehouse")
    parser.add_argument(
        "--skip-attribution",
        action="store_true",
        help="only the full build, not bench_attribution nor bench_optimiser",
    )
    parser.add_argument("--landing", type=Path, default=None, help="build this landing zone (no generation)")
    parser.add_argument(
        "--engine",
        choices=(*ENGINES, "both"),
        default="duckdb",
        help="ROI_ENGINE of the build; both: the same landing zone on DuckDB, then on local Spark, side by side "
        "(issue 14's targets are DuckDB's and judge only its build)",
    )
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
    adopt_orphans()
    engines = list(ENGINES) if arguments.engine == "both" else [arguments.engine]
    missing = spark_missing() if "spark" in engines else None
    if missing and arguments.engine == "both":
        print(f"Spark left out: {missing}")
        engines.remove("spark")
    elif missing:
        print(f"error: {missing}", file=sys.stderr)
        return 2

    workdir = arguments.workdir or Path(tempfile.mkdtemp(prefix="roi-bench-"))
    started = time.monotonic()
    if arguments.landing:  # an A/B comparison: the same files for every run
        landing = arguments.landing
        print(f"Landing zone {landing} (generated before, not generated again)")
    else:
        landing = workdir / "landing"
        shutil.rmtree(landing, ignore_errors=True)
        script = generator(arguments.generator, arguments.touchpoints)
        print(f"Generating {arguments.touchpoints:,} touchpoints into {landing} with {script} ...")
        command = [PYTHON, script, "--out", str(landing), "--touchpoints", str(arguments.touchpoints)]
        subprocess.run([*command, "--seed", str(arguments.seed)], cwd=REPO, check=True)
    generation = time.monotonic() - started
    landing_bytes = sum(path.stat().st_size for path in landing.rglob("*") if path.is_file())

    builds: list[Build] = []
    for engine in engines:
        print(f"\n{engine}: building {landing} ...")
        build = build_on(engine, landing, workdir / engine, arguments)
        if build is None:
            return 1
        builds.append(build)
    touchpoints = loaded_touchpoints(builds[0]) if arguments.landing else arguments.touchpoints
    print_builds(builds, f"{touchpoints:,}", generation, landing_bytes)
    parity_ok = True
    if len(builds) == 2:
        parity_ok = print_parity(builds)

    ok = True
    on_duckdb = next((build for build in builds if build.engine == "duckdb"), None)
    if on_duckdb is not None:
        target_seconds, target_gib = targets(touchpoints)
        gib = on_duckdb.peak / 2**30
        noop_ok = on_duckdb.noop_code == 0 and on_duckdb.noop_wall <= TARGET_NO_CHANGE_SECONDS
        spend = on_duckdb.spend_day
        spend_ok = spend is not None and spend.code == 0 and spend.build <= TARGET_SPEND_DAY_SECONDS
        ok = on_duckdb.build <= target_seconds and gib <= target_gib and noop_ok and spend_ok
        print(
            f"\n{'WITHIN' if ok else 'OVER'} TARGET (DuckDB full build <= {target_seconds:.0f} s, "
            f"<= {target_gib:.1f} GiB, run again <= {TARGET_NO_CHANGE_SECONDS:.0f} s, "
            f"a new day of spend <= {TARGET_SPEND_DAY_SECONDS:.0f} s)"
        )

    attribution_ok = True
    if not arguments.skip_attribution:
        if on_duckdb is not None:
            print("\nAttribution at this scale (bench/bench_attribution.py, on the DuckDB warehouse just built):")
            warehouse = on_duckdb.env["ROI_WAREHOUSE"]
            attribution = subprocess.run(
                [PYTHON, "bench/bench_attribution.py", "--warehouse", warehouse, "--landing", str(landing)],
                cwd=REPO,
                env=on_duckdb.env,
                check=False,
            )
            attribution_ok = attribution.returncode == 0
        print("\nBudget scenarios (bench/bench_optimiser.py: three default scenarios, 8 channels x 2,000 draws):")
        optimiser = subprocess.run([PYTHON, "bench/bench_optimiser.py"], cwd=REPO, env=builds[0].env, check=False)
        attribution_ok = attribution_ok and optimiser.returncode == 0
    if not arguments.keep and arguments.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if ok and attribution_ok and parity_ok else 1


if __name__ == "__main__":
    sys.exit(main())
