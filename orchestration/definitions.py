"""The Dagster code location: composes what each domain in ``defs/`` returns."""

import dagster as dg

from orchestration.defs import dbt, ingest, pipeline, quality
from orchestration.defs.resources import warehouse_from_env

defs = dg.Definitions.merge(
    ingest.defs(),
    dbt.defs(),
    quality.defs(),
    pipeline.defs(),
    dg.Definitions(resources={"warehouse": warehouse_from_env()}),
)
