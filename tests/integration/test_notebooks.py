"""The analyst notebooks run top to bottom against a built warehouse's snapshot, and compute its figures."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from orchestration.lib import snapshot
from tests.integration.conftest import Pipeline

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
ATTRIBUTION_MODELS = MODELS = {
    "first_touch",
    "last_touch",
    "linear",
    "time_decay",
    "position_based",
    "markov",
    "shapley",
}


def run_notebook(notebook: Path, built: Pipeline, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Every code cell of the notebook, top to bottom, in one namespace (as a kernel would)."""
    monkeypatch.setenv("ROI_WAREHOUSE", str(built.warehouse))
    monkeypatch.chdir(notebook.parent)
    cells = [
        "".join(cell["source"]) for cell in json.loads(notebook.read_text())["cells"] if cell["cell_type"] == "code"
    ]
    namespace: dict[str, Any] = {}
    for source in cells:
        exec(compile(source, f"{notebook.name}", "exec"), namespace)
    return namespace


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_runs_on_the_snapshot(notebook: Path, built: Pipeline, monkeypatch: pytest.MonkeyPatch):
    namespace = run_notebook(notebook, built, monkeypatch)
    if "snapshot" in namespace:  # the notebook read the built warehouse's snapshot, not the shipped sample's
        assert Path(str(namespace["snapshot"])).resolve() == snapshot.snapshot_path(built.warehouse).resolve()
    with built.connect() as db:
        if "spend" in namespace:
            spend = namespace["spend"]
            expected = dict(
                db.execute(
                    "select strftime(spend_date, '%Y-%m') || '|' || channel, sum(spend_rc) "
                    "from marts.fct_marketing_spend_daily group by all"
                ).fetchall()
            )
            computed = {f"{row.month}|{row.channel}": row.spend_rc for row in spend.itertuples()}
            assert computed.keys() == expected.keys()
            for key, value in expected.items():
                assert computed[key] == pytest.approx(float(value), abs=0.005), key
        if "roi" in namespace:
            roi = namespace["roi"]
            assert set(roi["attribution_model"]) == MODELS
            spend_by_channel = {
                channel: float(total)
                for channel, total in db.execute(
                    "select channel, sum(spend_rc) from marts.fct_marketing_spend_daily group by channel"
                ).fetchall()
            }
            margin = {
                (model, channel): float(total)
                for model, channel, total in db.execute(
                    "select attribution_model, channel, sum(credit * gross_margin_rc) "
                    "from marts.fct_attribution_credits join marts.fct_conversions using (conversion_id) "
                    "group by all"
                ).fetchall()
            }
            for row in roi.itertuples():
                spent = spend_by_channel.get(row.channel, 0.0)
                assert row.spend_rc == pytest.approx(round(spent), abs=1), row
                if spent > 0:
                    expected_roi = (margin.get((row.attribution_model, row.channel), 0.0) - spent) / spent
                    assert row.roi == pytest.approx(expected_roi, abs=0.0011), row


def test_the_attribution_notebook_compares_every_model_on_the_same_conversions(
    built: Pipeline, monkeypatch: pytest.MonkeyPatch, db
):
    namespace = run_notebook(NOTEBOOK_DIR / "attribution_models_for_a_channel.ipynb", built, monkeypatch)
    channel, comparison, credit_check = namespace["CHANNEL"], namespace["comparison"], namespace["credit_check"]
    assert len(comparison) == len(ATTRIBUTION_MODELS) and set(comparison["attribution_model"]) == ATTRIBUTION_MODELS
    assert (credit_check["difference"].abs() < 1e-6).all()
    # The notebook's ROI from the ROI mart, against touch-level credits and daily spend (the live warehouse).
    spend = float(
        db.execute("select sum(spend_rc) from marts.fct_marketing_spend_daily where channel = ?", [channel]).fetchone()[
            0
        ]
    )
    margins = dict(
        db.execute(
            "select attribution_model, sum(attributed_margin_rc) from marts.fct_attribution_credits "
            "where channel = ? group by 1",
            [channel],
        ).fetchall()
    )
    for row in comparison.itertuples():
        assert math.isclose(row.spend_rc, spend, rel_tol=1e-9)
        assert math.isclose(row.roi, (float(margins[row.attribution_model]) - spend) / spend, rel_tol=1e-9)


def test_the_budget_line_notebook_walks_from_budget_to_the_booked_variance(
    built: Pipeline, monkeypatch: pytest.MonkeyPatch, db
):
    namespace = run_notebook(NOTEBOOK_DIR / "budget_line_to_invoice.ipynb", built, monkeypatch)
    line, month, walk = namespace["BUDGET_LINE"], namespace["MONTH"], namespace["walk"]
    assert math.isclose(walk["platform_spend_rc"], walk["platform_actual_rc"], rel_tol=1e-9)
    assert walk["invoiced_accounts"] >= 1
    # The booked actual, from the general-ledger lines of the live warehouse.
    booked = db.execute(
        "select sum(amount_rc) from intermediate.int_gl_lines_converted_to_rc "
        "where budget_line_id = ? and fiscal_period = ?",
        [line, month],
    ).fetchone()[0]
    assert math.isclose(walk["booked_actual_rc"], float(booked), rel_tol=1e-9)
    assert math.isclose(walk["variance_rc"], walk["actual_rc"] - walk["budget_rc"], rel_tol=1e-9, abs_tol=1e-6)
    assert math.isclose(walk["variance_pct"], walk["variance_rc"] / walk["budget_rc"], rel_tol=1e-9)
