"""Rebuild: the warehouse recreated from the raw files kept in data/raw/ (the record of what was received), in the
order they were first ingested, under the same key, with the same disclosure rules."""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from benchmarks.config import DEFAULT_MIN_PEERS, Paths
from benchmarks.intake.archive import ARCHIVE_MANIFEST, intake_run, write_manifest
from benchmarks.intake.connectivity import store_public_file
from benchmarks.intake.submissions import store_submission_file
from benchmarks.pipeline.derive import rebuild_derived
from benchmarks.privacy.rules import Rules, rules_of
from benchmarks.warehouse.store import WarehouseDamaged, connect, database_files

class NothingToRebuild(LookupError):
    """data/raw/ holds no file with a record of its ingest: there is nothing to rebuild from."""


@dataclass
class RebuildResult:
    warehouse: Path
    submissions: int = 0
    public: int = 0
    #: copies without a manifest: stored by a run that was refused or failed, so never part of the warehouse
    unrecorded: list[str] = field(default_factory=list)
    #: the warehouse the rebuild replaced, kept beside it (None when there was none)
    kept: Path | None = None
    min_peers: int = DEFAULT_MIN_PEERS

    def lines(self) -> list[str]:
        out = [(f"rebuilt {self.warehouse} from {self.submissions + self.public} raw files in data/raw/ "
                f"({self.submissions} submissions, {self.public} public files), min_peers {self.min_peers}")]
        if self.kept:
            out.append(f"the warehouse it replaces is kept as {self.kept}")
        if self.unrecorded:
            out.append(f"{len(self.unrecorded)} raw copies without a record of ingest (from a refused or failed "
                       "run) were left out: " + ", ".join(self.unrecorded))
        return out


def archive_records(paths: Paths) -> tuple[list[dict], list[str]]:
    """Each archived file's manifest, oldest ingest first, and the hashes of copies that have none."""
    records, unrecorded = [], []
    for folder in sorted(p for p in paths.raw.glob("*") if p.is_dir()) if paths.raw.exists() else []:
        try:
            manifest = json.loads((folder / ARCHIVE_MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            unrecorded.append(folder.name[:12])
            continue
        copy = paths.data / manifest["archived_as"]
        if copy.exists():
            records.append(manifest)
        else:
            unrecorded.append(folder.name[:12])
    records.sort(key=lambda m: (str(m.get("ingested_at", "")), m["sha256"]))
    return records, unrecorded


def _old_settings(warehouse: Path) -> tuple[Rules | None, dict[str, tuple]]:
    """The disclosure rules and each public file's years of a warehouse still readable; nothing of a damaged one.
    A warehouse another command has open is WarehouseInUse: it is not moved from under that command."""
    if not warehouse.exists():
        return None, {}
    try:
        with connect(warehouse, read_only=True) as con:
            years = con.execute("SELECT DISTINCT source_sha256, funding_year, school_year "
                                "FROM public_bandwidth").fetchall()
            return rules_of(con), {sha: (fy, sy) for sha, fy, sy in years}
    except (WarehouseDamaged, duckdb.Error, OSError):  # damaged: what it held is what the rebuild recreates
        return None, {}


def rebuild_warehouse(paths: Paths, key: bytes, min_peers: int | None = None) -> RebuildResult:
    """Recreate data/processed/warehouse.duckdb from the raw files in data/raw/ that a run recorded (their
    manifests), in the order first ingested, in one transaction: a later submission replaces an earlier one as
    it did then; the disclosure rules are the old warehouse's when it can still be read, else min_peers (default
    5). The warehouse replaced is kept beside it (warehouse.duckdb.before-rebuild-<time>) and put back if the
    rebuild fails; the crosswalk's key must be the one in use (KeyProblem otherwise)."""
    records, unrecorded = archive_records(paths)
    if not records:
        raise NothingToRebuild(f"no raw file with a record of its ingest in {paths.raw}: nothing to rebuild from; "
                               "run `benchmarks ingest FILE...`")
    old_rules, public_years = _old_settings(paths.warehouse)
    rules = Rules.for_min_peers(min_peers) if min_peers is not None else old_rules or Rules.for_min_peers(
        DEFAULT_MIN_PEERS)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    moved = [(f, f.with_name(f"{f.name}.before-rebuild-{stamp}")) for f in database_files(paths.warehouse)
             if f.exists()]
    for old, aside in moved:
        old.rename(aside)
    result = RebuildResult(paths.warehouse, unrecorded=unrecorded, kept=moved[0][1] if moved else None,
                           min_peers=rules.min_peers)
    try:
        with tempfile.TemporaryDirectory(prefix="benchmarks-rebuild-") as tmp, intake_run(paths, key) as run:
            for i, rec in enumerate(records):
                # the file under the name it was sent with: the quarantine file and messages use it
                copy = Path(tmp) / str(i) / Path(str(rec.get("original_name") or rec["archived_as"])).name
                copy.parent.mkdir()
                shutil.copyfile(paths.data / rec["archived_as"], copy)
                if rec.get("kind") == "public_bandwidth":
                    fy, sy = public_years.get(rec["sha256"], (rec.get("funding_year"), rec.get("school_year")))
                    store_public_file(run, copy, int(fy) if fy else None, sy or None)
                    result.public += 1
                else:
                    store_submission_file(run, copy)
                    result.submissions += 1
            run.meta.update(rules.as_meta())
            received = pd.DataFrame({"sha256": [r["sha256"] for r in records],
                                     "ingested_at": pd.to_datetime([r.get("ingested_at") for r in records]),
                                     "ingested_by": [r.get("ingested_by") for r in records]})
            run.before_commit.append(lambda: _as_first_received(run.con, received))
            run.before_commit.append(lambda: rebuild_derived(run.con, rules))
    except BaseException:
        for f in database_files(paths.warehouse):
            f.unlink(missing_ok=True)
        for old, aside in moved:
            aside.rename(old)
        raise
    for rec in records:  # the manifests as first written: when, by whom, from where (the run rewrote them)
        write_manifest(paths.raw / rec["sha256"], rec)
    return result


def _as_first_received(con, received: pd.DataFrame) -> None:
    """raw_files say when and by whom each file was first ingested, not when it was rebuilt."""
    con.register("_received", received)
    con.execute("UPDATE raw_files r SET ingested_at = x.ingested_at, ingested_by = x.ingested_by "
                "FROM _received x WHERE r.sha256 = x.sha256")
    con.unregister("_received")
