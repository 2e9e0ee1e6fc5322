"""Who gets which file: the districts of a run with their names (from the private crosswalk) and the
analyst's owner-only delivery list."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from benchmarks.config import Paths, delivery_list, district_stem
from benchmarks.files import private_folder, write_atomic
from benchmarks.privacy import crosswalk
from benchmarks.warehouse.queries import counties_named
from benchmarks.warehouse.store import connect


def select_districts(paths: Paths, school_year: str, county: str | None) -> pd.DataFrame:
    """pseudonym, state, county, district_id and district_name of the districts to render (of one county, as a person
    writes it, when given). Names and IDs come from the private crosswalk: they go only into each district's
    own page title and the analyst's delivery list."""
    with connect(paths.warehouse, read_only=True) as con:
        counties = None if county is None else counties_named(con, school_year, county)
        chosen = con.execute(
            "SELECT d.pseudonym, d.state, d.county, d.source_sha256 FROM district_metrics d "
            "WHERE d.school_year = ? AND (? IS NULL OR list_contains(?, d.county)) "
            "ORDER BY d.county, d.pseudonym", [school_year, counties, counties]).df()
    named = crosswalk.names(paths.crosswalk, chosen) if len(chosen) else chosen.assign(district_id="", district_name="")
    return named.drop(columns="source_sha256").sort_values(["county", "district_name"], ignore_index=True)


def write_delivery_list(paths: Paths, year: str, out_dir: Path, districts: pd.DataFrame) -> Path:
    """The analyst's list of which files go to which district: owner-only, in data/private/, never in reports/."""
    rows = districts[["district_id", "district_name", "county", "pseudonym"]].copy()
    rows["files"] = [f"{out_dir / district_stem('district', p)}.html (.csv, .xlsx)" for p in rows["pseudonym"]]
    target = delivery_list(paths, year)
    private_folder(paths.private)
    write_atomic(target, rows.to_csv(index=False).encode("utf-8"), private=True)
    return target
