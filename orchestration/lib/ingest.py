"""Landing zone -> ``raw`` tables, with every file and every rejected row audited.

The work happens inside DuckDB: each file is read once by DuckDB's own CSV or
Parquet reader (all columns as text), validated and typed by one generated SQL
statement per source, and written in a single transaction together with its
rejected rows and its ``audit.load_files`` record. A crash before the commit
leaves no trace, so a file is never half-loaded or marked loaded when it was not.

Guarantees, per file:
- rows read = rows loaded + rows rejected (``audit.load_files``);
- every rejected row is in ``audit.rejected_rows`` with its line and reason;
- a file whose bytes were loaded before (under any name) is not loaded again;
- within a file, a natural key repeated on a later line supersedes the earlier
  line (which is rejected as ``duplicate_key_in_file``); across files, the
  staging models keep the latest file's version (name, then mtime).

SQL text is built only from the source specs (constants in ``sources.py``);
file paths and every other value travel as bound parameters.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import duckdb

from orchestration.lib.settings import DBT_PROJECT_DIR, IngestionSettings
from orchestration.lib.sources import LINEAGE_COLUMNS, Column, Kind, SourceSpec

log = logging.getLogger(__name__)

LANDING_SUFFIXES = (".csv", ".csv.gz", ".parquet")
CURRENCY_SEED = DBT_PROJECT_DIR / "seeds" / "iso_currencies.csv"


class Reason(StrEnum):
    """Why a row or a file was rejected. The value is the ``reason_code``."""

    MALFORMED_ROW = "malformed_row"
    INVALID_ENCODING = "invalid_encoding"
    MISSING_KEY = "missing_key"
    MISSING_VALUE = "missing_value"
    VALUE_TOO_LONG = "value_too_long"
    INVALID_FORMAT = "invalid_format"
    INVALID_DATE = "invalid_date"
    INVALID_TIMESTAMP = "invalid_timestamp"
    TIMESTAMP_WITHOUT_OFFSET = "timestamp_without_offset"
    DATE_OUT_OF_RANGE = "date_out_of_range"
    INVALID_PERIOD = "invalid_period"
    UNKNOWN_CURRENCY = "unknown_currency"
    INVALID_NUMBER = "invalid_number"
    NEGATIVE_AMOUNT = "negative_amount"
    NON_POSITIVE_RATE = "non_positive_rate"
    AMOUNT_OUT_OF_RANGE = "amount_out_of_range"
    DUPLICATE_KEY_IN_FILE = "duplicate_key_in_file"
    # file-level: every row of the file is rejected with this reason
    MISSING_COLUMNS = "missing_columns"


REASON_TEXT: dict[Reason, str] = {
    Reason.MALFORMED_ROW: "is not a well-formed CSV record",
    Reason.INVALID_ENCODING: "is not valid UTF-8",
    Reason.MISSING_KEY: "is empty but is part of the natural key",
    Reason.MISSING_VALUE: "is empty but required",
    Reason.VALUE_TOO_LONG: "is longer than the maximum text length",
    Reason.INVALID_FORMAT: "does not have the expected format",
    Reason.INVALID_DATE: "is not a YYYY-MM-DD date",
    Reason.INVALID_TIMESTAMP: "is not an ISO 8601 timestamp",
    Reason.TIMESTAMP_WITHOUT_OFFSET: "has no UTC offset (expected Z or +hh:mm)",
    Reason.DATE_OUT_OF_RANGE: "is outside the accepted date range",
    Reason.INVALID_PERIOD: "is not a YYYY-MM period",
    Reason.UNKNOWN_CURRENCY: "is not an ISO 4217 currency code",
    Reason.INVALID_NUMBER: "is not a number ('.' decimal point, no thousands separators)",
    Reason.NEGATIVE_AMOUNT: "is negative",
    Reason.NON_POSITIVE_RATE: "is not a positive rate",
    Reason.AMOUNT_OUT_OF_RANGE: "is implausibly large",
    Reason.DUPLICATE_KEY_IN_FILE: "repeats a natural key that a later line of the same file restates",
    Reason.MISSING_COLUMNS: "file lacks required column(s)",
}

FILE_STATUS_LOADED = "loaded"
FILE_STATUS_REJECTED = "rejected"
FILE_STATUS_DUPLICATE = "duplicate_content"

# Patterns the text must fully match before it is cast.
DATE_PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
TIMESTAMP_PATTERN = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?"
    r"(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)"
)
TIMESTAMP_NO_OFFSET_PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?)?"
PERIOD_PATTERN = r"[0-9]{4}-(0[1-9]|1[0-2])"
DECIMAL_PATTERN = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"
INTEGER_PATTERN = r"[+-]?[0-9]+"
MAX_RATE = 1e7


@dataclass(frozen=True)
class LandingFile:
    """A file found in a source folder."""

    path: Path
    name: str  # relative to the source folder, '/'-separated
    size_bytes: int
    modified_at: datetime

    @property
    def is_parquet(self) -> bool:
        return self.name.lower().endswith(".parquet")


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one file in one load."""

    source: str
    file_name: str
    file_hash: str
    status: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    message: str | None = None
    rejected_samples: tuple[str, ...] = ()

    @property
    def is_new(self) -> bool:
        return self.status in (FILE_STATUS_LOADED, FILE_STATUS_REJECTED)


