"""One Dagster asset per landing-zone source: ``<landing>/<folder>/`` -> ``raw.<source>``.

Each asset loads only files it has not seen, then checks the books for the
whole history of its source: every row read is either in ``raw`` or in
``audit.rejected_rows``, file by file.
"""

from pathlib import Path

import dagster as dg
import duckdb

from orchestration.defs.resources import Warehouse
from orchestration.lib import checks, closed_periods, freshness
from orchestration.lib.ingest import FILE_STATUS_LOADED, FILE_STATUS_REJECTED, SourceLoadReport, ingest_source
from orchestration.lib.settings import config
from orchestration.lib.sources import SOURCES, SourceSpec

ROWS_ACCOUNTED_FOR = "rows_accounted_for"
NO_REJECTED_ROWS = "no_rejected_rows"
LANDING_FOLDER_PRESENT = "landing_folder_present"
NO_HELD_RESTATEMENTS = "no_held_restatements"


def column_schema(spec: SourceSpec) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=column.name,
                type=column.duckdb_type,
                description=f"`{column.header}` in the landing file"
                + (" (natural key)" if column.header in spec.natural_key else ""),
                constraints=dg.TableColumnConstraints(nullable=not column.not_null),
            )
            for column in spec.columns
        ]
    )


def accounting(connection: duckdb.DuckDBPyConnection, spec: SourceSpec) -> checks.CheckOutcome:
    """rows read = rows loaded + rows rejected, for every file, checked against the tables themselves.

    A loaded row is in ``raw`` or, for a closed month, held in ``audit.held_<source>``.
    """
    held = (
        f"union all select _file_hash, count(*) from {closed_periods.hold_table(spec)} "  # noqa: S608 - constants
        f"where _status = '{closed_periods.HELD}' group by 1"
        if spec.closing_column is not None
        else ""
    )
    row = connection.execute(
        f"""
        with files as (
            select file_name, file_hash, rows_read, rows_loaded, rows_rejected
            from audit.load_files
            where source = ? and status in (?, ?)
        ),
        stored_rows as (
            select _file_hash as file_hash, count(*) as row_count from raw.{spec.table} group by 1
            {held}
        ),
        stored_counts as (
            select file_hash, sum(row_count) as row_count from stored_rows group by 1
        ),
        rejected_counts as (
            select file_hash, count(*) as row_count from audit.rejected_rows where source = ? group by 1
        )
        select
            count(*) as files,
            coalesce(sum(rows_read), 0) as rows_read,
            coalesce(sum(rows_loaded), 0) as rows_loaded,
            coalesce(sum(rows_rejected), 0) as rows_rejected,
            count(*) filter (where rows_read != rows_loaded + rows_rejected) as unbalanced_files,
            count(*) filter (where coalesce(stored_counts.row_count, 0) != rows_loaded) as raw_mismatches,
            count(*) filter (where coalesce(rejected_counts.row_count, 0) != rows_rejected) as rejected_mismatches,
            (select count(*) from stored_counts where file_hash not in (select file_hash from files)) as orphan_files
        from files
        left join stored_counts using (file_hash)
        left join rejected_counts using (file_hash)
        """,  # noqa: S608 - table names are spec constants
        [spec.name, FILE_STATUS_LOADED, FILE_STATUS_REJECTED, spec.name],
    ).fetchall()[0]
    files, rows_read, rows_loaded, rows_rejected, unbalanced, raw_mismatches, rejected_mismatches, orphans = row
    problems = unbalanced + raw_mismatches + rejected_mismatches + orphans
    return checks.CheckOutcome(
        name=ROWS_ACCOUNTED_FOR,
        passed=problems == 0,
        value=float(problems),
        threshold=0.0,
        description=(
            f"{files} files: {rows_read} rows read = {rows_loaded} loaded + {rows_rejected} rejected"
            if problems == 0
            else f"{problems} file(s) whose rows do not add up (read != loaded + rejected, or tables disagree)"
        ),
        details={
            "files": files,
            "rows_read": rows_read,
            "rows_loaded": rows_loaded,
            "rows_rejected": rows_rejected,
            "unbalanced_files": unbalanced,
            "stored_count_mismatches": raw_mismatches,
            "rejected_count_mismatches": rejected_mismatches,
            "rows_of_unknown_files": orphans,
        },
    )


def held_restatements(connection: duckdb.DuckDBPyConnection, spec: SourceSpec, closed_through: str | None):
    """Rows of closed months held back instead of changing reported spend (a warning to work)."""
    held = connection.execute(
        f"select count(*), min(_period), max(_period) from {closed_periods.hold_table(spec)} "  # noqa: S608
        f"where _status = '{closed_periods.HELD}'"
    ).fetchall()[0]
    count, first, last = held
    return checks.CheckOutcome(
        name=NO_HELD_RESTATEMENTS,
        passed=count == 0,
        value=float(count),
        threshold=0.0,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"{count} restated row(s) of closed month(s) {first}..{last} held (finance closed through "
            f"{closed_through}); see audit.held_restatements — reopen the month to apply them"
            if count
            else "no restatement of a closed month is waiting"
        ),
        details={"closed_through": closed_through or "none"},
    )


def rejections(report: SourceLoadReport) -> checks.CheckOutcome:
    rejected_files = report.files_with(FILE_STATUS_REJECTED)
    samples = [sample for outcome in report.outcomes for sample in outcome.rejected_samples][:20]
    return checks.CheckOutcome(
        name=NO_REJECTED_ROWS,
        passed=report.rows_rejected == 0 and not rejected_files,
        value=float(report.rows_rejected),
        threshold=0.0,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"{report.rows_rejected} row(s) and {len(rejected_files)} file(s) rejected in this load; "
        "see audit.rejected_rows and audit.load_files",
        details={"rejected_files": [outcome.file_name for outcome in rejected_files], "first_rejections": samples},
    )


