"""Reading what districts really send (CSV in any common encoding and delimiter, or an Excel workbook) as text cells."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time

import pandas as pd

from benchmarks.intake import limits as intake_limits
from benchmarks.intake.schema import FIRST_DATA_ROW, Problem, header_aliases, missing_columns, normalize_header
from benchmarks.intake.units import Context

#: Name of the entry sheet of the XLSX template; other workbooks are searched for a sheet with the header.
ENTRY_SHEET = "Submission"
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
#: Column holding the cells of a row that had more cells than the header, so nothing sent is dropped.
EXTRA_CELLS = "(cells beyond the header)"
_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"


@dataclass
class SourceTable:
    """A file's rows as text cells under field-name headers, indexed by the row number a spreadsheet shows."""

    file: str
    frame: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""
    sheet: str = ""
    context: Context = field(default_factory=Context)
    conversions: pd.DataFrame | None = None
    #: notes that quote the file (a header cell), by position in notes, as the warehouse keeps them
    plain: dict[int, str] = field(default_factory=dict)

    @property
    def file_problems(self) -> list[Problem]:
        return [p for p in self.problems if p.row is None]

    @property
    def describe(self) -> str:
        """How the file was read, in a few words for the manifest."""
        delimiter = f"{DELIMITERS[self.delimiter]}-separated" if self.delimiter else ""
        parts = [self.encoding, delimiter, f"sheet {self.sheet!r}" if self.sheet else ""]
        return ", ".join(p for p in parts if p)

    @property
    def plain_describe(self) -> str:
        """How the file was read, without the sheet's name (it is often the district's): for the warehouse."""
        delimiter = f"{DELIMITERS[self.delimiter]}-separated" if self.delimiter else ""
        return ", ".join(p for p in [self.encoding, delimiter, "an .xlsx sheet" if self.sheet else ""] if p)

    @property
    def plain_notes(self) -> list[str]:
        """The notes without what they quote of the file: for the warehouse."""
        return [self.plain.get(i, note) for i, note in enumerate(self.notes)]


def _empty(file: str, problem: str, reason: str, **kw) -> SourceTable:
    return SourceTable(file, pd.DataFrame(), [Problem(file, None, "(file)", "", problem, reason)], **kw)


def read_submission(data: bytes, file: str, limits: intake_limits.Limits | None = None) -> SourceTable:
    """Read a submission file's bytes; what cannot be read safely becomes a Problem, never an exception. A file
    over a limit (intake/limits.py) is refused with the limit named, before its rows are built."""
    with intake_limits.reading_with(limits):
        try:
            intake_limits.check_size(len(data), intake_limits.active())
            return _read_submission(data, file)
        except intake_limits.OverLimit as over:
            return _empty(file, over.expected, over.reason)


def _read_submission(data: bytes, file: str) -> SourceTable:
    if data.startswith(_XLSX_MAGIC):
        return _read_xlsx(data, file)
    if data.startswith(_OLE_MAGIC):
        return _empty(file, "a CSV file or an .xlsx workbook (this is an old .xls workbook or another Office "
                            "file: save it as .xlsx or CSV)", "not a CSV or XLSX file")
    text, encoding, problem = decode(data)
    if problem:
        return _empty(file, problem, "not readable as text")
    return _read_csv(text, file, encoding)