@dataclass
class SourceLoadReport:
    """The outcome of loading one source folder."""

    source: str
    files_found: int = 0
    outcomes: list[FileOutcome] = field(default_factory=list)
    raw_row_count: int = 0

    @property
    def rows_read(self) -> int:
        return sum(outcome.rows_read for outcome in self.outcomes)

    @property
    def rows_loaded(self) -> int:
        return sum(outcome.rows_loaded for outcome in self.outcomes)

    @property
    def rows_rejected(self) -> int:
        return sum(outcome.rows_rejected for outcome in self.outcomes)

    @property
    def files_skipped(self) -> int:
        return self.files_found - len(self.outcomes)

    def files_with(self, status: str) -> list[FileOutcome]:
        return [outcome for outcome in self.outcomes if outcome.status == status]


class LandingError(Exception):
    """A problem with the landing zone itself (not with a file's content)."""


# --------------------------------------------------------------------------- files


def discover_files(folder: Path) -> list[LandingFile]:
    """Landing files under ``folder``, oldest first: by relative name, then mtime.

    Hidden files and partial uploads (names starting with '.' or '_', or ending
    in ``.tmp``/``.part``) are ignored until they are renamed.
    """
    if not folder.exists():
        return []
    if not folder.is_dir():
        raise LandingError(f"{folder} should be a folder of landing files")
    files: list[LandingFile] = []
    for path in folder.rglob("*"):
        relative = path.relative_to(folder)
        if any(part.startswith((".", "_")) for part in relative.parts):
            continue
        if not path.is_file() or not path.name.lower().endswith(LANDING_SUFFIXES):
            continue
        stat = path.stat()
        files.append(
            LandingFile(
                path=path,
                name=relative.as_posix(),
                size_bytes=stat.st_size,
                modified_at=datetime.fromtimestamp(stat.st_mtime, tz=UTC).replace(tzinfo=None),
            )
        )
    return sorted(files, key=lambda landing_file: (landing_file.name, landing_file.modified_at))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --------------------------------------------------------------------------- SQL building


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def raw_table_ddl(spec: SourceSpec) -> str:
    columns = [f"{quote_identifier(column.name)} {column.duckdb_type}" for column in spec.columns]
    columns += [f"{name} {sql_type}" for name, sql_type in LINEAGE_COLUMNS]
    return f"create table if not exists raw.{quote_identifier(spec.table)} ({', '.join(columns)})"


def _full_match(expression: str, pattern: str) -> str:
    return f"regexp_full_match({expression}, {quote_literal(pattern)})"


@dataclass(frozen=True)
class ColumnRules:
    """How one column is typed and judged.

    ``valid`` is a cheap predicate true for a good non-empty value; only rows
    failing it are classified by the ordered ``failures`` (condition, reason),
    so the common case never pays for the detailed regular expressions.
    ``fallback`` names the reason when no failure condition matches.
    """

    typed: str
    valid: str
    failures: tuple[tuple[str, Reason], ...]
    fallback: Reason


