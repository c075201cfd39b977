"""The dbt project as Dagster assets: one ``@dbt_assets`` over the manifest.

Sources map onto the ingestion assets (``raw/<table>``), models onto
``<schema>/<model>``, groups follow the model folders (``staging``, then the
domain: ``marketing``, ``finance``, ``attribution``, ``audit``), and dbt tests
become asset checks: each described (what it asserts, what dbt found) and kept in
``audit.dq_results`` like every other check (``lib/dbt_tests.py``).
"""

import importlib.metadata
import json
import os
import shutil
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets
from packaging import version

from orchestration.lib import checks, dbt_tests, profiling
from orchestration.lib.failpoints import failpoint
from orchestration.lib.settings import DBT_PROJECT_DIR, DBT_TARGET, ENGINE, dbt_vars, lake_location, warehouse_path
from orchestration.lib.sql import quote_identifier
from orchestration.lib.warehouse import connect

# dbt is the one installed next to this interpreter, activated virtualenv or not (dagster-dbt's own
# dev-time `dbt parse` looks for it on PATH).
os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target=DBT_TARGET)
dbt_project.prepare_if_dev()

LAYER_FOLDERS = {"staging", "intermediate", "marts"}
# Tests of code rather than data: the project's own macros (inline fixtures) and dbt unit tests.
# `make test` runs them (tests/integration/test_dbt_unit_tests.py); production builds leave them out, as dbt advises.
CODE_TESTS = "tag:macro_self_test test_type:unit"
# The budget-scenario marts read the tables the optimiser writes, and the optimiser reads marts built here:
# they are built after it, in the second dbt invocation (defs/dbt/solver_models.py), not part of this one.
OPTIMISATION_MODELS = "path:models/staging/optimisation path:models/marts/optimisation"
# The models over the attribution solvers' tables (source `attribution`, written by Dagster assets from
# aggregates of this build) are built after them, with the optimisation models (defs/dbt/solver_models.py).
ATTRIBUTION_SOLVER_MODELS = "source:attribution+"


class RoiDbtTranslator(DagsterDbtTranslator):
    """Keys by schema, groups by folder."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            # A source may name its key (meta.dagster.asset_key): the incrementality tables, read by views
            # at query time, so the marts over them need not wait for (and cannot wait for) the model.
            configured = (dbt_resource_props.get("meta") or {}).get("dagster", {}).get("asset_key")
            if configured:
                return dg.AssetKey(configured)
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

    def get_asset_check_spec(
        self,
        asset_spec: dg.AssetSpec,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: DbtProject | None,
    ) -> dg.AssetCheckSpec | None:
        """dagster-dbt's check of a dbt test, not blocking: a failed test (ERROR severity) holds back only the
        snapshot (defs/publish), never the steps after this one, like every check of the project."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        # AssetCheckSpec keeps the named-tuple interface: _replace copies every other field as dagster-dbt set it.
        return None if spec is None else spec._replace(blocking=False)


translator = RoiDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


def failed_nodes(run_results: Mapping[str, Any]) -> list[str]:
    """Models, seeds and snapshots dbt could not build (test failures are asset checks, not errors)."""
    return [
        f"{result['unique_id']}: {(result.get('message') or '').strip()}"
        for result in run_results.get("results", [])
        if result.get("status") == "error" and not result["unique_id"].startswith(("test.", "unit_test."))
    ]


def _table_row_counts(keys: list[dg.AssetKey]) -> dict[dg.AssetKey, int]:
    """Rows of the tables dbt built (views are left out: counting them re-runs them)."""
    wanted = {tuple(key.path) for key in keys if len(key.path) == 2}
    counts: dict[dg.AssetKey, int] = {}
    if not wanted:
        return counts
    with connect(warehouse_path(), read_only=True) as connection:
        tables = connection.execute(
            "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE'"
        ).fetchall()
        for schema, table in tables:
            if (schema, table) in wanted:
                relation = f"{quote_identifier(schema)}.{quote_identifier(table)}"
                counts[dg.AssetKey([schema, table])] = connection.execute(
                    f"select count(*) from {relation}"  # noqa: S608 - names from the catalog, quoted
                ).fetchall()[0][0]
    return counts


def _keep_partial_parse_state(invocation_target: Path) -> None:
    """Keep this invocation's parse state for the next run (atomically).

    dagster-dbt gives every invocation its own target folder, seeded from the
    project's ``target/partial_parse.msgpack``. dbt re-parses fully when the
    profile changed (e.g. another ``ROI_WAREHOUSE``); copying the fresh state
    back makes the next run with the same settings parse partially again.
    """
    state = invocation_target / "partial_parse.msgpack"
    if not state.exists():
        return
    destination = dbt_project.project_dir / "target" / "partial_parse.msgpack"
    temporary = destination.with_suffix(f".{os.getpid()}.tmp")
    shutil.copyfile(state, temporary)
    os.replace(temporary, destination)


def _engine_around_dbt() -> AbstractContextManager[None]:
    if ENGINE != "spark":
        return nullcontext()
    from orchestration.lib import spark_engine  # only the Spark engine needs it

    manifest = json.loads(Path(dbt_project.manifest_path).read_text())
    return spark_engine.around_dbt(warehouse_path(), lake_location(), manifest)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
    exclude=f"{CODE_TESTS} {OPTIMISATION_MODELS} {ATTRIBUTION_SOLVER_MODELS}",
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """Build (run + test) the selected dbt models with the settings from the config file."""
    yield from build_selected(context, dbt)


