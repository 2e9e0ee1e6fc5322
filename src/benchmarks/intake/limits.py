"""Limits on what one submission file may hold, checked while it is read, before any row is built.

A district's file holds one row per district and school year: a few thousand rows, 19 columns, short cells. A
file far beyond that is a mistake (a workbook whose rows run to column XFD, a name pasted a million times) or an
attack, and reading it whole would exhaust the machine. Each limit is checked as the file streams in; a file over
one is refused with the limit named, and nothing of it is stored. Text fields have a length of their own: a row
whose district name runs past it is quarantined with the reason, the rest of the file is read.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


#: Fields whose text is shown on a report page: each has a maximum length (others have their own checks).
TEXT_LIMITED = ("district_name", "county")


@dataclass(frozen=True)
class Limits:
    """How much one submission file may hold. The defaults leave room for every district of the country over
    many years; tests and analysts may lower or raise them (`benchmarks validate --max-rows ...`)."""

    #: size of the file as sent (CSV bytes, or the .xlsx file), and of the workbook's parts once unpacked
    max_bytes: int = 100 * 1024 * 1024
    #: rows below the header
    max_rows: int = 1_000_000
    #: columns: the header's width, and the cells any row may reach
    max_columns: int = 100
    #: characters in one cell as read (longer cells make the file refused)
    max_cell_chars: int = 10_000
    #: characters in a district name or county (longer: the row is quarantined)
    max_text_chars: int = 200

    @property
    def max_unpacked_bytes(self) -> int:
        """An .xlsx is compressed XML: its parts may unpack to ten times the file size limit, no more."""
        return 10 * self.max_bytes


DEFAULT_LIMITS = Limits()
#: Each limit in words, for `benchmarks validate --help` and `ingest --help`.
LIMIT_HELP = {"max_bytes": "Largest file accepted (bytes); an .xlsx may unpack to ten times this.",
              "max_rows": "Most rows below the header.",
              "max_columns": "Most columns a row may reach.",
              "max_cell_chars": "Longest cell (characters); a longer one refuses the file.",
              "max_text_chars": "Longest district name or county (characters); a longer one quarantines its row."}
_ACTIVE: ContextVar[Limits] = ContextVar("intake_limits", default=DEFAULT_LIMITS)
#: The reasons of a refused file (its problem's reason), as the warehouse and the data-quality page count them.
LIMIT_REASONS = ("file over the size limit", "workbook over the size limit", "file over the column limit",
                 "cell over the length limit", "file over the row limit")


def active() -> Limits:
    """The limits of the file being read (reading_with)."""
    return _ACTIVE.get()


@contextmanager
def reading_with(limits: Limits | None):
    """Read files under these limits (the defaults when None)."""
    token = _ACTIVE.set(limits or DEFAULT_LIMITS)
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def is_refused(problems: Iterable) -> bool:
    """Whether a file's problems say it was refused for a limit (then nothing of it is stored)."""
    return any(p.row is None and p.reason in LIMIT_REASONS for p in problems)


def get_column_letter(n: int) -> str:
    """Column 1 -> A, 28 -> AB, 16384 -> XFD (as a spreadsheet names columns)."""
    letters = ""
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return letters


class OverLimit(Exception):
    """A file beyond one of the limits: what was found and the limit, in words for the person who sent it."""

    def __init__(self, expected: str, reason: str):
        super().__init__(expected)
        self.expected = expected
        self.reason = reason


def _bytes_text(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:,.1f} MB"
    if n >= 1024:
        return f"{n / 1024:,.1f} kB"
    return f"{n:,} bytes"


def check_size(size: int, limits: Limits) -> None:
    if size > limits.max_bytes:
        at_most = f"{limits.max_bytes:,} bytes"
        if limits.max_bytes >= 1024 * 1024:
            at_most = f"{_bytes_text(limits.max_bytes)} ({at_most})"
        raise OverLimit(f"a file of at most {at_most}; this one "
                        f"has {size:,} bytes (split it, one file per school year)", "file over the size limit")


def check_unpacked(sizes: Iterable[tuple[str, int]], limits: Limits) -> None:
    """The parts of an .xlsx workbook (name, unpacked size): refused if they unpack beyond the limit."""
    total = sum(size for _, size in sizes)
    if total > limits.max_unpacked_bytes:
        raise OverLimit(f"a workbook that unpacks to at most {_bytes_text(limits.max_unpacked_bytes)}; this one "
                        f"unpacks to {_bytes_text(total)} (a cell or sheet far beyond a submission's size)",
                        "workbook over the size limit")