def column_rules(column: Column, value: str, settings: IngestionSettings) -> ColumnRules:
    """Typing and validation of one column; ``value`` is the SQL of its trimmed text."""
    max_amount = repr(float(settings.max_abs_amount))
    date_range = (
        f"between cast({quote_literal(settings.min_date)} as date) and cast({quote_literal(settings.max_date)} as date)"
    )
    too_long = (f"length({value}) > {settings.max_text_length}", Reason.VALUE_TOO_LONG)
    short_enough = f"length({value}) <= {settings.max_text_length}"
    iso_date_shape = f"substr({value}, 5, 1) = '-' and substr({value}, 8, 1) = '-'"
    kind = column.kind
    if kind is Kind.TEXT:
        rules = ColumnRules(value, short_enough, (too_long,), Reason.VALUE_TOO_LONG)
    elif kind is Kind.DATE:
        typed = f"try_cast({value} as date)"
        rules = ColumnRules(
            typed,
            f"length({value}) = 10 and {iso_date_shape} and {typed} {date_range}",
            (
                too_long,
                (f"not {_full_match(value, DATE_PATTERN)} or {typed} is null", Reason.INVALID_DATE),
                (f"{typed} not {date_range}", Reason.DATE_OUT_OF_RANGE),
            ),
            Reason.INVALID_DATE,
        )
    elif kind is Kind.TIMESTAMP:
        typed = f"try_cast({value} as timestamptz)"
        has_offset = (
            f"(right({value}, 1) in ('Z', 'z') or substr({value}, -6, 1) in ('+', '-') "
            f"or substr({value}, -5, 1) in ('+', '-') or substr({value}, -3, 1) in ('+', '-'))"
        )
        rules = ColumnRules(
            typed,
            f"{typed} is not null and length({value}) between 16 and 40 and {iso_date_shape} "
            f"and substr({value}, 11, 1) in ('T', ' ') and {has_offset} and cast({typed} as date) {date_range}",
            (
                too_long,
                (_full_match(value, TIMESTAMP_NO_OFFSET_PATTERN), Reason.TIMESTAMP_WITHOUT_OFFSET),
                (f"not {_full_match(value, TIMESTAMP_PATTERN)} or {typed} is null", Reason.INVALID_TIMESTAMP),
                (f"cast({typed} as date) not {date_range}", Reason.DATE_OUT_OF_RANGE),
            ),
            Reason.INVALID_TIMESTAMP,
        )
    elif kind is Kind.PERIOD:
        rules = ColumnRules(value, _full_match(value, PERIOD_PATTERN), (too_long,), Reason.INVALID_PERIOD)
    elif kind is Kind.CURRENCY:
        typed = f"upper({value})"
        rules = ColumnRules(
            typed, f"{typed} in (select currency_code from _iso_currencies)", (too_long,), Reason.UNKNOWN_CURRENCY
        )
    elif kind in (Kind.AMOUNT, Kind.NON_NEGATIVE_AMOUNT, Kind.RATE):
        typed = f"try_cast({value} as {column.duckdb_type})"
        as_double = f"try_cast({value} as double)"
        limit = repr(MAX_RATE) if kind is Kind.RATE else max_amount
        sign = {Kind.NON_NEGATIVE_AMOUNT: f" and {typed} >= 0", Kind.RATE: f" and {typed} > 0"}.get(kind, "")
        failures = [
            too_long,
            (f"not {_full_match(value, DECIMAL_PATTERN)} or {as_double} is null", Reason.INVALID_NUMBER),
            (f"abs({as_double}) > {limit} or {typed} is null", Reason.AMOUNT_OUT_OF_RANGE),
            (f"{typed} < 0", Reason.NEGATIVE_AMOUNT),
        ]
        rules = ColumnRules(
            typed,
            f"{_full_match(value, DECIMAL_PATTERN)} and {typed} is not null and abs({typed}) <= {limit}{sign}",
            tuple(failures),
            Reason.NON_POSITIVE_RATE if kind is Kind.RATE else Reason.INVALID_NUMBER,
        )
    elif kind in (Kind.COUNT, Kind.MICROS):
        typed = f"try_cast({value} as bigint)"
        limit = f"{max_amount} * 1e6" if kind is Kind.MICROS else "9e18"
        rules = ColumnRules(
            typed,
            f"{_full_match(value, INTEGER_PATTERN)} and {typed} >= 0 and {typed} <= {limit}",
            (
                too_long,
                (f"not {_full_match(value, INTEGER_PATTERN)}", Reason.INVALID_NUMBER),
                (f"{typed} is null or abs(try_cast({value} as double)) > {limit}", Reason.AMOUNT_OUT_OF_RANGE),
                (f"{typed} < 0", Reason.NEGATIVE_AMOUNT),
            ),
            Reason.INVALID_NUMBER,
        )
    else:  # pragma: no cover - the enum is exhaustive
        raise AssertionError(kind)
    if column.pattern:
        rules = ColumnRules(
            rules.typed,
            f"{rules.valid} and {_full_match(value, column.pattern)}",
            (*rules.failures, (f"not {_full_match(value, column.pattern)}", Reason.INVALID_FORMAT)),
            Reason.INVALID_FORMAT,
        )
    return rules


