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
from benchmarks.intake.schema import CONFIRM_COLUMN, FIRST_DATA_ROW, Problem, header_aliases, missing_columns, normalize_header
from benchmarks.intake.units import Context
from benchmarks.intake.workbook import SHEET_ROWS, merged_ranges, sheet_and_row

#: Name of the entry sheet of the XLSX template; every visible sheet with the template's header is read.
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
    #: the workbook's sheets read, in order (row r of sheets[k] is source row k * SHEET_ROWS + r)
    sheets: list[str] = field(default_factory=list)
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
        sheets = ("sheets " + ", ".join(map(repr, self.sheets)) if len(self.sheets) > 1
                  else f"sheet {self.sheet!r}" if self.sheet else "")
        parts = [self.encoding, delimiter, sheets]
        return ", ".join(p for p in parts if p)

    @property
    def plain_describe(self) -> str:
        """How the file was read, without the sheet's name (it is often the district's): for the warehouse."""
        delimiter = f"{DELIMITERS[self.delimiter]}-separated" if self.delimiter else ""
        sheets = f"{len(self.sheets)} .xlsx sheets" if len(self.sheets) > 1 else "an .xlsx sheet" if self.sheet else ""
        return ", ".join(p for p in [self.encoding, delimiter, sheets] if p)

    def place(self, row: int) -> str:
        """A row as a person finds it: "row 4", or "sheet 'Lake', row 4" when several sheets were read."""
        if len(self.sheets) < 2:
            return f"row {row}"
        sheet, n = sheet_and_row(row, self.sheets)
        return f"sheet {sheet!r}, row {n}"

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
    """Every visible sheet with the template's header, counted and numbered apart (workbook.SHEET_ROWS); hidden
    sheets are never read silently: left aside with a note, or, when only hidden sheets hold the header, read
    and refused as a whole (their rows quarantined)."""
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
        names, hidden = _pick_sheet(values)
        only_hidden = not names and bool(hidden)
        read = [_read_sheet(data, values[n], formulas[n], file) for n in (hidden if only_hidden else names)]
        skipped = [(n, len(_table([[_cell_text(v) for v in r] for r in _sheet_rows(values[n])], file, 1).frame))
                   for n in ([] if only_hidden else hidden)]
    finally:
        values.close()
        formulas.close()
    table = _join_sheets(read, file)
    for n, rows in skipped:
        counted = f"{rows} row{'' if rows == 1 else 's'} below its header"
        table.plain[len(table.notes)] = f"a hidden sheet was not read ({counted})"
        table.notes.append(f"sheet {n!r} is hidden and was not read ({counted}): unhide it "
                           "and send it on its own if it holds the figures")
    if only_hidden:
        shown = ", ".join(repr(n) for n in hidden)
        table.problems.insert(0, Problem(file, None, "(file)", "", f"the figures on a visible sheet: the only "
                                         f"sheets with the template's header ({shown}) are hidden, often a draft "
                                         "(unhide the sheet in Excel if it holds the figures to send)",
                                         "only hidden sheets"))
    return table


def _read_sheet(data: bytes, values_ws, formulas_ws, file: str) -> SourceTable:
    """One sheet's rows as text cells: values Excel calculated, uncalculated formulas and merged cells as problems."""
    problems: list[Problem] = []
    records: list[list[str]] = []
    header_seen = False
    calculated = 0
    for n, (vals, forms) in enumerate(zip(_sheet_rows(values_ws), _sheet_rows(formulas_ws)), start=1):
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
    width = max(map(len, records), default=0)  # a sheet has no short rows: a trailing cell left empty is empty
    table = _table([r + [""] * (width - len(r)) for r in records], file, 1)
    table.problems = problems + table.problems
    if calculated:
        table.notes.append(f"{calculated} cells hold formulas: the values Excel calculated were read, the formulas "
                           "were not evaluated")
    _name_formula_columns(table)
    cols = list(table.frame.columns)
    fields = set(header_aliases().values())
    for ref, lo_col, lo_row, hi_col, hi_row in merged_ranges(data, values_ws):
        named = [c for c in cols[lo_col - 1:hi_col] if c in fields]
        for r in (r for r in table.frame.index if lo_row <= r <= hi_row and named):
            table.problems.append(Problem(file, int(r), ", ".join(named), "", f"one value per cell: cells {ref} "
                                          "are merged; unmerge them and put each value in its own cell",
                                          "merged cells"))
    table.sheet = values_ws.title
    return table


def _join_sheets(tables: list[SourceTable], file: str) -> SourceTable:
    """The sheets read as one table: the k-th sheet's rows numbered from k * SHEET_ROWS, notes and problems
    naming their sheet when there are several, "no data rows" only when no sheet has any."""
    many = len(tables) > 1
    out = SourceTable(file, pd.DataFrame(), encoding="XLSX", sheet=tables[0].sheet,
                      context=Context(decimal_comma_possible=True))  # text cells carry no separator hint
    frames = []
    for t in tables:
        if many and t.frame.empty and any(len(o.frame) for o in tables):
            out.notes.append(f"sheet {t.sheet!r} has the template's header but no rows below it")
            out.plain[len(out.notes) - 1] = "a sheet has the template's header but no rows below it"
            continue
        k = len(out.sheets)
        out.sheets.append(t.sheet)
        frames.append(t.frame.set_axis(t.frame.index + k * SHEET_ROWS, axis=0) if k else t.frame)
        on = f"sheet {t.sheet!r}: " if many else ""
        for i, note in enumerate(t.notes):
            if i in t.plain:
                out.plain[len(out.notes)] = ("a sheet's " if many else "") + t.plain[i]
            out.notes.append(on + note)
        for p in t.problems:
            row = None if p.row is None else p.row + k * SHEET_ROWS
            expected = f"{p.expected} (sheet {t.sheet!r})" if many and row is None else p.expected
            if (p := Problem(file, row, p.column, p.value, expected, p.reason)) not in out.problems:
                out.problems.append(p)
    out.frame = pd.concat(frames).fillna("") if len(frames) > 1 else frames[0] if frames else pd.DataFrame()
    return out


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


def _pick_sheet(wb) -> tuple[list[str], list[str]]:
    """The visible sheets whose first rows name template columns (the header), in workbook order, and the hidden
    ones; when no sheet has the header, the first visible sheet (its missing columns are then the problems)."""
    aliases = header_aliases()
    visible, hidden = [], []
    for ws in wb.worksheets:
        if any(sum(normalize_header(_cell_text(v)) in aliases for v in row) >= 3
               for row in ws.iter_rows(values_only=True, max_row=5)):
            (visible if ws.sheet_state == "visible" else hidden).append(ws.title)
    if not visible and not hidden:
        visible = [next((ws.title for ws in wb.worksheets if ws.sheet_state == "visible"), wb.worksheets[0].title)]
    return visible, hidden


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
        elif col not in aliases.values() and col != CONFIRM_COLUMN:
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
