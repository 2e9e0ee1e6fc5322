"""The submission template (XLSX with Excel's own data validation, and CSV) and data dictionary, from the registry."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

from benchmarks.files import write_atomic
from benchmarks.intake.reader import ENTRY_SHEET
from benchmarks.intake.schema import expectations
from benchmarks.registry.metrics import CHOICES, FIELDS, data_dictionary

#: Rows of the entry sheet that carry Excel's data validation (a state chapter fits in one file).
ENTRY_ROWS = 5000
#: Fixed timestamp written into the workbook and its zip entries, so the same registry gives the same bytes.
_FIXED_TIME = datetime(2025, 1, 1)
_ZIP_TIME = (2025, 1, 1, 0, 0, 0)

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


def _entry_validations(ws) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    words = expectations()
    for i, f in enumerate(FIELDS, start=1):
        col = get_column_letter(i)
        cells = f"{col}2:{col}{ENTRY_ROWS + 1}"
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


def submission_workbook() -> bytes:
    """The XLSX template: instructions, the entry sheet with Excel's data validation, the data dictionary."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    guide = wb.active
    guide.title = "Instructions"
    for line in INSTRUCTIONS:
        guide.append([line])
    guide["A1"].font = Font(bold=True, size=14)
    for row in (3, 11):
        guide[f"A{row}"].font = Font(bold=True)
    guide.append([f.name for f in FIELDS])
    guide.append([f.example for f in FIELDS])
    guide.column_dimensions["A"].width = 24

    entry = wb.create_sheet(ENTRY_SHEET)
    entry.append([f.name for f in FIELDS])
    for i, f in enumerate(FIELDS, start=1):
        letter = get_column_letter(i)
        entry.cell(1, i).font = Font(bold=True)
        entry.column_dimensions[letter].width = max(12, len(f.name) + 2)
        fmt = _FORMATS["%" if f.unit == "%" else f.dtype]
        for r in range(2, 202):  # formats on the first rows; Excel carries them down as people type
            entry.cell(r, i).number_format = fmt
    entry.freeze_panes = "A2"
    _entry_validations(entry)

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
