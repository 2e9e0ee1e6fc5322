"""Quarantine: rejected rows kept with their reasons and their cells as sent, in the analyst's owner-only files
(data/quarantine/); the warehouse keeps only which row of which file, and why in words that quote nothing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from benchmarks.files import private_folder, write_atomic
from benchmarks.intake.validate import Checked
from benchmarks.intake.workbook import sheet_and_row
from benchmarks.privacy.sheets import csv_bytes, xlsx_bytes
from benchmarks.warehouse.store import insert_frame


def quarantine_rows(checked: Checked) -> pd.DataFrame:
    """One row per quarantined row: its spreadsheet row, the reasons, and the cells as sent (text)."""
    rows = checked.quarantined_rows
    file_level = [p.where() for p in checked.table.file_problems]
    reasons: dict[int, list[str]] = {r: list(file_level) for r in rows}
    for p in checked.problems:
        if p.row is not None and p.row in reasons:
            reasons[p.row].append(p.where())
    cells = checked.table.frame.loc[rows] if rows else checked.table.frame.iloc[:0]
    out = pd.DataFrame({"source_row": pd.Series(rows, dtype="int64"),
                        "problems": ["; ".join(reasons[r]) for r in rows]})
    if len(checked.table.sheets) > 1:  # rows of several sheets: where each is, as the analyst finds it
        places = [sheet_and_row(r, checked.table.sheets) for r in rows]
        out.insert(1, "sheet", [s for s, _ in places])
        out.insert(2, "row_on_sheet", pd.Series([n for _, n in places], dtype="int64"))
    return pd.concat([out, cells.reset_index(drop=True).astype(str)], axis=1)


def plain_reasons(checked: Checked, rows: list[int]) -> list[str]:
    """Why each quarantined row was rejected, in words that quote nothing submitted (for the warehouse)."""
    file_level = [p.plain() for p in checked.table.file_problems]
    reasons: dict[int, list[str]] = {r: list(file_level) for r in rows}
    for p in checked.problems:
        if p.row is not None and p.row in reasons:
            reasons[p.row].append(p.plain())
    return ["; ".join(dict.fromkeys(reasons[r])) for r in rows]


def store_quarantine(con, sha: str, rows: list[int], reasons: list[str]) -> None:
    """Rejected rows into the warehouse's quarantine table (both intakes): file, row and reasons only. The cells
    as sent go to the quarantine file (write_quarantine), never to the warehouse."""
    insert_frame(con, "quarantine", pd.DataFrame({"source_sha256": sha, "source_row": pd.Series(rows, dtype="int64"),
                                                  "reasons": pd.Series(reasons, dtype=object)}))


def write_quarantine(target: Path, quarantined: pd.DataFrame, as_xlsx_too: bool) -> None:
    """The analyst's file: reasons and the cells as sent, neutralized so no spreadsheet evaluates them; owner-only
    in an owner-only folder, since the rows carry names and IDs."""
    private_folder(target.parent)
    write_atomic(target, csv_bytes(quarantined), private=True)
    if as_xlsx_too:
        write_atomic(target.with_suffix(".xlsx"), xlsx_bytes(quarantined, "Quarantined rows"), private=True)
