"""Workbooks read as a person sees them, through the commands: a hidden draft sheet is never read silently,
every visible sheet with the template's header is read and counted (rows named with their sheet), and merged
cells are said to be merged."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
import openpyxl
import pytest
from conftest import GOOD_ROW, make_project, row, run_cli as run, rows_counted as counted

from benchmarks.intake.reader import read_submission
from benchmarks.intake.template import Filled, submission_workbook
from benchmarks.intake.workbook import SHEET_ROWS

HEADER = list(GOOD_ROW)




def workbook(path: Path, sheets: dict[str, list[dict]], hidden=(), merged: dict[str, str] | None = None) -> Path:
    """A workbook with one sheet per entry (header row, then the rows), some hidden, some cells merged."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        ws.append(HEADER)
        for r in rows:
            ws.append([r[h] for h in HEADER])
        if name in hidden:
            ws.sheet_state = "hidden"
        if merged and name in merged:
            ws.merge_cells(merged[name])
    wb.active = next(i for i, n in enumerate(sheets) if n not in hidden) if set(sheets) - set(hidden) else 0
    wb.save(path)
    return path


def _stored(p) -> dict:
    if not p.warehouse.exists():
        return {"submissions": 0, "districts": 0, "enrollment": []}
    with duckdb.connect(str(p.warehouse), read_only=True) as con:
        return {"submissions": con.execute("SELECT count(*) FROM submissions").fetchone()[0],
                "districts": con.execute("SELECT count(DISTINCT pseudonym) FROM district_metrics").fetchone()[0],
                "enrollment": sorted(r[0] for r in con.execute("SELECT enrollment FROM submissions").fetchall())}


def test_a_hidden_draft_sheet_is_left_aside_and_said_so(project, tmp_path):
    """A hidden sheet named Submission (last month's draft) beside the visible, filled-in sheet: the visible one
    is read, the draft is not, and the analyst is told."""
    filled = [row(n=n, enrollment=str(1000 + n)) for n in range(1, 4)]
    draft = [row(n=n, enrollment="999") for n in range(1, 6)]
    file = workbook(tmp_path / "kane.xlsx", {"Submission": draft, "Kane 2025-26": filled}, hidden={"Submission"})
    note = (f"{file}: note: sheet 'Submission' is hidden and was not read (5 rows below its header): unhide it "
            "and send it on its own if it holds the figures")
    code, out = run(project.root, "validate", file)
    assert code == 0 and counted(out) == (3, 3, 0)
    assert note in out.splitlines() and f"{file}: note: read as XLSX, sheet 'Kane 2025-26'" in out.splitlines()
    code, out = run(project.root, "ingest", file)
    assert code == 0 and counted(out) == (3, 3, 0) and note in out.splitlines()
    assert _stored(project)["enrollment"] == [1001, 1002, 1003]  # the figures sent, none of the draft's


def test_a_workbook_whose_only_filled_sheet_is_hidden_is_refused_and_kept(project, tmp_path):
    file = workbook(tmp_path / "draft.xlsx", {"Notes": [], "Submission": [row(n=1), row(n=2)]},
                    hidden={"Submission"})
    wb = openpyxl.load_workbook(file)
    wb["Notes"].delete_rows(1)  # the visible sheet holds no header at all
    wb["Notes"]["A1"] = "see the other sheet"
    wb.save(file)
    expected = (f"{file}: expected the figures on a visible sheet: the only sheets with the template's header "
                "('Submission') are hidden, often a draft (unhide the sheet in Excel if it holds the figures to "
                "send)")
    code, out = run(project.root, "validate", file)
    assert code == 1 and counted(out) == (2, 0, 2) and expected in out.splitlines()
    code, out = run(project.root, "ingest", file)
    assert code == 1 and counted(out) == (2, 0, 2) and expected in out.splitlines()
    assert _stored(project) == {"submissions": 0, "districts": 0, "enrollment": []}  # nothing stored
    [kept] = project.quarantine.glob("*.csv")
    rows = list(csv.DictReader(io.StringIO(kept.read_text(encoding="utf-8-sig"))))
    assert [r["district_id"] for r in rows] == ["9900001", "9900002"]  # nothing lost: both rows, with the reason
    assert all("are hidden, often a draft" in r["problems"] for r in rows)


