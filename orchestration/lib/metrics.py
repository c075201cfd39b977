"""``make metrics``: MetricFlow's ``mf`` answering from the published snapshot, read-only.

The semantic layer (``dbt_project/models/marts/semantic/``) names the marts by the
catalog of the warehouse the project was parsed against (``"roi"."marts"…``).
``mf`` runs with the dbt target ``snapshot`` (``profiles.yml``), which attaches
the snapshot read-only under that catalog name: a metric query never takes
DuckDB's writer lock, so it never blocks a build or the dashboard, and it reads
one whole build.

    python -m orchestration.lib.metrics query --metrics roi --group-by channel,attribution_model
    python -m orchestration.lib.metrics list metrics
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from orchestration.lib.settings import DBT_PROJECT_DIR, warehouse_path
from orchestration.lib.snapshot import snapshot_path

SNAPSHOT_TARGET = "snapshot"
SEMANTIC_MANIFEST = DBT_PROJECT_DIR / "target" / "semantic_manifest.json"


class SemanticManifestMissingError(FileNotFoundError):
    """The dbt project has not been parsed yet (``make manifest``)."""


def manifest_catalog(manifest: Path = SEMANTIC_MANIFEST) -> str:
    """The catalog (DuckDB database name) the semantic models' relations are qualified with."""
    if not manifest.exists():
        raise SemanticManifestMissingError(f"{manifest} is missing: run `make manifest` (dbt parse) first")
    relations = [model["node_relation"] for model in json.loads(manifest.read_text())["semantic_models"]]
    catalogs = {relation["database"] for relation in relations}
    if len(catalogs) != 1:
        raise ValueError(f"the semantic models span several catalogs: {sorted(catalogs)}")
    return catalogs.pop()


def mf_environment(warehouse: Path | None = None, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment ``mf`` runs in: dbt target ``snapshot``, the snapshot file and its catalog name."""
    snapshot = snapshot_path(warehouse or warehouse_path()).resolve()
    if not snapshot.exists():
        raise FileNotFoundError(f"no snapshot at {snapshot} yet: run `make run` first")
    return {
        **(os.environ if base is None else base),
        "DBT_TARGET": SNAPSHOT_TARGET,
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "ROI_SNAPSHOT": str(snapshot),
        "ROI_SNAPSHOT_CATALOG": manifest_catalog(),
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    }


def mf_command(arguments: Sequence[str]) -> list[str]:
    return [str(Path(sys.executable).parent / "mf"), *arguments]


def run_mf(arguments: Sequence[str], warehouse: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``mf <arguments>`` over the snapshot, capturing its output."""
    return subprocess.run(
        mf_command(arguments),
        cwd=DBT_PROJECT_DIR,
        env=mf_environment(warehouse),
        capture_output=True,
        text=True,
        check=False,
    )


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv) or ["query", "--help"]
    try:
        environment = mf_environment()
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return subprocess.run(mf_command(arguments), cwd=DBT_PROJECT_DIR, env=environment, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
