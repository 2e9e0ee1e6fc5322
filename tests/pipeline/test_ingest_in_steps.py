"""Ingest in steps: a large file's rows and derived tables staged beside the warehouse give the same warehouse as
storing them at once, and a run that fails or is killed (kill -9) at any step leaves the warehouse, data/raw and
the staging folder as they were before it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import REPO, csv_text, row

import benchmarks.intake.submissions as submissions_module
import benchmarks.pipeline.ingest as ingest_module
from benchmarks.pipeline.derive import DERIVED_TABLES
from benchmarks.pipeline.ingest import ingest_files
from benchmarks.privacy.keys import DEMO_KEY
from benchmarks.timing.scale import write_national
from benchmarks.warehouse.staging import STAGING_FOLDER

TABLES = ("submissions", "raw_files", "district_metrics", *DERIVED_TABLES)


def _tables(warehouse: Path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        out = {}
        for name in TABLES:
            frame = con.execute(f"SELECT * FROM {name}").df()
            out[name] = frame.sort_values(list(frame.columns)[:6], ignore_index=True)
        return out


def _raw(project) -> list[str]:
    """Every file under data/raw/, relative to it."""
    return sorted(str(p.relative_to(project.raw)) for p in project.raw.rglob("*"))


def _three_states(tmp_path: Path, name: str, year: str = "2025-26") -> Path:
    rows = [row(n=n, school_year=year, state=state, county=f"County {n % 3}", enrollment=str(400 + 97 * n),
                student_devices=str(380 + 89 * n), helpdesk_tickets=str(300 + 31 * n))
            for state, ns in (("IL", range(1, 14)), ("IN", range(20, 31)), ("PS", range(40, 52))) for n in ns]
    path = tmp_path / name
    path.write_text(csv_text(rows))
    return path


def test_rows_staged_in_parts_are_the_rows_stored_at_once(tmp_path, monkeypatch):
    from conftest import make_project

    file = _three_states(tmp_path, "subs.csv")
    at_once = make_project(tmp_path / "at_once")
    ingest_files([file], at_once, DEMO_KEY)
    staged = make_project(tmp_path / "staged")
    monkeypatch.setattr(submissions_module, "STAGE_ROWS", 10)  # 36 rows: four parts through the staging file
    [result] = ingest_files([file], staged, DEMO_KEY, min_peers=5)
    assert (result.rows_read, result.rows_accepted) == (36, 36)
    first, second = _tables(at_once.warehouse), _tables(staged.warehouse)
    for name in TABLES:
        # which of a file's rows gets which number does not matter (one row per district and year in a file)
        ignore = [c for c in ("ingested_at", "received_seq") if c in first[name]]
        pd.testing.assert_frame_equal(second[name].drop(columns=ignore), first[name].drop(columns=ignore),
                                      check_dtype=False, obj=name)
    for tables in (first, second):  # one number per row, after those of earlier files
        assert sorted(tables["submissions"]["received_seq"]) == list(range(1, 37))
    assert not (staged.processed / STAGING_FOLDER).exists()


def test_a_failed_run_leaves_the_warehouse_and_data_raw_as_they_were(project, tmp_path, monkeypatch):
    ingest_files([_three_states(tmp_path, "first.csv", "2024-25")], project, DEMO_KEY)
    before, raw_before = _tables(project.warehouse), _raw(project)

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ingest_module, "rebuild_derived", boom)
    with pytest.raises(RuntimeError):
        ingest_files([_three_states(tmp_path, "second.csv")], project, DEMO_KEY)
    after = _tables(project.warehouse)
    for name in TABLES:
        pd.testing.assert_frame_equal(after[name], before[name], obj=name)
    assert _raw(project) == raw_before  # the second file's copy is not kept: it is not part of the warehouse
    assert not (project.processed / STAGING_FOLDER).exists()


_INGEST = """
import sys
from pathlib import Path
from benchmarks.config import Paths
from benchmarks.pipeline.ingest import ingest_files
from benchmarks.privacy.keys import DEMO_KEY
ingest_files([Path(sys.argv[1])], Paths(Path(sys.argv[2])), DEMO_KEY)
"""


@pytest.mark.parametrize("step, staged", [("the rows are staged", "staging_1.duckdb"),
                                          ("the statistics are staged", "staging_2.duckdb")])
def test_ingest_killed_midway_leaves_the_warehouse_and_data_raw_as_they_were(project, tmp_path, step, staged):
    ingest_files([write_national(tmp_path / "first.csv", 200)], project, DEMO_KEY)  # the ten years on record
    before, raw_before = _tables(project.warehouse), _raw(project)
    big = write_national(tmp_path / "national.csv", 60_000)  # past STAGE_ROWS, and a few state parts
    env = {**os.environ, "PYTHONPATH": str(REPO.root / "src")}
    proc = subprocess.Popen([sys.executable, "-c", _INGEST, str(big), str(project.root)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    target = project.processed / STAGING_FOLDER / staged
    deadline = time.monotonic() + 240
    while not target.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, f"ingest ended before {step}: {proc.stderr.read().decode()[-300:]}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    after = _tables(project.warehouse)
    for name in TABLES:
        pd.testing.assert_frame_equal(after[name], before[name], obj=name)
    assert _raw(project) == raw_before
    # the next run clears what the killed one staged, and stores its own file
    [result] = ingest_files([_three_states(tmp_path, "next.csv")], project, DEMO_KEY)
    assert (result.rows_read, result.rows_accepted) == (36, 36)
    assert not (project.processed / STAGING_FOLDER).exists()
    assert len(_raw(project)) == len(raw_before) + 3  # folder, copy and manifest of next.csv
