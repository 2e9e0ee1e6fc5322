"""Batch rendering through the public command: failures isolated, re-runs incremental, Ctrl-C clean."""

import hashlib
import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import nbformat
import pytest
from click.testing import CliRunner
from conftest import make_project

from benchmarks.cli import main
from benchmarks.config import Paths, executed_folder, render_manifest
from benchmarks.files import private_folder
from benchmarks.privacy import crosswalk
from benchmarks.render.batch import render_batch
from benchmarks.render.delivery import select_districts
from benchmarks.reports.kinds import REPORT_KINDS

pytestmark = pytest.mark.slow
COUNTY = "Kestrel County"
YEAR = "2025-26"
#: The reports of the whole year (board summary, data quality, ...) that every batch renders besides districts.
#: A county's batch renders its round-table page too (its members meet over it beside their own reports), so
#: Kestrel's batch counts one page per county kind as well.
YEAR_WIDE = sorted([f"{k.stem or k.name}_{YEAR}" for k in REPORT_KINDS.values() if k.scope == "year"]
                   + [f"{k.stem or k.name}_kestrel-county" for k in REPORT_KINDS.values() if k.scope == "county"])


def copy_project(demo_project, root) -> Paths:
    """A project of its own with the session's ingested demo warehouse, so a test may change it."""
    p = make_project(root)
    p.processed.mkdir(parents=True)
    shutil.copy(demo_project.warehouse, p.warehouse)
    p.private.mkdir(parents=True)
    shutil.copy(demo_project.crosswalk, p.crosswalk)
    return p


def rendered_copy(demo_project, county_pages, root) -> Paths:
    """A project of its own as the session's `render --county "Kestrel County"` left it (conftest.county_pages):
    its pages, index and board tables, its render manifest and executed notebooks, moved to another folder (the
    fingerprints name no path). Whatever other tests added to the session's reports folder is left behind."""
    p = copy_project(demo_project, root)
    here, out = demo_project.reports / YEAR, p.reports / YEAR
    out.mkdir(parents=True)
    for f in {*county_pages.pages, county_pages.index, *here.glob(f"board_summary_{YEAR}.*")}:
        shutil.copy2(f, out / f.name)
    records = private_folder(executed_folder(p, out))
    for task in county_pages.tasks:
        shutil.copy2(task.record, records / task.record.name)
    manifest = json.loads(render_manifest(demo_project, here).read_text())
    manifest["reports"] = {t.stem: manifest["reports"][t.stem] for t in county_pages.tasks}
    render_manifest(p, out).write_text(json.dumps(manifest))
    return p


def county_districts(p: Paths) -> list[tuple[str, str]]:
    chosen = select_districts(p, YEAR, COUNTY).sort_values("pseudonym")
    return list(zip(chosen["pseudonym"], chosen["district_name"]))


def fail_for(p: Paths, district: str) -> None:
    """Make the district notebook raise in one cell, for one district only."""
    path = p.notebooks / "district_report.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(3, nbformat.v4.new_code_cell(
        f"if district == {district!r}:\n    raise ValueError('test failure for ' + district)"))
    nbformat.write(nb, path)


def leftovers(folder) -> list:
    return [p for p in folder.rglob(".*") if p.is_file()]


