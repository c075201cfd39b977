"""Landing zone -> ``raw`` tables, with every file and every rejected row audited.

The work happens inside DuckDB: each new file is read once by DuckDB's own CSV
or Parquet reader (all columns as text, addressed by position), the new files
of a source are validated and typed together by one generated SQL statement,
and everything is written in a single transaction per source together with the
rejected rows and the ``audit.load_files`` records. A crash before the commit
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

from orchestration.lib import closed_periods
from orchestration.lib.failpoints import failpoint
from orchestration.lib.settings import DBT_PROJECT_DIR, IngestionSettings
from orchestration.lib.sources import LINEAGE_COLUMNS, Column, Kind, SourceSpec
from orchestration.lib.sql import quote_identifier, quote_literal

log = logging.getLogger(__name__)

LANDING_SUFFIXES = (".csv", ".csv.gz", ".parquet")
MAX_HEADER_BYTES = 1 << 20
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

FIELD_COUNT_TEXT = {
    "too_many": "the record " + REASON_TEXT[Reason.MALFORMED_ROW] + " (more fields than the header)",
    "too_few": "the record " + REASON_TEXT[Reason.MALFORMED_ROW] + " (fewer fields than the header)",
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
    rows_held: int = 0  # of rows_loaded: rows of closed months held in audit.held_<source>
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
    rows_released: int = 0  # held rows of reopened months moved into raw by this load

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
    def rows_held(self) -> int:
        return sum(outcome.rows_held for outcome in self.outcomes)

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

    Names ignored by rule (``lib/landing.ignored_name``: hidden names starting
    with '.' or '_', partial uploads such as ``.tmp``/``.part``, README and
    ``*.md`` files) are skipped until they are renamed. A symbolic link is never
    followed (a linked source folder yields no file): ``lib/landing.py`` reports
    links and files of other formats as landing entries.
    """
    from orchestration.lib.landing import scan_source_folder  # it builds on LandingFile, defined here

    return scan_source_folder(folder).files[""]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --------------------------------------------------------------------------- SQL building


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
        ]
        if kind is Kind.NON_NEGATIVE_AMOUNT:
            failures.append((f"{typed} < 0", Reason.NEGATIVE_AMOUNT))
        if kind is Kind.RATE:
            failures.append((f"{typed} <= 0", Reason.NON_POSITIVE_RATE))
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


def validation_sql(spec: SourceSpec, settings: IngestionSettings) -> str:
    """One SELECT over the staged batch (``_batch``) that types and judges every spec column.

    ``_batch`` holds ``_file_index``, ``_record_no``, ``_line_number`` and the
    spec's columns as text ``h0..hN`` (in spec order). Output: those keys, one
    typed column per spec column (named as in the raw table), ``_e<i>`` (the
    reason code of column i, NULL when fine), ``_reason_code`` and
    ``_column_name`` (of the first problem; NULL for a valid row).
    """
    trimmed, typed, codes = [], [], []
    for index, column in enumerate(spec.columns):
        value = f"_v{index}"
        trimmed.append(f"{_trimmed_sql(f'h{index}')} as {value}")
        rules = column_rules(column, value, settings)
        typed.append(f"{rules.typed} as {quote_identifier(column.name)}")
        codes.append(f"{_error_code_sql(column, value, rules, column.header in spec.natural_key)} as _e{index}")
    error_columns = [f"_e{index}" for index in range(len(spec.columns))]
    first_column = " ".join(
        f"when _e{index} is not null then {quote_literal(column.header)}" for index, column in enumerate(spec.columns)
    )
    typed_names = ", ".join(quote_identifier(column.name) for column in spec.columns)
    return f"""
        with trimmed as (
            select _file_index, _record_no, _line_number, _shape, {", ".join(trimmed)}
            from _batch
        ),
        checked as (
            select *, {", ".join(typed)}, {", ".join(codes)}
            from trimmed
        )
        select _file_index, _record_no, _line_number, {typed_names}, {", ".join(error_columns)},
            case when _shape is not null then {quote_literal(Reason.MALFORMED_ROW.value)}
                else coalesce({", ".join(error_columns)}) end as _reason_code,
            case when _shape is not null then null {first_column} end as _column_name
        from checked
    """


