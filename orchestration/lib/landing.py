"""Every path under the landing zone, accounted for.

The ingestion reads the files of the source folders (``lib/ingest.py``). This
module walks the *whole* landing root, never following a symbolic link, and
sorts every path into one of three kinds:

- a **landing file** of a source: a regular ``*.csv``, ``*.csv.gz`` or
  ``*.parquet`` file in (a sub-folder of) a source folder; it is loaded;
- **ignored** by a documented rule (``ignored_name``): hidden names (``.x``,
  ``_x``), partial uploads and lock files (``*.part``, ``*.tmp``,
  ``*.crdownload``, ``~$x``), documentation (``README*``, ``*.md``) and the
  operating systems' folder metadata (``Thumbs.db``, ``desktop.ini``);
- a **landing entry** (``LandingEntry``) that is neither, recorded in
  ``audit.load_files`` with the reason and what to do:

  - ``unrecognised``: a folder that is not a source (with the closest source
    folder as a suggestion: ``Meta_Ads`` -> ``meta_ads``), a file outside the
    source folders (with the source its header matches), a file in a source
    folder with an extension the loader does not read;
  - ``rejected``: a symbolic link, to a file or a folder, at any depth
    (including a source folder that is a link). It is never followed: its
    target is not read, not even hashed.

An entry that holds data (a file, or a folder with a file in it) is an
integrity failure: it holds the snapshot back until it is moved, renamed or
removed. Unrecognised entries are re-evaluated on every run against what is
present now; a symbolic link stays in the file log as a rejected file.
"""

from __future__ import annotations

import difflib
import gzip
import hashlib
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path, PurePosixPath

import duckdb

from orchestration.lib.ingest import LANDING_SUFFIXES, LandingFile
from orchestration.lib.sources import SOURCES, SourceSpec

STATUS_UNRECOGNISED = "unrecognised"
STATUS_REJECTED = "rejected"

PARTIAL_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload")
DOC_SUFFIXES = (".md",)
OS_METADATA = ("thumbs.db", "desktop.ini")
ACCEPTED = ", ".join(f"`*{suffix}`" for suffix in LANDING_SUFFIXES)
SYMLINK_REASON = "symbolic link: not followed; copy the file into the landing zone"
SPREADSHEET_SUFFIXES = (".xlsx", ".xls", ".xlsm", ".ods", ".numbers")
COMPRESSION_SUFFIXES = (".gz", ".zip", ".bz2", ".xz", ".zst")
HEADER_BYTES = 1 << 16


def ignored_name(name: str) -> bool:
    """Names the landing zone ignores by rule (documented in README's landing-zone section)."""
    lowered = name.lower()
    return (
        name.startswith((".", "_", "~$"))
        or lowered.endswith(PARTIAL_SUFFIXES)
        or lowered.endswith(DOC_SUFFIXES)
        or lowered == "readme"
        or lowered.startswith("readme.")
        or lowered in OS_METADATA
    )


def is_landing_name(name: str) -> bool:
    return name.lower().endswith(LANDING_SUFFIXES)


@dataclass(frozen=True)
class LandingEntry:
    """A path under the landing zone that is not a landing file and not ignored."""

    path: Path
    relative: str  # to the landing root, '/'-separated
    status: str  # unrecognised or rejected
    source: str | None  # the source folder it is in, else the guessed source, else None
    file_name: str  # as recorded: relative to its source folder when in one, else to the landing root
    message: str  # the reason and what to do
    holds_data: bool  # a file, or a folder with a file in it: an integrity failure while present
    checked_by: str | None  # the source whose check reports it; None: the landing-zone check
    kind: str  # file, folder, symlink or special
    size_bytes: int
    modified_at: datetime

    @cached_property
    def fingerprint(self) -> str:
        """The ``file_hash`` recorded (see ``_fingerprint``); taken only when recorded, not by a digest."""
        return _fingerprint(self.path, self.relative, self.kind)


