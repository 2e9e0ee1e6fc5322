"""The raw-file archive shared by both intakes: each file kept byte for byte under its hash, read-only, with a
manifest, and one warehouse transaction per intake run (names to the crosswalk just before it commits)."""

from __future__ import annotations

import getpass
import hashlib
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

import pandas as pd

from benchmarks.config import Paths
from benchmarks.files import write_atomic
from benchmarks.privacy import crosswalk
from benchmarks.privacy.keys import key_fingerprint
from benchmarks.warehouse.store import connect, insert_frame, write_meta

NAME_COLUMNS = ["pseudonym", "source_sha256", "district_id", "district_name"]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def store_raw(paths: Paths, data: bytes, sha: str, name: str) -> Path:
    """Keep the file byte for byte under its hash, read-only."""
    target = paths.raw / sha / Path(name).name
    if not target.exists():
        write_atomic(target, data)
        target.chmod(0o444)
    return target


def write_manifest(folder: Path, manifest: dict) -> None:
    target = folder / "manifest.json"
    write_atomic(target, (json.dumps(manifest, indent=1, default=str) + "\n").encode())
    target.chmod(0o444)


@dataclass
class IntakeRun:
    """One intake run inside its warehouse transaction: what to do at commit and after it."""

    con: object
    paths: Paths
    key: bytes
    #: crosswalk rows (pseudonym, source_sha256, district_id, district_name) to record before the commit
    names: list[pd.DataFrame] = field(default_factory=list)
    #: warehouse settings to store with the commit (the disclosure rules)
    meta: dict = field(default_factory=dict)
    #: run just before the commit, inside the transaction (rebuilding the derived tables)
    before_commit: list[Callable[[], None]] = field(default_factory=list)
    #: files written once the transaction has committed (manifests, quarantine files)
    after_commit: list[Callable[[], None]] = field(default_factory=list)

    def already_archived(self, sha: str) -> bool:
        return bool(self.con.execute("SELECT 1 FROM raw_files WHERE sha256 = ?", [sha]).fetchone())

    def archive(self, file: Path, data: bytes, sha: str, kind: str, rows_read: int, rows_accepted: int,
                rows_quarantined: int, read_as: str, notes: str = "", file_problems: str = "") -> Path:
        """Keep the raw file, record it in raw_files and write its manifest once the run commits."""
        stored = store_raw(self.paths, data, sha, file.name)
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        manifest = {"sha256": sha, "original_name": file.name, "stored_path": str(stored), "size_bytes": len(data),
                    "ingested_at": now, "ingested_by": getpass.getuser(), "rows_read": rows_read,
                    "rows_accepted": rows_accepted, "rows_quarantined": rows_quarantined, "kind": kind,
                    "source_path": str(file.resolve()), "read_as": read_as, "notes": notes,
                    "file_problems": file_problems}
        insert_frame(self.con, "raw_files", pd.DataFrame([manifest]))
        self.after_commit.append(lambda: write_manifest(stored.parent, manifest))
        return stored


@contextmanager
def intake_run(paths: Paths, key: bytes) -> Iterator[IntakeRun]:
    """One transaction over the warehouse for a whole intake run: everything or nothing is stored.

    District names go to the crosswalk, a separate owner-only file, written just before the warehouse
    commits; each name is tied to the raw file it came in, so it is used only once that file's rows are in.
    Manifests and quarantine files are written after the commit, so a failure halfway leaves the warehouse
    and data/quarantine as they were (the raw copies are kept either way).
    """
    fingerprint = key_fingerprint(key)
    with connect(paths.warehouse) as con:
        crosswalk.check_key(con, paths, key, fingerprint)
        run = IntakeRun(con, paths, key)
        con.execute("BEGIN TRANSACTION")
        try:
            yield run
            for step in run.before_commit:
                step()
            write_meta(con, {"key_fingerprint": fingerprint, **run.meta})
            names = pd.concat(run.names, ignore_index=True) if run.names else pd.DataFrame(columns=NAME_COLUMNS)
            crosswalk.record(paths.crosswalk, names, fingerprint)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    for write in run.after_commit:
        write()
