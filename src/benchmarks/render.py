"""Rendering: run the report notebooks with papermill and export them to self-contained HTML pages."""

from __future__ import annotations

import html
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pandas as pd

from . import crosswalk
from .config import Paths
from .export import board_stem, board_table, write_table
from .ingest import write_atomic
from .store import connect

KERNEL_NAME = "district-benchmarks"
TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class ReportKind:
    """A kind of report: which notebook renders it and what its output file is called."""

    name: str
    notebook: str
    title: str


REPORT_KINDS = {
    "district": ReportKind("district", "district_report.ipynb", "District report"),
    "board": ReportKind("board", "board_summary.ipynb", "Board summary"),
    "initiative": ReportKind("initiative", "initiative_check.ipynb", "Initiative check"),
    "quality": ReportKind("quality", "data_quality.ipynb", "Data quality"),
}


def ensure_kernel() -> str:
    """Install (once) a kernelspec that runs this very interpreter, so papermill never picks another Python."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec_dir = Path(sys.prefix) / "share" / "jupyter" / "kernels" / KERNEL_NAME
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec_file = spec_dir / "kernel.json"
    wanted = {"argv": argv, "display_name": "District benchmarks", "language": "python",
              "metadata": {"debugger": False}}
    if not spec_file.exists() or json.loads(spec_file.read_text()).get("argv") != argv:
        write_atomic(spec_file, json.dumps(wanted, indent=1).encode())
    names = KernelSpecManager().find_kernel_specs()
    if KERNEL_NAME not in names:
        raise RuntimeError(f"kernel {KERNEL_NAME!r} not found after installing it in {spec_dir}")
    return KERNEL_NAME


def execute(notebook: Path, output: Path, parameters: dict, kernel_name: str | None = None) -> nbformat.NotebookNode:
    """Run a notebook with papermill, keeping the executed copy as the record of what was computed."""
    import papermill as pm

    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp.ipynb")
    try:
        nb = pm.execute_notebook(str(notebook), str(tmp), parameters=parameters,
                                 kernel_name=kernel_name or ensure_kernel(), progress_bar=False,
                                 cwd=str(notebook.parent))
        tmp.replace(output)
    finally:
        tmp.unlink(missing_ok=True)
    return nb


def to_html(nb: nbformat.NotebookNode, title: str) -> str:
    """Export an executed notebook with the offline template: code hidden, nothing loaded from the network."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="offline", extra_template_basedirs=[str(TEMPLATES)],
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    nb = nbformat.from_dict(nb)
    nb.metadata["title"] = title
    body, _ = exporter.from_notebook_node(nb)
    return body


def render_one(kind: str, paths: Paths, out_dir: Path, stem: str, parameters: dict, title: str) -> Path:
    """Execute one report notebook and write its HTML page atomically; returns the page's path."""
    spec = REPORT_KINDS[kind]
    executed = execute(paths.notebooks / spec.notebook, out_dir / "executed" / f"{stem}.ipynb", parameters)
    page = out_dir / f"{stem}.html"
    write_atomic(page, to_html(executed, title).encode("utf-8"))
    return page


@dataclass
class RenderResult:
    index: Path
    pages: list[Path]


def select_districts(paths: Paths, school_year: str, county: str | None) -> pd.DataFrame:
    """pseudonym, county, district_id and district_name of the districts to render. Names and IDs come from
    the private crosswalk: they go only into each district's own page title and the analyst's delivery list."""
    with connect(paths.warehouse, read_only=True) as con:
        chosen = con.execute(
            "SELECT d.pseudonym, d.county, s.source_sha256 FROM district_metrics d JOIN current_submissions s "
            "USING (pseudonym, school_year) WHERE d.school_year = ? AND (? IS NULL OR d.county = ?) "
            "ORDER BY d.county, d.pseudonym", [school_year, county, county]).df()
    named = crosswalk.names(paths.crosswalk, chosen) if len(chosen) else chosen.assign(district_id="", district_name="")
    return named.drop(columns="source_sha256").sort_values(["county", "district_name"], ignore_index=True)


def latest_year(paths: Paths) -> str:
    with connect(paths.warehouse, read_only=True) as con:
        year = con.execute("SELECT max(school_year) FROM district_metrics").fetchone()[0]
    if year is None:
        raise LookupError("the warehouse holds no submissions: run `benchmarks ingest` first")
    return year


