"""Write the hostile-input corpus: one folder per case under ``tests/corpus/hostile/``.

Each case is a small landing zone (one source folder with one or more files)
plus ``expected.json``: what the ingestion must do with it — load it, reject
rows (with line and reason) or reject the file (with a message) — and why.
``tests/integration/test_hostile_inputs.py`` loads every case next to a clean
control file and checks the outcome, that rows read = loaded + rejected, and
that the control file's rows are all still there.

The files are committed; this script documents and regenerates them:

    .venv/bin/python tests/corpus/make_corpus.py
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent / "hostile"

FX_HEADER = "rate_date,from_currency,to_currency,rate"
GOOGLE_HEADER = (
    "segments.date,customer.id,customer.currency_code,campaign.id,campaign.name,"
    "metrics.cost_micros,metrics.impressions,metrics.clicks,metrics.conversions,metrics.conversions_value"
)
TOUCH_HEADER = "touchpoint_id,anonymous_id,customer_id,occurred_at,utm_source,utm_medium,utm_campaign,touch_type"
BUDGET_HEADER = "budget_version,fiscal_period,budget_line_id,channel,amount,currency,approved_at,approved_by"
META_HEADER = (
    "date_start,account_id,account_currency,campaign_id,campaign_name,spend,impressions,clicks,purchases,purchase_value"
)
LINKEDIN_HEADER = (
    "day,account_id,account_currency,campaign_urn,campaign_name,cost_in_local_currency,impressions,clicks,"
    "external_website_conversions"
)
OPPORTUNITY_HEADER = (
    "opportunity_id,customer_id,created_at,stage,amount,currency,expected_close_date,is_closed,is_won,updated_at"
)
FOLDERS = {
    "fx_rates": "finance/fx_rates",
    "google_ads": "marketing/google_ads",
    "touchpoints": "marketing/touchpoints",
    "budgets": "finance/budgets",
    "linkedin_ads": "marketing/linkedin_ads",
    "meta_ads": "marketing/meta_ads",
    "campaigns": "marketing/campaigns",
    "opportunities": "marketing/opportunities",
}


@dataclass
class Case:
    name: str
    source: str
    behaviour: str  # "loaded", "row rejected" or "file rejected"
    description: str
    files: dict[str, bytes | Callable[[Path], None]]
    outcomes: dict[str, dict[str, object]]  # file -> status, rows_read, rows_loaded, rows_rejected, message?
    rejected: list[tuple[str, int | None, str]] = field(default_factory=list)  # file, line, reason_code
    loaded_values: dict[str, object] = field(default_factory=dict)  # optional checks on what landed
    spend_total: float | None = None  # spend of the case's files after restatements (source units), by hand
    # Files placed relative to the landing root rather than the source folder (landing-level cases); their
    # outcomes are keyed by the path relative to the landing root, as audit.load_files records them.
    landing_files: dict[str, bytes | Callable[[Path], None]] = field(default_factory=dict)


def lines(*rows: str, newline: str = "\n") -> bytes:
    return (newline.join(rows) + newline).encode()


def fx(*rows: str) -> bytes:
    return lines(FX_HEADER, *rows)


def google(*rows: str) -> bytes:
    return lines(GOOGLE_HEADER, *rows)


def outcome(status: str, read: int, loaded: int, rejected: int, message: str | None = None) -> dict[str, object]:
    result: dict[str, object] = {"status": status, "rows_read": read, "rows_loaded": loaded, "rows_rejected": rejected}
    if message:
        result["message_contains"] = message
    return result


def parquet_with_wrong_types(path: Path) -> None:
    with duckdb.connect() as connection:
        connection.execute(
            "copy (select * from (values (20250303, 'EUR', 'USD', 'one point eight'), "
            "(20250304, 'EUR', 'USD', '1.09')) as t(rate_date, from_currency, to_currency, rate)) "
            f"to '{path}' (format parquet)"
        )


def parquet_good(path: Path) -> None:
    with duckdb.connect() as connection:
        connection.execute(
            "copy (select date '2025-03-05' as rate_date, 'EUR' as from_currency, 'USD' as to_currency, "
            f"1.1::decimal(10, 4) as rate) to '{path}' (format parquet)"
        )


# Landing-level cases: the harness puts a folder ``outside/`` next to the landing root (``OUTSIDE``) whose
# files must never reach the warehouse; links in the corpus point into it (dangling until then).
OUTSIDE = "outside"
META_HEADER = (
    "date_start,account_id,account_currency,campaign_id,campaign_name,spend,impressions,clicks,purchases,purchase_value"
)


def link_to_outside(name: str = "") -> Callable[[Path], None]:
    """Write a relative symbolic link to ``outside/<name>`` (beside the landing root) at the given path."""

    def write(path: Path) -> None:
        case_root = ROOT / path.relative_to(ROOT).parts[0]
        path.symlink_to(os.path.relpath(case_root.parent / OUTSIDE / name, path.parent))

    return write


def meta(*rows: str) -> bytes:
    return lines(META_HEADER, *rows)


def truncated_gzip() -> bytes:
    full = gzip.compress(fx(*(f"2025-03-{day:02d},EUR,USD,1.0{day % 10}" for day in range(1, 29))) * 50, mtime=0)
    return full[: len(full) // 2]


def readable_records(compressed: bytes) -> int:
    """Records after the header line in what a cut gzip yields before it breaks off (a partial last line counts)."""
    text = zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(compressed)
    return len(text.split(b"\n")) - 1 - (1 if text.endswith(b"\n") else 0)


TRUNCATED_RECORDS = readable_records(truncated_gzip())


def linkedin(*rows: str) -> bytes:
    return lines(LINKEDIN_HEADER, *rows)


def utf16(text: bytes, codec: str, bom: bytes = b"") -> bytes:
    return bom + text.decode().encode(codec)


def parquet_of(select_sql: str) -> Callable[[Path], None]:
    """A Parquet file written by DuckDB from ``select_sql`` (typed columns, exact Parquet types)."""

    def write(path: Path) -> None:
        with duckdb.connect() as connection:
            connection.execute(f"copy ({select_sql}) to '{path}' (format parquet)")

    return write


GOOGLE_PARQUET_COLUMNS = (
    '"segments.date", "customer.id", "customer.currency_code", "campaign.id", "campaign.name", '
    '"metrics.cost_micros", "metrics.impressions", "metrics.clicks", "metrics.conversions", '
    '"metrics.conversions_value"'
)
LINKEDIN_PARQUET_COLUMNS = (
    "day, account_id, account_currency, campaign_urn, campaign_name, cost_in_local_currency, impressions, clicks, "
    "external_website_conversions"
)


CASES: list[Case] = [
    Case(
        "missing_required_column",
        "fx_rates",
        "file rejected",
        "The `rate` column is absent: every row is rejected with `missing_columns`, the file is marked rejected.",
        {"fx.csv": lines("rate_date,from_currency,to_currency", "2025-03-03,EUR,USD", "2025-03-04,EUR,USD")},
        {"fx.csv": outcome("rejected", 2, 0, 2, "rate")},
        [("fx.csv", 2, "missing_columns"), ("fx.csv", 3, "missing_columns")],
    ),
    Case(
        "extra_columns",
        "fx_rates",
        "loaded",
        "Columns not in the contract are ignored.",
        {"fx.csv": lines(f"{FX_HEADER},source,comment", "2025-03-03,EUR,USD,1.08,ECB,fine")},
        {"fx.csv": outcome("loaded", 1, 1, 0)},
    ),
    Case(
        "reordered_columns",
        "fx_rates",
        "loaded",
        "Columns are matched by name, in any order.",
        {"fx.csv": lines("rate,to_currency,rate_date,from_currency", "1.08,USD,2025-03-03,EUR")},
        {"fx.csv": outcome("loaded", 1, 1, 0)},
        loaded_values={"rate": 1.08},
    ),
    Case(
        "header_case_and_padding",
        "fx_rates",
        "loaded",
        "Header names match case-insensitively; values are trimmed of surrounding blanks.",
        {"fx.csv": lines("RATE_DATE,From_Currency,TO_CURRENCY,Rate", " 2025-03-03 , eur ,USD, 1.08 ")},
        {"fx.csv": outcome("loaded", 1, 1, 0)},
    ),
    Case(
        "empty_file",
        "fx_rates",
        "file rejected",
        "A zero-byte file has no header: rejected with a message saying to export it with its header line; "
        "it has no records, so nothing is read.",
        {"fx.csv": b""},
        {"fx.csv": outcome("rejected", 0, 0, 0, "empty file: no header row; export the file with its header line")},
    ),
    Case(
        "only_a_byte_order_mark",
        "fx_rates",
        "file rejected",
        "A file holding only a UTF-8 BOM has no header either: its one physical line is the (empty) header "
        "line, so no record is counted.",
        {"fx.csv": b"\xef\xbb\xbf"},
        {"fx.csv": outcome("rejected", 0, 0, 0, "empty file: no header row; export the file with its header line")},
    ),
    Case(
        "header_only",
        "fx_rates",
        "loaded",
        "A header without rows is a valid, empty drop.",
        {"fx.csv": fx()},
        {"fx.csv": outcome("loaded", 0, 0, 0)},
    ),
    Case(
        "byte_order_mark",
        "fx_rates",
        "loaded",
        "A UTF-8 BOM before the header is ignored.",
        {"fx.csv": b"\xef\xbb\xbf" + fx("2025-03-03,EUR,USD,1.08")},
        {"fx.csv": outcome("loaded", 1, 1, 0)},
    ),
    Case(
        "crlf_line_endings",
        "fx_rates",
        "loaded",
        "Windows line endings load like Unix ones.",
        {"fx.csv": lines(FX_HEADER, "2025-03-03,EUR,USD,1.08", "2025-03-04,EUR,USD,1.09", newline="\r\n")},
        {"fx.csv": outcome("loaded", 2, 2, 0)},
    ),
    Case(
        "mixed_line_endings",
        "fx_rates",
        "file rejected",
        "CRLF and LF mixed in one file cannot be parsed reliably by DuckDB's reader: the file is rejected "
        "with the reader's message and what to do; its 2 records (counted at newline bytes) are rejected rows.",
        {"fx.csv": (FX_HEADER + "\r\n2025-03-03,EUR,USD,1.08\n2025-03-04,EUR,USD,1.09\r\n").encode()},
        {"fx.csv": outcome("rejected", 2, 0, 2, "re-export it as comma-separated UTF-8")},
        [("fx.csv", 2, "unreadable_file"), ("fx.csv", 3, "unreadable_file")],
    ),
    Case(
        "non_utf8_bytes",
        "fx_rates",
        "row rejected",
        "A Latin-1 byte in one row rejects that row (`invalid_encoding`); the others load.",
        {"fx.csv": fx("2025-03-03,EUR,USD,1.08") + b"2025-03-04,EUR,USD,1.\xe909\n" + b"2025-03-05,EUR,USD,1.10\n"},
        {"fx.csv": outcome("loaded", 3, 2, 1)},
        [("fx.csv", 3, "invalid_encoding")],
    ),
    Case(
        "non_utf8_header",
        "fx_rates",
        "file rejected",
        "A header that is not UTF-8 cannot be matched to the contract: the file is rejected, its one record "
        "counted and rejected (`invalid_encoding`), and the message says to re-export as UTF-8.",
        {"fx.csv": b"rate_d\xe9te,from_currency,to_currency,rate\n2025-03-03,EUR,USD,1.08\n"},
        {"fx.csv": outcome("rejected", 1, 0, 1, "not valid UTF-8 (invalid continuation byte at byte 6): re-export")},
        [("fx.csv", 2, "invalid_encoding")],
    ),
    Case(
        "quoted_newlines",
        "google_ads",
        "row rejected",
        "A quoted campaign name spanning two lines is one record; the bad row after it is reported on its "
        "physical line (5), not its record number.",
        {
            "g.csv": google(
                '2025-03-01,111,USD,1,"Brand\nsearch",1000000,,,,',
                '2025-03-02,111,USD,1,"Brand ""exact""",2000000,,,,',
                "2025-03-03,111,USD,1,Brand,abc,,,,",
            )
        },
        {"g.csv": outcome("loaded", 3, 2, 1)},
        [("g.csv", 5, "invalid_number")],
        spend_total=3.0,
    ),
    Case(
        "unterminated_quote",
        "fx_rates",
        "row rejected",
        "A quote that never closes swallows the rest of the file into one malformed record: it is rejected "
        "with its raw content (nothing silently dropped); the rows before it load.",
        {"fx.csv": fx("2025-03-03,EUR,USD,1.08", '2025-03-04,"EUR,USD,1.09', "2025-03-05,EUR,USD,1.10")},
        {"fx.csv": outcome("loaded", 2, 1, 1)},
        [("fx.csv", 3, "malformed_row")],
    ),
    Case(
        "decimal_comma_quoted",
        "fx_rates",
        "row rejected",
        'A decimal comma ("1,08") is not a number in this contract.',
        {"fx.csv": fx('2025-03-03,EUR,USD,"1,08"', "2025-03-04,EUR,USD,1.09")},
        {"fx.csv": outcome("loaded", 2, 1, 1)},
        [("fx.csv", 2, "invalid_number")],
    ),
    Case(
        "decimal_comma_unquoted",
        "fx_rates",
        "row rejected",
        "An unquoted decimal comma adds a field: the record no longer matches the header (`malformed_row`).",
        {"fx.csv": fx("2025-03-03,EUR,USD,1,08", "2025-03-04,EUR,USD,1.09")},
        {"fx.csv": outcome("loaded", 2, 1, 1)},
        [("fx.csv", 2, "malformed_row")],
    ),
    Case(
        "decimal_comma_unquoted_last_field_empty",
        "google_ads",
        "row rejected",
        "The shifted record ends with an empty field, which DuckDB alone would drop silently: caught as "
        "one field too many.",
        {"g.csv": google("2025-03-03,111,USD,1,Brand,1000,7,1,0,0", "2025-03-04,111,USD,1,Brand,12,50,7,1,0,")},
        {"g.csv": outcome("loaded", 2, 1, 1)},
        [("g.csv", 3, "malformed_row")],
        spend_total=0.001,
    ),
    Case(
        "thousands_separators",
        "google_ads",
        "row rejected",
        'Thousands separators ("1,234,000" quoted, "1 234 000") are not numbers.',
        {
            "g.csv": google(
                '2025-03-03,111,USD,1,Brand,"1,234,000",,,,',
                "2025-03-04,111,USD,1,Brand,1 234 000,,,,",
                "2025-03-05,111,USD,1,Brand,1234000,,,,",
            )
        },
        {"g.csv": outcome("loaded", 3, 1, 2)},
        [("g.csv", 2, "invalid_number"), ("g.csv", 3, "invalid_number")],
        spend_total=1.234,
    ),
    Case(
        "negative_spend",
        "google_ads",
        "row rejected",
        "Platform spend cannot be negative.",
        {"g.csv": google("2025-03-03,111,USD,1,Brand,-1000000,,,,", "2025-03-04,111,USD,1,Brand,1000000,,,,")},
        {"g.csv": outcome("loaded", 2, 1, 1)},
        [("g.csv", 2, "negative_amount")],
        spend_total=1.0,
    ),
    Case(
        "absurd_amounts",
        "budgets",
        "row rejected",
        "Amounts beyond 1e12 (here 1e18 and 25 digits) are implausible and rejected; a large but plausible one loads.",
        {
            "b.csv": lines(
                BUDGET_HEADER,
                "FY2025_original,2025-01,BL-1,paid_search,1e18,USD,2024-12-10T09:00:00Z,cfo",
                "FY2025_original,2025-02,BL-1,paid_search,9999999999999999999999999,USD,2024-12-10T09:00:00Z,cfo",
                "FY2025_original,2025-03,BL-1,paid_search,250000000,USD,2024-12-10T09:00:00Z,cfo",
            )
        },
        {"b.csv": outcome("loaded", 3, 1, 2)},
        [("b.csv", 2, "amount_out_of_range"), ("b.csv", 3, "amount_out_of_range")],
    ),
    Case(
        "zero_and_negative_rates",
        "fx_rates",
        "row rejected",
        "An exchange rate must be positive.",
        {"fx.csv": fx("2025-03-03,EUR,USD,0", "2025-03-04,EUR,USD,-1.08", "2025-03-05,EUR,USD,1.08")},
        {"fx.csv": outcome("loaded", 3, 1, 2)},
        [("fx.csv", 2, "non_positive_rate"), ("fx.csv", 3, "non_positive_rate")],
    ),
    Case(
        "dates_out_of_range",
        "fx_rates",
        "row rejected",
        "Dates before 1990 or after 2100 (config `ingestion.min_date`/`max_date`) are rejected.",
        {"fx.csv": fx("1899-12-31,EUR,USD,1.08", "2150-01-01,EUR,USD,1.08", "2025-03-03,EUR,USD,1.08")},
        {"fx.csv": outcome("loaded", 3, 1, 2)},
        [("fx.csv", 2, "date_out_of_range"), ("fx.csv", 3, "date_out_of_range")],
    ),
    Case(
        "dates_in_other_formats",
        "fx_rates",
        "row rejected",
        "Only YYYY-MM-DD is a date: 03/04/2025, 2025/03/04, 20250304, 4 Mar 2025, 2025-3-4 and 2025-02-30 "
        "are rejected.",
        {
            "fx.csv": fx(
                "03/04/2025,EUR,USD,1.08",
                "2025/03/04,EUR,USD,1.08",
                "20250304,EUR,USD,1.08",
                "4 Mar 2025,EUR,USD,1.08",
                "2025-3-4,EUR,USD,1.08",
                "2025-02-30,EUR,USD,1.08",
                "2025-03-04,EUR,USD,1.08",
            )
        },
        {"fx.csv": outcome("loaded", 7, 1, 6)},
        [("fx.csv", line, "invalid_date") for line in range(2, 8)],
    ),
    Case(
        "timestamps_without_offsets",
        "touchpoints",
        "row rejected",
        "A timestamp must carry its UTC offset or Z; a local time is ambiguous and rejected, a malformed one too.",
        {
            "t.csv": lines(
                TOUCH_HEADER,
                "t1,a1,,2025-03-01T14:05:00,google,cpc,brand,click",
                "t2,a1,,2025-03-01 14:05,google,cpc,brand,click",
                "t3,a1,,2025-03-01T25:05:00+01:00,google,cpc,brand,click",
                "t4,a1,,2025-03-01T14:05:00+01:00,google,cpc,brand,click",
                "t5,a1,,2025-03-01T14:05:00Z,google,cpc,brand,click",
            )
        },
        {"t.csv": outcome("loaded", 5, 2, 3)},
        [
            ("t.csv", 2, "timestamp_without_offset"),
            ("t.csv", 3, "timestamp_without_offset"),
            ("t.csv", 4, "invalid_timestamp"),
        ],
    ),
    Case(
        "unknown_currencies",
        "fx_rates",
        "row rejected",
        "Currency codes must be ISO 4217 (XXX 'no currency' and XTS 'testing' excluded); lower case is normalised.",
        {
            "fx.csv": fx(
                "2025-03-03,XYZ,USD,1.08",
                "2025-03-03,EURO,USD,1.08",
                "2025-03-03,XXX,USD,1.08",
                "2025-03-03,US$,EUR,1.08",
                "2025-03-03,gbp,USD,1.27",
            )
        },
        {"fx.csv": outcome("loaded", 5, 1, 4)},
        [("fx.csv", line, "unknown_currency") for line in range(2, 6)],
    ),
    Case(
        "invalid_periods",
        "budgets",
        "row rejected",
        "A fiscal period is YYYY-MM: 2025-13, 2025-1 and 202501 are rejected.",
        {
            "b.csv": lines(
                BUDGET_HEADER,
                "FY2025_original,2025-13,BL-1,paid_search,100,USD,2024-12-10T09:00:00Z,cfo",
                "FY2025_original,2025-1,BL-1,paid_search,100,USD,2024-12-10T09:00:00Z,cfo",
                "FY2025_original,202501,BL-1,paid_search,100,USD,2024-12-10T09:00:00Z,cfo",
                "FY2025_original,2025-01,BL-1,paid_search,100,USD,2024-12-10T09:00:00Z,cfo",
            )
        },
        {"b.csv": outcome("loaded", 4, 1, 3)},
        [("b.csv", 2, "invalid_period"), ("b.csv", 3, "invalid_period"), ("b.csv", 4, "invalid_period")],
    ),
    Case(
        "missing_keys",
        "google_ads",
        "row rejected",
        "An empty natural-key field (campaign.id, customer.id) rejects the row.",
        {
            "g.csv": google(
                "2025-03-03,111,USD,,Brand,1000,,,,",
                "2025-03-03,,USD,1,Brand,1000,,,,",
                "2025-03-03,111,USD,1,Brand,1000,,,,",
            )
        },
        {"g.csv": outcome("loaded", 3, 1, 2)},
        [("g.csv", 2, "missing_key"), ("g.csv", 3, "missing_key")],
        spend_total=0.001,
    ),
    Case(
        "fractional_micros",
        "google_ads",
        "row rejected",
        "cost_micros is an integer: 1234.5 is rejected as `not_whole_number` rather than rounded.",
        {"g.csv": google("2025-03-03,111,USD,1,Brand,1234.5,,,,", "2025-03-04,111,USD,1,Brand,1234,,,,")},
        {"g.csv": outcome("loaded", 2, 1, 1)},
        [("g.csv", 2, "not_whole_number")],
        spend_total=0.001234,
    ),
    Case(
        "bad_linkedin_urn",
        "linkedin_ads",
        "row rejected",
        "campaign_urn must be a LinkedIn campaign: urn:li:sponsoredCampaign:<digits> (any capitals) or the bare "
        "number; a campaign URN without digits or the URN of another kind of object is rejected.",
        {
            "l.csv": lines(
                LINKEDIN_HEADER,
                "2025-03-03,508,GBP,urn:li:sponsoredCampaign:abc,B2B,10.5,,,",
                "2025-03-03,508,GBP,urn:li:sponsoredAccount:12345,B2B,10.5,,,",
                "2025-03-03,508,GBP,urn:li:sponsoredCampaign:12345,B2B,10.5,,,",
            )
        },
        {"l.csv": outcome("loaded", 3, 1, 2)},
        [("l.csv", 2, "invalid_format"), ("l.csv", 3, "invalid_format")],
        spend_total=10.5,
    ),
    Case(
        "duplicate_keys_within_a_file",
        "fx_rates",
        "row rejected",
        "The same natural key twice in one file: the last line stands, the earlier one is rejected as "
        "`duplicate_key_in_file` naming the line that supersedes it.",
        {"fx.csv": fx("2025-03-03,EUR,USD,1.08", "2025-03-03,EUR,USD,1.09")},
        {"fx.csv": outcome("loaded", 2, 1, 1)},
        [("fx.csv", 2, "duplicate_key_in_file")],
        loaded_values={"rate": 1.09},
    ),
    Case(
        "duplicate_keys_across_files",
        "fx_rates",
        "loaded",
        "A later file (by name) repeating a key restates it: both versions are kept in raw for lineage and "
        "staging serves the later one.",
        {"fx_2025-03.csv": fx("2025-03-03,EUR,USD,1.08"), "fx_2025-03_restated.csv": fx("2025-03-03,EUR,USD,1.0815")},
        {"fx_2025-03.csv": outcome("loaded", 1, 1, 0), "fx_2025-03_restated.csv": outcome("loaded", 1, 1, 0)},
    ),
    Case(
        "same_content_twice",
        "fx_rates",
        "loaded",
        "A re-dropped copy of an already loaded file (same bytes, another name) is recorded but not loaded again.",
        {"a.csv": fx("2025-03-10,EUR,USD,1.11"), "b_copy.csv": fx("2025-03-10,EUR,USD,1.11")},
        {"a.csv": outcome("loaded", 1, 1, 0), "b_copy.csv": outcome("duplicate_content", 0, 0, 0, "same content")},
    ),
    Case(
        "truncated_gzip",
        "fx_rates",
        "file rejected",
        "A gzip cut off mid-stream is unreadable: rejected with the reader's message, none of its rows loaded "
        "(a file is loaded whole or not at all); the records that could be decompressed before the cut are "
        "counted and rejected, and the message says the stream is cut off.",
        {"fx.csv.gz": truncated_gzip()},
        {
            "fx.csv.gz": outcome(
                "rejected", TRUNCATED_RECORDS, 0, TRUNCATED_RECORDS, f"only its first {TRUNCATED_RECORDS} record(s)"
            )
        },
        [("fx.csv.gz", line, "unreadable_file") for line in range(2, TRUNCATED_RECORDS + 2)],
    ),
    Case(
        "gzip_ok",
        "fx_rates",
        "loaded",
        "A well-formed gzip loads like its CSV.",
        {"fx.csv.gz": gzip.compress(fx("2025-03-03,EUR,USD,1.08"), mtime=0)},
        {"fx.csv.gz": outcome("loaded", 1, 1, 0)},
    ),
    Case(
        "parquet_wrong_types",
        "fx_rates",
        "row rejected",
        "Parquet with an integer date column and a text rate: each value is validated like CSV text, "
        "so 20250303 is not a date and 'one point eight' not a number.",
        {"fx.parquet": parquet_with_wrong_types},
        {"fx.parquet": outcome("loaded", 2, 0, 2)},
        [("fx.parquet", 1, "invalid_date"), ("fx.parquet", 2, "invalid_date")],
    ),
    Case(
        "parquet_typed",
        "fx_rates",
        "loaded",
        "Parquet with proper DATE and DECIMAL columns loads.",
        {"fx.parquet": parquet_good},
        {"fx.parquet": outcome("loaded", 1, 1, 0)},
    ),
    Case(
        "file_name_with_spaces_unicode_and_shell_metacharacters",
        "fx_rates",
        "loaded",
        "The file name is only ever a bound parameter and an audit value: spaces, unicode, quotes and shell "
        "metacharacters are harmless.",
        {"rates ünïcødé $(touch pwned); 'q' \"d\" `x` | & *.csv": fx("2025-03-03,EUR,USD,1.08")},
        {"rates ünïcødé $(touch pwned); 'q' \"d\" `x` | & *.csv": outcome("loaded", 1, 1, 0)},
    ),
    Case(
        "sql_injection_in_values",
        "google_ads",
        "loaded",
        "Values that look like SQL are data: stored verbatim, no statement is ever built from them.",
        {
            "g.csv": google(
                "2025-03-03,111,USD,1'; drop table raw.google_ads; --,"
                '"Robert\'); DROP TABLE audit.load_files;--",1000,,,,'
            )
        },
        {"g.csv": outcome("loaded", 1, 1, 0)},
        loaded_values={"campaign_name": "Robert'); DROP TABLE audit.load_files;--"},
        spend_total=0.001,
    ),
    Case(
        "very_long_field",
        "google_ads",
        "row rejected",
        "A 10,000-character campaign name exceeds `ingestion.max_text_length` (4096): rejected, not truncated.",
        {"g.csv": google("2025-03-03,111,USD,1," + "x" * 10_000 + ",1000,,,,", "2025-03-04,111,USD,1,Brand,1000,,,,")},
        {"g.csv": outcome("loaded", 2, 1, 1)},
        [("g.csv", 2, "value_too_long")],
        spend_total=0.001,
    ),
    Case(
        "line_longer_than_the_reader_allows",
        "fx_rates",
        "row rejected",
        "A 3 MB line exceeds DuckDB's maximum line size: that record is rejected, the rest loads.",
        {"fx.csv": fx("2025-03-03,EUR,USD,1.08", "2025-03-04,EUR,USD," + "9" * 3_000_000, "2025-03-05,EUR,USD,1.1")},
        {"fx.csv": outcome("loaded", 3, 2, 1)},
        [("fx.csv", 3, "malformed_row")],
    ),
    Case(
        "semicolon_delimited",
        "fx_rates",
        "file rejected",
        "A European export with ';' has one column named after the whole header: required columns are "
        "missing, so every row is rejected and the file marked rejected; the message says to re-export with ','.",
        {"fx.csv": lines("rate_date;from_currency;to_currency;rate", "2025-03-03;EUR;USD;1,08")},
        {"fx.csv": outcome("rejected", 1, 0, 1, "looks ';'-separated: re-export with ',' as the separator")},
        [("fx.csv", 2, "missing_columns")],
    ),
    Case(
        "too_few_fields",
        "fx_rates",
        "row rejected",
        "A record shorter than the header is malformed, not padded with empty values.",
        {"fx.csv": fx("2025-03-03,EUR,USD", "2025-03-04,EUR,USD,1.09")},
        {"fx.csv": outcome("loaded", 2, 1, 1)},
        [("fx.csv", 2, "malformed_row")],
    ),
    Case(
        "nul_byte_in_a_value",
        "fx_rates",
        "row rejected",
        "A NUL byte inside a currency code makes it unknown.",
        {"fx.csv": fx("2025-03-03,EU\x00R,USD,1.08", "2025-03-04,EUR,USD,1.09")},
        {"fx.csv": outcome("loaded", 2, 1, 1)},
        [("fx.csv", 2, "unknown_currency")],
    ),
    Case(
        "partial_upload_and_hidden_files",
        "fx_rates",
        "loaded",
        "Files still being uploaded (*.part, *.tmp) and hidden files (.x, _x) are ignored until renamed; "
        "a file of another extension is not a landing file: it is recorded as unrecognised (issue 17).",
        {
            "fx.csv.part": fx("2025-03-03,EUR,USD,9.99"),
            ".hidden.csv": fx("2025-03-03,EUR,USD,9.99"),
            "_scratch.csv": fx("2025-03-03,EUR,USD,9.99"),
            "notes.txt": b"not data",
            "fx.csv": fx("2025-03-03,EUR,USD,1.08"),
        },
        {
            "fx.csv": outcome("loaded", 1, 1, 0),
            "notes.txt": outcome("unrecognised", 0, 0, 0, "has an extension the loader does not read (.txt)"),
        },
    ),
    # ---- issue 17, part "landing": every path under the landing zone accounted for, links never followed.
    # Files placed with ``landing_files`` are relative to the landing root; outcomes keyed as audit.load_files
    # records them. An unrecognised file or a link holds the snapshot back (the harness checks the check).
    Case(
        "unrecognised_capitalised_folder",
        "meta_ads",
        "unrecognised",
        "A source folder written with other capitals (`marketing/Meta_Ads/`) is not a source: recorded as "
        "unrecognised with the folder it most likely means, never read; it holds the snapshot back.",
        {},
        {"marketing/Meta_Ads": outcome("unrecognised", 0, 0, 0, "did you mean `marketing/meta_ads`?")},
        spend_total=0.0,
        landing_files={"marketing/Meta_Ads/meta_2024-01.csv": meta("2024-01-03,77,EUR,5,Prospecting,400.00,,,,")},
    ),
    Case(
        "file_one_level_too_high",
        "google_ads",
        "unrecognised",
        "A Google Ads export dropped in `marketing/` instead of `marketing/google_ads/`: its header names the "
        "source to move it to. Not loaded (spend 0) until moved; it holds the snapshot back.",
        {},
        {
            "marketing/gads_2024.csv": outcome(
                "unrecognised", 0, 0, 0, "its header matches google_ads: move it to `marketing/google_ads/`"
            )
        },
        spend_total=0.0,
        landing_files={"marketing/gads_2024.csv": google("2024-01-03,582,USD,7,Brand,352000000,,,,")},
    ),
    Case(
        "stray_file_at_the_root",
        "fx_rates",
        "unrecognised",
        "An FX file at the landing root: its header matches fx_rates, the message says where it goes.",
        {},
        {
            "fx_2025.csv": outcome(
                "unrecognised", 0, 0, 0, "its header matches fx_rates: move it to `finance/fx_rates/`"
            )
        },
        landing_files={"fx_2025.csv": fx("2025-03-03,EUR,USD,1.08")},
    ),
    Case(
        "source_folder_under_the_wrong_parent",
        "google_ads",
        "unrecognised",
        "`finance/google_ads/` is the right name in the wrong place: the suggestion is `marketing/google_ads`.",
        {"good.csv": google("2024-01-03,111,USD,1,Brand,10000000,,,,")},
        {
            "good.csv": outcome("loaded", 1, 1, 0),
            "finance/google_ads": outcome("unrecognised", 0, 0, 0, "did you mean `marketing/google_ads`?"),
        },
        spend_total=10.0,
        landing_files={"finance/google_ads/g.csv": google("2024-01-04,111,USD,1,Brand,90000000,,,,")},
    ),
    Case(
        "stray_file_matching_no_source",
        "google_ads",
        "unrecognised",
        "A CSV outside the source folders whose header matches no source: unrecognised, with where to look.",
        {},
        {"marketing/notes.csv": outcome("unrecognised", 0, 0, 0, "matches no source")},
        spend_total=0.0,
        landing_files={"marketing/notes.csv": lines("what,who", "call agency,ana")},
    ),
    Case(
        "unknown_extensions_in_a_source_folder",
        "google_ads",
        "unrecognised",
        "An Excel workbook and a JSON export in `marketing/google_ads/`: the loader reads neither; each is "
        "unrecognised with the accepted formats (the workbook: save it as CSV). The CSV beside them loads.",
        {
            "good.csv": google("2024-01-03,111,USD,1,Brand,10000000,,,,", "2024-01-04,111,USD,1,Brand,20000000,,,,"),
            "report.xlsx": b"PK\x03\x04" + b"\x00" * 60,
            "export.json": b'[{"segments.date": "2024-01-05", "metrics.cost_micros": 5000000}]\n',
        },
        {
            "good.csv": outcome("loaded", 2, 2, 0),
            "report.xlsx": outcome("unrecognised", 0, 0, 0, "save it as CSV"),
            "export.json": outcome("unrecognised", 0, 0, 0, "accepted: `*.csv`, `*.csv.gz`, `*.parquet`"),
        },
        spend_total=30.0,
    ),
    Case(
        "symlinked_file_to_outside",
        "google_ads",
        "file rejected",
        "A symbolic link in a source folder to a file outside the landing zone: rejected, never followed (the "
        "harness's outside file would add 777 of spend and a campaign named LEAKED-OUTSIDE to any table).",
        {"good.csv": google("2024-01-03,111,USD,1,Brand,10000000,,,,"), "leak.csv": link_to_outside("secret.csv")},
        {
            "good.csv": outcome("loaded", 1, 1, 0),
            "leak.csv": outcome(
                "rejected", 0, 0, 0, "symbolic link: not followed; copy the file into the landing zone"
            ),
        },
        spend_total=10.0,
    ),
    Case(
        "symlinked_folders",
        "google_ads",
        "file rejected",
        "A linked sub-folder inside a source folder and a source folder that is itself a link (linkedin_ads): "
        "both rejected, neither followed.",
        {"good.csv": google("2024-01-03,111,USD,1,Brand,10000000,,,,"), "more": link_to_outside()},
        {
            "good.csv": outcome("loaded", 1, 1, 0),
            "more": outcome("rejected", 0, 0, 0, "symbolic link: not followed"),
            "marketing/linkedin_ads": outcome("rejected", 0, 0, 0, "symbolic link: not followed"),
        },
        spend_total=10.0,
        landing_files={"marketing/linkedin_ads": link_to_outside()},
    ),
    Case(
        "symlink_at_the_landing_root",
        "fx_rates",
        "file rejected",
        "A link at the landing root (to the outside file): rejected with no source, never read.",
        {},
        {"rates.csv": outcome("rejected", 0, 0, 0, "symbolic link")},
        landing_files={"rates.csv": link_to_outside("secret.csv")},
    ),
    Case(
        "ignored_by_rule",
        "google_ads",
        "loaded",
        "Hidden names (`.x`, `_x`), partial uploads (`*.part`, `*.tmp`, `*.crdownload`), Office lock files "
        "(`~$x`), README/`*.md` and OS folder metadata are ignored by rule: no record, no check fails; only "
        "the landing file loads.",
        {
            "good.csv": google("2024-01-03,111,USD,1,Brand,10000000,,,,"),
            ".hidden.csv": google("2024-01-04,111,USD,1,Brand,90000000,,,,"),
            "_draft.csv": google("2024-01-05,111,USD,1,Brand,90000000,,,,"),
            "upload.csv.part": google("2024-01-06,111,USD,1,Brand,90000000,,,,"),
            "upload.csv.tmp": b"x",
            "export.csv.crdownload": b"x",
            "~$budget.xlsx": b"x",
            "README.md": b"# Google Ads drops\n",
            "Thumbs.db": b"x",
        },
        {"good.csv": outcome("loaded", 1, 1, 0)},
        spend_total=10.0,
        landing_files={"README.txt": b"Drop files in their source folder.\n", "_archive/old.csv": b"x"},
    ),
    # ----------------------------------------------------------------- issue 17, part "reading":
    # content sniffed rather than names trusted, whole numbers written as floats, Parquet types,
    # and every line of a rejected file counted.
    Case(
        "utf16_le_with_bom",
        "google_ads",
        "loaded",
        "UTF-16 LE with a byte order mark (Excel's 'Unicode text', CRLF): transcoded to UTF-8 in chunks and "
        "loaded; the file's message says how it was read.",
        {
            "g.csv": utf16(
                lines(
                    GOOGLE_HEADER,
                    "2025-03-03,111,USD,1,Brand,1500000,100,7,1,10",
                    "2025-03-04,111,USD,1,Brand,2500000,120,9,0,0",
                    newline="\r\n",
                ),
                "utf-16-le",
                b"\xff\xfe",
            )
        },
        {"g.csv": outcome("loaded", 2, 2, 0, "read as UTF-16-LE")},
        spend_total=4.0,  # 1.5 + 2.5
    ),
    Case(
        "utf16_be_with_bom",
        "linkedin_ads",
        "loaded",
        "UTF-16 BE with a byte order mark: transcoded and loaded.",
        {
            "l.csv": utf16(
                linkedin(
                    "2025-03-03,508,GBP,urn:li:sponsoredCampaign:12345,B2B,10.50,100,3,0",
                    "2025-03-04,508,GBP,urn:li:sponsoredCampaign:12345,B2B,20.25,,,",
                ),
                "utf-16-be",
                b"\xfe\xff",
            )
        },
        {"l.csv": outcome("loaded", 2, 2, 0, "read as UTF-16-BE")},
        spend_total=30.75,  # 10.50 + 20.25
    ),
    Case(
        "utf16_without_bom",
        "google_ads",
        "file rejected",
        "UTF-16 without a byte order mark: its byte order would be a guess, so the file is rejected saying so "
        "and what to do; its 2 records are counted at the newline bytes and rejected (`invalid_encoding`).",
        {
            "g.csv": utf16(
                google("2025-03-03,111,USD,1,Brand,1500000,,,,", "2025-03-04,111,USD,1,Brand,2500000,,,,"),
                "utf-16-le",
            )
        },
        {"g.csv": outcome("rejected", 2, 0, 2, "UTF-16 without a byte order mark")},
        [("g.csv", 2, "invalid_encoding"), ("g.csv", 3, "invalid_encoding")],
        spend_total=0.0,
    ),
    Case(
        "gzip_content_under_csv_name",
        "google_ads",
        "loaded",
        "Gzip content named `.csv` is recognised by its magic bytes and loaded; the message notes it.",
        {
            "g.csv": gzip.compress(
                google("2025-03-03,111,USD,1,Brand,1500000,,,,", "2025-03-04,111,USD,1,Brand,2500000,,,,"), mtime=0
            )
        },
        {"g.csv": outcome("loaded", 2, 2, 0, "gzip content")},
        spend_total=4.0,
    ),
    Case(
        "plain_text_under_csv_gz_name",
        "google_ads",
        "loaded",
        "Plain CSV named `.csv.gz` (no gzip magic bytes) is read as text and loaded; the message notes it.",
        {"g.csv.gz": google("2025-03-03,111,USD,1,Brand,1500000,,,,")},
        {"g.csv.gz": outcome("loaded", 1, 1, 0, "not compressed despite the .gz suffix")},
        spend_total=1.5,
    ),
    Case(
        "cr_only_line_endings",
        "fx_rates",
        "row rejected",
        "Old-Mac CR-only line endings are read (rewritten to LF in chunks); line numbers stay physical: the bad "
        "rate is reported on line 3.",
        {
            "fx.csv": lines(
                FX_HEADER, "2025-03-03,EUR,USD,1.08", "2025-03-04,EUR,USD,abc", "2025-03-05,EUR,USD,1.1", newline="\r"
            )
        },
        {"fx.csv": outcome("loaded", 3, 2, 1, "CR line endings")},
        [("fx.csv", 3, "invalid_number")],
    ),
    Case(
        "excel_sep_comma_line",
        "google_ads",
        "row rejected",
        "Excel's `sep=,` first line is skipped; line numbers stay physical (header on line 2, the bad row on 4).",
        {
            "g.csv": b"sep=,\n"
            + google(
                "2025-03-03,111,USD,1,Brand,1500000,,,,",
                "2025-03-04,111,USD,1,Brand,abc,,,,",
                "2025-03-05,111,USD,1,Brand,2500000,,,,",
            )
        },
        {"g.csv": outcome("loaded", 3, 2, 1, "sep=,")},
        [("g.csv", 4, "invalid_number")],
        spend_total=4.0,  # lines 3 and 5
    ),
    Case(
        "excel_sep_semicolon_line",
        "linkedin_ads",
        "row rejected",
        "`sep=;` first: the file is read with ';' as the delimiter; a decimal comma is then one field and "
        "still not a number (line 4), the other rows load.",
        {
            "l.csv": lines(
                "sep=;",
                LINKEDIN_HEADER.replace(",", ";"),
                "2025-03-03;508;GBP;urn:li:sponsoredCampaign:12345;B2B;10.50;100;3;0",
                "2025-03-04;508;GBP;urn:li:sponsoredCampaign:12345;B2B;20,25;;;",
                "2025-03-05;508;GBP;urn:li:sponsoredCampaign:12345;B2B;5;;;",
            )
        },
        {"l.csv": outcome("loaded", 3, 2, 1, "sep=;")},
        [("l.csv", 4, "invalid_number")],
        spend_total=15.5,  # 10.50 + 5
    ),
    Case(
        "float_counts_in_csv",
        "google_ads",
        "loaded",
        "Counts and micros written as floats (`100.0`, `2.5e6`, as pandas and spreadsheets write them) are "
        "the integers they equal.",
        {
            "g.csv": google(
                "2025-03-03,111,USD,1,Brand,1500000.0,100.0,7.0,1,10",
                "2025-03-04,111,USD,1,Brand,2.5e6,1.2e2,9,0,0",
            )
        },
        {"g.csv": outcome("loaded", 2, 2, 0)},
        loaded_values={"metrics_cost_micros": 2500000, "metrics_impressions": 120},
        spend_total=4.0,
    ),
    Case(
        "fractional_count",
        "google_ads",
        "row rejected",
        "A true fraction in a count column (`7.5` clicks) is rejected as `not_whole_number`, not rounded.",
        {"g.csv": google("2025-03-03,111,USD,1,Brand,1500000,100,7.5,1,10", "2025-03-04,111,USD,1,Brand,2500000,,,,")},
        {"g.csv": outcome("loaded", 2, 1, 1)},
        [("g.csv", 2, "not_whole_number")],
        spend_total=2.5,
    ),
    Case(
        "parquet_float_counts",
        "google_ads",
        "loaded",
        "Parquet from pandas: micros, impressions and clicks as DOUBLE (`1500000.0`); whole values load as "
        "BIGINT, and a DOUBLE 10132.0 is the integer 10132.",
        {
            "g.parquet": parquet_of(
                "select * from (values "
                "(date '2025-03-03', '111', 'USD', '1', 'Brand', 1500000.0::double, 10132.0::double, 7.0::double, "
                "1.0::double, 10.0::double), "
                "(date '2025-03-04', '111', 'USD', '1', 'Brand', 2500000.0::double, 120.0::double, 9.0::double, "
                f"0.0::double, 0.0::double)) as t({GOOGLE_PARQUET_COLUMNS})"
            )
        },
        {"g.parquet": outcome("loaded", 2, 2, 0)},
        loaded_values={"metrics_impressions": 10132},
        spend_total=4.0,
    ),
    Case(
        "parquet_float_spend_and_date_types",
        "linkedin_ads",
        "loaded",
        "Parquet with the day as a TIMESTAMP at midnight (how pandas writes dates), spend as DOUBLE, counts as "
        "INTEGER (int32) and the account id as BIGINT: each is coerced to the contract's text losslessly.",
        {
            "l.parquet": parquet_of(
                "select * from (values "
                "(timestamp '2025-03-03 00:00:00', 508::bigint, 'GBP', 'urn:li:sponsoredCampaign:12345', 'B2B', "
                "10.5::double, 100::integer, 3::integer, 0.0::double), "
                "(timestamp '2025-03-04 00:00:00', 508::bigint, 'GBP', 'urn:li:sponsoredCampaign:12345', 'B2B', "
                f"20.25::double, 200::integer, 4::integer, 1.0::double)) as t({LINKEDIN_PARQUET_COLUMNS})"
            )
        },
        {"l.parquet": outcome("loaded", 2, 2, 0)},
        loaded_values={"impressions": 200},
        spend_total=30.75,
    ),
    Case(
        "parquet_lossy_columns",
        "google_ads",
        "row rejected",
        "Parquet values that cannot be coerced without loss are rejected naming the column and its Parquet "
        "type: a DOUBLE 9.5 in `metrics.clicks` (`not_whole_number`, '... (Parquet column metrics.clicks is "
        "DOUBLE)'), and a VARCHAR date '03/04/2025' in `segments.date` (`invalid_date`, naming VARCHAR).",
        {
            "g.parquet": parquet_of(
                "select * from (values "
                "('2025-03-03', '111', 'USD', '1', 'Brand', 1500000.0::double, 100.0::double, 7.0::double, "
                "null::double, null::double), "
                "('2025-03-03', '111', 'USD', '2', 'Brand', 2500000.0::double, 100.0::double, 9.5::double, "
                "null::double, null::double), "
                "('03/04/2025', '111', 'USD', '3', 'Brand', 3000000.0::double, 100.0::double, 1.0::double, "
                f"null::double, null::double)) as t({GOOGLE_PARQUET_COLUMNS})"
            )
        },
        {"g.parquet": outcome("loaded", 3, 1, 2)},
        [("g.parquet", 2, "not_whole_number"), ("g.parquet", 3, "invalid_date")],
        spend_total=1.5,
    ),
    Case(
        "binary_garbage",
        "google_ads",
        "file rejected",
        "Binary content under a `.csv` name: rejected ('binary content, not CSV text'); its 3 records after the "
        "first line (counted at the newline bytes, the last one without a newline) are rejected rows with their "
        "bytes escaped.",
        {"g.csv": b"\x00\x01\xff\xfe\x80PK\x03\x04\n\x9c\x00\x10\n\x00\x00\x89PNG\n\x07\x08\xfa"},
        {"g.csv": outcome("rejected", 3, 0, 3, "binary content, not CSV text")},
        [("g.csv", 2, "unreadable_file"), ("g.csv", 3, "unreadable_file"), ("g.csv", 4, "unreadable_file")],
        spend_total=0.0,
    ),
    # ---- issue 17, part keys: a key means the same however it is written; restatements replace, never add
    Case(
        "restatement_with_dashed_customer_id",
        "google_ads",
        "loaded",
        "A restatement writes the Google Ads customer id as the interface shows it (`582-471-9301`) and a "
        "campaign id with a leading zero: both are normalised at ingestion (digits only, no leading zeros), so "
        "the later file replaces the earlier one's keys instead of adding to them. Spend once: 120 + 50 + 80.",
        {
            "g_2025-03.csv": google(
                "2025-03-03,5824719301,USD,21437658090,Brand,100000000,,,,",
                "2025-03-03,5824719301,USD,21437658091,Generic,50000000,,,,",
                "2025-03-04,5824719301,USD,21437658090,Brand,70000000,,,,",
            ),
            "g_2025-03_restated.csv": google(
                "2025-03-03,582-471-9301,USD,21437658090,Brand,120000000,,,,",
                "2025-03-04,582-471-9301,USD,021437658090,Brand,80000000,,,,",
            ),
        },
        {
            "g_2025-03.csv": outcome("loaded", 3, 3, 0),
            "g_2025-03_restated.csv": outcome("loaded", 2, 2, 0),
        },
        loaded_values={"customer_id": "5824719301", "campaign_id": "21437658090"},
        spend_total=250.0,
    ),
    Case(
        "campaign_id_with_leading_zero",
        "campaigns",
        "loaded",
        "The campaign file writes a Google Ads campaign id with a leading zero (`021437658090`, as a spreadsheet "
        "keeps it as text): it is normalised by its row's platform to `21437658090`, the id the spend carries, so "
        "the campaign maps to its channel instead of leaving its spend `unmapped`. Platform names are lower-cased; "
        "other-spend ids stay as written (`007`).",
        {
            "campaigns.csv": lines(
                "platform,campaign_id,campaign_name,channel,budget_line_id,utm_campaign,start_date,end_date,owner_team",
                "Google_Ads,021437658090,US | Search | Brand,paid_search,BL-SEARCH,us_search_brand,2021-09-01,,US",
                "tv_agency,007,Prime time,offline,BL-OFFLINE,,2025-01-01,,Brand",
            )
        },
        {"campaigns.csv": outcome("loaded", 2, 2, 0)},
        loaded_values={"platform": "google_ads", "campaign_id": "21437658090"},
    ),
    Case(
        "meta_act_account_id",
        "meta_ads",
        "loaded",
        "Meta's Graph API writes ad account ids as `act_<id>`, Ads Manager exports the bare number: both are the "
        "same account (`act_` dropped, no leading zeros), so the API restatement replaces the export's rows. "
        "Spend once: 30.25 + 12.00.",
        {
            "meta_2025-03.csv": lines(
                META_HEADER,
                "2025-03-03,104839201847362,EUR,120210345678901234,Prospecting,25.50,,,,",
                "2025-03-04,104839201847362,EUR,120210345678901234,Prospecting,12.00,,,,",
            ),
            "meta_2025-03_api.csv": lines(
                META_HEADER, "2025-03-03,act_104839201847362,EUR,120210345678901234,Prospecting,30.25,,,,"
            ),
        },
        {"meta_2025-03.csv": outcome("loaded", 2, 2, 0), "meta_2025-03_api.csv": outcome("loaded", 1, 1, 0)},
        loaded_values={"account_id": "104839201847362"},
        spend_total=42.25,
    ),
    Case(
        "linkedin_bare_number_and_upper_case_urn",
        "linkedin_ads",
        "loaded",
        "A LinkedIn campaign written as the bare number (`187654321`) or with other capitals and a leading zero "
        "(`URN:LI:SPONSOREDCAMPAIGN:0187654322`) is the campaign `urn:li:sponsoredCampaign:<number>`; the "
        "restatement in the other spelling replaces the first file's row. Spend once: 12.50 + 7.25.",
        {
            "l_2025-03.csv": lines(
                LINKEDIN_HEADER,
                "2025-03-03,508123456,GBP,urn:li:sponsoredCampaign:187654321,Lead gen,10.00,,,",
                "2025-03-03,508123456,GBP,URN:LI:SPONSOREDCAMPAIGN:0187654322,Whitepaper,7.25,,,",
            ),
            "l_2025-03_restated.csv": lines(LINKEDIN_HEADER, "2025-03-03,508123456,GBP,187654321,Lead gen,12.50,,,"),
        },
        {"l_2025-03.csv": outcome("loaded", 2, 2, 0), "l_2025-03_restated.csv": outcome("loaded", 1, 1, 0)},
        loaded_values={"campaign_urn": "urn:li:sponsoredCampaign:187654322"},
        spend_total=19.75,
    ),
    Case(
        "currency_code_blanks_and_case",
        "meta_ads",
        "row rejected",
        "Currency codes are trimmed and case-insensitive (` usd `, `Usd` are USD), but a code with a blank inside "
        "(`U SD`) is not guessed: `unknown_currency`. Spend of the loaded rows: 1.50 + 2.50.",
        {
            "m.csv": lines(
                META_HEADER,
                "2025-03-03,1, usd ,1,A,1.50,,,,",
                "2025-03-04,1,Usd,1,A,2.50,,,,",
                "2025-03-05,1,U SD,1,A,4.00,,,,",
            )
        },
        {"m.csv": outcome("loaded", 3, 2, 1)},
        [("m.csv", 4, "unknown_currency")],
        loaded_values={"account_currency": "USD"},
        spend_total=4.0,
    ),
    Case(
        "browser_copy_sorts_first",
        "google_ads",
        "loaded",
        "A second download of `g.csv` saved by a browser as `g (1).csv` sorts before `g.csv` (' ' < '.'), so "
        "`g.csv` keeps winning for the keys both carry, whatever the files' ages: the run summary warns when the "
        "losing copy is the newer one and says to rename it (tests/unit/test_restatements.py; git does not keep "
        "the corpus files' mtimes). Spend once: 10 + 20 from g.csv, 5 from the copy's extra day.",
        {
            "g.csv": google(
                "2025-03-03,5824719301,USD,21437658090,Brand,10000000,,,,",
                "2025-03-04,5824719301,USD,21437658090,Brand,20000000,,,,",
            ),
            "g (1).csv": google(
                "2025-03-03,5824719301,USD,21437658090,Brand,11000000,,,,",
                "2025-03-04,5824719301,USD,21437658090,Brand,22000000,,,,",
                "2025-03-05,5824719301,USD,21437658090,Brand,5000000,,,,",
            ),
        },
        {"g.csv": outcome("loaded", 2, 2, 0), "g (1).csv": outcome("loaded", 3, 3, 0)},
        spend_total=35.0,
    ),
]


