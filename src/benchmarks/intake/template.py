"""The submission template (XLSX with Excel's own data validation, and CSV) and data dictionary, from the registry."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.files import write_atomic
from benchmarks.intake.reader import ENTRY_SHEET
from benchmarks.intake.schema import CONFIRM_COLUMN, expectations
from benchmarks.privacy.sheets import csv_bytes
from benchmarks.registry.metrics import CHOICES, FIELDS, data_dictionary

#: Rows of the entry sheet that carry Excel's data validation (a state chapter fits in one file).
ENTRY_ROWS = 5000
#: Fixed timestamp written into the workbook and its zip entries, so the same registry gives the same bytes.
_FIXED_TIME = datetime(2025, 1, 1)
_ZIP_TIME = (2025, 1, 1, 0, 0, 0)

#: The heading of the instructions' part on what a pre-filled template holds (benchmarks.intake.prefill).
PREFILLED_HEADING = "Filled in for you"

INSTRUCTIONS = (
    "District technology benchmarks: yearly submission",
    "",
    "How to fill in this workbook",
    f"1. Use the sheet '{ENTRY_SHEET}': one row per district and school year, starting on row 2.",
    "2. Keep the header row as it is: the column names are how the figures are recognized.",
    "3. Type figures as plain numbers. Excel checks each cell as you type it and explains what is expected.",
    "4. Shares such as the E-rate discount: type 80% or 0.8. Bandwidth is in Mbps (1 Gbps = 1000).",
    "5. Leave a cell empty only where the data dictionary says the field is optional.",
    "6. Before sending, check the file: benchmarks validate <this file> (your association can run it for you).",
    "",
    "What happens to your figures",
    "Your district identifier is replaced by a keyed pseudonym; other districts never see your figures,",
    "only medians and quartiles of groups of at least five districts. The file you send is kept unchanged.",
    "",
    "The sheet 'Data dictionary' defines every field and every benchmark computed from them.",
    "An example row (do not copy it into the entry sheet):",
)


def _entry_validations(ws, rows: int = ENTRY_ROWS) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    words = expectations()
    for i, f in enumerate(FIELDS, start=1):
        col = get_column_letter(i)
        cells = f"{col}2:{col}{rows + 1}"
        if f.name in CHOICES:
            dv = DataValidation(type="list", formula1='"' + ",".join(CHOICES[f.name]) + '"',
                                allow_blank=True, error=words[f.name])
        elif f.name == "school_year":
            dv = DataValidation(type="textLength", operator="equal", formula1="7", allow_blank=True,
                                error=words["school_year"])
        elif f.dtype in ("integer", "number"):
            dv = DataValidation(type="whole" if f.dtype == "integer" else "decimal", operator="between",
                                formula1=f"{f.min:g}", formula2=f"{f.max:.15g}", allow_blank=True,
                                error=words[f"range:{f.name}"])
        else:
            dv = DataValidation(type="textLength", operator="greaterThan", formula1="0", allow_blank=True,
                                error="some text")
        dv.errorTitle = f.label
        dv.promptTitle = f.label[:32]
        dv.prompt = f.description[:255]
        dv.showErrorMessage = dv.showInputMessage = True
        dv.errorStyle = "stop"
        dv.add(cells)
        ws.add_data_validation(dv)


_FORMATS = {"text": "@", "integer": "#,##0", "number": "#,##0.##", "%": "0%"}
#: The instructions' headings, set in bold.
_HEADINGS = ("How to fill in this workbook", "What happens to your figures", PREFILLED_HEADING)


@dataclass(frozen=True)
class Filled:
    """Rows to put in the entry sheet (a template pre-filled for districts), and what to tell its reader."""

    #: one row per district, the FIELDS as columns; a missing value is a blank cell
    rows: pd.DataFrame
    #: lines for the instructions sheet, after the numbered steps
    guide: tuple[str, ...] = ()
    #: a note on a column's header cell, by field name
    column_notes: dict[str, str] = field(default_factory=dict)
    #: a note on one cell, by (position of the row in rows, field name): why it was left blank
    cell_notes: dict[tuple[int, str], str] = field(default_factory=dict)
    #: the note on an extra last column where the district confirms its flagged values (a confirmation sheet)
    confirm_note: str = ""


def _value(value):
    """A frame's value as a cell takes it: None for a blank, numpy numbers as Python's."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    return value.item() if isinstance(value, (np.integer, np.floating)) else value


