"""One Dagster asset per landing-zone source: ``<landing>/<folder>/`` -> ``raw.<source>``.

Each asset loads only files it has not seen, then checks the books for the
whole history of its source: every row read is either in ``raw`` or in
``audit.rejected_rows``, file by file. After the commit, the rows the load added
also go to the shared lake as an immutable Parquet partition (``lib/lake.py``).
"""

from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.defs.resources import Warehouse
from orchestration.lib import checks, closed_periods, freshness, lake, landing
from orchestration.lib.ingest import (
    FILE_STATUS_LOADED,
    FILE_STATUS_REJECTED,
    SourceLoadReport,
    file_sha256,
    ingest_source,
)
from orchestration.lib.settings import config, lake_location
from orchestration.lib.sources import SOURCES, SourceSpec

ROWS_ACCOUNTED_FOR = "rows_accounted_for"
NO_REJECTED_ROWS = "no_rejected_rows"
LANDING_FOLDER_PRESENT = "landing_folder_present"
NO_HELD_RESTATEMENTS = "no_held_restatements"
NO_REJECTED_FILES = "no_rejected_files"
LANDING_ZONE_KEY = dg.AssetKey(["raw", "landing_zone"])
LANDING_ZONE_ACCOUNTED_FOR = "landing_zone_accounted_for"
# How many paths a check's description names (all of them are in its details and in audit.load_files).
NAMED_IN_DESCRIPTION = 10
HELD_BACK = "the snapshot is held back until then"


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


def _first_few(messages: list[str]) -> str:
    """The first ``NAMED_IN_DESCRIPTION`` messages joined, and how many more there are."""
    shown = "; ".join(messages[:NAMED_IN_DESCRIPTION])
    hidden = len(messages) - NAMED_IN_DESCRIPTION
    return f"{shown}; and {hidden} more" if hidden > 0 else shown


def landing_zone_accounted_for(scan: landing.LandingScan) -> checks.CheckOutcome:
    """Every path outside the source folders is a source folder, a folder of them, or ignored by rule.

    A file there, or a folder with files in it, holds data nobody loads: an integrity failure until it is
    moved, renamed or removed (an empty unrecognised folder is listed, and does not block).
    """
    entries = scan.entries_of(None)
    blocking = [entry for entry in entries if entry.holds_data]
    named = _first_few([entry.message for entry in blocking])
    return checks.CheckOutcome(
        name=LANDING_ZONE_ACCOUNTED_FOR,
        passed=not blocking,
        value=float(len(blocking)),
        threshold=0.0,
        description=(
            f"{len(blocking)} path(s) in the landing zone hold data that is not loaded: {named}. "
            f"Move, rename or remove them (a name starting with `_` parks a file unread); {HELD_BACK}"
            if blocking
            else "every path in the landing zone is a source folder's file or ignored by rule"
            + (f" ({len(entries)} empty unrecognised folder(s) listed in audit.load_files)" if entries else "")
        ),
        details={
            "unrecognised": [entry.relative for entry in entries if entry.status == landing.STATUS_UNRECOGNISED],
            "symbolic_links": [entry.relative for entry in entries if entry.status == landing.STATUS_REJECTED],
            "messages": [entry.message for entry in entries],
        },
    )


def rejected_files_present(
    connection: duckdb.DuckDBPyConnection, spec: SourceSpec, scan: landing.LandingScan
) -> checks.CheckOutcome:
    """No file of this source's folder is rejected as a whole while it is still there.

    That is: no symbolic link or file of another format in the folder (``scan``), and no landing file
    whose content was rejected (``audit.load_files``, under any name: a copy is a duplicate of it). A
    file fixed in place has new content and is loaded; a removed one is gone: either clears the check.
    """
    rejected = connection.execute(
        "select file_hash, file_size_bytes, min(file_name), min(message) from audit.load_files "
        "where source = ? and status = ? group by 1, 2",
        [spec.name, FILE_STATUS_REJECTED],
    ).fetchall()
    sizes = {size for _, size, _, _ in rejected}
    by_hash = {file_hash: (name, message) for file_hash, _, name, message in rejected}
    problems = [entry.message for entry in scan.blocking(spec.name)]
    still_there = []
    for landing_file in scan.files.get(spec.name, []):
        if landing_file.size_bytes not in sizes:  # only a file of a rejected file's size can be one
            continue
        found = by_hash.get(file_sha256(landing_file.path))
        if found is not None:
            still_there.append(landing_file.name)
            first_name, message = found
            copy = f" (same content as {first_name})" if first_name != landing_file.name else ""
            reason = message or "see audit.load_files"
            problems.append(f"`{spec.folder}/{landing_file.name}` was rejected{copy}: {reason}")
    named = _first_few(problems)
    return checks.CheckOutcome(
        name=NO_REJECTED_FILES,
        passed=not problems,
        value=float(len(problems)),
        threshold=0.0,
        description=(
            f"{len(problems)} file(s) of {spec.folder}/ rejected as a whole and still there: {named}. "
            f"Fix and export them again (same or new name), or remove them; {HELD_BACK}"
            if problems
            else f"no file of {spec.folder}/ is rejected as a whole"
        ),
        details={
            "rejected_files": still_there,
            "landing_entries": [entry.file_name for entry in scan.blocking(spec.name)],
            "messages": problems,
        },
    )


