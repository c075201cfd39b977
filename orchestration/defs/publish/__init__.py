"""Publishing: the read-only snapshot and Parquet exports that BI tools and notebooks read."""

import dagster as dg

from orchestration.defs.publish.assets import build_snapshot_asset


def defs(upstream: list[dg.AssetKey]) -> dg.Definitions:
    return dg.Definitions(assets=[build_snapshot_asset(upstream)])
