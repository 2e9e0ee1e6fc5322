"""A county's round-table page rendered on request (`benchmarks roundtable --county NAME`), as the batch names it."""

from __future__ import annotations

from pathlib import Path

from benchmarks.config import Paths, county_stem
from benchmarks.render.notebook import render_one
from benchmarks.reports.kinds import REPORT_KINDS
from benchmarks.reports.roundtable.data import load_roundtable
from benchmarks.warehouse.queries import resolve_year


def render_roundtable(paths: Paths, county: str, school_year: str = "") -> Path:
    """Render a county's round-table page (county as a person writes it) to reports/<year>/roundtable_<county>.html;
    a county unknown or too small for the rules (roundtable.TooFewMembers) is refused before anything runs."""
    year = resolve_year(paths.warehouse, school_year)
    named = load_roundtable(paths.warehouse, year, county).county
    kind = REPORT_KINDS["roundtable"]
    return render_one("roundtable", paths, paths.reports / year, county_stem(kind.file_name, named),
                      {"warehouse": str(paths.warehouse), "school_year": year, "county": named},
                      f"{named} {kind.title.lower()} {year}")