def folder_present(spec: SourceSpec, landing_dir: Path) -> checks.CheckOutcome:
    folder = landing_dir / spec.folder
    if folder.is_symlink():  # never followed: reported by no_rejected_files
        return checks.CheckOutcome(
            name=LANDING_FOLDER_PRESENT,
            passed=spec.optional,
            severity=dg.AssetCheckSeverity.ERROR,
            description=f"{folder} is a symbolic link: not followed; make it a folder in the landing zone",
        )
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
            description="Every row read is loaded or rejected; raw and audit tables agree with the file log.",
        ),
        dg.AssetCheckSpec(NO_REJECTED_ROWS, asset=key, description="Rows or files rejected in this load."),
        dg.AssetCheckSpec(
            NO_REJECTED_FILES,
            asset=key,
            description="No file of the source folder is rejected as a whole (unreadable, missing columns, a "
            "symbolic link, another format) while it is still there: the snapshot waits for it to be fixed.",
        ),
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


LANDING_ZONE_SPEC = dg.AssetSpec(
    key=LANDING_ZONE_KEY,
    group_name="ingest",
    kinds={"duckdb"},
    description="Inventory of every path in the landing zone (links never followed): each source's landing "
    "files, and every other path that is not ignored by rule (hidden names, partial uploads, README/*.md), "
    "recorded in `audit.load_files` as `unrecognised` (with the reason and a suggestion) or `rejected` "
    "(symbolic links). Paths outside the source folders are checked here; those inside by `no_rejected_files` "
    "of their source.",
    metadata={"ignored_by_rule": "names starting with . _ ~$; *.part *.partial *.tmp *.crdownload; README*, *.md"},
)


def landing_zone_check_specs() -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            LANDING_ZONE_ACCOUNTED_FOR,
            asset=LANDING_ZONE_KEY,
            description="No file or folder with files outside the source folders (unrecognised: misnamed folder, "
            "file one level too high, symbolic link): the snapshot waits until it is moved, renamed or removed.",
        )
    ]


def _entries_markdown(entries: list[landing.LandingEntry]) -> str:
    lines = ["| path | status | source | message |", "|---|---|---|---|"]
    for entry in entries:
        message = entry.message.replace("|", "\\|")
        lines.append(f"| {entry.relative} | {entry.status} | {entry.source or ''} | {message} |")
    return "\n".join(lines) if entries else "Every path is a landing file or ignored by rule."


def _inventory(context: dg.AssetExecutionContext, connection: duckdb.DuckDBPyConnection, landing_dir: Path):
    """Walk the landing zone, bring audit.load_files in line with it and log every entry."""
    scan = landing.scan_landing_zone(landing_dir)
    new = landing.record_entries(connection, scan.entries, context.run_id, datetime.now(UTC).replace(tzinfo=None))
    for entry in scan.entries:
        log = context.log.error if entry.holds_data else context.log.warning
        log(f"landing zone: {entry.status}: {entry.message}" + (" (new)" if entry in new else ""))
    return scan


@dg.multi_asset(
    name="ingest_landing_zone",
    specs=[LANDING_ZONE_SPEC] + [source_spec(spec) for spec in SOURCES],
    check_specs=landing_zone_check_specs() + [check for spec in SOURCES for check in source_check_specs(spec)],
    can_subset=True,
    description="Load new landing files into raw.<source>, one asset per source (selectable one by one).",
)
def ingest_landing_zone(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """One step for all sources: one connection, one Dagster step, each source still its own asset."""
    landing_dir = Path(warehouse.landing_dir)
    selected_checks = context.selected_asset_check_keys
    closed_through = config().periods.finance_closed_through
    lake_root = lake_location() if config().lake.write_raw else None
    with warehouse.connect() as connection:
        freshness.forget(connection)  # this build is not finished until the CLI records it (lib/freshness.py)
        closed_periods.refresh_held_restatements_view(connection)
        scan = _inventory(context, connection, landing_dir)
        if LANDING_ZONE_KEY in context.selected_asset_keys:
            outcome = landing_zone_accounted_for(scan)
            checks.record(connection, [outcome], LANDING_ZONE_KEY, context.run_id)
            yield dg.MaterializeResult(
                asset_key=LANDING_ZONE_KEY,
                metadata={
                    "landing_files": sum(len(files) for files in scan.files.values()),
                    "unrecognised": sum(entry.status == landing.STATUS_UNRECOGNISED for entry in scan.entries),
                    "symbolic_links": sum(entry.status == landing.STATUS_REJECTED for entry in scan.entries),
                    "entries": dg.MetadataValue.md(_entries_markdown(scan.entries)),
                },
            )
            if dg.AssetCheckKey(LANDING_ZONE_KEY, outcome.name) in selected_checks:
                yield checks.to_asset_check_result(outcome, LANDING_ZONE_KEY)
        for spec in SOURCES:
            key = dg.AssetKey(["raw", spec.name])
            if key not in context.selected_asset_keys:
                continue
            report = ingest_source(
                connection, spec, landing_dir, config().ingestion, load_id=context.run_id, closed_through=closed_through
            )
            outcomes = [
                accounting(connection, spec),
                rejections(report),
                rejected_files_present(connection, spec, scan),
                folder_present(spec, landing_dir),
            ]
            if spec.closing_column is not None:
                outcomes.append(held_restatements(connection, spec, closed_through))
            checks.record(connection, outcomes, key, context.run_id)
            _log_report(context, report)
            # After the commit: the rows this load added (and any the lake still lacks) as an immutable partition.
            published = lake.publish_raw(connection, lake_root, spec.table, context.run_id) if lake_root else None
            lake_metadata = (
                {"lake_rows_written": published.rows, "lake_partition": published.path or "nothing new"}
                if published is not None
                else {}
            )
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
                    **lake_metadata,
                },
            )
            for outcome in outcomes:
                if dg.AssetCheckKey(key, outcome.name) in selected_checks:
                    yield checks.to_asset_check_result(outcome, key)
