"""The analyst notebooks run top to bottom against a built warehouse's snapshot, and compute its figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestration.lib import snapshot
from tests.integration.conftest import Pipeline

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
MODELS = {"first_touch", "last_touch", "linear", "time_decay", "position_based", "markov", "shapley"}


def run_notebook(notebook: Path, built: Pipeline, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    monkeypatch.setenv("ROI_WAREHOUSE", str(built.warehouse))
    monkeypatch.chdir(notebook.parent)
    cells = [
        "".join(cell["source"]) for cell in json.loads(notebook.read_text())["cells"] if cell["cell_type"] == "code"
    ]
    namespace: dict[str, object] = {}
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
