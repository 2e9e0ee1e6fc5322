"""Reading what districts send: encodings, delimiters, header spellings, spreadsheet row numbers, workbooks."""

import io

import openpyxl
import pytest
from conftest import GOOD_ROW, csv_text, row

from benchmarks.intake.reader import EXTRA_CELLS, decode, read_submission
from benchmarks.registry.metrics import FIELDS

NAMES = [f.name for f in FIELDS]


def test_utf8_with_and_without_bom_and_windows_1252_read_the_same_name():
    text = csv_text([row(district_name="Peña Valley SD")])
    for data, encoding in [(text.encode("utf-8"), "UTF-8"), (b"\xef\xbb\xbf" + text.encode("utf-8"), "UTF-8 with BOM"),
                           (text.encode("cp1252"), "Windows-1252"), (text.encode("utf-16"), "UTF-16")]:
        table = read_submission(data, "f.csv")
        assert table.encoding == encoding and not table.problems
        assert table.frame.at[2, "district_name"] == "Peña Valley SD"
        assert list(table.frame.columns) == NAMES


def test_bytes_that_are_neither_utf8_nor_windows_1252_are_refused():
    _, _, problem = decode(b"name\n\x81\x8d\n")  # undefined in Windows-1252, invalid in UTF-8
    assert "UTF-8 or Windows-1252" in problem and "0x81" in problem


def test_binary_and_old_excel_files_are_refused_with_a_reason():
    assert "binary" in read_submission(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "x.png").problems[0].expected
    stray = read_submission(csv_text([row(district_name="A\x00B")]).encode(), "x.csv")  # one NUL: a row problem
    assert not stray.problems and stray.frame.at[2, "district_name"] == "A\x00B"
    old = read_submission(b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "x.xls").problems[0]
    assert ".xls" in old.expected and old.row is None


@pytest.mark.parametrize("delimiter,name", [(";", "semicolon"), ("\t", "tab"), (",", "")])
def test_delimiter_is_taken_from_the_header(delimiter, name):
    table = read_submission(csv_text([row()], delimiter=delimiter).encode(), "f.csv")
    assert not table.problems and table.frame.at[2, "enrollment"] == "1200"
    assert table.context.decimal_comma_possible == (delimiter != ",")
    assert table.describe == f"UTF-8, {name or 'comma'}-separated"


def test_header_case_spaces_order_and_labels_do_not_matter():
    header = ["  SCHOOL YEAR", "District-ID", "district name", "State", "County ", "LOCALE"] + \
        ["Internet bandwidth (Mbps)" if n == "bandwidth_mbps" else n.upper() for n in NAMES[6:]]
    header = header[::-1]  # another order
    text = csv_text([dict(zip(header, [GOOD_ROW[n] for n in NAMES][::-1]))], header=header)
    table = read_submission(text.encode(), "f.csv")
    assert not table.problems
    assert table.frame.loc[2, NAMES].tolist() == [GOOD_ROW[n] for n in NAMES]


def test_row_numbers_are_the_ones_excel_shows_with_blank_and_multiline_rows():
    text = csv_text([row(n=1), row(n=2, district_name="Two\nLines"), row(n=3)])
    lines = text.split("\n")
    # a blank line after the header; the second record spans two lines in the file but is one Excel row
    text = "\n".join([lines[0], ""] + lines[1:])
    table = read_submission(text.encode(), "f.csv")
    assert list(table.frame.index) == [3, 4, 5]
    assert table.frame.at[4, "district_name"] == "Two\nLines"


def test_missing_duplicate_and_extra_columns():
    text = csv_text([row()], header=[n for n in NAMES if n not in ("county", "classrooms")] + ["notes", "ENROLLMENT"])
    table = read_submission(text.encode(), "f.csv")
    expected = {(p.column, p.expected) for p in table.file_problems}
    assert ("county", "this column in the header row") in expected
    assert "classrooms" not in {c for c, _ in expected}  # a measured field: left out, it is not reported
    assert any(c == "enrollment" and "each column once" in e for c, e in expected)
    assert "column 'notes' is not part of the template and was ignored" in table.notes
    assert "erate_discount" not in [p.column for p in table.problems]  # optional: may be left out


