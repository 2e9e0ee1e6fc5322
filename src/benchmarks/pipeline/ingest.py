"""Ingest: submissions and public data, each run in one warehouse transaction that rebuilds the statistics."""

from __future__ import annotations

from pathlib import Path

from benchmarks.config import DEFAULT_MIN_PEERS, Paths
from benchmarks.intake.archive import intake_run
from benchmarks.intake.connectivity import ImportResult, store_public_file
from benchmarks.intake.limits import Limits
from benchmarks.intake.submissions import FileResult, move_legacy_crosswalk, store_submission_file
from benchmarks.pipeline.derive import rebuild_derived
from benchmarks.privacy.rules import Rules, rules_of


def ingest_files(files: list[Path], paths: Paths, key: bytes, min_peers: int = DEFAULT_MIN_PEERS,
                 limits: Limits | None = None) -> list[FileResult]:
    """Ingest submission files (CSV or XLSX) in one transaction and rebuild the derived tables with the
    disclosure rules for min_peers (stored with the warehouse). A file over a limit (limits, default:
    intake/limits.py) is refused and nothing of it stored; the other files of the batch are ingested."""
    rules = Rules.for_min_peers(min_peers)
    with intake_run(paths, key) as run:
        run.names.append(move_legacy_crosswalk(run.con))
        results = [store_submission_file(run, Path(file), limits) for file in files]
        run.meta.update(rules.as_meta())
        run.before_commit.append(lambda: rebuild_derived(run.con, rules))
    return results


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
        return result
