"""The warehouse snapshot: published after every build whose checks found the data intact.

Data-integrity checks do not stop the build (every warehouse table is rebuilt, so the data that explains
a failure can be queried); this step is what they hold back. It runs after every check step of its run and
refuses, naming them, when a check with ERROR severity failed or a planned check was not evaluated
(``lib/publish_gate.py``): the previous snapshot, and what reads it, stays.
"""

from pathlib import Path

import dagster as dg

from orchestration.defs.resources import Warehouse
from orchestration.lib import publish_gate, snapshot, spark_engine
from orchestration.lib.settings import ENGINE, lake_location

SNAPSHOT_KEY = dg.AssetKey(["publish", "warehouse_snapshot"])
SNAPSHOT_STEP = "publish__warehouse_snapshot"  # the step (op) name Dagster gives the asset
# Among the steps ready to run, the lowest priority runs last: the check steps of the marts (separate steps,
# ready when the marts are) run before this one, so its gate sees every check of the run.
LAST = {"dagster/priority": "-1"}


def build_snapshot_asset(upstream: list[dg.AssetKey]) -> dg.AssetsDefinition:
    """The snapshot asset, downstream of every mart (so it runs last) and gated by the run's checks."""

    @dg.asset(
        key=SNAPSHOT_KEY,
        deps=upstream,
        group_name="publish",
        kinds={"duckdb", "parquet"},
        op_tags=LAST,
        description=(
            "Read-only copy of the marts, audit and reference tables (`<warehouse>_snapshot.duckdb`) and "
            "Parquet exports of the marts (`exports/marts/*.parquet`), replaced atomically after each build "
            "(only the tables whose content changed are copied; `audit.snapshot_tables` lists each table's digest) "
            "whose data-integrity checks all passed (else it fails, naming them, and the previous snapshot "
            "stays). BI tools and notebooks read these, never the live warehouse, so a running build never "
            "blocks them and they never see a half-built or failed state."
        ),
    )
    def warehouse_snapshot(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
        refused = publish_gate.refusal_for_run(context.instance, context.run)
        if refused is not None:
            raise dg.Failure(description=refused)
        # On Spark the models are views over the lake's Parquet: the snapshot copies them like tables.
        lake_views = spark_engine.lake_tables(lake_location()).keys() if ENGINE == "spark" else ()
        published = snapshot.publish(Path(warehouse.path), lake_views)
        context.log.info(
            f"published {len(published.tables)} tables to {published.path}: {len(published.copied)} copied, "
            f"{len(published.tables) - len(published.copied)} unchanged since the last publish and kept"
        )
        return dg.MaterializeResult(
            metadata={
                "path": str(published.path),
                "sqlalchemy_url": snapshot.sqlalchemy_url(Path(warehouse.path)),
                "tables": dg.MetadataValue.json(published.tables),
                "tables_copied": dg.MetadataValue.json(published.copied),
                "parquet_exports": len(published.exports),
                "dagster/row_count": sum(published.tables.values()),
            }
        )

    return warehouse_snapshot
