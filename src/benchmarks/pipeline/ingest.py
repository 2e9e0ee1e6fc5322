"""Ingest: keep each raw file unchanged, validate its rows, store accepted rows and quarantine the rest."""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pandas as pd

from benchmarks.privacy import crosswalk
from benchmarks.config import DEFAULT_MIN_PEERS, Paths
from benchmarks.privacy.disclosure import Rules
from benchmarks.registry.metrics import FIELDS, MEASURE_FIELDS, compute_metrics
from benchmarks.stats.peers import size_band
from benchmarks.privacy.keys import KeyProblem, key_fingerprint, pseudonym
from benchmarks.intake.reader import SourceTable, read_submission
from benchmarks.intake.schema import CONVERSION_COLUMNS, Problem, validate_rows
from benchmarks.warehouse.store import connect, has_table, insert_frame, read_meta, replace_table, write_meta
from benchmarks.pipeline.derive import derived_tables

_UMASK = os.umask(0)
os.umask(_UMASK)


def write_atomic(path: Path, data: bytes, private: bool = False) -> None:
    """Write a file so that readers see either the old content or the whole new one.

    private: keep it owner-only (files that name districts, such as the analyst's delivery list).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        # mkstemp makes owner-only files; outputs are meant to be shared unless private
        os.chmod(tmp, 0o600 if private else 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass
class Checked:
    """One file read and validated: every row it holds is either accepted or has at least one problem."""

    file: str
    table: SourceTable
    accepted: pd.DataFrame
    problems: list[Problem]
    conversions: pd.DataFrame

    @property
    def rows_read(self) -> int:
        return len(self.table.frame)

    @property
    def quarantined_rows(self) -> list[int]:
        if self.table.file_problems:
            return list(self.table.frame.index)
        return sorted({p.row for p in self.problems if p.row is not None})

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        return (f"{self.file}: {self.rows_read} rows read = {len(self.accepted)} accepted "
                f"+ {len(self.quarantined_rows)} quarantined")

    def lines(self, limit: int | None = None) -> list[str]:
        """What a person needs to read: notes on how the file was read, then each problem."""
        read_as = self.table.describe
        out = [f"{self.file}: note: read as {read_as}"] if read_as not in ("", "UTF-8, comma-separated") else []
        out += [f"{self.file}: note: {n}" for n in self.table.notes]
        if len(self.conversions):
            rules = self.conversions["rule"].value_counts()
            out.append(f"{self.file}: note: {len(self.conversions)} values converted on reading ("
                       + ", ".join(f"{rule}: {n}" for rule, n in rules.items()) + ")")
        shown = self.problems if limit is None else self.problems[:limit]
        out += [str(p) for p in shown]
        if len(shown) < len(self.problems):
            out.append(f"{self.file}: ... and {len(self.problems) - len(shown)} more problems")
        return out


def check_file(data: bytes, file: str) -> Checked:
    """Read and validate one file's bytes; never raises on bad content."""
    table = read_submission(data, file)
    if table.file_problems:
        return Checked(file, table, table.frame.iloc[:0], table.problems, pd.DataFrame(columns=CONVERSION_COLUMNS))
    broken = {p.row for p in table.problems}
    result = validate_rows(table.frame.drop(index=list(broken)), file, table.context)
    problems = sorted(table.problems + result.problems, key=lambda p: p.row or 0)
    checked = Checked(file, table, result.accepted, problems, result.conversions)
    if checked.rows_read != len(checked.accepted) + len(checked.quarantined_rows):
        raise AssertionError(f"{file}: rows read != accepted + quarantined")  # an invariant, not bad input
    return checked


def _read_bytes(file: Path) -> tuple[bytes, Problem | None]:
    try:
        return file.read_bytes(), None
    except OSError as exc:
        return b"", Problem(str(file), None, "(file)", "", f"a file that can be read ({exc.strerror})",
                            "unreadable file")


