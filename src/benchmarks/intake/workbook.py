"""Workbooks as a person sees them: merged cells, and how a row of a later sheet is numbered apart from the first
sheet's (which sheets are read: benchmarks.intake.reader)."""

from __future__ import annotations

import io
import re
import zipfile

#: Row r of the k-th sheet read (k from 0) is source row k * SHEET_ROWS + r: the rows of several sheets stay
#: apart in the warehouse and the quarantine (a sheet holds at most 1,048,576 rows); the first sheet's rows keep
#: the number Excel shows.
SHEET_ROWS = 10_000_000
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\s[^>]*?ref=\"([A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?)\"")


def merged_ranges(data: bytes, ws) -> list[tuple[str, int, int, int, int]]:
    """(reference as Excel writes it, first column, first row, last column, last row) of each merged range of a
    read-only sheet (openpyxl reads merged cells only when it loads the whole workbook: read from the sheet XML)."""
    from openpyxl.utils import range_boundaries

    path = getattr(ws, "_worksheet_path", "").lstrip("/")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            xml = z.read(path) if path else b""
    except (KeyError, zipfile.BadZipFile):
        return []
    out = []
    for ref in _MERGE.findall(xml):
        text = ref.decode("ascii")
        lo_col, lo_row, hi_col, hi_row = range_boundaries(text)
        out.append((text, lo_col, lo_row, hi_col, hi_row))
    return out


def sheet_and_row(row: int, sheets: list[str]) -> tuple[str, int]:
    """The sheet a source row is on and its row number there."""
    return sheets[min(row // SHEET_ROWS, len(sheets) - 1)], row % SHEET_ROWS