def decode(data: bytes) -> tuple[str, str, str]:
    """Text, the encoding used, and a problem if the bytes are no text in an encoding we can tell apart safely."""
    if data.startswith(b"\xef\xbb\xbf"):
        codecs = [("utf-8-sig", "UTF-8 with BOM")]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        codecs = [("utf-16", "UTF-16")]  # Excel's "Unicode text" export
    elif data[:8192].count(b"\x00") > max(4, len(data[:8192]) // 100):
        # Many NUL bytes: an image, a PDF, an old Office file. A stray NUL in a cell is left to the row checks.
        return "", "", "a CSV text file or an .xlsx workbook (this file holds binary data)"
    else:
        codecs = [("utf-8", "UTF-8"), ("cp1252", "Windows-1252")]
    for codec, name in codecs:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as exc:
            last = exc
            continue
        return text, name, ""
    return "", "", (f"a CSV file saved as UTF-8 or Windows-1252 (byte 0x{last.object[last.start]:02x} at "
                    f"position {last.start} is neither)")


def _sniff_delimiter(header_line: str) -> str:
    """The delimiter under which the header names the most template columns (comma on a tie)."""
    aliases = header_aliases()

    def score(delim: str) -> tuple[int, int]:
        cells = next(csv.reader([header_line], delimiter=delim), [])
        return sum(normalize_header(c) in aliases for c in cells), len(cells)

    return max(DELIMITERS, key=score)


def _read_csv(text: str, file: str, encoding: str) -> SourceTable:
    first = next((line for line in text.splitlines() if line.strip()), "")
    if not first:
        return _empty(file, "a header row and at least one data row (the file is empty)", "empty file",
                      encoding=encoding)
    delimiter = _sniff_delimiter(first)
    try:
        records = intake_limits.csv_records(io.StringIO(text, newline=""), delimiter, intake_limits.active())
    except csv.Error as exc:
        return _empty(file, f"a CSV file that can be read ({exc})", "not readable as CSV", encoding=encoding,
                      delimiter=delimiter)
    table = _table(records, file, 1)
    table.encoding, table.delimiter = encoding, delimiter
    table.context = Context(decimal_comma_possible=delimiter != ",")
    return table


def _cell_text(value) -> str:
    """A spreadsheet cell as the text a person sees: whole numbers without .0, dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        text = repr(value)
        # a number cell is never "1.200 or 1200?": a trailing zero keeps 999.999 from reading as a thousands group
        return text + "0" if re.fullmatch(r"[+-]?\d{1,3}\.\d{3}", text) else text
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def _read_xlsx(data: bytes, file: str) -> SourceTable:
    import openpyxl

    intake_limits.check_workbook(data, intake_limits.active())
    try:
        values = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        formulas = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        return _empty(file, f"an .xlsx workbook that opens ({type(exc).__name__}: {exc})", "broken workbook")
    except Exception as exc:  # openpyxl raises its own InvalidFileException and XML errors on broken files
        return _empty(file, f"an .xlsx workbook that opens ({type(exc).__name__}: {exc})", "broken workbook")
    try:
        name = _pick_sheet(values)
        rows_v = _sheet_rows(values[name])
        rows_f = _sheet_rows(formulas[name])
    finally:
        values.close()
        formulas.close()
    problems: list[Problem] = []
    records: list[list[str]] = []
    header_seen = False
    calculated = 0
    for n, (vals, forms) in enumerate(zip(rows_v, rows_f), start=1):
        cells = [_cell_text(v) for v in vals]
        for i, (v, f) in enumerate(zip(vals, forms)):
            if isinstance(f, str) and f.startswith("=") and v != f and header_seen:
                calculated += v is not None
                if v is None:
                    problems.append(Problem(file, n, f"(column {i + 1})", f, "a typed value; this cell holds a "
                                            "formula that Excel has not calculated (open and save the file in "
                                            "Excel, or type the value)", "formula without a calculated value"))
        header_seen = header_seen or any(c.strip() for c in cells)
        records.append(cells)
    table = _table(records, file, 1)
    table.problems = problems + table.problems
    if calculated:
        table.notes.append(f"{calculated} cells hold formulas: the values Excel calculated were read, the formulas "
                           "were not evaluated")
    _name_formula_columns(table)
    table.sheet, table.encoding = name, "XLSX"
    table.context = Context(decimal_comma_possible=True)  # text cells in a workbook carry no separator hint
    return table


def _name_formula_columns(table: SourceTable) -> None:
    """Replace '(column 3)' in formula problems by the header name, once the header is known."""
    cols = list(table.frame.columns)
    fixed = []
    for p in table.problems:
        if p.column.startswith("(column ") and p.row is not None:
            i = int(p.column[8:-1]) - 1
            p = Problem(p.file, p.row, cols[i] if i < len(cols) else p.column, p.value, p.expected, p.reason)
        fixed.append(p)
    table.problems = fixed


def _sheet_rows(ws) -> list[tuple]:
    # some writers store a wrong sheet size: read what is there, never past the column, row and cell limits
    return intake_limits.sheet_rows(ws, intake_limits.active())


def _pick_sheet(wb) -> str:
    """The entry sheet: the template's by name, else the first sheet whose first row names template columns."""
    if ENTRY_SHEET in wb.sheetnames:
        return ENTRY_SHEET
    aliases = header_aliases()
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True, max_row=5):
            names = [normalize_header(_cell_text(v)) for v in row]
            if sum(n in aliases for n in names) >= 3:
                return ws.title
    return wb.worksheets[0].title


