"""Ingest: keep each raw file unchanged, validate its rows, store accepted rows and quarantine the rest."""

from __future__ import annotations

import getpass
import hashlib
import io
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from .config import DEFAULT_MIN_PEERS, Paths
from .metrics import FIELDS, MEASURE_FIELDS, compute_metrics
from .peers import size_band
from .privacy import pseudonym
from .schema import FIRST_DATA_ROW, Problem, missing_columns, normalize_header, validate_rows
from .store import connect, replace_table
from .tables import derived_tables


@dataclass
class FileResult:
    file: str
    sha256: str
    rows_read: int
    rows_accepted: int
    rows_quarantined: int
    already_ingested: bool = False

    def __str__(self) -> str:
        if self.already_ingested:
            return f"{self.file}: already ingested (sha256 {self.sha256[:12]}), nothing changed"
        return (f"{self.file}: {self.rows_read} rows read = {self.rows_accepted} accepted "
                f"+ {self.rows_quarantined} quarantined")


_UMASK = os.umask(0)
os.umask(_UMASK)


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file so that readers see either the old content or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes owner-only files; outputs are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_table(data: bytes, file: str) -> tuple[pd.DataFrame, list[Problem]]:
    """The file's cells as text, headers normalized, indexed by spreadsheet row number."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return pd.DataFrame(), [Problem(file, None, "(file)", "", "a CSV file encoded as UTF-8")]
    if not text.strip():
        return pd.DataFrame(), [Problem(file, None, "(file)", "", "a header row and at least one data row")]
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=True)
    frame.columns = [normalize_header(c) for c in frame.columns]
    frame.index = pd.RangeIndex(FIRST_DATA_ROW, FIRST_DATA_ROW + len(frame))
    missing = missing_columns(list(frame.columns))
    if missing:
        return frame, [Problem(file, None, col, "", "this column in the header row") for col in missing]
    return frame, []


def _store_raw(paths: Paths, data: bytes, sha: str, name: str) -> Path:
    """Keep the file byte for byte under its hash, read-only."""
    target = paths.raw / sha / Path(name).name
    if not target.exists():
        write_atomic(target, data)
        target.chmod(0o444)
    return target


def _quarantine_frame(frame: pd.DataFrame, problems: list[Problem], sha: str, name: str) -> pd.DataFrame:
    rows = sorted({p.row for p in problems if p.row is not None}) if len(frame) else []
    file_level = [p for p in problems if p.row is None]
    if file_level:
        rows = list(frame.index)
    reasons = {}
    for p in problems:
        for row in ([p.row] if p.row is not None else rows):
            reasons.setdefault(row, []).append(str(p).split(", ", 1)[-1])
    return pd.DataFrame({
        "source_sha256": sha,
        "original_name": name,
        "source_row": rows,
        "reasons": ["; ".join(reasons.get(r, [])) for r in rows],
        "raw_values": [json.dumps(frame.loc[r].to_dict(), ensure_ascii=False) for r in rows],
    })


def ingest_files(files: list[Path], paths: Paths, key: bytes, min_peers: int = DEFAULT_MIN_PEERS) -> list[FileResult]:
    """Ingest submission files in one transaction and rebuild the derived tables."""
    results: list[FileResult] = []
    with connect(paths.warehouse) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            for file in map(Path, files):
                results.append(_ingest_one(con, file, paths, key))
            _rebuild_derived(con, min_peers)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return results


def _ingest_one(con, file: Path, paths: Paths, key: bytes) -> FileResult:
    data = file.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    if con.execute("SELECT 1 FROM raw_files WHERE sha256 = ?", [sha]).fetchone():
        return FileResult(file.name, sha, 0, 0, 0, already_ingested=True)
    stored = _store_raw(paths, data, sha, file.name)
    frame, problems = read_table(data, file.name)
    accepted = pd.DataFrame()
    if not problems:
        accepted, problems = validate_rows(frame, file.name)
    quarantined = _quarantine_frame(frame, problems, sha, file.name)
    if len(quarantined):
        con.register("_q", quarantined)
        con.execute("INSERT INTO quarantine SELECT * FROM _q")
        con.unregister("_q")
        write_atomic(paths.quarantine / f"{sha[:12]}-{Path(file.name).stem}.csv",
                     quarantined[["source_row", "reasons", "raw_values"]].to_csv(index=False).encode())
    if len(accepted):
        _insert_accepted(con, accepted, sha, key)
    con.execute("INSERT INTO raw_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        sha, file.name, str(stored), len(data), datetime.now(timezone.utc).replace(tzinfo=None),
        getpass.getuser(), len(frame), len(accepted), len(quarantined)])
    return FileResult(file.name, sha, len(frame), len(accepted), len(quarantined))


def _insert_accepted(con, accepted: pd.DataFrame, sha: str, key: bytes) -> None:
    rows = accepted.copy()
    rows["pseudonym"] = [pseudonym(key, d) for d in rows["district_id"]]
    crosswalk = rows[["pseudonym", "district_id", "district_name"]].drop_duplicates("pseudonym", keep="last")
    con.register("_cw", crosswalk)
    con.execute("INSERT OR REPLACE INTO crosswalk SELECT pseudonym, district_id, district_name FROM _cw")
    con.unregister("_cw")
    rows["source_sha256"] = sha
    rows["source_row"] = rows.index.astype("int64")
    cols = ["pseudonym", "school_year", "state", "county", "locale", *[f.name for f in MEASURE_FIELDS],
            "source_sha256", "source_row"]
    con.register("_rows", rows[cols])
    con.execute(f"INSERT INTO submissions SELECT {', '.join(cols)}, nextval('received_seq') FROM _rows "
                "ORDER BY source_row")
    con.unregister("_rows")


def district_metrics_frame(current: pd.DataFrame) -> pd.DataFrame:
    """Metrics and grouping columns for each district's current submission."""
    metrics = compute_metrics(current)
    base = current[["pseudonym", "school_year", "state", "county", "locale", "enrollment"]].copy()
    base["size_band"] = size_band(current["enrollment"])
    return pd.concat([base, metrics], axis=1).sort_values(["school_year", "pseudonym"], ignore_index=True)


def _rebuild_derived(con, min_peers: int) -> None:
    current = con.execute("SELECT * FROM current_submissions").df()
    dm = district_metrics_frame(current)
    replace_table(con, "district_metrics", dm)
    for name, frame in derived_tables(dm, current, min_peers).items():
        replace_table(con, name, frame)


__all__ = ["FileResult", "ingest_files", "read_table", "write_atomic", "district_metrics_frame", "FIELDS"]
