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

import codecs
import csv
import gzip
import hashlib
import logging
import re
import shutil
import tempfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import duckdb

from orchestration.lib import closed_periods, restatements
from orchestration.lib.failpoints import failpoint
from orchestration.lib.settings import DBT_PROJECT_DIR, IngestionSettings
from orchestration.lib.sources import (
    LINEAGE_COLUMNS,
    PLATFORM_ACCOUNT_ID,
    PLATFORM_CAMPAIGN_ID,
    Column,
    Kind,
    Normalise,
    SourceSpec,
)
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
    NOT_WHOLE_NUMBER = "not_whole_number"
    DUPLICATE_KEY_IN_FILE = "duplicate_key_in_file"
    # file-level: every row of the file is rejected with this reason
    MISSING_COLUMNS = "missing_columns"
    UNREADABLE_FILE = "unreadable_file"


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
    Reason.NOT_WHOLE_NUMBER: "is not a whole number",
    Reason.DUPLICATE_KEY_IN_FILE: "repeats a natural key that a later line of the same file restates",
    Reason.MISSING_COLUMNS: "file lacks required column(s)",
    Reason.UNREADABLE_FILE: "file could not be read",
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


class FileRejectedError(LandingError):
    """A file that cannot be read as a whole; ``reason`` is the reason of each of its records."""

    def __init__(self, message: str, reason: Reason = Reason.UNREADABLE_FILE) -> None:
        super().__init__(message)
        self.reason = reason


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


