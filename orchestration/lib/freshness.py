"""Nothing new, nothing rebuilt: the fingerprint of everything a build reads.

A build is a function of the landing files, the config, the code and the dbt
project. ``build_inputs()`` names each of those inputs with a cheap digest (no
landing file is read: name, size and modification time, as the landing sensor
sees them), ``fingerprint()`` folds them into one value, and a successful
``make run`` records it in ``audit.build_fingerprint``. The next run compares:
when nothing changed it stops within a second and says so (``--force`` builds
anyway). A run clears the record before it starts, so a failed or killed run is
never taken for a finished one.

Other parts of the build add their own reasons to run by registering an input
(``register_input``): a function returning a short string that changes when a
rebuild is due. A weekly model refit, for instance, returns the ISO week it is
due in, so a new week makes the next run a real one even when no file changed::

    from orchestration.lib import freshness
    freshness.register_input("mmm_refit_slot", lambda: current_refit_week())

The digest is taken before the build and recorded after it, so it must not
depend on what the build itself writes (a fit id written by the build would
make the next run a build again): name the slot that is due, not its outcome.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from orchestration.lib import settings

if TYPE_CHECKING:
    import duckdb

# What a build reads besides the landing zone and the config: the code and the dbt project.
CODE_ROOTS = (
    settings.REPO_ROOT / "orchestration",
    settings.DBT_PROJECT_DIR / "models",
    settings.DBT_PROJECT_DIR / "macros",
    settings.DBT_PROJECT_DIR / "seeds",
    settings.DBT_PROJECT_DIR / "tests",
    settings.EXPECTATIONS_DIR,
)
CODE_FILES = (settings.DBT_PROJECT_DIR / "dbt_project.yml", settings.DBT_PROJECT_DIR / "profiles.yml")
CODE_SUFFIXES = (".py", ".sql", ".yml", ".yaml", ".csv", ".json", ".md", ".j2")
# The environment variables the build reads (paths are in the fingerprint through what they point at).
ENVIRONMENT = ("ROI_REPORTING_CURRENCY", "ROI_FAILPOINTS")

FINGERPRINT_DDL = """
    create table if not exists audit.build_fingerprint (
        fingerprint varchar not null,
        inputs varchar not null,
        run_id varchar not null,
        recorded_at timestamp not null
    )
