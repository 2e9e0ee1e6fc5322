"""Ingest: row accounting, raw files kept, quarantine with reasons, idempotence, derived tables."""

import json
import stat

import duckdb
import numpy as np
import pandas as pd
import pytest

from benchmarks.ingest import ingest_files
from benchmarks.metrics import FIELDS
from benchmarks.privacy import DEMO_KEY, pseudonym

HEADER = ",".join(f.name for f in FIELDS)
GOOD = "2025-26,9900001,Alpha SD 1,PS,Test County,Rural,1200,60,1250,300,90000,1000,2500,0.8,70,40,700,18,2.5"


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_and_bad_rows_are_counted_kept_and_explained(project, tmp_path):
    bad_devices = GOOD.replace("9900001,Alpha", "9900002,Beta").replace(",1250,300,", ",abc,300,")
    bad_locale = GOOD.replace("9900001,Alpha", "9900003,Gamma").replace(",Rural,", ",Moon,")
    src = _write(tmp_path, "subs.csv", "\n".join([HEADER, GOOD, bad_devices, bad_locale]) + "\n")
    before = src.read_bytes()
    [result] = ingest_files([src], project, DEMO_KEY)
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (3, 1, 2)
    assert src.read_bytes() == before
    stored = project.raw / result.sha256 / "subs.csv"
    assert stored.read_bytes() == before and not stored.stat().st_mode & stat.S_IWUSR
    con = duckdb.connect(str(project.warehouse), read_only=True)
    q = con.execute("SELECT source_row, reasons, raw_values FROM quarantine ORDER BY source_row").fetchall()
    assert [r[0] for r in q] == [3, 4]  # spreadsheet rows: header is row 1
    assert "column student_devices: value 'abc': expected a whole number" in q[0][1]
    assert "column locale: value 'Moon': expected one of City, Suburb, Town, Rural" in q[1][1]
    assert json.loads(q[0][2])["district_name"] == "Beta SD 1"
    # the accepted district is stored under its keyed pseudonym, not its identifier
    pids = [r[0] for r in con.execute("SELECT pseudonym FROM submissions").fetchall()]
    assert pids == [pseudonym(DEMO_KEY, "9900001")]
    stored_rows = con.execute("SELECT * FROM submissions").df().astype(str)
    assert not stored_rows.isin(["9900001", "Alpha SD 1"]).any().any()
    quarantine_files = list(project.quarantine.glob("*.csv"))
    assert len(quarantine_files) == 1 and len(pd.read_csv(quarantine_files[0])) == 2


def test_missing_column_quarantines_every_row_with_a_file_level_reason(project, tmp_path):
    header = HEADER.replace(",tech_staff_fte", "")
    src = _write(tmp_path, "short.csv", header + "\n" + GOOD.rsplit(",", 1)[0] + "\n")
    [result] = ingest_files([src], project, DEMO_KEY)
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (1, 0, 1)
    con = duckdb.connect(str(project.warehouse), read_only=True)
    assert "column tech_staff_fte: expected this column in the header row" in con.execute(
        "SELECT reasons FROM quarantine").fetchone()[0]


def test_same_file_twice_changes_nothing_and_later_submission_replaces(project, tmp_path):
    first = _write(tmp_path, "a.csv", HEADER + "\n" + GOOD + "\n")
    ingest_files([first], project, DEMO_KEY)
    [again] = ingest_files([first], project, DEMO_KEY)
    assert again.already_ingested
    fix = _write(tmp_path, "b.csv", HEADER + "\n" + GOOD.replace(",1250,300,", ",1300,300,") + "\n")
    ingest_files([fix], project, DEMO_KEY)
    con = duckdb.connect(str(project.warehouse), read_only=True)
    assert con.execute("SELECT count(*) FROM submissions").fetchone()[0] == 2  # history kept
    assert con.execute("SELECT student_devices FROM current_submissions").fetchone()[0] == 1300
    dps = con.execute("SELECT devices_per_student FROM district_metrics").fetchone()[0]
    assert dps == pytest.approx(1300 / 1200)


def test_failure_halfway_leaves_the_warehouse_unchanged(project, tmp_path, monkeypatch):
    ok = _write(tmp_path, "ok.csv", HEADER + "\n" + GOOD + "\n")
    ingest_files([ok], project, DEMO_KEY)
    other = _write(tmp_path, "other.csv", HEADER + "\n" + GOOD.replace("9900001", "9900009") + "\n")
    import benchmarks.ingest as ingest_module

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ingest_module, "_rebuild_derived", boom)
    with pytest.raises(RuntimeError):
        ingest_files([other], project, DEMO_KEY)
    con = duckdb.connect(str(project.warehouse), read_only=True)
    assert con.execute("SELECT count(*) FROM submissions").fetchone()[0] == 1
    assert con.execute("SELECT count(*) FROM raw_files").fetchone()[0] == 1


def test_demo_state_ingests_cleanly(demo_project):
    con = duckdb.connect(str(demo_project.warehouse), read_only=True)
    files = con.execute("SELECT rows_read, rows_accepted, rows_quarantined FROM raw_files").fetchall()
    assert files == [(860, 860, 0)] * 3
    years = con.execute("SELECT school_year, count(*) FROM district_metrics GROUP BY 1 ORDER BY 1").fetchall()
    assert years == [("2023-24", 860), ("2024-25", 860), ("2025-26", 860)]
    # 860 districts x 3 years x 12 metrics x 4 stored groups (county, locale, size band, state)
    assert con.execute("SELECT count(*) FROM peer_stats").fetchone()[0] == 860 * 3 * 12 * 4
    unpublished = con.execute("SELECT count(*) FROM peer_stats WHERE NOT published AND (median IS NOT NULL "
                              "OR median_vs IS NOT NULL OR trend_slope IS NOT NULL)").fetchone()[0]
    assert unpublished == 0
    # the statistics tables built beside it in the same transaction
    for table in ("goal_gaps", "group_stats", "group_goals", "purchasing"):
        assert con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] > 0, table
    assert np.isfinite(con.execute("SELECT median(devices_per_student) FROM district_metrics").fetchone()[0])