def build_selected(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """``dbt build`` of the selected models and their tests (every dbt asset of the project runs this).

    Model materializations and test results are held until dbt has released
    the warehouse file: materializations to carry the row count of each table,
    test results to be described with dbt's own words for what it found
    (``run_results.json``) and recorded in ``audit.dq_results``.
    """
    outputs: list[dg.Output] = []
    test_results: list[dg.AssetCheckResult] = []
    # On Spark (ROI_ENGINE=spark) the lake's sources are prepared before dbt and the warehouse's views
    # over the models' Parquet made after it (lib/spark_engine.py); on DuckDB nothing surrounds dbt.
    with _engine_around_dbt():
        invocation = dbt.cli(["build", "--vars", json.dumps(dbt_vars())], context=context, raise_on_error=False)
        for event in invocation.stream():
            if isinstance(event, dg.Output):
                outputs.append(event)
                failpoint("dbt:after_first_model")
            elif isinstance(event, dg.AssetCheckResult):
                test_results.append(event)
            else:
                yield event
    if not (invocation.target_path / "run_results.json").exists():
        raise_dbt_stopped_early(invocation)
    counts = _table_row_counts([context.asset_key_for_output(output.output_name) for output in outputs])
    for output in outputs:
        count = counts.get(context.asset_key_for_output(output.output_name))
        yield output if count is None else output.with_metadata({**output.metadata, "dagster/row_count": count})
    _keep_partial_parse_state(invocation.target_path)
    run_results = invocation.get_artifact("run_results.json")
    yield from record_test_results(context.run.run_id, test_results, invocation.manifest, run_results)
    profiling.record(warehouse_path(), context.run.run_id, profiling.dbt_node_timings(run_results))
    errors = failed_nodes(run_results)
    if errors:
        raise dg.Failure(
            description=f"dbt could not build {len(errors)} node(s)",
            metadata={"errors": dg.MetadataValue.md("\n".join(f"- {error}" for error in errors))},
        )


def raise_dbt_stopped_early(invocation: Any) -> None:
    """dbt ended before building anything (a project that does not parse or compile, a bad profile).

    It then writes no ``run_results.json``; the failure gives dbt's own error lines instead of a missing file.
    """
    error = invocation.get_error()
    raise dg.Failure(
        description="dbt stopped before building any node: the project does not parse or compile, or the "
        "profile is wrong (dbt's errors below)",
        metadata={"dbt": dg.MetadataValue.md(str(error) if error else "dbt wrote no run results and no error")},
    )


def _metadata_value(result: dg.AssetCheckResult, key: str) -> Any:
    entry = (result.metadata or {}).get(key)
    return getattr(entry, "value", entry)


def record_test_results(
    run_id: str,
    results: Sequence[dg.AssetCheckResult],
    manifest: Mapping[str, Any],
    run_results: Mapping[str, Any],
) -> Iterator[dg.AssetCheckResult]:
    """dagster-dbt's test results as described check results, each also kept in ``audit.dq_results``."""
    by_unique_id = {result["unique_id"]: result for result in run_results.get("results", [])}
    described: list[tuple[dg.AssetCheckResult, checks.CheckOutcome]] = []
    for result in results:
        unique_id = str(_metadata_value(result, "unique_id") or "")
        node = manifest.get("nodes", {}).get(unique_id, {"unique_id": unique_id})
        dbt_result = by_unique_id.get(unique_id, {})
        failures = dbt_result.get("failures", _metadata_value(result, "dagster_dbt/failed_row_count"))
        outcome = dbt_tests.outcome(
            result.check_name or "",
            node=node,
            status=dbt_result.get("status") or str(_metadata_value(result, "status") or ""),
            failures=None if failures is None else int(failures),
            message=dbt_result.get("message") or "",
        )
        described.append((result, outcome))
    if described:
        with connect(warehouse_path()) as connection:
            for result, outcome in described:
                checks.record(connection, [outcome], result.asset_key, run_id)
    for result, outcome in described:
        # dagster-dbt's metadata (unique id, status, failed rows, timing) kept, the outcome's added.
        kept = {key: value for key, value in (result.metadata or {}).items() if key not in ("value", "threshold")}
        yield checks.to_asset_check_result(outcome, result.asset_key).with_metadata({**kept, **outcome.metadata()})


class RoiDbtCliResource(DbtCliResource):
    """``DbtCliResource`` for the dbt-core installed next to this interpreter.

    dagster-dbt asks the dbt executable for its version (a ~2 s subprocess)
    and loads dbt's macros in-process to get an adapter handle (~1.5 s), on
    every invocation. The version is the installed dbt-core's, and the
    adapter handle only serves ``fetch_row_counts``/``fetch_column_metadata``,
    which this project does not use (row counts are read after dbt exits, see
    ``dbt_models``). Skipping both keeps ~4 s off every run.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        return None


# The dbt next to this interpreter: works whether or not the virtualenv is activated.
dbt_resource = RoiDbtCliResource(project_dir=dbt_project, dbt_executable=str(Path(sys.executable).parent / "dbt"))
