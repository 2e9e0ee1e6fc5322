"""`benchmarks confirmations`: each flagged district's own values sent back in the template; a confirmed value
stops being flagged, a corrected re-submission replaces the row (the history keeps both)."""

from __future__ import annotations

import csv
import hashlib

import openpyxl
import pytest
from conftest import run_cli
from intake.test_plausibility import bandwidth_times_ten

from benchmarks.intake.confirmations import current_flags
from benchmarks.intake.reader import ENTRY_SHEET
from benchmarks.privacy.keys import DEMO_KEY, pseudonym
from benchmarks.warehouse.store import connect

YEAR = "2025-26"


@pytest.fixture(scope="module")
def flagged(tmp_path_factory):
    """The demo's three years ingested, the last with one district's bandwidth ten times its previous year's."""
    from conftest import make_project

    p = make_project(tmp_path_factory.mktemp("confirm") / "project")
    changed = p.root / f"changed_{YEAR}.csv"
    _, district, sent = bandwidth_times_ten(p.demo / f"submissions_{YEAR}.csv", changed)
    status, out = run_cli(p.root, "ingest", p.demo / "submissions_2023-24.csv", p.demo / "submissions_2024-25.csv",
                          changed)
    assert status == 0, out
    status, out = run_cli(p.root, "confirmations", "--year", YEAR)
    assert status == 0, out
    others = [r for r in csv.DictReader(changed.open()) if r["district_id"] != district]
    return p, district, sent, others, out


def cells(path) -> list[str]:
    wb = openpyxl.load_workbook(path)
    out = [str(c.value) for ws in wb.worksheets for r in ws.iter_rows() for c in r if c.value is not None]
    return out + [c.comment.text for ws in wb.worksheets for r in ws.iter_rows() for c in r if c.comment]


def test_the_sheet_lists_the_districts_own_flagged_value_and_nothing_of_another(flagged):
    p, district, sent, others, out = flagged
    sheet = p.private / "confirmations" / YEAR / f"confirm_{YEAR}_{district}.xlsx"
    assert str(sheet) in out
    wb = openpyxl.load_workbook(sheet)
    rows = [r for r in wb[ENTRY_SHEET].iter_rows(values_only=True)]
    assert rows[0][-1] == "confirmed" and len([r for r in rows[1:] if any(v is not None for v in r)]) == 1
    own = dict(zip(rows[0], rows[1]))
    assert str(own["district_id"]) == district and str(own["bandwidth_mbps"]) == sent
    text = "\n".join(cells(sheet))
    assert f"bandwidth_mbps {sent}, enrollment {own['enrollment']}: internet bandwidth per student changed from " \
           "last year beyond a factor 3" in text
    for other in others:
        assert other["district_id"] not in text and other["district_name"] not in text


def test_a_confirmed_resubmission_clears_the_flag_and_keeps_the_history(flagged):
    p, district, sent, _, _ = flagged
    sheet = p.private / "confirmations" / YEAR / f"confirm_{YEAR}_{district}.xlsx"
    wb = openpyxl.load_workbook(sheet)
    ws = wb[ENTRY_SHEET]
    ws.cell(2, ws.max_column).value = "yes"
    back = p.root / "confirmed.xlsx"
    wb.save(back)
    status, out = run_cli(p.root, "validate", back)
    assert status == 0 and "flagged values confirmed by the district as sent" in out, out
    assert "to confirm:" not in out
    status, out = run_cli(p.root, "ingest", back)
    assert status == 0, out
    who = pseudonym(DEMO_KEY, district)
    with connect(p.warehouse, read_only=True) as con:
        assert who not in set(current_flags(con, YEAR)["pseudonym"])
        bandwidth = con.execute("SELECT bandwidth_mbps FROM submissions WHERE pseudonym = ? AND school_year = ? "
                                "ORDER BY received_seq", [who, YEAR]).fetchall()
    assert [b for (b,) in bandwidth] == [float(sent), float(sent)]  # the first one kept, replaced
    status, out = run_cli(p.root, "confirmations", "--year", YEAR)
    assert f"confirm_{YEAR}_{district}.xlsx" not in out
    # nor does the data-quality page list it any more, while it still lists the other districts' flags
    from benchmarks.reports.quality import load_quality_report

    changed = p.root / f"changed_{YEAR}.csv"
    row = 2 + [r["district_id"] for r in csv.DictReader(changed.open())].index(district)
    listed = load_quality_report(p.warehouse, YEAR).flags
    mine = listed[listed["file"].str.startswith(hashlib.sha256(changed.read_bytes()).hexdigest()[:12])]
    assert len(mine) and row not in set(mine["row"])  # the file's other flags are still listed


def test_a_corrected_resubmission_replaces_the_value(flagged):
    p, district, sent, _, _ = flagged
    sheet = p.private / "confirmations" / YEAR / f"confirm_{YEAR}_{district}.xlsx"
    wb = openpyxl.load_workbook(sheet)
    ws = wb[ENTRY_SHEET]
    col = [c.value for c in ws[1]].index("bandwidth_mbps") + 1
    ws.cell(2, col).value = float(sent) / 10
    back = p.root / "corrected.xlsx"
    wb.save(back)
    status, out = run_cli(p.root, "ingest", back)
    assert status == 0, out
    who = pseudonym(DEMO_KEY, district)
    with connect(p.warehouse, read_only=True) as con:
        assert who not in set(current_flags(con, YEAR)["pseudonym"])
        current = con.execute("SELECT bandwidth_mbps FROM submissions WHERE pseudonym = ? AND school_year = ? "
                              "ORDER BY received_seq DESC LIMIT 1", [who, YEAR]).fetchone()[0]
        kept = con.execute("SELECT count(*) FROM submissions WHERE pseudonym = ? AND school_year = ?",
                           [who, YEAR]).fetchone()[0]
    assert current == float(sent) / 10 and kept >= 2
