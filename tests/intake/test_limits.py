"""Limits before work, through the commands as an analyst runs them: a file over a limit is refused with the
limit named, nothing of it is stored, the other files of the batch are ingested; a district name past its length
quarantines its row. Every count adds up: rows read = accepted + quarantined."""

from __future__ import annotations

from pathlib import Path

import duckdb
import openpyxl
import pytest
from conftest import GOOD_ROW, csv_text, make_project, row, run_cli as run

from benchmarks.intake.limits import Limits, get_column_letter
from benchmarks.intake.validate import check_file




def _rows(first: int = 1, count: int = 9, **changes) -> list[dict]:
    return [row(n=n, **changes) for n in range(first, first + count)]


def _csv(path: Path, rows: list[dict]) -> Path:
    path.write_text(csv_text(rows))
    return path


def _xlsx(path: Path, rows: list[dict], far_cell: bool = False) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(GOOD_ROW))
    for i, r in enumerate(rows, start=2):
        ws.append([r[h] for h in GOOD_ROW])
        if far_cell:
            ws.cell(row=i, column=16384, value="x")  # the row runs to column XFD
    wb.save(path)
    return path


def _warehouse(root: Path) -> dict[str, list]:
    """What the warehouse holds: the files, the rows and the quarantine."""
    con = duckdb.connect(str(root / "data" / "processed" / "warehouse.duckdb"), read_only=True)
    try:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
                for t in ("raw_files", "submissions", "quarantine", "problems")}
    finally:
        con.close()


@pytest.fixture
def root(tmp_path) -> Path:
    make_project(tmp_path / "project")
    return tmp_path / "project"


def test_a_workbook_running_to_column_xfd_is_refused_and_the_rest_of_the_batch_is_ingested(root, tmp_path):
    wide = _xlsx(tmp_path / "wide.xlsx", _rows(20), far_cell=True)
    good = _csv(tmp_path / "good.csv", _rows(1))
    code, out = run(root, "ingest", wide, good)
    assert code == 1
    assert f"{wide}: refused (file over the column limit): nothing of it is read or stored" in out
    assert (f"{wide}: expected at most 100 columns; the sheet's rows reach 16,384 columns (to column XFD)") in out
    assert f"{good}: 9 rows read = 9 accepted + 0 quarantined" in out
    held = _warehouse(root)
    assert len(held["raw_files"]) == 1 and len(held["submissions"]) == 9  # the good file only
    assert len(list((root / "data" / "raw").iterdir())) == 1  # no raw copy of the refused one


def test_a_row_reaching_past_the_column_limit_is_refused_even_when_the_sheet_says_otherwise(tmp_path):
    wide = _xlsx(tmp_path / "wide.xlsx", _rows(1, 3), far_cell=True)
    checked = check_file(wide.read_bytes(), "wide.xlsx", limits=Limits(max_columns=40))
    assert checked.refused
    [problem] = checked.problems
    assert problem.expected.startswith("at most 40 columns; the sheet's rows reach 16,384 columns")


def test_a_csv_cell_of_a_megabyte_is_refused_naming_row_and_column(root, tmp_path):
    rows = _rows(1)
    rows[4]["county"] = "C" * 1_000_000
    big = _csv(tmp_path / "big.csv", rows)
    code, out = run(root, "validate", big)
    assert code == 1
    assert (f"{big}: expected cells of at most 10,000 characters; row 6, column E (county) holds 1,000,000"
            in out)
    assert "0 rows read" not in out


def test_a_workbook_cell_over_the_cell_limit_is_refused(root, tmp_path):
    rows = _rows(1, 3)
    rows[0]["district_name"] = "N" * 20_000
    book = _xlsx(tmp_path / "name.xlsx", rows)
    code, out = run(root, "ingest", book)
    assert code == 1
    assert (f"{book}: expected cells of at most 10,000 characters; row 2, column C (district_name) holds 20,000"
            in out)
    assert not (root / "data" / "raw").exists() or not list((root / "data" / "raw").iterdir())


def test_a_workbook_that_unpacks_far_beyond_its_size_is_refused(root, tmp_path):
    rows = _rows(1, 12)
    for r in rows:
        r["county"] = "C" * 9_000  # under the cell limit, but 12 of them unpack to over 100 kB
    book = _xlsx(tmp_path / "packed.xlsx", rows)
    assert book.stat().st_size < 10_000
    code, out = run(root, "validate", "--max-bytes", 10_000, book)
    assert code == 1
    assert f"{book}: expected a workbook that unpacks to at most 97.7 kB; this one unpacks to" in out


def test_a_file_over_the_row_limit_leaves_the_warehouse_as_it_was(root, tmp_path):
    first = _csv(tmp_path / "first.csv", _rows(1, 4))
    assert run(root, "ingest", first)[0] == 0
    before = _warehouse(root)
    many = _csv(tmp_path / "many.csv", _rows(30, 9))
    code, out = run(root, "ingest", "--max-rows", 5, many)
    assert code == 1
    assert f"{many}: expected at most 5 rows below the header; this file has more" in out
    assert _warehouse(root) == before
    code, out = run(root, "ingest", "--max-rows", 9, many)  # at the limit: accepted
    assert code == 0 and f"{many}: 9 rows read = 9 accepted + 0 quarantined" in out


def test_a_file_over_the_size_limit_is_refused_unread(root, tmp_path):
    big = _csv(tmp_path / "big.csv", _rows(1))
    size = big.stat().st_size
    code, out = run(root, "validate", "--max-bytes", 1000, big)
    assert code == 1
    assert f"{big}: expected a file of at most 1,000 bytes; this one has {size:,} bytes" in out


def test_a_district_name_past_its_length_quarantines_the_row(root, tmp_path):
    rows = _rows(1)
    rows[3]["district_name"] = "D" * 201
    named = _csv(tmp_path / "named.csv", rows)
    code, out = run(root, "ingest", named)
    assert code == 1
    assert f"{named}: 9 rows read = 8 accepted + 1 quarantined" in out
    assert f"{named}, row 5, column district_name: value '{'D' * 40}…': expected at most 200 characters " \
           "(this one has 201)" in out
    held = _warehouse(root)
    assert [q[1:] for q in held["quarantine"]] == [(5, "column district_name: text over the length limit")]
    assert len(held["submissions"]) == 8
    rows[3]["district_name"] = "D" * 200  # at the limit: accepted
    assert run(root, "validate", _csv(tmp_path / "ok.csv", rows))[0] == 0


def test_column_letters_as_a_spreadsheet_names_them():
    assert [get_column_letter(n) for n in (1, 26, 27, 100, 16384)] == ["A", "Z", "AA", "CV", "XFD"]
