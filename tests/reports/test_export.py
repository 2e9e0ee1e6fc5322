"""CSV and XLSX exports show exactly what the pages show: same statistics, same rounding, same suppression."""

import csv
import io
import re

import duckdb
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from benchmarks.cli import main
from benchmarks.registry.groups import STORED_GROUPS
from benchmarks.registry.metrics import METRICS
from benchmarks.reports.board import load_board_summary, state_table_html
from benchmarks.reports.district import load_district_report, scorecard
from benchmarks.reports.export import board_table, csv_bytes, district_table, xlsx_bytes

YEAR = "2025-26"


def _number(text: str) -> str:
    """The number as written on the page: "$1,150" -> "1150", "25.3%" -> "25.3"."""
    return re.search(r"-?\d[\d,]*(?:\.\d+)?", text).group(0).replace(",", "")


@pytest.fixture(scope="module")
def kestrel(demo_project):
    con = duckdb.connect(str(demo_project.warehouse), read_only=True)
    district = con.execute("SELECT min(pseudonym) FROM district_metrics WHERE school_year = ? "
                           "AND county = 'Kestrel County'", [YEAR]).fetchone()[0]
    con.close()
    return load_district_report(demo_project.warehouse, district, YEAR)


def test_district_table_matches_the_report_page(kestrel, tmp_path):
    table = district_table(kestrel)
    rows = list(csv.DictReader(io.StringIO(csv_bytes(table).decode())))
    assert len(rows) == len(METRICS) * len(STORED_GROUPS)
    card = scorecard(kestrel).set_index("metric")
    for r in rows:
        text = card.at[r["metric"], f"{r['group']}_text"]
        stat = card.at[r["metric"], f"{r['group']}_stat"]
        assert r["your_value"] == _number(card.at[r["metric"], "value_text"])
        assert int(r["other_districts_reporting"]) == card.at[r["metric"], f"{r['group']}_n"]
        if stat == "median":
            assert r["median"] == _number(text)
        elif stat == "band":
            assert (r["median"], f"{r['range_low']}–{r['range_high']}") == ("", text.split(" ")[0].replace(
                "$", "").replace("%", "").replace(",", ""))
        else:
            assert r["median"] == r["p25"] == r["range_low"] == "" and r["shown"].startswith("not shown")
        if r["group"] == "county":  # Kestrel: 8 others, no quartiles
            assert r["p25"] == r["p75"] == ""
        assert (r["compared_with"] == "yes") == (card.at[r["metric"], "reference"] == r["group"])
    # the workbook holds the same numbers, formatted to the same decimals
    path = tmp_path / "t.xlsx"
    path.write_bytes(xlsx_bytes(table))
    ws = load_workbook(path)["Table"]
    header = [c.value for c in ws[1]]
    for r, cells in zip(rows, ws.iter_rows(min_row=2)):
        cell = cells[header.index("median")]
        if r["median"]:
            decimals = len(r["median"].split(".")[1]) if "." in r["median"] else 0
            assert cell.value == float(r["median"])
            assert cell.number_format == "0" + ("." + "0" * decimals if decimals else "")
        else:
            assert cell.value is None
    assert "fewer than" in " ".join(str(v) for row in load_workbook(path)["Notes"].iter_rows(values_only=True)
                                    for v in row)


def test_board_table_matches_the_board_page(demo_project):
    summary = load_board_summary(demo_project.warehouse, YEAR)
    page = state_table_html(summary)
    cells = dict(re.findall(r"data-metric='(\w+)' data-group='state' data-stat='median'[^>]*>([^<]+)<", page))
    rows = [r for r in csv.DictReader(io.StringIO(csv_bytes(board_table(summary)).decode()))
            if r["school_year"] == YEAR]
    assert len(rows) == len(METRICS) and {r["school_year"] for r in csv.DictReader(
        io.StringIO(csv_bytes(board_table(summary)).decode()))} == {"2023-24", "2024-25", "2025-26"}
    for r in rows:
        assert r["median"] == _number(cells[r["metric"]])
        assert int(r["districts_reporting"]) == 860


def test_export_command_writes_one_districts_files_atomically(demo_project, kestrel):
    runner = CliRunner()
    result = runner.invoke(main, ["--root", str(demo_project.root), "export", "--year", YEAR,
                                  "--district", kestrel.pseudonym, "--no-board"])
    assert result.exit_code == 0, result.output
    written = [line for line in result.stdout.splitlines() if line.endswith((".csv", ".xlsx"))]
    assert [p.rsplit("/", 1)[1] for p in written] == [f"district_{kestrel.pseudonym}.csv",
                                                       f"district_{kestrel.pseudonym}.xlsx"]
    folder = demo_project.reports / YEAR
    assert not list(folder.glob(".*.tmp"))
    result = runner.invoke(main, ["--root", str(demo_project.root), "export", "--county", "Nowhere County"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "Error: no district of county 'Nowhere County' submitted for 2025-26" in result.output
    assert isinstance(result.exception, SystemExit)


def test_xlsx_band_bounds_hold_exactly_what_they_show(demo_project, tmp_path):
    """A band's bounds come from a grid (0.7 = 7 x 0.1): stored as computed they read 0.7000000000000001, a
    precision the page never shows, which the audit rightly reports."""
    from benchmarks.privacy.audit import read_xlsx
    from benchmarks.reports.district import iter_district_reports
    from benchmarks.reports.export import district_table, write_table

    # demo districts (demo key) whose refresh-cycle bands fall on such bounds
    chosen = ["D1ad0f2767928e36", "D572a37d37ce33a7"]
    for report in iter_district_reports(demo_project.warehouse, "2025-26", chosen):
        table = district_table(report)
        assert (table.frame["shown"] == "range instead of a figure").any()
        xlsx = [p for p in write_table(table, tmp_path / report.pseudonym) if p.suffix == ".xlsx"][0]
        hidden = [f["text"] for f in read_xlsx(xlsx, report.pseudonym).figures if f["stat"] == "unrounded"]
        assert hidden == []
