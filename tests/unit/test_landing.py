"""Every path under the landing zone is a landing file, ignored by rule, or a recorded entry (issue 17)."""

from __future__ import annotations

import hashlib
import os
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from orchestration.defs.ingest.assets import landing_zone_accounted_for, rejected_files_present
from orchestration.lib.ingest import discover_files, ingest_source
from orchestration.lib.landing import LandingEntry, ignored_name, record_entries, scan_landing_zone
from orchestration.lib.settings import IngestionSettings
from orchestration.lib.sources import SOURCES_BY_NAME
from orchestration.lib.warehouse import ensure_audit_schema

GOOGLE_HEADER = (
    "segments.date,customer.id,customer.currency_code,campaign.id,campaign.name,"
    "metrics.cost_micros,metrics.impressions,metrics.clicks,metrics.conversions,metrics.conversions_value"
)
GOOGLE = SOURCES_BY_NAME["google_ads"]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    root = tmp_path / "landing"
    write(root / "marketing/google_ads/g.csv", f"{GOOGLE_HEADER}\n2024-01-01,1,USD,2,Brand,1000000,,,,\n")
    return root


@pytest.fixture
def db():
    connection = duckdb.connect()
    ensure_audit_schema(connection)
    yield connection
    connection.close()


def by_path(root: Path) -> dict[str, LandingEntry]:
    return {entry.relative: entry for entry in scan_landing_zone(root).entries}


def test_a_clean_landing_zone_has_no_entries_and_its_files_per_source(landing: Path):
    scan = scan_landing_zone(landing)
    assert scan.entries == []
    assert [landing_file.name for landing_file in scan.files["google_ads"]] == ["g.csv"]
    assert landing_zone_accounted_for(scan).passed


@pytest.mark.parametrize(
    ("name", "ignored"),
    [
        (".DS_Store", True),
        ("_archive", True),
        ("g.csv.part", True),
        ("g.CSV.TMP", True),
        ("export.csv.crdownload", True),
        ("~$plan.xlsx", True),
        ("README", True),
        ("readme.txt", True),
        ("notes.md", True),
        ("Thumbs.db", True),
        ("g.csv", False),
        ("readme_google.csv", False),
        ("report.xlsx", False),
    ],
)
def test_names_ignored_by_rule(name: str, ignored: bool):
    assert ignored_name(name) is ignored


def test_a_misnamed_folder_is_unrecognised_with_the_folder_it_means(landing: Path):
    write(landing / "marketing/Meta_Ads/m.csv", "date_start\n")
    write(landing / "marketing/googel_ads/g.csv", "x\n")
    write(landing / "finance/google_ads/g.csv", "x\n")
    (landing / "finance/Budget").mkdir(parents=True)
    entries = by_path(landing)
    assert entries["marketing/Meta_Ads"].message.startswith(
        "folder `marketing/Meta_Ads` is not a source; did you mean `marketing/meta_ads`?"
    )
    assert entries["marketing/Meta_Ads"].source == "meta_ads"
    assert "did you mean `marketing/google_ads`?" in entries["marketing/googel_ads"].message
    assert "did you mean `marketing/google_ads`?" in entries["finance/google_ads"].message
    # An empty folder is listed but holds nothing back.
    assert entries["finance/Budget"].holds_data is False and "It is empty" in entries["finance/Budget"].message
    assert {entry.status for entry in entries.values()} == {"unrecognised"}
    outcome = landing_zone_accounted_for(scan_landing_zone(landing))
    assert not outcome.passed and outcome.value == 3.0


def test_a_file_one_level_too_high_names_the_source_its_header_matches(landing: Path):
    write(landing / "marketing/gads_2024.csv", f"{GOOGLE_HEADER}\n2024-01-01,1,USD,2,Brand,1,,,,\n")
    write(landing / "marketing/partial.csv", GOOGLE_HEADER.split(",metrics.impressions")[0] + "\n")
    write(landing / "marketing/notes.csv", "what,who\n")
    write(landing / "plan.xlsx", "PK")
    entries = by_path(landing)
    assert entries["marketing/gads_2024.csv"].message == (
        "`marketing/gads_2024.csv` is not in a source folder; its header matches google_ads: "
        "move it to `marketing/google_ads/`"
    )
    assert entries["marketing/gads_2024.csv"].source == "google_ads"
    assert "closest to google_ads's (it lacks metrics.impressions, metrics.clicks, metrics.conversions, " in (
        entries["marketing/partial.csv"].message
    )
    assert entries["marketing/notes.csv"].source is None
    assert "matches no source" in entries["marketing/notes.csv"].message
    assert "(.xlsx)" in entries["plan.xlsx"].message and "save it as CSV" in entries["plan.xlsx"].message


def test_other_formats_in_a_source_folder_are_reported_by_that_source(landing: Path):
    write(landing / "marketing/google_ads/2024/report.json", "[]")
    scan = scan_landing_zone(landing)
    (entry,) = scan.entries
    assert (entry.source, entry.file_name, entry.checked_by, entry.holds_data) == (
        "google_ads",
        "2024/report.json",
        "google_ads",
        True,
    )
    assert "accepted: `*.csv`, `*.csv.gz`, `*.parquet`" in entry.message
    assert scan.entries_of(None) == [] and landing_zone_accounted_for(scan).passed