def _error_code_sql(column: Column, value: str, rules: ColumnRules, is_key: bool) -> str:
    """NULL for a good value, else the reason code of the first rule it breaks."""
    missing = Reason.MISSING_KEY if is_key else Reason.MISSING_VALUE
    on_empty = quote_literal(missing.value) if column.not_null else "null"
    classify = " ".join(f"when {condition} then {quote_literal(reason.value)}" for condition, reason in rules.failures)
    return (
        f"case when {value} is null then {on_empty} when {rules.valid} then null "
        f"else case {classify} else {quote_literal(rules.fallback.value)} end end"
    )


def _reason_text_sql(code_expression: str) -> str:
    branches = " ".join(
        f"when {quote_literal(reason.value)} then {quote_literal(text)}" for reason, text in REASON_TEXT.items()
    )
    return f"case {code_expression} {branches} end"


def _trimmed_sql(expression: str) -> str:
    """Empty -> NULL; surrounding blanks removed (checked first: trimming every value is slow)."""
    blank_edge = " or ".join(
        f"{test}({expression}, {blank})" for test in ("starts_with", "ends_with") for blank in ("' '", "chr(9)")
    )
    return f"nullif(case when {blank_edge} then trim({expression}, ' ' || chr(9)) else {expression} end, '')"


def validation_sql(spec: SourceSpec, positions: dict[str, int], settings: IngestionSettings) -> str:
    """One SELECT over the staged file (``_stage``) that types and judges every spec column.

    Output: ``_record_no``, ``_line_number``, one typed column per spec column
    (named as in the raw table), ``_reason_code``, ``_column_name`` and
    ``_reason`` (all three NULL for a valid row).
    """
    trimmed, typed, codes = [], [], []
    for index, column in enumerate(spec.columns):
        value = f"_v{index}"
        position = positions.get(column.header.lower())
        trimmed.append(
            f"{_trimmed_sql(f'_stage.c{position}')} as {value}"
            if position is not None
            else f"cast(null as varchar) as {value}"
        )
        rules = column_rules(column, value, settings)
        typed.append(f"{rules.typed} as {quote_identifier(column.name)}")
        codes.append(f"{_error_code_sql(column, value, rules, column.header in spec.natural_key)} as _e{index}")

    indexes = range(len(spec.columns))
    apostrophe = quote_literal("'")
    first_code = "coalesce(" + ", ".join(f"_e{index}" for index in indexes) + ")"
    first_column = (
        "case "
        + " ".join(
            f"when _e{index} is not null then {quote_literal(column.header)}"
            for index, column in enumerate(spec.columns)
        )
        + " end"
    )
    messages = ", ".join(
        f"case when _e{index} is not null then {quote_literal(column.header + ' ')} || {_reason_text_sql(f'_e{index}')}"
        f" || ' (got ' || coalesce({apostrophe} || left(_v{index}, 100) || {apostrophe}, 'an empty value') || ')' end"
        for index, column in enumerate(spec.columns)
    )
    typed_names = ", ".join(quote_identifier(column.name) for column in spec.columns)
    return f"""
        with trimmed as (
            select _record_no, _line_number, {", ".join(trimmed)}
            from _stage
        ),
        checked as (
            select *, {", ".join(typed)}, {", ".join(codes)}
            from trimmed
        )
        select _record_no, _line_number, {typed_names},
            {first_code} as _reason_code,
            {first_column} as _column_name,
            case when {first_code} is not null then concat_ws('; ', {messages}) end as _reason
        from checked
    """


def load_currency_codes(connection: duckdb.DuckDBPyConnection, seed: Path = CURRENCY_SEED) -> None:
    """Put the ISO 4217 codes (the dbt seed, one source of truth) in ``_iso_currencies``."""
    if not seed.exists():
        raise LandingError(f"currency list {seed} is missing")
    connection.execute(
        "create or replace temp table _iso_currencies as "
        "select upper(trim(currency_code)) as currency_code from read_csv(?, header = true, all_varchar = true)",
        [str(seed)],
    )