@dataclass
class LandingScan:
    """What the landing zone holds now: each source's landing files and every other path."""

    root: Path
    files: dict[str, list[LandingFile]] = field(default_factory=dict)
    entries: list[LandingEntry] = field(default_factory=list)

    def entries_of(self, source: str | None) -> list[LandingEntry]:
        """The entries a source's check reports (``None``: the landing-zone check)."""
        return [entry for entry in self.entries if entry.checked_by == source]

    def blocking(self, source: str | None) -> list[LandingEntry]:
        return [entry for entry in self.entries_of(source) if entry.holds_data]

    def digest_lines(self) -> list[str]:
        """One line per entry (name, size, mtime, status): what a fingerprint of the landing zone adds."""
        return [
            f"{entry.relative}|{entry.size_bytes}|{entry.modified_at}|{entry.status}\n"
            for entry in sorted(self.entries, key=lambda entry: entry.relative)
        ]


# --------------------------------------------------------------------------- walking


def _modified(stat: os.stat_result) -> datetime:
    return datetime.fromtimestamp(stat.st_mtime, tz=UTC).replace(tzinfo=None)


def _fingerprint(path: Path, relative: str, kind: str) -> str:
    """What ``audit.load_files.file_hash`` holds for an entry: the sha256 of a file's bytes; for a link
    (never followed) of ``symlink:<target text>``; for a folder or a special file (no content of its own
    to read) of ``<kind>:<relative path>``."""
    if kind == "symlink":
        return hashlib.sha256(b"symlink:" + os.fsencode(os.readlink(path))).hexdigest()
    if kind != "file":
        return hashlib.sha256(f"{kind}:{relative}".encode()).hexdigest()
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _entry(
    path: Path,
    relative: str,
    *,
    status: str,
    source: str | None,
    file_name: str,
    message: str,
    holds_data: bool,
    checked_by: str | None,
) -> LandingEntry:
    stat = path.lstat()
    if path.is_symlink():
        kind = "symlink"
    elif path.is_dir():
        kind = "folder"
    else:
        kind = "file" if path.is_file() else "special"
    return LandingEntry(
        path=path,
        relative=relative,
        status=status,
        source=source,
        file_name=file_name,
        message=message,
        holds_data=holds_data,
        checked_by=checked_by,
        kind=kind,
        size_bytes=0 if kind == "folder" else stat.st_size,
        modified_at=_modified(stat),
    )


def _symlink_entry(path: Path, relative: str, source: str | None, file_name: str, checked_by: str | None):
    """A link (to a file or a folder): rejected, its target named but never opened."""
    return _entry(
        path,
        relative,
        status=STATUS_REJECTED,
        source=source,
        file_name=file_name,
        message=f"`{relative}` is a {SYMLINK_REASON} (it points to `{os.readlink(path)}`)",
        holds_data=True,
        checked_by=checked_by,
    )


def _holds_files(folder: Path) -> bool:
    """Whether a folder (not followed through links) holds a file, link or other entry that is not ignored."""
    for current, folders, names in os.walk(folder, followlinks=False):
        folders[:] = [name for name in folders if not ignored_name(name)]
        if any(not ignored_name(name) for name in names):
            return True
        if any(os.path.islink(os.path.join(current, name)) for name in folders):
            return True
    return False


def scan_source_folder(folder: Path, spec: SourceSpec | None = None, root: Path | None = None) -> LandingScan:
    """The landing files of one source folder (any depth) and its other entries; no link is followed.

    ``spec``/``root`` name the source and the landing root in the entries' messages; without them the
    entries are named relative to the folder.
    """
    root = root or folder
    source = spec.name if spec else None
    scan = LandingScan(root=root, files={source or "": []})
    if not folder.exists() and not folder.is_symlink():
        return scan
    if folder.is_symlink():
        relative = folder.relative_to(root).as_posix() if folder != root else folder.name
        scan.entries.append(_symlink_entry(folder, relative, source, relative, source))
        return scan
    if not folder.is_dir():
        from orchestration.lib.ingest import LandingError

        raise LandingError(f"{folder} should be a folder of landing files")
    files = scan.files[source or ""]
    for current, folders, names in os.walk(folder, followlinks=False):
        here = Path(current)
        kept = []
        for name in sorted(folders):
            path = here / name
            if ignored_name(name):
                continue
            if path.is_symlink():
                names.append(name)  # reported with the files below
            else:
                kept.append(name)
        folders[:] = kept
        for name in sorted(set(names)):
            if ignored_name(name):
                continue
            path = here / name
            in_folder = path.relative_to(folder).as_posix()
            relative = path.relative_to(root).as_posix()
            if path.is_symlink():
                scan.entries.append(_symlink_entry(path, relative, source, in_folder, source))
            elif path.is_file() and is_landing_name(name):
                stat = path.stat()
                modified = _modified(stat)
                files.append(LandingFile(path=path, name=in_folder, size_bytes=stat.st_size, modified_at=modified))
            else:
                scan.entries.append(
                    _entry(
                        path,
                        relative,
                        status=STATUS_UNRECOGNISED,
                        source=source,
                        file_name=in_folder,
                        message=_unknown_file_message(relative, name, path.is_file()),
                        holds_data=True,
                        checked_by=source,
                    )
                )
    files.sort(key=lambda landing_file: (landing_file.name, landing_file.modified_at))
    return scan


