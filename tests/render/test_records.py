"""A render leaves nothing private beside the shared files: the manifest and the executed notebooks are the
analyst's (owner-only, in data/private/), and neither they nor any report holds an absolute path."""

import io
import re
import stat
import zipfile
from pathlib import Path

import duckdb
import nbformat
import pytest

import benchmarks
from benchmarks.config import executed_folder, render_manifest

pytestmark = pytest.mark.slow
YEAR = "2025-26"


def readable_text(path: Path) -> str:
    """What a file holds as text: an XLSX workbook's XML parts unzipped, anything else decoded."""
    data = path.read_bytes()
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "\n".join(z.read(name).decode("utf-8", "replace") for name in z.namelist())
    return data.decode("utf-8", "replace")


def district_ids(p) -> set[str]:
    con = duckdb.connect(str(p.crosswalk), read_only=True)
    try:
        return {r[0] for r in con.execute("SELECT DISTINCT district_id FROM crosswalk").fetchall()}
    finally:
        con.close()


def places(p) -> list[str]:
    """The project folder as a path may spell it (as given and resolved)."""
    return sorted({str(p.root), str(p.root.resolve())})


def test_reports_hold_no_manifest_no_executed_notebook_no_path_and_no_id(county_pages, demo_project):
    out = demo_project.reports / YEAR
    assert county_pages.ok and len(county_pages.pages) == 12  # 9 districts, board, data quality, round-table
    files = [f for f in demo_project.reports.rglob("*") if f.is_file()]
    assert not [f for f in files if f.suffix in (".json", ".ipynb")], "a manifest or a record beside the reports"
    assert not (out / "executed").exists() and not (out / "manifest.json").exists()
    ids = district_ids(demo_project)
    assert len(ids) == 860
    id_pattern = re.compile(r"(?<![0-9.])(" + "|".join(sorted(ids)) + r")(?![0-9])")
    for f in files:
        text = readable_text(f)
        for place in places(demo_project):
            assert place not in text, f"{f.name} names the project folder"
        found = id_pattern.search(text)
        assert found is None, f"{f.name} holds district ID {found and found.group(0)}"


def test_executed_notebooks_are_the_analysts_and_hold_no_absolute_path(county_pages, demo_project):
    out = demo_project.reports / YEAR
    records = executed_folder(demo_project, out)
    assert records == demo_project.private / "executed" / YEAR
    kept = sorted(records.glob("*.ipynb"))
    # the county's reports, and any a test asked for on request (a custom report, an initiative check)
    assert {r.stem for r in kept} >= {page.stem for page in county_pages.pages}
    assert {r.stem for r in kept} <= {page.stem for page in (demo_project.reports / YEAR).glob("*.html")}
    library = str(Path(benchmarks.__file__).resolve().parent.parent)
    for folder in (records, records.parent, demo_project.private):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    for record in kept:
        assert stat.S_IMODE(record.stat().st_mode) == 0o600, record.name
        text = record.read_text(encoding="utf-8")
        for place in places(demo_project) + [library]:
            assert place not in text, f"{record.name} names {place}"
        nb = nbformat.read(record, as_version=4)  # still a notebook the analyst opens in JupyterLab
        meta = nb.metadata.papermill
        assert meta.parameters["warehouse"] == "data/processed/warehouse.duckdb"
        assert meta.input_path.startswith("notebooks/") and meta.output_path == str(record.relative_to(demo_project.root))
    manifest = render_manifest(demo_project, out)
    assert manifest == demo_project.private / f"render_manifest_{YEAR}.json"
    assert stat.S_IMODE(manifest.stat().st_mode) == 0o600


def test_a_report_rendered_on_request_keeps_a_record_without_absolute_paths_even_when_it_fails(project, tmp_path):
    """render_on_request, as the on-request commands call it with the warehouse's absolute path: the notebook gets
    it relative to the project home, the record of a failed run (a traceback through the library) names no folder
    above the project or the library, and the error names the failing cell and where that record is."""
    from conftest import csv_text, row
    from benchmarks.config import executed_record, failed_record
    from benchmarks.pipeline.faults import plain_fault
    from benchmarks.pipeline.ingest import ingest_files
    from benchmarks.privacy.keys import DEMO_KEY
    from benchmarks.render.on_request import render_on_request
    from benchmarks.render.tasks import ReportFailed

    src = tmp_path / "a.csv"
    src.write_text(csv_text([row(n=i) for i in range(1, 8)]))
    ingest_files([src], project, DEMO_KEY)
    out = project.reports / YEAR
    parameters = {"warehouse": str(project.warehouse), "school_year": YEAR}
    page = render_on_request("quality", project, out, f"data_quality_{YEAR}", parameters, "Data quality")
    with pytest.raises(ReportFailed) as failure:
        render_on_request("district", project, out, "district_Dnobody", {**parameters, "district": "Dnobody"}, "x")
    records = executed_folder(project, out)
    good = executed_record(records, f"data_quality_{YEAR}")
    failed = failed_record(executed_record(records, "district_Dnobody"))
    assert page.exists() and good.exists() and failed.exists() and not (out / "executed").exists()
    library = str(Path(benchmarks.__file__).resolve().parent.parent)
    for record in (good, failed):
        assert stat.S_IMODE(record.stat().st_mode) == 0o600
        text = record.read_text(encoding="utf-8")
        for place in places(project) + [library, str(Path.home())]:
            assert place not in text, f"{record.name} names {place}"
        nb = nbformat.read(record, as_version=4)
        assert nb.metadata.papermill.parameters["warehouse"] == "data/processed/warehouse.duckdb"
    assert "LookupError" in failed.read_text(encoding="utf-8")
    told = plain_fault(failure.value)  # the command says this one sentence, no traceback
    assert re.fullmatch(rf"the report failed: cell In \[\d+\]: LookupError: .*Dnobody.*; the run, with its traceback, "
                        rf"is kept in data/private/executed/{YEAR}/district_Dnobody\.failed\.ipynb", told), told
