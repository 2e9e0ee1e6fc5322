"""Batch rendering: every report of a school year, in parallel, isolated, and only the ones whose inputs changed.

Every registered report kind (benchmarks.reports.kinds.REPORT_KINDS) is planned through its scope (SCOPES: once per
year, once per district, or not at all for reports made on request), fingerprinted (benchmarks.render.manifest), and the reports whose fingerprint
differs from the manifest's are sent to an executor (benchmarks.render.executors: warm local workers, or a
Dask cluster). A report that fails is listed with its cell and error in the run summary and the
index, and its outdated page is removed; the others go on. The index and manifest are rewritten at
the end; after Ctrl-C the manifest keeps what finished, so the next run picks up from there. The manifest and the
executed notebooks are the analyst's: they live in data/private/, never in reports/.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from benchmarks.config import (Paths, county_stem, district_stem, executed_folder, render_manifest,
                               year_stem)
from benchmarks.privacy.rules import rules_of
from benchmarks.progress import progress as make_progress
from benchmarks.render.delivery import select_districts, write_delivery_list
from benchmarks.render.executors import executor as make_executor
from benchmarks.render.index import provenance, write_index
from benchmarks.render.manifest import (
    Manifest,
    digest,
    district_fingerprints,
    library_fingerprint,
    move_legacy_records,
    warehouse_fingerprint,
)
from benchmarks.render.task_data import with_report_data
from benchmarks.render.tasks import Outcome, ReportTask, temp_files
from benchmarks.render.worker import DEFAULT_TIMEOUT
from benchmarks.reports.board import load_board_summary
from benchmarks.reports.export import board_stem, board_table, write_table
from benchmarks.reports.kinds import INDEX_SECTIONS, REPORT_KINDS, ROUNDTABLE_SECTION, ReportKind
from benchmarks.reports.roundtable.data import page_place
from benchmarks.warehouse.queries import NotOnRecord, counties_named, data_snapshot, resolve_year
from benchmarks.warehouse.store import connect

#: How often (seconds) the manifest is saved while a batch runs, so an interrupted run keeps its work.
SAVE_EVERY = 5.0


@dataclass
class Plan:
    """What a batch works from: the year, its districts and the shared parts of every fingerprint."""

    paths: Paths
    year: str
    out_dir: Path
    districts: pd.DataFrame  # every district of the year: pseudonym, state, county, district_name
    con: object  # read-only warehouse connection, open while tasks are planned
    library: str = field(default_factory=library_fingerprint)
    _warehouse: str | None = None
    _districts: dict | None = None
    _notebooks: dict = field(default_factory=dict)

    @property
    def warehouse(self) -> str:
        """The warehouse as notebooks receive it: relative to the project home, where they run."""
        return os.path.relpath(self.paths.warehouse, self.paths.root)

    def warehouse_fingerprint(self) -> str:
        if self._warehouse is None:
            self._warehouse = warehouse_fingerprint(self.con)
        return self._warehouse

    def district_fingerprints(self) -> dict[str, str]:
        if self._districts is None:
            self._districts = district_fingerprints(self.con, self.year)
        return self._districts

    def task(self, kind: ReportKind, stem: str, parameters: dict, title: str, label: str, data: str) -> ReportTask:
        notebook = self.paths.notebook(kind.notebook)
        if notebook not in self._notebooks:
            self._notebooks[notebook] = digest(notebook.read_bytes())
        # the title carries the district's own name, which lives in the private crosswalk, not the warehouse
        fingerprint = digest(kind.name, self._notebooks[notebook], parameters, title, self.library, data)
        return ReportTask(kind.name, stem, str(notebook), str(self.out_dir), parameters, title, fingerprint, label,
                          records=str(executed_folder(self.paths, self.out_dir)), home=str(self.paths.root))


class YearScope:
    """One report for the whole school year (board summary, data-quality report, ...)."""

    def tasks(self, kind: ReportKind, plan: Plan) -> list[ReportTask]:
        title = f"{kind.title} {plan.year}"
        parameters = {"warehouse": plan.warehouse, "school_year": plan.year}
        return [plan.task(kind, year_stem(kind.file_name, plan.year), parameters, title, title,
                          plan.warehouse_fingerprint())]


class DistrictScope:
    """One report per district that submitted for the year."""

    def tasks(self, kind: ReportKind, plan: Plan) -> list[ReportTask]:
        fingerprints = plan.district_fingerprints()
        heading = "technology benchmarks" if kind.name == "district" else kind.title
        out = []
        for row in plan.districts.itertuples(index=False):
            parameters = {"warehouse": plan.warehouse, "school_year": plan.year, "district": row.pseudonym}
            out.append(plan.task(kind, district_stem(kind.file_name, row.pseudonym), parameters,
                                 f"{row.district_name} — {heading} {plan.year}", row.district_name,
                                 fingerprints[row.pseudonym]))
        return out


class CountyScope:
    """One page per county whose members may meet over it (Rules.may_meet), shared by those members. A county is
    a state's (counties of several states may share a name): its page is named with the state where they do."""

    def tasks(self, kind: ReportKind, plan: Plan) -> list[ReportTask]:
        rules = rules_of(plan.con)
        counts = plan.districts.groupby(["state", "county"]).size()
        shared = counts.index.get_level_values("county").value_counts()
        tasks = []
        for (state, county), n in counts.items():
            if not rules.may_meet(n):
                continue
            place, state_in_name = page_place(county, state, shared[county] > 1)
            tasks.append(plan.task(kind, county_stem(kind.file_name, county, state_in_name),
                                   {"warehouse": plan.warehouse, "school_year": plan.year, "county": county,
                                    "state": state},
                                   f"{place} {kind.title.lower()} {plan.year}", f"{place} ({kind.title})",
                                   plan.warehouse_fingerprint()))
        return tasks