def folder_present(spec: SourceSpec, landing_dir: Path) -> checks.CheckOutcome:
    folder = landing_dir / spec.folder
    present = folder.is_dir()
    return checks.CheckOutcome(
        name=LANDING_FOLDER_PRESENT,
        passed=present or spec.optional,
        severity=dg.AssetCheckSeverity.ERROR,
        description=f"{folder} "
        + ("exists" if present else "is missing" + (" (optional source)" if spec.optional else "")),
    )


def _log_report(context: dg.AssetExecutionContext, report: SourceLoadReport) -> None:
    context.log.info(
        f"{report.source}: {report.files_found} file(s) found, {len(report.outcomes)} new, "
        f"{report.files_skipped} already loaded; {report.rows_read} rows read, "
        f"{report.rows_loaded} loaded, {report.rows_rejected} rejected"
        + (f" ({report.rows_held} held: closed months)" if report.rows_held else "")
        + (f"; {report.rows_released} held rows released (months reopened)" if report.rows_released else "")
    )
    for outcome in report.outcomes:
        if outcome.status == FILE_STATUS_REJECTED:
            context.log.error(f"{report.source}/{outcome.file_name}: file rejected: {outcome.message}")
        elif outcome.message:
            context.log.warning(f"{report.source}/{outcome.file_name}: {outcome.message}")
        for sample in outcome.rejected_samples[:20]:
            context.log.warning(f"{report.source}/{sample}")


def _files_markdown(report: SourceLoadReport) -> str:
    lines = ["| file | status | read | loaded | rejected | message |", "|---|---|---:|---:|---:|---|"]
    for outcome in report.outcomes:
        message = (outcome.message or "").replace("|", "\\|")
        lines.append(
            f"| {outcome.file_name} | {outcome.status} | {outcome.rows_read} | {outcome.rows_loaded} "
            f"| {outcome.rows_rejected} | {message} |"
        )
    return "\n".join(lines) if report.outcomes else "No new files."


def source_spec(spec: SourceSpec) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=dg.AssetKey(["raw", spec.name]),
        group_name="ingest",
        kinds={"duckdb"},
        description=f"{spec.description}\n\nLoaded from `<landing>/{spec.folder}/` (*.csv, *.csv.gz, *.parquet); "
        f"natural key: {', '.join(spec.natural_key)}. A later file restating a key wins in staging.",
        metadata={
            "dagster/column_schema": column_schema(spec),
            "landing_folder": spec.folder,
            "natural_key": ", ".join(spec.natural_key),
            "optional_source": spec.optional,
        },
    )


def source_check_specs(spec: SourceSpec) -> list[dg.AssetCheckSpec]:
    key = dg.AssetKey(["raw", spec.name])
    return [
        dg.AssetCheckSpec(
            ROWS_ACCOUNTED_FOR,
            asset=key,
            blocking=True,
            description="Every row read is loaded or rejected; raw and audit tables agree with the file log.",
        ),
        dg.AssetCheckSpec(NO_REJECTED_ROWS, asset=key, description="Rows or files rejected in this load."),
        dg.AssetCheckSpec(LANDING_FOLDER_PRESENT, asset=key, description="The source folder exists."),
    ] + (
        [
            dg.AssetCheckSpec(
                NO_HELD_RESTATEMENTS,
                asset=key,
                description="No restatement of a month finance has closed is waiting in audit.held_restatements.",
            )
        ]
        if spec.closing_column is not None
        else []
    )


@dg.multi_asset(
    name="ingest_landing_zone",
    specs=[source_spec(spec) for spec in SOURCES],
    check_specs=[check for spec in SOURCES for check in source_check_specs(spec)],
    can_subset=True,
    description="Load new landing files into raw.<source>, one asset per source (selectable one by one).",
)
def ingest_landing_zone(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """One step for all sources: one connection, one Dagster step, each source still its own asset."""
    landing_dir = Path(warehouse.landing_dir)
    selected_checks = context.selected_asset_check_keys
    closed_through = config().periods.finance_closed_through
    with warehouse.connect() as connection:
        freshness.forget(connection)  # this build is not finished until the CLI records it (lib/freshness.py)
        closed_periods.refresh_held_restatements_view(connection)
        for spec in SOURCES:
            key = dg.AssetKey(["raw", spec.name])
            if key not in context.selected_asset_keys:
                continue
            report = ingest_source(
                connection, spec, landing_dir, config().ingestion, load_id=context.run_id, closed_through=closed_through
            )
            outcomes = [accounting(connection, spec), rejections(report), folder_present(spec, landing_dir)]
            if spec.closing_column is not None:
                outcomes.append(held_restatements(connection, spec, closed_through))
            checks.record(connection, outcomes, key, context.run_id)
            _log_report(context, report)
            yield dg.MaterializeResult(
                asset_key=key,
                metadata={
                    "dagster/row_count": report.raw_row_count,
                    "files_found": report.files_found,
                    "files_new": len(report.outcomes),
                    "files_already_loaded": report.files_skipped,
                    "rows_read": report.rows_read,
                    "rows_loaded": report.rows_loaded,
                    "rows_rejected": report.rows_rejected,
                    "rows_held": report.rows_held,
                    "rows_released": report.rows_released,
                    "files": dg.MetadataValue.md(_files_markdown(report)),
                },
            )
            for outcome in outcomes:
                if dg.AssetCheckKey(key, outcome.name) in selected_checks:
                    yield checks.to_asset_check_result(outcome, key)
