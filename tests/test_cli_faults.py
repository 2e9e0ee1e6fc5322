"""Faults and conflicts through the commands, as an analyst meets them: one district-year in two files of a run, a
resubmission that moves a district, a warehouse another command holds, a damaged warehouse, a folder that cannot be
written, a year that is no school year, a target year far ahead, a missing or wrong key. Each ends in one plain line
and a non-zero exit status, never a traceback; nothing is lost and nothing is written outside the project."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import REPO, csv_text, make_project, row, run_cli

from benchmarks.config import key_file
from benchmarks.privacy.keys import DEMO_KEY, key_fingerprint, pseudonym
from benchmarks.warehouse.store import LOCK_WAIT_ENV, in_use_note

KEY = DEMO_KEY.decode()
ENV = {"BENCHMARKS_KEY": KEY, LOCK_WAIT_ENV: "0.5"}
YEAR = "2025-26"
TABLES = ["district_metrics", "peer_stats", "group_stats", "goal_gaps", "group_goals", "purchasing", "submissions",
          "raw_files", "quarantine", "problems", "meta"]
PYTHON_PATH = str(REPO.root / "src")


def _id(n: int) -> str:
    return f"99{n:05d}"



def run(root: Path, *args, env: dict | None = None) -> tuple[int, str]:
    """run_cli with this module's key and a short wait for a warehouse in use."""
    return run_cli(root, *args, env={**ENV, **(env or {})})


def refused(root: Path, *args, env: dict | None = None) -> str:
    """The one line a refused command prints (exit status 1)."""
    code, out = run(root, *args, env=env)
    assert code == 1, out
    lines = out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), out
    return lines[0]