def _fill(entry, filled: Filled) -> None:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.comments import Comment

    column = {f.name: i for i, f in enumerate(FIELDS, start=1)}
    for r, values in enumerate(filled.rows[list(column)].itertuples(index=False), start=2):
        for f, value in zip(FIELDS, values):
            if (value := _value(value)) is None:
                continue
            cell = entry.cell(r, column[f.name])
            if f.dtype == "text":
                cell.value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value))
                cell.data_type = "s"  # a name such as "=..." stays the text it is, never a formula
            else:
                cell.value = value
    for name, note in filled.column_notes.items():
        entry.cell(1, column[name]).comment = Comment(note, "district-benchmarks", width=360, height=150)
    for (pos, name), note in filled.cell_notes.items():
        entry.cell(pos + 2, column[name]).comment = Comment(note, "district-benchmarks", width=360, height=110)


def submission_workbook(filled: Filled | None = None) -> bytes:
    """The XLSX template: instructions, the entry sheet with Excel's data validation, the data dictionary; with
    `filled`, the entry sheet holds its rows and the instructions say what was filled in, and from where."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    guide = wb.active
    guide.title = "Instructions"
    steps = INSTRUCTIONS.index("What happens to your figures")
    lines = INSTRUCTIONS[:steps] + (filled.guide + ("",) if filled else ()) + INSTRUCTIONS[steps:]
    for line in lines:
        guide.append([line])
    guide["A1"].font = Font(bold=True, size=14)
    for row, line in enumerate(lines, start=1):
        if line in _HEADINGS:
            guide.cell(row, 1).font = Font(bold=True)
    guide.append([f.name for f in FIELDS])
    guide.append([f.example for f in FIELDS])
    guide.column_dimensions["A"].width = 24

    entry = wb.create_sheet(ENTRY_SHEET)
    entry.append([f.name for f in FIELDS])
    rows = len(filled.rows) if filled else 0
    for i, f in enumerate(FIELDS, start=1):
        letter = get_column_letter(i)
        entry.cell(1, i).font = Font(bold=True)
        entry.column_dimensions[letter].width = max(12, len(f.name) + 2)
        fmt = _FORMATS["%" if f.unit == "%" else f.dtype]
        # formats on the rows to fill in (the first 200 of a blank template: Excel carries them down as people type)
        for r in range(2, rows + 2 if filled else 202):
            entry.cell(r, i).number_format = fmt
    entry.freeze_panes = "A2"
    _entry_validations(entry, max(ENTRY_ROWS, rows))
    if filled:
        _fill(entry, filled)
    if filled and filled.confirm_note:
        from openpyxl.comments import Comment

        cell = entry.cell(1, len(FIELDS) + 1, CONFIRM_COLUMN)
        cell.font = Font(bold=True)
        cell.comment = Comment(filled.confirm_note, "district-benchmarks", width=360, height=150)

    dictionary = wb.create_sheet("Data dictionary")
    table = data_dictionary()
    dictionary.append(list(table.columns))
    for row in table.itertuples(index=False):
        dictionary.append(list(row))
    for cell in dictionary[1]:
        cell.font = Font(bold=True)
    wb.active = 1
    wb.properties.creator = "district-benchmarks"
    wb.properties.created = wb.properties.modified = _FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    return _reproducible(buf.getvalue())


def _reproducible(data: bytes) -> bytes:
    """The same workbook with fixed zip timestamps and document dates, so regenerating it changes no byte."""
    import re

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                stamp = _FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                content = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + stamp, content)
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, content)
    return out.getvalue()


def submission_csv(filled: Filled) -> bytes:
    """The CSV template holding `filled`'s rows: UTF-8 with a BOM (so Excel shows accented names right), text a
    spreadsheet would run as a formula neutralized, numbers as typed (1000, not 1000.0 or 1e+03)."""

    def text(value) -> str:
        value = _value(value)
        return "" if value is None else format(value, ".15g") if isinstance(value, float) else str(value)

    return csv_bytes(pd.DataFrame({f.name: [text(v) for v in filled.rows[f.name]] for f in FIELDS}, dtype=object))


def template_files() -> dict[str, bytes]:
    """The files of data/template/ generated from the metric registry, by name."""
    example = ",".join(f'"{f.example}"' if "," in f.example else f.example for f in FIELDS)
    header = ",".join(f.name for f in FIELDS)
    return {
        "data_dictionary.csv": data_dictionary().to_csv(index=False, lineterminator="\n").encode("utf-8"),
        "submission_template.csv": f"{header}\n{example}\n".encode("utf-8"),
        "submission_template.xlsx": submission_workbook(),
    }


def write_template(template_dir: Path) -> list[Path]:
    """Write the data dictionary and the CSV and XLSX submission templates into template_dir."""
    written = []
    for name, data in template_files().items():
        write_atomic(template_dir / name, data)
        written.append(template_dir / name)
    return written