def _header(connection: duckdb.DuckDBPyConnection, landing_file: LandingFile) -> list[str]:
    """The file's column names, in file order (a UTF-8 BOM is dropped)."""
    if landing_file.is_parquet:
        rows = connection.execute("describe select * from read_parquet(?)", [str(landing_file.path)]).fetchall()
        return [row[0] for row in rows]
    opener = gzip.open if landing_file.name.lower().endswith(".gz") else open
    with opener(landing_file.path, "rt", encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle), None)
    if not header:
        raise LandingError("empty file: no header row")
    return header


def column_positions(header: list[str]) -> dict[str, int]:
    """Lower-cased, trimmed column name -> position; the first of duplicate names wins."""
    positions: dict[str, int] = {}
    for position, name in enumerate(header):
        positions.setdefault(name.strip().lower(), position)
    return positions


def _positional_names(count: int) -> str:
    return ", ".join(f"c{position}" for position in range(count))


def _stage_file(connection: duckdb.DuckDBPyConnection, landing_file: LandingFile, width: int) -> tuple[int, int]:
    """Expose the file as the temp view ``_stage``: text columns ``c0..c<width-1>`` with line numbers.

    Columns are addressed by position, so no name taken from a file ever
    appears in SQL text. Returns (records staged, records the reader
    rejected); reader rejects go to ``_reader_rejects``.
    """
    connection.execute("drop view if exists _stage")
    for table in ("_staged_raw", "_stage_numbered", "_rejects", "_reject_scans", "_reader_rejects", "_reject_lines"):
        connection.execute(f"drop table if exists {table}")
    path = str(landing_file.path)
    names = _positional_names(width)
    if landing_file.is_parquet:
        connection.execute(
            "create temp table _staged_raw as select row_number() over () as _record_no, "
            f"columns(*)::varchar from read_parquet(?) as _file({names})",
            [path],
        )
        connection.execute(
            "create temp table _reader_rejects (line_number bigint, reason_code varchar, reason varchar, "
            "raw_content varchar)"
        )
        _stage_with_simple_line_numbers(connection, names, header_lines=0)
    else:
        columns = "{" + ", ".join(f"'c{position}': 'VARCHAR'" for position in range(width)) + "}"
        connection.execute(
            "create temp table _staged_raw as select row_number() over () as _record_no, * "
            f"from read_csv(?, header = true, auto_detect = false, columns = {columns}, delim = ',', "
            "quote = '\"', escape = '\"', strict_mode = true, store_rejects = true, "
            "rejects_table = '_rejects', rejects_scan = '_reject_scans')",
            [path],
        )
        has_newlines = " or ".join(f"contains(c{position}, chr(10))" for position in range(width))
        if _scalar(connection, "select count(*) from _rejects") or _scalar(
            connection, f"select count(*) from _staged_raw where {has_newlines}"
        ):
            _number_csv_lines(connection, names)
        else:
            connection.execute(
                "create temp table _reader_rejects (line_number bigint, reason_code varchar, reason varchar, "
                "raw_content varchar)"
            )
            _stage_with_simple_line_numbers(connection, names, header_lines=1)
    staged = _scalar(connection, "select count(*) from _staged_raw")
    rejected = _scalar(connection, "select count(*) from _reader_rejects")
    return staged, rejected


def _stage_with_simple_line_numbers(connection: duckdb.DuckDBPyConnection, names: str, header_lines: int) -> None:
    """Record n is on line n + header_lines: no rejected records or quoted newlines shift it."""
    connection.execute(
        f"create temp view _stage as select _record_no, _record_no + {header_lines} as _line_number, {names} "
        "from _staged_raw"
    )


def _scalar(connection: duckdb.DuckDBPyConnection, sql: str, parameters: list | None = None):
    rows = connection.execute(sql, parameters or []).fetchall()
    return rows[0][0] if rows else None