def check_workbook(data: bytes, limits: Limits) -> None:
    """An .xlsx file's parts, from its zip directory (nothing unpacked): refused beyond the unpacked limit. A file
    that is no zip is left to the workbook reader to explain."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            sizes = [(i.filename, i.file_size) for i in zf.infolist()]
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    check_unpacked(sizes, limits)


def _columns_text(n: int) -> str:
    return f"{n:,} columns (to column {get_column_letter(n)})" if n <= 16384 else f"{n:,} columns"


def _too_wide(found: str, limits: Limits) -> OverLimit:
    return OverLimit(f"at most {limits.max_columns:,} columns; {found} (delete the cells right of the template's "
                     "columns, or save the sheet as CSV)", "file over the column limit")


def _too_long(row: int, column: int, length: int, header, limits: Limits) -> OverLimit:
    """column counts from 1; header: the first row read (its cell names the column), if any."""
    name = str(header[column - 1]).strip() if header and column <= len(header) and header[column - 1] else ""
    label = f"column {get_column_letter(column)}" + (f" ({name[:40]})" if name else "")
    return OverLimit(f"cells of at most {limits.max_cell_chars:,} characters; row {row}, {label} holds "
                     f"{length:,}", "cell over the length limit")


def _too_many_rows(limits: Limits) -> OverLimit:
    return OverLimit(f"at most {limits.max_rows:,} rows below the header; this file has more (split it, one file per "
                     "school year)", "file over the row limit")


def check_dimensions(ws, limits: Limits) -> None:
    """A sheet's stored size (its dimension), read before any cell: refused when it is over a limit. A sheet that
    stores none, or a wrong one, is still checked row by row (sheet_rows)."""
    try:
        max_column, max_row = ws.max_column, ws.max_row
    except (AttributeError, TypeError, ValueError):
        return
    if max_column and max_column > limits.max_columns:
        raise _too_wide(f"the sheet's rows reach {_columns_text(max_column)}", limits)
    if max_row and max_row > limits.max_rows + 1 + 1000:  # room for blank rows above the header
        raise OverLimit(f"at most {limits.max_rows:,} rows below the header; the sheet has {max_row:,} rows",
                        "file over the row limit")


def sheet_rows(ws, limits: Limits) -> list[tuple]:
    """A worksheet's rows as value tuples, never reading past the column limit: refused (OverLimit) when a row
    has a cell beyond it, a cell is over the length limit or there are too many rows."""
    check_dimensions(ws, limits)
    ws.reset_dimensions()  # some writers store a wrong sheet size; read what is there, up to the limit
    width = limits.max_columns
    rows: list[tuple] = []
    blank_above = 0
    for n, r in enumerate(ws.iter_rows(values_only=True, max_col=width + 1), start=1):
        if len(r) > width and any(v is not None and str(v).strip() for v in r[width:]):
            raise _too_wide(f"row {n} has a cell in column {get_column_letter(width + 1)} or beyond", limits)
        r = tuple(r[:width])
        for i, v in enumerate(r):
            if isinstance(v, str) and len(v) > limits.max_cell_chars:
                raise _too_long(n, i + 1, len(v), next((h for h in rows if any(h)), None), limits)
        if not rows and not any(v is not None and str(v).strip() for v in r):
            blank_above += 1
        if len(rows) - blank_above > limits.max_rows:  # the header plus max_rows rows are allowed
            raise _too_many_rows(limits)
        rows.append(r)
    return rows


@contextmanager
def _field_limit(chars: int):
    """csv's field size limit is process-wide: raised (or lowered) for one read, then put back."""
    old = csv.field_size_limit()
    csv.field_size_limit(chars)
    try:
        yield
    finally:
        csv.field_size_limit(old)


def csv_records(lines: Iterable[str], delimiter: str, limits: Limits) -> list[list[str]]:
    """The CSV records of lines, checked one by one: refused (OverLimit) when a record is wider than the column
    limit, a cell is over the length limit or there are more rows than the row limit."""
    out: list[list[str]] = []
    width = limits.max_columns
    # the parser stops a runaway cell (an unclosed quote) at 100 times the cell limit; the limit itself is checked
    # cell by cell below, naming the row and column
    with _field_limit(100 * limits.max_cell_chars + 1):
        reader = csv.reader(lines, delimiter=delimiter, strict=False)
        while True:
            try:
                record = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                if "field larger than field limit" in str(exc):
                    raise OverLimit(f"cells of at most {limits.max_cell_chars:,} characters; a cell that ends on "
                                    f"line {reader.line_num} holds over {100 * limits.max_cell_chars:,} (a quote "
                                    "left open?)", "cell over the length limit") from None
                raise
            if len(record) > width:
                if any(c.strip() for c in record[width:]):
                    raise _too_wide(f"row {reader.line_num} has {len(record):,} cells", limits)
                record = record[:width]
            if record and max(map(len, record)) > limits.max_cell_chars:
                column = next(i for i, c in enumerate(record) if len(c) > limits.max_cell_chars)
                raise _too_long(reader.line_num, column + 1, len(record[column]), out[0] if out else None, limits)
            if len(out) > limits.max_rows:
                raise _too_many_rows(limits)
            out.append(record)
    return out
