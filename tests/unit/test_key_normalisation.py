"""Keys mean the same thing however they are written (issue 17, part keys).

Each test loads small hand-written landing files and checks the canonical key
that lands in raw: the value every later comparison sees (in-file duplicates,
closed-period holds, staging restatements, joins). The expected spellings are
written out by hand from the rules in ``orchestration/lib/sources.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from orchestration.lib.ingest import ingest_source
from orchestration.lib.settings import IngestionSettings
from orchestration.lib.sources import SOURCES_BY_NAME, Normalise

GOOGLE_HEADER = (
    "segments.date,customer.id,customer.currency_code,campaign.id,campaign.name,"
    "metrics.cost_micros,metrics.impressions,metrics.clicks,metrics.conversions,metrics.conversions_value"
)
META_HEADER = (
    "date_start,account_id,account_currency,campaign_id,campaign_name,spend,impressions,clicks,purchases,purchase_value"
)
LINKEDIN_HEADER = (
    "day,account_id,account_currency,campaign_urn,campaign_name,cost_in_local_currency,impressions,clicks,"
    "external_website_conversions"
)
CAMPAIGNS_HEADER = (
    "platform,campaign_id,campaign_name,channel,budget_line_id,utm_campaign,start_date,end_date,owner_team"
)
INVOICES_HEADER = "invoice_id,vendor,platform,platform_account_id,billing_period,invoice_date,amount,currency,status"


def write(landing: Path, source: str, name: str, *rows: str, mtime: int | None = None) -> None:
    path = landing / SOURCES_BY_NAME[source].folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(rows) + "\n")
    if mtime is not None:
        os.utime(path, (mtime, mtime))


def load(db: duckdb.DuckDBPyConnection, landing: Path, source: str):
    return ingest_source(db, SOURCES_BY_NAME[source], landing, IngestionSettings(), load_id="load-1")


def test_every_platform_key_declares_its_rule():
    declared = {
        (source, column.header): column.normalise
        for source, spec in SOURCES_BY_NAME.items()
        for column in spec.columns
        if column.normalise is not Normalise.NONE
    }
    assert declared == {
        ("google_ads", "customer.id"): Normalise.GOOGLE_CUSTOMER_ID,
        ("google_ads", "campaign.id"): Normalise.NUMERIC_ID,
        ("meta_ads", "account_id"): Normalise.META_ACCOUNT_ID,
        ("meta_ads", "campaign_id"): Normalise.NUMERIC_ID,
        ("linkedin_ads", "account_id"): Normalise.LINKEDIN_ID,
        ("linkedin_ads", "campaign_urn"): Normalise.LINKEDIN_CAMPAIGN_URN,
        ("other_spend", "source_system"): Normalise.LOWER_CASE,
        ("campaigns", "platform"): Normalise.LOWER_CASE,
        ("campaigns", "campaign_id"): Normalise.CAMPAIGN_ID_BY_PLATFORM,
        ("vendor_invoices", "platform"): Normalise.LOWER_CASE,
        ("vendor_invoices", "platform_account_id"): Normalise.ACCOUNT_ID_BY_PLATFORM,
    }


def test_google_ids_lose_dashes_and_leading_zeros_and_two_spellings_in_one_file_are_one_key(db, landing):
    write(
        landing,
        "google_ads",
        "g.csv",
        GOOGLE_HEADER,
        "2025-03-03,5824719301,USD,21437658090,Brand,1000000,,,,",
        "2025-03-03,582-471-9301,USD,021437658090,Brand,2000000,,,,",
        "2025-03-04, 582 471 9301 ,USD,7,Other,3000000,,,,",
    )
    report = load(db, landing, "google_ads")
    (outcome,) = report.outcomes
    # line 2 and line 3 are the same key: line 3 restates it, line 2 is superseded
    assert (outcome.rows_read, outcome.rows_loaded, outcome.rows_rejected) == (3, 2, 1)
    assert db.execute(
        "select segments_date::varchar, customer_id, campaign_id, metrics_cost_micros from raw.google_ads order by 1"
    ).fetchall() == [("2025-03-03", "5824719301", "21437658090", 2000000), ("2025-03-04", "5824719301", "7", 3000000)]
    assert db.execute("select line_number, reason_code from audit.rejected_rows").fetchall() == [
        (2, "duplicate_key_in_file")
    ]


def test_meta_account_prefix_and_linkedin_urn_spellings(db, landing):
    write(
        landing,
        "meta_ads",
        "m.csv",
        META_HEADER,
        "2025-03-03,act_104839201847362,EUR,0120210345678901234,A,10.5,,,,",
        "2025-03-04,ACT_0104839201847362,EUR,120210345678901234,A,11.5,,,,",
    )
    write(
        landing,
        "linkedin_ads",
        "l.csv",
        LINKEDIN_HEADER,
        "2025-03-03,508123456,GBP,187654321,B2B,1.5,,,",
        "2025-03-04,urn:li:sponsoredAccount:508123456,GBP,URN:LI:SPONSOREDCAMPAIGN:0187654321,B2B,2.5,,,",
        "2025-03-05,508123456,GBP,urn:li:sponsoredCampaign:abc,B2B,3.5,,,",
    )
    load(db, landing, "meta_ads")
    load(db, landing, "linkedin_ads")
    assert db.execute("select distinct account_id, campaign_id from raw.meta_ads").fetchall() == [
        ("104839201847362", "120210345678901234")
    ]
    assert db.execute("select distinct account_id, campaign_urn from raw.linkedin_ads").fetchall() == [
        ("508123456", "urn:li:sponsoredCampaign:187654321")
    ]
    # not a LinkedIn campaign in any spelling: still rejected, naming the value as written
    assert db.execute("select line_number, reason_code, reason from audit.rejected_rows").fetchall() == [
        (
            4,
            "invalid_format",
            "campaign_urn does not have the expected format (got 'urn:li:sponsoredCampaign:abc')",
        )
    ]


def test_campaign_file_ids_follow_their_rows_platform(db, landing):
    write(
        landing,
        "campaigns",
        "c.csv",
        CAMPAIGNS_HEADER,
        "google_ads,021437658090,Brand,paid_search,,,,,",
        "Meta_Ads,0120210345678901234,Prospecting,paid_social,,,,,",
        "linkedin_ads,urn:li:sponsoredCampaign:0187654321,Lead gen,paid_social,,,,,",
        " LINKEDIN_ADS ,0187654322,Whitepaper,paid_social,,,,,",
        "tv_agency,007,Prime time,offline,,,,,",
    )
    load(db, landing, "campaigns")
    assert db.execute("select platform, campaign_id from raw.campaigns order by _line_number").fetchall() == [
        ("google_ads", "21437658090"),
        ("meta_ads", "120210345678901234"),
        ("linkedin_ads", "187654321"),
        ("linkedin_ads", "187654322"),
        ("tv_agency", "007"),  # other spend ids are text: kept as written
    ]


def test_invoice_account_ids_normalise_like_the_platforms(db, landing):
    write(
        landing,
        "vendor_invoices",
        "i.csv",
        INVOICES_HEADER,
        "G-1,Google,Google_Ads,582-471-9301,2025-03,2025-04-02,10,USD,posted",
        "M-1,Meta,meta_ads,act_104839201847362,2025-03,2025-04-02,10,EUR,posted",
        "L-1,LinkedIn,linkedin_ads,urn:li:sponsoredAccount:0508123456,2025-03,2025-04-02,10,GBP,posted",
        "T-1,TV,tv_agency,TV-0042,2025-03,2025-04-02,10,EUR,posted",
    )
    load(db, landing, "vendor_invoices")
    assert db.execute(
        "select platform, platform_account_id from raw.vendor_invoices order by _line_number"
    ).fetchall() == [
        ("google_ads", "5824719301"),
        ("meta_ads", "104839201847362"),
        ("linkedin_ads", "508123456"),
        ("tv_agency", "TV-0042"),
    ]


def test_currency_codes_are_trimmed_and_case_insensitive_but_not_guessed(db, landing):
    write(
        landing,
        "meta_ads",
        "m.csv",
        META_HEADER,
        "2025-03-03,1, usd ,1,A,1,,,,",
        "2025-03-04,1,Usd,1,A,1,,,,",
        "2025-03-05,1,U SD,1,A,1,,,,",
    )
    load(db, landing, "meta_ads")
    assert db.execute("select account_currency from raw.meta_ads").fetchall() == [("USD",), ("USD",)]
    assert db.execute("select line_number, reason_code from audit.rejected_rows").fetchall() == [
        (4, "unknown_currency")
    ]


def test_a_restatement_in_the_other_spelling_is_the_same_key_for_staging(db, landing):
    write(landing, "google_ads", "g_2025-03.csv", GOOGLE_HEADER, "2025-03-03,5824719301,USD,1,Brand,1000000,,,,")
    restated = "2025-03-03,582-471-9301,USD,01,Brand,4000000,,,,"
    write(landing, "google_ads", "g_2025-03_restated.csv", GOOGLE_HEADER, restated)
    load(db, landing, "google_ads")
    # both versions are kept for lineage, under one key: the later file is the one staging serves
    assert db.execute(
        "select count(distinct (segments_date, customer_id, campaign_id)), count(*) from raw.google_ads"
    ).fetchall() == [(1, 2)]


def test_keys_loaded_before_normalisation_are_brought_to_canonical_form(db, landing):
    write(landing, "google_ads", "g_2025-03.csv", GOOGLE_HEADER, "2025-03-03,5824719301,USD,1,Brand,1000000,,,,")
    load(db, landing, "google_ads")
    # what an earlier version of the ingestion stored: the key as the file wrote it
    db.execute("update raw.google_ads set customer_id = '582-471-9301', campaign_id = '001'")
    write(landing, "google_ads", "g_2025-03_v2.csv", GOOGLE_HEADER, "2025-03-04,5824719301,USD,1,Brand,2000000,,,,")
    load(db, landing, "google_ads")
    assert db.execute("select _source_file, customer_id, campaign_id from raw.google_ads order by 1").fetchall() == [
        ("g_2025-03.csv", "5824719301", "1"),
        ("g_2025-03_v2.csv", "5824719301", "1"),
    ]
