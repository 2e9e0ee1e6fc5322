"""Writing tables back to CSV and XLSX safely: text that a spreadsheet would run as a formula is neutralized."""

from __future__ import annotations

import io
import re

import pandas as pd

#: Spreadsheets treat a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")


def neutralize(value):
    """The value, with a leading apostrophe when it is text a spreadsheet would evaluate.

    Plain numbers such as -5 are left alone: spreadsheets read them as numbers, not formulas.
    """
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def neutralize_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of frame with every text cell and column name neutralized."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralize)
    out.columns = [neutralize(str(c)) for c in out.columns]
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with BOM, so Excel shows accents right) of a neutralized copy of frame."""
    return ("\ufeff" + neutralize_frame(frame).to_csv(index=False, lineterminator="\r\n")).encode("utf-8")


def xlsx_bytes(frame: pd.DataFrame, sheet: str = "Rows") -> bytes:
    """An .xlsx workbook of a neutralized copy of frame; every text cell is stored as text, never a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    safe = neutralize_frame(frame)

    def cell(value):
        if value is None or (isinstance(value, float) and value != value):
            return WriteOnlyCell(ws, value=None)
        if isinstance(value, str):  # control characters cannot be stored in XLSX
            c = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("\ufffd", value))
            c.data_type = "s"
            return c
        return WriteOnlyCell(ws, value=value)

    ws.append([cell(str(c)) for c in safe.columns])
    for row in safe.itertuples(index=False):
        ws.append([cell(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
