"""Rendering: run the report notebooks with papermill and export them to self-contained HTML pages."""

from __future__ import annotations

import functools
import glob
import html
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pandas as pd

from benchmarks.privacy import crosswalk
from benchmarks.config import DEFAULT_MIN_PEERS, Paths
from benchmarks.reports.export import board_stem, board_table, write_table
from benchmarks.pipeline.ingest import write_atomic
from benchmarks.warehouse.store import connect

KERNEL_NAME = "district-benchmarks"
TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class ReportKind:
    """A kind of report: which notebook renders it, its title, its scope and where the index lists it.

    scope names an entry of benchmarks.render.batch.SCOPES: "year" renders one report per school year (file
    `<stem or name>_<year>.html`), "district" one per district (`<stem or name>_<pseudonym>.html`),
    "on_request" none in a batch (rendered by its own command). section: the index heading of a
    year-wide report (INDEX_SECTIONS gives their order).
    """

    name: str
    notebook: str
    title: str
    scope: str = "year"
    stem: str = ""
    section: str = "For the board"


REPORT_KINDS = {
    "board": ReportKind("board", "board_summary.ipynb", "Board summary", stem="board_summary"),
    "district": ReportKind("district", "district_report.ipynb", "District report", scope="district"),
    # rendered on request with a plan (benchmarks initiative), not in the batch
    "initiative": ReportKind("initiative", "initiative_check.ipynb", "Initiative check", scope="on_request"),
    "quality": ReportKind("quality", "data_quality.ipynb", "Data quality", stem="data_quality",
                          section="For the analyst"),
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


def failed_record(output: Path) -> Path:
    """Where the executed notebook of a failed run is kept (beside the record of the last good run)."""
    return output.with_name(f"{output.stem}.failed.ipynb")


def execute(notebook: Path, output: Path, parameters: dict, kernel_name: str | None = None,
            engine: str | None = None) -> nbformat.NotebookNode:
    """Run a notebook with papermill, keeping the executed copy as the record of what was computed.

    engine None runs it in a fresh Jupyter kernel; benchmarks.render.engine.ENGINE_NAME runs it in this process
    (only in a throw-away forked process: see benchmarks.render.worker). A failed run's notebook, with the
    error, is kept as `<name>.failed.ipynb`; the record of the last good run is never half-written.
    """
    import papermill as pm

    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp.ipynb")
    options = {"kernel_name": kernel_name or ensure_kernel()} if engine is None else {
        "engine_name": engine, "request_save_on_cell_execute": False}
    try:
        nb = pm.execute_notebook(str(notebook), str(tmp), parameters=parameters, progress_bar=False,
                                 cwd=str(notebook.parent), **options)
        tmp.replace(output)
        failed_record(output).unlink(missing_ok=True)
    except BaseException:
        if tmp.exists():
            tmp.replace(failed_record(output))
        raise
    finally:
        tmp.unlink(missing_ok=True)
    return nb


@functools.cache
def _exporter():
    """One HTML exporter per process: its templates compile once (a forked worker inherits them warm)."""
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="offline", extra_template_basedirs=[str(TEMPLATES)],
                        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)


def to_html(nb: nbformat.NotebookNode, title: str) -> str:
    """Export an executed notebook with the offline template: code hidden, nothing loaded from the network."""
    nb = nbformat.from_dict(nb)
    nb.metadata["title"] = title
    body, _ = _exporter().from_notebook_node(nb)
    return body


def render_one(kind: str, paths: Paths, out_dir: Path, stem: str, parameters: dict, title: str,
               engine: str | None = None) -> Path:
    """Execute one report notebook and write its HTML page atomically; returns the page's path.

    The reference path: a fresh Jupyter kernel per report. Batches go through benchmarks.render.batch.
    """
    spec = REPORT_KINDS[kind]
    executed = execute(paths.notebooks / spec.notebook, out_dir / "executed" / f"{stem}.ipynb", parameters,
                       engine=engine)
    page = out_dir / f"{stem}.html"
    write_atomic(page, to_html(executed, title).encode("utf-8"))
    return page


@dataclass(frozen=True)
class ReportTask:
    """One report to render: everything a worker needs, as plain values (it travels as JSON)."""

    kind: str
    stem: str
    notebook: str
    out_dir: str
    parameters: dict
    title: str
    fingerprint: str = ""
    label: str = ""  # how the run summary and the index name it (a district's name, or the title)

    @property
    def page(self) -> Path:
        return Path(self.out_dir) / f"{self.stem}.html"

    @property
    def record(self) -> Path:
        return Path(self.out_dir) / "executed" / f"{self.stem}.ipynb"


@dataclass
class Outcome:
    """What became of one task: ok, or failed with where (cell) and why (error)."""

    stem: str
    ok: bool
    seconds: float = 0.0
    cell: int | None = None  # execution count of the failing cell (In [n]), when a cell failed
    error: str = ""
    worker: str = ""

    def describe(self) -> str:
        where = f"cell In [{self.cell}]: " if self.cell is not None else ""
        return f"{where}{self.error}"


