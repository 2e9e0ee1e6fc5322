"""Reports rendered on request, one at a time: a district's report with a custom peer group, an initiative check."""

from __future__ import annotations

from pathlib import Path

from benchmarks.config import DEFAULT_MIN_PEERS, Paths, district_stem
from benchmarks.privacy import crosswalk
from benchmarks.privacy.custom_groups import admit
from benchmarks.privacy.rules import check_min_peers
from benchmarks.registry.years import school_year_label, target_year_of
from benchmarks.render.notebook import render_one
from benchmarks.reports.initiative import DEFAULT_YEARS_AHEAD, parse_plan
from benchmarks.warehouse.queries import resolve_year


def render_district(paths: Paths, district: str, custom_peers=(), school_year: str = "",
                    min_peers: int = DEFAULT_MIN_PEERS) -> Path:
    """Render one district's report (district ID, pseudonym or name; with a custom peer group when given) to
    reports/<year>/district_<pseudonym>[_custom].html; returns the page.

    A custom list is checked and recorded first (benchmarks.privacy.custom_groups.admit: participating
    districts only, no differencing); the notebook is given the group's number, never its members."""
    year = resolve_year(paths.warehouse, school_year)
    pseudonym, name = crosswalk.find(paths.crosswalk, district)
    parameters = {"warehouse": str(paths.warehouse), "school_year": year, "district": pseudonym,
                  "min_peers": check_min_peers(min_peers)}
    if custom_peers:
        parameters["custom_group"] = admit(paths.warehouse, pseudonym, custom_peers, year, min_peers).group
    stem = district_stem("district", pseudonym, custom=bool(custom_peers))
    return render_one("district", paths, paths.reports / year, stem, parameters,
                      f"{name} — technology benchmarks {year}")


def render_initiative(paths: Paths, district: str, plan, target_year: str = "", school_year: str = "") -> Path:
    """Render the initiative check of one district (district ID, pseudonym or name) to
    reports/<year>/initiative_<pseudonym>.html; returns the page."""
    plan = parse_plan(plan)
    year = resolve_year(paths.warehouse, school_year)
    pseudonym, name = crosswalk.find(paths.crosswalk, district)
    target = "" if not str(target_year).strip() else school_year_label(target_year_of(year, target_year, DEFAULT_YEARS_AHEAD))
    return render_one("initiative", paths, paths.reports / year, district_stem("initiative", pseudonym),
                      {"warehouse": str(paths.warehouse), "school_year": year, "district": pseudonym,
                       "plan": plan, "target_year": target},
                      f"{name} — initiative check {year}")

