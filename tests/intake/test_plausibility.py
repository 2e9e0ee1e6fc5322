"""Plausibility at intake: unusual values accepted and flagged (range, change from last year, size band, fields
that disagree), told by `benchmarks validate` as warnings with exit status 0."""

from __future__ import annotations

import csv
import math
import re

import numpy as np
import pandas as pd
from conftest import run_cli

from benchmarks.intake.plausibility import (
    BAND_SDS,
    YEAR_FACTOR,
    changed_from_last_year,
    disagreeing,
    far_from_band,
)
from benchmarks.registry.metrics import MEASURE_FIELDS


def frame(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base = {"school_year": ["2025-26"] * n, "district_id": [f"99000{i:02d}" for i in range(n)],
            "state": ["PS"] * n, "enrollment": [1000] * n}
    blank = {f.name: [np.nan] * n for f in MEASURE_FIELDS}
    return pd.DataFrame({**blank, **base, **columns}, index=range(2, n + 2))


def test_a_change_beyond_the_factor_is_flagged_and_one_within_it_is_not():
    now = frame(bandwidth_mbps=[100.0, 100.0 * YEAR_FACTOR * 1.01, 100.0 * YEAR_FACTOR * 0.99, 100 / 3.5])
    before = now.assign(school_year="2024-25", bandwidth_mbps=100.0)
    flags = [f for f in changed_from_last_year(now, now, "f.csv", before) if f.column == "bandwidth_mbps, enrollment"]
    assert [f.row for f in flags] == [3, 5]
    assert "last year's 100 kbps (2024-25)" in flags[0].expected
    # two years back is not "last year"
    assert not changed_from_last_year(now, now, "f.csv", before.assign(school_year="2023-24"))


def test_a_figure_far_from_its_size_band_on_the_log_scale():
    values = np.array([100, 110, 120, 90, 95, 105, 100, 2000.0])  # bandwidth in Mbps for 1,000 students
    rows = frame(bandwidth_mbps=values)
    logs = np.log(values)
    med = np.median(logs)
    sd = max(1.4826 * np.median(np.abs(logs - med)), math.log(1.5))
    expected = [int(i) + 2 for i in np.flatnonzero(np.abs(logs - med) > BAND_SDS * sd)]
    flags = [f for f in far_from_band(rows, rows, "f.csv") if f.column == "bandwidth_mbps, enrollment"]
    assert [f.row for f in flags] == expected == [9]
    assert not far_from_band(rows.iloc[:4], rows.iloc[:4], "f.csv")  # fewer than 5 values: no band to compare


def test_fields_that_disagree():
    rows = frame(classrooms=[40, 2, 40], wifi6_access_points=[0, 0, 3], access_points=[10, 10, 0],
                 helpdesk_tickets=[5, 5, 5], student_devices=[100, 100, 0])
    got = {(f.row, f.reason) for f in disagreeing(rows, rows, "f.csv")}
    assert got == {(3, "fields disagree: students per classroom"),
                   (4, "fields disagree: Wi-Fi 6 access points without access points"),
                   (4, "fields disagree: tickets without devices")}


def bandwidth_times_ten(source, target) -> tuple[int, str, str]:
    """The demo file with one district's bandwidth multiplied by 10: (its row as a spreadsheet numbers it, its
    district ID, its new bandwidth as written)."""
    rows = list(csv.reader(source.open(newline="")))
    col = rows[0].index("bandwidth_mbps")
    i = 7
    rows[i][col] = f"{float(rows[i][col]) * 10:g}"
    with target.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    return i + 1, rows[i][rows[0].index("district_id")], rows[i][col]


def year_warnings(out: str, row: int) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("to confirm:") and f", row {row}, " in line
            and "bandwidth_mbps" in line and "of last year's" in line]


def test_validate_warns_of_bandwidth_ten_times_last_year_with_exit_0(demo_project, tmp_path):
    changed = tmp_path / "submissions_2025-26.csv"
    row, _, sent = bandwidth_times_ten(demo_project.demo / "submissions_2025-26.csv", changed)
    status, out = run_cli(demo_project.root, "validate", changed)  # against the warehouse's 2024-25
    assert status == 0, out
    assert re.search(r"860 rows read = 860 accepted \+ 0 quarantined", out)
    warned = year_warnings(out, row)
    assert warned and all(f"bandwidth_mbps {sent}" in w for w in warned)


def test_validate_compares_the_files_given_together(project, tmp_path):
    changed = tmp_path / "submissions_2025-26.csv"
    row, _, _ = bandwidth_times_ten(project.demo / "submissions_2025-26.csv", changed)
    status, out = run_cli(project.root, "validate", project.demo / "submissions_2024-25.csv", changed)
    assert status == 0, out
    assert year_warnings(out, row)
    status, out = run_cli(project.root, "validate", changed)  # no warehouse, no other year: nothing to compare
    assert status == 0 and not year_warnings(out, row)