def render_task(task: ReportTask, engine: str | None = None) -> Outcome:
    """Render one task, turning any failure into a failed Outcome (pages are written atomically: a failure
    never leaves a partial one)."""
    from papermill.exceptions import PapermillExecutionError

    start = time.perf_counter()
    try:
        nb = execute(Path(task.notebook), task.record, task.parameters, engine=engine)
        write_atomic(task.page, to_html(nb, task.title).encode("utf-8"))
        return Outcome(task.stem, True, time.perf_counter() - start)
    except Exception as exc:  # one report's failure must not stop the batch
        seconds = time.perf_counter() - start
        if isinstance(exc, PapermillExecutionError):
            return Outcome(task.stem, False, seconds, cell=exc.exec_count, error=f"{exc.ename}: {exc.evalue}")
        return Outcome(task.stem, False, seconds, error=f"{type(exc).__name__}: {exc}")


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
                   progress: bool = True, **options):
    """Render the year's reports (board summary, every district or one county's, any other registered kind)
    and index.html, in parallel and only what changed: see benchmarks.render.batch.render_batch for the options."""
    from benchmarks.render.batch import render_batch

    return render_batch(paths, school_year=school_year, county=county, progress=progress, **options)


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


def temp_files(task: ReportTask) -> list[Path]:
    """Temporary files a render of `task` leaves if it is killed mid-write (by write_atomic and execute)."""
    out, stem = Path(task.out_dir), glob.escape(task.stem)
    return [*out.glob(f".{stem}.html.*.tmp"), *(out / "executed").glob(f".{stem}.ipynb.*")]


#: The index's sections in order; district reports are counted by county under DISTRICT_SECTION.
DISTRICT_SECTION = "District reports"
# The board summary and the data-quality report come first; the district reports are only counted.
INDEX_SECTIONS = ("For the board", "For the analyst", DISTRICT_SECTION)


def write_index(out_dir: Path, year: str, links: dict[str, list[tuple[str, str]]], districts: pd.DataFrame,
                failures: list[tuple[str, str]] = (), not_current: int = 0, min_peers: int = DEFAULT_MIN_PEERS) -> Path:
    """index.html: failed reports (if any) first, then each section of INDEX_SECTIONS.

    It names no district and links no district's page: a district may receive this page, and each district's
    report goes to that district alone (the analyst's delivery list in data/private/ says which file is whose).
    District reports are counted by county, counties with fewer than min_peers reports pooled, as on the board
    summary. links: section heading -> (title, file name) of the year-wide reports; districts: one row per
    up-to-date district report (column county); failures: (report, what went wrong); not_current: reports
    neither up to date nor failed.
    """
    css = (TEMPLATES / "offline" / "static" / "report.css").read_text()
    e = html.escape
    counts = districts.groupby("county").size().sort_values(ascending=False)
    small = counts[counts < min_peers]
    rows = [f"<tr><th scope='row'>{e(str(c))}</th><td class='num'>{n}</td></tr>"
            for c, n in counts[counts >= min_peers].items()]
    if len(small):
        counties = "1 county" if len(small) == 1 else f"{len(small)} counties"
        rows.append(f"<tr><th scope='row'>{counties} with fewer than {min_peers} reports</th>"
                    f"<td class='num'>{int(small.sum())}</td></tr>")
    groups = [f"<p>{len(districts)} district reports are up to date for {e(year)}. Each district receives only its "
              "own report and tables, so this page lists none by name.</p>"
              "<table class='scorecard-table'><thead><tr><th scope='col'>County</th><th scope='col'>Reports</th>"
              f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"]
    sections = {heading: "".join(f"<li><a href='{e(page)}'>{e(title)}</a></li>" for title, page in pages)
                for heading, pages in links.items() if pages}
    body = []
    for heading in [*INDEX_SECTIONS, *(h for h in sections if h not in INDEX_SECTIONS)]:
        if heading == DISTRICT_SECTION:
            body.append(f"<h2>{e(heading)}</h2>{''.join(groups)}")
        elif heading in sections:
            body.append(f"<h2>{e(heading)}</h2><ul>{sections[heading]}</ul>")
    failed = ""
    if failures:
        items = "".join(f"<li><strong>{e(label)}</strong>: {e(_short(why))}</li>" for label, why in failures)
        failed = (f"<section class='failures'><h2>Reports that failed ({len(failures)})</h2>"
                  "<p>These reports could not be rendered; their previous versions were removed. The executed "
                  f"notebooks with the full error are in executed/*.failed.ipynb.</p><ul>{items}</ul></section>")
    pending = (f" · {not_current} reports not rendered yet or out of date (run <code>benchmarks render</code>)"
               if not_current else "")
    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; img-src data:; "
        "style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'\">"
        f"<title>Technology benchmarks {e(year)}</title><style>{css}</style></head><body><main class='report'>"
        f"<p class='kicker'>District technology benchmarks</p><h1>Reports for {e(year)}</h1>"
        f"<p class='meta'>Generated {pd.Timestamp.now(tz='UTC').strftime('%Y-%m-%d %H:%M UTC')} · "
        f"{len(districts)} district reports{pending}</p>{failed}{''.join(body)}</main></body></html>")
    index = out_dir / "index.html"
    write_atomic(index, page.encode("utf-8"))
    return index


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
