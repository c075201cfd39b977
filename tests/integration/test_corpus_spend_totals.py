"""The hostile corpus's spend totals: every case with a hand-worked ``spend_total`` counts its spend once.

Each such case is loaded next to the harness's control file (as in ``test_hostile_inputs.py``) and the
spend that staging would serve is summed: the latest row per natural key (file name, then mtime, then
line; ``keep_latest_version``) of the case's own files. A key written in two spellings that were not
normalised would count twice; a restatement that lost its rows would count too little.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from orchestration.lib.ingest import ingest_source
from orchestration.lib.settings import IngestionSettings
from orchestration.lib.sources import SOURCES_BY_NAME
from orchestration.lib.warehouse import connect, ensure_audit_schema
from tests.integration.test_hostile_inputs import CONTROL, CONTROL_NAME, CORPUS

# The spend column of each spend source, in source units.
SPEND = {
    "google_ads": "metrics_cost_micros / 1e6",
    "meta_ads": "spend",
    "linkedin_ads": "cost_in_local_currency",
    "other_spend": "spend",
}
CASES = sorted(
    path.parent.name
    for path in CORPUS.glob("*/expected.json")
    if json.loads(path.read_text()).get("spend_total") is not None
)


def test_the_key_cases_carry_spend_totals():
    assert {
        "restatement_with_dashed_customer_id",
        "meta_act_account_id",
        "linkedin_bare_number_and_upper_case_urn",
        "currency_code_blanks_and_case",
        "browser_copy_sorts_first",
    } <= set(CASES)


@pytest.mark.parametrize("case", CASES)
def test_spend_counts_once_after_restatements(case: str, tmp_path: Path):
    expected = json.loads((CORPUS / case / "expected.json").read_text())
    spec = SOURCES_BY_NAME[expected["source"]]
    landing = tmp_path / "landing"
    shutil.copytree(CORPUS / case, landing, ignore=shutil.ignore_patterns("expected.json"))
    (landing / spec.folder / CONTROL_NAME).write_text(CONTROL[spec.name])
    keys = ", ".join(f'"{column.name}"' for column in spec.key_columns)
    with connect(tmp_path / "roi.duckdb") as connection:
        ensure_audit_schema(connection)
        ingest_source(connection, spec, landing, IngestionSettings(), load_id="corpus")
        total = connection.execute(
            f"""
            select coalesce(sum({SPEND[spec.name]}), 0) from (
                select *, row_number() over (
                    partition by {keys} order by _source_file desc, _file_modified_at desc, _line_number desc
                ) as version_rank
                from raw."{spec.table}" where _source_file != ?
            ) where version_rank = 1
            """,
            [CONTROL_NAME],
        ).fetchall()[0][0]
    assert float(total) == pytest.approx(expected["spend_total"], abs=1e-9)
