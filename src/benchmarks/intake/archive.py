"""The raw-file archive shared by both intakes: each file kept byte for byte under its hash, read-only, with a
manifest, and one warehouse transaction per intake run (names to the crosswalk just before it commits).

Everything an intake writes stays under data/, owner-only (folders 0700, files 0600, archived copies 0400): the
files received and their quarantined rows carry names and IDs. The warehouse knows a file by its hash and its
archived, hash-named copy; the name it was sent under is only in the archive's manifest."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

import pandas as pd

from benchmarks.config import Paths, archived_file
from benchmarks.files import owner_only_tree, private_folder, write_atomic
from benchmarks.intake.quarantine import write_quarantine
from benchmarks.privacy import crosswalk
from benchmarks.privacy.keys import key_fingerprint
from benchmarks.warehouse.staging import cap_memory, clear_staging, staging_folder
from benchmarks.warehouse.store import columns, connect, insert_frame, write_meta

NAME_COLUMNS = ["pseudonym", "source_sha256", "district_id", "district_name"]
#: The archive's record of each file, beside its copy: data/raw/<sha256>/manifest.json (owner-only)
ARCHIVE_MANIFEST = "manifest.json"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def store_raw(paths: Paths, data: bytes, sha: str, name: str, under: Path | None = None) -> Path:
    """Keep the file byte for byte under its hash (data/raw/<sha256>/<sha prefix>.csv), owner-only and read-only;
    under: another folder standing for data/ (a run's staging folder, until it commits)."""
    target = (paths.data if under is None else under) / archived_file(sha, name)
    if not target.exists():
        private_folder(target.parent)
        write_atomic(target, data, private=True)
        target.chmod(0o400)
    return target


def write_manifest(folder: Path, manifest: dict) -> None:
    """The archive's record of one file, with the name and path it was sent under: owner-only, read-only."""
    target = folder / ARCHIVE_MANIFEST
    if target.exists():
        target.chmod(0o600)
    write_atomic(target, (json.dumps(manifest, indent=1, default=str) + "\n").encode(), private=True)
    target.chmod(0o400)


def original_name(paths: Paths, sha: str) -> str:
    """The name a file was sent under, from the archive's owner-only manifest (for the analyst's terminal);
    the hash prefix when the manifest is missing."""
    try:
        return str(json.loads((paths.raw / sha / ARCHIVE_MANIFEST).read_text(encoding="utf-8"))["original_name"])
    except (OSError, ValueError, KeyError, TypeError):
        return sha[:12]


def forget_names(run: "IntakeRun") -> None:
    """Warehouses built before file names and submitted values left them: archived copies renamed by their hash,
    the quarantined rows' cells written to a quarantine file (for the public files that had none), and the
    warehouse left with references and value-free reasons only."""
    con, paths = run.con, run.paths
    if "original_name" in columns(con, "raw_files"):
        old = con.execute("SELECT * FROM raw_files").df()
        for rec in old.to_dict("records"):
            sha, name = rec["sha256"], rec["original_name"]
            # how it was read and the notes, without the sheet's name or a header cell's text
            read_as = re.sub(r"sheet (?:'.*'|\".*\")$", "an .xlsx sheet", str(rec.get("read_as") or ""))
            notes = re.sub(r"column (?:'[^']*'|\"[^\"]*\") is not part", "a column is not part",
                           str(rec.get("notes") or ""))
            con.execute("UPDATE raw_files SET archived_as = ?, read_as = ?, notes = ? WHERE sha256 = ?",
                        [archived_file(sha, name), read_as, notes, sha])
            run.after_commit.append(lambda rec=rec: _rename_archived(paths, rec))
        for column in ("original_name", "stored_path", "source_path"):
            con.execute(f"ALTER TABLE raw_files DROP COLUMN IF EXISTS {column}")
    quarantined = columns(con, "quarantine")
    if "raw_values" in quarantined:
        rows = con.execute("SELECT source_sha256, source_row, reasons, raw_values FROM quarantine "
                           "ORDER BY source_sha256, source_row").df()
        for sha, part in rows.groupby("source_sha256"):
            cells = pd.DataFrame([json.loads(v) for v in part["raw_values"]]).astype(str)
            frame = pd.concat([part[["source_row"]].reset_index(drop=True),
                               part["reasons"].rename("problems").reset_index(drop=True), cells], axis=1)
            target = paths.quarantine / f"{sha[:12]}-from-the-warehouse.csv"
            if not list(paths.quarantine.glob(f"{sha[:12]}-*.csv")):
                run.after_commit.append(lambda t=target, f=frame: write_quarantine(t, f, as_xlsx_too=False))
        con.execute("""
            UPDATE quarantine q SET reasons = coalesce((
                SELECT string_agg(DISTINCT CASE WHEN p.column_name = '(file)' THEN 'the file'
                                          WHEN p.column_name = '(row)' THEN 'the row'
                                          ELSE 'column ' || p.column_name END || ': ' || p.reason, '; ')
                FROM problems p WHERE p.source_sha256 = q.source_sha256
                  AND (p.source_row = q.source_row OR p.source_row IS NULL)), q.reasons)""")
        for column in ("original_name", "raw_values"):
            con.execute(f"ALTER TABLE quarantine DROP COLUMN IF EXISTS {column}")
    for column in ("value", "expected"):
        if column in columns(con, "problems"):
            con.execute(f"ALTER TABLE problems DROP COLUMN {column}")
    con.execute("UPDATE conversions SET submitted = '', stored = '' WHERE column_name IN ('district_id', "
                "'district_name') AND (submitted <> '' OR stored <> '')")


def _rename_archived(paths: Paths, rec: dict) -> None:
    """An archived copy kept under the name it was sent with, renamed by its hash; its manifest says so."""
    sha, name = rec["sha256"], rec["original_name"]
    old, new = paths.raw / sha / Path(name).name, paths.data / archived_file(sha, name)
    if old.exists() and not new.exists():
        old.rename(new)
    folder = paths.raw / sha
    if folder.is_dir():
        manifest = {k: v for k, v in rec.items() if not (isinstance(v, float) and v != v)}
        write_manifest(folder, {**manifest, "archived_as": archived_file(sha, name), "stored_path": str(new)})


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
    #: raw copies new to the archive, kept in the staging folder until just before the commit: (staged, final)
    new_copies: list[tuple[Path, Path]] = field(default_factory=list)
    #: who submitted this run's files, as the analyst names them at ingest (--submitted-by); None: not said
    submitted_by: str | None = None

    def already_archived(self, sha: str) -> bool:
        return bool(self.con.execute("SELECT 1 FROM raw_files WHERE sha256 = ?", [sha]).fetchone())

    def archive(self, file: Path, data: bytes, sha: str, kind: str, rows_read: int, rows_accepted: int,
                rows_quarantined: int, read_as: str, notes: str = "", file_problems: str = "") -> Path:
        """Keep the raw file (in data/raw/ once the run commits), record it in raw_files and write its manifest
        once the run has committed."""
        stored = self.paths.data / archived_file(sha, file.name)
        if not stored.exists():
            staged = store_raw(self.paths, data, sha, file.name, under=staging_folder(self.con))
            self.new_copies.append((staged.parent, stored.parent))
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        row = {"sha256": sha, "archived_as": archived_file(sha, file.name), "size_bytes": len(data),
               "ingested_at": now, "ingested_by": self.submitted_by, "rows_read": rows_read,
               "rows_accepted": rows_accepted, "rows_quarantined": rows_quarantined, "kind": kind,
               "read_as": read_as, "notes": notes, "file_problems": file_problems}
        insert_frame(self.con, "raw_files", pd.DataFrame([row]))
        # the name and path the file was sent under stay in the archive's owner-only manifest
        manifest = {**row, "original_name": file.name, "stored_path": str(stored), "source_path": str(file.resolve())}
        self.after_commit.append(lambda: write_manifest(stored.parent, manifest))
        return stored


@contextmanager
def intake_run(paths: Paths, key: bytes, submitted_by: str | None = None) -> Iterator[IntakeRun]:
    """One transaction over the warehouse for a whole intake run: everything or nothing is stored.

    District names go to the crosswalk, a separate owner-only file, written just before the warehouse
    commits; each name is tied to the raw file it came in, so it is used only once that file's rows are in.
    Raw copies wait in the staging folder and move to data/raw/ just before the commit; manifests and
    quarantine files are written after it. So a failure halfway, or a run killed midway, leaves the warehouse,
    data/raw and data/quarantine as they were (the next run clears what a killed one staged).
    """
    fingerprint = key_fingerprint(key)
    private_folder(paths.data)
    with connect(paths.warehouse) as con:
        crosswalk.check_key(con, paths, key, fingerprint)
        cap_memory(con)
        clear_staging(staging_folder(con))  # what a run killed midway staged: never committed
        run = IntakeRun(con, paths, key, submitted_by=" ".join((submitted_by or "").split()) or None)
        con.execute("BEGIN TRANSACTION")
        try:
            forget_names(run)
            yield run
            for step in run.before_commit:
                step()
            write_meta(con, {"key_fingerprint": fingerprint, **run.meta})
            names = pd.concat(run.names, ignore_index=True) if run.names else pd.DataFrame(columns=NAME_COLUMNS)
            crosswalk.record(paths.crosswalk, names, fingerprint)
            for staged, final in run.new_copies:
                private_folder(final.parent)
                staged.rename(final)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            for _, final in run.new_copies:  # moved before a commit that failed: not part of the archive
                shutil.rmtree(final, ignore_errors=True)
            raise
        finally:
            clear_staging(staging_folder(con))
    try:
        for write in run.after_commit:
            write()
    finally:
        owner_only_tree(paths.data)  # whatever DuckDB, an older version or a copy left readable
