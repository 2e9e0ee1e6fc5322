"""The large-file benchmark's generated file and its report, at a small size."""

import csv

from click.testing import CliRunner

from benchmarks.cli import main
from benchmarks.timing.scale import write_national


def test_the_generated_file_is_shaped_like_a_national_data_set(tmp_path):
    path = write_national(tmp_path / "n.csv", 2_000)
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2_000
    assert len({r["state"] for r in rows}) == 50 and len({r["school_year"] for r in rows}) == 10
    assert len({(r["district_id"], r["school_year"]) for r in rows}) == 2_000  # one row per district and year
    assert {r["school_year"] for r in rows} >= {"2016-17", "2025-26"}


def test_intake_timing_with_rows_prints_rate_and_memory_of_both_steps(tmp_path):
    result = CliRunner().invoke(main, ["--root", str(tmp_path), "intake-timing", "--rows", "300"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "generated national_300.csv: 300 rows, 0.0 MB, 50 states, 10 school years"
    assert lines[1].startswith("validate (in chunks): 300 rows (300 accepted) in ")
    assert lines[2].startswith("ingest (in chunks): 300 rows (300 accepted) in ")
    assert all("rows/s, peak memory " in line for line in lines[1:3])