def _extension_advice(name: str) -> tuple[str, str]:
    """The extension of a file the loader does not read, and what to do with it."""
    suffixes = PurePosixPath(name.lower()).suffixes
    compressed = len(suffixes) > 1 and suffixes[-1] in COMPRESSION_SUFFIXES
    suffix = "".join(suffixes[-2:] if compressed else suffixes[-1:]) or "no extension"
    if suffix.endswith(SPREADSHEET_SUFFIXES):
        return suffix, "save it as CSV (UTF-8, comma-separated)"
    if suffix.startswith(".csv.") and compressed:
        return suffix, "extract the CSV (or compress it with gzip as `*.csv.gz`)"
    return suffix, f"export it as one of {ACCEPTED} or move it out of the landing zone"


def _unknown_file_message(relative: str, name: str, regular: bool) -> str:
    if not regular:
        return f"`{relative}` is not a regular file; only files ({ACCEPTED}) are read: remove it"
    suffix, advice = _extension_advice(name)
    return f"`{relative}` has an extension the loader does not read ({suffix}); accepted: {ACCEPTED}: {advice}"


def scan_landing_zone(root: Path, specs: tuple[SourceSpec, ...] = SOURCES) -> LandingScan:
    """Walk the whole landing root (links never followed): each source's files and every other entry."""
    scan = LandingScan(root=root, files={spec.name: [] for spec in specs})
    by_folder = {spec.folder: spec for spec in specs}
    containers = {
        PurePosixPath(*PurePosixPath(folder).parts[:depth]).as_posix()
        for folder in by_folder
        for depth in range(1, len(PurePosixPath(folder).parts))
    }
    if not root.is_dir():
        return scan
    pending = [""]
    while pending:
        current = pending.pop(0)
        directory = root / current if current else root
        for name in sorted(os.listdir(directory)):
            if ignored_name(name):
                continue
            path = directory / name
            relative = f"{current}/{name}" if current else name
            if relative in by_folder and not path.is_symlink() and not path.is_dir():
                spec = by_folder[relative]
                scan.entries.append(
                    _entry(
                        path,
                        relative,
                        status=STATUS_UNRECOGNISED,
                        source=spec.name,
                        file_name=relative,
                        message=f"`{relative}` should be the folder of {spec.name}'s files, not a file: "
                        f"move it into a folder `{relative}/`",
                        holds_data=True,
                        checked_by=spec.name,
                    )
                )
            elif relative in by_folder:
                spec = by_folder[relative]
                folder_scan = scan_source_folder(path, spec, root)
                scan.files[spec.name] = folder_scan.files[spec.name]
                scan.entries.extend(folder_scan.entries)
            elif path.is_symlink():
                guess = _suggest_folder(relative, by_folder, containers)
                scan.entries.append(_symlink_entry(path, relative, guess[1] if guess else None, relative, None))
            elif path.is_dir() and relative in containers:
                pending.append(relative)
            elif path.is_dir():
                scan.entries.append(_unrecognised_folder(path, relative, by_folder, containers))
            else:
                scan.entries.append(_stray_file(path, relative, specs))
    return scan


