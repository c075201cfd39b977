"""A dbt that stops before building anything fails the step with dbt's own error, not a missing file.

dbt writes no ``run_results.json`` when the project does not parse or compile; the step used to die
with ``FileNotFoundError`` on that file and hide why. The invocation here stands in for dagster-dbt's
``DbtCliInvocation`` with exactly the members ``build_selected`` uses.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import pytest

from orchestration.defs.dbt import assets

DBT_ERROR = "Compilation Error in model fct_x (models/marts/fct_x.sql)\n  unexpected '}'"


@dataclass
class StoppedInvocation:
    target_path: Path
    error: Exception | None

    def stream(self) -> Iterator[object]:
        yield from ()

    def get_error(self) -> Exception | None:
        return self.error

    def get_artifact(self, name: str) -> dict:
        return json.loads((self.target_path / name).read_text())


def _build(invocation: StoppedInvocation) -> None:
    dbt = SimpleNamespace(cli=lambda *args, **kwargs: invocation)
    context = SimpleNamespace(run=SimpleNamespace(run_id="run-1"))
    list(assets.build_selected(context, dbt))  # type: ignore[arg-type]


def test_a_project_that_does_not_compile_fails_with_dbts_error(tmp_path: Path) -> None:
    with pytest.raises(dg.Failure) as failure:
        _build(StoppedInvocation(tmp_path, RuntimeError(DBT_ERROR)))
    assert "stopped before building any node" in failure.value.description
    assert DBT_ERROR in str(failure.value.metadata["dbt"].value)


def test_no_error_reported_still_says_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(dg.Failure) as failure:
        _build(StoppedInvocation(tmp_path, None))
    assert "no run results" in str(failure.value.metadata["dbt"].value)