def rejection_message_sql(spec: SourceSpec) -> str:
    """The message of a rejected row of ``_validated`` joined to ``_batch``: every problem, with the value."""
    apostrophe = quote_literal("'")
    messages = [
        f"case when _e{index} is not null then {quote_literal(column.header + ' ')} || "
        f"{_reason_text_sql(f'_e{index}')} || ' (got ' || "
        f"coalesce({apostrophe} || left({_trimmed_sql(f'_batch.h{index}')}, 100) || {apostrophe}, 'an empty value')"
        " || ')' end"
        for index, column in enumerate(spec.columns)
    ]
    shape = (
        f"case _batch._shape when 'too_many' then {quote_literal(FIELD_COUNT_TEXT['too_many'])} "
        f"when 'too_few' then {quote_literal(FIELD_COUNT_TEXT['too_few'])} end"
    )
    return f"coalesce({shape}, nullif(concat_ws('; ', {', '.join(messages)}), ''))"


def load_currency_codes(connection: duckdb.DuckDBPyConnection, seed: Path = CURRENCY_SEED) -> None:
    """Put the ISO 4217 codes (the dbt seed, one source of truth) in ``_iso_currencies``."""
    if not seed.exists():
        raise LandingError(f"currency list {seed} is missing")
    connection.execute(
        "create or replace temp table _iso_currencies as "
        "select upper(trim(currency_code)) as currency_code from read_csv(?, header = true, all_varchar = true)",
        [str(seed)],
    )


def read_header(connection: duckdb.DuckDBPyConnection, landing_file: LandingFile) -> list[str]:
    """The file's column names, in file order (a UTF-8 BOM is dropped).

    Only the header line is decoded here: a bad byte further down the file is
    a problem of that row (rejected by the reader), not of the file.
    """
    if landing_file.is_parquet:
        rows = connection.execute("describe select * from read_parquet(?)", [str(landing_file.path)]).fetchall()
        return [row[0] for row in rows]
    opener = gzip.open if landing_file.name.lower().endswith(".gz") else open
    with opener(landing_file.path, "rb") as handle:
        first_line = handle.readline(MAX_HEADER_BYTES)
    first_line = first_line.removeprefix(b"\xef\xbb\xbf")
    try:
        text = first_line.decode("utf-8")
    except UnicodeDecodeError as error:
        raise LandingError(f"the header row is not valid UTF-8 ({error.reason} at byte {error.start})") from error
    header = next(csv.reader([text.rstrip("\r\n")]), None)
    if not header or header == [""]:
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


def _scalar(connection: duckdb.DuckDBPyConnection, sql: str, parameters: list | None = None):
    rows = connection.execute(sql, parameters or []).fetchall()
    return rows[0][0] if rows else None


