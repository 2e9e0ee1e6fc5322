"""Quarantine: rejected rows kept with their reasons and their cells as sent, in the warehouse and as files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from benchmarks.files import write_atomic
from benchmarks.intake.validate import Checked
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
    return pd.concat([out, cells.reset_index(drop=True).astype(str)], axis=1)


def store_quarantine(con, sha: str, original_name: str, rows: list[int], reasons: list[str],
                     raw_values: list[dict]) -> None:
    """Rejected rows into the warehouse's quarantine table (both intakes), cells as sent as JSON."""
    insert_frame(con, "quarantine", pd.DataFrame({
        "source_sha256": sha, "original_name": original_name, "source_row": rows, "reasons": reasons,
        "raw_values": [json.dumps(r, ensure_ascii=False) for r in raw_values]}))


def write_quarantine(target: Path, quarantined: pd.DataFrame, as_xlsx_too: bool) -> None:
    """The analyst's file: reasons and the cells as sent, neutralized so no spreadsheet evaluates them."""
    write_atomic(target, csv_bytes(quarantined))
    if as_xlsx_too:
        write_atomic(target.with_suffix(".xlsx"), xlsx_bytes(quarantined, "Quarantined rows"))