def test_symbolic_links_are_rejected_and_never_followed(landing: Path, tmp_path: Path):
    outside = write(tmp_path / "outside/secret.csv", f"{GOOGLE_HEADER}\n2024-01-09,9,USD,9,LEAKED,777000000,,,,\n")
    (landing / "marketing/google_ads/leak.csv").symlink_to(outside)
    (landing / "marketing/google_ads/more").symlink_to(outside.parent)
    (landing / "marketing/linkedin_ads").symlink_to(outside.parent)
    (landing / "stray.csv").symlink_to(outside)
    entries = by_path(landing)
    assert {path: (entry.status, entry.source, entry.file_name) for path, entry in entries.items()} == {
        "marketing/google_ads/leak.csv": ("rejected", "google_ads", "leak.csv"),
        "marketing/google_ads/more": ("rejected", "google_ads", "more"),
        "marketing/linkedin_ads": ("rejected", "linkedin_ads", "marketing/linkedin_ads"),
        "stray.csv": ("rejected", None, "stray.csv"),
    }
    assert all(
        "symbolic link: not followed; copy the file into the landing zone" in e.message for e in entries.values()
    )
    # The loader sees neither the linked file nor the linked folders.
    assert [landing_file.name for landing_file in discover_files(landing / "marketing/google_ads")] == ["g.csv"]
    assert discover_files(landing / "marketing/linkedin_ads") == []
    # The recorded hash is of the link's text, not of the target's bytes.
    target_hash = entries["marketing/google_ads/leak.csv"].fingerprint
    assert target_hash == hashlib.sha256(b"symlink:" + os.fsencode(str(outside))).hexdigest()


def test_unrecognised_rows_follow_what_is_present_and_links_stay_rejected(landing: Path, db, tmp_path: Path):
    misnamed = write(landing / "marketing/Meta_Ads/m.csv", "date_start\n")
    link = landing / "marketing/google_ads/leak.csv"
    link.symlink_to(write(tmp_path / "secret.csv", "x\n"))
    first = record_entries(db, scan_landing_zone(landing).entries, "run-1", datetime(2025, 1, 1))
    assert len(first) == 2
    assert record_entries(db, scan_landing_zone(landing).entries, "run-2", datetime(2025, 1, 2)) == []
    rows = db.execute(
        "select load_id, source, file_name, status, rows_read from audit.load_files order by 3"
    ).fetchall()
    assert rows == [
        ("run-1", "google_ads", "leak.csv", "rejected", 0),
        ("run-1", "meta_ads", "marketing/Meta_Ads", "unrecognised", 0),
    ]
    # Moved into place and the link removed: the unrecognised row is gone, the rejected link stays logged.
    misnamed.parent.rename(landing / "marketing/meta_ads")
    link.unlink()
    assert record_entries(db, scan_landing_zone(landing).entries, "run-3", datetime(2025, 1, 3)) == []
    assert db.execute("select file_name, status from audit.load_files").fetchall() == [("leak.csv", "rejected")]


def test_a_rejected_file_blocks_its_source_until_it_is_fixed_or_removed(landing: Path, db):
    folder = landing / "marketing/google_ads"
    bad = write(folder / "h.csv", "segments.date,customer.id\n2024-01-01,1\n")

    def check():
        scan = scan_landing_zone(landing)
        ingest_source(db, GOOGLE, landing, IngestionSettings(), load_id="load")
        return rejected_files_present(db, GOOGLE, scan)

    blocked = check()
    assert not blocked.passed and blocked.details["rejected_files"] == ["h.csv"]
    assert "file lacks required column(s)" in blocked.description and "Fix and export them again" in blocked.description
    # Still there on the next run (already seen, not loaded again): still blocking. A copy under another
    # name is a duplicate of rejected content: blocking too.
    (folder / "h_copy.csv").write_bytes(bad.read_bytes())
    assert check().details["rejected_files"] == ["h.csv", "h_copy.csv"]
    (folder / "h_copy.csv").unlink()
    # Fixed in place: new content loads, nothing rejected is present any more.
    bad.write_text(f"{GOOGLE_HEADER}\n2024-01-02,1,USD,2,Brand,1000000,,,,\n")
    assert check().passed


def test_a_path_that_is_not_a_landing_file_changes_the_landing_fingerprints(landing: Path):
    """So neither `make run` ("nothing to do") nor the landing sensor overlooks a misplaced file."""
    from orchestration.defs.pipeline.automation import landing_fingerprint
    from orchestration.lib.freshness import landing_digest

    clean = (landing_digest(landing), landing_fingerprint(landing))
    misplaced = write(landing / "marketing/Meta_Ads/m.csv", "date_start\n")
    assert landing_digest(landing) != clean[0] and landing_fingerprint(landing) != clean[1]
    misplaced.unlink()
    misplaced.parent.rmdir()
    assert (landing_digest(landing), landing_fingerprint(landing)) == clean
    write(landing / "marketing/google_ads/.partial.csv", "x\n")  # ignored by rule: no change
    assert (landing_digest(landing), landing_fingerprint(landing)) == clean