def _number_csv_lines(connection: duckdb.DuckDBPyConnection, names: str) -> None:
    """Give staged CSV records and reader rejects their physical line numbers.

    DuckDB numbers the records it rejects by record (header = line 1) and
    leaves them out of its output. So an accepted record's *record line* is
    its position plus the rejects before it, and its physical line adds the
    quoted newlines of the records before it.
    """
    connection.execute(
        """
        create temp table _reject_lines as
        select line as record_line,
            min(error_type) as error_type,
            min(error_message) as error_message,
            min(csv_line) as csv_line,
            line - row_number() over (order by line) + 1 as insert_position
        from _rejects
        group by line
        """
    )
    connection.execute(
        f"""
        create temp table _stage_numbered as
        with counted as (
            select _record_no,
                length(_all) - length(replace(_all, chr(10), '')) as _newlines
            from (select _record_no, concat_ws('', {names}) as _all from _staged_raw)
        ),
        reject_positions as (
            select insert_position, count(*) over (order by insert_position) as rejects_before
            from _reject_lines
        ),
        positioned as (
            select counted._record_no, counted._newlines,
                1 + counted._record_no + coalesce(reject_positions.rejects_before, 0) as _record_line,
                sum(counted._newlines) over (order by counted._record_no) as _newlines_through
            from counted
            asof left join reject_positions on counted._record_no + 1 >= reject_positions.insert_position
        )
        select _record_no, _record_line, _newlines_through,
            _record_line + _newlines_through - _newlines as _line_number
        from positioned
        """
    )
    connection.execute(
        f"create temp view _stage as select _record_no, _stage_numbered._line_number, {names} "
        "from _staged_raw join _stage_numbered using (_record_no)"
    )
    connection.execute(
        f"""
        create temp table _reader_rejects as
        select _reject_lines.record_line + coalesce(preceding._newlines_through, 0) as line_number,
            case when _reject_lines.error_type = 'INVALID ENCODING'
                then {quote_literal(Reason.INVALID_ENCODING.value)}
                else {quote_literal(Reason.MALFORMED_ROW.value)} end as reason_code,
            'the record ' || case when _reject_lines.error_type = 'INVALID ENCODING'
                then {quote_literal(REASON_TEXT[Reason.INVALID_ENCODING])}
                else {quote_literal(REASON_TEXT[Reason.MALFORMED_ROW])} end
                || ' (' || _reject_lines.error_message || ')' as reason,
            _reject_lines.csv_line as raw_content
        from _reject_lines
        asof left join _stage_numbered as preceding on _reject_lines.record_line > preceding._record_line
        """
    )


def _raw_records_sql(width: int, selection: str) -> str:
    """Staged records ``_record_no in (selection)`` rendered back as CSV lines: ``(_record_no, raw_content)``."""
    quote = "'\"'"
    rendered = (
        f"array_to_string(list_transform(_fields, lambda x: case when x is null then '' "
        f"when regexp_matches(x, '[,\"\\n\\r]') then {quote} || replace(x, {quote}, {quote} || {quote}) || {quote} "
        f"else x end), ',')"
    )
    return (
        f"(select _record_no, {rendered} as raw_content from (select _record_no, "
        f"list_value({_positional_names(width)}) as _fields from _staged_raw where _record_no in ({selection})))"
    )


def _existing_record(connection: duckdb.DuckDBPyConnection, source: str, file_hash: str) -> tuple[str, str] | None:
    rows = connection.execute(
        "select file_name, status from audit.load_files where source = ? and file_hash = ? "
        "and status in (?, ?) order by loaded_at limit 1",
        [source, file_hash, FILE_STATUS_LOADED, FILE_STATUS_REJECTED],
    ).fetchall()
    return rows[0] if rows else None


def _seen_before(connection: duckdb.DuckDBPyConnection, source: str, file_name: str, file_hash: str) -> bool:
    return (
        _scalar(
            connection,
            "select count(*) from audit.load_files where source = ? and file_name = ? and file_hash = ?",
            [source, file_name, file_hash],
        )
        > 0
    )


def _record_file(
    connection: duckdb.DuckDBPyConnection,
    outcome: FileOutcome,
    landing_file: LandingFile,
    load_id: str,
    loaded_at: datetime,
) -> None:
    connection.execute(
        "insert into audit.load_files values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            load_id,
            outcome.source,
            outcome.file_name,
            outcome.file_hash,
            landing_file.size_bytes,
            landing_file.modified_at,
            outcome.status,
            outcome.rows_read,
            outcome.rows_loaded,
            outcome.rows_rejected,
            outcome.message,
            loaded_at,
        ],
    )


def _rejected_samples(connection: duckdb.DuckDBPyConnection, file_name: str, file_hash: str) -> tuple[str, ...]:
    rows = connection.execute(
        "select line_number, reason from audit.rejected_rows where file_name = ? and file_hash = ? "
        "order by line_number nulls first limit 20",
        [file_name, file_hash],
    ).fetchall()
    return tuple(f"{file_name}:{line if line is not None else '?'}: {reason}" for line, reason in rows)


