"""The landing-zone sensor: its cursor moves past files only once a run built them."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest

from orchestration.defs.pipeline import automation
from orchestration.defs.pipeline.automation import (
    FINGERPRINT_TAG,
    MAX_BUILD_ATTEMPTS,
    decide,
    landing_fingerprint,
    landing_zone_sensor,
)

FAILURE, SUCCESS, STARTED = dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.STARTED


def test_new_files_are_requested_and_count_as_built_only_after_a_successful_run():
    requested = decide("new", "old", None, 0)
    assert requested.run_key == "new:1" and requested.built == "old"
    assert decide("new", "old", STARTED, 1).run_key is None and decide("new", "old", STARTED, 1).built == "old"
    built = decide("new", "old", SUCCESS, 1)
    assert built.run_key is None and built.built == "new"
    assert decide("new", "new", None, 0).skip_reason == "no new or changed landing files"


def test_a_failed_run_leaves_the_cursor_and_is_retried_a_bounded_number_of_times():
    retried = decide("new", "old", FAILURE, 1)
    assert retried.built == "old" and retried.run_key == "new:2"
    given_up = decide("new", "old", FAILURE, MAX_BUILD_ATTEMPTS)
    assert given_up.built == "old" and given_up.run_key is None
    assert f"last {MAX_BUILD_ATTEMPTS} builds" in (given_up.skip_reason or "")
    # The files change again: a new fingerprint is requested at once.
    assert decide("newer", "old", None, 0).run_key == "newer:1"


def _landing(root: Path) -> Path:
    folder = root / "finance" / "fx_rates"
    folder.mkdir(parents=True)
    (folder / "fx_rates_2025-01.csv").write_text("rate_date,from_currency,to_currency,rate\n", encoding="utf-8")
    return root


@dg.op
def _noop() -> None:
    pass


@dg.job(name=automation.BUILD_JOB_NAME)
def _stand_in_job() -> None:
    """A job with the build's name: the sensor looks runs up by job name and fingerprint tag only."""
    _noop()


def _add_run(instance: dg.DagsterInstance, fingerprint: str, status: dg.DagsterRunStatus) -> None:
    instance.create_run_for_job(_stand_in_job, status=status, tags={FINGERPRINT_TAG: fingerprint})


def _tick(instance: dg.DagsterInstance, cursor: str | None) -> dg.SensorResult:
    return landing_zone_sensor(dg.build_sensor_context(instance=instance, cursor=cursor))


def test_the_sensor_does_not_advance_past_files_whose_run_failed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    landing = _landing(tmp_path / "landing")
    monkeypatch.setattr(automation, "landing_dir", lambda: landing)
    monkeypatch.setattr(automation, "warehouse_path", lambda: tmp_path / "no-build-recorded.duckdb")
    fingerprint = landing_fingerprint(landing)
    with dg.instance_for_test() as instance:
        first = _tick(instance, json.dumps({"built": "old"}))
        assert [request.run_key for request in first.run_requests] == [f"{fingerprint}:1"]
        assert first.run_requests[0].tags[FINGERPRINT_TAG] == fingerprint
        assert json.loads(first.cursor) == {"built": "old"}

        _add_run(instance, fingerprint, FAILURE)  # the run for these files failed
        retry = _tick(instance, first.cursor)
        assert json.loads(retry.cursor) == {"built": "old"}
        assert [request.run_key for request in retry.run_requests] == [f"{fingerprint}:2"]

        _add_run(instance, fingerprint, SUCCESS)  # the retry built them
        built = _tick(instance, retry.cursor)
        assert not built.run_requests and json.loads(built.cursor) == {"built": fingerprint}
        assert _tick(instance, built.cursor).skip_reason.skip_message == "no new or changed landing files"


def test_a_cursor_of_the_old_format_counts_as_built():
    assert automation.built_fingerprint("abc123") == "abc123"
    assert automation.built_fingerprint(json.dumps({"built": "abc123"})) == "abc123"
    assert automation.built_fingerprint(None) is None
