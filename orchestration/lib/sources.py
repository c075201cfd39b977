"""The landing-zone contract as data: one ``SourceSpec`` per source folder.

Everything the ingestion needs to know about a source lives here: the folder,
the columns as the export writes them, the type each is validated and loaded
as, which ones must be present and non-empty, and the natural key a later file
restates. ``raw.<source>`` tables have exactly these columns (header dots
become underscores) plus the lineage columns in ``LINEAGE_COLUMNS``.
See ``shared/data-contract.md`` for the prose version.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """How a landing value is validated and which DuckDB type it is loaded as."""

    TEXT = "text"  # VARCHAR, trimmed; empty becomes NULL
    DATE = "date"  # DATE from YYYY-MM-DD
    TIMESTAMP = "timestamp"  # TIMESTAMPTZ from ISO 8601 with an offset or Z
    PERIOD = "period"  # VARCHAR YYYY-MM
    CURRENCY = "currency"  # VARCHAR, ISO 4217 code (upper-cased)
    AMOUNT = "amount"  # DECIMAL(18,6), any sign
    NON_NEGATIVE_AMOUNT = "non_negative_amount"  # DECIMAL(18,6), >= 0
    RATE = "rate"  # DECIMAL(18,10), > 0
    COUNT = "count"  # BIGINT, >= 0
    MICROS = "micros"  # BIGINT, >= 0 (money x 1,000,000)
    BOOLEAN = "boolean"  # BOOLEAN from true/false or 1/0 (any case)


class Normalise(StrEnum):
    """How a key is brought to one spelling at ingestion, so that every spelling is the same key.

    Applied to the typed value written to ``raw.<source>``: in-file duplicate
    detection, closed-period holds, staging restatements and joins all compare
    the canonical form. A value that does not look like the platform's id is
    kept as written (and compared as such).
    """

    NONE = "none"
    # Google Ads customer id, digits only: '582-471-9301' and '582 471 9301' -> '5824719301'
    GOOGLE_CUSTOMER_ID = "google_customer_id"
    # a platform id that is a number: digits without leading zeros ('021437658090' -> '21437658090')
    NUMERIC_ID = "numeric_id"
    # Meta ad account id: NUMERIC_ID, also without the Graph API's 'act_' prefix ('act_0104' -> '104')
    META_ACCOUNT_ID = "meta_account_id"
    # LinkedIn account or campaign number: NUMERIC_ID, also from its URN, any capitals
    # ('urn:li:sponsoredAccount:508' -> '508', 'URN:LI:SPONSOREDCAMPAIGN:0123' -> '123')
    LINKEDIN_ID = "linkedin_id"
    # LinkedIn campaign: 'urn:li:sponsoredCampaign:<digits without leading zeros>', from a URN with any
    # capitals or leading zeros, or from the bare number ('123' -> 'urn:li:sponsoredCampaign:123')
    LINKEDIN_CAMPAIGN_URN = "linkedin_campaign_urn"
    # lower case: platform and source-system names ('Google_Ads' -> 'google_ads')
    LOWER_CASE = "lower_case"
    # a campaign id as the campaign file writes it: by the row's `platform`, its spend source's rule
    # (google_ads and meta_ads NUMERIC_ID, linkedin_ads the number of its URN); other platforms as written
    CAMPAIGN_ID_BY_PLATFORM = "campaign_id_by_platform"
    # an account id as an invoice writes it: by the row's `platform`, its spend source's account rule
    ACCOUNT_ID_BY_PLATFORM = "account_id_by_platform"


# The platform-dependent rules: the spend source's own rule for its campaign and account ids, as other
# files (campaigns, vendor invoices) must write them to join. LinkedIn's campaign file uses the number.
PLATFORM_CAMPAIGN_ID: dict[str, Normalise] = {
    "google_ads": Normalise.NUMERIC_ID,
    "meta_ads": Normalise.NUMERIC_ID,
    "linkedin_ads": Normalise.LINKEDIN_ID,  # the number, of a bare id or of a URN
}
PLATFORM_ACCOUNT_ID: dict[str, Normalise] = {
    "google_ads": Normalise.GOOGLE_CUSTOMER_ID,
    "meta_ads": Normalise.META_ACCOUNT_ID,
    "linkedin_ads": Normalise.LINKEDIN_ID,
}


DUCKDB_TYPE = {
    Kind.TEXT: "VARCHAR",
    Kind.DATE: "DATE",
    Kind.TIMESTAMP: "TIMESTAMPTZ",
    Kind.PERIOD: "VARCHAR",
    Kind.CURRENCY: "VARCHAR",
    Kind.AMOUNT: "DECIMAL(18,6)",
    Kind.NON_NEGATIVE_AMOUNT: "DECIMAL(18,6)",
    Kind.RATE: "DECIMAL(18,10)",
    Kind.COUNT: "BIGINT",
    Kind.MICROS: "BIGINT",
    Kind.BOOLEAN: "BOOLEAN",
}


@dataclass(frozen=True)
class Column:
    """One landing column.

    ``header`` is the name in the file; ``name`` the raw-table column.
    ``required``: the column must be in the header (else the file is rejected).
    ``not_null``: a row with an empty value is rejected.
    ``pattern``: an optional regular expression the trimmed text must match.
    ``normalise``: how a key is brought to its canonical spelling (``Normalise``).
    """

    header: str
    kind: Kind = Kind.TEXT
    required: bool = True
    not_null: bool = False
    pattern: str | None = None
    normalise: Normalise = Normalise.NONE

    @property
    def name(self) -> str:
        return self.header.replace(".", "_")

    @property
    def duckdb_type(self) -> str:
        return DUCKDB_TYPE[self.kind]


@dataclass(frozen=True)
class SourceSpec:
    """A landing-zone source: ``<landing>/<folder>/*.{csv,csv.gz,parquet}`` -> ``raw.<name>``."""

    name: str
    folder: str
    description: str
    columns: tuple[Column, ...]
    natural_key: tuple[str, ...]
    optional: bool = False
    # Platform spend: the date column whose month, once finance closed it, freezes the reported figures
    # (restatements of closed months are held instead of applied; see lib/closed_periods.py).
    closing_date_column: str | None = None

    @property
    def table(self) -> str:
        return self.name

    def column(self, header: str) -> Column:
        for column in self.columns:
            if column.header == header:
                return column
        raise KeyError(f"{self.name} has no column {header!r}")

    @property
    def closing_column(self) -> Column | None:
        return self.column(self.closing_date_column) if self.closing_date_column else None

    @property
    def key_columns(self) -> tuple[Column, ...]:
        return tuple(self.column(header) for header in self.natural_key)


# Lineage columns every raw table carries after the source's own columns.
LINEAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_source_file", "VARCHAR"),  # path relative to the source folder
    ("_file_modified_at", "TIMESTAMP"),  # file mtime (UTC): tie-break for restatements
    ("_file_hash", "VARCHAR"),  # sha256 of the file's bytes
    ("_line_number", "BIGINT"),  # line in the file (CSV) or row number (Parquet)
    ("_load_id", "VARCHAR"),  # the ingestion run that loaded the row
    ("_loaded_at", "TIMESTAMP"),  # when (UTC)
)


def _key(
    header: str, kind: Kind = Kind.TEXT, pattern: str | None = None, normalise: Normalise = Normalise.NONE
) -> Column:
    return Column(header, kind, required=True, not_null=True, pattern=pattern, normalise=normalise)


def _value(header: str, kind: Kind = Kind.TEXT, normalise: Normalise = Normalise.NONE) -> Column:
    return Column(header, kind, required=True, not_null=True, normalise=normalise)


def _optional(header: str, kind: Kind = Kind.TEXT, *, column_required: bool = True) -> Column:
    return Column(header, kind, required=column_required, not_null=False)


SOURCES: tuple[SourceSpec, ...] = (
    SourceSpec(
        name="google_ads",
        folder="marketing/google_ads",
        description="Google Ads campaign report, one row per day x customer x campaign (account time zone).",
        columns=(
            _key("segments.date", Kind.DATE),
            _key("customer.id", normalise=Normalise.GOOGLE_CUSTOMER_ID),
            _value("customer.currency_code", Kind.CURRENCY),
            _key("campaign.id", normalise=Normalise.NUMERIC_ID),
            _optional("campaign.name"),
            _value("metrics.cost_micros", Kind.MICROS),
            _optional("metrics.impressions", Kind.COUNT),
            _optional("metrics.clicks", Kind.COUNT),
            _optional("metrics.conversions", Kind.NON_NEGATIVE_AMOUNT),
            _optional("metrics.conversions_value", Kind.NON_NEGATIVE_AMOUNT),
        ),
        natural_key=("segments.date", "customer.id", "campaign.id"),
        closing_date_column="segments.date",
    ),
    SourceSpec(
        name="meta_ads",
        folder="marketing/meta_ads",
        description="Meta Ads insights at campaign level, time_increment=1.",
        columns=(
            _key("date_start", Kind.DATE),
            _key("account_id", normalise=Normalise.META_ACCOUNT_ID),
            _value("account_currency", Kind.CURRENCY),
            _key("campaign_id", normalise=Normalise.NUMERIC_ID),
            _optional("campaign_name"),
            _value("spend", Kind.NON_NEGATIVE_AMOUNT),
            _optional("impressions", Kind.COUNT),
            _optional("clicks", Kind.COUNT),
            _optional("purchases", Kind.NON_NEGATIVE_AMOUNT),
            _optional("purchase_value", Kind.NON_NEGATIVE_AMOUNT),
        ),
        natural_key=("date_start", "account_id", "campaign_id"),
        closing_date_column="date_start",
    ),
    SourceSpec(
        name="linkedin_ads",
        folder="marketing/linkedin_ads",
        description="LinkedIn ad analytics, pivot=CAMPAIGN, timeGranularity=DAILY.",
        columns=(
            _key("day", Kind.DATE),
            _key("account_id", normalise=Normalise.LINKEDIN_ID),
            _value("account_currency", Kind.CURRENCY),
            _key(
                "campaign_urn",
                pattern=r"^(?i:urn:li:sponsoredCampaign:)?[0-9]+$",
                normalise=Normalise.LINKEDIN_CAMPAIGN_URN,
            ),
            _optional("campaign_name"),
            _value("cost_in_local_currency", Kind.NON_NEGATIVE_AMOUNT),
            _optional("impressions", Kind.COUNT),
            _optional("clicks", Kind.COUNT),
            _optional("external_website_conversions", Kind.NON_NEGATIVE_AMOUNT),
        ),
        natural_key=("day", "account_id", "campaign_urn"),
        closing_date_column="day",
    ),
    SourceSpec(
        name="other_spend",
        folder="marketing/other_spend",
        description="Spend of any other channel (TV, events, agency fees, ...) per day, system, account, campaign.",
        columns=(
            _key("spend_date", Kind.DATE),
            _key("source_system", normalise=Normalise.LOWER_CASE),
            _key("account_id"),
            _key("campaign_id"),
            _optional("campaign_name"),
            _value("currency", Kind.CURRENCY),
            _value("spend", Kind.NON_NEGATIVE_AMOUNT),
            _optional("impressions", Kind.COUNT, column_required=False),
            _optional("clicks", Kind.COUNT, column_required=False),
        ),
        natural_key=("spend_date", "source_system", "account_id", "campaign_id"),
        closing_date_column="spend_date",
    ),
    SourceSpec(
        name="campaigns",
        folder="marketing/campaigns",
        description="Campaign dimension by marketing ops: channel, budget line and UTM per platform campaign.",
        columns=(
            _key("platform", normalise=Normalise.LOWER_CASE),
            _key("campaign_id", normalise=Normalise.CAMPAIGN_ID_BY_PLATFORM),
            _optional("campaign_name"),
            _value("channel"),
            _optional("budget_line_id"),
            _optional("utm_campaign"),
            _optional("start_date", Kind.DATE),
            _optional("end_date", Kind.DATE),
            _optional("owner_team"),
        ),
        natural_key=("platform", "campaign_id"),
    ),
    SourceSpec(
        name="touchpoints",
        folder="marketing/touchpoints",
        description="Marketing touches (sessions, ad clicks, email opens) by visitor and, once known, customer.",
        columns=(
            _key("touchpoint_id"),
            _value("anonymous_id"),
            _optional("customer_id"),
            _value("occurred_at", Kind.TIMESTAMP),
            _optional("utm_source"),
            _optional("utm_medium"),
            _optional("utm_campaign"),
            _optional("touch_type"),
        ),
        natural_key=("touchpoint_id",),
    ),
    SourceSpec(
        name="conversions",
        folder="marketing/conversions",
        description="Orders or closed-won deals from the CRM or shop, with revenue and gross margin.",
        columns=(
            _key("conversion_id"),
            _value("customer_id"),
            _value("converted_at", Kind.TIMESTAMP),
            _value("revenue", Kind.AMOUNT),
            _value("gross_margin", Kind.AMOUNT),
            _value("currency", Kind.CURRENCY),
            _optional("conversion_type"),
        ),
        natural_key=("conversion_id",),
    ),
    SourceSpec(
        name="lift_tests",
        folder="marketing/lift_tests",
        description="Optional experiment results: incremental revenue of a channel over a test window.",
        columns=(
            _key("test_id"),
            _value("channel"),
            _value("start_date", Kind.DATE),
            _value("end_date", Kind.DATE),
            _value("spend", Kind.NON_NEGATIVE_AMOUNT),
            _value("incremental_revenue", Kind.AMOUNT),
            _optional("ci_low", Kind.AMOUNT),
            _optional("ci_high", Kind.AMOUNT),
            _value("currency", Kind.CURRENCY),
        ),
        natural_key=("test_id",),
        optional=True,
    ),
    SourceSpec(
        name="gl_journal_lines",
        folder="finance/gl_journal_lines",
        description="General-ledger journal lines from the ERP (debit positive, credit negative).",
        columns=(
            _key("journal_id"),
            _key("line_id"),
            _value("posting_date", Kind.DATE),
            _value("fiscal_period", Kind.PERIOD),
            _value("account_code"),
            _optional("account_name"),
            _optional("cost_center"),
            _optional("budget_line_id"),
            _optional("vendor"),
            _value("amount", Kind.AMOUNT),
            _value("currency", Kind.CURRENCY),
            _optional("memo"),
            _optional("invoice_id"),
        ),
        natural_key=("journal_id", "line_id"),
    ),
    SourceSpec(
        name="vendor_invoices",
        folder="finance/vendor_invoices",
        description="Media-vendor invoices: one posted invoice bills one platform account for one month.",
        columns=(
            _key("invoice_id"),
            _optional("vendor"),
            _value("platform", normalise=Normalise.LOWER_CASE),
            _value("platform_account_id", normalise=Normalise.ACCOUNT_ID_BY_PLATFORM),
            _value("billing_period", Kind.PERIOD),
            _optional("invoice_date", Kind.DATE),
            _value("amount", Kind.AMOUNT),
            _value("currency", Kind.CURRENCY),
            _value("status"),
        ),
        natural_key=("invoice_id",),
    ),
    SourceSpec(
        name="budgets",
        folder="finance/budgets",
        description="The approved plan per budget version, fiscal period and budget line.",
        columns=(
            _key("budget_version"),
            _key("fiscal_period", Kind.PERIOD),
            _key("budget_line_id"),
            _optional("channel"),
            _value("amount", Kind.AMOUNT),
            _value("currency", Kind.CURRENCY),
            _value("approved_at", Kind.TIMESTAMP),
            _optional("approved_by"),
        ),
        natural_key=("budget_version", "fiscal_period", "budget_line_id"),
    ),
    SourceSpec(
        name="fx_rates",
        folder="finance/fx_rates",
        description="Daily exchange rates from treasury: units of to_currency for one from_currency.",
        columns=(
            _key("rate_date", Kind.DATE),
            _key("from_currency", Kind.CURRENCY),
            _key("to_currency", Kind.CURRENCY),
            _value("rate", Kind.RATE),
        ),
        natural_key=("rate_date", "from_currency", "to_currency"),
    ),
    SourceSpec(
        name="opportunities",
        folder="marketing/opportunities",
        description=(
            "Optional B2B pipeline from the CRM: snapshots of opportunities; per opportunity the latest"
            " updated_at is current, the earlier snapshots are its stage history."
        ),
        columns=(
            _key("opportunity_id"),
            _value("customer_id"),
            _value("created_at", Kind.TIMESTAMP),
            _value("stage"),
            _value("amount", Kind.NON_NEGATIVE_AMOUNT),
            _value("currency", Kind.CURRENCY),
            _optional("expected_close_date", Kind.DATE),
            _value("is_closed", Kind.BOOLEAN),
            _value("is_won", Kind.BOOLEAN),
            _key("updated_at", Kind.TIMESTAMP),
        ),
        # a snapshot is an opportunity as of updated_at: a later file repeating one restates it
        natural_key=("opportunity_id", "updated_at"),
        optional=True,
    ),
)

SOURCES_BY_NAME: dict[str, SourceSpec] = {spec.name: spec for spec in SOURCES}
