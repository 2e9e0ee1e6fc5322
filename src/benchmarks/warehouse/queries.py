"""Reads every report shares: the latest school year, the data snapshot, a district's own row of a year."""

from __future__ import annotations

from pathlib import Path

from benchmarks.warehouse.store import connect

#: "Empty school year means the latest on record", as one SQL expression.
LATEST_YEAR_SQL = "SELECT max(school_year) FROM district_metrics"


def latest_year_of(con) -> str | None:
    """The latest school year with submissions in an open warehouse, or None when it holds none."""
    return con.execute(LATEST_YEAR_SQL).fetchone()[0]


def latest_year(warehouse: Path) -> str:
    """The latest school year on record; a plain error when the warehouse holds no submissions."""
    with connect(Path(warehouse), read_only=True) as con:
        year = latest_year_of(con)
    if year is None:
        raise LookupError("the warehouse holds no submissions: run `benchmarks ingest` first")
    return year


def year_or_latest(con, school_year: str | None) -> str:
    """The school year asked for, or the latest on record when empty."""
    return school_year or latest_year_of(con)


def data_snapshot(con) -> str:
    """A short hash naming the exact set of raw files the warehouse was built from."""
    row = con.execute("SELECT sha256(coalesce(string_agg(sha256, ',' ORDER BY sha256), '')) FROM raw_files").fetchone()
    return row[0][:16]
