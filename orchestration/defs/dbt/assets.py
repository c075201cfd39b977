"""The dbt project as Dagster assets: one ``@dbt_assets`` over the manifest.

Sources map onto the ingestion assets (``raw/<table>``), models onto
``<schema>/<model>``, groups follow the model folders (``staging``, then the
domain: ``marketing``, ``finance``, ``attribution``, ``audit``), and dbt tests
become asset checks.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from orchestration.lib.settings import DBT_PROJECT_DIR, dbt_vars

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target="dev")
dbt_project.prepare_if_dev()

LAYER_FOLDERS = {"staging", "intermediate", "marts"}


class RoiDbtTranslator(DagsterDbtTranslator):
    """Keys by schema, groups by folder."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["identifier"]])
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "lookups"
        folders = dbt_resource_props.get("fqn", [])[1:-1]
        if not folders:
            return "dbt"
        if folders[0] == "staging":
            return "staging"
        if folders[0] in LAYER_FOLDERS and len(folders) > 1:
            return folders[1]
        return folders[0]


translator = RoiDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


def failed_nodes(run_results: Mapping[str, Any]) -> list[str]:
    """Models, seeds and snapshots dbt could not build (test failures are asset checks, not errors)."""
    return [
        f"{result['unique_id']}: {(result.get('message') or '').strip()}"
        for result in run_results.get("results", [])
        if result.get("status") == "error" and not result["unique_id"].startswith(("test.", "unit_test."))
    ]


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=translator)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """Build (run + test) the selected dbt models with the settings from the config file."""
    invocation = dbt.cli(["build", "--vars", json.dumps(dbt_vars())], context=context, raise_on_error=False)
    yield from invocation.stream().fetch_row_counts()
    errors = failed_nodes(invocation.get_artifact("run_results.json"))
    if errors:
        raise dg.Failure(
            description=f"dbt could not build {len(errors)} node(s)",
            metadata={"errors": dg.MetadataValue.md("\n".join(f"- {error}" for error in errors))},
        )


dbt_resource = DbtCliResource(project_dir=dbt_project)
