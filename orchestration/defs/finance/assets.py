"""The reconciliation work list, exported for finance as a CSV file.

It reads the exceptions view (``marts/fct_spend_reconciliation_exceptions``),
not the reconciliation mart itself: when platform spend and invoices disagree,
the list of what to fix is exactly what finance needs. (The data sync target
is a business target: a miss is reported and alerted, and the snapshot is
published with the exceptions in it.)
"""

import os
from pathlib import Path

import dagster as dg

from orchestration.defs.resources import Warehouse
from orchestration.lib import finance
from orchestration.lib.ingest import quote_literal

EXCEPTIONS_VIEW = dg.AssetKey(["marts", "fct_spend_reconciliation_exceptions"])
RECONCILIATION_EXCEPTIONS = dg.AssetKey(["finance", "reconciliation_exceptions"])
PREVIEW_ROWS = 10


def _markdown_table(columns: list[str], rows: list[tuple[object, ...]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    lines += ["| " + " | ".join("" if value is None else str(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


@dg.asset(
    key=RECONCILIATION_EXCEPTIONS,
    deps=[EXCEPTIONS_VIEW],
    group_name="finance",
    kinds={"duckdb", "csv"},
    description=(
        "The reconciliation exceptions finance must work (every closed account-month that is not matched, "
        "and invoices for open months that do not match), largest difference first, with the next step: "
        "`<warehouse dir>/reports/exceptions/spend_reconciliation_exceptions.csv`, replaced on every build."
    ),
)
def reconciliation_exceptions(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    path = finance.exceptions_csv_path(Path(warehouse.path))
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    query = "select * from marts.fct_spend_reconciliation_exceptions order by exception_rank"
    with warehouse.connect(read_only=True) as connection:
        connection.execute(f"copy ({query}) to {quote_literal(str(staging))} (header, delimiter ',')")
        summary = connection.execute(
            "select count(*), coalesce(sum(abs(difference_rc)), 0) from marts.fct_spend_reconciliation_exceptions"
        ).fetchone()
        by_status = connection.execute(
            "select status, count(*) from marts.fct_spend_reconciliation_exceptions group by 1 order by 1"
        ).fetchall()
        columns = connection.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'marts' and table_name = 'fct_spend_reconciliation_exceptions' "
            "order by ordinal_position"
        ).fetchall()
        preview = connection.execute(
            "select exception_rank, platform, platform_account_id, billing_period, status, currency, "
            "difference, round(difference_rc, 2) from marts.fct_spend_reconciliation_exceptions "
            "order by exception_rank limit ?",
            [PREVIEW_ROWS],
        ).fetchall()
    os.replace(staging, path)
    row_count, total_difference_rc = summary if summary is not None else (0, 0)
    context.log.info(f"{row_count} reconciliation exception(s) written to {path}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "dagster/row_count": int(row_count),
            "dagster/column_schema": dg.TableSchema(
                columns=[dg.TableColumn(name=name, type=data_type) for name, data_type in columns]
            ),
            "total_abs_difference_rc": round(float(total_difference_rc), 2),
            "by_status": dg.MetadataValue.json({status: count for status, count in by_status}),
            "largest": dg.MetadataValue.md(
                _markdown_table(
                    ["rank", "platform", "account", "period", "status", "currency", "difference", "difference_rc"],
                    preview,
                )
            ),
        }
    )