@dataclass
class FileLoad:
    """Loading one landing file of one source in one load (``load_id``)."""

    connection: duckdb.DuckDBPyConnection
    spec: SourceSpec
    landing_file: LandingFile
    settings: IngestionSettings
    load_id: str
    loaded_at: datetime
    file_hash: str = ""
    width: int = 0  # columns in the file's header

    def run(self) -> FileOutcome | None:
        """Load the file atomically; ``None`` when this exact file (name and content) was seen before."""
        self.file_hash = file_sha256(self.landing_file.path)
        if _seen_before(self.connection, self.spec.name, self.landing_file.name, self.file_hash):
            return None
        previous = _existing_record(self.connection, self.spec.name, self.file_hash)
        if previous is not None:
            message = f"same content as {previous[0]} ({previous[1]}), not loaded again"
            return self._record(self._outcome(FILE_STATUS_DUPLICATE, message=message))
        if self.landing_file.size_bytes == 0:
            return self._reject_file("empty file: no header row")
        try:
            header = _header(self.connection, self.landing_file)
            staged, reader_rejected = _stage_file(self.connection, self.landing_file, len(header))
        except LandingError as error:
            return self._reject_file(str(error))
        except (duckdb.Error, OSError, EOFError, UnicodeDecodeError, csv.Error) as error:
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            return self._reject_file(f"unreadable file: {reason}")
        self.width = len(header)
        positions = column_positions(header)
        missing = [c.header for c in self.spec.columns if c.required and c.header.lower() not in positions]
        if missing:
            return self._reject_all_rows(missing, staged + reader_rejected)
        return self._load_rows(positions, staged + reader_rejected)

    # -- outcomes ----------------------------------------------------------------

    def _outcome(self, status: str, **fields) -> FileOutcome:
        return FileOutcome(
            source=self.spec.name, file_name=self.landing_file.name, file_hash=self.file_hash, status=status, **fields
        )

    def _record(self, outcome: FileOutcome, work=None) -> FileOutcome:
        """Write ``work`` (rows) and the file's audit record in one transaction."""
        self.connection.execute("begin transaction")
        try:
            if work is not None:
                work()
            _record_file(self.connection, outcome, self.landing_file, self.load_id, self.loaded_at)
        except BaseException:
            self.connection.execute("rollback")
            raise
        self.connection.execute("commit")
        return outcome

    def _with_samples(self, outcome: FileOutcome) -> FileOutcome:
        if not outcome.rows_rejected:
            return outcome
        samples = _rejected_samples(self.connection, self.landing_file.name, self.file_hash)
        return FileOutcome(**{**outcome.__dict__, "rejected_samples": samples})

    def _reject_file(self, message: str) -> FileOutcome:
        return self._record(self._outcome(FILE_STATUS_REJECTED, message=message, rejected_samples=(message,)))

    # -- rows --------------------------------------------------------------------

    def _insert_rejected(self, rows_sql: str, parameters: list) -> None:
        """Insert ``rows_sql`` rows (line_number, column_name, reason_code, reason, raw_content) as rejected."""
        self.connection.execute(
            f"insert into audit.rejected_rows select ?, ?, ?, ?, line_number, column_name, reason_code, reason, "
            f"raw_content, ? from ({rows_sql})",
            [self.load_id, self.spec.name, self.landing_file.name, self.file_hash, self.loaded_at, *parameters],
        )

    def _insert_reader_rejects(self) -> None:
        self._insert_rejected(
            "select line_number, null as column_name, reason_code, reason, raw_content from _reader_rejects", []
        )

    def _reject_all_rows(self, missing: list[str], rows_read: int) -> FileOutcome:
        message = f"{REASON_TEXT[Reason.MISSING_COLUMNS]}: {', '.join(missing)}"

        def work() -> None:
            self._insert_rejected(
                "select _stage._line_number as line_number, ? as column_name, ? as reason_code, ? as reason, "
                f"_raw.raw_content from _stage join {_raw_records_sql(self.width, 'select _record_no from _stage')} "
                "as _raw using (_record_no)",
                [missing[0], Reason.MISSING_COLUMNS.value, message],
            )
            self._insert_reader_rejects()

        outcome = self._outcome(FILE_STATUS_REJECTED, rows_read=rows_read, rows_rejected=rows_read, message=message)
        self._record(outcome, work)
        return FileOutcome(**{**outcome.__dict__, "rejected_samples": (f"{self.landing_file.name}: {message}",)})

    def _load_rows(self, positions: dict[str, int], rows_read: int) -> FileOutcome:
        spec = self.spec
        connection = self.connection
        connection.execute("drop table if exists _validated")
        connection.execute("drop table if exists _superseded")
        connection.execute(f"create temp table _validated as {validation_sql(spec, positions, self.settings)}")
        keys = ", ".join(quote_identifier(column.name) for column in spec.key_columns)
        # A natural key repeated within the file: the last line stands, earlier lines are superseded.
        connection.execute(
            f"""
            create temp table _superseded as
            select _validated._record_no, repeated._last_line
            from _validated
            join (
                select {keys}, max(_line_number) as _last_line
                from _validated where _reason_code is null
                group by {keys} having count(*) > 1
            ) as repeated using ({keys})
            where _validated._reason_code is null and _validated._line_number < repeated._last_line
            """
        )
        raw_columns = ", ".join(quote_identifier(column.name) for column in spec.columns)
        lineage = ", ".join(name for name, _ in LINEAGE_COLUMNS)
        superseded_reason = quote_literal(
            f"{', '.join(spec.natural_key)} {REASON_TEXT[Reason.DUPLICATE_KEY_IN_FILE]} (line "
        )
        rejected_records = (
            "select _record_no from _validated where _reason_code is not null "
            "union all select _record_no from _superseded"
        )

        def work() -> None:
            connection.execute(
                f"insert into raw.{quote_identifier(spec.table)} ({raw_columns}, {lineage}) "
                f"select {raw_columns}, ?, ?, ?, _line_number, ?, ? from _validated "
                "where _reason_code is null and _record_no not in (select _record_no from _superseded)",
                [self.landing_file.name, self.landing_file.modified_at, self.file_hash, self.load_id, self.loaded_at],
            )
            self._insert_rejected(
                f"""
                select _validated._line_number as line_number,
                    coalesce(_validated._column_name, ?) as column_name,
                    coalesce(_validated._reason_code, ?) as reason_code,
                    coalesce(_validated._reason, {superseded_reason} || _superseded._last_line || ')') as reason,
                    _raw.raw_content
                from _validated
                join {_raw_records_sql(self.width, rejected_records)} as _raw using (_record_no)
                left join _superseded using (_record_no)
                """,
                [", ".join(spec.natural_key), Reason.DUPLICATE_KEY_IN_FILE.value],
            )
            self._insert_reader_rejects()

        loaded = _scalar(
            connection,
            "select count(*) from _validated where _reason_code is null "
            "and _record_no not in (select _record_no from _superseded)",
        )
        outcome = self._outcome(
            FILE_STATUS_LOADED, rows_read=rows_read, rows_loaded=loaded, rows_rejected=rows_read - loaded
        )
        self._record(outcome, work)
        connection.execute("drop table _validated")
        connection.execute("drop table _superseded")
        return self._with_samples(outcome)


