"""The warehouse: one embedded DuckDB file holding submissions, derived metrics and peer statistics."""

from __future__ import annotations

import json
import os
import re
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Iterator

import duckdb
import pandas as pd

from benchmarks.files import lock_down, private_folder, write_atomic
from benchmarks.registry.metrics import MEASURE_FIELDS, METRICS

_MEASURE_COLUMNS = ",\n    ".join(
    f"{f.name} {'BIGINT' if f.dtype == 'integer' else 'DOUBLE'}" for f in MEASURE_FIELDS
)
_METRIC_COLUMNS = ",\n    ".join(f"{m.name} DOUBLE" for m in METRICS)
#: Fields added to the template after a warehouse was made are added to its submissions table.
_ADD_MEASURES = "\n".join(
    f"ALTER TABLE submissions ADD COLUMN IF NOT EXISTS {f.name} {'BIGINT' if f.dtype == 'integer' else 'DOUBLE'};"
    for f in MEASURE_FIELDS)

SCHEMA = f"""
-- Each file received, named by its hash: its own name (which often carries a district's) is kept only in the
-- archive's owner-only manifest, data/raw/<sha256>/manifest.json.
CREATE TABLE IF NOT EXISTS raw_files (
    sha256 VARCHAR PRIMARY KEY,
    -- the archived copy, relative to data/: raw/<sha256>/<sha prefix>.csv (benchmarks.config.archived_file)
    archived_as VARCHAR NOT NULL,
    size_bytes BIGINT NOT NULL,
    ingested_at TIMESTAMP NOT NULL,
    ingested_by VARCHAR,
    rows_read INTEGER NOT NULL,
    rows_accepted INTEGER NOT NULL,
    rows_quarantined INTEGER NOT NULL
);
-- Added with the submission intake; ALTER keeps warehouses made by earlier versions working.
ALTER TABLE raw_files ADD COLUMN IF NOT EXISTS kind VARCHAR DEFAULT 'submission';
ALTER TABLE raw_files ADD COLUMN IF NOT EXISTS read_as VARCHAR;
ALTER TABLE raw_files ADD COLUMN IF NOT EXISTS notes VARCHAR;
ALTER TABLE raw_files ADD COLUMN IF NOT EXISTS file_problems VARCHAR;
ALTER TABLE raw_files ADD COLUMN IF NOT EXISTS archived_as VARCHAR;
-- Who a pseudonym is lives elsewhere (benchmarks.privacy.crosswalk); here: the key fingerprint and disclosure rules.
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
-- Every accepted row ever received; the latest one per district and year is the current one.
CREATE TABLE IF NOT EXISTS submissions (
    pseudonym VARCHAR NOT NULL,
    school_year VARCHAR NOT NULL,
    state VARCHAR NOT NULL,
    county VARCHAR NOT NULL,
    locale VARCHAR NOT NULL,
    {_MEASURE_COLUMNS},
    source_sha256 VARCHAR NOT NULL,
    source_row INTEGER NOT NULL,
    received_seq BIGINT NOT NULL
);
{_ADD_MEASURES}
-- Rejected rows: which file and row, and why, in words that hold no submitted value. The rows as sent (names,
-- IDs, the values that were wrong) are in the analyst's owner-only files in data/quarantine/, never here.
CREATE TABLE IF NOT EXISTS quarantine (
    source_sha256 VARCHAR NOT NULL,
    source_row INTEGER NOT NULL,
    reasons VARCHAR NOT NULL
);
-- Each problem found, one per cell (row NULL: the whole file): where, and what kind. Counts by column and reason
-- feed the data-quality report; the value as sent is only in the quarantine file.
CREATE TABLE IF NOT EXISTS problems (
    source_sha256 VARCHAR NOT NULL,
    source_row INTEGER,
    column_name VARCHAR NOT NULL,
    reason VARCHAR NOT NULL
);
-- Accepted values outside their metric's usual range (not impossible): where and which metric, for the district
-- to confirm; the value itself is in the raw file only.
CREATE TABLE IF NOT EXISTS flags (
    source_sha256 VARCHAR NOT NULL,
    source_row INTEGER NOT NULL,
    column_name VARCHAR NOT NULL,
    reason VARCHAR NOT NULL
);
-- Values of accepted rows that were read with a conversion (1 Gbps -> 1000 Mbps, 25% -> 0.25, 1,200 -> 1200); for a
-- district's ID (a leading zero restored) the rule only, never the ID.
CREATE TABLE IF NOT EXISTS conversions (
    source_sha256 VARCHAR NOT NULL,
    source_row INTEGER NOT NULL,
    column_name VARCHAR NOT NULL,
    submitted VARCHAR NOT NULL,
    stored VARCHAR NOT NULL,
    rule VARCHAR NOT NULL
);
-- Public district connectivity data (Connect K-12 / EducationSuperHighway format), one row per district and
-- funding year, under the same keyed pseudonyms as submissions; the name and NCES id are in the crosswalk.
CREATE TABLE IF NOT EXISTS public_bandwidth (
    pseudonym VARCHAR NOT NULL,
    funding_year INTEGER NOT NULL,
    state VARCHAR NOT NULL,
    county VARCHAR,
    locale VARCHAR,
    enrollment BIGINT,
    bandwidth_kbps_per_student DOUBLE,
    cost_per_mbps_usd DOUBLE,
    total_bandwidth_mbps DOUBLE,
    exclude_from_analysis BOOLEAN NOT NULL,
    source_sha256 VARCHAR NOT NULL,
    source_row INTEGER NOT NULL
);
-- The school year the figures stand for (funding year Y pays for school year Y-(Y+1), unless the import said otherwise).
ALTER TABLE public_bandwidth ADD COLUMN IF NOT EXISTS school_year VARCHAR;
CREATE SEQUENCE IF NOT EXISTS received_seq;
CREATE OR REPLACE VIEW current_submissions AS
SELECT * EXCLUDE (rn) FROM (
    SELECT *, row_number() OVER (PARTITION BY pseudonym, school_year ORDER BY received_seq DESC) AS rn
    FROM submissions
) WHERE rn = 1;
CREATE TABLE IF NOT EXISTS district_metrics (
    pseudonym VARCHAR NOT NULL,
    school_year VARCHAR NOT NULL,
    state VARCHAR NOT NULL,
    county VARCHAR NOT NULL,
    locale VARCHAR NOT NULL,
    enrollment BIGINT,
    size_band VARCHAR NOT NULL,
    {_METRIC_COLUMNS}
);
"""


