"""Where a build's time goes, from the run itself: ``audit.run_step_timings``.

Three kinds of rows, written by the build as it runs:

- ``dagster_step``: every step of the Dagster run (an ingestion asset, the dbt
  build, a check), from the run's own event log (``STEP_START`` to
  ``STEP_SUCCESS``/``STEP_FAILURE``), written by ``python -m orchestration.cli run``;
- ``dbt_node``: every model, seed and test of the dbt build, from dbt's
  ``run_results.json`` (``execution_time``), written by the dbt asset;
- ``dagster_run``: the whole run (the job), written by the CLI.

``make bench`` prints the slowest of each for the run it timed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestration.lib.warehouse import connect

TIMINGS_DDL = """
    create table if not exists audit.run_step_timings (
        run_id varchar not null,
        kind varchar not null,
        name varchar not null,
        status varchar,
        started_at timestamp,
        seconds double not null,
        recorded_at timestamp not null
    )
"""


@dataclass(frozen=True)
class StepTiming:
    kind: str  # dagster_step or dbt_node
    name: str
    seconds: float
    status: str | None = None
    started_at: dt.datetime | None = None


def dbt_node_timings(run_results: Mapping[str, Any]) -> list[StepTiming]:
    """Each node of a dbt invocation and its execution time, from ``run_results.json``."""
    timings = []
    for result in run_results.get("results", []):
        started = None
        for phase in result.get("timing") or []:
            if phase.get("started_at"):
                moment = dt.datetime.fromisoformat(phase["started_at"].replace("Z", "+00:00"))
                started = moment if started is None else min(started, moment)
        timings.append(
            StepTiming(
                kind="dbt_node",
                name=result["unique_id"],
                seconds=float(result.get("execution_time") or 0.0),
                status=result.get("status"),
                started_at=None if started is None else started.astimezone(dt.UTC).replace(tzinfo=None),
            )
        )
    return timings


def record(warehouse: Path, run_id: str, timings: Iterable[StepTiming]) -> int:
    """Append a run's timings (replacing those of the same run, kind and name); returns the rows written."""
    rows = [(run_id, t.kind, t.name, t.status, t.started_at, t.seconds) for t in timings]
    if not rows:
        return 0
    with connect(warehouse) as connection:
        connection.execute("create schema if not exists audit")
        connection.execute(TIMINGS_DDL)
        # Replace the same steps or nodes only: a run calls dbt more than once (the models, then the
        # optimisation models after the MMM), and each call records its own nodes.
        connection.execute(
            "delete from audit.run_step_timings where run_id = ? "
            "and (kind, name) in (select unnest(?) as kind, unnest(?) as name)",
            [run_id, [row[1] for row in rows], [row[2] for row in rows]],
        )
        connection.executemany(
            "insert into audit.run_step_timings values (?, ?, ?, ?, ?, ?, current_timestamp)",
            rows,
        )
    return len(rows)


def slowest(warehouse: Path, run_id: str, kind: str, limit: int = 10) -> list[tuple[str, float]]:
    """The run's slowest steps (or dbt nodes), slowest first."""
    with connect(warehouse, read_only=True) as connection:
        return [
            (name, float(seconds))
            for name, seconds in connection.execute(
                "select name, seconds from audit.run_step_timings where run_id = ? and kind = ? "
                "order by seconds desc, name limit ?",
                [run_id, kind, limit],
            ).fetchall()
        ]