def opportunities(*rows: str) -> bytes:
    return lines(OPPORTUNITY_HEADER, *rows)


# B2B pipeline snapshots (marketing/opportunities): each file is a CRM export of opportunity snapshots.
CASES += [
    Case(
        "opportunity_stage_regression",
        "opportunities",
        "loaded",
        "An opportunity moving back a stage (negotiation -> qualification) is real CRM history: every snapshot "
        "loads, and `fct_opportunity_stage_history` flags the move (`change_type` `regressed`).",
        {
            "opportunities_2025-03.csv": opportunities(
                "OPP-1,C1,2025-03-01T09:00:00Z,qualification,50000.00,USD,2025-06-30,false,false,2025-03-01T09:00:00Z",
                "OPP-1,C1,2025-03-01T09:00:00Z,negotiation,50000.00,USD,2025-06-30,false,false,2025-03-10T09:00:00Z",
                "OPP-1,C1,2025-03-01T09:00:00Z,qualification,45000.00,USD,2025-06-30,false,false,2025-03-20T09:00:00Z",
            )
        },
        {"opportunities_2025-03.csv": outcome("loaded", 3, 3, 0)},
        loaded_values={"stage": "negotiation"},
    ),
    Case(
        "opportunity_duplicate_snapshots",
        "opportunities",
        "loaded",
        "The same snapshot (opportunity_id and updated_at, the second export writing the instant in UTC) in two "
        "exports: both versions are kept in raw for lineage, the later file's wins in staging, so the snapshot "
        "is counted once.",
        {
            "opportunities_2025-03-20.csv": opportunities(
                "OPP-2,C2,2025-03-02T10:00:00+01:00,proposal,20000.00,EUR,,false,false,2025-03-15T12:00:00+01:00"
            ),
            "opportunities_2025-03-21.csv": opportunities(
                "OPP-2,C2,2025-03-02T10:00:00+01:00,proposal,21000.00,EUR,,false,false,2025-03-15T11:00:00Z"
            ),
        },
        {
            "opportunities_2025-03-20.csv": outcome("loaded", 1, 1, 0),
            "opportunities_2025-03-21.csv": outcome("loaded", 1, 1, 0),
        },
        loaded_values={"amount": 21000.0},
    ),
    Case(
        "opportunity_unknown_currency",
        "opportunities",
        "row rejected",
        "An amount in a currency that is not ISO 4217 (`BTC`) cannot be converted: the row is rejected with "
        "`unknown_currency`, the opportunity's other snapshots load.",
        {
            "opportunities.csv": opportunities(
                "OPP-3,C3,2025-03-03T08:00:00Z,prospecting,0.75,BTC,,false,false,2025-03-03T08:00:00Z",
                "OPP-3,C3,2025-03-03T08:00:00Z,qualification,52000.00,USD,,false,false,2025-03-05T08:00:00Z",
            )
        },
        {"opportunities.csv": outcome("loaded", 2, 1, 1)},
        [("opportunities.csv", 2, "unknown_currency")],
    ),
    Case(
        "opportunity_boolean_words",
        "opportunities",
        "row rejected",
        "is_closed / is_won accept true/false or 1/0 in any case; anything else (`yes`) is rejected with "
        "`invalid_format` rather than guessed.",
        {
            "opportunities.csv": opportunities(
                "OPP-4,C4,2025-03-04T08:00:00Z,closed_won,9000.00,GBP,,TRUE,1,2025-03-24T08:00:00Z",
                "OPP-5,C5,2025-03-04T08:00:00Z,closed_won,9000.00,GBP,,yes,yes,2025-03-24T08:00:00Z",
            )
        },
        {"opportunities.csv": outcome("loaded", 2, 1, 1)},
        [("opportunities.csv", 3, "invalid_format")],
        loaded_values={"is_won": True},
    ),
]


