"""The analyst notebooks run top to bottom against a built warehouse's snapshot."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.integration.conftest import Pipeline

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_runs_on_the_snapshot(notebook: Path, built: Pipeline, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ROI_WAREHOUSE", str(built.warehouse))
    monkeypatch.chdir(notebook.parent)
    cells = [
        "".join(cell["source"]) for cell in json.loads(notebook.read_text())["cells"] if cell["cell_type"] == "code"
    ]
    namespace: dict[str, object] = {}
    for source in cells:
        exec(compile(source, f"{notebook.name}", "exec"), namespace)
    assert os.environ["ROI_WAREHOUSE"] == str(built.warehouse)
    if "roi" in namespace:
        roi = namespace["roi"]
        assert set(roi["attribution_model"]) == {
            "first_touch",
            "last_touch",
            "linear",
            "time_decay",
            "position_based",
            "markov",
            "shapley",
        }
