"""The ingestion engine on small hand-written landing files.

Each test writes a few files, loads them into a throwaway DuckDB file and
checks what a user relies on: which rows land in raw, which are rejected with
which line and reason, and that rows read = rows loaded + rows rejected.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.ingest import (
    FILE_STATUS_DUPLICATE,
    FILE_STATUS_LOADED,
    FILE_STATUS_REJECTED,
    discover_files,
    ingest_source,
)
from orchestration.lib.settings import IngestionSettings
from orchestration.lib.sources import SOURCES_BY_NAME

GOOGLE = SOURCES_BY_NAME["google_ads"]
TOUCHPOINTS = SOURCES_BY_NAME["touchpoints"]
FX = SOURCES_BY_NAME["fx_rates"]
GOOGLE_HEADER = (
    "segments.date,customer.id,customer.currency_code,campaign.id,campaign.name,"
    "metrics.cost_micros,metrics.impressions,metrics.clicks,metrics.conversions,metrics.conversions_value"
)


def write(landing: Path, folder: str, name: str, text: str, *, mtime: int | None = None) -> Path:
    path = landing / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_bytes(text.encode())
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def load(db: duckdb.DuckDBPyConnection, landing: Path, spec=GOOGLE, load_id: str = "load-1"):
    return ingest_source(db, spec, landing, IngestionSettings(), load_id=load_id)


def rejected(db: duckdb.DuckDBPyConnection) -> list[tuple]:
    return db.execute(
        "select file_name, line_number, reason_code from audit.rejected_rows order by file_name, line_number"
    ).fetchall()


def test_valid_rows_are_typed_and_keep_their_lineage(db, landing):
    write(
        landing,
        GOOGLE.folder,
        "g_2025-03.csv",
        f"{GOOGLE_HEADER}\n2025-03-01,111,usd,42,Brand,1234567,100,7,1.5,30.25\n",
    )
    report = load(db, landing)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (1, 1, 0)
    row = db.execute(
        "select segments_date::varchar, customer_currency_code, metrics_cost_micros, metrics_conversions, "
        "_source_file, _line_number from raw.google_ads"
    ).fetchall()
    assert row == [("2025-03-01", "USD", 1234567, pytest.approx(1.5), "g_2025-03.csv", 2)]


def test_bad_rows_are_rejected_with_line_and_reason_and_the_rest_loads(db, landing):
    text = "\n".join(
        [
            GOOGLE_HEADER,  # line 1
            '2025-03-01,111,USD,1,"Brand, ""exact""',  # lines 2-3: one record with a quoted newline
            'multi",1500000,100,10,1.5,30',
            "2025-03-02,111,USD,1,Brand,abc,100,10,1.5,30",  # 4 non-numeric
            "2025-03-02,111,USD,2,Brand,12,50,100,10,1.5,30",  # 5 unquoted decimal comma: 11 fields
            "2025-02-30,111,USD,3,Brand,1000,100,10,1.5,30",  # 6 impossible date
            "2025-03-03,111,XXX,4,Brand,1000,100,10,1.5,30",  # 7 unknown currency
            "2025-03-03,111,USD,,Brand,1000,100,10,1.5,30",  # 8 missing key
            '2025-03-05,111,USD,5,Brand,"12,50",,,,',  # 9 quoted decimal comma
            "2025-03-06,111,USD,6,Brand,-5,,,,",  # 10 negative spend
            "2025-03-07,111,USD,7,Brand,700,,,,",  # 11 fine
        ]
    )
    write(landing, GOOGLE.folder, "g.csv", text + "\n")
    report = load(db, landing)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (9, 2, 7)
    assert rejected(db) == [
        ("g.csv", 4, "invalid_number"),
        ("g.csv", 5, "malformed_row"),
        ("g.csv", 6, "invalid_date"),
        ("g.csv", 7, "unknown_currency"),
        ("g.csv", 8, "missing_key"),
        ("g.csv", 9, "invalid_number"),
        ("g.csv", 10, "negative_amount"),
    ]
    reasons = dict(db.execute("select line_number, reason from audit.rejected_rows").fetchall())
    assert "metrics.cost_micros" in reasons[4] and "'abc'" in reasons[4]
    assert "more fields than the header" in reasons[5]
    raw = dict(db.execute("select line_number, raw_content from audit.rejected_rows").fetchall())
    assert raw[5] == "2025-03-02,111,USD,2,Brand,12,50,100,10,1.5,30"
    assert raw[9] == '2025-03-05,111,USD,5,Brand,"12,50",,,,'
    assert db.execute("select _line_number from raw.google_ads order by 1").fetchall() == [(2,), (11,)]


def test_every_rejected_line_is_listed_exactly_once(db, landing):
    text = "\n".join(
        [
            GOOGLE_HEADER,
            "2025-03-02,111,USD,1,Brand,abc,100,10,1.5,30",
            "2025-03-02,111,USD,2,Brand,12,50,100,10,1.5,30",
            "2025-02-30,111,USD,3,Brand,1000,100,10,1.5,30",
            "2025-03-03,111,XXX,4,Brand,1000,100,10,1.5,30",
            "2025-03-03,111,USD,,Brand,1000,100,10,1.5,30",
        ]
    )
    write(landing, GOOGLE.folder, "g.csv", text + "\n")
    load(db, landing)
    assert rejected(db) == [
        ("g.csv", 2, "invalid_number"),
        ("g.csv", 3, "malformed_row"),
        ("g.csv", 4, "invalid_date"),
        ("g.csv", 5, "unknown_currency"),
        ("g.csv", 6, "missing_key"),
    ]


def test_records_with_one_field_too_many_or_too_few_are_malformed(db, landing):
    # An unquoted decimal comma shifts the fields; when the last field is empty DuckDB alone would
    # accept the record and silently drop the extra (empty) field.
    text = "\n".join(
        [
            "rate_date,from_currency,to_currency,rate,note",
            "2025-03-03,EUR,USD,1,08,",  # 6 fields, last one empty
            "2025-03-04,EUR,USD,1.09",  # 4 fields
            "2025-03-05,EUR,USD,1.10,",  # 5 fields, empty note: fine
            "2025-03-06,EUR,USD,1.11,a,b,c",  # 7 fields
        ]
    )
    write(landing, FX.folder, "fx.csv", text + "\n")
    report = load(db, landing, spec=FX)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (4, 1, 3)
    assert rejected(db) == [
        ("fx.csv", 2, "malformed_row"),
        ("fx.csv", 3, "malformed_row"),
        ("fx.csv", 5, "malformed_row"),
    ]
    reasons = dict(db.execute("select line_number, reason from audit.rejected_rows").fetchall())
    assert "more fields" in reasons[2] and "fewer fields" in reasons[3]
    raw = dict(db.execute("select line_number, raw_content from audit.rejected_rows").fetchall())
    assert raw[2] == "2025-03-03,EUR,USD,1,08," and raw[3] == "2025-03-04,EUR,USD,1.09"


def test_a_key_repeated_in_one_file_keeps_the_last_line(db, landing):
    write(
        landing,
        GOOGLE.folder,
        "g.csv",
        f"{GOOGLE_HEADER}\n2025-03-04,111,EUR,1,Brand,1000,,,,\n2025-03-04,111,EUR,1,Brand,2000,,,,\n",
    )
    report = load(db, landing)
    assert (report.rows_loaded, report.rows_rejected) == (1, 1)
    assert db.execute("select metrics_cost_micros from raw.google_ads").fetchall() == [(2000,)]
    assert rejected(db) == [("g.csv", 2, "duplicate_key_in_file")]
    assert "(line 3)" in db.execute("select reason from audit.rejected_rows").fetchall()[0][0]


def test_second_load_of_the_same_files_changes_nothing(db, landing):
    write(landing, GOOGLE.folder, "g.csv", f"{GOOGLE_HEADER}\n2025-03-01,111,USD,1,Brand,1000,,,,\n")
    first = load(db, landing, load_id="load-1")
    second = load(db, landing, load_id="load-2")
    assert len(first.outcomes) == 1 and second.outcomes == []
    assert second.files_skipped == 1
    assert db.execute("select count(*) from raw.google_ads").fetchall() == [(1,)]
    assert db.execute("select count(*) from audit.load_files").fetchall() == [(1,)]


def test_same_content_under_another_name_is_recorded_but_not_loaded_again(db, landing):
    body = f"{GOOGLE_HEADER}\n2025-03-01,111,USD,1,Brand,1000,,,,\n"
    write(landing, GOOGLE.folder, "a.csv", body)
    write(landing, GOOGLE.folder, "copy of a.csv", body)
    report = load(db, landing)
    assert [outcome.status for outcome in report.outcomes] == [FILE_STATUS_LOADED, FILE_STATUS_DUPLICATE]
    assert db.execute("select count(*) from raw.google_ads").fetchall() == [(1,)]


def test_restated_file_is_loaded_beside_the_original(db, landing):
    write(landing, GOOGLE.folder, "g_2025-03.csv", f"{GOOGLE_HEADER}\n2025-03-01,111,USD,1,Brand,1000,,,,\n")
    write(landing, GOOGLE.folder, "g_2025-03_restated.csv", f"{GOOGLE_HEADER}\n2025-03-01,111,USD,1,Brand,900,,,,\n")
    load(db, landing)
    versions = db.execute("select _source_file, metrics_cost_micros from raw.google_ads order by 1").fetchall()
    assert versions == [("g_2025-03.csv", 1000), ("g_2025-03_restated.csv", 900)]


def test_missing_required_column_rejects_every_row_naming_file_and_column(db, landing):
    header = GOOGLE_HEADER.replace("metrics.cost_micros,", "")
    write(
        landing,
        GOOGLE.folder,
        "g.csv",
        f"{header}\n2025-03-01,111,USD,1,Brand,100,7,1.5,30\n2025-03-02,1,USD,1,B,1,1,1,1\n",
    )
    report = load(db, landing)
    (outcome,) = report.outcomes
    assert outcome.status == FILE_STATUS_REJECTED
    assert "metrics.cost_micros" in outcome.message
    assert (outcome.rows_read, outcome.rows_loaded, outcome.rows_rejected) == (2, 0, 2)
    assert rejected(db) == [("g.csv", 2, "missing_columns"), ("g.csv", 3, "missing_columns")]


def test_reordered_and_extra_columns_load_by_name(db, landing):
    write(
        landing,
        FX.folder,
        "fx.csv",
        "note,rate,to_currency,from_currency,rate_date\nhello,1.0825,USD,EUR,2025-03-03\n",
    )
    report = load(db, landing, spec=FX)
    assert report.rows_loaded == 1
    assert db.execute("select from_currency, to_currency, rate::double from raw.fx_rates").fetchall() == [
        ("EUR", "USD", 1.0825)
    ]


def test_empty_file_header_only_and_truncated_gzip(db, landing):
    write(landing, FX.folder, "a_empty.csv", "")
    write(landing, FX.folder, "b_header_only.csv", "rate_date,from_currency,to_currency,rate\n")
    full = gzip.compress(("rate_date,from_currency,to_currency,rate\n" + "2025-03-03,EUR,USD,1.08\n" * 5000).encode())
    path = landing / FX.folder / "c_truncated.csv.gz"
    path.write_bytes(full[: len(full) // 2])
    report = load(db, landing, spec=FX)
    statuses = {outcome.file_name: (outcome.status, outcome.message) for outcome in report.outcomes}
    assert statuses["a_empty.csv"][0] == FILE_STATUS_REJECTED and "empty" in statuses["a_empty.csv"][1]
    assert statuses["b_header_only.csv"] == (FILE_STATUS_LOADED, None)
    assert statuses["c_truncated.csv.gz"][0] == FILE_STATUS_REJECTED
    assert "unreadable" in statuses["c_truncated.csv.gz"][1]
    assert db.execute("select count(*) from raw.fx_rates").fetchall() == [(0,)]


def test_timestamps_need_an_offset_and_are_stored_as_instants(db, landing):
    header = "touchpoint_id,anonymous_id,customer_id,occurred_at,utm_source,utm_medium,utm_campaign,touch_type"
    write(
        landing,
        TOUCHPOINTS.folder,
        "t.csv",
        f"{header}\n"
        "t1,a1,,2025-03-01T14:05:00+01:00,google,cpc,brand,click\n"
        "t2,a1,,2025-03-01T14:05:00Z,,,,visit\n"
        "t3,a1,,2025-03-01T14:05:00,,,,visit\n"
        "t4,a1,,2025-03-01 99:00:00+00:00,,,,visit\n",
    )
    report = load(db, landing, spec=TOUCHPOINTS)
    assert (report.rows_loaded, report.rows_rejected) == (2, 2)
    instants = db.execute(
        "select touchpoint_id, strftime(occurred_at at time zone 'UTC', '%Y-%m-%d %H:%M') from raw.touchpoints "
        "order by 1"
    ).fetchall()
    assert instants == [("t1", "2025-03-01 13:05"), ("t2", "2025-03-01 14:05")]
    assert rejected(db) == [("t.csv", 4, "timestamp_without_offset"), ("t.csv", 5, "invalid_timestamp")]


def test_parquet_rows_are_validated_like_csv(db, landing, tmp_path):
    folder = landing / FX.folder
    folder.mkdir(parents=True)
    db.execute(
        "copy (select * from (values (date '2025-03-03', 'EUR', 'USD', 1.08), (date '2025-03-04', 'EUR', 'ZZZ', 1.09)) "
        "as t(rate_date, from_currency, to_currency, rate)) to '" + str(folder / "fx.parquet") + "' (format parquet)"
    )
    report = load(db, landing, spec=FX)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (2, 1, 1)
    assert rejected(db) == [("fx.parquet", 2, "unknown_currency")]


def test_bom_crlf_and_big_amounts(db, landing):
    text = "\ufeffrate_date,from_currency,to_currency,rate\r\n2025-03-03,EUR,USD,1.08\r\n2025-03-04,EUR,USD,1e18\r\n"
    write(landing, FX.folder, "fx.csv", text)
    report = load(db, landing, spec=FX)
    assert (report.rows_loaded, report.rows_rejected) == (1, 1)
    assert rejected(db) == [("fx.csv", 3, "amount_out_of_range")]


def test_discovery_orders_by_name_then_mtime_and_skips_partial_uploads(landing):
    write(landing, FX.folder, "b.csv", "x", mtime=1_000)
    write(landing, FX.folder, "a.csv", "x", mtime=2_000)
    write(landing, FX.folder, ".hidden.csv", "x")
    write(landing, FX.folder, "c.csv.part", "x")
    write(landing, FX.folder, "notes.txt", "x")
    assert [landing_file.name for landing_file in discover_files(landing / FX.folder)] == ["a.csv", "b.csv"]


# --------------------------------------------------------------------------- reading (issue 17)

FX_HEADER = "rate_date,from_currency,to_currency,rate"


def write_bytes(landing: Path, folder: str, name: str, content: bytes) -> Path:
    path = landing / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def counts(report) -> dict[str, tuple]:
    return {o.file_name: (o.status, o.rows_read, o.rows_loaded, o.rows_rejected) for o in report.outcomes}


def test_whole_numbers_written_as_floats_are_integers_and_fractions_are_rejected(db, landing):
    write(
        landing,
        GOOGLE.folder,
        "g.csv",
        f"{GOOGLE_HEADER}\n"
        "2025-03-01,111,USD,1,Brand,10132.0,7.0,1e0,,\n"
        "2025-03-02,111,USD,1,Brand,1.0132e4,70.000,0,,\n"
        "2025-03-03,111,USD,1,Brand,10132.5,7,1,,\n"
        "2025-03-04,111,USD,1,Brand,10132,7.25,1,,\n"
        "2025-03-05,111,USD,1,Brand,1234567890123456789.0,7,1,,\n",
    )
    report = load(db, landing)
    assert counts(report)["g.csv"] == (FILE_STATUS_LOADED, 5, 2, 3)
    rows = db.execute(
        "select segments_date::varchar, metrics_cost_micros, metrics_impressions, metrics_clicks "
        "from raw.google_ads order by 1"
    ).fetchall()
    assert rows == [("2025-03-01", 10132, 7, 1), ("2025-03-02", 10132, 70, 0)]
    assert rejected(db) == [
        ("g.csv", 4, "not_whole_number"),
        ("g.csv", 5, "not_whole_number"),
        ("g.csv", 6, "amount_out_of_range"),
    ]
    reasons = db.execute("select reason from audit.rejected_rows order by line_number").fetchall()
    assert reasons[0][0] == "metrics.cost_micros is not a whole number (got '10132.5')"
    assert reasons[1][0] == "metrics.impressions is not a whole number (got '7.25')"


@pytest.mark.parametrize("codec,bom", [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")])
def test_utf16_with_a_byte_order_mark_loads_and_keeps_physical_line_numbers(db, landing, codec, bom):
    text = f"{FX_HEADER}\r\n2025-03-03,EUR,USD,1.08\r\n2025-03-04,EUR,USD,abc\r\n2025-03-05,EUR,CHF,0.95\r\n"
    write_bytes(landing, FX.folder, "fx.csv", bom + text.encode(codec))
    report = load(db, landing, spec=FX)
    assert counts(report)["fx.csv"] == (FILE_STATUS_LOADED, 3, 2, 1)
    assert codec.upper() in report.outcomes[0].message
    assert rejected(db) == [("fx.csv", 3, "invalid_number")]
    assert db.execute("select raw_content from audit.rejected_rows").fetchall() == [("2025-03-04,EUR,USD,abc",)]


def test_utf16_without_a_byte_order_mark_is_rejected_with_every_line_counted(db, landing):
    text = f"{FX_HEADER}\n2025-03-03,EUR,USD,1.08\n2025-03-04,EUR,USD,1.09\n"
    write_bytes(landing, FX.folder, "fx.csv", text.encode("utf-16-le"))
    report = load(db, landing, spec=FX)
    (outcome,) = report.outcomes
    assert (outcome.status, outcome.rows_read, outcome.rows_loaded, outcome.rows_rejected) == (
        FILE_STATUS_REJECTED,
        2,
        0,
        2,
    )
    assert "UTF-16 without a byte order mark" in outcome.message and "re-export" in outcome.message
    assert rejected(db) == [("fx.csv", 2, "invalid_encoding"), ("fx.csv", 3, "invalid_encoding")]


def test_gzip_is_recognised_by_its_content_not_its_name(db, landing):
    write_bytes(
        landing, FX.folder, "a_gzip_named_csv.csv", gzip.compress(f"{FX_HEADER}\n2025-03-03,EUR,USD,1.08\n".encode())
    )
    write_bytes(landing, FX.folder, "b_plain_named_gz.csv.gz", f"{FX_HEADER}\n2025-03-04,EUR,USD,1.09\n".encode())
    report = load(db, landing, spec=FX)
    assert counts(report) == {
        "a_gzip_named_csv.csv": (FILE_STATUS_LOADED, 1, 1, 0),
        "b_plain_named_gz.csv.gz": (FILE_STATUS_LOADED, 1, 1, 0),
    }
    assert db.execute("select rate::double from raw.fx_rates order by rate_date").fetchall() == [(1.08,), (1.09,)]


def test_cr_only_line_endings_load_with_physical_line_numbers(db, landing):
    text = f"{FX_HEADER}\r2025-03-03,EUR,USD,1.08\r2025-03-04,EUR,USD,abc\r2025-03-05,EUR,USD,1.1\r"
    write_bytes(landing, FX.folder, "fx.csv", text.encode())
    report = load(db, landing, spec=FX)
    assert counts(report)["fx.csv"] == (FILE_STATUS_LOADED, 3, 2, 1)
    assert rejected(db) == [("fx.csv", 3, "invalid_number")]


@pytest.mark.parametrize("separator", [",", ";", "\t", "|"])
def test_excel_separator_line_is_skipped_and_line_numbers_stay_physical(db, landing, separator):
    rows = ["2025-03-03,EUR,USD,1.08", "2025-03-04,EUR,USD,abc", '2025-03-05,"EUR,USD,1.1', "2025-03-06,EUR,USD,1.2"]
    text = f"sep={separator}\n" + "\n".join(line.replace(",", separator) for line in [FX_HEADER, *rows]) + "\n"
    write_bytes(landing, FX.folder, "fx.csv", text.encode())
    report = load(db, landing, spec=FX)
    # line 1 sep=, line 2 header, 3 good, 4 bad number, 5 an unterminated quote swallowing line 6
    assert counts(report)["fx.csv"] == (FILE_STATUS_LOADED, 3, 1, 2)
    assert rejected(db) == [("fx.csv", 4, "invalid_number"), ("fx.csv", 5, "malformed_row")]
    assert f"sep={separator}" in report.outcomes[0].message


def test_semicolon_header_without_a_separator_line_says_what_to_do(db, landing):
    write(landing, FX.folder, "fx.csv", "rate_date;from_currency;to_currency;rate\n2025-03-03;EUR;USD;1,08\n")
    (outcome,) = load(db, landing, spec=FX).outcomes
    assert outcome.status == FILE_STATUS_REJECTED
    assert "re-export with ',' as the separator" in outcome.message


def test_a_file_rejected_whole_counts_its_physical_records(db, landing):
    # binary garbage: 3 newline bytes, the last record has no newline -> header line + 3 records
    write_bytes(landing, FX.folder, "a_garbage.csv", b"\x00\x01\xff\xfe\x80\n\x9c\x00\n\x00\x00abc\\x0A\n\x07\x08")
    full = gzip.compress((f"{FX_HEADER}\n" + "2025-03-03,EUR,USD,1.08\n" * 20000).encode(), mtime=0)
    write_bytes(landing, FX.folder, "b_cut.csv.gz", full[: len(full) // 2])
    readable = __import__("zlib").decompressobj(31).decompress(full[: len(full) // 2])
    readable_records = readable.count(b"\n") - 1 + (0 if readable.endswith(b"\n") else 1)
    report = load(db, landing, spec=FX)
    got = counts(report)
    assert got["a_garbage.csv"] == (FILE_STATUS_REJECTED, 3, 0, 3)
    assert got["b_cut.csv.gz"] == (FILE_STATUS_REJECTED, readable_records, 0, readable_records)
    assert 0 < readable_records < 20000
    messages = {o.file_name: o.message for o in report.outcomes}
    assert "binary content" in messages["a_garbage.csv"]
    assert f"only its first {readable_records} record(s)" in messages["b_cut.csv.gz"]
    garbage = db.execute(
        "select line_number, reason_code, raw_content from audit.rejected_rows where file_name = 'a_garbage.csv' "
        "order by 1"
    ).fetchall()
    assert garbage == [
        (2, "unreadable_file", "\\x9C\\x00"),
        (3, "unreadable_file", "\\x00\\x00abc\\x5Cx0A"),
        (4, "unreadable_file", "\x07\x08"),  # valid UTF-8 (control characters): kept as text
    ]
    balance = db.execute(
        "select count(*) from audit.load_files as f where rows_read != rows_loaded + rows_rejected "
        "or rows_rejected != (select count(*) from audit.rejected_rows as r where r.file_hash = f.file_hash)"
    ).fetchall()
    assert balance == [(0,)]


def test_rejected_raw_content_is_capped_with_its_original_length(db, landing):
    long_name = "x" * 5000
    write(landing, GOOGLE.folder, "g.csv", f"{GOOGLE_HEADER}\n2025-03-03,111,USD,1,{long_name},1000,,,,\n")
    ingest_source(db, GOOGLE, landing, IngestionSettings(max_raw_content_chars=100), load_id="load-1")
    (raw_content,) = db.execute("select raw_content from audit.rejected_rows").fetchone()
    original = f"2025-03-03,111,USD,1,{long_name},1000,,,,"
    assert raw_content == original[:100] + f" … [truncated: {len(original)} characters]"


def test_parquet_columns_are_coerced_when_lossless_and_named_with_their_type_when_not(db, landing):
    import numpy as np
    import pandas as pd

    folder = landing / GOOGLE.folder
    folder.mkdir(parents=True)
    frame = pd.DataFrame(
        {
            "segments.date": pd.to_datetime(
                ["2025-03-01", "2025-03-02", "2025-03-03", "2025-03-04 10:30"], format="ISO8601"
            ),
            "customer.id": ["111"] * 4,
            "customer.currency_code": ["USD"] * 4,
            "campaign.id": ["1", "2", "3", "4"],
            "campaign.name": ["Brand"] * 4,
            "metrics.cost_micros": [10132000000.0, 2.5e6, 3e6, 4e6],  # float64, as pandas writes it
            "metrics.impressions": np.array([100, 200, 300, 400], dtype="int32"),
            "metrics.clicks": [7.0, 8.0, 9.5, 1.0],
            "metrics.conversions": [1.5, 0.0, 0.0, 0.0],
            "metrics.conversions_value": [30.25, 0.0, 0.0, 0.0],
        }
    )
    frame.to_parquet(folder / "g.parquet")
    report = load(db, landing)
    assert counts(report)["g.parquet"] == (FILE_STATUS_LOADED, 4, 2, 2)
    rows = db.execute(
        "select segments_date::varchar, campaign_id, metrics_cost_micros, metrics_impressions, metrics_clicks "
        "from raw.google_ads order by 1"
    ).fetchall()
    assert rows == [("2025-03-01", "1", 10132000000, 100, 7), ("2025-03-02", "2", 2500000, 200, 8)]
    reasons = db.execute("select line_number, reason_code, reason from audit.rejected_rows order by 1").fetchall()
    assert reasons == [
        (
            3,
            "not_whole_number",
            "metrics.clicks is not a whole number (got '9.5') (Parquet column metrics.clicks is DOUBLE)",
        ),
        (
            4,
            "invalid_date",
            "segments.date is not a YYYY-MM-DD date (got '2025-03-04 10:30:00') "
            "(Parquet column segments.date is TIMESTAMP)",
        ),
    ]


def test_parquet_timestamps_with_a_time_zone_load_as_instants(db, landing):
    import pandas as pd

    folder = landing / TOUCHPOINTS.folder
    folder.mkdir(parents=True)
    pd.DataFrame(
        {
            "touchpoint_id": ["t1"],
            "anonymous_id": ["a1"],
            "customer_id": [None],
            "occurred_at": pd.to_datetime(["2025-03-01 14:05"]).tz_localize("Europe/Paris"),
            "utm_source": ["google"],
            "utm_medium": ["cpc"],
            "utm_campaign": ["brand"],
            "touch_type": ["click"],
        }
    ).to_parquet(folder / "t.parquet")
    report = load(db, landing, spec=TOUCHPOINTS)
    assert counts(report)["t.parquet"] == (FILE_STATUS_LOADED, 1, 1, 0)
    instant = db.execute("select strftime(occurred_at at time zone 'UTC', '%Y-%m-%d %H:%M') from raw.touchpoints")
    assert instant.fetchall() == [("2025-03-01 13:05",)]


def test_a_rejected_line_of_a_semicolon_file_keeps_its_own_separator(db, landing):
    text = f"sep=;\n{FX_HEADER.replace(',', ';')}\n2025-03-03;EUR;USD;1,08\n"
    write_bytes(landing, FX.folder, "fx.csv", text.encode())
    load(db, landing, spec=FX)
    assert db.execute("select raw_content from audit.rejected_rows").fetchall() == [
        ("2025-03-03;EUR;USD;1,08",)
    ]  # as written


@pytest.mark.parametrize(
    "content",
    [
        b"h\nr1\nr2\n",
        b"h\nr1\nr2",
        b"h\r\nr1\r\n\r\nr3\r\n",
        b"only a header",
        b"h\n",
        f"{FX_HEADER}\n2025-03-03,EUR,USD,1.08\n".encode("utf-16-le"),
        b"\x00\x01\n\x9c\n\n\x07",
    ],
)
def test_records_counted_from_newline_bytes_match_the_records_split_in_duckdb(db, tmp_path, content):
    from orchestration.lib.ingest import Reason, RejectedFile

    path = tmp_path / "f.csv"
    path.write_bytes(content)
    landing_file = discover_files(tmp_path)[0]
    split = RejectedFile(0, landing_file, "h", Reason.UNREADABLE_FILE, "m").stage_physical_records(db, path)
    counted = RejectedFile(1, landing_file, "h", Reason.UNREADABLE_FILE, "m").stage_counted_records(db, path)
    assert split == counted
    lines = db.execute("select count(*), min(line_number), max(line_number) from _rejected_file_1").fetchone()
    assert lines == (counted, 2 if counted else None, counted + 1 if counted else None)
