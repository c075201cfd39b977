"""The fictional company the sample describes: its calendar, ad accounts, campaigns and budget lines.

Everything here is static and deterministic. Campaign flights and the months the planted cases use
are given as month offsets from the story's first month: the first month of the generated range, or,
when the range holds more than ``STORY_MONTHS`` months, the month ``STORY_MONTHS - 1`` months before
the last one (the earlier months are history the media model learns from). So any ``--start``/``--end``
spanning at least 13 months gets the same story; with the defaults month 0 is 2025-01.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from seeds._io import epoch

# Books of a month are complete (all invoices posted) this many days after the month ends.
BOOKS_CLOSE_DAYS = 12
# The planted cases need this many closed months.
MIN_CLOSED_MONTHS = 12
# Months the planted story spans; a longer range starts with history before it.
STORY_MONTHS = 14


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after the month of ``day``."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(day: dt.date) -> dt.date:
    return add_months(day, 1) - dt.timedelta(days=1)


def period(day: dt.date) -> str:
    """``YYYY-MM`` of a date."""
    return f"{day.year:04d}-{day.month:02d}"


@dataclass(frozen=True)
class Calendar:
    """The generated date range, its months and which of them are closed."""

    start: dt.date
    end: dt.date

    @property
    def months(self) -> list[dt.date]:
        """First day of every month touching the range."""
        first = dt.date(self.start.year, self.start.month, 1)
        count = (self.end.year - first.year) * 12 + self.end.month - first.month + 1
        return [add_months(first, offset) for offset in range(count)]

    @property
    def closed_months(self) -> list[dt.date]:
        """Months whose books are complete by ``end`` (invoices received and posted)."""
        return [m for m in self.months if month_end(m) + dt.timedelta(days=BOOKS_CLOSE_DAYS) <= self.end]

    @property
    def lead(self) -> int:
        """Months of history before the story's month 0."""
        return max(0, len(self.months) - STORY_MONTHS)

    @property
    def offsets(self) -> range:
        """The month offsets of the range, first to last (the first is ``-lead``)."""
        return range(-self.lead, len(self.months) - self.lead)

    def month(self, offset: int) -> dt.date:
        """First day of the month ``offset`` months after the story's first month (may be negative)."""
        return add_months(self.months[0], self.lead + offset)

    def offset(self, day: dt.date) -> int:
        """Month offset of the month containing ``day``."""
        first = self.months[0]
        return (day.year - first.year) * 12 + day.month - first.month - self.lead

    def arrival(self, offset: int, hour: int = 6) -> int:
        """When a monthly drop lands (epoch seconds): the 1st of the next month, or the day after ``end``."""
        return epoch(min(add_months(self.month(offset), 1), self.end + dt.timedelta(days=1)), hour)

    def day(self, offset: int, day: int) -> dt.date:
        """Day ``day`` (``-1`` = last) of the month at ``offset``."""
        first = self.month(offset)
        return month_end(first) if day == -1 else first.replace(day=day)

    def validate(self) -> None:
        if self.end < self.start:
            raise ValueError(f"--end {self.end} is before --start {self.start}")
        if len(self.closed_months) < MIN_CLOSED_MONTHS:
            raise ValueError(
                f"the planted cases need {MIN_CLOSED_MONTHS} closed months; {self.start}..{self.end} has "
                f"{len(self.closed_months)} (a month is closed {BOOKS_CLOSE_DAYS} days after it ends)"
            )


@dataclass(frozen=True)
class Account:
    """A billed ad account: one vendor invoice per closed month with spend."""

    platform: str  # google_ads, meta_ads, linkedin_ads or an other_spend source_system
    account_id: str
    currency: str
    vendor: str
    invoice_prefix: str
    invoice_day: int  # day of the following month the vendor invoices
    gl_account: tuple[str, str]  # (code, name) the invoice is expensed to
    cost_center: str


@dataclass(frozen=True)
class Flight:
    """When a campaign runs, as (month offset, day) pairs; ``None`` end = still running."""

    start: tuple[int, int] = (-40, 1)
    end: tuple[int, int] | None = None


@dataclass(frozen=True)
class Campaign:
    platform: str
    account_id: str
    campaign_id: str
    name: str
    channel: str
    budget_line_id: str
    utm_campaign: str
    daily_spend: float  # a typical day, account currency
    owner_team: str
    flight: Flight = field(default_factory=Flight)
    touch_weight: float = 1.0  # relative share of its channel's paid touches
    utm_source: str = ""
    utm_medium: str = ""

    def start_date(self, calendar: Calendar) -> dt.date:
        return calendar.day(*self.flight.start)

    def end_date(self, calendar: Calendar) -> dt.date | None:
        return None if self.flight.end is None else calendar.day(*self.flight.end)


@dataclass(frozen=True)
class BudgetLine:
    budget_line_id: str
    channel: str
    in_euro: bool = False  # planned in EUR (the one foreign-currency line)


DIGITAL = ("6100", "Advertising - digital")
OFFLINE = ("6110", "Advertising - offline media")
AGENCY_FEES = ("6120", "Advertising - agency fees")