def test_rows_with_more_or_fewer_cells_than_the_header_are_flagged_not_shifted():
    good = csv_text([row(n=1)])
    text = good + ",".join(GOOD_ROW.values()).replace(",1200,", ",1,200,") + "\n" + "2025-26,9900003\n"
    table = read_submission(text.encode(), "f.csv")
    by_row = {p.row: p for p in table.problems}
    assert "splits a cell in two" in by_row[3].expected and by_row[3].reason == "more cells than the header"
    assert by_row[4].reason == "fewer cells than the header"
    assert table.frame.at[3, EXTRA_CELLS] == "2.5"  # nothing sent is dropped


def test_empty_and_header_only_files():
    for data in (b"", b"\n\n  \n", b"\xef\xbb\xbf"):
        [p] = read_submission(data, "e.csv").problems
        assert p.reason == "empty file" and p.row is None
    header_only = read_submission(csv_text([]).encode(), "h.csv")
    assert header_only.frame.empty and [p.reason for p in header_only.problems] == ["no data rows"]


def _workbook(rows, sheet="Data", header_row=1) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for _ in range(header_row - 1):
        ws.append([])
    ws.append(NAMES)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_workbook_cells_read_as_a_person_sees_them():
    cells = [row()[n] for n in NAMES]
    typed = ["2025-26", 990001, "Text =SUM(A1)", "PS", "Test County", "Rural", 1200, 60.0, 1250, 300, 90000.5, 1000,
             2500, 0.8, 70, 40, 700, 18, 2.5]
    data = _workbook([typed, ["=A2&\"\""] + cells[1:]], header_row=3)
    table = read_submission(data, "w.xlsx")
    assert table.sheet == "Data" and table.encoding == "XLSX"
    assert table.frame.loc[4, ["district_id", "district_name", "classrooms", "device_spend_usd"]].tolist() == \
        ["990001", "Text =SUM(A1)", "60", "90000.5"]
    # a formula Excel never calculated (no cached value) is not silently read as empty
    [p] = table.problems
    assert (p.row, p.column, p.reason) == (5, "school_year", "formula without a calculated value")
    assert "the header is on row 3" in table.notes


def test_workbook_number_cells_with_three_decimals_are_numbers_not_thousands():
    """999.999 typed as a number in Excel is that number: only text can hide a thousands separator."""
    from benchmarks.intake.validate import check_file

    typed = [row()[n] for n in NAMES]
    typed[NAMES.index("bandwidth_mbps")] = 999.999
    typed[NAMES.index("tech_staff_fte")] = 2.125
    checked = check_file(_workbook([typed]), "w.xlsx")
    assert checked.ok, checked.lines()
    assert checked.accepted[["bandwidth_mbps", "tech_staff_fte"]].iloc[0].tolist() == [999.999, 2.125]
    as_text = [*typed[:NAMES.index("bandwidth_mbps")], "999.999", *typed[NAMES.index("bandwidth_mbps") + 1:]]
    [problem] = check_file(_workbook([as_text]), "t.xlsx").problems  # typed as text, it may be either
    assert problem.column == "bandwidth_mbps"


def test_workbook_formula_with_a_value_excel_calculated_is_read_as_that_value():
    import re
    import zipfile

    cells = [row()[n] for n in NAMES]
    data = _workbook([cells[:8] + ["=G2*1"] + cells[9:]])
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:  # what Excel leaves: the formula and its cached result
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = re.sub(rb"(<f>G2\*1</f>)<v\s*/>", rb"\1<v>1250</v>", content)
            dst.writestr(item, content)
    table = read_submission(out.getvalue(), "w.xlsx")
    assert not table.problems and table.frame.at[2, "student_devices"] == "1250"
    assert "1 cells hold formulas: the values Excel calculated were read" in table.notes[0]


def test_workbook_entry_sheet_is_found_by_its_header():
    wb = openpyxl.Workbook()
    wb.active.append(["Read me first"])
    ws = wb.create_sheet("Figures")
    ws.append(NAMES)
    ws.append([row()[n] for n in NAMES])
    buf = io.BytesIO()
    wb.save(buf)
    table = read_submission(buf.getvalue(), "w.xlsx")
    assert table.sheet == "Figures" and list(table.frame.index) == [2]


def test_broken_workbook_is_a_problem_not_a_crash():
    data = _workbook([])
    [p] = read_submission(data[:200], "w.xlsx").problems
    assert p.reason == "broken workbook" and "xlsx workbook that opens" in p.expected
