"""Saved fits: the posterior (ArviZ netCDF) and its derived tables, under the warehouse folder.

``<warehouse dir>/mmm/<fit_id>/`` holds ``posterior.nc``, ``fit.json`` (fit id, input hash, when,
diagnostics) and one parquet file per table the assets write. ``current.json`` names the fit that
serves the marts. Whether to refit is a pure decision (``refit_decision``): no fit yet, inputs
changed (their hash), a refit asked for (the weekly schedule, on demand), else reuse.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

CURRENT = "current.json"


def fits_dir(warehouse: Path) -> Path:
    return warehouse.parent / "mmm"


@dataclass(frozen=True)
class SavedFit:
    fit_id: str
    input_hash: str
    fitted_at: datetime
    folder: Path

    def table(self, name: str) -> pd.DataFrame:
        return pd.read_parquet(self.folder / f"{name}.parquet")

    @property
    def metadata(self) -> dict[str, Any]:
        return json.loads((self.folder / "fit.json").read_text())


@dataclass(frozen=True)
class Decision:
    refit: bool
    reason: str


def refit_decision(saved: SavedFit | None, input_hash: str, *, refit_requested: bool) -> Decision:
    if saved is None:
        return Decision(True, "no saved fit yet")
    if refit_requested:
        return Decision(True, "a refit was requested (weekly schedule or on demand)")
    if saved.input_hash != input_hash:
        return Decision(True, f"inputs changed (hash {saved.input_hash} -> {input_hash})")
    return Decision(False, f"inputs unchanged (hash {input_hash}): fit {saved.fit_id} still serves")


def new_fit_id(input_hash: str, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"mmm-{stamp}-{input_hash[:8]}"


def current_fit(root: Path) -> SavedFit | None:
    pointer = root / CURRENT
    if not pointer.exists():
        return None
    record = json.loads(pointer.read_text())
    folder = root / record["fit_id"]
    if not (folder / "fit.json").exists():
        return None
    return SavedFit(record["fit_id"], record["input_hash"], datetime.fromisoformat(record["fitted_at"]), folder)


def save_fit(
    root: Path,
    fit_id: str,
    input_hash: str,
    idata: Any,
    tables: dict[str, pd.DataFrame],
    metadata: dict[str, Any],
) -> SavedFit:
    """Write the fit's folder, then point ``current.json`` at it (atomically); older fits are removed."""
    folder = root / fit_id
    folder.mkdir(parents=True, exist_ok=True)
    if idata is not None:
        idata.to_netcdf(str(folder / "posterior.nc"))
    for name, frame in tables.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    fitted_at = datetime.now(UTC)
    record = {"fit_id": fit_id, "input_hash": input_hash, "fitted_at": fitted_at.isoformat()}
    (folder / "fit.json").write_text(json.dumps({**record, **metadata}, indent=2, default=str))
    temporary = root / f".{CURRENT}.{os.getpid()}.tmp"
    temporary.write_text(json.dumps(record))
    os.replace(temporary, root / CURRENT)
    for other in root.iterdir():
        if other.is_dir() and other.name != fit_id:
            shutil.rmtree(other, ignore_errors=True)
    return SavedFit(fit_id, input_hash, fitted_at, folder)