class OnRequestScope:
    """Rendered by its own command with parameters a batch does not have (e.g. a district's plan)."""

    def tasks(self, kind: ReportKind, plan: Plan) -> list[ReportTask]:
        return []


#: How each ReportKind.scope turns into tasks.
SCOPES = {"year": YearScope(), "district": DistrictScope(), "county": CountyScope(),
          "on_request": OnRequestScope()}


@dataclass
class BatchResult:
    """What a batch did; `failed` is empty when every report rendered."""

    index: Path
    year: str
    tasks: list[ReportTask]  # the reports asked for (after --county / kind selection)
    rendered: list[Outcome]
    failed: list[tuple[ReportTask, Outcome]]
    unchanged: int
    seconds: float
    where: str = ""
    #: Reports of the year neither up to date nor failed (e.g. other counties' after --county): the analyst's
    #: to know, so the command says it, not the board's index.
    not_current: int = 0

    @property
    def pages(self) -> list[Path]:
        """The pages of the reports asked for that exist and are up to date."""
        bad = {t.stem for t, _ in self.failed}
        return [t.page for t in self.tasks if t.stem not in bad and t.page.exists()]

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> list[str]:
        n = len(self.rendered)
        rate = f", {self.seconds / n:.2f} s per report" if n else ""
        lines = [f"{self.year}: {len(self.tasks)} reports · {n} rendered{' on ' + self.where if n else ''} · "
                 f"{self.unchanged} unchanged · {len(self.failed)} failed · {self.seconds:.1f} s{rate}"]
        for task, outcome in self.failed:
            lines.append(f"FAILED {task.label} ({task.stem}): {outcome.describe()}")
        if self.not_current:
            lines.append(f"{self.not_current} other reports of {self.year} are not rendered yet or out of date "
                         "(run `benchmarks render` without --county or other selection to bring them up to date).")
        return lines


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _discard(task: ReportTask) -> None:
    """A report that failed must not leave its previous, now outdated page behind to be read as current."""
    task.page.unlink(missing_ok=True)
    task.record.unlink(missing_ok=True)