ACCOUNTS: tuple[Account, ...] = (
    Account("google_ads", "5824719301", "USD", "Google LLC", "GOOG", 2, DIGITAL, "MKT-PERF"),
    Account("google_ads", "7310462958", "EUR", "Google Ireland Limited", "GOOG", 2, DIGITAL, "MKT-PERF"),
    Account("meta_ads", "104839201847362", "EUR", "Meta Platforms Ireland Limited", "META", 3, DIGITAL, "MKT-PERF"),
    Account("meta_ads", "209384756102938", "GBP", "Meta Platforms Ireland Limited", "META", 3, DIGITAL, "MKT-PERF"),
    Account("linkedin_ads", "508123456", "GBP", "LinkedIn Ireland Unlimited Company", "LNKD", 4, DIGITAL, "MKT-B2B"),
    Account("tv_agency", "TVA-JP-01", "JPY", "Sora Media Partners KK", "SORA", 5, OFFLINE, "MKT-BRAND"),
    Account("tv_agency", "TVA-US-01", "USD", "Northbeam Audio LLC", "NBA", 5, OFFLINE, "MKT-BRAND"),
    Account("affiliate_network", "PL-88213", "EUR", "PartnerLoop GmbH", "PLOOP", 6, DIGITAL, "MKT-PERF"),
)
ACCOUNTS_BY_ID: dict[str, Account] = {account.account_id: account for account in ACCOUNTS}

BUDGET_LINES: tuple[BudgetLine, ...] = (
    BudgetLine("BL-SEARCH", "paid_search"),
    BudgetLine("BL-DISPLAY", "display"),
    BudgetLine("BL-VIDEO", "video"),
    BudgetLine("BL-SOCIAL", "paid_social"),
    BudgetLine("BL-B2B", "paid_social"),
    BudgetLine("BL-AFFILIATE", "affiliate", in_euro=True),
    BudgetLine("BL-OFFLINE", "offline"),
)

_US, _EU, _G = "5824719301", "7310462958", "google_ads"
_ME, _MG, _M = "104839201847362", "209384756102938", "meta_ads"
_LI, _L = "508123456", "linkedin_ads"
_SEARCH = {"utm_source": "google", "utm_medium": "cpc"}
_GDN = {"utm_source": "google", "utm_medium": "display"}
_YT = {"utm_source": "youtube", "utm_medium": "video"}
_FB = {"utm_source": "facebook", "utm_medium": "paid_social"}
_IG = {"utm_source": "instagram", "utm_medium": "paid_social"}
_LNK = {"utm_source": "linkedin", "utm_medium": "paid_social"}
_AFF = {"utm_source": "affiliate", "utm_medium": "affiliate"}
_PERF_US, _PERF_EU = "Performance Marketing US", "Performance Marketing EU"

