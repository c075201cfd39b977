"""Fixtures shared by the unit tests of ingestion: an empty landing zone and a fresh warehouse with its audit schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.lib.warehouse import connect, ensure_audit_schema


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    """The landing zone's root (not created: writing a file creates its folders)."""
    return tmp_path / "landing"


@pytest.fixture
def db(tmp_path: Path):
    """A connection to a new warehouse file with the audit schema in place."""
    with connect(tmp_path / "warehouse.duckdb") as connection:
        ensure_audit_schema(connection)
        yield connection