def validate_files(files: list[Path]) -> list[Checked]:
    """Check every row of every file without storing anything (what a director runs before submitting)."""
    results = []
    for file in map(Path, files):
        data, problem = _read_bytes(file)
        if problem:
            table = SourceTable(str(file), pd.DataFrame(), [problem])
            results.append(Checked(str(file), table, pd.DataFrame(), [problem], pd.DataFrame()))
        else:
            results.append(check_file(data, str(file)))
    return results


@dataclass
class FileResult:
    file: str
    sha256: str
    rows_read: int
    rows_accepted: int
    rows_quarantined: int
    already_ingested: bool = False
    checked: Checked | None = field(default=None, repr=False)
    quarantine_file: Path | None = None

    @property
    def problems(self) -> list[Problem]:
        return self.checked.problems if self.checked else []

    def __str__(self) -> str:
        if self.already_ingested:
            return f"{self.file}: already ingested (sha256 {self.sha256[:12]}), nothing changed"
        return (f"{self.file}: {self.rows_read} rows read = {self.rows_accepted} accepted "
                f"+ {self.rows_quarantined} quarantined")

    def lines(self, limit: int = 10) -> list[str]:
        """The per-file line, notes, the first problems and where the quarantined rows are."""
        out = [str(self)]
        if self.checked:
            out += self.checked.lines(limit)
        if self.quarantine_file:
            out.append(f"{self.file}: quarantined rows with their reasons: {self.quarantine_file}")
        return out


def store_raw(paths: Paths, data: bytes, sha: str, name: str) -> Path:
    """Keep the file byte for byte under its hash, read-only."""
    target = paths.raw / sha / Path(name).name
    if not target.exists():
        write_atomic(target, data)
        target.chmod(0o444)
    return target


def write_manifest(path: Path, manifest: dict) -> None:
    target = path / "manifest.json"
    write_atomic(target, (json.dumps(manifest, indent=1, default=str) + "\n").encode())
    target.chmod(0o444)


