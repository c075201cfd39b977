"""Channel grouping: GA4's default channel groups as the seed, user overrides from the config.

The rules themselves are exercised by one dbt unit test per seed rule
(``dbt_project/models/intermediate/attribution/_channel_rules__unit_tests.yml``, run by
``tests/integration/test_dbt_unit_tests.py``); here: every rule has its test and the test cites the
GA4 rule, and the config's overrides are validated and reach dbt.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import yaml

from orchestration.lib import settings

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "dbt_project" / "seeds" / "channel_rules.csv"
RULE_TESTS = REPO / "dbt_project" / "models" / "intermediate" / "attribution" / "_channel_rules__unit_tests.yml"


def seed_rules() -> list[dict[str, str]]:
    with SEED.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_seed_rule_has_a_unit_test_that_cites_the_ga4_rule():
    tests = {test["name"]: test for test in yaml.safe_load(RULE_TESTS.read_text(encoding="utf-8"))["unit_tests"]}
    for rule in seed_rules():
        number = int(rule["rule_number"])
        [name] = [name for name in tests if name.startswith(f"test_channel_rule_{number:02d}_ga4_")]
        description = " ".join(tests[name]["description"].split())
        assert f"GA4 {rule['ga4_channel_group']} (seed rule {number}): {rule['ga4_rule']}" in description, name
        expected_rules = {row["channel_rule_number"] for row in tests[name]["expect"]["rows"]}
        assert number in expected_rules, f"{name} never expects rule {number}"


def test_seed_is_in_ga4_order_with_unassigned_last_and_contract_names():
    rules = seed_rules()
    groups = list(dict.fromkeys(rule["ga4_channel_group"] for rule in rules))
    assert groups[0] == "Direct" and groups[-1] == "Unassigned"
    last = rules[-1]
    assert (last["utm_source_pattern"], last["utm_medium_pattern"], last["utm_campaign_pattern"]) == ("", "", "")
    names = {rule["ga4_channel_group"]: rule["channel"] for rule in rules}
    assert names["Paid Search"] == "paid_search" and names["Paid Social"] == "paid_social"
    assert names["Display"] == "display" and names["Paid Video"] == "video" and names["Affiliates"] == "affiliate"
    assert names["Organic Search"] == "organic_search" and names["Email"] == "email"
    assert names["Referral"] == "referral" and names["Direct"] == "direct" and names["Unassigned"] == "other"
    for rule in rules:
        for column in ("utm_source_pattern", "utm_medium_pattern", "utm_campaign_pattern"):
            re.compile(rule[column])  # DuckDB's RE2 patterns here are also valid Python patterns
            assert rule[column] == rule[column].lower()


def test_overrides_reach_dbt_in_order(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("ROI_REPORTING_CURRENCY", raising=False)
    config = settings.RoiConfig.model_validate(
        {
            "channel_rules": {
                "overrides": [
                    {"utm_source": "^partner-", "utm_medium": "^affiliate$", "channel": "partner"},
                    {"utm_medium": "^podcast$", "channel": "audio"},
                ]
            }
        }
    )
    assert settings.dbt_vars(config)["channel_rule_overrides"] == [
        {"utm_source": "^partner-", "utm_medium": "^affiliate$", "channel": "partner"},
        {"utm_medium": "^podcast$", "channel": "audio"},
    ]
    assert settings.dbt_vars(settings.RoiConfig())["channel_rule_overrides"] == []


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"utm_medium": "^(unclosed$", "channel": "audio"}, "not a regular expression"),
        ({"utm_source": "^Partner", "channel": "partner"}, "lower case"),
        ({"utm_medium": "^x$", "channel": "unattributed"}, "reserved"),
        ({"utm_medium": "^x$", "channel": "Paid Search"}, "channel"),
        ({"utm_medium": "^x$"}, "channel"),
    ],
)
def test_bad_overrides_are_config_errors(override: dict[str, str], message: str):
    with pytest.raises(ValueError, match=message):
        settings.RoiConfig.model_validate({"channel_rules": {"overrides": [override]}})
