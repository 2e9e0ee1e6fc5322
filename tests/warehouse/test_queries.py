"""The shared reads: the latest school year (with a plain error when there is none) and the data snapshot."""

import hashlib

import pytest

from benchmarks.warehouse.queries import (
    NotOnRecord,
    data_snapshot,
    latest_year,
    latest_year_of,
    resolve_year,
    year_or_latest,
)
from benchmarks.warehouse.store import connect


def test_latest_year_and_snapshot(demo_project):
    assert latest_year(demo_project.warehouse) == "2025-26"
    with connect(demo_project.warehouse, read_only=True) as con:
        shas = sorted(r[0] for r in con.execute("SELECT sha256 FROM raw_files").fetchall())
        assert year_or_latest(con, "") == "2025-26" and year_or_latest(con, "2024-25") == "2024-25"
        assert data_snapshot(con) == hashlib.sha256(",".join(shas).encode()).hexdigest()[:16]


def test_an_empty_warehouse_has_no_latest_year(tmp_path):
    with connect(tmp_path / "w.duckdb") as con:
        con.execute("CREATE TABLE IF NOT EXISTS district_metrics (school_year VARCHAR)")
        assert latest_year_of(con) is None
    with pytest.raises(NotOnRecord, match="holds no submissions yet: run `benchmarks ingest"):
        latest_year(tmp_path / "w.duckdb")
    with pytest.raises(NotOnRecord, match="^no submissions yet: run `benchmarks ingest"):
        resolve_year(tmp_path / "none.duckdb", "2025-26")