def _suggest_folder(
    relative: str, by_folder: dict[str, SourceSpec], containers: set[str]
) -> tuple[str, str | None] | None:
    """The expected folder a misnamed one most likely means: (folder, source name or None for a container)."""
    expected = {**{folder: spec.name for folder, spec in by_folder.items()}, **dict.fromkeys(containers)}
    lowered = {folder.lower(): folder for folder in expected}
    if relative.lower() in lowered:
        folder = lowered[relative.lower()]
        return folder, expected[folder]
    parent = str(PurePosixPath(relative).parent)
    name = PurePosixPath(relative).name.lower()
    siblings = {
        PurePosixPath(folder).name.lower(): folder for folder in expected if str(PurePosixPath(folder).parent) == parent
    }
    close = difflib.get_close_matches(name, list(siblings), n=1, cutoff=0.6)
    if close:
        folder = siblings[close[0]]
        return folder, expected[folder]
    # The right name in the wrong place: finance/google_ads means marketing/google_ads.
    anywhere = {PurePosixPath(folder).name.lower(): folder for folder in by_folder}
    close = difflib.get_close_matches(name, list(anywhere), n=1, cutoff=0.8)
    if close:
        folder = anywhere[close[0]]
        return folder, expected[folder]
    return None


def _unrecognised_folder(
    path: Path, relative: str, by_folder: dict[str, SourceSpec], containers: set[str]
) -> LandingEntry:
    suggestion = _suggest_folder(relative, by_folder, containers)
    holds = _holds_files(path)
    if suggestion is not None:
        folder, source = suggestion
        advice = f"did you mean `{folder}`? Move its files there" + (
            " (folder names are case-sensitive)" if folder.lower() == relative.lower() else ""
        )
    else:
        source = None
        advice = "move its files into their source's folder (see the landing-zone layout in README.md)"
    contents = "" if holds else " It is empty."
    return _entry(
        path,
        relative,
        status=STATUS_UNRECOGNISED,
        source=source,
        file_name=relative,
        message=f"folder `{relative}` is not a source; {advice}.{contents}",
        holds_data=holds,
        checked_by=None,
    )


def _stray_file(path: Path, relative: str, specs: tuple[SourceSpec, ...]) -> LandingEntry:
    """A file outside the source folders: named with the source its header matches, when one does."""
    regular = path.is_file()
    matches = guess_sources(path) if regular and is_landing_name(path.name) else []
    if matches:
        spec = next(spec for spec in specs if spec.name == matches[0])
        message = f"`{relative}` is not in a source folder; its header matches {spec.name}: move it to `{spec.folder}/`"
    elif regular and is_landing_name(path.name) and (closest := closest_source(path)) is not None:
        name, missing = closest
        spec = next(spec for spec in specs if spec.name == name)
        matches = [name]
        message = (
            f"`{relative}` is not in a source folder; its header is closest to {name}'s (it lacks "
            f"{', '.join(missing)}): complete it and move it to `{spec.folder}/`"
        )
    elif regular and is_landing_name(path.name):
        message = (
            f"`{relative}` is not in a source folder and its header matches no source's required columns; "
            "move it into its source's folder (see the landing-zone layout in README.md)"
        )
    elif regular:
        suffix, advice = _extension_advice(path.name)
        message = (
            f"`{relative}` is not in a source folder and has an extension the loader does not read ({suffix}); "
            f"accepted: {ACCEPTED}, in a source folder: {advice}"
        )
    else:
        message = f"`{relative}` is not a regular file; only files ({ACCEPTED}) in source folders are read: remove it"
    return _entry(
        path,
        relative,
        status=STATUS_UNRECOGNISED,
        source=matches[0] if matches else None,
        file_name=relative,
        message=message,
        holds_data=True,
        checked_by=None,
    )


