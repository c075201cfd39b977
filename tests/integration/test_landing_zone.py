"""An unrecognised folder, a rejected file and a symbolic link each hold the snapshot back with an alert,
and the run publishes again once they are fixed (issue 17, "Done when").

One copy of the session's build, four incremental runs: each of the first three fixes the previous
problem and brings the next, so each held-back run is held back by exactly one problem; the last run,
with everything fixed, publishes. Alerts go to a webhook on loopback, as a configured deployment's would.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from orchestration.lib import snapshot
from tests.integration.conftest import Pipeline, run_cli
from tests.loopback import WebhookSink

pytestmark = pytest.mark.slow  # four runs, the last a full dbt build: about two to three minutes


def _snapshot_state(warehouse: Path) -> tuple[int, str]:
    path = snapshot.snapshot_path(warehouse)
    return path.stat().st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest()


def _failed_checks(warehouse: Path, run_id: str) -> dict[tuple[str, str], str]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute(
            "select asset_key, check_name, details from audit.dq_results where run_id = ? and not passed "
            "and severity = 'ERROR'",
            [run_id],
        ).fetchall()
    return {(asset, check): json.loads(details)["description"] for asset, check, details in rows}


def _last_run_id(warehouse: Path) -> str:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute("select run_id from audit.dq_results order by evaluated_at desc limit 1").fetchall()[
            0
        ][0]


def _load_files(warehouse: Path, status: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(
            "select source, file_name, message from audit.load_files where status = ? order by file_name", [status]
        ).fetchall()


def _alerted(sink: WebhookSink, since: int) -> str:
    return json.dumps(sink.payloads[since:])


def _assert_held_back(
    result: subprocess.CompletedProcess[str], warehouse: Path, published: tuple[int, str], failing: tuple[str, str]
) -> str:
    """Exit code non-zero, the snapshot untouched, exactly ``failing`` failed among the ERROR checks."""
    assert result.returncode != 0, result.stdout[-4000:]
    assert _snapshot_state(warehouse) == published, "the snapshot is not replaced"
    failed = _failed_checks(warehouse, _last_run_id(warehouse))
    assert list(failed) == [failing], failed
    assert failing[1] in result.stdout, "the run summary names the failed check"
    return failed[failing]


def test_unrecognised_folder_rejected_file_and_symlink_hold_the_snapshot_back_until_fixed(
    built: Pipeline, tmp_path: Path
):
    copy = built.copy_to(tmp_path / "copy")
    landing, warehouse = copy.landing, copy.warehouse
    published = _snapshot_state(warehouse)
    outside = tmp_path / "outside.csv"
    outside.write_text("date_start,account_id\nLEAKED-OUTSIDE,1\n")
    meta_file = sorted((landing / "marketing" / "meta_ads").glob("*.csv*"))[0]

    with WebhookSink() as sink:
        env = {**copy.env, "ROI_ALERT_WEBHOOK_URL": sink.url}

        # 1. A source folder with other capitals: unrecognised, with the folder it means.
        misnamed = landing / "marketing" / "Meta_Ads"
        misnamed.mkdir()
        shutil.copy2(meta_file, misnamed / meta_file.name)
        sent = len(sink.payloads)
        description = _assert_held_back(
            run_cli(env), warehouse, published, ("raw/landing_zone", "landing_zone_accounted_for")
        )
        assert "did you mean `marketing/meta_ads`?" in description and "Move, rename or remove" in description
        assert [(source, name) for source, name, _ in _load_files(warehouse, "unrecognised")] == [
            ("meta_ads", "marketing/Meta_Ads")
        ]
        assert "landing_zone_accounted_for" in _alerted(sink, sent) and "marketing/Meta_Ads" in _alerted(sink, sent)

        # 2. Fixed (moved into its folder: the same content as a loaded file, so nothing new loads); now a
        #    file that lacks required columns is rejected as a whole.
        shutil.move(misnamed / meta_file.name, landing / "marketing" / "meta_ads" / f"zz_{meta_file.name}")
        misnamed.rmdir()
        bad = landing / "marketing" / "google_ads" / "google_ads_zz_manual.csv"
        bad.write_text("segments.date,customer.id,campaign.id\n2025-01-01,1,2\n")
        sent = len(sink.payloads)
        description = _assert_held_back(run_cli(env), warehouse, published, ("raw/google_ads", "no_rejected_files"))
        assert "google_ads_zz_manual.csv" in description and "Fix and export them again" in description
        assert _load_files(warehouse, "unrecognised") == [], "the moved folder is no longer reported"
        assert "no_rejected_files" in _alerted(sink, sent) and "raw/google_ads" in _alerted(sink, sent)

        # 3. Fixed (removed); now a symbolic link to a file outside the landing zone.
        bad.unlink()
        link = landing / "marketing" / "meta_ads" / "linked.csv"
        link.symlink_to(outside)
        sent = len(sink.payloads)
        description = _assert_held_back(run_cli(env), warehouse, published, ("raw/meta_ads", "no_rejected_files"))
        assert "symbolic link: not followed" in description
        assert "no_rejected_files" in _alerted(sink, sent) and "raw/meta_ads" in _alerted(sink, sent)

        # 4. Fixed (removed): the run publishes again, and nothing of the outside file is anywhere.
        link.unlink()
        result = run_cli(env)
        assert result.returncode == 0, result.stdout[-4000:]
        assert _snapshot_state(warehouse) != published, "the snapshot is published again"
        assert _failed_checks(warehouse, _last_run_id(warehouse)) == {}
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        leaked = connection.execute(
            "select count(*) from audit.rejected_rows where contains(raw_content, 'LEAKED-OUTSIDE')"
        ).fetchall()[0][0]
    assert leaked == 0
    # The snapshot keeps no raw content at all (file, line and reason only), and no reason quotes the file.
    with duckdb.connect(str(snapshot.snapshot_path(warehouse)), read_only=True) as connection:
        columns = {row[0] for row in connection.execute("describe audit.rejected_rows").fetchall()}
        quoted = connection.execute(
            "select count(*) from audit.rejected_rows where contains(reason, 'LEAKED-OUTSIDE')"
        ).fetchall()[0][0]
    assert "raw_content" not in columns and quoted == 0