def ingest_source(
    connection: duckdb.DuckDBPyConnection,
    spec: SourceSpec,
    landing_dir: Path,
    settings: IngestionSettings,
    load_id: str,
    loaded_at: datetime | None = None,
) -> SourceLoadReport:
    """Load every new file of one source folder into ``raw.<source>``."""
    loaded_at = loaded_at or datetime.now(UTC).replace(tzinfo=None)
    connection.execute(raw_table_ddl(spec))
    load_currency_codes(connection)
    report = SourceLoadReport(source=spec.name)
    files = discover_files(landing_dir / spec.folder)
    report.files_found = len(files)
    for landing_file in files:
        outcome = FileLoad(connection, spec, landing_file, settings, load_id, loaded_at).run()
        if outcome is not None:
            report.outcomes.append(outcome)
    report.raw_row_count = _scalar(connection, f"select count(*) from raw.{quote_identifier(spec.table)}")
    return report


def describe(outcomes: Iterable[FileOutcome]) -> list[dict[str, object]]:
    """Rows for a metadata table in the Dagster UI."""
    return [
        {
            "file": outcome.file_name,
            "status": outcome.status,
            "rows_read": outcome.rows_read,
            "rows_loaded": outcome.rows_loaded,
            "rows_rejected": outcome.rows_rejected,
            "message": outcome.message or "",
        }
        for outcome in outcomes
    ]