def database_files(path: Path) -> list[Path]:
    """A DuckDB database and the write-ahead log DuckDB keeps beside it."""
    path = Path(path)
    return [path, path.with_name(path.name + ".wal")]


#: Seconds a command waits for a warehouse another command has open before saying which one holds it.
LOCK_WAIT_ENV = "BENCHMARKS_LOCK_WAIT"
DEFAULT_LOCK_WAIT = 5.0
#: What the warehouse is opened by, for the in-use note beside it (the CLI names its command here).
_opened_by = {"command": ""}


class WarehouseProblem(Exception):
    """The warehouse cannot be opened as it is: in use by another command, or damaged. The message says which
    and what to do, in one sentence."""


class WarehouseInUse(WarehouseProblem):
    """Another command (or program) holds the warehouse open for writing, or reading while this one writes."""


class WarehouseDamaged(WarehouseProblem):
    """The warehouse file is truncated, empty or not a DuckDB file at all."""


def opened_by(command: str) -> None:
    """Name what opens the warehouse from now on (e.g. "benchmarks ingest"), for the in-use note."""
    _opened_by["command"] = command


def in_use_note(path: Path) -> Path:
    """The small note beside a warehouse opened for writing: which command has it, its pid, since when."""
    path = Path(path)
    return path.with_name(path.name + ".in-use")


def lock_wait() -> float:
    """Seconds to wait for a warehouse in use ($BENCHMARKS_LOCK_WAIT, default 5)."""
    try:
        return max(0.0, float(os.environ.get(LOCK_WAIT_ENV, DEFAULT_LOCK_WAIT)))
    except ValueError:
        return DEFAULT_LOCK_WAIT


_DAMAGE = ("not a valid duckdb database", "could not read enough bytes", "corrupt", "checksum",
           "failed to read database header", "invalid database")


def is_damage(err: BaseException) -> bool:
    """Whether a DuckDB error means the warehouse file itself is damaged (truncated, empty, overwritten)."""
    text = str(err).lower()
    return isinstance(err, (duckdb.IOException, duckdb.SerializationException, duckdb.InternalException,
                            duckdb.InvalidInputException)) and any(d in text for d in _DAMAGE)


def damaged(path: Path, err: BaseException | None = None) -> WarehouseDamaged:
    text = str(err or "").lower()
    why = ("it is empty or not a DuckDB file" if "not a valid" in text or "header" in text
           else "it ends too early (truncated)" if "enough bytes" in text else "it cannot be read")
    return WarehouseDamaged(f"the warehouse {path} is damaged: {why}; run `benchmarks rebuild` to recreate it "
                            "from the raw files kept in data/raw/")