CAMPAIGNS: tuple[Campaign, ...] = (
    # Google Ads, USD account (US market)
    Campaign(_G, _US, "21437658090", "US | Search | Brand", "paid_search", "BL-SEARCH", "us_search_brand",
             1400, _PERF_US, touch_weight=3, **_SEARCH),
    Campaign(_G, _US, "21437658091", "US | Search | Generic", "paid_search", "BL-SEARCH", "us_search_generic",
             2600, _PERF_US, touch_weight=3, **_SEARCH),
    Campaign(_G, _US, "21437659123", "US | Search | Competitor", "paid_search", "BL-SEARCH",
             "us_search_competitor", 700, _PERF_US, Flight((1, 1)), **_SEARCH),
    Campaign(_G, _US, "21512004477", "US | Display | Remarketing", "display", "BL-DISPLAY",
             "us_display_remarketing", 600, _PERF_US, touch_weight=2, **_GDN),
    Campaign(_G, _US, "21512008810", "US | YouTube | Awareness", "video", "BL-VIDEO", "us_video_awareness",
             900, "Brand Marketing", touch_weight=2, **_YT),
    # Google Ads, EUR account (EU market)
    Campaign(_G, _EU, "20987345612", "EU | Search | Brand", "paid_search", "BL-SEARCH", "eu_search_brand",
             700, _PERF_EU, touch_weight=2, **_SEARCH),
    Campaign(_G, _EU, "20987345613", "EU | Search | Generic", "paid_search", "BL-SEARCH", "eu_search_generic",
             1500, _PERF_EU, touch_weight=2, **_SEARCH),
    Campaign(_G, _EU, "21601234980", "EU | Search | Spring Promo", "paid_search", "BL-SEARCH",
             "eu_search_spring_promo", 800, _PERF_EU, Flight((2, 1), (3, -1)), **_SEARCH),
    Campaign(_G, _EU, "20990112034", "EU | Display | Prospecting", "display", "BL-DISPLAY",
             "eu_display_prospecting", 500, _PERF_EU, **_GDN),
    Campaign(_G, _EU, "20990117765", "EU | YouTube | Product Demo", "video", "BL-VIDEO", "eu_video_demo",
             450, "Brand Marketing", Flight((3, 1), (8, -1)), **_YT),
    # Meta Ads, EUR and GBP accounts
    Campaign(_M, _ME, "120210345678901234", "EU_Prospecting_Lookalike", "paid_social", "BL-SOCIAL",
             "eu_social_prospecting", 900, _PERF_EU, touch_weight=3, **_FB),
    Campaign(_M, _ME, "120210345678905678", "EU_Retargeting_DPA", "paid_social", "BL-SOCIAL",
             "eu_social_retargeting", 500, _PERF_EU, touch_weight=2, **_IG),
    Campaign(_M, _ME, "120213987654321098", "EU_Video_Views_Spring", "paid_social", "BL-SOCIAL",
             "eu_social_video_spring", 400, _PERF_EU, Flight((3, 1), (5, -1)), **_FB),
    Campaign(_M, _MG, "120211223344556677", "UK_Prospecting_Broad", "paid_social", "BL-SOCIAL",
             "uk_social_prospecting", 700, _PERF_EU, touch_weight=2, **_FB),
    Campaign(_M, _MG, "120211223344559900", "UK_Retargeting_Catalog", "paid_social", "BL-SOCIAL",
             "uk_social_retargeting", 350, _PERF_EU, **_IG),
    Campaign(_M, _MG, "120219876501234567", "UK_BlackFriday_Sale", "paid_social", "BL-SOCIAL",
             "uk_social_black_friday", 1200, _PERF_EU, Flight((10, 14), (11, 1)), touch_weight=3, **_FB),
    # LinkedIn Ads, GBP account (B2B)
    Campaign(_L, _LI, "187654321", "B2B - Lead Gen - IT Decision Makers", "paid_social", "BL-B2B",
             "b2b_leadgen_itdm", 450, "Demand Generation", **_LNK),
    Campaign(_L, _LI, "187654322", "B2B - Sponsored Content - Whitepaper", "paid_social", "BL-B2B",
             "b2b_content_whitepaper", 300, "Demand Generation", **_LNK),
    Campaign(_L, _LI, "190223344", "B2B - Conversation Ads - Demo Request", "paid_social", "BL-B2B",
             "b2b_conversation_demo", 200, "Demand Generation", Flight((6, 1)), **_LNK),
    # Other spend: a TV agency (JPY TV flights, a USD podcast) and an affiliate network (EUR)
    Campaign("tv_agency", "TVA-JP-01", "TVJP-F1", "JP TV - Flight 1", "offline", "BL-OFFLINE", "jp_tv_flight_1",
             450000, "Brand Marketing", Flight((2, 10), (4, -1))),
    Campaign("tv_agency", "TVA-JP-01", "TVJP-F2", "JP TV - Flight 2", "offline", "BL-OFFLINE", "jp_tv_flight_2",
             500000, "Brand Marketing", Flight((8, 1), (10, -1))),
    Campaign("tv_agency", "TVA-JP-01", "TVJP-F3", "JP TV - Flight 3", "offline", "BL-OFFLINE", "jp_tv_flight_3",
             400000, "Brand Marketing", Flight((12, 5))),
    Campaign("tv_agency", "TVA-US-01", "POD-US-01", "US Podcast Sponsorship", "offline", "BL-OFFLINE",
             "us_podcast", 500, "Brand Marketing", Flight((3, 1), (9, -1))),
    Campaign("affiliate_network", "PL-88213", "AFF-CASHBACK", "Affiliate - Cashback Partners", "affiliate",
             "BL-AFFILIATE", "aff_cashback", 180, "Partnerships", touch_weight=2, **_AFF),
    Campaign("affiliate_network", "PL-88213", "AFF-CONTENT", "Affiliate - Content Publishers", "affiliate",
             "BL-AFFILIATE", "aff_content", 150, "Partnerships", **_AFF),
    Campaign("affiliate_network", "PL-88213", "AFF-VOUCHER", "Affiliate - Voucher Sites", "affiliate",
             "BL-AFFILIATE", "aff_voucher", 90, "Partnerships", **_AFF),
    # Planned, no spend yet: in campaigns/ only.
    Campaign(_G, _US, "21700000001", "US | Search | Next Launch", "paid_search", "BL-SEARCH",
             "us_search_next_launch", 0, _PERF_US, Flight((27, 1))),
)  # fmt: skip

# Channels reached only through a paid campaign's utm_campaign (touches pick a running campaign).
PAID_TOUCH_CHANNELS: tuple[str, ...] = ("paid_search", "paid_social", "display", "video", "affiliate")


@dataclass(frozen=True)
class PlantedMonths:
    """Month offsets (from the first month) where each planted case lives; all must be closed."""

    google_restatement: int = 2
    linkedin_parquet: int = 4
    rounding_difference: int = 4
    meta_restatement: int = 5
    overbilling: int = 5
    void_reissue: int = 6
    missing_invoice: int = 7
    credit_note: int = 8
    fee_without_spend: int = 11
    # Malformed lines, by the month of the file they are in.
    invalid_date_google: int = 1
    invalid_date_other_spend: int = 2
    invalid_number_meta: int = 3
    timestamp_without_offset: int = 5
    unknown_currency_conversion: int = 8
    missing_key_other_spend: int = 9
    malformed_gl_row: int = 9


PLANTED = PlantedMonths()