@dataclass
class StagedFile:
    """One landing file read into temp tables suffixed with its index in the batch.

    ``_records_<i>``: ``_record_no`` and the file's columns as text
    ``c0..c<width-1>``, plus ``c<width>`` catching one field too many;
    ``_stage_<i>`` (view): the same with ``_line_number`` and ``_shape``
    (NULL, or 'too_many' / 'too_few' fields for the header);
    ``_reader_rejects_<i>``: records DuckDB's reader could not parse.
    Columns are addressed by position, so no name taken from a file ever
    appears in SQL text.

    CSV fields are read with padding and without NULL strings: an empty field
    is '', a field the record lacks is NULL. That is how a record with one
    field too many (which DuckDB would otherwise accept when the extra field
    is empty and last) or too few is told apart from a good one.
    """

    index: int
    landing_file: LandingFile
    file_hash: str
    width: int
    positions: dict[str, int]
    records: int = 0
    reader_rejected: int = 0

    @property
    def rows_read(self) -> int:
        return self.records + self.reader_rejected

    def table(self, name: str) -> str:
        return f"_{name}_{self.index}"

    def stage(self, connection: duckdb.DuckDBPyConnection) -> None:
        path = str(self.landing_file.path)
        names = _positional_names(self.width)
        records, rejects = self.table("records"), self.table("rejects")
        if self.landing_file.is_parquet:
            connection.execute(
                f"create temp table {records} as select row_number() over () as _record_no, "
                f"columns(*)::varchar, cast(null as varchar) as c{self.width} from read_parquet(?) as _file({names})",
                [path],
            )
            self._create_empty_reader_rejects(connection)
            self._view_with_simple_line_numbers(connection, header_lines=0)
        else:
            self._read_csv(connection)
            has_newlines = " or ".join(f"contains(c{position}, chr(10))" for position in range(self.width + 1))
            if _scalar(connection, f"select count(*) from {rejects}") or _scalar(
                connection, f"select count(*) from {records} where {has_newlines}"
            ):
                self._number_csv_lines(connection)
            else:
                self._create_empty_reader_rejects(connection)
                self._view_with_simple_line_numbers(connection, header_lines=1)
        self.records = _scalar(connection, f"select count(*) from {records}")
        self.reader_rejected = _scalar(connection, f"select count(*) from {self.table('reader_rejects')}")

    def _read_csv(self, connection: duckdb.DuckDBPyConnection, *, parallel: bool = True) -> None:
        columns = "{" + ", ".join(f"'c{position}': 'VARCHAR'" for position in range(self.width + 1)) + "}"
        try:
            connection.execute(
                f"create temp table {self.table('records')} as select row_number() over () as _record_no, * "
                f"from read_csv(?, header = true, auto_detect = false, columns = {columns}, delim = ',', "
                "quote = '\"', escape = '\"', strict_mode = true, null_padding = true, nullstr = chr(0), "
                f"parallel = {str(parallel).lower()}, store_rejects = true, "
                f"rejects_table = '{self.table('rejects')}', rejects_scan = '{self.table('reject_scans')}')",
                [str(self.landing_file.path)],
            )
        except duckdb.Error as error:
            # Padding is not supported by the parallel reader once a quoted newline shows up.
            if not parallel or "parallel=false" not in str(error):
                raise
            self.drop(connection)
            self._read_csv(connection, parallel=False)

    def _create_empty_reader_rejects(self, connection: duckdb.DuckDBPyConnection) -> None:
        connection.execute(
            f"create temp table {self.table('reader_rejects')} (line_number bigint, reason_code varchar, "
            "reason varchar, raw_content varchar)"
        )

    def _shape_sql(self) -> str:
        if self.landing_file.is_parquet:
            return "cast(null as varchar)"
        return f"case when c{self.width} is not null then 'too_many' when c{self.width - 1} is null then 'too_few' end"

    def _view_with_simple_line_numbers(self, connection: duckdb.DuckDBPyConnection, header_lines: int) -> None:
        """Record n is on line n + header_lines: no rejected records or quoted newlines shift it."""
        connection.execute(
            f"create temp view {self.table('stage')} as select _record_no, _record_no + {header_lines} as "
            f"_line_number, {self._shape_sql()} as _shape, {_positional_names(self.width)} "
            f"from {self.table('records')}"
        )

    def _number_csv_lines(self, connection: duckdb.DuckDBPyConnection) -> None:
        """Give records and reader rejects their physical line numbers.

        DuckDB numbers the records it rejects by record (header = line 1) and
        leaves them out of its output. So an accepted record's *record line*
        is its position plus the rejects before it, and its physical line adds
        the quoted newlines of the records before it.
        """
        names = _positional_names(self.width)
        records, lines, reject_lines = self.table("records"), self.table("lines"), self.table("reject_lines")
        connection.execute(
            f"""
            create temp table {reject_lines} as
            select line as record_line,
                min(error_type) as error_type,
                min(error_message) as error_message,
                min(csv_line) as csv_line,
                line - row_number() over (order by line) + 1 as insert_position
            from {self.table("rejects")}
            group by line
            """
        )
        connection.execute(
            f"""
            create temp table {lines} as
            with counted as (
                select _record_no,
                    length(_all) - length(replace(_all, chr(10), '')) as _newlines
                from (select _record_no, concat_ws('', {_positional_names(self.width + 1)}) as _all from {records})
            ),
            reject_positions as (
                select insert_position, count(*) over (order by insert_position) as rejects_before
                from {reject_lines}
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
            f"create temp view {self.table('stage')} as select _record_no, {lines}._line_number, "
            f"{self._shape_sql()} as _shape, {names} from {records} join {lines} using (_record_no)"
        )
        connection.execute(
            f"""
            create temp table {self.table("reader_rejects")} as
            select {reject_lines}.record_line + coalesce(preceding._newlines_through, 0) as line_number,
                case when {reject_lines}.error_type = 'INVALID ENCODING'
                    then {quote_literal(Reason.INVALID_ENCODING.value)}
                    else {quote_literal(Reason.MALFORMED_ROW.value)} end as reason_code,
                'the record ' || case when {reject_lines}.error_type = 'INVALID ENCODING'
                    then {quote_literal(REASON_TEXT[Reason.INVALID_ENCODING])}
                    else {quote_literal(REASON_TEXT[Reason.MALFORMED_ROW])} end
                    || ' (' || {reject_lines}.error_message || ')' as reason,
                {reject_lines}.csv_line as raw_content
            from {reject_lines}
            asof left join {lines} as preceding on {reject_lines}.record_line > preceding._record_line
            """
        )

    def batch_select_sql(self, spec: SourceSpec) -> str:
        """The spec's columns, in spec order, as ``h0..hN`` (absent optional columns as NULL)."""
        values = []
        for index, column in enumerate(spec.columns):
            position = self.positions.get(column.header.lower())
            values.append(f"{f'c{position}' if position is not None else 'cast(null as varchar)'} as h{index}")
        return (
            f"select {self.index} as _file_index, _record_no, _line_number, _shape, {', '.join(values)} "
            f"from {self.table('stage')}"
        )

    def raw_records_sql(self, selection: str) -> str:
        """Records ``_record_no in (selection)`` rendered back as CSV lines: ``(_record_no, raw_content)``."""
        quote = "'\"'"
        rendered = (
            f"array_to_string(list_transform(_fields, lambda x: case when x is null then '' "
            f"when regexp_matches(x, '[,\"\\n\\r]') then {quote} || replace(x, {quote}, {quote} || {quote}) "
            f"|| {quote} else x end), ',')"
        )
        return (
            f"(select _record_no, {rendered} as raw_content from (select _record_no, "
            f"list_filter(list_value({_positional_names(self.width + 1)}), lambda x: x is not null) as _fields "
            f"from {self.table('records')} "
            f"where _record_no in ({selection})))"
        )

    def drop(self, connection: duckdb.DuckDBPyConnection) -> None:
        connection.execute(f"drop view if exists {self.table('stage')}")
        for name in ("records", "lines", "rejects", "reject_scans", "reject_lines", "reader_rejects"):
            connection.execute(f"drop table if exists {self.table(name)}")


def _existing_record(connection: duckdb.DuckDBPyConnection, source: str, file_hash: str) -> tuple[str, str] | None:
    rows = connection.execute(
        "select file_name, status from audit.load_files where source = ? and file_hash = ? "
        "and status in (?, ?) order by loaded_at limit 1",
        [source, file_hash, FILE_STATUS_LOADED, FILE_STATUS_REJECTED],
    ).fetchall()
    return rows[0] if rows else None


def _seen_files(connection: duckdb.DuckDBPyConnection, source: str) -> set[tuple[str, str]]:
    rows = connection.execute("select file_name, file_hash from audit.load_files where source = ?", [source])
    return set(rows.fetchall())


def _rejected_samples(connection: duckdb.DuckDBPyConnection, file_name: str, file_hash: str) -> tuple[str, ...]:
    rows = connection.execute(
        "select line_number, reason from audit.rejected_rows where file_name = ? and file_hash = ? "
        "order by line_number nulls first limit 20",
        [file_name, file_hash],
    ).fetchall()
    return tuple(f"{file_name}:{line if line is not None else '?'}: {reason}" for line, reason in rows)


@dataclass
class SourceLoad:
    """Loading the new files of one source in one load (``load_id``), in one transaction."""

    connection: duckdb.DuckDBPyConnection
    spec: SourceSpec
    settings: IngestionSettings
    load_id: str
    loaded_at: datetime
    closed_through: str | None = None  # finance has closed the months up to this one (YYYY-MM)
    outcomes: list[FileOutcome] = field(default_factory=list)
    staged: list[StagedFile] = field(default_factory=list)
    missing_columns: dict[int, list[str]] = field(default_factory=dict)
    files: dict[str, LandingFile] = field(default_factory=dict)

    def run(self, landing_files: list[LandingFile]) -> list[FileOutcome]:
        seen = _seen_files(self.connection, self.spec.name)
        hashes_in_batch: dict[str, str] = {}
        try:
            for landing_file in landing_files:
                file_hash = file_sha256(landing_file.path)
                if (landing_file.name, file_hash) in seen:
                    continue
                self.files[landing_file.name] = landing_file
                previous = _existing_record(self.connection, self.spec.name, file_hash)
                if previous is None and file_hash in hashes_in_batch:
                    previous = (hashes_in_batch[file_hash], "in this load")
                if previous is not None:
                    message = f"same content as {previous[0]} ({previous[1]}), not loaded again"
                    self.outcomes.append(self._outcome(landing_file, file_hash, FILE_STATUS_DUPLICATE, message=message))
                    continue
                hashes_in_batch[file_hash] = landing_file.name
                self._stage(landing_file, file_hash)
            if self.staged:
                self._validate()
            if self.outcomes or self.staged:
                self._commit()
            return [self._with_samples(outcome) for outcome in self.outcomes]
        finally:
            for staged in self.staged:
                staged.drop(self.connection)
            self.connection.execute("drop view if exists _batch")
            for table in ("_validated", "_superseded", "_batch_files", "_held"):
                self.connection.execute(f"drop table if exists {table}")

    def _outcome(self, landing_file: LandingFile, file_hash: str, status: str, **fields) -> FileOutcome:
        return FileOutcome(
            source=self.spec.name, file_name=landing_file.name, file_hash=file_hash, status=status, **fields
        )

    def _reject_file(self, landing_file: LandingFile, file_hash: str, message: str) -> None:
        outcome = self._outcome(landing_file, file_hash, FILE_STATUS_REJECTED, message=message)
        self.outcomes.append(FileOutcome(**{**outcome.__dict__, "rejected_samples": (message,)}))

    def _stage(self, landing_file: LandingFile, file_hash: str) -> None:
        if landing_file.size_bytes == 0:
            self._reject_file(landing_file, file_hash, "empty file: no header row")
            return
        staged: StagedFile | None = None
        try:
            header = read_header(self.connection, landing_file)
            staged = StagedFile(len(self.staged), landing_file, file_hash, len(header), column_positions(header))
            staged.stage(self.connection)
        except LandingError as error:
            self._discard(staged)
            self._reject_file(landing_file, file_hash, str(error))
            return
        except (duckdb.Error, OSError, EOFError, UnicodeDecodeError, csv.Error) as error:
            self._discard(staged)
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            self._reject_file(landing_file, file_hash, f"unreadable file: {reason}")
            return
        self.staged.append(staged)
        missing = [c.header for c in self.spec.columns if c.required and c.header.lower() not in staged.positions]
        if missing:
            self.missing_columns[staged.index] = missing

    def _discard(self, staged: StagedFile | None) -> None:
        if staged is not None:
            staged.drop(self.connection)

    def _validate(self) -> None:
        """Type and judge every staged row of the files that have all required columns, in one statement."""
        connection, spec = self.connection, self.spec
        # A view, not a copy: the files' staged records are read once, by the validation below.
        parts = [staged.batch_select_sql(spec) for staged in self.staged if staged.index not in self.missing_columns]
        if not parts:
            text_columns = ", ".join(f"cast(null as varchar) as h{index}" for index in range(len(spec.columns)))
            parts = [
                "select cast(null as integer) as _file_index, cast(null as bigint) as _record_no, "
                f"cast(null as bigint) as _line_number, cast(null as varchar) as _shape, {text_columns} where false"
            ]
        connection.execute(f"create temp view _batch as {' union all '.join(parts)}")
        connection.execute(f"create temp table _validated as {validation_sql(spec, self.settings)}")
        keys = ", ".join(quote_identifier(column.name) for column in spec.key_columns)
        # A natural key repeated within a file: its last line stands, earlier lines are superseded.
        connection.execute(
            f"""
            create temp table _superseded as
            select _validated._file_index, _validated._record_no, repeated._last_line
            from _validated
            join (
                select _file_index, {keys}, max(_line_number) as _last_line
                from _validated where _reason_code is null
                group by _file_index, {keys} having count(*) > 1
            ) as repeated using (_file_index, {keys})
            where _validated._reason_code is null and _validated._line_number < repeated._last_line
            """
        )

    def _commit(self) -> None:
        """Write raw rows, held rows, rejected rows and file records for the whole batch in one transaction."""
        connection = self.connection
        loaded: dict[int, int] = {}
        held: dict[int, int] = {}
        if self.staged:
            self._prepare_batch_files()
            loaded = dict(
                connection.execute(
                    "select _file_index, count(*) from _validated where _reason_code is null "
                    "and (_file_index, _record_no) not in (select (_file_index, _record_no) from _superseded) "
                    "group by 1"
                ).fetchall()
            )
            held = dict(connection.execute("select _file_index, count(*) from _held group by 1").fetchall())
        for staged in self.staged:
            missing = self.missing_columns.get(staged.index)
            rows_loaded = 0 if missing else loaded.get(staged.index, 0)
            self.outcomes.append(
                self._outcome(
                    staged.landing_file,
                    staged.file_hash,
                    FILE_STATUS_REJECTED if missing else FILE_STATUS_LOADED,
                    rows_read=staged.rows_read,
                    rows_loaded=rows_loaded,
                    rows_rejected=staged.rows_read - rows_loaded,
                    rows_held=held.get(staged.index, 0),
                    message=f"{REASON_TEXT[Reason.MISSING_COLUMNS]}: {', '.join(missing)}" if missing else None,
                )
            )
        connection.execute("begin transaction")
        try:
            if self.staged:
                self._insert_raw()
            for staged in self.staged:
                self._insert_rejected_rows(staged)
            for outcome in self.outcomes:
                self._record_file(outcome)
            failpoint(f"ingest:before_commit:{self.spec.name}")
        except BaseException:
            connection.execute("rollback")
            raise
        connection.execute("commit")
        for table in ("_batch_files", "_held"):
            connection.execute(f"drop table if exists {table}")

    def _prepare_batch_files(self) -> None:
        """``_batch_files`` (lineage of each staged file) and ``_held`` (rows of closed months to hold)."""
        self.connection.execute(
            "create or replace temp table _batch_files (_file_index integer, name varchar, "
            "modified_at timestamp, file_hash varchar)"
        )
        self.connection.executemany(
            "insert into _batch_files values (?, ?, ?, ?)",
            [(s.index, s.landing_file.name, s.landing_file.modified_at, s.file_hash) for s in self.staged],
        )
        if self.spec.closing_column is not None and self.closed_through is not None:
            closed_periods.select_rows_to_hold(self.connection, self.spec, self.closed_through)
        else:
            self.connection.execute(
                "create or replace temp table _held (_file_index integer, _record_no bigint, _period varchar)"
            )

    def _insert_raw(self) -> None:
        spec = self.spec
        raw_columns = ", ".join(quote_identifier(column.name) for column in spec.columns)
        lineage = ", ".join(name for name, _ in LINEAGE_COLUMNS)
        self.connection.execute(
            f"insert into raw.{quote_identifier(spec.table)} ({raw_columns}, {lineage}) "
            f"select {raw_columns}, _batch_files.name, _batch_files.modified_at, _batch_files.file_hash, "
            "_line_number, ?, ? from _validated join _batch_files using (_file_index) "
            "where _reason_code is null "
            "and (_file_index, _record_no) not in (select (_file_index, _record_no) from _superseded) "
            "and (_file_index, _record_no) not in (select (_file_index, _record_no) from _held)",
            [self.load_id, self.loaded_at],
        )
        if spec.closing_column is not None and self.closed_through is not None:
            closed_periods.insert_held_rows(self.connection, spec, self.load_id, self.loaded_at)

    def _insert_rejected(self, staged: StagedFile, rows_sql: str, parameters: list) -> None:
        """Insert ``rows_sql`` rows (line_number, column_name, reason_code, reason, raw_content) as rejected."""
        self.connection.execute(
            f"insert into audit.rejected_rows select ?, ?, ?, ?, line_number, column_name, reason_code, reason, "
            f"raw_content, ? from ({rows_sql})",
            [
                self.load_id,
                self.spec.name,
                staged.landing_file.name,
                staged.file_hash,
                self.loaded_at,
                *parameters,
            ],
        )

    def _insert_rejected_rows(self, staged: StagedFile) -> None:
        spec, index = self.spec, staged.index
        if staged.reader_rejected:
            self._insert_rejected(
                staged,
                "select line_number, null as column_name, reason_code, reason, raw_content "
                f"from {staged.table('reader_rejects')}",
                [],
            )
        missing = self.missing_columns.get(index)
        if missing:
            message = f"{REASON_TEXT[Reason.MISSING_COLUMNS]}: {', '.join(missing)}"
            self._insert_rejected(
                staged,
                "select _stage._line_number as line_number, ? as column_name, ? as reason_code, ? as reason, "
                f"_raw.raw_content from {staged.table('stage')} as _stage "
                f"join {staged.raw_records_sql('select _record_no from ' + staged.table('records'))} as _raw "
                "using (_record_no)",
                [missing[0], Reason.MISSING_COLUMNS.value, message],
            )
            return
        rejected_here = (
            f"select _record_no from _validated where _file_index = {index} and _reason_code is not null "
            f"union all select _record_no from _superseded where _file_index = {index}"
        )
        if not _scalar(self.connection, f"select count(*) from ({rejected_here})"):
            return
        superseded_reason = quote_literal(
            f"{', '.join(spec.natural_key)} {REASON_TEXT[Reason.DUPLICATE_KEY_IN_FILE]} (line "
        )
        self._insert_rejected(
            staged,
            f"""
            select _validated._line_number as line_number,
                coalesce(_validated._column_name, ?) as column_name,
                coalesce(_validated._reason_code, ?) as reason_code,
                coalesce({rejection_message_sql(spec)}, {superseded_reason} || _superseded._last_line || ')')
                    as reason,
                _raw.raw_content
            from (select * from _validated where _file_index = {index}) as _validated
            join {staged.raw_records_sql(rejected_here)} as _raw using (_record_no)
            join (select * from _batch where _file_index = {index}) as _batch using (_record_no)
            left join (select * from _superseded where _file_index = {index}) as _superseded using (_record_no)
            """,
            [", ".join(spec.natural_key), Reason.DUPLICATE_KEY_IN_FILE.value],
        )

    def _record_file(self, outcome: FileOutcome) -> None:
        landing_file = self.files[outcome.file_name]
        self.connection.execute(
            "insert into audit.load_files (load_id, source, file_name, file_hash, file_size_bytes, "
            "file_modified_at, status, rows_read, rows_loaded, rows_rejected, message, loaded_at, rows_held) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                self.load_id,
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
                self.loaded_at,
                outcome.rows_held,
            ],
        )

    def _with_samples(self, outcome: FileOutcome) -> FileOutcome:
        if not outcome.rows_rejected:
            return outcome
        samples = _rejected_samples(self.connection, outcome.file_name, outcome.file_hash)
        return FileOutcome(**{**outcome.__dict__, "rejected_samples": samples})


def ingest_source(
    connection: duckdb.DuckDBPyConnection,
    spec: SourceSpec,
    landing_dir: Path,
    settings: IngestionSettings,
    load_id: str,
    loaded_at: datetime | None = None,
    closed_through: str | None = None,
) -> SourceLoadReport:
    """Load every new file of one source folder into ``raw.<source>`` (one transaction).

    ``closed_through``: finance has closed the months up to this one; rows that
    would restate them are held (``lib/closed_periods.py``), and rows held
    earlier for months since reopened are released first.
    """
    loaded_at = loaded_at or datetime.now(UTC).replace(tzinfo=None)
    connection.execute(raw_table_ddl(spec))
    load_currency_codes(connection)
    files = discover_files(landing_dir / spec.folder)
    report = SourceLoadReport(source=spec.name, files_found=len(files))
    report.rows_released = closed_periods.release(connection, spec, closed_through, loaded_at)
    load = SourceLoad(connection, spec, settings, load_id, loaded_at, closed_through=closed_through)
    report.outcomes = sorted(load.run(files), key=lambda outcome: outcome.file_name)
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
