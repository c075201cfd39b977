"""Spend-only runs: new spend or finance files rebuild what they feed, and leave attribution as built.

When the only inputs that changed since the last successful build are landing
files of sources that are not journey sources (ad-platform spend, invoices, GL,
budgets, FX, campaigns, ...), ``make run`` builds in two stages instead of
rebuilding everything. Both stages are selected from the asset graph (the dbt
manifest's lineage as dagster-dbt maps it, plus the Python assets), never from
a list of models:

* **affected**: every asset downstream of the changed sources' ingestion assets
  (what a full build would change, at most).
* **stage one** (``spend_side``): the affected assets that read no touch data
  (nothing downstream of ``TOUCH_SOURCE``): the ingestion, spend, invoices,
  reconciliation, budget vs actual, pacing, conversions in the reporting
  currency, ... .
* **frontier**: the stage-one tables that journey-side assets read. Model
  lineage is coarse: ``dim_campaigns`` (which gives a touch its channel) reads
  spend to find campaigns, and the FX rates as of each date read every source's
  currencies. A new day of spend for known campaigns, in known currencies,
  leaves those tables exactly as they were. Their content is digested before
  and after stage one (``relation_digest``); an unchanged table cuts its
  journey-side readers off (early cut-off, as build systems do).
* **stage two**: the affected journey-side assets downstream of a frontier table
  that did change: the ROI marts and the ROI bootstrap (they divide attributed
  revenue by spend, and the bootstrap's groups are the ones with spend), and the
  snapshot. Journeys, credits, the Markov and Shapley solves are rebuilt only if
  a frontier table they read changed (a new campaign, a new currency).

The result equals a full build's, row for row (tests/integration/test_spend_only.py):
an asset is left as built only when nothing it reads changed. Any doubt is a
full build: no recorded build to compare with, changed config, code or
environment, a journey source changed, or a path outside the sources' landing
files changed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from orchestration.lib.freshness import OTHER_PATHS
from orchestration.lib.sql import quote_identifier
from orchestration.lib.warehouse import content_digest

if TYPE_CHECKING:
    import dagster as dg
    import duckdb

    # What the public Definitions.resolve_asset_graph() returns (dagster exports no name for it).
    from dagster._core.definitions.assets.graph.asset_graph import AssetGraph

# The sources journeys are made of (shared/data-contract.md): a change to one of them is a full build.
JOURNEY_SOURCES = ("touchpoints", "conversions")
# The stages split at the touchpoints: journeys, credits, the Markov and Shapley solves are made of them, and
# every asset downstream of them is journey-side. Conversion-level tables (conversions in the reporting
# currency, which read the FX rates of every source's currencies) are cheap and stay in stage one, where
# their unchanged content cuts the journeys off.
TOUCH_SOURCE = "touchpoints"
SPEND_ONLY = "spend-only"
FULL = "full"
# The inputs whose change a spend-only run can take (lib/freshness.build_inputs): the landing zone, whole
# and by source. Anything else that changed (config, code, environment, a registered input) is a full build.
LANDING_INPUTS = ("landing", "landing_sources")


@dataclass(frozen=True)
class Decision:
    """Which build a run does and why (printed with the run's result)."""

    mode: str
    reason: str
    sources: tuple[str, ...] = ()

    @property
    def spend_only(self) -> bool:
        return self.mode == SPEND_ONLY


def decide(last: dict[str, str] | None, inputs: dict[str, str], last_run_id: str = "") -> Decision:
    """Spend-only when only non-journey sources' landing files changed since the last successful build."""
    from orchestration.lib.settings import config

    if not config().realtime.spend_only_runs:
        return Decision(FULL, "spend-only runs are off (realtime.spend_only_runs)")
    if last is None:
        return Decision(FULL, "no successful build recorded to compare with")
    changed = sorted(name for name in set(last) | set(inputs) if last.get(name) != inputs.get(name))
    other = [name for name in changed if name not in LANDING_INPUTS]
    if other:
        return Decision(FULL, f"{', '.join(other)} changed since run {last_run_id}".strip())
    if "landing_sources" not in last or "landing_sources" not in inputs:
        return Decision(FULL, "the last build recorded no digest per source")
    before, now = json.loads(last["landing_sources"]), json.loads(inputs["landing_sources"])
    sources = tuple(sorted(name for name in set(before) | set(now) if before.get(name) != now.get(name)))
    if not sources:
        return Decision(FULL, "the landing zone changed, but no source's files did")
    if OTHER_PATHS in sources:
        return Decision(FULL, "a landing path that is not a source's landing file changed")
    journey = [name for name in sources if name in JOURNEY_SOURCES]
    if journey:
        return Decision(FULL, f"journey source(s) changed: {', '.join(journey)}", sources)
    return Decision(
        SPEND_ONLY, f"only {', '.join(sources)} changed since run {last_run_id}; config and code unchanged", sources
    )


@dataclass(frozen=True)
class Stages:
    """The assets a spend-only run considers, from the asset graph (module docstring)."""

    affected: frozenset[dg.AssetKey]
    spend_side: frozenset[dg.AssetKey]
    frontier: frozenset[dg.AssetKey]

    def second(self, graph: AssetGraph, unchanged: Iterable[dg.AssetKey]) -> frozenset[dg.AssetKey]:
        """Stage two: the journey-side readers of a frontier table that changed, and all downstream of them.

        The walk starts at the readers, not at the changed table: a stage-one table further on was rebuilt
        in stage one and digested itself, so its readers are in only if it changed too.
        """
        import dagster as dg

        journey_side = self.affected - self.spend_side
        readers = {
            reader
            for key in self.frontier - set(unchanged)
            for reader in dg.AssetSelection.assets(key).downstream(depth=1, include_self=False).resolve(graph)
            if reader in journey_side
        }
        downstream = dg.AssetSelection.assets(*readers).downstream().resolve(graph) if readers else set()
        return frozenset(set(downstream) & self.affected)


def source_key(source: str) -> dg.AssetKey:
    import dagster as dg

    return dg.AssetKey(["raw", source])


def check_inputs(defs: dg.Definitions) -> dict[dg.AssetKey, set[dg.AssetKey]]:
    """The other assets each asset's checks read (a dbt relationship test reads its parent's table too)."""
    reads: dict[dg.AssetKey, set[dg.AssetKey]] = {}
    for definition in [*(defs.assets or []), *(defs.asset_checks or [])]:
        for spec in getattr(definition, "check_specs", []):
            deps = {dep.asset_key for dep in spec.additional_deps}
            reads.setdefault(spec.asset_key, set()).update(deps - {spec.asset_key})
    return reads


def stages(
    graph: AssetGraph,
    sources: Iterable[str],
    job_selection: dg.AssetSelection,
    check_reads: dict[dg.AssetKey, set[dg.AssetKey]] | None = None,
) -> Stages:
    """Affected, stage-one and frontier assets of a change to ``sources`` (their ingestion assets' names),
    among the assets of the job (``job_selection``: the build leaves out the partitioned reports).

    An asset whose checks read a stage-two asset (``check_reads``) moves to stage two with everything
    downstream of it, so that every check runs after all it reads is rebuilt.
    """
    import dagster as dg

    in_job = set(job_selection.resolve(graph))
    changed = dg.AssetSelection.assets(*(source_key(name) for name in sources))
    affected = set(changed.downstream().resolve(graph)) & in_job
    journey_side = dg.AssetSelection.assets(source_key(TOUCH_SOURCE)).downstream()
    spend_side = set(affected) - set(journey_side.resolve(graph))
    while True:
        moved = {key for key in spend_side if (check_reads or {}).get(key, set()) & (affected - spend_side)}
        if not moved:
            break
        spend_side -= set(dg.AssetSelection.assets(*moved).downstream().resolve(graph))
    frontier = {
        key
        for key in spend_side
        if set(dg.AssetSelection.assets(key).downstream(depth=1, include_self=False).resolve(graph))
        & (set(affected) - spend_side)
    }
    return Stages(frozenset(affected), frozenset(spend_side), frozenset(frontier))


def relation_digest(connection: duckdb.DuckDBPyConnection, key: dg.AssetKey) -> str | None:
    """A digest of a ``schema.table`` asset's rows, whatever their order; None when it is not a relation.

    The row count and the sum of the rows' hashes (``lib/warehouse.py: content_digest``).
    """
    if len(key.path) != 2:
        return None
    schema, name = key.path
    found = connection.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, name]
    ).fetchall()[0][0]
    if not found:
        return None
    return content_digest(connection, f"{quote_identifier(schema)}.{quote_identifier(name)}")


def relation_digests(connection: duckdb.DuckDBPyConnection, keys: Iterable[dg.AssetKey]) -> dict[dg.AssetKey, str]:
    digests = {}
    for key in keys:
        digest = relation_digest(connection, key)
        if digest is not None:
            digests[key] = digest
    return digests


def unchanged(before: dict[dg.AssetKey, str], after: dict[dg.AssetKey, str]) -> set[dg.AssetKey]:
    """The relations whose content a stage left exactly as it was."""
    return {key for key, digest in before.items() if after.get(key) == digest}