def _safe_stem(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", Path(name).stem)[:60] or "file"


def quarantine_rows(checked: Checked) -> pd.DataFrame:
    """One row per quarantined row: its spreadsheet row, the reasons, and the cells as sent (text)."""
    rows = checked.quarantined_rows
    file_level = [p.where() for p in checked.table.file_problems]
    reasons: dict[int, list[str]] = {r: list(file_level) for r in rows}
    for p in checked.problems:
        if p.row is not None and p.row in reasons:
            reasons[p.row].append(p.where())
    cells = checked.table.frame.loc[rows] if rows else checked.table.frame.iloc[:0]
    out = pd.DataFrame({"source_row": pd.Series(rows, dtype="int64"),
                        "problems": ["; ".join(reasons[r]) for r in rows]})
    return pd.concat([out, cells.reset_index(drop=True).astype(str)], axis=1)


def ingest_files(files: list[Path], paths: Paths, key: bytes, min_peers: int = DEFAULT_MIN_PEERS) -> list[FileResult]:
    """Ingest submission files (CSV or XLSX) in one transaction and rebuild the derived tables.

    Quarantine files and raw-file manifests are written once the transaction has committed, so a failure
    halfway leaves the warehouse and data/quarantine as they were (the raw copies are kept either way).
    District names go to the crosswalk, a separate owner-only file, written just before the warehouse
    commits; each name is tied to the raw file it came in, so it is used only once that file's rows are in.
    """
    rules = Rules.for_min_peers(min_peers)
    fingerprint = key_fingerprint(key)
    results: list[FileResult] = []
    names: list[pd.DataFrame] = []
    after_commit: list[Callable[[], None]] = []
    with connect(paths.warehouse) as con:
        check_key(con, paths, key, fingerprint)
        con.execute("BEGIN TRANSACTION")
        try:
            names.append(_move_legacy_crosswalk(con))
            for file in map(Path, files):
                results.append(_ingest_one(con, file, paths, key, after_commit, names))
            _rebuild_derived(con, rules)
            write_meta(con, {"key_fingerprint": fingerprint, **rules.as_meta()})
            crosswalk.record(paths.crosswalk, pd.concat(names, ignore_index=True), fingerprint)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    for write in after_commit:
        write()
    return results


def check_key(con, paths: Paths, key: bytes, fingerprint: str) -> None:
    """Refuse to mix pseudonyms of two keys: one district would appear as two, and names would go missing."""
    stored = {str(paths.warehouse): read_meta(con).get("key_fingerprint"),
              str(paths.crosswalk): crosswalk.fingerprint(paths.crosswalk)}
    for where, fp in stored.items():
        if fp is not None and fp != fingerprint:
            raise KeyProblem(
                f"{where} was built with a different pseudonym key (fingerprint {fp}; the key in use has "
                f"{fingerprint}). Set $BENCHMARKS_KEY or $BENCHMARKS_KEY_FILE to the key it was built with, "
                "or start a new project folder: pseudonyms of two keys cannot be mixed.")
    if stored[str(paths.warehouse)] is None and has_table(con, "crosswalk"):
        row = con.execute("SELECT pseudonym, district_id FROM crosswalk LIMIT 1").fetchone()
        if row and pseudonym(key, row[1]) != row[0]:
            raise KeyProblem(f"{paths.warehouse} was built with a different pseudonym key than the one in use "
                             "(its pseudonyms do not match this key); use the key it was built with.")


def _move_legacy_crosswalk(con) -> pd.DataFrame:
    """Warehouses built before the crosswalk moved out held it as a table: carry its names over, drop it."""
    columns = ["pseudonym", "source_sha256", "district_id", "district_name"]
    if not has_table(con, "crosswalk"):
        return pd.DataFrame(columns=columns)
    rows = con.execute("SELECT pseudonym, '' AS source_sha256, district_id, district_name FROM crosswalk").df()
    con.execute("DROP TABLE crosswalk")
    return rows[columns]


def _ingest_one(con, file: Path, paths: Paths, key: bytes, after_commit: list,
                names: list[pd.DataFrame]) -> FileResult:
    data, problem = _read_bytes(file)
    if problem:
        table = SourceTable(str(file), pd.DataFrame(), [problem])
        return FileResult(str(file), "", 0, 0, 0, checked=Checked(str(file), table, pd.DataFrame(), [problem],
                                                                 pd.DataFrame()))
    sha = hashlib.sha256(data).hexdigest()
    if con.execute("SELECT 1 FROM raw_files WHERE sha256 = ?", [sha]).fetchone():
        return FileResult(str(file), sha, 0, 0, 0, already_ingested=True)
    stored = store_raw(paths, data, sha, file.name)
    checked = check_file(data, str(file))
    quarantined = quarantine_rows(checked)
    if len(quarantined):
        raw = quarantined.drop(columns=["source_row", "problems"])
        db = pd.DataFrame({"source_sha256": sha, "original_name": file.name,
                           "source_row": quarantined["source_row"], "reasons": quarantined["problems"],
                           "raw_values": [json.dumps(r, ensure_ascii=False) for r in raw.to_dict("records")]})
        insert_frame(con, "quarantine", db)
    if checked.problems:
        insert_frame(con, "problems", pd.DataFrame({
            "source_sha256": sha, "source_row": [p.row for p in checked.problems],
            "column_name": [p.column for p in checked.problems], "value": [p.value for p in checked.problems],
            "expected": [p.expected for p in checked.problems], "reason": [p.reason for p in checked.problems]}))
    if len(checked.conversions):
        conv = checked.conversions.rename(columns={"column": "column_name"})
        insert_frame(con, "conversions", conv.assign(source_sha256=sha))
    if len(checked.accepted):
        names.append(_insert_accepted(con, checked.accepted, sha, key))
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    manifest = {
        "sha256": sha, "original_name": file.name, "stored_path": str(stored), "size_bytes": len(data),
        "ingested_at": now, "ingested_by": getpass.getuser(), "rows_read": checked.rows_read,
        "rows_accepted": len(checked.accepted), "rows_quarantined": len(checked.quarantined_rows),
        "kind": "submission", "source_path": str(file.resolve()), "read_as": checked.table.describe,
        "notes": "; ".join(checked.table.notes),
        "file_problems": "; ".join(p.where() for p in checked.table.file_problems)}
    insert_frame(con, "raw_files", pd.DataFrame([manifest]))
    after_commit.append(lambda: write_manifest(stored.parent, manifest))
    result = FileResult(str(file), sha, checked.rows_read, len(checked.accepted), len(checked.quarantined_rows),
                        checked=checked)
    if len(quarantined):
        target = paths.quarantine / f"{sha[:12]}-{_safe_stem(file.name)}.csv"
        result.quarantine_file = target
        after_commit.append(lambda: _write_quarantine(target, quarantined, checked.table.sheet != ""))
    return result


def _write_quarantine(target: Path, quarantined: pd.DataFrame, as_xlsx_too: bool) -> None:
    """The analyst's file: reasons and the cells as sent, neutralized so no spreadsheet evaluates them."""
    from benchmarks.privacy.sheets import csv_bytes, xlsx_bytes

    write_atomic(target, csv_bytes(quarantined))
    if as_xlsx_too:
        write_atomic(target.with_suffix(".xlsx"), xlsx_bytes(quarantined, "Quarantined rows"))


def _insert_accepted(con, accepted: pd.DataFrame, sha: str, key: bytes) -> pd.DataFrame:
    """Store accepted rows under pseudonyms; returns their crosswalk rows (names stay out of the warehouse)."""
    rows = accepted.copy()
    rows["pseudonym"] = [pseudonym(key, d) for d in rows["district_id"]]
    rows["source_sha256"] = sha
    rows["source_row"] = rows.index.astype("int64")
    cols = ["pseudonym", "school_year", "state", "county", "locale", *[f.name for f in MEASURE_FIELDS],
            "source_sha256", "source_row"]
    con.register("_rows", rows[cols])
    con.execute(f"INSERT INTO submissions ({', '.join(cols)}, received_seq) SELECT {', '.join(cols)}, "
                "nextval('received_seq') FROM _rows ORDER BY source_row")
    con.unregister("_rows")
    return (rows[["pseudonym", "source_sha256", "district_id", "district_name"]]
            .drop_duplicates("pseudonym", keep="last"))


def district_metrics_frame(current: pd.DataFrame) -> pd.DataFrame:
    """Metrics and grouping columns for each district's current submission."""
    metrics = compute_metrics(current)
    base = current[["pseudonym", "school_year", "state", "county", "locale", "enrollment"]].copy()
    base["size_band"] = size_band(current["enrollment"])
    return pd.concat([base, metrics], axis=1).sort_values(["school_year", "pseudonym"], ignore_index=True)


def _rebuild_derived(con, rules: Rules) -> None:
    current = con.execute("SELECT * FROM current_submissions").df()
    dm = district_metrics_frame(current)
    replace_table(con, "district_metrics", dm)
    for name, frame in derived_tables(dm, current, rules=rules).items():
        replace_table(con, name, frame)


def submission_history(paths: Paths, key: bytes, district_id: str) -> pd.DataFrame:
    """Every accepted submission of one district, oldest first, saying which one counts in the benchmarks."""
    from benchmarks.intake.schema import NCES_ID_DIGITS
    from benchmarks.warehouse.store import query

    did = district_id.strip()
    if did.isdigit() and len(did) == NCES_ID_DIGITS - 1:
        did = did.zfill(NCES_ID_DIGITS)
    return query(paths.warehouse, """
        SELECT s.school_year, r.ingested_at, r.original_name AS file, s.source_row AS row,
               CASE WHEN row_number() OVER (PARTITION BY s.school_year ORDER BY s.received_seq DESC) = 1
                    THEN 'current' ELSE 'replaced' END AS status
        FROM submissions s JOIN raw_files r ON r.sha256 = s.source_sha256
        WHERE s.pseudonym = ? ORDER BY s.school_year, s.received_seq""", [pseudonym(key, did)])


__all__ = ["Checked", "FileResult", "check_file", "validate_files", "ingest_files", "write_atomic",
           "district_metrics_frame", "submission_history", "FIELDS"]
