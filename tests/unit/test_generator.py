"""The sample-data generator: deterministic, contract-shaped, and its truth agrees with its files.

The truth files are recomputed here a second way (DuckDB SQL over the files as written, Python
``Decimal``), so a bug in the generator's own truth code does not go unnoticed.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the seeds package sits at the repo root

from orchestration.lib.sources import SOURCES
from seeds._finance import allocate
from seeds._io import fixed
from seeds._spend import next_google_ads_day
from seeds._world import CAMPAIGNS, Calendar

REPO_ROOT = Path(__file__).resolve().parents[2]
GENERATOR = REPO_ROOT / "seeds" / "generate.py"
SMALL = ["--touchpoints", "3000", "--seed", "7"]
SPEND_SOURCES = {
    # source: (date, platform column or None, account, currency, campaign, spend, spend scale)
    "google_ads": ("segments.date", None, "customer.id", "customer.currency_code", "campaign.id",
                   "metrics.cost_micros", 6),
    "meta_ads": ("date_start", None, "account_id", "account_currency", "campaign_id", "spend", 0),
    "linkedin_ads": ("day", None, "account_id", "account_currency", "campaign_urn", "cost_in_local_currency", 0),
    "other_spend": ("spend_date", "source_system", "account_id", "currency", "campaign_id", "spend", 0),
}  # fmt: skip


def generate(out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(GENERATOR), "--out", str(out), *args], capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    result = generate(out, *SMALL)
    assert result.returncode == 0, result.stderr
    return out


def truth(sample: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(sample / "_truth" / f"{name}.csv", dtype=str, keep_default_na=False)


def read_text(path: Path) -> str:
    data = path.read_bytes()
    return (gzip.decompress(data) if path.name.endswith(".gz") else data).decode("utf-8")


def rejected_lines(sample: Path) -> set[tuple[str, str, int]]:
    rejected = truth(sample, "rejected_rows")
    return {(s, f, int(n)) for s, f, n in zip(rejected["source"], rejected["file"], rejected["line"], strict=True)}


def valid_rows(sample: Path, source: str) -> list[tuple[str, dict[str, str]]]:
    """(file, row) of every row a loader keeps, files in load order (name, then mtime)."""
    spec = next(s for s in SOURCES if s.name == source)
    folder = sample / spec.folder
    skip = rejected_lines(sample)
    rows = []
    for path in sorted(folder.iterdir(), key=lambda p: (p.name, p.stat().st_mtime_ns)):
        if path.suffix == ".parquet":
            frame = duckdb.sql(f"select columns(*)::varchar from '{path}'").df()
            rows += [(path.name, row) for row in frame.to_dict("records")]
            continue
        reader = csv.DictReader(io.StringIO(read_text(path)))
        for row in reader:
            if (source, path.name, reader.line_num) not in skip:
                rows.append((path.name, row))
    return rows


# ------------------------------------------------------------------ helpers


def test_fixed_formats_minor_units_exactly() -> None:
    assert list(fixed([12345, -5, 0, 7], 2)) == ["123.45", "-0.05", "0.00", "0.07"]
    assert list(fixed([1_234_567], 6)) == ["1.234567"]
    assert list(fixed([850_000], 0)) == ["850000"]


def test_allocate_sums_exactly_to_the_invoice() -> None:
    parts = allocate(Decimal("100.00"), {"A": Decimal(1), "B": Decimal(1), "C": Decimal(1)}, "USD")
    assert parts == {"A": Decimal("33.34"), "B": Decimal("33.33"), "C": Decimal("33.33")}
    assert sum(allocate(Decimal("1850001"), {"X": Decimal("0.3"), "Y": Decimal("0.7")}, "JPY").values()) == 1850001


def test_calendar_closes_a_month_once_its_books_are_in() -> None:
    calendar = Calendar(dt.date(2025, 1, 1), dt.date(2026, 2, 14))
    assert calendar.closed_months[-1] == dt.date(2026, 1, 1)
    assert len(calendar.closed_months) == 13


def test_too_short_a_range_is_a_clear_error(tmp_path: Path) -> None:
    result = generate(tmp_path, "--start", "2025-01-01", "--end", "2025-06-30", "--touchpoints", "1000")
    assert result.returncode == 2
    assert "closed months" in result.stderr


# ------------------------------------------------------------------ determinism and layout


def test_same_arguments_give_identical_files(sample: Path, tmp_path: Path) -> None:
    assert generate(tmp_path, *SMALL).returncode == 0
    first = {p.relative_to(sample): p for p in sample.rglob("*") if p.is_file()}
    second = {p.relative_to(tmp_path): p for p in tmp_path.rglob("*") if p.is_file()}
    assert first.keys() == second.keys()
    for name, path in first.items():
        assert path.read_bytes() == second[name].read_bytes(), name
        if name.parts[0] != "_truth":
            assert path.stat().st_mtime_ns == second[name].stat().st_mtime_ns, name


def test_every_source_has_files_with_the_contract_header(sample: Path) -> None:
    for spec in SOURCES:
        files = sorted((sample / spec.folder).iterdir())
        assert files, spec.folder
        for path in files:
            assert path.name.endswith((".csv", ".csv.gz", ".parquet")), path
            if path.suffix == ".parquet":
                header = list(duckdb.sql(f"select * from '{path}' limit 0").columns)
            else:
                header = next(csv.reader(io.StringIO(read_text(path))))
            assert header == [column.header for column in spec.columns], path


def test_planted_file_kinds_exist(sample: Path) -> None:
    marketing = sample / "marketing"
    assert (marketing / "google_ads" / "google_ads_2025-03_restated.csv").exists()
    assert (marketing / "meta_ads" / "meta_ads_2025-06_restated.csv.gz").exists()
    assert list((marketing / "linkedin_ads").glob("*.parquet"))
    original = (marketing / "google_ads" / "google_ads_2025-03.csv").stat().st_mtime
    assert (marketing / "google_ads" / "google_ads_2025-03_restated.csv").stat().st_mtime > original


def test_fx_rates_are_on_business_days_and_cover_every_day(sample: Path) -> None:
    rows = valid_rows(sample, "fx_rates")
    days = sorted({dt.date.fromisoformat(row["rate_date"]) for _, row in rows})
    assert all(day.weekday() < 5 for day in days)
    assert {row["from_currency"] for _, row in rows} == {"EUR", "GBP", "JPY"}
    day = dt.date(2025, 1, 1)
    while day <= dt.date(2026, 2, 14):
        assert any(0 <= (day - rate_day).days <= 7 for rate_day in days), day
        day += dt.timedelta(days=1)


# ------------------------------------------------------------------ truth vs files


def test_spend_truth_equals_a_duckdb_recomputation(sample: Path) -> None:
    latest: dict[tuple[str, ...], dict[str, str]] = {}
    for source, columns in SPEND_SOURCES.items():
        date_col, platform_col, account_col, currency_col, campaign_col, spend_col, scale = columns
        for _, row in valid_rows(sample, source):
            platform = row[platform_col] if platform_col else source
            record = {
                "platform": platform,
                "account_id": row[account_col],
                "currency": row[currency_col],
                "campaign_id": row[campaign_col].removeprefix("urn:li:sponsoredCampaign:"),
                "spend_date": row[date_col],
                "spend": str(Decimal(row[spend_col]).scaleb(-scale)),
            }
            latest[(platform, record["account_id"], record["campaign_id"], record["spend_date"])] = record
    connection = duckdb.connect()
    connection.register("spend_rows", pd.DataFrame(list(latest.values())))
    connection.register("fx_rows", pd.DataFrame([row for _, row in valid_rows(sample, "fx_rates")]))
    connection.register("campaign_rows", pd.DataFrame([row for _, row in valid_rows(sample, "campaigns")]))
    recomputed = connection.sql(
        """
        with spend as (
            select platform, campaign_id, currency, cast(spend_date as date) as spend_date,
                   cast(spend as decimal(18, 6)) as spend
            from spend_rows
        ),
        fx as (
            select from_currency, cast(rate_date as date) as rate_date, cast(rate as decimal(18, 10)) as rate
            from fx_rows
        ),
        converted as (
            select spend.*, case when spend.currency = 'USD' then 1 else fx.rate end as rate,
                   fx.rate_date
            from spend asof left join fx
              on spend.currency = fx.from_currency and spend.spend_date >= fx.rate_date
        )
        select campaign_rows.channel, strftime(spend_date, '%Y-%m') as month,
               cast(round(sum(spend * rate), 2) as varchar) as spend_rc, count(*) as row_count,
               max(case when currency <> 'USD' then spend_date - rate_date end) as max_staleness
        from converted
        join campaign_rows using (platform, campaign_id)
        group by all
        order by all
        """
    ).df()
    assert recomputed["max_staleness"].max() <= 7
    expected = truth(sample, "spend_by_channel_month")
    assert list(recomputed["channel"]) == list(expected["channel"])
    assert list(recomputed["month"]) == list(expected["month"])
    assert [Decimal(v) for v in recomputed["spend_rc"]] == [Decimal(v) for v in expected["spend_rc"]]
    assert list(recomputed["row_count"]) == [int(v) for v in expected["row_count"]]


def test_rejected_lines_really_hold_the_malformed_values(sample: Path) -> None:
    rejected = truth(sample, "rejected_rows")
    assert set(rejected["reason_code"]) == {
        "invalid_date", "invalid_number", "missing_key", "unknown_currency", "timestamp_without_offset",
        "malformed_row",
    }  # fmt: skip
    specs = {spec.name: spec for spec in SOURCES}
    for source, file, line, reason, bad_value in rejected.itertuples(index=False):
        spec = specs[source]
        lines = read_text(sample / spec.folder / file).split("\n")
        header = next(csv.reader([lines[0]]))
        text = lines[int(line) - 1]
        assert bad_value in text, (file, line)
        fields = next(csv.reader([text]))
        if reason == "malformed_row":
            assert len(fields) > len(header)
            continue
        assert len(fields) == len(header)
        row = dict(zip(header, fields, strict=True))
        if reason == "invalid_date":
            date_column = next(c.header for c in spec.columns if c.kind == "date")
            with pytest.raises(ValueError):
                dt.date.fromisoformat(row[date_column])
        elif reason == "invalid_number":
            assert "," in row["spend"]
        elif reason == "missing_key":
            assert any(row[key] == "" for key in spec.natural_key)
        elif reason == "unknown_currency":
            assert "XXX" in row.values()
        elif reason == "timestamp_without_offset":
            assert dt.datetime.fromisoformat(bad_value).tzinfo is None
        # every other line of the file is well formed
        others = [fields for i, fields in enumerate(csv.reader(lines[1:-1]), start=2) if i != int(line)]
        assert all(len(fields) == len(header) for fields in others)


def test_restated_rows_are_the_later_files_values(sample: Path) -> None:
    restated = truth(sample, "restated_rows")
    assert set(restated["source"]) == {"google_ads", "meta_ads"}
    assert (restated["source"] == "meta_ads").sum() == 1
    assert (restated["stale_value"] != restated["final_value"]).all()
    assert restated["final_file"].str.contains("_restated").all()


def test_planted_reconciliation_cases(sample: Path) -> None:
    cases = truth(sample, "reconciliation_cases").set_index("case")
    assert dict(cases["expected_status"]) == {
        "rounding_within_tolerance": "matched",
        "overbilled_3pct": "mismatched",
        "void_and_reissued": "matched",
        "missing_invoice": "missing_invoice",
        "invoice_without_spend": "missing_platform_spend",
    }
    assert Decimal(cases.loc["rounding_within_tolerance", "difference"]) == Decimal("0.37")
    overbilled = cases.loc["overbilled_3pct"]
    ratio = Decimal(overbilled["invoiced_amount"]) / Decimal(overbilled["platform_spend"])
    assert abs(ratio - Decimal("1.03")) < Decimal("0.0001")
    invoices = [row for _, row in valid_rows(sample, "vendor_invoices")]
    void = cases.loc["void_and_reissued"]
    same_month = [
        i
        for i in invoices
        if i["platform_account_id"] == void["platform_account_id"] and i["billing_period"] == void["billing_period"]
    ]
    assert sorted(i["status"] for i in same_month) == ["posted", "void"]
    missing = cases.loc["missing_invoice"]
    assert not any(
        i["platform_account_id"] == missing["platform_account_id"] and i["billing_period"] == missing["billing_period"]
        for i in invoices
    )
    assert not any(i["billing_period"] == "2026-02" for i in invoices)


def test_gl_books_each_posted_invoice_and_nets_the_void_to_zero(sample: Path) -> None:
    lines = [row for _, row in valid_rows(sample, "gl_journal_lines")]
    booked: dict[str, Decimal] = {}
    for line in lines:
        if line["invoice_id"]:
            booked[line["invoice_id"]] = booked.get(line["invoice_id"], Decimal(0)) + Decimal(line["amount"])
    for _, invoice in valid_rows(sample, "vendor_invoices"):
        expected = Decimal(invoice["amount"]) if invoice["status"] == "posted" else Decimal(0)
        assert booked[invoice["invoice_id"]] == expected, invoice["invoice_id"]
    assert any(Decimal(line["amount"]) < 0 and line["invoice_id"].startswith("GOOG-CN-") for line in lines)
    assert any(line["budget_line_id"] == "" and line["account_code"] == "6000" for line in lines)


def test_budget_current_takes_the_latest_approval(sample: Path) -> None:
    current = truth(sample, "budget_current")
    keys = current["fiscal_period"] + "|" + current["budget_line_id"]
    versions = dict(zip(keys, current["budget_version"], strict=True))
    assert versions["2025-06|BL-SEARCH"] == "FY2025_original"
    assert versions["2025-07|BL-SEARCH"] == "FY2025_reforecast_q2"
    assert versions["2025-07|BL-VIDEO"] == "FY2025_original"
    assert versions["2026-03|BL-SEARCH"] == "FY2026_original"
    assert set(current.loc[current["budget_line_id"] == "BL-AFFILIATE", "currency"]) == {"EUR"}


def test_budget_tracking_offsets_are_the_planted_ones(sample: Path) -> None:
    offsets = truth(sample, "budget_tracking_offsets")
    assert set(zip(offsets["fiscal_period"], offsets["budget_line_id"], strict=True)) == {
        ("2025-08", "BL-AFFILIATE"),
        ("2025-12", "BL-OFFLINE"),
    }
    manifest = json.loads((sample / "_truth" / "manifest.json").read_text())
    assert manifest["tracked_share_of_closed_budget_line_months"] >= 0.92
    assert Decimal(manifest["matched_share_of_closed_spend"]) >= Decimal("0.97")


def test_attribution_truth_equals_a_duckdb_recomputation(sample: Path) -> None:
    attribution = json.loads((sample / "_truth" / "attribution_truth.json").read_text())
    connection = duckdb.connect()
    connection.execute("set TimeZone = 'UTC'")
    for source in ("touchpoints", "conversions", "campaigns"):
        frame = pd.DataFrame([row for _, row in valid_rows(sample, source)]).replace("", None)
        connection.register(source, frame)
    result = connection.sql(
        """
        with touches as (
            select *, cast(occurred_at as timestamptz) as occurred from touchpoints
        ),
        owners as (
            select distinct anonymous_id, customer_id as person from touches where customer_id is not null
        ),
        channelled as (
            select owners.person, touches.touchpoint_id, touches.occurred,
                   coalesce(campaigns.channel, case
                       when utm_medium = 'organic' then 'organic_search'
                       when utm_medium = 'email' then 'email'
                       when utm_medium = 'referral' then 'referral'
                       when utm_source is null and utm_medium is null then 'direct'
                       when utm_source = 'direct' and utm_medium = '(none)' then 'direct'
                       else 'other' end) as channel
            from touches
            join owners using (anonymous_id)
            left join campaigns on campaigns.utm_campaign = touches.utm_campaign
        ),
        journeys as (
            select conversions.conversion_id, channelled.*,
                   row_number() over (partition by conversion_id order by occurred, touchpoint_id) as position,
                   count(*) over (partition by conversion_id) as touches
            from conversions
            join channelled
              on channelled.person = conversions.customer_id
             and channelled.occurred > cast(converted_at as timestamptz) - interval 720 hours
             and channelled.occurred <= cast(converted_at as timestamptz)
        )
        select channel,
               count(*) filter (where position = 1) as first_touch,
               count(*) filter (where position = touches) as last_touch,
               sum(1.0 / touches) as linear
        from journeys
        group by channel
        order by channel
        """
    ).df()
    total = connection.execute("select count(*) from conversions").fetchone()[0]
    assert attribution["conversions"] == total
    assert attribution["conversions_with_touch"] + attribution["unattributed"] == total
    assert int(result["first_touch"].sum()) == attribution["conversions_with_touch"]
    credits = attribution["credits"]
    for channel, first, last, linear in result.itertuples(index=False):
        assert credits["first_touch"].get(channel, 0) == first, channel
        assert credits["last_touch"].get(channel, 0) == last, channel
        assert credits["linear"][channel] == pytest.approx(float(linear), abs=1e-6), channel
    assert sum(credits["linear"].values()) == pytest.approx(total)


def test_planted_journey_edges(sample: Path) -> None:
    planted = json.loads((sample / "_truth" / "attribution_truth.json").read_text())["planted"]
    touches = {row["touchpoint_id"]: row for _, row in valid_rows(sample, "touchpoints")}
    conversions = {row["conversion_id"]: row for _, row in valid_rows(sample, "conversions")}

    def instant(text: str) -> dt.datetime:
        return dt.datetime.fromisoformat(text)

    assert planted["touch_exactly_lookback_before_conversion"]
    for pair in planted["touch_exactly_lookback_before_conversion"]:
        gap = instant(conversions[pair["conversion_id"]]["converted_at"]) - instant(
            touches[pair["touchpoint_id"]]["occurred_at"]
        )
        assert gap == dt.timedelta(days=30)
    assert planted["same_instant_touch_pairs"]
    for pair in planted["same_instant_touch_pairs"]:
        first, twin = touches[pair["touchpoint_id"]], touches[pair["twin_touchpoint_id"]]
        assert instant(first["occurred_at"]) == instant(twin["occurred_at"])
        assert first["occurred_at"] != twin["occurred_at"]  # same instant, written with another offset
        assert first["anonymous_id"] == twin["anonymous_id"]
    assert planted["touches_at_converted_at"]
    offsets = {row["occurred_at"][19:] for row in touches.values()}
    assert {"Z", "+01:00", "-05:00"} <= offsets


# ------------------------------------------------------------------ scale


def test_50k_touchpoints_give_exactly_that_many_and_a_plausible_conversion_rate(tmp_path: Path) -> None:
    # (Generation time at 1M touchpoints is measured by `make bench`, not asserted here.)
    assert generate(tmp_path, "--touchpoints", "50000").returncode == 0
    manifest = json.loads((tmp_path / "_truth" / "manifest.json").read_text())
    touch_rows = sum(f["rows"] - f["rejected_rows"] for name, f in manifest["files"].items() if "/touchpoints/" in name)
    assert touch_rows == 50_000
    attribution = json.loads((tmp_path / "_truth" / "attribution_truth.json").read_text())
    assert 15 <= attribution["touchpoints"] / attribution["conversions"] <= 25


def test_scale_sizes_the_sample_relative_to_the_default(tmp_path: Path) -> None:
    assert generate(tmp_path, "--scale", "0.1").returncode == 0
    manifest = json.loads((tmp_path / "_truth" / "manifest.json").read_text())
    assert manifest["args"]["touchpoints"] == 3_000


# ------------------------------------------------------------------ planted media response


def test_media_truth_spend_is_the_spend_truth(sample: Path) -> None:
    media = pd.read_csv(sample / "_truth" / "incremental_revenue_by_channel_month.csv")
    spend = truth(sample, "spend_by_channel_month").astype({"spend_rc": float})
    joined = media.merge(spend, left_on=["channel", "period"], right_on=["channel", "month"], how="left")
    assert joined["spend_rc_y"].notna().all()
    assert ((joined["spend_rc_x"] - joined["spend_rc_y"]).abs() <= 0.01 * joined["spend_rc_y"] + 1).all()
    response = json.loads((sample / "_truth" / "media_response.json").read_text())
    assert set(response["channels"]) == set(media["channel"])
    assert all(p["slope"] > 0 and p["kappa"] > 0 and p["beta"] > 0 for p in response["channels"].values())


def test_the_planted_plan_over_spends_saturated_channels_and_starves_others(sample: Path) -> None:
    """The budget optimiser needs a plan worth optimising: over the last 12 closed months, brand search and TV
    return less than their cost at the margin, social, video and the affiliate programme twice it or more."""
    response = json.loads((sample / "_truth" / "media_response.json").read_text())["channels"]
    closed = json.loads((sample / "_truth" / "manifest.json").read_text())["closed_months"][-12:]
    spend = truth(sample, "spend_by_channel_month").astype({"spend_rc": float})
    window = spend[spend["month"].isin(closed)].groupby("channel")["spend_rc"].sum()
    days = (pd.Period(closed[-1]).end_time.normalize() - pd.Period(closed[0]).start_time).days + 1

    def revenue(channel: str, daily: float) -> float:  # steady state: the normalised adstock keeps a constant day
        p = response[channel]
        return p["beta"] * daily ** p["slope"] / (daily ** p["slope"] + p["kappa"] ** p["slope"])

    def marginal(channel: str, daily: float) -> float:  # d/dx of the Hill curve
        p = response[channel]
        s, k = p["slope"], p["kappa"]
        return p["beta"] * s * daily ** (s - 1) * k**s / (daily**s + k**s) ** 2

    daily = window / days
    mroas = {channel: marginal(channel, daily[channel]) for channel in response}
    assert mroas["paid_search"] < 1.0 and mroas["offline"] < 1.0, mroas
    assert min(mroas["paid_social"], mroas["video"], mroas["affiliate"]) > 2.0, mroas
    # Halving the two saturated budgets and giving the money to the two starved ones, in proportion to their
    # spend, earns far more from the same total.
    freed = 0.5 * (daily["paid_search"] + daily["offline"])
    starved = daily["video"] + daily["affiliate"]
    moved = daily.copy()
    moved[["paid_search", "offline"]] *= 0.5
    moved[["video", "affiliate"]] *= 1 + freed / starved
    assert moved.sum() == pytest.approx(daily.sum())
    now = sum(revenue(channel, daily[channel]) for channel in response)
    after = sum(revenue(channel, moved[channel]) for channel in response)
    assert after / now - 1 >= 0.10


def test_display_and_video_spend_move_together(sample: Path) -> None:
    channel_of = {c.campaign_id: c.channel for c in CAMPAIGNS}
    rows = pd.DataFrame([row for _, row in valid_rows(sample, "google_ads")])
    rows["channel"] = rows["campaign.id"].map(channel_of)
    rows["spend"] = (
        rows["metrics.cost_micros"].astype(float) / 1e6 * rows["customer.currency_code"].map({"USD": 1.0, "EUR": 1.05})
    )
    daily = rows.pivot_table(index="segments.date", columns="channel", values="spend", aggfunc="sum", fill_value=0)
    assert daily["display"].corr(daily["video"]) >= 0.9
    assert abs(daily["display"].corr(daily["paid_search"])) < 0.5


def test_the_next_google_ads_day_repeats_the_last_day_one_day_later(sample: Path):
    day, next_day = next_google_ads_day(sample)
    exported = pd.concat(
        [pd.read_csv(path, dtype=str) for path in sorted((sample / "marketing" / "google_ads").glob("google_ads_*"))]
    )
    last = exported[exported["segments.date"] == exported["segments.date"].max()]
    assert next_day == (dt.date.fromisoformat(last["segments.date"].iloc[0]) + dt.timedelta(days=1)).isoformat()
    assert set(day["segments.date"]) == {next_day} and len(day) == len(last) > 0
    unchanged = [column for column in exported.columns if column != "segments.date"]
    assert day[unchanged].reset_index(drop=True).equals(last[unchanged].reset_index(drop=True))