def plan_tasks(paths: Paths, year: str, out_dir: Path) -> tuple[list[ReportTask], pd.DataFrame]:
    """Every report of the year, of every registered kind, with its fingerprint; and the year's districts."""
    districts = select_districts(paths, year, None)
    with connect(paths.warehouse, read_only=True) as con:
        plan = Plan(paths, year, out_dir, districts, con)
        # year-wide reports first: they are the slowest, so they should not be the last ones running
        kinds = sorted(REPORT_KINDS.values(), key=lambda k: k.scope != "year")
        tasks = [t for kind in kinds for t in SCOPES[kind.scope].tasks(kind, plan)]
    return tasks, districts


def render_batch(paths: Paths, school_year: str | None = None, county: str | None = None,
                 districts: list[str] | None = None, kinds: list[str] | None = None, workers: int | None = None,
                 scheduler: str | None = None, force: bool = False, progress: bool = True,
                 timeout: float = DEFAULT_TIMEOUT, out_dir: Path | None = None,
                 echo: Callable[[str], None] = _stderr) -> BatchResult:
    """Render a school year's reports (default: the latest year, every kind, every district) and index.html.

    county (as a person writes it) / districts (pseudonyms) / kinds narrow which reports are rendered; workers
    sets the local worker count (default: all cores); scheduler sends the reports to a Dask cluster instead;
    force re-renders reports whose inputs did not change. An empty warehouse, or a year, county or district it
    does not hold, raises NotOnRecord before anything is written.
    """
    start = time.monotonic()
    year = resolve_year(paths.warehouse, school_year)  # NotOnRecord for an empty warehouse or a year it lacks
    unknown = set(kinds or ()) - set(REPORT_KINDS)
    if unknown:
        raise ValueError(f"unknown report kind(s) {sorted(unknown)}; known: {sorted(REPORT_KINDS)}")
    if county is not None:
        with connect(paths.warehouse, read_only=True) as con:
            county = counties_named(con, year, county)  # as a person writes it: "Kane County" finds "KANE COUNTY"
    out_dir = Path(out_dir) if out_dir else paths.reports / year
    runner = make_executor(workers=workers, scheduler=scheduler, timeout=timeout)
    try:
        if force or not render_manifest(paths, out_dir).exists():
            runner.start()  # most reports will render: the workers warm up while the tasks are planned
        return _render_planned(paths, year, out_dir, runner, county, districts, kinds, force, progress, echo, start)
    finally:
        runner.stop()


def _render_planned(paths: Paths, year: str, out_dir: Path, runner, county: list[str] | None,
                    districts: list[str] | None, kinds: list[str] | None, force: bool, progress: bool,
                    echo: Callable[[str], None], start: float) -> BatchResult:
    every, all_districts = plan_tasks(paths, year, out_dir)
    chosen = set(all_districts["pseudonym"])
    if county is not None:
        chosen &= set(all_districts.loc[all_districts["county"].isin(county), "pseudonym"])
    if districts is not None:
        missing = set(districts) - chosen
        if missing:
            raise NotOnRecord(f"no submission for {year} from district(s) {sorted(missing)[:5]}")
        chosen &= set(districts)
    # a county's round-table page goes with its districts' reports: the meeting reads both
    tasks = [t for t in every if (kinds is None or t.kind in kinds)
             and ("district" not in t.parameters or t.parameters["district"] in chosen)
             and ("county" not in t.parameters or (districts is None and (county is None
                                                                          or t.parameters["county"] in county)))]

    manifest = Manifest.load(move_legacy_records(paths, out_dir))
    todo = tasks if force else [t for t in tasks if not manifest.is_current(t)]
    rendered: list[Outcome] = []
    failed: list[tuple[ReportTask, Outcome]] = []
    where = ""
    if todo:
        where = runner.describe()
        echo(f"Rendering {len(todo)} of {len(tasks)} reports for {year} on {where} "
             f"({len(tasks) - len(todo)} unchanged).")
        by_stem = {t.stem: t for t in todo}
        bar = make_progress(len(todo), "reports", enabled=progress)
        saved = time.monotonic()
        try:
            for outcome in runner.run(with_report_data(paths, year, todo)):
                task = by_stem[outcome.stem]
                manifest.record(task, outcome)
                rendered.append(outcome)
                if not outcome.ok:
                    _discard(task)
                    failed.append((task, outcome))
                bar.update(1)
                if time.monotonic() - saved > SAVE_EVERY:
                    manifest.save()
                    saved = time.monotonic()
        except KeyboardInterrupt:
            runner.stop()
            manifest.save()
            for task in todo:
                for path in temp_files(task):
                    path.unlink(missing_ok=True)
            echo(f"Interrupted: {len(rendered)} of {len(todo)} reports finished and are kept; "
                 "run the same command again to render the rest.")
            raise
        finally:
            bar.close()
        manifest.save()
    else:
        runner.stop()
        echo(f"Nothing to render: all {len(tasks)} reports for {year} are up to date (use --force to redo them).")
    board_files = write_table(board_table(load_board_summary(paths.warehouse, year)), board_stem(out_dir, year))
    write_delivery_list(paths, year, out_dir, all_districts[all_districts["pseudonym"].isin(chosen)])
    with connect(paths.warehouse, read_only=True) as con:
        rules, source, snapshot = rules_of(con), provenance(con), data_snapshot(con)
    index, not_current = _write_index(out_dir, year, every, all_districts, manifest, rules, board_files,
                                      source, snapshot)
    return BatchResult(index, year, tasks, rendered, failed, len(tasks) - len(todo), time.monotonic() - start, where,
                       not_current)


