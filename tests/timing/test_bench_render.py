"""The benchmark command: all three ways render the same sample; peak memory counts the whole process tree."""

import re
import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import comparable, make_project

import benchmarks.timing.render as bench
from benchmarks.cli import main
from benchmarks.timing.render import PeakMemory, naive_commands, sample_districts


def test_peak_memory_counts_child_processes():
    with PeakMemory(interval=0.01) as memory:
        subprocess.run([sys.executable, "-c", ("import time; b = bytearray(300 * 2**20); b[::4096] = b'x' * "
                        "len(b[::4096]); time.sleep(0.5)")], check=True)
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
def test_bench_command_prints_figures_and_the_speedup_last(tmp_path, monkeypatch):
    pages = {}  # each way's HTML pages, read before the scratch folder goes

    def keeping(way, run):
        def wrapped(paths, year, districts, out):
            run(paths, year, districts, out)
            if out.name != "warm-up":
                pages[way] = {f.name: comparable(f.read_text()) for f in out.glob("*.html")}
        monkeypatch.setattr(bench, f"run_{way}", wrapped)

    keeping("naive", bench.run_naive)
    keeping("api", bench.run_api)
    p = make_project(tmp_path / "p")
    result = CliRunner().invoke(main, ["--root", str(p.root), "bench", "--sample", "2", "--workers", "2"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert re.fullmatch(r"speedup: \d+\.\dx", lines[-1])
    assert re.fullmatch(r"speedup vs API loop: \d+\.\dx", lines[-2])
    figures = r": [\d.]+ s for 2 reports = [\d.]+ s per report, peak memory [\d.]+ GB"
    for way in (r"naive \(papermill \+ nbconvert CLIs per district\)",
                r"API loop \(papermill\.execute_notebook \+ HTMLExporter per district\)", r"batch \(2 local workers\)"):
        assert sum(bool(re.fullmatch(way + figures, line)) for line in lines) == 1, (way, lines)
    on_request = [re.fullmatch(r"on request, benchmarks (\w+): [\d.]+ s per page, start-up included \(mean of 2\); "
                               r"the naive CLIs take [\d.]+ s per page: [\d.]+x", line) for line in lines]
    assert [m.group(1) for m in on_request if m] == ["report", "initiative"], lines
    projected = [line for line in lines if line.startswith("projected for the whole state (860 districts)")]
    assert [re.fullmatch(r".*\), (.+): [\d.]+ min", line).group(1) for line in projected] == ["naive", "API loop", "batch"]
    # the API loop renders the naive loop's pages: the same two files, the same HTML
    assert len(pages["api"]) == 2 and pages["api"] == pages["naive"]
    assert not (p.root / "reports").exists()  # the user's reports are not touched
