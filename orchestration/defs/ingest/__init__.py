"""Ingestion: landing-zone files into the ``raw`` schema."""

import dagster as dg

from orchestration.defs.ingest.assets import ingest_landing_zone


def defs() -> dg.Definitions:
    return dg.Definitions(assets=[ingest_landing_zone])
