"""Keys in other spellings and restatement notices, through the whole pipeline (issue 17, part keys).

The fast tests read the session's ``built`` warehouse: the generator plants restatements, and the run
summary must name each one. The slow test copies that build, drops in what the issue reported (a
restatement written with the Google Ads interface's dashed customer id and a zero-padded campaign id, a
browser's ``(1)`` copy of it, a campaign file with a zero-padded id) and rebuilds once: the restatement
replaces instead of doubling in ``fct_marketing_spend_daily``, the zero-padded campaign maps to its
channel, and the summary warns about the copy that loses by name order although it is newer.
"""

from __future__ import annotations

import csv
import os
from decimal import Decimal
from pathlib import Path

import pytest

from tests.integration.conftest import Pipeline

GOOGLE_HEADER = (
    "segments.date,customer.id,customer.currency_code,campaign.id,campaign.name,"
    "metrics.cost_micros,metrics.impressions,metrics.clicks,metrics.conversions,metrics.conversions_value"
)
CAMPAIGNS_HEADER = (
    "platform,campaign_id,campaign_name,channel,budget_line_id,utm_campaign,start_date,end_date,owner_team"
)
NEW_CAMPAIGN = "99000000001"


def read_truth(pipeline: Pipeline, name: str) -> list[dict[str, str]]:
    with (pipeline.truth / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_run_summary_names_every_planted_restatement(built: Pipeline):
    output = built.first_run.stdout
    assert "Restated " in output
    pairs = {(row["source"], row["final_file"], row["stale_file"]) for row in read_truth(built, "restated_rows.csv")}
    assert pairs
    for source, final_file, stale_file in pairs:
        assert f"  {source}: {final_file} replaced " in output and f" key(s) of {stale_file}" in output, (
            source,
            final_file,
        )


def test_restatements_are_recorded_for_the_run(built: Pipeline, db):
    planted = read_truth(built, "restated_rows.csv")
    recorded = db.execute(
        "select source, file_name, replaced_file_name, keys_replaced from audit.restatements "
        "where winner_loaded_now order by 1, 2, 3"
    ).fetchall()
    per_pair: dict[tuple[str, str, str], int] = {}
    for row in planted:
        pair = (row["source"], row["final_file"], row["stale_file"])
        per_pair[pair] = per_pair.get(pair, 0) + 1
    # every planted restated key is counted under its pair (a restating file may also repeat unchanged keys)
    for pair, keys in per_pair.items():
        counted = [count for source, winner, loser, count in recorded if (source, winner, loser) == pair]
        assert counted and counted[0] >= keys, (pair, recorded)


@pytest.mark.slow
def test_other_spellings_restate_instead_of_doubling_and_map_their_campaign(built: Pipeline, tmp_path: Path):
    copy = built.copy_to(tmp_path / "copy")
    with copy.connect() as connection:
        spend_date, customer, campaign, micros = connection.execute(
            "select segments_date, customer_id, campaign_id, metrics_cost_micros from raw.google_ads "
            "where length(customer_id) = 10 order by segments_date desc, customer_id, campaign_id limit 1"
        ).fetchall()[0]
        google_total_before = connection.execute(
            "select sum(spend) from marts.fct_marketing_spend_daily where platform = 'google_ads'"
        ).fetchall()[0][0]
        budget_line = connection.execute(
            "select min(budget_line_id) from marts.dim_campaigns where channel = 'paid_search'"
        ).fetchall()[0][0]
    dashed = f"{customer[:3]}-{customer[3:6]}-{customer[6:]}"
    restated_micros = micros + 1_234_500_000  # +1,234.50
    folder = copy.landing / "marketing" / "google_ads"
    restatement = folder / "google_ads_zz_restated.csv"
    restatement.write_text(
        f"{GOOGLE_HEADER}\n"
        f"{spend_date},{dashed},USD,0{campaign},Restated,{restated_micros},,,,\n"
        f"{spend_date},{dashed},USD,0{NEW_CAMPAIGN},Zero-padded,321000000,,,,\n"
    )
    # a browser's second download of it, a day newer: it sorts first, so it must lose (and be named)
    browser_copy = folder / "google_ads_zz_restated (1).csv"
    browser_copy.write_text(f"{GOOGLE_HEADER}\n{spend_date},{customer},USD,{campaign},Copy,999000000,,,,\n")
    modified = restatement.stat().st_mtime
    os.utime(browser_copy, (modified + 86_400, modified + 86_400))
    (copy.landing / "marketing" / "campaigns" / "campaigns_zz_added.csv").write_text(
        f"{CAMPAIGNS_HEADER}\ngoogle_ads,0{NEW_CAMPAIGN},Zero-padded,paid_search,{budget_line},,,,Performance\n"
    )

    result = copy.run()
    assert result.returncode == 0, result.stdout[-6000:]
    assert "google_ads: google_ads_zz_restated.csv replaced 1 key(s) of google_ads_" in result.stdout
    assert (
        "WARNING google_ads: google_ads_zz_restated (1).csv is newer than google_ads_zz_restated.csv "
        "but sorts first, so google_ads_zz_restated.csv wins" in result.stdout
    )

    with copy.connect() as connection:
        rows = connection.execute(
            "select spend from marts.fct_marketing_spend_daily "
            "where platform = 'google_ads' and spend_date = ? and account_id = ? and campaign_id = ?",
            [spend_date, customer, campaign],
        ).fetchall()
        google_total_after = connection.execute(
            "select sum(spend) from marts.fct_marketing_spend_daily where platform = 'google_ads'"
        ).fetchall()[0][0]
        new_campaign = connection.execute(
            "select account_id, channel, spend from marts.fct_marketing_spend_daily "
            "where platform = 'google_ads' and campaign_id = ?",
            [NEW_CAMPAIGN],
        ).fetchall()
        unmapped = connection.execute(
            "select count(*) from marts.dim_campaigns where channel = 'unmapped' and campaign_id = ?", [NEW_CAMPAIGN]
        ).fetchall()[0][0]
    # one row for the key, carrying the restated figure: replaced, not added
    assert rows == [(Decimal(restated_micros) / 1_000_000,)]
    # the total moves by the restatement's difference plus the new campaign's 321.00, nothing more
    assert google_total_after - google_total_before == Decimal("1234.50") + Decimal("321.00")
    assert new_campaign == [(customer, "paid_search", Decimal("321.00"))]
    assert unmapped == 0
