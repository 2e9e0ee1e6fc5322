"""A project folder anywhere: `--root DIR` or $BENCHMARKS_HOME on an empty folder goes the whole road (import, prefill,
ingest, render, report, template) with the package's own notebooks, and every file lands in that folder."""

import json

import pytest
from click.testing import CliRunner
from conftest import REAL_DATA, REPO

from benchmarks.cli import main
from benchmarks.config import PACKAGE_NOTEBOOKS, Paths, paths, prefilled_folder, project_root
from benchmarks.reports.kinds import REPORT_KINDS

ENV = {"BENCHMARKS_KEY": "project-folder-key-0123456789"}
DEMO_FILE = REPO.demo / "submissions_2025-26.csv"
#: A demo county of one district: three reports (board summary, data quality, the district's), rendered quickly.
COUNTY = "Marlmere County"
REAL_IL = REAL_DATA / "esh_districts_fy2015_IL.csv"


def invoke(*args, **env):
    """The command as a user runs it; an ordinary run never ends in a traceback."""
    result = CliRunner().invoke(main, [str(a) for a in args], env={**ENV, **env})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def test_a_folder_uses_the_package_notebooks_unless_it_has_its_own(tmp_path, monkeypatch):
    p = Paths(tmp_path)
    for kind in REPORT_KINDS.values():
        assert p.notebook(kind.notebook) == PACKAGE_NOTEBOOKS / kind.notebook and p.notebook(kind.notebook).is_file()
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "district_report.ipynb").write_text("{}")
    assert p.notebook("district_report.ipynb") == tmp_path / "notebooks" / "district_report.ipynb"
    assert p.notebook("board_summary.ipynb") == PACKAGE_NOTEBOOKS / "board_summary.ipynb"
    # one home: --root, else $BENCHMARKS_HOME, else the checkout this package runs from
    monkeypatch.setenv("BENCHMARKS_HOME", str(tmp_path / "home"))
    assert paths().root == (tmp_path / "home").resolve() and paths(tmp_path).root == tmp_path.resolve()
    monkeypatch.delenv("BENCHMARKS_HOME")
    assert (project_root() / "pyproject.toml").exists() and (project_root() / "src" / "benchmarks").is_dir()


def _pages(root, year="2025-26"):
    folder = root / "reports" / year
    return folder, sorted(f.name for f in folder.glob("*.html"))


@pytest.mark.slow
def test_root_on_an_empty_folder_ingests_renders_reports_and_writes_the_template(tmp_path):
    root = tmp_path / "chapter"
    root.mkdir()
    assert invoke("--root", root, "ingest", DEMO_FILE).exit_code == 0
    rendered = invoke("--root", root, "render", "--county", COUNTY)
    assert rendered.exit_code == 0, rendered.output
    folder, pages = _pages(root)
    assert rendered.output.splitlines()[-1] == str(folder / "index.html")
    assert pages[:2] == ["board_summary_2025-26.html", "data_quality_2025-26.html"] and len(pages) == 4
    district = next(n for n in pages if n.startswith("district_"))
    assert "<html" in (folder / district).read_text()
    # the package's notebooks ran, recorded without a path outside the folder; nothing copied into it
    assert not (root / "notebooks").exists()
    record = json.loads((root / "data" / "private" / "executed" / "2025-26" / "board_summary_2025-26.ipynb").read_text())
    assert record["metadata"]["papermill"]["input_path"] == "<library>/benchmarks/notebooks/board_summary.ipynb"
    district_id = next(line.split(",")[1] for line in DEMO_FILE.read_text().splitlines()[1:] if f",{COUNTY}," in line)
    report = invoke("--root", root, "report", "--district", district_id)
    assert report.exit_code == 0 and report.output.strip() == str(folder / district)
    template = invoke("--root", root, "template")
    assert template.output.split() == [str(root / "data" / "template" / n) for n in
                                       ("data_dictionary.csv", "submission_template.csv", "submission_template.xlsx")]


@pytest.mark.slow
def test_benchmarks_home_is_the_project_folder_when_no_root_is_given(tmp_path):
    home = tmp_path / "home"
    assert invoke("ingest", DEMO_FILE, BENCHMARKS_HOME=str(home)).exit_code == 0
    rendered = invoke("render", "--county", COUNTY, BENCHMARKS_HOME=str(home))
    assert rendered.exit_code == 0, rendered.output
    folder, pages = _pages(home)
    assert len(pages) == 4 and rendered.output.splitlines()[-1] == str(folder / "index.html")
    assert (home / "data" / "processed" / "warehouse.duckdb").exists()


def test_an_empty_folder_says_what_to_run_first(tmp_path):
    for command, words in ((["render"], "run `benchmarks ingest FILE...` first"),
                           (["template", "--prefill"], "run `benchmarks import-bandwidth FILE` first")):
        result = invoke("--root", tmp_path / "empty", *command)
        assert result.exit_code == 1 and result.output.startswith("Error: ") and words in result.output


@pytest.mark.slow
@pytest.mark.skipif(not REAL_IL.exists(), reason=f"real public data not present at {REAL_IL}")
def test_real_public_file_in_an_empty_folder_to_pages_and_prefilled_templates_back(tmp_path):
    root = tmp_path / "illinois"
    imported = invoke("--root", root, "import-bandwidth", REAL_IL)
    assert imported.exit_code == 0 and "860 rows read = 860 imported" in imported.output
    public_only = invoke("--root", root, "render", "--county", "Brown County")  # BROWN COUNTY: one district
    assert public_only.exit_code == 0, public_only.output
    assert len(_pages(root, "2015-16")[1]) == 4
    prefilled = invoke("--root", root, "template", "--prefill", "--state", "IL")
    assert prefilled.exit_code == 0
    files = prefilled.output.splitlines()[1:]
    folder = prefilled_folder(Paths(root), "2015-16")
    assert files == [str(folder / f"submission_template_2015-16_IL.{s}") for s in ("xlsx", "csv")]
    checked = invoke("--root", root, "validate", *files)
    assert checked.exit_code == 0 and checked.output.count("860 rows read = 860 accepted + 0 quarantined") == 2
    # returned unchanged, the rows go in as the districts' own (partial: bandwidth and cost only) and render
    ingested = invoke("--root", root, "ingest", files[0])
    assert ingested.exit_code == 0 and "860 rows read = 860 accepted + 0 quarantined" in ingested.output
    rendered = invoke("--root", root, "render", "--county", "Brown County")
    assert rendered.exit_code == 0 and "0 failed" in rendered.output, rendered.output
    assert not (root / "notebooks").exists()