def test_a_failing_district_leaves_the_others_rendered_and_is_listed(demo_project, county_pages, tmp_path):
    p = rendered_copy(demo_project, county_pages, tmp_path / "p")  # the county rendered once, all of it
    districts = county_districts(p)
    bad, bad_name = districts[3]
    out = p.reports / YEAR
    assert county_pages.ok and (out / f"district_{bad}.html").exists()

    fail_for(p, bad)
    result = CliRunner().invoke(main, ["--root", str(p.root), "render", "--year", YEAR, "--county", COUNTY,
                                       "--workers", "2"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[-1] == str(out / "index.html")
    failed = [line for line in lines if line.startswith("FAILED")]
    assert failed == [f"FAILED {bad_name} (district_{bad}): cell In [4]: ValueError: test failure for {bad}"]
    # the other nine and the board summary are there, the failed one's old page is gone, nothing half-written
    for pseudonym, _ in districts:
        assert (out / f"district_{pseudonym}.html").exists() == (pseudonym != bad)
    assert all((out / f"{stem}.html").exists() for stem in YEAR_WIDE)
    failed_record = executed_folder(p, out) / f"district_{bad}.failed.ipynb"
    assert failed_record.exists() and not (out / "executed").exists()
    # the analyst's record of the failure: its traceback names no folder above the project or the library
    import benchmarks
    text = failed_record.read_text()
    assert "ValueError" in text and str(p.root) not in text and str(p.root.resolve()) not in text
    assert str(Path(benchmarks.__file__).resolve().parent.parent) not in text
    assert not leftovers(out) and not leftovers(executed_folder(p, out))
    index = (out / "index.html").read_text()
    # the index (a district may receive it) counts the failure without naming the district in any way
    assert "Reports that failed (1)" in index and "1 district report:" in index.replace("</strong>", "")
    assert bad not in index and bad_name not in index and html.escape(bad_name) not in index
    assert "test failure" not in index and "cell In [4]" not in index
    manifest = json.loads(render_manifest(p, out).read_text())["reports"]
    assert manifest[f"district_{bad}"]["ok"] is False and manifest[f"district_{bad}"]["cell"] == 4

    # only the failed report is tried again; once the notebook is fixed, all district reports redo (it changed)
    again = render_batch(p, YEAR, county=COUNTY, workers=2, progress=False)
    assert [o.stem for o in again.rendered] == [f"district_{bad}"] and not again.ok
    shutil.copy(demo_project.notebooks / "district_report.ipynb", p.notebooks / "district_report.ipynb")
    fixed = render_batch(p, YEAR, county=COUNTY, workers=2, progress=False)
    assert fixed.ok and len(fixed.rendered) == len(districts) and "Reports that failed" not in fixed.index.read_text()


def test_reruns_render_only_reports_whose_inputs_changed(demo_project, county_pages, tmp_path):
    p = rendered_copy(demo_project, county_pages, tmp_path / "p")  # the first run, moved to a folder of its own
    districts = county_districts(p)
    assert county_pages.ok and len(county_pages.rendered) == len(districts) + len(YEAR_WIDE)
    pages = {path: path.stat().st_mtime_ns for path in (p.reports / YEAR).glob("*.html") if path.name != "index.html"}
    assert sorted(path.name for path in pages) == sorted(path.name for path in county_pages.pages)

    unchanged = render_batch(p, YEAR, county=COUNTY, workers=2, progress=False)
    assert unchanged.rendered == [] and unchanged.unchanged == len(districts) + len(YEAR_WIDE) and unchanged.where == ""
    assert {path: path.stat().st_mtime_ns for path in unchanged.pages} == pages

    # a reports folder of an earlier version, with its manifest and executed notebooks beside the reports: they
    # move to data/private/ and nothing is rendered again for it
    out = p.reports / YEAR
    render_manifest(p, out).replace(out / "manifest.json")
    executed_folder(p, out).replace(out / "executed")
    moved = render_batch(p, YEAR, county=COUNTY, workers=2, progress=False)
    assert moved.rendered == [] and not (out / "manifest.json").exists() and not (out / "executed").exists()
    assert render_manifest(p, out).exists() and len(list(executed_folder(p, out).glob("*.ipynb"))) == len(pages)

    # one district's name is corrected in the private crosswalk: only its own report changes (the year-wide
    # reports name no district)
    renamed, _ = districts[5]
    with crosswalk.connect(p.crosswalk) as con:
        con.execute("UPDATE crosswalk SET district_name = 'Renamed School District' WHERE pseudonym = ?", [renamed])
    third = render_batch(p, YEAR, county=COUNTY, workers=2, progress=False)
    assert [o.stem for o in third.rendered] == [f"district_{renamed}"]
    assert "Renamed School District" in (p.reports / YEAR / f"district_{renamed}.html").read_text()
    assert "Renamed School District" not in third.index.read_text()  # the index names no district

    # a deleted page is rendered again; --force renders everything
    (p.reports / YEAR / f"district_{districts[0][0]}.html").unlink()
    assert [o.stem for o in render_batch(p, YEAR, county=COUNTY, progress=False).rendered] == \
        [f"district_{districts[0][0]}"]
    forced = render_batch(p, YEAR, county=COUNTY, force=True, workers=2, progress=False)
    assert len(forced.rendered) == len(districts) + len(YEAR_WIDE)


def test_index_lists_every_current_report_of_the_year(demo_project, county_pages, tmp_path):
    p = rendered_copy(demo_project, county_pages, tmp_path / "p")
    districts = county_districts(p)
    # an earlier run left two district reports and the year's reports current (the others' pages are gone)
    for d, _ in districts[2:]:
        (p.reports / YEAR / f"district_{d}.html").unlink()
    result = render_batch(p, YEAR, districts=[districts[2][0]], kinds=["district"], workers=1, progress=False)
    index = result.index.read_text()
    # the three current district reports are counted, never linked or named (a district may receive this page)
    for d, name in districts[:3]:
        assert (p.reports / YEAR / f"district_{d}.html").exists()
        assert f"district_{d}" not in index and name.replace("&", "&amp;") not in index
    assert "3 district reports are up to date" in index
    assert ("1 county with fewer than 5 reports</th><td class='num' data-metric='districts' data-group='pooled' "
            "data-stat='count' data-members='all' data-year='2025-26'>3</td>") in index
    assert f"href='board_summary_{YEAR}.html'" in index
    con = duckdb.connect(str(p.warehouse), read_only=True)
    n = con.execute("SELECT count(*) FROM district_metrics WHERE school_year = ?", [YEAR]).fetchone()[0]
    # and the round-table pages of every county with at least min_peers + 1 districts but Kestrel's (rendered)
    meets = con.execute("SELECT count(*) FROM (SELECT county FROM district_metrics WHERE school_year = ? "
                        "GROUP BY county HAVING count(*) >= 6)", [YEAR]).fetchone()[0]
    con.close()
    # which reports are out of date is the analyst's to know: the command says it, the board's index does not
    assert "not rendered yet" not in index
    assert f"{n - 3 + meets - 1} other reports of {YEAR} are not rendered yet or out of date" in result.summary()[-1]
    assert "href='roundtable_kestrel-county.html'" in index
    # what the board sees instead: what is here and from which data
    with duckdb.connect(str(p.warehouse), read_only=True) as con:
        files, last = con.execute("SELECT count(*), max(ingested_at) FROM raw_files").fetchone()
        shas = sorted(r[0] for r in con.execute("SELECT sha256 FROM raw_files").fetchall())
    snapshot = hashlib.sha256(",".join(shas).encode()).hexdigest()[:16]
    assert (f"the board's pages and 3 district reports for the {YEAR} school year. Made from data snapshot "
            f"{snapshot}: {files} submission files, the last received {last:%Y-%m-%d}.") in index


def test_progress_in_a_log_file_is_plain_lines(demo_project, county_pages, tmp_path):
    p = rendered_copy(demo_project, county_pages, tmp_path / "p")
    for pseudonym, _ in county_districts(p)[:2]:  # two reports to render again, one on each worker
        (p.reports / YEAR / f"district_{pseudonym}.html").unlink()
    result = CliRunner().invoke(main, ["--root", str(p.root), "render", "--year", YEAR, "--county", COUNTY])
    assert result.exit_code == 0, result.output
    assert "\r" not in result.output
    total = 2
    assert re.search(rf"reports: {total}/{total} \(100%\) · [\d.]+ reports/s · elapsed \d+s · about 0s left",
                     result.output)
    assert result.output.strip().splitlines()[-1].endswith("index.html")


def test_ctrl_c_stops_cleanly_and_the_next_run_finishes_the_rest(demo_project, tmp_path):
    import psutil

    p = copy_project(demo_project, tmp_path / "p")
    out = p.reports / YEAR
    cmd = [sys.executable, "-m", "benchmarks.cli", "--root", str(p.root), "render", "--year", YEAR,
           "--county", COUNTY, "--workers", "2"]
    proc = subprocess.Popen(cmd, cwd=p.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    while len(list(out.glob("*.html"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    workers = [c.pid for c in psutil.Process(proc.pid).children(recursive=True)]
    assert workers
    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 130, output
    assert "Interrupted:" in output
    for pid in workers:  # the warm workers and the reports they were rendering are gone
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert not leftovers(out)
    done = json.loads(render_manifest(p, out).read_text())["reports"]
    total = len(county_districts(p)) + len(YEAR_WIDE)
    assert 1 <= len(done) < total and all(entry["ok"] for entry in done.values())
    for page in out.glob("*.html"):  # whole pages only (some may have finished after the last acknowledged one)
        assert page.read_text().rstrip().endswith("</html>")

    rest = render_batch(p, YEAR, county=COUNTY, workers=2, progress=False)
    assert rest.ok and rest.unchanged == len(done)
    assert {o.stem for o in rest.rendered}.isdisjoint(done) and len(rest.rendered) + len(done) == total


@pytest.mark.skipif(os.cpu_count() is None, reason="needs to know the core count")
def test_demo_prints_the_index_last(demo_project, tmp_path):
    p = make_project(tmp_path / "demo")
    result = CliRunner().invoke(main, ["--root", str(p.root), "demo", "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == str(p.reports / YEAR / "index.html")
    again = CliRunner().invoke(main, ["--root", str(p.root), "demo"])
    assert again.exit_code == 0 and "Nothing to render" in again.output


def test_any_registered_kind_is_rendered_and_indexed(demo_project, tmp_path, monkeypatch):
    from benchmarks.reports import kinds

    p = copy_project(demo_project, tmp_path / "p")
    params = "warehouse = ''\nschool_year = ''\ndistrict = ''"
    for name, body in (("quality", "import duckdb\nn = duckdb.connect(warehouse, read_only=True).execute("
                                   "'SELECT count(*) FROM quarantine').fetchone()[0]\nprint(f'{n} rows in quarantine')"),
                       ("what_if", "print('what-if for', district)")):
        nb = nbformat.read(p.notebooks / "district_report.ipynb", as_version=4)
        nb.cells = [nbformat.v4.new_code_cell(params, metadata={"tags": ["parameters"]}),
                    nbformat.v4.new_code_cell(body)]
        nbformat.write(nb, p.notebooks / f"{name}.ipynb")
    monkeypatch.setitem(kinds.REPORT_KINDS, "quality", kinds.ReportKind("quality", "quality.ipynb", "Data quality"))
    monkeypatch.setitem(kinds.REPORT_KINDS, "what_if",
                        kinds.ReportKind("what_if", "what_if.ipynb", "What-if", scope="district"))
    districts = county_districts(p)
    result = render_batch(p, YEAR, county=COUNTY, kinds=["quality", "what_if"], workers=2, progress=False)
    assert result.ok and len(result.rendered) == 1 + len(districts)
    out = p.reports / YEAR
    assert "0 rows in quarantine" in (out / f"quality_{YEAR}.html").read_text()
    d, name = districts[0]
    assert f"what-if for {d}" in (out / f"what_if_{d}.html").read_text()
    index = result.index.read_text()
    assert f"href='quality_{YEAR}.html'>Data quality {YEAR}</a>" in index
    assert f"what_if_{d}" not in index and name.replace("&", "&amp;") not in index
