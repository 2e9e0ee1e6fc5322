"""Reads every report shares: the school years on record (the latest, or the one asked for, with a plain error when
there is none), the counties as people write them, the clean public rows as submission rows, and the data snapshot."""

from __future__ import annotations

import re
from difflib import get_close_matches
from pathlib import Path

import pandas as pd

from benchmarks.registry.years import funding_school_year, parse_school_year, school_year_label
from benchmarks.warehouse.store import connect, has_table

#: "Empty school year means the latest on record", as one SQL expression.
LATEST_YEAR_SQL = "SELECT max(school_year) FROM district_metrics"

#: What an empty project is told, whatever it asked for.
NO_SUBMISSIONS = "no submissions yet: run `benchmarks ingest FILE...` first"


class NotOnRecord(LookupError):
    """An ordinary mistake: a school year, county, district or report asked for that the project does not hold.
    Its message says what was asked for and what there is (or what to do); the command prints it as one line."""


def latest_year_of(con) -> str | None:
    """The latest school year with submissions in an open warehouse, or None when it holds none."""
    return con.execute(LATEST_YEAR_SQL).fetchone()[0]


def years_of(con) -> list[str]:
    """Every school year with submissions in an open warehouse, oldest first."""
    if not has_table(con, "district_metrics"):
        return []
    return [r[0] for r in con.execute("SELECT DISTINCT school_year FROM district_metrics ORDER BY 1").fetchall()]


def _as_label(text: str) -> str:
    """A school year as typed ("2025-26", "2025-2026", or its first year 2025) in the warehouse's spelling."""
    s = re.sub(r"\s+", "", str(text))
    if re.fullmatch(r"\d{4}[-/–]\d{4}", s) and int(s[5:]) == int(s[:4]) + 1:
        s = s[:4]
    try:
        return school_year_label(parse_school_year(s.replace("/", "-").replace("–", "-")))
    except ValueError:
        return s


def school_year_of(con, school_year: str | None) -> str:
    """The school year asked for, as stored (empty: the latest on record); NotOnRecord naming the years on
    record when the warehouse holds no submissions for it."""
    years = years_of(con)
    if not years:
        raise NotOnRecord(f"the warehouse holds {NO_SUBMISSIONS}")
    if not str(school_year or "").strip():
        return years[-1]
    year = _as_label(school_year)
    if year not in years:
        raise NotOnRecord(f"the warehouse holds no submissions for {str(school_year).strip()}; "
                          f"years on record: {', '.join(years)}")
    return year


def resolve_year(warehouse: Path, school_year: str | None = None) -> str:
    """school_year_of() on the warehouse file; NotOnRecord when there is no warehouse yet."""
    if not Path(warehouse).exists():
        raise NotOnRecord(NO_SUBMISSIONS)
    with connect(Path(warehouse), read_only=True) as con:
        return school_year_of(con, school_year)


def latest_year(warehouse: Path) -> str:
    """The latest school year on record; a plain error when the warehouse holds no submissions."""
    return resolve_year(warehouse)


def year_or_latest(con, school_year: str | None) -> str:
    """The school year asked for, or the latest on record when empty."""
    return school_year or latest_year_of(con)


def name_key(text) -> str:
    """A name as compared when a person types it: case and spacing do not count ("sd  u-46" is "SD U-46")."""
    return re.sub(r"\s+", " ", str(text)).strip().casefold()


def county_key(text) -> str:
    """A county as compared: case, spacing and a trailing "County" do not count ("KANE  COUNTY", "Kane County"
    and "kane" are one county)."""
    return re.sub(r"(?<=\S) county$", "", name_key(text))


def counties_named(con, school_year: str, county: str) -> list[str]:
    """The stored spellings of the county a person typed (case, spacing and "County" aside) among the districts
    of the year; NotOnRecord, with the nearest counties of the year, when none matches."""
    stored = [r[0] for r in con.execute("SELECT DISTINCT county FROM district_metrics WHERE school_year = ? "
                                        "ORDER BY 1", [school_year]).fetchall()]
    wanted = county_key(county)
    found = [c for c in stored if county_key(c) == wanted]
    if not found:
        spelled = {county_key(c): c for c in stored}
        near = get_close_matches(wanted, list(spelled), n=3, cutoff=0.75)
        hint = f"; did you mean {' or '.join(repr(spelled[k]) for k in near)}?" if near else ""
        raise NotOnRecord(f"no district of county {county!r} submitted for {school_year}{hint}")
    return found


def data_snapshot(con) -> str:
    """A short hash naming the exact set of raw files the warehouse was built from."""
    row = con.execute("SELECT sha256(coalesce(string_agg(sha256, ',' ORDER BY sha256), '')) FROM raw_files").fetchone()
    return row[0][:16]


def public_rows(con) -> pd.DataFrame:
    """The clean public rows as submission rows: identity, enrollment, and the network fields (total bandwidth,
    monthly cost = cost per Mbps x bandwidth); every other measured field blank, i.e. not reported. Rows the
    publisher flagged as unreliable are left out: they enter no statistic and no page."""
    rows = con.execute("""
        SELECT pseudonym, school_year, funding_year, state, county, locale, enrollment,
               total_bandwidth_mbps AS bandwidth_mbps,
               cost_per_mbps_usd * total_bandwidth_mbps AS internet_monthly_cost_usd, source_sha256
        FROM public_bandwidth
        WHERE NOT exclude_from_analysis AND county IS NOT NULL AND county <> '' AND enrollment > 0""").df()
    # rows imported before the school year was stored: the funding year's own
    rows["school_year"] = rows["school_year"].fillna(rows["funding_year"].map(funding_school_year))
    return rows


def states_in(con, school_year: str) -> int:
    """How many states the school year's data holds."""
    return con.execute("SELECT count(DISTINCT state) FROM district_metrics WHERE school_year = ?",
                       [school_year]).fetchone()[0]


def nation_of(con, school_year: str) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The year's group_stats and group_goals rows of all districts (the stored "all" group), when the data holds
    more than one state: the board and the district report show them beside a state's."""
    if states_in(con, school_year) < 2:
        return None, None
    return tuple(con.execute(f"SELECT * FROM {t} WHERE group_kind = 'all' AND school_year = ?", [school_year]).df()
                 for t in ("group_stats", "group_goals"))