def tables(warehouse: Path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {t: con.execute(f"SELECT * FROM {t}").df() for t in TABLES}


def assert_same_tables(before: dict[str, pd.DataFrame], after: dict[str, pd.DataFrame], ignore=()) -> None:
    for name, old in before.items():
        new = after[name]
        keep = [c for c in old.columns if c not in ignore]
        key = [c for c in keep if old[c].dtype == object or "int" in str(old[c].dtype)]
        old = old[keep].sort_values(key).reset_index(drop=True)
        new = new[keep].sort_values(key).reset_index(drop=True)
        pd.testing.assert_frame_equal(old, new, obj=name)


def listing(folder: Path) -> set[str]:
    """Every path below a folder: what a command wrote, compared before and after."""
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def county_rows(year: str, **changes_of) -> list[dict]:
    """Twelve districts of Test County and Other County; changes_of[n] changes district n's cells."""
    return [row(n=n, school_year=year, county="Test County" if n <= 6 else "Other County",
                enrollment=str(1000 + 53 * n), student_devices=str(1000 + 47 * n), **changes_of.get(n, {}))
            for n in range(1, 13)]


@pytest.fixture
def small(tmp_path):
    """A project with two school years ingested, and the folder around it (to see nothing lands there)."""
    p = make_project(tmp_path / "project")
    for year in ("2024-25", YEAR):
        (p.root / f"s_{year}.csv").write_text(csv_text(county_rows(year)))
    code, out = run(p.root, "ingest", p.root / "s_2024-25.csv", p.root / f"s_{YEAR}.csv")
    assert code == 0, out
    return p


# --- 5. conflicts said out loud -----------------------------------------------------------------------------------

def test_one_district_year_in_two_files_of_a_run_is_refused_naming_both(small):
    first, second = small.root / "first.csv", small.root / "second.csv"
    first.write_text(csv_text([row(n=3, enrollment="1500"), row(n=4, enrollment="1600")]))
    second.write_text(csv_text([row(n=3, enrollment="1700")]))
    before, around = tables(small.warehouse), listing(small.root.parent)
    line = refused(small.root, "ingest", first, second)
    assert line == (f"Error: district 9900003 {YEAR} is in both {first} and {second}: nothing was stored; ingest "
                    "the file that should count on its own, after the other (a later submission replaces an "
                    "earlier one)")
    assert_same_tables(before, tables(small.warehouse))
    # only the raw copies are kept (no manifest: not on record, so `rebuild` leaves them out)
    assert {Path(p).parts[:3] for p in listing(small.root.parent) - around} <= {
        ("project", "data", "raw")}
    # one at a time, the later file counts
    assert run(small.root, "ingest", first)[0] == 0
    assert run(small.root, "ingest", second)[0] == 0
    with duckdb.connect(str(small.warehouse), read_only=True) as con:
        assert [con.execute("SELECT enrollment FROM district_metrics WHERE school_year = ? AND pseudonym = ?",
                            [YEAR, pseudonym(DEMO_KEY, _id(n))]).fetchone()[0] for n in (3, 4)] == [1700, 1600]


def test_a_resubmission_that_moves_and_renames_a_district_is_accepted_with_a_warning(small):
    moved = small.root / "moved.csv"
    moved.write_text(csv_text([row(n=2, county="Other County", district_name="Renamed SD", enrollment="1106",
                                   student_devices="1094")]))
    code, out = run(small.root, "ingest", moved)
    assert code == 0, out
    assert out.splitlines() == [
        f"{moved}: 1 rows read = 1 accepted + 0 quarantined",
        (f"{moved}: warning: district 9900002 {YEAR} changes its county from 'Test County' to 'Other County', "
         f"name from 'District 2' to 'Renamed SD' (before: {YEAR}, s_{YEAR}.csv); accepted, check it is the same "
         "district")]
    code, out = run(small.root, "history", _id(2))
    assert code == 0
    lines = out.splitlines()
    assert "changes" in lines[0] and len(lines) == 4
    assert lines[1].split()[-3:] == ["s_2024-25.csv", "3", "current"]  # rows as Excel numbers them
    assert lines[2].split()[-3:] == [f"s_{YEAR}.csv", "3", "replaced"]
    assert lines[3].endswith("current county from 'Test County' to 'Other County', name from 'District 2' to "
                             "'Renamed SD'")
    # the report compares each year with that year's own county, and says so
    from benchmarks.reports.district.data import load_district_report
    from benchmarks.reports.district.trends import county_moves, trend_lines

    report = load_district_report(small.warehouse, pseudonym(DEMO_KEY, _id(2)), YEAR)
    assert county_moves(report) == ("Your district is on record in more than one county (Test County, PS in "
                                    "2024-25; Other County, PS in 2025-26): each year's county median is that "
                                    "year's own county's.")
    labels = report.history[report.history["group_kind"] == "county"].groupby("school_year")["group_label"].unique()
    assert {y: list(v) for y, v in labels.items()} == {"2024-25": ["Test County, PS"], YEAR: ["Other County, PS"]}
    lines = trend_lines(report)
    assert set(lines.loc[lines["series"] == "reference", "group_kind"]) == {"county"}


def test_an_unchanged_resubmission_warns_about_nothing(small):
    again = small.root / "again.csv"
    again.write_text(csv_text([row(n=2, county="TEST  COUNTY", enrollment="1200")]))  # the same county, in capitals
    code, out = run(small.root, "ingest", again)
    assert code == 0 and "warning" not in out, out


# --- 6. faults end in one sentence -------------------------------------------------------------------------------

def _hold(warehouse: Path, as_benchmarks: bool, seconds: float = 30):
    """Another process holding the warehouse open for writing, until it is killed; returns once it holds it."""
    if as_benchmarks:
        code = ("import sys, time\nfrom benchmarks.warehouse.store import connect, opened_by\n"
                "opened_by('benchmarks ingest')\nwith connect(sys.argv[1]):\n    print('held', flush=True)\n"
                f"    time.sleep({seconds})\n")
    else:
        code = (f"import sys, time, duckdb\ncon = duckdb.connect(sys.argv[1])\nprint('held', flush=True)\n"
                f"time.sleep({seconds})\n")
    holder = subprocess.Popen([sys.executable, "-c", code, str(warehouse)], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": PYTHON_PATH})
    assert holder.stdout.readline().strip() == "held"
    return holder


@pytest.mark.parametrize("command", [("report", "--district", _id(1)), ("ingest", "NEW"), ("history", _id(1)),
                                     ("render", "--workers", "1")], ids=lambda c: c[0])
def test_a_warehouse_in_use_names_the_command_holding_it(small, command):
    new = small.root / "new.csv"
    new.write_text(csv_text([row(n=5, enrollment="1999")]))
    args = [new if a == "NEW" else a for a in command]
    before = tables(small.warehouse)
    holder = _hold(small.warehouse, as_benchmarks=True)
    try:
        started = time.monotonic()
        line = refused(small.root, *args)
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert line == (f"Error: the warehouse {small.warehouse} is in use by `benchmarks ingest` (pid {holder.pid}, "
                    f"since {line.split('since ')[1][:5]}), still after waiting 0.5 seconds: let it finish, then run "
                    "this again")
    assert waited >= 0.5
    in_use_note(small.warehouse).unlink(missing_ok=True)  # the killed holder could not remove its note
    assert_same_tables(before, tables(small.warehouse))


def test_a_warehouse_held_by_another_program_names_its_pid(small):
    holder = _hold(small.warehouse, as_benchmarks=False)
    try:
        line = refused(small.root, "history", _id(1))
    finally:
        holder.kill()
        holder.wait()
    assert line == (f"Error: the warehouse {small.warehouse} is in use by another program "
                    f"({Path(sys.executable).resolve().name}, pid {holder.pid}), still after waiting 0.5 seconds: "
                    "let it finish, then run this again")


def test_a_command_waits_for_a_warehouse_released_within_the_wait(small):
    holder = _hold(small.warehouse, as_benchmarks=True, seconds=1)
    try:
        code, out = run(small.root, "history", _id(1), env={LOCK_WAIT_ENV: "20"})
    finally:
        holder.wait()
    assert code == 0 and out.splitlines()[1].split()[-1] == "current", out
    assert not in_use_note(small.warehouse).exists()  # the holder removed its note when it closed


@pytest.mark.parametrize("damage", ["truncated", "empty"])
@pytest.mark.parametrize("command", [("render", "--workers", "1"), ("report", "--district", _id(1)),
                                     ("history", _id(1)), ("ingest", "NEW"), ("export",)], ids=lambda c: c[0])
def test_a_damaged_warehouse_says_to_rebuild(small, damage, command):
    new = small.root / "new.csv"
    new.write_text(csv_text([row(n=5, enrollment="1999")]))
    data = small.warehouse.read_bytes()
    small.warehouse.write_bytes(data[: len(data) // 3] if damage == "truncated" else b"")
    broken = small.warehouse.read_bytes()
    line = refused(small.root, *[new if a == "NEW" else a for a in command])
    assert line.startswith(f"Error: the warehouse {small.warehouse} is damaged: " if damage == "empty"
                           else "Error: the warehouse ")
    assert line.endswith("run `benchmarks rebuild` to recreate it from the raw files kept in data/raw/")
    assert small.warehouse.read_bytes() == broken  # left as it was, for the rebuild to replace
    assert not [f for f in small.reports.rglob("*") if f.is_file()]  # no page from a damaged warehouse


def test_rebuild_recreates_a_truncated_warehouse_from_the_raw_files(small):
    moved = small.root / "moved.csv"
    moved.write_text(csv_text([row(n=2, county="Other County", enrollment="1106")]))
    assert run(small.root, "ingest", moved)[0] == 0
    before = tables(small.warehouse)
    data = small.warehouse.read_bytes()
    small.warehouse.write_bytes(data[: len(data) // 2])
    code, out = run(small.root, "rebuild")
    assert code == 0, out
    kept = next(small.processed.glob("warehouse.duckdb.before-rebuild-*"))
    assert out.splitlines() == [
        f"rebuilt {small.warehouse} from 3 raw files in data/raw/ (3 submissions, 0 public files), min_peers 5",
        f"the warehouse it replaces is kept as {kept}"]
    assert kept.read_bytes() == data[: len(data) // 2]
    assert_same_tables(before, tables(small.warehouse), ignore=("received_seq",))
    assert run(small.root, "history", _id(2))[1].splitlines()[-1].endswith(
        "current county from 'Test County' to 'Other County'")


def test_rebuild_on_the_demo_gives_the_warehouse_of_the_original_ingest(demo_project, tmp_path):
    copy = make_project(tmp_path / "copy")
    shutil.copytree(demo_project.raw, copy.raw)
    shutil.copytree(demo_project.private, copy.private)
    code, out = run(copy.root, "rebuild")
    assert code == 0, out
    assert out.splitlines() == [(f"rebuilt {copy.warehouse} from 3 raw files in data/raw/ (3 submissions, 0 "
                                 "public files), min_peers 5")]
    assert_same_tables(tables(demo_project.warehouse), tables(copy.warehouse), ignore=("received_seq",))


def test_rebuild_without_raw_files_says_so(tmp_path):
    empty = make_project(tmp_path / "empty")
    assert refused(empty.root, "rebuild") == (f"Error: no raw file with a record of its ingest in {empty.raw}: "
                                              "nothing to rebuild from; run `benchmarks ingest FILE...`")


def _as_nobody(p, *args) -> subprocess.CompletedProcess:
    """A command run as an ordinary user (root writes into read-only folders): the project handed to nobody."""
    subprocess.run(["chown", "-R", "65534:65534", str(p.root)], check=True)
    mpl = Path(tempfile.mkdtemp(dir=p.root.parent))
    mpl.chmod(0o777)
    return subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c",
                           "from benchmarks.cli import main; main()", "--root", str(p.root), *map(str, args)],
                          capture_output=True, text=True, check=False,
                          env={"PATH": os.environ["PATH"], "PYTHONPATH": PYTHON_PATH, "HOME": str(mpl),
                               "MPLCONFIGDIR": str(mpl), **ENV})


@pytest.fixture
def open_project():
    """A project under a folder any user may enter (pytest's own tmp folder is the owner's alone)."""
    base = Path(tempfile.mkdtemp(prefix="benchmarks-ro-", dir="/tmp"))
    base.chmod(0o755)
    yield base
    subprocess.run(["chmod", "-R", "u+w", str(base)], check=False)
    shutil.rmtree(base, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() == 0 and not shutil.which("setpriv"), reason="root ignores read-only folders")
@pytest.mark.parametrize("command", [("render", "--workers", "1"), ("report", "--district", _id(1)), ("export",)],
                         ids=lambda c: c[0])
def test_a_read_only_reports_folder_is_one_line(open_project, command):
    p = make_project(open_project / "project")
    (p.root / "s.csv").write_text(csv_text(county_rows(YEAR)))
    assert run(p.root, "ingest", p.root / "s.csv")[0] == 0
    (p.reports / YEAR).mkdir(parents=True)
    (p.reports / YEAR).chmod(0o555)
    before = listing(p.root)
    if os.geteuid() == 0:
        done = _as_nobody(p, *command)
        code, out = done.returncode, done.stdout + done.stderr
    else:
        code, out = run(p.root, *command)
    assert code == 1 and "Traceback" not in out, out
    assert out.strip() == (f"Error: cannot write {p.reports / YEAR}: permission denied (a read-only folder, or not "
                           "yours): make it writable and run this again")
    assert listing(p.root) == before


def test_a_full_disk_is_one_line(small, monkeypatch):
    from benchmarks.pipeline import faults

    def full(*args, dir=None, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(Path(dir) / ".write-check-x.tmp"))

    monkeypatch.setattr(faults.tempfile, "mkstemp", full)
    assert refused(small.root, "render") == (f"Error: cannot write {small.reports / YEAR}: the disk is full: free "
                                             "some space and run this again")


@pytest.mark.parametrize("command", [("render",), ("export",), ("audit",), ("report", "--district", _id(1)),
                                     ("initiative", "--district", _id(1), "--plan", "devices_per_student=1")],
                         ids=lambda c: c[0])
@pytest.mark.parametrize("year", ["../../x", "2025-26/../../x", "/tmp/x", "next"])
def test_a_year_that_is_no_school_year_is_refused_before_anything_runs(small, command, year):
    around = listing(small.root.parent)
    assert refused(small.root, *command, "--year", year) == (f"Error: --year {year!r} is not a school year: give it "
                                                             "as 2025-26, 2025-2026 or 2025")
    assert listing(small.root.parent) == around


def test_an_unknown_year_names_the_years_on_record(small):
    around = listing(small.root.parent)
    assert refused(small.root, "render", "--year", "2031-32") == (
        "Error: the warehouse holds no submissions for 2031-32; years on record: 2024-25, 2025-26")
    assert listing(small.root.parent) == around


@pytest.mark.parametrize("target, message", [
    ("9999", "target year 9999-00 is more than 10 years after the report's year 2025-26: give one up to 2035-36"),
    ("2036-37", "target year 2036-37 is more than 10 years after the report's year 2025-26: give one up to 2035-36"),
    ("2020", "target year 2020-21 is before the report's year 2025-26"),
    ("../../x", "--target-year '../../x' is not a school year: give it as 2025-26, 2025-2026 or 2025")])
def test_a_target_year_out_of_reach_is_refused(small, target, message):
    around = listing(small.root.parent)
    line = refused(small.root, "initiative", "--district", _id(1), "--plan", "devices_per_student=1",
                   "--target-year", target)
    assert line == f"Error: {message}"
    assert listing(small.root.parent) - around <= {"project/reports", f"project/reports/{YEAR}"}


def test_history_refuses_a_wrong_or_missing_key(small, tmp_path):
    other = "another key, not the demo's one"
    line = refused(small.root, "history", _id(1), env={"BENCHMARKS_KEY": other})
    assert line == (f"Error: {small.warehouse} was built with a different pseudonym key (fingerprint "
                    f"{key_fingerprint(DEMO_KEY)}; the key in use has {key_fingerprint(other.encode())}). Set "
                    "$BENCHMARKS_KEY or $BENCHMARKS_KEY_FILE to the key it was built with, or start a new project "
                    "folder: pseudonyms of two keys cannot be mixed.")
    missing = tmp_path / "no-such-key"
    line = refused(small.root, "history", _id(1), env={"BENCHMARKS_KEY": "", "BENCHMARKS_KEY_FILE": str(missing)})
    assert line == (f"Error: no pseudonym key: $BENCHMARKS_KEY is not set and there is no key file {missing}; set "
                    "$BENCHMARKS_KEY or $BENCHMARKS_KEY_FILE to the key the warehouse was built with")
    assert not missing.exists()  # history creates no key: a new one would match nothing on record


def test_an_empty_xdg_config_home_counts_as_unset(monkeypatch, tmp_path):
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("BENCHMARKS_KEY_FILE", raising=False)
    for unset in ("", "relative/config"):
        monkeypatch.setenv("XDG_CONFIG_HOME", unset)
        assert key_file() == home / ".config" / "district-benchmarks" / "key"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert key_file() == tmp_path / "xdg" / "district-benchmarks" / "key"


def test_ingest_with_an_empty_xdg_config_home_keeps_the_key_outside_the_project(tmp_path, monkeypatch):
    p = make_project(tmp_path / "project")
    home = tmp_path / "home"
    (p.root / "s.csv").write_text(csv_text(county_rows(YEAR)))
    monkeypatch.chdir(p.root)  # an empty XDG_CONFIG_HOME once meant the current folder
    code, out = run(p.root, "ingest", "s.csv", env={"BENCHMARKS_KEY": "", "BENCHMARKS_KEY_FILE": "",
                                                   "XDG_CONFIG_HOME": "", "HOME": str(home)})
    assert code == 0, out
    assert (home / ".config" / "district-benchmarks" / "key").stat().st_mode & 0o777 == 0o600
    assert not [f for f in p.root.rglob("key")]


def test_a_new_key_is_never_made_inside_the_project(small):
    inside = small.root / "secrets" / "key"
    before = tables(small.warehouse)
    line = refused(small.root, "ingest", small.root / f"s_{YEAR}.csv",
                   env={"BENCHMARKS_KEY": "", "BENCHMARKS_KEY_FILE": str(inside)})
    assert line == (f"Error: {inside}: a new pseudonym key would be written inside the project folder {small.root}; "
                    "set $BENCHMARKS_KEY_FILE (or $XDG_CONFIG_HOME) to a place outside it")
    assert not inside.parent.exists()
    assert_same_tables(before, tables(small.warehouse))
