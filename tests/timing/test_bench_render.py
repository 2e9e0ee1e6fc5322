"""The benchmark command: both ways render the same sample; peak memory counts the whole process tree."""

import re
import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import make_project

from benchmarks.cli import main
from benchmarks.timing.render import PeakMemory, naive_commands, sample_districts


def test_peak_memory_counts_child_processes():
    with PeakMemory(interval=0.01) as memory:
        subprocess.run([sys.executable, "-c", "import time; b = bytearray(300 * 2**20); b[::4096] = b'x' * "
                        "len(b[::4096]); time.sleep(0.5)"], check=True)
    assert memory.peak > 300 * 2**20


def test_sample_spreads_over_the_state(demo_project):
    year = "2025-26"
    sample = sample_districts(demo_project, year, 50)
    assert len(sample) == len(set(sample)) == 50
    import duckdb

    con = duckdb.connect(str(demo_project.warehouse), read_only=True)
    counties = con.execute(f"SELECT count(DISTINCT county) FROM district_metrics WHERE school_year = ? AND "
                           f"pseudonym IN ({','.join('?' * 50)})", [year, *sample]).fetchone()[0]
    con.close()
    assert counties > 25


def test_naive_way_is_the_two_command_line_tools(demo_project, tmp_path):
    papermill, nbconvert = naive_commands(demo_project, "2025-26", "D1", tmp_path)
    assert papermill[0].endswith("/papermill") and "-p" in papermill and "D1" in papermill
    assert nbconvert[0].endswith("/jupyter") and nbconvert[1] == "nbconvert" and "--no-input" in nbconvert


@pytest.mark.slow
def test_bench_command_prints_figures_and_the_speedup_last(tmp_path):
    p = make_project(tmp_path / "p")
    result = CliRunner().invoke(main, ["--root", str(p.root), "bench", "--sample", "2", "--workers", "2"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert re.fullmatch(r"speedup: \d+\.\dx", lines[-1])
    assert any(re.match(r"naive .*: [\d.]+ s for 2 reports = [\d.]+ s per report, peak memory [\d.]+ GB", l)
               for l in lines)
    assert any(re.match(r"batch \(2 local workers\): [\d.]+ s for 2 reports", l) for l in lines)
    assert sum("projected for the whole state (860 districts)" in l for l in lines) == 2
    assert not (p.root / "reports").exists()  # the user's reports are not touched
