"""Confirmation sheets: each flagged district's own unusual values sent back in the template, to confirm or correct."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from benchmarks.config import Paths
from benchmarks.files import private_folder, write_atomic
from benchmarks.intake.reader import read_submission
from benchmarks.intake.template import Filled, submission_workbook
from benchmarks.registry.metrics import FIELDS
from benchmarks.warehouse.queries import year_or_latest
from benchmarks.warehouse.store import connect, has_table

#: What the sheet's `confirmed` column asks (its header's note and the instructions).
CONFIRM_NOTE = ("Type yes in this column to confirm the flagged values of the row as they are. To correct a value, "
                "type the right figure in its cell instead and leave this column blank. Then send the workbook back "
                "as your submission: it replaces the row on record (the earlier one is kept in the history).")


def current_flags(con, school_year: str) -> pd.DataFrame:
    """The flags of the submissions that count for the year (the latest received of each district): pseudonym,
    source_sha256, source_row, column_name, reason. A replaced or confirmed submission's flags are not current."""
    if not has_table(con, "flags"):
        return pd.DataFrame(columns=["pseudonym", "source_sha256", "source_row", "column_name", "reason"])
    return con.execute("""
        WITH current AS (SELECT pseudonym, source_sha256, source_row FROM submissions WHERE school_year = ?
                         QUALIFY row_number() OVER (PARTITION BY pseudonym ORDER BY received_seq DESC) = 1)
        SELECT c.pseudonym, f.source_sha256, f.source_row, f.column_name, f.reason
        FROM flags f JOIN current c USING (source_sha256, source_row)
        ORDER BY c.pseudonym, f.source_row, f.column_name, f.reason""", [school_year]).df()


def confirmation_folder(paths: Paths, school_year: str) -> Path:
    """data/private/confirmations/<year>/: owner-only, the sheets name their districts."""
    return paths.private / "confirmations" / school_year


def _row_as_sent(paths: Paths, sha: str, row: int, cache: dict) -> pd.Series:
    """The row of the archived file as the district sent it (text cells under the template's field names)."""
    if sha not in cache:
        archived = next(p for p in (paths.raw / sha).iterdir() if p.name.startswith(sha[:12]))
        cache[sha] = read_submission(archived.read_bytes(), archived.name).frame
    return cache[sha].loc[row]


def confirmation_sheet(sent: pd.Series, flags: pd.DataFrame) -> Filled:
    """One district's sheet: its row as sent, a note on each flagged cell with why, and the confirm column."""
    rows = pd.DataFrame([{f.name: sent.get(f.name, "") for f in FIELDS}])
    notes: dict[tuple[int, str], list[str]] = {}
    guide = ["Some of your figures look unusual (they were accepted, not changed):"]
    for f in flags.itertuples():
        columns = f.column_name.split(", ")
        shown = ", ".join(f"{c} {sent.get(c, '')}" for c in columns)
        guide.append(f"- {shown}: {f.reason}")
        notes.setdefault((0, columns[0]), []).append(f.reason)
    guide.append(CONFIRM_NOTE)
    return Filled(rows, tuple(guide), cell_notes={k: "; ".join(v) for k, v in notes.items()},
                  confirm_note=CONFIRM_NOTE)


def write_confirmations(paths: Paths, school_year: str | None = None) -> list[Path]:
    """For each district with current flags in the year, a workbook in the template's format holding only its
    own row, its flagged values with the reasons and a `confirmed` column: <folder>/confirm_<year>_<ID>.xlsx."""
    with connect(paths.warehouse, read_only=True) as con:
        year = year_or_latest(con, school_year)
        flags = current_flags(con, year)
    folder = confirmation_folder(paths, year)
    written, cache = [], {}
    for (sha, row), own in flags.groupby(["source_sha256", "source_row"], sort=False):
        sent = _row_as_sent(paths, sha, int(row), cache)
        did = "".join(ch for ch in str(sent.get("district_id", "")) if ch.isalnum()) or own["pseudonym"].iloc[0]
        target = private_folder(folder) / f"confirm_{year}_{did}.xlsx"
        write_atomic(target, submission_workbook(confirmation_sheet(sent, own)), private=True)
        written.append(target)
    return written