def test_every_visible_sheet_with_the_header_is_read_and_counted(project, tmp_path):
    """Nine rows sent on two sheets are nine rows read; a problem names its sheet and the row Excel shows."""
    kane = [row(n=n) for n in range(1, 6)]
    lake = [row(n=n) for n in range(6, 10)]
    lake[1]["enrollment"] = "many"
    file = workbook(tmp_path / "two.xlsx", {"Kane": kane, "Lake": lake})
    for command in ("validate", "ingest"):
        code, out = run(project.root, command, file)
        assert code == 1 and counted(out) == (9, 8, 1), out
        assert f"{file}: note: read as XLSX, sheets 'Kane', 'Lake'" in out.splitlines()
        assert any(line.startswith(f"{file}, sheet 'Lake', row 3, column enrollment: value 'many': expected a "
                                   "whole number") for line in out.splitlines()), out
    stored = _stored(project)
    assert stored["submissions"] == 8 and stored["districts"] == 8
    with duckdb.connect(str(project.warehouse), read_only=True) as con:
        assert con.execute("SELECT source_row FROM quarantine").fetchall() == [(SHEET_ROWS + 3,)]
        rows = sorted(r[0] for r in con.execute("SELECT source_row FROM submissions").fetchall())
    assert rows == [2, 3, 4, 5, 6, SHEET_ROWS + 2, SHEET_ROWS + 4, SHEET_ROWS + 5]
    [kept] = project.quarantine.glob("*.csv")
    [bad] = list(csv.DictReader(io.StringIO(kept.read_text(encoding="utf-8-sig"))))
    assert (bad["sheet"], bad["row_on_sheet"], bad["district_id"]) == ("Lake", "3", "9900007")


def test_the_same_district_on_two_sheets_names_both_places(tmp_path):
    file = workbook(tmp_path / "twice.xlsx", {"Kane": [row(n=1), row(n=2)], "Copy": [row(n=2)]})
    code, out = run(make_project(tmp_path / "p").root, "validate", file)
    assert code == 1 and counted(out) == (3, 1, 2)
    assert (f"{file}, sheet 'Kane', row 3, column district_id: value '9900002': expected one row per district and "
            "school year (district 9900002 appears again for 2025-26 in sheet 'Copy', row 2)") in out.splitlines()


def test_merged_cells_are_said_to_be_merged(project, tmp_path):
    rows = [row(n=n) for n in range(1, 5)]
    file = workbook(tmp_path / "merged.xlsx", {"Submission": rows}, merged={"Submission": "B4:C4"})
    expected = (f"{file}, row 4, columns district_id, district_name: expected one value per cell: cells B4:C4 are "
                "merged; unmerge them and put each value in its own cell")
    code, out = run(project.root, "validate", file)
    assert code == 1 and counted(out) == (4, 3, 1)
    assert [line for line in out.splitlines() if ", row 4" in line] == [expected]  # said once, and as merging
    code, out = run(project.root, "ingest", file)
    assert code == 1 and counted(out) == (4, 3, 1) and expected in out.splitlines()
    assert _stored(project)["submissions"] == 3


def test_merged_cells_outside_the_template_columns_are_no_problem(tmp_path):
    """A notes column beside the figures, merged down two rows, holds nothing that is read."""
    from openpyxl.utils import get_column_letter

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([*HEADER, "Notes"])
    for n in (1, 2):
        ws.append([*(row(n=n)[h] for h in HEADER), "checked by the board" if n == 1 else None])
    notes = get_column_letter(len(HEADER) + 1)
    ws.merge_cells(f"{notes}2:{notes}3")
    buf = io.BytesIO()
    wb.save(buf)
    table = read_submission(buf.getvalue(), "t.xlsx")
    assert table.problems == [] and list(table.frame.index) == [2, 3]
    assert table.notes == ["column 'Notes' is not part of the template and was ignored"]


@pytest.mark.parametrize("rows", [0, 2])
def test_the_template_is_read_from_its_entry_sheet_only(rows):
    """The template's instructions (which show the header and an example) and data dictionary are not data."""
    import pandas as pd

    filled = Filled(pd.DataFrame([row(n=n) for n in range(1, rows + 1)], columns=HEADER)) if rows else None
    table = read_submission(submission_workbook(filled), "template.xlsx")
    assert table.sheets == ["Submission"] and len(table.frame) == rows


def test_a_trailing_cell_left_empty_in_a_sheet_is_an_empty_cell_not_a_short_row(tmp_path):
    """Excel stores no cell for a blank one: tech staff FTE (the last column, optional) left empty is not reported,
    and the row is not one cell short."""
    from benchmarks.intake.validate import check_file

    blank = {**row(n=1), "tech_staff_fte": None}
    file = workbook(tmp_path / "blank.xlsx", {"Submission": [blank, row(n=2)]})
    checked = check_file(file.read_bytes(), str(file))
    assert checked.ok, checked.lines()
    assert checked.accepted["tech_staff_fte"].isna().tolist() == [True, False]
