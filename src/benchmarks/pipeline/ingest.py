"""Ingest: submissions and public data, each run in one warehouse transaction that rebuilds the statistics."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from benchmarks.config import DEFAULT_MIN_PEERS, Paths
from benchmarks.intake.archive import ARCHIVE_MANIFEST, IntakeRun, intake_run, original_name, write_manifest
from benchmarks.intake.connectivity import ImportResult, store_public_file
from benchmarks.intake.limits import Limits
from benchmarks.intake.submissions import FileResult, identity_changes, move_legacy_crosswalk, store_submission_file
from benchmarks.pipeline.derive import rebuild_derived
from benchmarks.privacy.rules import Rules, rules_of


def ingest_files(files: list[Path], paths: Paths, key: bytes, min_peers: int = DEFAULT_MIN_PEERS,
                 limits: Limits | None = None, submitted_by: str | None = None) -> list[FileResult]:
    """Ingest submission files (CSV or XLSX) in one transaction and rebuild the derived tables with the
    disclosure rules for min_peers (stored with the warehouse). A file over a limit (limits, default:
    intake/limits.py) is refused and nothing of it stored; the other files of the batch are ingested.
    submitted_by: who sent the files, recorded with each (the data-quality page shows it)."""
    rules = Rules.for_min_peers(min_peers)
    with intake_run(paths, key, submitted_by) as run:
        run.names.append(move_legacy_crosswalk(run.con))
        results = [store_submission_file(run, Path(file), limits) for file in files]
        refuse_two_files_one_year(run, results)
        warn_identity_changes(run, results)
        run.meta.update(rules.as_meta())
        run.before_commit.append(lambda: rebuild_derived(run.con, rules))
    return results


class IngestConflict(ValueError):
    """One district and school year in two files of one run: which one counts would be the command line's order,
    so the run is refused (nothing stored) with both files named."""


def _run_names(run: IntakeRun) -> pd.DataFrame:
    """The district IDs and names of the rows this run stores, per (pseudonym, source_sha256)."""
    frames = [f for f in run.names if len(f)]
    if not frames:
        return pd.DataFrame(columns=["pseudonym", "source_sha256", "district_id", "district_name"])
    return pd.concat(frames, ignore_index=True).drop_duplicates(["pseudonym", "source_sha256"], keep="last")


def refuse_two_files_one_year(run: IntakeRun, results: list[FileResult]) -> None:
    """Refuse the run when one district's school year comes in two of its files (IngestConflict naming the
    district by the ID it sent, the year and both files): the analyst says which one counts by ingesting it
    last, in a run of its own."""
    shas = [r.sha256 for r in results if r.rows_accepted]
    if len(shas) < 2:
        return
    rows = run.con.execute(
        "SELECT pseudonym, school_year, source_sha256, min(received_seq) AS seq FROM submissions "
        "WHERE list_contains(?, source_sha256) GROUP BY ALL ORDER BY seq", [shas]).df()
    twice = rows[rows.duplicated(["pseudonym", "school_year"], keep=False)]
    if twice.empty:
        return
    file_of = {r.sha256: r.file for r in results}
    ids = _run_names(run).drop_duplicates("pseudonym").set_index("pseudonym")["district_id"]
    clashes = []
    for (who, year), g in twice.groupby(["pseudonym", "school_year"], sort=False):
        files = " and ".join(file_of[s] for s in g["source_sha256"])
        clashes.append(f"district {ids.get(who, who)} {year} is in both {files}")
    more = f" (and {len(clashes) - 3} more)" if len(clashes) > 3 else ""
    raise IngestConflict("; ".join(clashes[:3]) + more + ": nothing was stored; ingest the file that should count "
                         "on its own, after the other (a later submission replaces an earlier one)")


def warn_identity_changes(run: IntakeRun, results: list[FileResult]) -> None:
    """A row that gives its district another county, name or state than the district's previous submission is
    accepted with a warning on the file that brought it (the district's ID as sent, old and new values); the
    history (`benchmarks history`) shows the change, and each year's report compares with that year's county."""
    shas = [r.sha256 for r in results if r.rows_accepted]
    if not shas:
        return
    changes = identity_changes(run.con, run.paths, _run_names(run), shas)
    by_file = {r.sha256: r for r in results}
    for rec in changes.to_dict("records"):
        before = original_name(run.paths, rec["before_sha256"]) if rec["before_sha256"] not in by_file \
            else by_file[rec["before_sha256"]].file
        by_file[rec["source_sha256"]].notices.append(
            f"{by_file[rec['source_sha256']].file}: warning: district {rec['district_id']} {rec['school_year']} "
            f"changes its {rec['changes']} (before: {rec['before_year']}, {before}); accepted, check it is the "
            "same district")


def import_bandwidth(file: Path, paths: Paths, key: bytes, funding_year: int | None = None,
                     school_year: str | None = None) -> ImportResult:
    """Import one public district file (Connect K-12 / EducationSuperHighway format) in one transaction and
    rebuild the derived tables: its clean rows are peer figures for the school year its funding year pays for
    (or school_year), beside the submissions, under the warehouse's disclosure rules."""
    with intake_run(paths, key) as run:
        rules = rules_of(run.con)
        result = store_public_file(run, Path(file), funding_year, school_year)
        run.meta.update(rules.as_meta())
        run.before_commit.append(lambda: rebuild_derived(run.con, rules))
    if not result.already_imported:  # the years it was imported for, for `benchmarks rebuild`
        note_public_years(paths, result.sha256, result.funding_year, result.school_year)
    return result


def note_public_years(paths: Paths, sha: str, funding_year, school_year) -> None:
    """Note the funding year and school year a public file was imported for in its manifest: `benchmarks rebuild`
    imports it for the same years."""
    target = paths.raw / sha / ARCHIVE_MANIFEST
    try:
        manifest = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    manifest.update({"funding_year": funding_year, "school_year": school_year})
    write_manifest(target.parent, manifest)