def whole_number_sql(value: str) -> str:
    """BIGINT of the text ``value`` when it is a whole number, however written; else NULL.

    Integers are cast directly. A number written as a float (``10132.0``,
    ``1.0132e4``, as pandas and spreadsheets write counts) is the integer it
    equals, read exactly through a DECIMAL (a DOUBLE is not exact above 2^53);
    a true fraction (``10132.5``) stays NULL and is rejected as not whole.
    """
    exact = f"try_cast({value} as decimal(38, 9))"
    return (
        f"case when {_full_match(value, INTEGER_PATTERN)} then try_cast({value} as bigint) "
        f"when {_full_match(value, DECIMAL_PATTERN)} then case "
        f"when {exact} = trunc({exact}) then try_cast(trunc({exact}) as bigint) "
        f"when {exact} is null and try_cast({value} as double) = trunc(try_cast({value} as double)) "
        f"then try_cast(try_cast({value} as double) as bigint) end end"
    )


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
        typed = whole_number_sql(value)
        limit = f"{max_amount} * 1e6" if kind is Kind.MICROS else "9e18"
        as_double = f"try_cast({value} as double)"
        rules = ColumnRules(
            typed,
            f"{typed} >= 0 and {typed} <= {limit}",
            (
                too_long,
                (f"not {_full_match(value, DECIMAL_PATTERN)} or {as_double} is null", Reason.INVALID_NUMBER),
                (f"{as_double} <> trunc({as_double})", Reason.NOT_WHOLE_NUMBER),
                (f"{typed} is null or abs({as_double}) > {limit}", Reason.AMOUNT_OUT_OF_RANGE),
                (f"{typed} < 0", Reason.NEGATIVE_AMOUNT),
            ),
            Reason.INVALID_NUMBER,
        )
    elif kind is Kind.BOOLEAN:
        lowered = f"lower({value})"
        rules = ColumnRules(
            f"({lowered} in ('true', '1'))",
            f"{lowered} in ('true', 'false', '1', '0')",
            (too_long,),
            Reason.INVALID_FORMAT,
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


LINKEDIN_CAMPAIGN_URN_PREFIX = "urn:li:sponsoredCampaign:"


def _without_leading_zeros(digits: str) -> str:
    return f"coalesce(nullif(ltrim({digits}, '0'), ''), '0')"


def _normalised_sql(rule: Normalise, value: str) -> str:
    """The canonical spelling of the key ``value`` (SQL of a trimmed text) under ``rule``.

    Platform-independent rules only; a value that does not look like the
    platform's id is kept as written.
    """
    if rule is Normalise.NONE:
        return value
    if rule is Normalise.LOWER_CASE:
        return f"lower({value})"
    if rule is Normalise.GOOGLE_CUSTOMER_ID:
        dashed = _full_match(value, "[0-9]+([ -][0-9]+)*")
        return f"case when {dashed} then replace(replace({value}, '-', ''), ' ', '') else {value} end"
    if rule is Normalise.NUMERIC_ID:
        return f"case when {_full_match(value, '[0-9]+')} then {_without_leading_zeros(value)} else {value} end"
    if rule is Normalise.META_ACCOUNT_ID:
        digits = f"regexp_extract({value}, '[0-9]+$')"
        return (
            f"case when {_full_match(value, '(?i:act_)?[0-9]+')} then {_without_leading_zeros(digits)} else {value} end"
        )
    if rule in (Normalise.LINKEDIN_ID, Normalise.LINKEDIN_CAMPAIGN_URN):
        digits = _without_leading_zeros(f"regexp_extract({value}, '[0-9]+$')")
        urn = "(?i:urn:li:[a-z]+:)?[0-9]+"
        if rule is Normalise.LINKEDIN_CAMPAIGN_URN:
            digits = f"{quote_literal(LINKEDIN_CAMPAIGN_URN_PREFIX)} || {digits}"
            urn = f"(?i:{LINKEDIN_CAMPAIGN_URN_PREFIX})?[0-9]+"
        return f"case when {_full_match(value, urn)} then {digits} else {value} end"
    raise ValueError(f"{rule} depends on the row's platform: use normalised_key_sql")


def normalised_key_sql(spec: SourceSpec, column: Column, typed: str, values: dict[str, str]) -> str:
    """The typed value of ``column`` in its canonical spelling (``Column.normalise``).

    ``typed`` is the column's typed SQL, ``values`` the SQL of each column's
    trimmed text by header (for the rules that follow the row's ``platform``).
    SQL from constants only: the rules and the platform names in ``sources.py``.
    """
    rule = column.normalise
    if rule not in (Normalise.CAMPAIGN_ID_BY_PLATFORM, Normalise.ACCOUNT_ID_BY_PLATFORM):
        return _normalised_sql(rule, typed)
    rules = PLATFORM_CAMPAIGN_ID if rule is Normalise.CAMPAIGN_ID_BY_PLATFORM else PLATFORM_ACCOUNT_ID
    platform = f"lower({values[spec.column('platform').header]})"
    branches = " ".join(
        f"when {quote_literal(name)} then {_normalised_sql(platform_rule, typed)}"
        for name, platform_rule in rules.items()
    )
    return f"case {platform} {branches} else {typed} end"


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
    values = {column.header: f"_v{index}" for index, column in enumerate(spec.columns)}
    for index, column in enumerate(spec.columns):
        value = f"_v{index}"
        trimmed.append(f"{_trimmed_sql(f'h{index}')} as {value}")
        rules = column_rules(column, value, settings)
        typed.append(f"{normalised_key_sql(spec, column, rules.typed, values)} as {quote_identifier(column.name)}")
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


def capped_raw_content_sql(expression: str) -> str:
    """``expression`` cut to the first N characters (two bound parameters, both N) with its full length noted."""
    return (
        f"case when length({expression}) > ? then left({expression}, ?) || ' … [truncated: ' || "
        f"length({expression}) || ' characters]' else {expression} end"
    )


def load_currency_codes(connection: duckdb.DuckDBPyConnection, seed: Path = CURRENCY_SEED) -> None:
    """Put the ISO 4217 codes (the dbt seed, one source of truth) in ``_iso_currencies``."""
    if not seed.exists():
        raise LandingError(f"currency list {seed} is missing")
    connection.execute(
        "create or replace temp table _iso_currencies as "
        "select upper(trim(currency_code)) as currency_code from read_csv(?, header = true, all_varchar = true)",
        [str(seed)],
    )


# --------------------------------------------------------------------------- sniffing

GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = {b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}
# Excel's first line naming the separator; only these separators are accepted.
SEPARATOR_LINE = re.compile(r"sep=([,;\t|])", re.IGNORECASE)
SEPARATOR_NAMES = {",": "','", ";": "';'", "\t": "a tab", "|": "'|'"}
# SQL for each accepted separator and the regular expression of characters that force quoting with it.
SEPARATOR_SQL = {
    ",": ("','", "'[,\"\\n\\r]'"),
    ";": ("';'", "'[;\"\\n\\r]'"),
    "\t": ("chr(9)", "'[\\t\"\\n\\r]'"),
    "|": ("'|'", "'[|\"\\n\\r]'"),
}
TRANSCODE_CHUNK = 1 << 20
RE_EXPORT = "re-export it as comma-separated UTF-8 text"
EMPTY_FILE_MESSAGE = "empty file: no header row; export the file with its header line"


@dataclass(frozen=True)
class Sniffed:
    """How a CSV landing file is read, decided from its first bytes (content, not its name).

    ``is_gzip``: gzip magic bytes, whatever the suffix says; ``encoding``:
    'utf-8' or a BOM-marked 'utf-16-le' / 'utf-16-be'; ``cr_only``: old-Mac
    line endings; ``delimiter`` and ``lines_before_header`` come from Excel's
    ``sep=<c>`` first line, which is skipped (line numbers stay physical).
    """

    is_gzip: bool = False
    encoding: str = "utf-8"
    cr_only: bool = False
    delimiter: str = ","
    lines_before_header: int = 0
    header_line: str = ""

    @property
    def needs_transcoding(self) -> bool:
        """DuckDB reads UTF-8 with LF or CRLF; anything else is rewritten to that first, in chunks."""
        return self.encoding != "utf-8" or self.cr_only

    def notes(self) -> list[str]:
        """What was accepted that the name or a plain reading would not have said."""
        notes = []
        if self.encoding != "utf-8":
            notes.append(f"read as {self.encoding.upper()} (byte order mark)")
        if self.cr_only:
            notes.append("old-Mac CR line endings")
        if self.lines_before_header:
            notes.append(f"Excel 'sep={self.delimiter}' line skipped")
        return notes


def _leading_content(path: Path, is_gzip: bool, size: int) -> bytes:
    """Up to ``size`` bytes of the file's content (decompressed as far as the gzip stream allows)."""
    with path.open("rb") as handle:
        if not is_gzip:
            return handle.read(size)
        decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
        content = b""
        while len(content) < size:
            chunk = handle.read(1 << 16)
            if not chunk:
                break
            try:
                content += decompressor.decompress(chunk, size - len(content))
            except zlib.error:
                break
        return content


def _looks_like_utf16_without_bom(head: bytes) -> bool:
    """ASCII text in UTF-16 has a NUL in every other byte: most even or most odd bytes are NUL."""
    sample = head[:4096]
    if len(sample) < 4:
        return False
    halves = (sample[0::2], sample[1::2])
    return any(half.count(0) >= 0.8 * len(half) for half in halves) and not all(
        half.count(0) >= 0.8 * len(half) for half in halves
    )


def sniff_file(landing_file: LandingFile) -> Sniffed:
    """Decide how to read a CSV landing file from its first bytes; FileRejectedError when no reading is safe.

    Accepted: gzip by its magic bytes (a ``.csv.gz`` of plain text too), a
    BOM-marked UTF-8 or UTF-16 file, CR-only line endings, Excel's ``sep=``
    first line. Rejected with what to do: UTF-16 without a BOM, binary
    content, a header that is not UTF-8.
    """
    with landing_file.path.open("rb") as handle:
        magic = handle.read(2)
    is_gzip = magic == GZIP_MAGIC
    head = _leading_content(landing_file.path, is_gzip, MAX_HEADER_BYTES)
    encoding = "utf-8"
    for bom, name in UTF16_BOMS.items():
        if head.startswith(bom):
            encoding = name
            text = head[len(bom) :].decode(name, errors="ignore")
            break
    else:
        head = head.removeprefix(UTF8_BOM)
        if _looks_like_utf16_without_bom(head):
            raise FileRejectedError(
                "the file looks like UTF-16 without a byte order mark, so its byte order is unknown: "
                f"{RE_EXPORT} (or as UTF-16 with a byte order mark)",
                Reason.INVALID_ENCODING,
            )
        first_line = re.split(rb"\r\n|\n|\r", head, maxsplit=1)[0]
        if b"\x00" in first_line:
            raise FileRejectedError(f"binary content, not CSV text (a NUL byte in the first line): {RE_EXPORT}")
        try:
            first_line.decode("utf-8")
        except UnicodeDecodeError as error:
            raise FileRejectedError(
                f"the header row is not valid UTF-8 ({error.reason} at byte {error.start}): {RE_EXPORT}",
                Reason.INVALID_ENCODING,
            ) from error
        text = head.decode("utf-8", errors="ignore")
    cr_only = "\r" in text and "\n" not in text
    lines = text.split("\r" if cr_only else "\n", 2)
    delimiter, lines_before_header = ",", 0
    separator = SEPARATOR_LINE.fullmatch(lines[0].rstrip("\r"))
    if separator and len(lines) > 1:
        delimiter, lines_before_header = separator.group(1), 1
    header_line = lines[lines_before_header].rstrip("\r") if len(lines) > lines_before_header else ""
    return Sniffed(is_gzip, encoding, cr_only, delimiter, lines_before_header, header_line)


def transcode_to_utf8(landing_file: LandingFile, sniffed: Sniffed, target: Path) -> None:
    """Write the file's text as UTF-8 with LF line endings to ``target``, streaming in chunks.

    Every line ending stays one line ending, so line numbers do not move.
    """
    opener = gzip.open if sniffed.is_gzip else open
    decoder = codecs.getincrementaldecoder("utf-16" if sniffed.encoding.startswith("utf-16") else "utf-8-sig")()
    pending_cr = ""
    with opener(landing_file.path, "rb") as source, target.open("w", encoding="utf-8", newline="") as out:
        while chunk := source.read(TRANSCODE_CHUNK):
            text = pending_cr + decoder.decode(chunk)
            pending_cr = ""
            if sniffed.cr_only:
                if text.endswith("\r"):
                    text, pending_cr = text[:-1], "\r"
                text = text.replace("\r\n", "\n").replace("\r", "\n")
            out.write(text)
        out.write(decoder.decode(b"", final=True) + ("\n" if pending_cr else ""))


def read_header(
    connection: duckdb.DuckDBPyConnection, landing_file: LandingFile, sniffed: Sniffed | None = None
) -> list[str]:
    """The file's column names, in file order (a byte order mark and a ``sep=`` line are dropped).

    Only the header line is decoded here: a bad byte further down the file is
    a problem of that row (rejected by the reader), not of the file.
    """
    if landing_file.is_parquet:
        rows = connection.execute("describe select * from read_parquet(?)", [str(landing_file.path)]).fetchall()
        return [row[0] for row in rows]
    sniffed = sniffed or sniff_file(landing_file)
    header = next(csv.reader([sniffed.header_line], delimiter=sniffed.delimiter), None)
    if not header or header == [""]:
        raise FileRejectedError(EMPTY_FILE_MESSAGE)
    return header


def column_positions(header: list[str]) -> dict[str, int]:
    """Lower-cased, trimmed column name -> position; the first of duplicate names wins."""
    positions: dict[str, int] = {}
    for position, name in enumerate(header):
        positions.setdefault(name.strip().lower(), position)
    return positions


def parquet_text_sql(column: str, parquet_type: str) -> str:
    """A Parquet column as the text the CSV contract expects, where that is lossless.

    ``parquet_type`` (DuckDB's name for it) only selects one of these fixed
    templates. A timestamp with a time zone becomes ISO 8601 in UTC with
    ``Z``; a timestamp without one at midnight is the date it holds (pandas
    writes dates as datetimes) and otherwise keeps its time, without an offset,
    so it is rejected as a date and as a timestamp. Everything else is its
    DuckDB text: DATE ``2025-03-05``, DOUBLE ``10132.0`` (a whole number, see
    ``whole_number_sql``), DECIMAL ``1.1000``, INTEGER ``7``.
    """
    if parquet_type == "TIMESTAMP WITH TIME ZONE":
        return f"strftime(timezone('UTC', {column}), '%Y-%m-%dT%H:%M:%S.%fZ')"
    if parquet_type.startswith("TIMESTAMP"):  # TIMESTAMP, TIMESTAMP_S / _MS / _NS: no time zone
        return (
            f"case when cast({column} as time) = time '00:00:00' then strftime(cast({column} as date), '%Y-%m-%d') "
            f"else cast({column} as varchar) end"
        )
    return f"cast({column} as varchar)"


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
    sniffed: Sniffed = field(default_factory=Sniffed)
    read_path: Path | None = None  # a UTF-8 copy of the file when it had to be transcoded
    parquet_types: dict[int, str] = field(default_factory=dict)  # position -> Parquet column type (DuckDB's name)

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
            types = connection.execute("describe select * from read_parquet(?)", [path]).fetchall()
            self.parquet_types = {position: str(row[1]) for position, row in enumerate(types)}
            texts = ", ".join(
                f"{parquet_text_sql(f'c{position}', parquet_type)} as c{position}"
                for position, parquet_type in self.parquet_types.items()
            )
            connection.execute(
                f"create temp table {records} as select row_number() over () as _record_no, "
                f"{texts}, cast(null as varchar) as c{self.width} from read_parquet(?) as _file({names})",
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
                self._view_with_simple_line_numbers(connection, header_lines=1 + self.sniffed.lines_before_header)
        self.records = _scalar(connection, f"select count(*) from {records}")
        self.reader_rejected = _scalar(connection, f"select count(*) from {self.table('reader_rejects')}")

    def _read_csv(self, connection: duckdb.DuckDBPyConnection, *, parallel: bool = True) -> None:
        columns = "{" + ", ".join(f"'c{position}': 'VARCHAR'" for position in range(self.width + 1)) + "}"
        try:
            connection.execute(
                f"create temp table {self.table('records')} as select row_number() over () as _record_no, * "
                f"from read_csv(?, header = true, auto_detect = false, columns = {columns}, delim = ?, skip = ?, "
                "compression = ?, quote = '\"', escape = '\"', strict_mode = true, null_padding = true, "
                f"nullstr = chr(0), parallel = {str(parallel).lower()}, store_rejects = true, "
                f"rejects_table = '{self.table('rejects')}', rejects_scan = '{self.table('reject_scans')}')",
                [
                    str(self.read_path or self.landing_file.path),
                    self.sniffed.delimiter,
                    self.sniffed.lines_before_header,
                    "gzip" if self.sniffed.is_gzip and self.read_path is None else "none",
                ],
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
        # DuckDB counts a skipped ``sep=`` line as a record: record lines here start at the header.
        skipped = int(self.sniffed.lines_before_header)
        connection.execute(
            f"""
            create temp table {reject_lines} as
            select line - {skipped} as record_line,
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
                _record_line + _newlines_through - _newlines + {skipped} as _line_number
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
            select {reject_lines}.record_line + coalesce(preceding._newlines_through, 0) + {skipped} as line_number,
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
        """Records ``_record_no in (selection)`` rendered back as CSV lines: ``(_record_no, raw_content)``.

        A file read with another separator (Excel's ``sep=;``) is rendered with it, as it was written.
        """
        quote = "'\"'"
        separator, needs_quotes = SEPARATOR_SQL[self.sniffed.delimiter]
        rendered = (
            f"array_to_string(list_transform(_fields, lambda x: case when x is null then '' "
            f"when regexp_matches(x, {needs_quotes}) then {quote} || replace(x, {quote}, {quote} || {quote}) "
            f"|| {quote} else x end), {separator})"
        )
        return (
            f"(select _record_no, {rendered} as raw_content from (select _record_no, "
            f"list_filter(list_value({_positional_names(self.width + 1)}), lambda x: x is not null) as _fields "
            f"from {self.table('records')} "
            f"where _record_no in ({selection})))"
        )

    def drop(self, connection: duckdb.DuckDBPyConnection) -> None:
        connection.execute(f"drop view if exists {self.table('stage')}")
        for name in ("records", "lines", "rejects", "reject_scans", "reject_lines", "reader_rejects", "parquet_types"):
            connection.execute(f"drop table if exists {self.table(name)}")


def _has_gzip_magic(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == GZIP_MAGIC


def gunzip_readable_part(path: Path, target: Path) -> bool:
    """Decompress ``path`` into ``target`` as far as the gzip stream allows; True when it was complete."""
    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    with path.open("rb") as source, target.open("wb") as out:
        while chunk := source.read(TRANSCODE_CHUNK):
            while chunk:
                try:
                    out.write(decompressor.decompress(chunk))
                except zlib.error:
                    return False
                chunk = b""
                if decompressor.eof and decompressor.unused_data:  # the next member of a multi-member gzip
                    chunk = decompressor.unused_data
                    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    return decompressor.eof


@dataclass
class RejectedFile:
    """A file rejected as a whole, its physical records (after the header line) staged as rejected rows.

    The records are split at newline bytes inside DuckDB, without decoding the
    file: ``cast(blob as varchar)`` writes every non-printable byte as
    ``\\xNN`` (a backslash as ``\\x5C``), so a record is the text between two
    ``\\x0A``. A record that is valid UTF-8 is kept as text, others escaped.
    """

    index: int
    landing_file: LandingFile
    file_hash: str
    reason: Reason
    message: str

    @property
    def table(self) -> str:
        return f"_rejected_file_{self.index}"

    def stage_physical_records(self, connection: duckdb.DuckDBPyConnection, content: Path) -> int:
        """``table``: (line_number, raw_content) of every line after the first; returns their count.

        What follows the last newline is a record unless it is empty (or the
        lone NUL byte that ends a UTF-16 LE line ending).
        """
        connection.execute(
            f"""
            create or replace temp table {self.table} as
            with content as (
                select string_split(cast(content as varchar), '\\x0A') as parts from read_blob(?)
            ),
            numbered as (
                select unnest(parts) as line, unnest(range(1, len(parts) + 1)) as line_number, len(parts) as last_part
                from content
            ),
            records as (
                select line_number, regexp_replace(line, '\\\\x0D$', '') as line
                from numbered
                where line_number > 1 and not (line_number = last_part and line in ('', '\\x00'))
            )
            select line_number,
                case when contains(line, '\\x00') then line else coalesce(try(decode(cast(line as blob))), line) end
                    as raw_content
            from records
            """,
            [str(content)],
        )
        return _scalar(connection, f"select count(*) from {self.table}")

    def stage_counted_records(self, connection: duckdb.DuckDBPyConnection, content: Path) -> int:
        """The same records, counted from newline bytes read in chunks, when the content cannot be kept."""
        newlines, last = 0, b""
        with content.open("rb") as handle:
            while chunk := handle.read(TRANSCODE_CHUNK):
                newlines += chunk.count(b"\n")
                last = chunk
        # what follows the last newline is a record unless empty (or a UTF-16 LE line ending's NUL)
        tail = last.rsplit(b"\n", 1)[-1] if b"\n" in last else last
        lines = newlines + (1 if tail not in (b"", b"\x00") else 0)
        connection.execute(
            f"create or replace temp table {self.table} as select line_number, "
            "'(content not kept: the file is too large to split into lines)' as raw_content "
            "from range(2, ? + 1) as lines(line_number)",
            [max(lines, 1)],
        )
        return max(lines - 1, 0)


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
    rejected_whole: list[RejectedFile] = field(default_factory=list)
    scratch: Path | None = None  # temp folder for transcoded or decompressed copies, removed after the load

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
            for rejected_file in self.rejected_whole:
                self.connection.execute(f"drop table if exists {rejected_file.table}")
            if self.scratch is not None:
                shutil.rmtree(self.scratch, ignore_errors=True)
            self.connection.execute("drop view if exists _batch")
            for table in ("_validated", "_superseded", "_batch_files", "_held"):
                self.connection.execute(f"drop table if exists {table}")

    def _outcome(self, landing_file: LandingFile, file_hash: str, status: str, **fields) -> FileOutcome:
        return FileOutcome(
            source=self.spec.name, file_name=landing_file.name, file_hash=file_hash, status=status, **fields
        )

    def _scratch_path(self, name: str) -> Path:
        if self.scratch is None:
            self.scratch = Path(tempfile.mkdtemp(prefix="roi-ingest-"))
        return self.scratch / name

    def _reject_file(
        self, landing_file: LandingFile, file_hash: str, message: str, reason: Reason = Reason.UNREADABLE_FILE
    ) -> None:
        """Reject a file that cannot be read as a whole: each of its physical records is a rejected row.

        Records are counted at the byte level (newline bytes after the header
        line), so rows read = loaded + rejected holds for it too; a gzip stream
        that breaks off counts what could be decompressed and says so.
        """
        rejected_file = RejectedFile(len(self.rejected_whole), landing_file, file_hash, reason, message)
        content, complete = landing_file.path, True
        if landing_file.size_bytes and _has_gzip_magic(landing_file.path):
            content = self._scratch_path(f"gunzipped_{rejected_file.index}")
            complete = gunzip_readable_part(landing_file.path, content)
        try:
            records = rejected_file.stage_physical_records(self.connection, content)
        except duckdb.Error as error:  # e.g. too large to split in memory: count newline bytes in chunks
            log.warning("%s: records of a rejected file counted without their content: %s", landing_file.name, error)
            records = rejected_file.stage_counted_records(self.connection, content)
        if not complete:
            rejected_file.message = (
                f"{message}; the gzip stream is cut off or corrupt: only its first {records} record(s) after the "
                "header could be read (counted and rejected); upload the complete file again"
            )
        self.rejected_whole.append(rejected_file)
        self.outcomes.append(
            self._outcome(
                landing_file,
                file_hash,
                FILE_STATUS_REJECTED,
                rows_read=records,
                rows_rejected=records,
                message=rejected_file.message,
                rejected_samples=(rejected_file.message,),
            )
        )

    def _stage(self, landing_file: LandingFile, file_hash: str) -> None:
        if landing_file.size_bytes == 0:
            self._reject_file(landing_file, file_hash, EMPTY_FILE_MESSAGE)
            return
        staged: StagedFile | None = None
        try:
            sniffed = Sniffed() if landing_file.is_parquet else sniff_file(landing_file)
            header = read_header(self.connection, landing_file, sniffed)
            read_path = None
            if sniffed.needs_transcoding:
                read_path = self._scratch_path(f"transcoded_{len(self.staged)}.csv")
                transcode_to_utf8(landing_file, sniffed, read_path)
            staged = StagedFile(
                len(self.staged),
                landing_file,
                file_hash,
                len(header),
                column_positions(header),
                sniffed=sniffed,
                read_path=read_path,
            )
            staged.stage(self.connection)
        except FileRejectedError as error:
            self._discard(staged)
            self._reject_file(landing_file, file_hash, str(error), error.reason)
            return
        except LandingError as error:
            self._discard(staged)
            self._reject_file(landing_file, file_hash, str(error))
            return
        except (duckdb.Error, OSError, EOFError, UnicodeDecodeError, csv.Error, zlib.error) as error:
            self._discard(staged)
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            self._reject_file(landing_file, file_hash, f"unreadable file: {reason}; {RE_EXPORT}")
            return
        self.staged.append(staged)
        if staged.parquet_types:
            self._record_parquet_types(staged)
        missing = [c.header for c in self.spec.columns if c.required and c.header.lower() not in staged.positions]
        if missing:
            self.missing_columns[staged.index] = missing

    def _record_parquet_types(self, staged: StagedFile) -> None:
        """``_parquet_types_<i>``: each contract column's Parquet type, so a rejected value names it."""
        table = staged.table("parquet_types")
        self.connection.execute(f"create or replace temp table {table} (column_name varchar, parquet_type varchar)")
        present = [
            (column.header, staged.parquet_types[staged.positions[column.header.lower()]])
            for column in self.spec.columns
            if column.header.lower() in staged.positions
        ]
        if present:
            self.connection.executemany(f"insert into {table} values (?, ?)", present)

    def _missing_columns_message(self, staged: StagedFile) -> str:
        """The missing columns, and what to do when the header is one field holding another separator."""
        message = f"{REASON_TEXT[Reason.MISSING_COLUMNS]}: {', '.join(self.missing_columns[staged.index])}"
        if staged.width == 1 and not staged.landing_file.is_parquet:
            (only_name,) = staged.positions or {"": 0}
            for separator in (";", "\t", "|"):
                if separator in only_name:
                    message += (
                        f"; the header looks {SEPARATOR_NAMES[separator]}-separated: re-export with ',' as the "
                        f"separator (or put Excel's line 'sep={separator}' first)"
                    )
                    break
        return message

    @staticmethod
    def _reading_notes(staged: StagedFile) -> str | None:
        """How a loaded file was read when it was not plain comma-separated UTF-8 (None when it was)."""
        notes = staged.sniffed.notes()
        if staged.sniffed.is_gzip != staged.landing_file.name.lower().endswith(".gz"):
            notes.append("gzip content" if staged.sniffed.is_gzip else "not compressed despite the .gz suffix")
        return "; ".join(notes) or None

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
                    message=self._missing_columns_message(staged) if missing else self._reading_notes(staged),
                )
            )
        connection.execute("begin transaction")
        try:
            if self.staged:
                self._insert_raw()
                restatements.record(self.connection, self.spec, self.load_id, self.loaded_at)
            for staged in self.staged:
                self._insert_rejected_rows(staged)
            for rejected_file in self.rejected_whole:
                self._insert_rejected_for(
                    rejected_file.landing_file,
                    rejected_file.file_hash,
                    f"select line_number, null as column_name, ? as reason_code, ? as reason, raw_content "
                    f"from {rejected_file.table}",
                    [rejected_file.reason.value, f"file rejected: {rejected_file.message}"],
                )
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
        self._insert_rejected_for(staged.landing_file, staged.file_hash, rows_sql, parameters)

    def _insert_rejected_for(self, landing_file: LandingFile, file_hash: str, rows_sql: str, parameters: list) -> None:
        """Insert rejected rows of one file; raw content is capped at ``max_raw_content_chars`` plus a marker."""
        self.connection.execute(
            f"insert into audit.rejected_rows select ?, ?, ?, ?, line_number, column_name, reason_code, reason, "
            f"{capped_raw_content_sql('raw_content')}, ? from ({rows_sql})",
            [
                self.load_id,
                self.spec.name,
                landing_file.name,
                file_hash,
                self.settings.max_raw_content_chars,
                self.settings.max_raw_content_chars,
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
            message = self._missing_columns_message(staged)
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
        type_note, type_join = "", ""
        if staged.parquet_types:  # name the Parquet type of the column that failed
            type_note = (
                "|| coalesce(' (Parquet column ' || _types.column_name || ' is ' || _types.parquet_type || ')', '')"
            )
            type_join = (
                f"left join {staged.table('parquet_types')} as _types on _types.column_name = _validated._column_name"
            )
        self._insert_rejected(
            staged,
            f"""
            select _validated._line_number as line_number,
                coalesce(_validated._column_name, ?) as column_name,
                coalesce(_validated._reason_code, ?) as reason_code,
                coalesce({rejection_message_sql(spec)}, {superseded_reason} || _superseded._last_line || ')')
                    {type_note} as reason,
                _raw.raw_content
            from (select * from _validated where _file_index = {index}) as _validated
            join {staged.raw_records_sql(rejected_here)} as _raw using (_record_no)
            join (select * from _batch where _file_index = {index}) as _batch using (_record_no)
            left join (select * from _superseded where _file_index = {index}) as _superseded using (_record_no)
            {type_join}
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


def normalise_stored_keys(connection: duckdb.DuckDBPyConnection, spec: SourceSpec) -> int:
    """Bring keys loaded before their normalisation existed to their canonical spelling; returns rows changed.

    A warehouse loaded by an earlier version holds keys as the files wrote them
    (``582-471-9301``); new loads write them canonically. Without this, the
    two spellings of one key would stay two keys for staging. Idempotent: a
    row already canonical is not touched, so a current warehouse pays one scan.
    """
    columns = [column for column in spec.columns if column.normalise is not Normalise.NONE]
    if not columns:
        return 0
    table = f"raw.{quote_identifier(spec.table)}"
    values = {column.header: quote_identifier(column.name) for column in spec.columns}
    canonical = {column.name: normalised_key_sql(spec, column, values[column.header], values) for column in columns}
    assignments = ", ".join(f"{quote_identifier(name)} = {sql}" for name, sql in canonical.items())
    differs = " or ".join(f"{quote_identifier(name)} is distinct from {sql}" for name, sql in canonical.items())
    rows = connection.execute(f"update {table} set {assignments} where {differs}").fetchall()
    return rows[0][0] if rows else 0


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
    normalised = normalise_stored_keys(connection, spec)
    if normalised:
        log.info("%s: %d row(s) loaded before key normalisation now carry canonical keys", spec.name, normalised)
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
