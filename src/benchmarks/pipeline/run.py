"""The steps strung together: the demo from generated submissions to rendered reports, and the dictionary."""

from __future__ import annotations

from pathlib import Path

from benchmarks.config import DEFAULT_MIN_PEERS, Paths
from benchmarks.intake.demo import DEMO_COUNTY, DEMO_SEED, write_demo
from benchmarks.intake.submissions import FileResult
from benchmarks.intake.template import write_template as write_template_files
from benchmarks.pipeline.ingest import ingest_files
from benchmarks.privacy.audit import audit_files, summary
from benchmarks.privacy.keys import DEMO_KEY
from benchmarks.render.batch import render_batch
from benchmarks.reports.export import export_tables


def write_template(paths: Paths) -> list[Path]:
    """Write the data dictionary and the CSV and XLSX submission templates into data/template/."""
    return write_template_files(paths.template)


def run_demo(paths: Paths, all_districts: bool = False, min_peers: int = DEFAULT_MIN_PEERS,
             progress: bool = True, echo=print, **render_options):
    """Ingest the committed demo submissions with the demo key and render the reports; returns the
    batch's result (result.index is index.html).

    Without demo submissions in the project (an empty folder as --root), they are generated first. Renders the
    board summary and the demo county's districts, or every district with all_districts
    (render_options: workers, scheduler, force, as for benchmarks.render.batch.render_batch), exports their
    tables, and runs the audit on the result.
    """
    files = sorted(paths.demo.glob("submissions_*.csv"))
    if not files:  # a project folder without the repository's demo files: the generator is deterministic
        files = write_demo(paths.demo, DEMO_SEED)
        echo(f"No demo submissions in {paths.demo}: generated them (the same files the repository ships).")
    echo("Using the demo's own pseudonym key (fictional districts only; real data uses your secret key).")
    results: list[FileResult] = ingest_files(files, paths, DEMO_KEY, min_peers=min_peers)
    for r in results:
        echo(str(r))
    county = None if all_districts else DEMO_COUNTY
    result = render_batch(paths, county=county, progress=progress, **render_options)
    tables = export_tables(paths, county=county, board=False, progress=progress)
    echo(f"Exported {len(tables) // 2} district tables (CSV and XLSX each).")
    # The attack on what was just written: as each district, try to learn another's figures or identity.
    echo("Audit: " + summary(audit_files(paths)))
    return result