def write_case(case: Case) -> None:
    folder = ROOT / case.name / FOLDERS[case.source]
    folder.mkdir(parents=True)
    for name, content in case.files.items():
        path = folder / name
        if callable(content):
            content(path)
        else:
            path.write_bytes(content)
    for name, content in case.landing_files.items():
        path = ROOT / case.name / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if callable(content):
            content(path)
        else:
            path.write_bytes(content)
    expected = {
        "source": case.source,
        "behaviour": case.behaviour,
        "description": case.description,
        "files": case.outcomes,
        "rejected": [list(row) for row in case.rejected],
        "loaded_values": case.loaded_values,
        "spend_total": case.spend_total,
    }
    (ROOT / case.name / "expected.json").write_text(json.dumps(expected, indent=2, ensure_ascii=False) + "\n")


def main() -> None:
    if ROOT.exists():
        shutil.rmtree(ROOT)
    for case in CASES:
        write_case(case)
    readme = io.StringIO()
    readme.write("# Hostile landing files\n\nGenerated by `tests/corpus/make_corpus.py`; checked by ")
    readme.write("`tests/integration/test_hostile_inputs.py`.\n\n| case | source | behaviour | what and why |\n")
    readme.write("| --- | --- | --- | --- |\n")
    for case in CASES:
        readme.write(f"| `{case.name}` | {case.source} | {case.behaviour} | {case.description} |\n")
    (ROOT / "README.md").write_text(readme.getvalue())
    print(f"{len(CASES)} cases, {sum(len(case.files) for case in CASES)} files written to {ROOT}")


if __name__ == "__main__":
    main()