def read_header_names(path: Path) -> list[str]:
    """A landing-format file's column names, lower-cased and trimmed; [] when they cannot be read."""
    name = path.name.lower()
    try:
        if name.endswith(".parquet"):
            with duckdb.connect() as connection:
                rows = connection.execute("describe select * from read_parquet(?)", [str(path)]).fetchall()
            return [str(row[0]).strip().lower() for row in rows]
        opener = gzip.open if name.endswith(".gz") else open
        with opener(path, "rb") as handle:
            first = handle.readline(HEADER_BYTES)
    except (OSError, EOFError, duckdb.Error):
        return []
    text = first.decode("utf-8-sig", errors="replace").strip("\r\n")
    return [part.strip().strip('"').strip().lower() for part in text.split(",")]


def guess_sources(path: Path, specs: tuple[SourceSpec, ...] = SOURCES) -> list[str]:
    """Sources whose required columns are all in the file's header, the most specific first."""
    header = set(read_header_names(path))
    matching = [
        (len(required), spec.name)
        for spec in specs
        if (required := {column.header.lower() for column in spec.columns if column.required}) <= header and header
    ]
    return [name for _, name in sorted(matching, key=lambda match: (-match[0], match[1]))]


def closest_source(path: Path, specs: tuple[SourceSpec, ...] = SOURCES) -> tuple[str, list[str]] | None:
    """The source whose natural key is in the header and most of whose required columns are, with the
    required columns missing; None when no source has its key and at least half its columns there."""
    header = set(read_header_names(path))
    best = None
    for spec in specs:
        required = [column.header for column in spec.columns if column.required]
        present = [name for name in required if name.lower() in header]
        keyed = all(key.lower() in header for key in spec.natural_key)
        share = len(present) / len(required)
        if keyed and share >= 0.5 and (best is None or share > best[0]):
            best = (share, spec.name, [name for name in required if name.lower() not in header])
    return (best[1], best[2]) if best else None


# --------------------------------------------------------------------------- recording


def record_entries(
    connection: duckdb.DuckDBPyConnection, entries: list[LandingEntry], load_id: str, loaded_at: datetime
) -> list[LandingEntry]:
    """Bring ``audit.load_files`` in line with the entries present now; returns the entries recorded new.

    ``unrecognised`` rows describe the landing zone as it is: a row whose path is gone (moved, renamed,
    removed) or whose reason changed is deleted, a new one is added. A symbolic link is a ``rejected``
    file, recorded once (like any rejected file) and kept in the log after it is removed.
    """
    current = {(entry.source, entry.file_name, entry.fingerprint, entry.message) for entry in entries}
    recorded = connection.execute(
        "select source, file_name, file_hash, message from audit.load_files where status = ?", [STATUS_UNRECOGNISED]
    ).fetchall()
    stale = [row for row in recorded if tuple(row) not in current]
    rejected = set(
        connection.execute(
            "select source, file_name, file_hash from audit.load_files where status = ?", [STATUS_REJECTED]
        ).fetchall()
    )
    recorded_keys = {tuple(row) for row in recorded}
    new = [
        entry
        for entry in entries
        if (entry.source, entry.file_name, entry.fingerprint)
        + ((entry.message,) if entry.status == STATUS_UNRECOGNISED else ())
        not in (recorded_keys if entry.status == STATUS_UNRECOGNISED else rejected)
    ]
    connection.execute("begin transaction")
    try:
        for source, file_name, file_hash, message in stale:
            connection.execute(
                "delete from audit.load_files where status = ? and source is not distinct from ? and file_name = ? "
                "and file_hash = ? and message is not distinct from ?",
                [STATUS_UNRECOGNISED, source, file_name, file_hash, message],
            )
        if new:
            connection.executemany(
                "insert into audit.load_files (load_id, source, file_name, file_hash, file_size_bytes, "
                "file_modified_at, status, rows_read, rows_loaded, rows_rejected, message, loaded_at, rows_held) "
                "values (?, ?, ?, ?, ?, ?, ?, 0, 0, 0, ?, ?, 0)",
                [
                    [
                        load_id,
                        entry.source,
                        entry.file_name,
                        entry.fingerprint,
                        entry.size_bytes,
                        entry.modified_at,
                        entry.status,
                        entry.message,
                        loaded_at,
                    ]
                    for entry in new
                ],
            )
    except BaseException:
        connection.execute("rollback")
        raise
    connection.execute("commit")
    return new
