"""The XLSX submission template: instructions, Excel's own data validation from the registry, reproducible bytes."""

import io

import openpyxl
import pytest
from conftest import row

from benchmarks.intake.reader import ENTRY_SHEET
from benchmarks.intake.template import ENTRY_ROWS, submission_workbook, template_files, write_template
from benchmarks.intake.validate import validate_files
from benchmarks.registry.metrics import CHOICES, FIELDS, data_dictionary


@pytest.fixture(scope="module")
def workbook():
    return openpyxl.load_workbook(io.BytesIO(submission_workbook()))


def test_three_sheets_entry_sheet_active(workbook):
    assert workbook.sheetnames == ["Instructions", ENTRY_SHEET, "Data dictionary"]
    assert workbook.active.title == ENTRY_SHEET


def test_entry_sheet_header_and_validation_follow_the_registry(workbook):
    ws = workbook[ENTRY_SHEET]
    assert [c.value for c in ws[1]] == [f.name for f in FIELDS]
    assert ws.max_row <= 201 and all(c.value is None for c in ws[2])  # no example row to submit by mistake
    by_range = {str(v.sqref): v for v in ws.data_validations.dataValidation}
    assert len(by_range) == len(FIELDS)
    for i, f in enumerate(FIELDS):
        col = openpyxl.utils.get_column_letter(i + 1)
        v = by_range[f"{col}2:{col}{ENTRY_ROWS + 1}"]
        assert v.showErrorMessage and v.errorStyle == "stop" and v.error and v.prompt == f.description[:255]
        if f.name in CHOICES:
            assert v.type == "list" and v.formula1 == '"' + ",".join(CHOICES[f.name]) + '"'
        elif f.dtype != "text":
            assert v.type == ("whole" if f.dtype == "integer" else "decimal") and v.operator == "between"
            assert (float(v.formula1), float(v.formula2)) == (f.min, f.max)
    assert by_range["N2:N5001"].error.startswith("a share from 0 to 0.9")  # erate_discount
    formats = {f.name: ws.cell(2, i + 1).number_format for i, f in enumerate(FIELDS)}
    assert formats["district_id"] == "@" and formats["erate_discount"] == "0%" and formats["enrollment"] == "#,##0"
    assert ws.freeze_panes == "A2"


def test_dictionary_sheet_is_the_data_dictionary(workbook):
    rows = list(workbook["Data dictionary"].iter_rows(values_only=True))
    d = data_dictionary()
    assert list(rows[0]) == list(d.columns)
    assert [r[1] for r in rows[1:]] == list(d["name"])


def test_instructions_explain_and_show_an_example(workbook):
    text = "\n".join(str(r[0]) for r in workbook["Instructions"].iter_rows(values_only=True) if r[0])
    assert "benchmarks validate" in text and "80% or 0.8" in text and "1 Gbps = 1000" in text
    rows = list(workbook["Instructions"].iter_rows(values_only=True))
    assert list(rows[-2]) == [f.name for f in FIELDS] and list(rows[-1]) == [f.example for f in FIELDS]


def test_same_registry_same_bytes():
    assert submission_workbook() == submission_workbook()
    assert template_files()["submission_template.xlsx"] == submission_workbook()


def test_filled_in_template_validates(tmp_path):
    wb = openpyxl.load_workbook(io.BytesIO(submission_workbook()))
    ws = wb[ENTRY_SHEET]
    for r, values in enumerate([row(n=1), row(n=2, erate_discount="")], start=2):
        for i, f in enumerate(FIELDS, start=1):
            v = values[f.name]
            ws.cell(r, i).value = float(v) if f.dtype != "text" and v else (v or None)
    path = tmp_path / "filled.xlsx"
    wb.save(path)
    [checked] = validate_files([path])
    assert checked.ok and len(checked.accepted) == 2 and checked.table.sheet == ENTRY_SHEET


def test_write_template_writes_all_files(tmp_path):
    written = write_template(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written) == sorted(template_files())
