"""Reports rendered on request, one at a time: a district's report with a custom peer group, an initiative check,
a county's round table. Each renders in a warm worker started for it (benchmarks.render.worker), as a batch's
reports do: no Jupyter kernel starts, so a page takes a few seconds, start-up included."""

from __future__ import annotations

from pathlib import Path

from benchmarks.config import DEFAULT_MIN_PEERS, Paths, county_stem, district_stem, executed_folder, failed_record
from benchmarks.privacy import crosswalk
from benchmarks.privacy.custom_groups import admit
from benchmarks.privacy.rules import check_min_peers
from benchmarks.registry.years import school_year_label, target_year_of
from benchmarks.render.tasks import ReportFailed, ReportTask
from benchmarks.render.worker import render_alone
from benchmarks.reports.initiative import DEFAULT_YEARS_AHEAD, parse_plan
from benchmarks.reports.kinds import REPORT_KINDS
from benchmarks.reports.roundtable.data import load_roundtable, page_place
from benchmarks.warehouse.queries import resolve_year


def render_on_request(kind: str, paths: Paths, out_dir: Path, stem: str, parameters: dict, title: str) -> Path:
    """Render one report of `kind` to out_dir/<stem>.html (its executed notebook in the owner-only
    data/private/executed/<year>/); returns the page, or raises ReportFailed naming the cell and the kept run."""
    out_dir = Path(out_dir)
    task = ReportTask(kind, stem, str(paths.notebook(REPORT_KINDS[kind].notebook)), str(out_dir), parameters, title,
                      records=str(executed_folder(paths, out_dir)), home=str(paths.root))
    result = render_alone(task)
    if not result.ok:
        kept = failed_record(task.record)
        raise ReportFailed(result, str(kept.relative_to(paths.root)) if kept.is_file() else "")
    return task.page


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
    return render_on_request("district", paths, paths.reports / year, stem, parameters,
                             f"{name} — technology benchmarks {year}")


def render_initiative(paths: Paths, district: str, plan, target_year: str = "", school_year: str = "") -> Path:
    """Render the initiative check of one district (district ID, pseudonym or name) to
    reports/<year>/initiative_<pseudonym>.html; returns the page."""
    plan = parse_plan(plan)
    year = resolve_year(paths.warehouse, school_year)
    pseudonym, name = crosswalk.find(paths.crosswalk, district)
    target = "" if not str(target_year).strip() else school_year_label(target_year_of(year, target_year, DEFAULT_YEARS_AHEAD))
    return render_on_request("initiative", paths, paths.reports / year, district_stem("initiative", pseudonym),
                             {"warehouse": str(paths.warehouse), "school_year": year, "district": pseudonym,
                              "plan": plan, "target_year": target},
                             f"{name} — initiative check {year}")


def render_roundtable(paths: Paths, county: str, school_year: str = "", state: str = "") -> Path:
    """Render a county's round-table page (county as a person writes it; its state when other states have a county
    of that name) to reports/<year>/roundtable_<county>.html, as the batch names it; a county unknown or too small
    for the rules (roundtable.TooFewMembers) is refused before anything runs."""
    year = resolve_year(paths.warehouse, school_year)
    rt = load_roundtable(paths.warehouse, year, county, state=state)
    kind = REPORT_KINDS["roundtable"]
    place, state_in_name = page_place(rt.county, rt.state, rt.name_shared)
    return render_on_request("roundtable", paths, paths.reports / year, county_stem(kind.file_name, rt.county,
                                                                                    state_in_name),
                             {"warehouse": str(paths.warehouse), "school_year": year, "county": rt.county,
                              "state": rt.state}, f"{place} {kind.title.lower()} {year}")