def holder(path: Path, err: BaseException) -> str:
    """Who holds the warehouse: the in-use note's command when its pid is the one DuckDB names, else the
    program DuckDB names."""
    found = re.search(r"held in (.*?) \(PID (\d+)\)", str(err))
    pid = int(found.group(2)) if found else None
    try:
        note = json.loads(in_use_note(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        note = {}
    if note.get("command") and (pid is None or note.get("pid") == pid):
        since = str(note.get("since", ""))[11:16]
        return f"`{note['command']}` (pid {note.get('pid')}{', since ' + since if since else ''})"
    if found:
        return f"another program ({Path(found.group(1)).name}, pid {pid})"
    return "another program"


def _open(path: Path, read_only: bool, wait: float | None) -> duckdb.DuckDBPyConnection:
    """duckdb.connect, waiting up to `wait` seconds while another process holds the file; a WarehouseProblem
    in one sentence when it stays in use or is damaged."""
    wait = lock_wait() if wait is None else wait
    deadline = time.monotonic() + wait
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as err:
            if "could not set lock" in str(err).lower():
                if time.monotonic() < deadline:
                    time.sleep(min(0.2, max(deadline - time.monotonic(), 0.01)))
                    continue
                raise WarehouseInUse(f"the warehouse {path} is in use by {holder(path, err)}, still after waiting "
                                     f"{wait:g} seconds: let it finish, then run this again") from None
            if is_damage(err):
                raise damaged(path, err) from None
            raise
        if _cut_short(con, path):
            con.close()
            raise damaged(path, "could not read enough bytes")
        return con


def _cut_short(con: duckdb.DuckDBPyConnection, path: Path) -> bool:
    """Whether the file is shorter than the blocks DuckDB's header says it holds (truncated: a copy cut short, a
    full disk), found before anything reads, or writes into, the missing part. Without a write-ahead log only
    (replaying one may add blocks the file does not have yet)."""
    if not path.exists() or database_files(path)[1].exists():
        return False
    block_size, blocks, free = con.execute("SELECT block_size, total_blocks, free_blocks FROM pragma_database_size()"
                                           ).fetchone()
    # free blocks at the end of the file need not be on disk (DuckDB leaves a trailing free block unwritten)
    return path.stat().st_size < int(block_size) * (int(blocks) - int(free))


@contextmanager
def connect(path: Path, read_only: bool = False, wait: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse (creating it and its tables unless read-only). Opened for writing, its folder and
    files are owner-only: DuckDB creates its files (and the .wal) with the process's umask, and a note beside
    it says which command has it (benchmarks.warehouse.store.in_use_note). While another process has it, waits
    up to `wait` seconds (default $BENCHMARKS_LOCK_WAIT, 5) before WarehouseInUse; a damaged file is
    WarehouseDamaged."""
    if read_only and not Path(path).exists():
        raise FileNotFoundError(f"no warehouse at {path}: run `benchmarks ingest` first")
    if not read_only:
        private_folder(Path(path).parent)
    con = _open(Path(path), read_only, wait)
    note = in_use_note(path)
    try:
        if not read_only:
            write_atomic(note, json.dumps({"command": _opened_by["command"] or "a Python program",
                                           "pid": os.getpid(),
                                           "since": datetime.now().isoformat(timespec="seconds")}).encode(),
                         private=True)
            lock_down(*database_files(path))
            try:
                con.execute(SCHEMA)
            except duckdb.Error as err:
                if is_damage(err):
                    raise damaged(path, err) from None
                raise
        yield con
    finally:
        con.close()
        if not read_only:
            note.unlink(missing_ok=True)
            lock_down(*database_files(path))


def columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    """The columns a table has now (an older warehouse may have fewer, or ones since retired)."""
    return {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = ?",
                                      [table]).fetchall()}


def replace_table(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    """Swap a derived table's whole content for `frame` (call inside a transaction)."""
    con.register("_frame", frame)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _frame")
    finally:
        con.unregister("_frame")


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """Insert frame's columns by name (the table may have more columns, e.g. ones added by later versions)."""
    con.register("_insert", frame)
    try:
        cols = ", ".join(f'"{c}"' for c in frame.columns)
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _insert")
    finally:
        con.unregister("_insert")


def read_meta(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The warehouse's settings (key fingerprint, disclosure rules); empty for a warehouse without any."""
    if not con.execute("SELECT 1 FROM information_schema.tables WHERE table_name = 'meta'").fetchone():
        return {}
    return dict(con.execute("SELECT key, value FROM meta").fetchall())


def write_meta(con: duckdb.DuckDBPyConnection, values: dict[str, object]) -> None:
    for key, value in values.items():
        con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, str(value)])


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT 1 FROM information_schema.tables WHERE table_name = ?", [name]).fetchone())


def query(path: Path, sql: str, params: list | None = None) -> pd.DataFrame:
    """Run one read-only query against the warehouse."""
    with connect(path, read_only=True) as con:
        return con.execute(sql, params or []).df()