def render_reports(paths: Paths, school_year: str | None = None, county: str | None = None,
                   progress: bool = True) -> RenderResult:
    """Render the board summary and the district reports (of one county, or all) plus index.html, the board's
    state table (CSV, XLSX) and the analyst's private delivery list."""
    from tqdm.auto import tqdm

    from .board import load_board_summary

    year = school_year or latest_year(paths)
    out_dir = paths.reports / year
    districts = select_districts(paths, year, county)
    if county and districts.empty:
        raise LookupError(f"no district of county {county!r} submitted for {year}")
    warehouse = str(paths.warehouse)
    pages = [render_one("board", paths, out_dir, f"board_summary_{year}",
                        {"warehouse": warehouse, "school_year": year}, f"Board summary {year}")]
    board_files = write_table(board_table(load_board_summary(paths.warehouse, year)), board_stem(out_dir, year))
    for row in tqdm(districts.itertuples(index=False), total=len(districts), desc="district reports",
                    unit="report", disable=not progress):
        pages.append(render_one("district", paths, out_dir, f"district_{row.pseudonym}",
                                {"warehouse": warehouse, "school_year": year, "district": row.pseudonym},
                                f"{row.district_name} — technology benchmarks {year}"))
    # The analyst's data-quality page, rendered apart from the district batch above.
    quality = render_quality(paths, out_dir, year)
    pages.append(quality)
    write_delivery_list(paths, year, out_dir, districts)
    index = write_index(out_dir, year, pages[0], districts, board_files, quality_page=quality)
    return RenderResult(index, pages)


def write_delivery_list(paths: Paths, year: str, out_dir: Path, districts: pd.DataFrame) -> Path:
    """The analyst's list of which files go to which district: owner-only, in data/private/, never in reports/."""
    rows = districts[["district_id", "district_name", "county", "pseudonym"]].copy()
    rows["files"] = [f"{out_dir / f'district_{p}'}.html (.csv, .xlsx)" for p in rows["pseudonym"]]
    target = paths.private / f"delivery_{year}.csv"
    paths.private.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_atomic(target, rows.to_csv(index=False).encode("utf-8"), private=True)
    return target


def render_quality(paths: Paths, out_dir: Path, year: str) -> Path:
    """The data-quality report (files, quarantine reasons, coverage) for the analyst."""
    return render_one("quality", paths, out_dir, f"data_quality_{year}",
                      {"warehouse": str(paths.warehouse), "school_year": year}, f"Data quality {year}")


def write_index(out_dir: Path, year: str, board_page: Path, districts: pd.DataFrame,
                board_files: list[Path] = (), quality_page: Path | None = None) -> Path:
    """index.html for the board and the analyst: the board summary and its tables, how many district reports
    exist, and the analyst's data-quality page. It names no district and links no district's files: a
    district may receive this page, and each district's report goes to that district alone (see the delivery
    list in data/private/)."""

    css = (TEMPLATES / "offline" / "static" / "report.css").read_text()
    e = html.escape
    tables = "".join(f"<li><a href='{e(p.name)}'>State table {e(year)} ({e(p.suffix[1:].upper())})</a></li>"
                     for p in board_files)
    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; img-src data:; "
        "style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'\">"
        f"<title>Technology benchmarks {e(year)}</title><style>{css}</style></head><body><main class='report'>"
        f"<p class='kicker'>District technology benchmarks</p><h1>Reports for {e(year)}</h1>"
        f"<p class='meta'>Generated {pd.Timestamp.now(tz='UTC').strftime('%Y-%m-%d %H:%M UTC')}</p>"
        f"<h2>For the board</h2><ul><li><a href='{e(board_page.name)}'>Board summary {e(year)}</a></li>"
        f"{tables}</ul>"
        f"<h2>District reports</h2><p>{len(districts)} district reports were produced for {e(year)}. Each "
        "district receives only its own report and tables; they are not listed here, so that this page "
        "names no district.</p>"
        + (f"<h2>For the analyst</h2><ul><li><a href='{e(quality_page.name)}'>Data quality {e(year)}</a></li></ul>"
           if quality_page else "")
        + "</main></body></html>")
    index = out_dir / "index.html"
    write_atomic(index, page.encode("utf-8"))
    return index
