"""The attribution checks: the independent ROI recomputation, its comparison with a mart, the verdicts
stored in audit.dq_results, and the Great Expectations suite on tiny frames."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pytest

from orchestration.defs.attribution.checks import attributed, conversions_outcome, roi_accuracy_outcome
from orchestration.lib.attribution import ROI_MEASURES, attributed_by_group, compare_roi, recompute_roi

SPEND = pd.DataFrame(
    {
        "spend_date": [dt.date(2025, 1, 5), dt.date(2025, 1, 20), dt.date(2025, 2, 3), dt.date(2025, 2, 3)],
        "channel": ["paid_search", "paid_search", "display", "paid_search"],
        "platform": ["google_ads", "google_ads", "google_ads", "google_ads"],
        "campaign_id": ["1", "2", "3", "1"],
        "spend_rc": [60.0, 40.0, 50.0, 10.0],
    }
)
CONVERSIONS = pd.DataFrame(
    {
        "conversion_id": ["c1", "c2", "c3"],
        # c2 converts at 23:30 UTC on 31 January: January
        "converted_at": pd.to_datetime(["2025-01-10 12:00", "2025-01-31 23:30", "2025-02-14 08:00"]),
        "revenue_rc": [100.0, 300.0, 80.0],
        "gross_margin_rc": [40.0, 120.0, 30.0],
    }
)
CREDITS = pd.DataFrame(
    {
        "attribution_model": ["linear", "linear", "linear", "linear", "first_touch", "first_touch", "first_touch"],
        "conversion_id": ["c1", "c1", "c2", "c3", "c1", "c2", "c3"],
        "channel": [
            *("paid_search", "organic_search", "paid_search", "unattributed"),
            *("organic_search", "paid_search", "unattributed"),
        ],
        "platform": ["google_ads", None, "google_ads", None, None, "google_ads", None],
        "campaign_id": ["1", None, "2", None, None, "2", None],
        "credit": [0.5, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0],
    }
)


def row(frame: pd.DataFrame, **keys: str) -> pd.Series:
    selected = frame
    for column, value in keys.items():
        selected = selected[selected[column] == value]
    assert len(selected) == 1, keys
    return selected.iloc[0]


def test_recompute_roi_by_channel_worked_by_hand() -> None:
    result = recompute_roi(SPEND, CONVERSIONS, CREDITS, by=["channel"])

    # linear, paid_search, January: spend 60 + 40 = 100; credit 0.5 of c1 + 1 of c2 = 1.5 conversions,
    # revenue 0.5·100 + 300 = 350, margin 0.5·40 + 120 = 140 → roas 3.5, roi 0.4, cac 66.67.
    january = row(result, attribution_model="linear", channel="paid_search", period="2025-01")
    assert january[list(ROI_MEASURES)].tolist() == pytest.approx([100, 1.5, 350, 140, 3.5, 0.4, 100 / 1.5])
    # paid_search in February: spend 10 and nothing attributed → roi −1, cac null
    february = row(result, attribution_model="linear", channel="paid_search", period="2025-02")
    assert february[["spend_rc", "conversions", "roas", "roi"]].tolist() == [10, 0, 0, -1]
    assert np.isnan(february["cac"])
    # no spend: figures without ratios
    organic = row(result, attribution_model="linear", channel="organic_search", period="2025-01")
    assert organic[["spend_rc", "conversions", "attributed_revenue_rc"]].tolist() == [0, 0.5, 50]
    assert organic[["roas", "roi", "cac"]].isna().all()
    # spend rows appear under every model
    assert row(result, attribution_model="first_touch", channel="display", period="2025-02")["roi"] == -1


def test_recompute_roi_by_campaign_ignores_touches_without_campaign() -> None:
    result = recompute_roi(SPEND, CONVERSIONS, CREDITS, by=["platform", "campaign_id"])

    # campaign 1 in January: spend 60, linear credit 0.5 of c1 → margin 20 → roi (20 − 60)/60
    campaign_1 = row(result, attribution_model="linear", platform="google_ads", campaign_id="1", period="2025-01")
    assert campaign_1[["spend_rc", "conversions", "attributed_margin_rc", "roi"]].tolist() == pytest.approx(
        [60, 0.5, 20, -2 / 3]
    )
    assert set(result["campaign_id"]) == {"1", "2", "3"}


def test_recompute_roi_rejects_credits_of_unknown_conversions() -> None:
    with pytest.raises(ValueError, match="missing from conversions"):
        recompute_roi(SPEND, CONVERSIONS.iloc[:2], CREDITS, by=["channel"])


def _facts(conversions: pd.DataFrame, credits: pd.DataFrame) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute("set TimeZone = 'UTC'")
    connection.execute("create schema marts")
    connection.register("conversion_rows", conversions)
    connection.register("credit_rows", credits)
    connection.execute(
        "create table marts.fct_conversions as select conversion_id, converted_at at time zone 'UTC' as converted_at, "
        "cast(revenue_rc as decimal(18, 2)) as revenue_rc, cast(gross_margin_rc as decimal(18, 2)) as gross_margin_rc "
        "from conversion_rows"
    )
    connection.execute("create table marts.fct_attribution_credits as select * from credit_rows")
    return connection


@pytest.mark.parametrize("by", [["channel"], ["platform", "campaign_id"]])
def test_the_checks_query_adds_up_the_credits_as_pandas_does(by: list[str]) -> None:
    """The accuracy check adds the credits up in DuckDB (the 10M-row fact stays there); pandas is the reference."""
    keys = ["attribution_model", *by, "period"]
    expected = attributed_by_group(CONVERSIONS, CREDITS, by=by).sort_values(keys, ignore_index=True)
    with _facts(CONVERSIONS, CREDITS) as connection:
        found = attributed(connection, by).sort_values(keys, ignore_index=True)
    pd.testing.assert_frame_equal(found[expected.columns], expected, check_dtype=False)
    # c2 converted at 23:30 UTC on 31 January: January, by the connection's UTC
    c2 = found.loc[(found["attribution_model"] == "first_touch") & (found["attributed_revenue_rc"] == 300)]
    assert c2["period"].tolist() == ["2025-01"]


def test_the_checks_query_stops_at_credits_of_unknown_conversions() -> None:
    with _facts(CONVERSIONS.iloc[:2], CREDITS) as connection, pytest.raises(ValueError, match="2 credit row"):
        attributed(connection, ["channel"])


def test_compare_roi_finds_each_kind_of_disagreement() -> None:
    recomputed = recompute_roi(SPEND, CONVERSIONS, CREDITS, by=["channel"])
    keys = ["attribution_model", "channel", "period"]
    mart = recomputed.copy()
    index = mart.set_index(keys).index
    mart.loc[index.get_loc(("linear", "paid_search", "2025-01")), "roi"] += 0.004  # within 0.005: agrees
    mart.loc[index.get_loc(("first_touch", "paid_search", "2025-01")), "roi"] += 0.01  # does not
    mart.loc[index.get_loc(("linear", "organic_search", "2025-01")), "roi"] = 0.0  # a ratio without spend
    mart.loc[index.get_loc(("linear", "display", "2025-02")), "spend_rc"] *= 1.01  # money, relative
    mart = mart.drop(index=index.get_loc(("first_touch", "display", "2025-02")))  # a missing row

    compared = compare_roi(mart, recomputed, keys=keys, tolerance=0.005)

    problems = compared.set_index(keys)["disagreement"].dropna().to_dict()
    assert problems == {
        ("first_touch", "paid_search", "2025-01"): "roi",
        ("linear", "organic_search", "2025-01"): "roi",
        ("linear", "display", "2025-02"): "spend_rc",
        ("first_touch", "display", "2025-02"): "missing from the mart",
    }
    assert compared["agrees"].sum() == len(recomputed) - 4


def test_roi_accuracy_is_a_target_met_missed_or_not_measurable() -> None:
    """ROI accuracy is a business target: a miss (even below the floor) warns and never blocks."""
    recomputed = recompute_roi(SPEND, CONVERSIONS, CREDITS, by=["channel"])
    keys = ["channel"]

    exact = roi_accuracy_outcome(recomputed, recomputed, keys=keys, tolerance=0.005, floor=0.85)
    assert exact.passed and exact.value == 1.0 and exact.threshold == 0.85
    assert exact.kind == "target" and exact.status == "passed"

    one_off = recomputed.copy()
    one_off.loc[0, "conversions"] += 1
    missed = roi_accuracy_outcome(one_off, recomputed, keys=keys, tolerance=0.005, floor=0.85)
    assert not missed.passed and missed.severity == dg.AssetCheckSeverity.WARN and missed.status == "missed"
    assert missed.value == pytest.approx((len(recomputed) - 1) / len(recomputed))
    assert len(missed.details["disagreeing_rows"]) == 1 and missed.details["below_floor"] is False

    wrong = recomputed.assign(roi=recomputed["roi"] + 1)
    below = roi_accuracy_outcome(wrong, recomputed, keys=keys, tolerance=0.005, floor=0.85)
    assert not below.passed and below.severity == dg.AssetCheckSeverity.WARN and below.value < 0.85
    assert below.details["below_floor"] is True

    empty = recomputed.iloc[0:0]
    nothing = roi_accuracy_outcome(empty, empty, keys=keys, tolerance=0.005, floor=0.85)
    assert not nothing.passed and nothing.value is None and nothing.status == "not_measurable"
    assert nothing.description == "not measurable: no (model, channel, month) row to compare"


def credit_totals(**overrides: list[float]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "attribution_model": ["first_touch", "linear"],
            "conversions_credited": [3, 3],
            "credit_total": [3.0, 3.0],
            "worst_conversion_deviation": [0.0, 2e-16],
            "unattributed_credit": [1.0, 1.0],
            "mart_conversions": [3.0, 3.0],
        }
    )
    return frame.assign(**overrides)


def test_conversions_outcome() -> None:
    ok = conversions_outcome(credit_totals(), conversions=3, expected_models=2)
    assert ok.passed and ok.value == 0.0
    assert ok.details["models"]["linear"] == {
        "credited": 3.0,
        "attributed": 2.0,
        "unattributed": 1.0,
        "in_fct_channel_attribution": 3.0,
        "conversions_with_credit": 3,
    }

    assert not conversions_outcome(credit_totals(credit_total=[3.0, 2.5]), conversions=3, expected_models=2).passed
    assert not conversions_outcome(credit_totals(mart_conversions=[3.0, 4.0]), conversions=3, expected_models=2).passed
    assert not conversions_outcome(credit_totals(conversions_credited=[3, 2]), conversions=3, expected_models=2).passed
    assert not conversions_outcome(
        credit_totals(worst_conversion_deviation=[0.0, 0.1]), conversions=3, expected_models=2
    ).passed
    assert not conversions_outcome(credit_totals(), conversions=3, expected_models=7).passed  # a model is missing


# ---------------------------------------------------------------------------
# Great Expectations suite on fct_roi_by_channel
# ---------------------------------------------------------------------------

MODELS = ["first_touch", "last_touch", "linear", "markov", "position_based", "shapley", "time_decay"]


def roi_frame(**overrides: list[object]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "attribution_model": ["linear", "linear", "markov"],
            "channel": ["paid_search", "organic_search", "unattributed"],
            "period": ["2025-01", "2025-01", "2025-01"],
            "has_spend": [True, False, False],
            "spend_rc": [100.0, 0.0, 0.0],
            "conversions": [1.5, 0.5, 2.0],
            "roas": [3.5, None, None],
            "roi": [0.4, None, None],
            "roi_ci_low": [0.1, None, None],
            "roi_ci_high": [0.9, None, None],
            "cac": [66.7, None, None],
        }
    ).assign(**overrides)
    frame["roi_above_ci_low"] = frame["roi"] - frame["roi_ci_low"]
    frame["roi_below_ci_high"] = frame["roi_ci_high"] - frame["roi"]
    frame["has_ratio_without_spend"] = ~frame["has_spend"] & (frame["roi"].notna() | frame["roas"].notna())
    return frame


@pytest.fixture(scope="module")
def gx_context(tmp_path_factory: pytest.TempPathFactory):
    from orchestration.lib import gx

    return gx.get_context(tmp_path_factory.mktemp("gx"))


def validate(frame: pd.DataFrame, context) -> list[str]:
    from orchestration.defs.quality.suites import roi_by_channel_suite
    from orchestration.lib import gx

    validation = gx.validate_frame(roi_by_channel_suite(MODELS), frame, "fct_roi_by_channel", context)
    return sorted(result.expectation_config.type for result in validation.results if not result.success)


def test_roi_by_channel_suite_accepts_a_good_mart(gx_context) -> None:
    assert validate(roi_frame(), gx_context) == []


@pytest.mark.parametrize(
    ("overrides", "failing"),
    [
        ({"roi_ci_low": [0.5, None, None]}, ["expect_column_values_to_be_between"]),  # interval above roi
        ({"roi": [0.4, 0.1, None]}, ["expect_column_values_to_be_in_set"]),  # ratio without spend
        ({"roi": [0.4, None, 0.2], "roi_ci_low": [0.1, None, 0.0], "roi_ci_high": [0.9, None, 0.3]}, None),
        ({"attribution_model": ["linear", "linear", "u_shaped"]}, ["expect_column_values_to_be_in_set"]),
        ({"conversions": [1.5, -0.5, 2.0]}, ["expect_column_values_to_be_between"]),
        ({"period": ["2025-01", "2025-13", "2025-01"]}, ["expect_column_values_to_match_regex"]),
        ({"channel": ["paid_search", "paid_search", "unattributed"]}, ["expect_compound_columns_to_be_unique"]),
    ],
)
def test_roi_by_channel_suite_flags_bad_rows(overrides: dict[str, list[object]], failing: list[str] | None, gx_context):
    failed = validate(roi_frame(**overrides), gx_context)
    if failing is None:  # an unattributed ROI is a ratio without spend AND an unattributed ROI
        assert "expect_column_values_to_be_null" in failed
    else:
        assert failed == failing
