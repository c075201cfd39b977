"""Issue 16: the dbt project has no dbt Python model (dbt-spark runs them only through Databricks).

The attribution solvers are Dagster assets (``orchestration/defs/attribution/assets.py``); a Python model
creeping back would tie the project to the adapters that run Python models.
"""

import json
from pathlib import Path

from orchestration.lib.settings import DBT_PROJECT_DIR

MANIFEST = Path(DBT_PROJECT_DIR) / "target" / "manifest.json"


def test_the_manifest_has_no_python_model() -> None:
    nodes = json.loads(MANIFEST.read_text(encoding="utf-8"))["nodes"]
    models = {unique_id: node for unique_id, node in nodes.items() if node["resource_type"] == "model"}
    assert len(models) > 50
    assert "model.roi_warehouse.int_roi_bootstrap_intervals" in models
    python_models = sorted(unique_id for unique_id, node in models.items() if node.get("language") != "sql")
    assert python_models == []


def test_no_python_file_among_the_models() -> None:
    assert sorted(Path(DBT_PROJECT_DIR, "models").rglob("*.py")) == []


def test_a_build_invokes_dbt_twice() -> None:
    """Issue 14: the solvers left dbt without adding a dbt invocation. A build runs the main invocation, then
    one more for every model over the tables Python assets write (the solvers' and the optimiser's)."""
    from orchestration.definitions import defs
    from orchestration.defs.attribution.assets import (
        CHANNEL_WEIGHTS,
        MARKOV_CREDITS,
        ROI_BOOTSTRAP_DRAWS,
        ROI_BOOTSTRAP_INTERVALS,
    )
    from orchestration.defs.dbt.assets import dbt_models
    from orchestration.defs.dbt.solver_models import dbt_solver_models
    from orchestration.defs.pipeline.automation import BUILD_JOB_NAME

    job = defs.resolve_job_def(BUILD_JOB_NAME)
    dbt_steps = sorted(node.name for node in job.graph.node_defs if "dbt" in node.required_resource_keys)
    assert dbt_steps == ["dbt_models", "dbt_solver_models"]
    graph = defs.resolve_asset_graph()
    solvers = {CHANNEL_WEIGHTS, MARKOV_CREDITS, ROI_BOOTSTRAP_DRAWS, ROI_BOOTSTRAP_INTERVALS}
    for key in solvers:
        # what the solvers read is all built by the first invocation (or by another solver) ...
        assert graph.get(key).parent_keys <= set(dbt_models.keys) | solvers
        # ... and what reads their tables, by the second
        children = graph.get(key).child_keys - solvers
        assert children or key == ROI_BOOTSTRAP_DRAWS  # the draws are read by the intervals only
        assert children <= set(dbt_solver_models.keys)