def _table(records: list[list[str]], file: str, first_row: int) -> SourceTable:
    """Header and rows from raw records; record i is spreadsheet row first_row + i."""
    numbered = [(first_row + i, r) for i, r in enumerate(records)]
    nonblank = [(n, r) for n, r in numbered if any(str(c).strip() for c in r)]
    if not nonblank:
        return _empty(file, "a header row and at least one data row (the file is empty)", "empty file")
    header_row, header = nonblank[0]
    while header and not str(header[-1]).strip():
        header = header[:-1]  # trailing empty header cells (",,," left by spreadsheets)
    names = [normalize_header(h) for h in header]
    aliases = header_aliases()
    columns = [aliases.get(n, n) for n in names]
    problems: list[Problem] = []
    notes: list[str] = []
    plain: dict[int, str] = {}
    seen: dict[str, int] = {}
    for i, (raw, col) in enumerate(zip(header, columns)):
        if not col:
            columns[i] = f"(unnamed column {i + 1})"
            notes.append(f"column {i + 1} has no name in the header row and was ignored")
        elif col in seen:
            problems.append(Problem(file, None, col, "", f"each column once in the header row (it appears as "
                                    f"column {seen[col] + 1} and column {i + 1})", "column appears twice"))
        elif col not in aliases.values():
            plain[len(notes)] = f"column {i + 1} is not part of the template and was ignored"
            notes.append(f"column {str(raw).strip()!r} is not part of the template and was ignored")
        seen.setdefault(col, i)
    rows, index, ragged = [], [], []
    width = len(columns)
    for n, r in nonblank[1:]:
        cells = [str(c) for c in r]
        extra = cells[width:]
        if any(c.strip() for c in extra):
            ragged.append(Problem(file, n, "(row)", "", f"{width} cells like the header row, but the row has "
                                  f"{len(cells)} (an unquoted comma, as in 1,200, splits a cell in two)",
                                  "more cells than the header"))
        elif len(cells) < width:
            ragged.append(Problem(file, n, "(row)", "", f"{width} cells like the header row, but the row has "
                                  f"{len(cells)}", "fewer cells than the header"))
        rows.append(cells[:width] + [""] * (width - len(cells[:width])) + ["\x1f".join(extra).strip("\x1f")])
        index.append(n)
    frame = pd.DataFrame(rows, index=pd.Index(index, dtype="int64"), columns=columns + [EXTRA_CELLS], dtype=object)
    if not frame[EXTRA_CELLS].astype(bool).any():
        frame = frame.drop(columns=EXTRA_CELLS)
    frame = frame.loc[:, ~pd.Index(frame.columns).duplicated()]
    if frame.empty:
        problems.append(Problem(file, None, "(file)", "", f"at least one data row below the header (row "
                                f"{header_row})", "no data rows"))
    if header_row != FIRST_DATA_ROW - 1:
        notes.append(f"the header is on row {header_row}")
    missing = missing_columns(list(frame.columns))
    problems += [Problem(file, None, col, "", "this column in the header row", "missing column") for col in missing]
    return SourceTable(file, frame, problems + ragged, notes, plain=plain)
