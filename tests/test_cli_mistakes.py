"""Ordinary mistakes through the commands, as an analyst makes them: no data yet, a year the warehouse lacks, a
custom list too short, a county or district written the way people write them. Each ends in one plain line
naming what was wrong and what there is, exit status 1, never a traceback; a page on request prints nothing on
stderr, and the reference path's kernel drops only its TCP warning."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, csv_text, make_project, row, run_cli as run, DEMO_ENV

from benchmarks.pipeline.ingest import ingest_files
from benchmarks.privacy.keys import DEMO_KEY
from benchmarks.render.kernel import TCP_WARNING, QuietAboutLocalTcp
from benchmarks.warehouse.queries import NotOnRecord, counties_named, county_key
from benchmarks.warehouse.store import connect

YEAR = "2025-26"
KANE = range(1, 8)  # seven districts in KANE COUNTY, written in capitals as the public file writes it
LAKE = range(8, 14)  # six in Lake County; n=8 and n=9 share a name
NAMES = {1: "SD U-46", 8: "Central SD 1", 9: "Central SD 1"}


def _id(n: int) -> str:
    return f"99{n:05d}"



def _refused(root: Path, *args) -> str:
    """The one line a refused command prints."""
    code, out = run(root, *args)
    assert code == 1, out
    lines = out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), out
    return lines[0]


@pytest.fixture(scope="module")
def kane(tmp_path_factory):
    """A small project: 2024-25 and 2025-26, Kane County stored in capitals, two districts of one name."""
    root = tmp_path_factory.mktemp("kane")
    p = make_project(root / "project")
    files = []
    for year in ("2024-25", YEAR):
        rows = [row(n=n, school_year=year, county="KANE COUNTY" if n in KANE else "Lake County",
                    enrollment=str(1100 + 37 * n), student_devices=str(1000 + 41 * n),
                    helpdesk_tickets=str(500 + 23 * n), bandwidth_mbps=str(800 + 61 * n),
                    **({"district_name": NAMES[n]} if n in NAMES else {}))
                for n in [*KANE, *LAKE]]
        path = root / f"submissions_{year}.csv"
        path.write_text(csv_text(rows))
        files.append(path)
    ingest_files(files, p, DEMO_KEY)
    return p


COMMANDS = [("render", "--workers", "1"), ("export",), ("audit",), ("report", "--district", _id(1)),
            ("initiative", "--district", _id(1), "--plan", "devices_per_student=1")]


@pytest.mark.parametrize("command", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_a_project_without_submissions_says_to_ingest_first(tmp_path, command):
    empty = make_project(tmp_path / "empty")
    for args in (command, (*command, "--year", "2019-20")):
        assert "no submissions yet: run `benchmarks ingest" in _refused(empty.root, *args)
    assert not empty.reports.exists()  # public data alone is a project that renders (tests/e2e/test_public_road.py)


@pytest.mark.parametrize("command", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_a_year_not_on_record_names_the_years_there_are(kane, command):
    line = _refused(kane.root, *command, "--year", "2019-20")
    assert line == "Error: the warehouse holds no submissions for 2019-20; years on record: 2024-25, 2025-26"
    assert not (kane.reports / "2019-20").exists()


def test_a_year_is_read_as_people_write_it(kane):
    with connect(kane.warehouse, read_only=True) as con:
        from benchmarks.warehouse.queries import school_year_of

        assert [school_year_of(con, y) for y in ("", "2025-26", " 2025-2026 ", "2025", "2024/25")] == [
            YEAR, YEAR, YEAR, YEAR, "2024-25"]
        with pytest.raises(NotOnRecord, match="no submissions for next year; years on record: 2024-25, 2025-26"):
            school_year_of(con, "next year")


def test_a_custom_list_too_short_is_one_line(kane):
    line = _refused(kane.root, "report", "--district", _id(1), "--peers", _id(2), "--peers", _id(3))
    assert "a custom peer group must name at least 5 districts other than the one reported on" in line


def test_counties_match_whatever_their_case_and_spacing(kane):
    assert county_key("  KANE   COUNTY ") == county_key("Kane County") == county_key("kane") == "kane"
    with connect(kane.warehouse, read_only=True) as con:
        # sent in capitals, stored as a person writes it (pipeline.derive.one_county_spelling)
        for typed in ("Kane County", "kane county", " KANE  COUNTY", "Kane"):
            assert counties_named(con, YEAR, typed) == ["Kane County"]
        with pytest.raises(NotOnRecord, match=r"county 'Kain County' submitted for 2025-26; did you mean "
                                              r"'Kane County'\?"):
            counties_named(con, YEAR, "Kain County")


def test_export_finds_a_county_written_in_capitals(kane):
    code, out = run(kane.root, "export", "--county", "Kane County", "--no-board")
    assert code == 0
    assert len([t for t in _tables(out) if t.endswith(".csv")]) == len(KANE)
    assert _refused(kane.root, "export", "--county", "Nowhere County") == (
        "Error: no district of county 'Nowhere County' submitted for 2025-26")


def test_render_finds_a_county_written_in_capitals(kane):
    code, out = run(kane.root, "render", "--county", "kane county", "--workers", "1")
    assert code == 0, out
    # the board summary, the data-quality page, Kane's districts and, with 7 of them (at least min_peers + 1), the
    # county's round-table page
    assert f"{YEAR}: {len(KANE) + 3} reports" in out
    assert (kane.reports / YEAR / "roundtable_kane-county.html").exists()
    assert len(list((kane.reports / YEAR).glob("district_*.html"))) == len(KANE)
    assert "no district of county 'Nowhere' submitted" in _refused(kane.root, "render", "--county", "Nowhere")


def _tables(out: str) -> list[str]:
    """The files an export printed (its progress bar shares the output)."""
    return re.findall(r"/\S+?\.(?:csv|xlsx)\b", out)


def test_a_district_is_found_by_its_name(kane):
    code, out = run(kane.root, "export", "--district", "  sd  u-46 ", "--no-board")
    assert code == 0 and len(_tables(out)) == 2
    code, by_id = run(kane.root, "export", "--district", _id(1), "--no-board")
    assert _tables(by_id) == _tables(out)


def test_a_name_two_districts_share_is_refused_listing_their_ids_only(kane):
    for command in (("report",), ("initiative", "--plan", "devices_per_student=1"), ("export",)):
        line = _refused(kane.root, *command, "--district", "central sd 1")
        assert line == (f"Error: 2 districts are named 'central sd 1': give the district's ID instead, one of "
                        f"{_id(8)} (Central SD 1), {_id(9)} (Central SD 1)")
    unknown = _refused(kane.root, "report", "--district", "Nowhere SD")
    assert unknown == "Error: no district with ID, pseudonym or name 'Nowhere SD' has submitted"


def test_the_kernel_filter_drops_the_tcp_warning_only():
    quiet = QuietAboutLocalTcp()

    def record(message: str, level: int = logging.WARNING) -> logging.LogRecord:
        return logging.LogRecord("IPKernelApp", level, __file__, 1, message, None, None)

    assert not quiet.filter(record(TCP_WARNING + ". All communication (including code and outputs) is sent"))
    assert quiet.filter(record("Config option `bogus` not recognized by `IPKernelApp`."))
    assert quiet.filter(record("Failed to load connection file", logging.ERROR))


def test_a_report_on_request_prints_no_kernel_warning(kane):
    """`benchmarks report` renders in a worker of its own: its stderr carries no kernel's TCP warning (nor anything
    else)."""
    env = {**os.environ, **DEMO_ENV, "PYTHONPATH": os.pathsep.join([str(REPO.root / "src"), os.environ.get(
        "PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "benchmarks.cli", "--root", str(kane.root), "report",
                           "--district", "SD U-46"], check=False, capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith(".html")
    assert "without encryption" not in done.stderr and "WARNING" not in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
