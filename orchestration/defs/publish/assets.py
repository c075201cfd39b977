"""The warehouse snapshot: published after every build whose marts passed their blocking checks."""

from pathlib import Path

import dagster as dg

from orchestration.defs.resources import Warehouse
from orchestration.lib import snapshot, spark_engine
from orchestration.lib.settings import ENGINE, lake_location

SNAPSHOT_KEY = dg.AssetKey(["publish", "warehouse_snapshot"])


def build_snapshot_asset(upstream: list[dg.AssetKey]) -> dg.AssetsDefinition:
    """The snapshot asset, downstream of every mart (so it runs last and waits for their blocking checks)."""

    @dg.asset(
        key=SNAPSHOT_KEY,
        deps=upstream,
        group_name="publish",
        kinds={"duckdb", "parquet"},
        description=(
            "Read-only copy of the marts, audit and reference tables (`<warehouse>_snapshot.duckdb`) and "
            "Parquet exports of the marts (`exports/marts/*.parquet`), replaced atomically after each build. "
            "BI tools and notebooks read these, never the live warehouse, so a running build never blocks "
            "them and they never see a half-built state."
        ),
    )
    def warehouse_snapshot(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
        # On Spark the models are views over the lake's Parquet: the snapshot copies them like tables.
        lake_views = spark_engine.lake_tables(lake_location()).keys() if ENGINE == "spark" else ()
        published = snapshot.publish(Path(warehouse.path), lake_views)
        context.log.info(f"published {len(published.tables)} tables to {published.path}")
        return dg.MaterializeResult(
            metadata={
                "path": str(published.path),
                "sqlalchemy_url": snapshot.sqlalchemy_url(Path(warehouse.path)),
                "tables": dg.MetadataValue.json(published.tables),
                "parquet_exports": len(published.exports),
                "dagster/row_count": sum(published.tables.values()),
            }
        )

    return warehouse_snapshot