"""

_registered: dict[str, Callable[[], str]] = {}


def register_input(name: str, digest: Callable[[], str]) -> None:
    """Add an input to every fingerprint: ``digest()`` changes whenever a build is due for that reason."""
    _registered[name] = digest


def _file_digest(files: Iterable[Path], *, content: bool) -> str:
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(str(path).encode())
        if content:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        else:
            stat = path.stat()
            digest.update(f"|{stat.st_size}|{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def landing_digest(landing: Path) -> str:
    """Every landing file's name, size and mtime (what the landing sensor watches; no landing file is read),
    and every other path of the landing zone (lib/landing.py; a stray file's header line is read to name it)."""
    from orchestration.lib.ingest import discover_files
    from orchestration.lib.landing import scan_landing_zone
    from orchestration.lib.sources import SOURCES

    digest = hashlib.sha256()
    for spec in SOURCES:
        for landing_file in discover_files(landing / spec.folder):
            digest.update(
                f"{spec.folder}/{landing_file.name}|{landing_file.size_bytes}|{landing_file.modified_at}\n".encode()
            )
    # Paths that are not landing files (unrecognised, links): adding, moving or removing one is a change.
    for line in scan_landing_zone(landing).digest_lines():
        digest.update(line.encode())
    return digest.hexdigest()


# The key of ``landing_source_digests`` for every landing path that is not a source's landing file.
OTHER_PATHS = "(other paths)"


def landing_source_digests(landing: Path) -> dict[str, str]:
    """``landing_digest`` split by source: each source's landing files, and every other path under
    ``OTHER_PATHS``, so that a run can tell which sources changed (lib/spend_only.py)."""
    from orchestration.lib.ingest import discover_files
    from orchestration.lib.landing import scan_landing_zone
    from orchestration.lib.sources import SOURCES

    digests = {}
    for spec in SOURCES:
        digest = hashlib.sha256()
        for landing_file in discover_files(landing / spec.folder):
            digest.update(f"{landing_file.name}|{landing_file.size_bytes}|{landing_file.modified_at}\n".encode())
        digests[spec.name] = digest.hexdigest()
    other = hashlib.sha256()
    for line in scan_landing_zone(landing).digest_lines():
        other.update(line.encode())
    digests[OTHER_PATHS] = other.hexdigest()
    return digests


def code_digest() -> str:
    """The content of the code, the dbt project and the expectation suites (a few hundred small files)."""
    files = [
        path
        for root in CODE_ROOTS
        if root.is_dir()
        for path in root.rglob("*")
        if path.is_file() and path.suffix in CODE_SUFFIXES and "__pycache__" not in path.parts
    ]
    files += [path for path in CODE_FILES if path.is_file()]
    return _file_digest((path.relative_to(settings.REPO_ROOT) for path in files), content=True)


def config_digest() -> str:
    """The effective config (defaults included), so an edit that changes nothing changes nothing."""
    return hashlib.sha256(settings.load_config().model_dump_json().encode()).hexdigest()


def build_inputs() -> dict[str, str]:
    """Each input of a build and its digest: landing zone, config, environment, engine, code, registered ones."""
    inputs = {
        "landing": landing_digest(settings.landing_dir()),
        # The same files by source: which sources changed decides whether a spend-only run will do.
        "landing_sources": json.dumps(landing_source_digests(settings.landing_dir()), sort_keys=True),
        "config": config_digest(),
        "environment": json.dumps({name: os.environ.get(name) for name in ENVIRONMENT}, sort_keys=True),
        # The engine dbt builds on (ROI_ENGINE, effective value): another engine writes every model again.
        "engine": settings.ENGINE,
        "code": code_digest(),
    }
    for name, digest in sorted(_registered.items()):
        inputs[name] = digest()
    return inputs


def fingerprint(inputs: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class LastBuild:
    fingerprint: str
    inputs: dict[str, str]
    run_id: str
    recorded_at: dt.datetime


def last_build(warehouse: Path) -> LastBuild | None:
    """The fingerprint the last successful build recorded, or None (no warehouse, or a run since)."""
    import duckdb

    if not warehouse.exists():
        return None
    try:
        connection = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:
        return None
    try:
        rows = connection.execute(
            "select fingerprint, inputs, run_id, recorded_at from audit.build_fingerprint "
            "order by recorded_at desc limit 1"
        ).fetchall()
    except duckdb.CatalogException:
        return None
    finally:
        connection.close()
    if not rows:
        return None
    value, inputs, run_id, recorded_at = rows[0]
    return LastBuild(fingerprint=value, inputs=json.loads(inputs), run_id=run_id, recorded_at=recorded_at)


def changed_inputs(warehouse: Path, inputs: dict[str, str]) -> list[str] | None:
    """The inputs that changed since the last successful build; None when there is none to compare with."""
    last = last_build(warehouse)
    if last is None:
        return None
    names = sorted(set(inputs) | set(last.inputs))
    return [name for name in names if inputs.get(name) != last.inputs.get(name)]


def snapshot_exists(warehouse: Path) -> bool:
    from orchestration.lib.snapshot import snapshot_path

    return snapshot_path(warehouse).exists()


def clear(warehouse: Path) -> None:
    """Forget the last build's fingerprint: called before a run changes the warehouse."""
    from orchestration.lib.warehouse import connect

    if not warehouse.exists():
        return
    with connect(warehouse) as connection:
        forget(connection)


def forget(connection: duckdb.DuckDBPyConnection) -> None:
    """``clear`` on an open connection: the ingestion does it first in every build, however it was started
    (UI, schedule, sensor), so only a build the CLI saw succeed is ever taken for an up-to-date one."""
    connection.execute("create schema if not exists audit")
    connection.execute(FINGERPRINT_DDL)
    connection.execute("delete from audit.build_fingerprint")


def record(warehouse: Path, inputs: dict[str, str], run_id: str) -> None:
    """Remember what a successful build read."""
    from orchestration.lib.warehouse import connect

    with connect(warehouse) as connection:
        connection.execute("create schema if not exists audit")
        connection.execute(FINGERPRINT_DDL)
        connection.execute("delete from audit.build_fingerprint")
        connection.execute(
            "insert into audit.build_fingerprint values (?, ?, ?, current_timestamp)",
            [fingerprint(inputs), json.dumps(inputs, sort_keys=True), run_id],
        )