def _write_index(out_dir: Path, year: str, every: list[ReportTask], districts: pd.DataFrame,
                 manifest: Manifest, rules, board_files: list[Path] = (), source: str = "",
                 snapshot: str = "") -> tuple[Path, int]:
    """index.html over every report of the year that is up to date, plus the ones that failed; and how many
    reports are neither."""
    links: dict[str, list[tuple[str, str]]] = {}
    district_rows, failures = [], []
    names = districts.set_index("pseudonym")
    failed_districts: dict[str, int] = {}
    for task in every:
        entry = manifest.entry(task)
        if entry is not None and not entry.get("ok"):
            if "district" in task.parameters:
                # The index names no district, not even by pseudonym, and an error can quote one: failed
                # district reports are only counted here; the run summary and the executed notebooks in
                # data/private/executed/ say which and why.
                kind = REPORT_KINDS[task.kind].title
                failed_districts[kind] = failed_districts.get(kind, 0) + 1
                continue
            failures.append((task.label, Outcome(task.stem, False, cell=entry.get("cell"),
                                                 error=entry.get("error", "")).describe()))
        elif manifest.is_current(task):
            district = task.parameters.get("district")
            kind = REPORT_KINDS[task.kind]
            if district is None:
                links.setdefault(kind.section, []).append((task.title, task.page.name))
            else:
                # the index names no district: its pages are counted by county, not listed
                label = task.label if kind.name == "district" else f"{task.label} ({kind.title})"
                district_rows.append({"pseudonym": district, "county": names.at[district, "county"],
                                      "district_name": label, "page": task.page.name})
    failures += [(f"{n} {kind.lower()}{'s' if n > 1 else ''}",
                  "which ones and why: the analyst's run summary and data/private/executed/*.failed.ipynb")
                 for kind, n in failed_districts.items()]
    links.setdefault(INDEX_SECTIONS[0], []).extend(
        (f"State table {year} ({p.suffix[1:].upper()})", p.name) for p in board_files)
    shown = {r["page"] for r in district_rows} | {p for pages in links.values() for _, p in pages}
    not_current = sum(1 for t in every if t.page.name not in shown) - len(failures)
    table = pd.DataFrame(district_rows, columns=["pseudonym", "county", "district_name", "page"])
    small = sum(not rules.may_meet(n) for n in districts.groupby("county").size())
    notes = {ROUNDTABLE_SECTION: (f"{small} {'county has' if small == 1 else 'counties have'} fewer than "
                                  f"{rules.min_peers + 1} reporting districts and no round-table page: each member, "
                                  f"setting its own figures aside, must still see {rules.min_peers} others.")} if small else {}
    return write_index(out_dir, year, links, table, rules, failures, source, snapshot, notes), not_current
