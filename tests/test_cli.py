"""The intake commands as a director or analyst runs them: clear messages, exit status, never a traceback."""

import io

import duckdb
import openpyxl
import pytest
from click.testing import CliRunner
from conftest import REAL_DATA, csv_text, row, run_cli

from benchmarks.cli import main
from benchmarks.registry.metrics import FIELDS

ENV = {"BENCHMARKS_KEY": "cli-test-key-0123456789"}  # at least 16 characters (privacy.MIN_KEY_LENGTH)

# Hand-written bad files: name -> (bytes, a message the person must see)
HEADER = ",".join(f.name for f in FIELDS)
BAD_FILES = {
    "empty.csv": (b"", "empty.csv: expected a header row and at least one data row (the file is empty)"),
    "header_only.csv": (HEADER.encode() + b"\n", "header_only.csv: expected at least one data row below the header"),
    "missing_column.csv": (csv_text([row()], header=[f.name for f in FIELDS if f.name != "county"]).encode(),
                           "missing_column.csv, column county: expected this column in the header row"),
    "extra_column.csv": (csv_text([row(enrollment="-3")], header=[f.name for f in FIELDS] + ["notes"]).encode(),
                         "extra_column.csv, row 2, column enrollment: value '-3': expected a whole number from 1"),
    "negative.csv": (csv_text([row(access_points="-1")]).encode(), "row 2, column access_points: value '-1'"),
    "zero.csv": (csv_text([row(enrollment="0")]).encode(), "row 2, column enrollment: value '0': expected a whole"),
    "nan.csv": (csv_text([row(student_devices="NaN")]).encode(), "row 2, column student_devices: value 'NaN'"),
    "infinite.csv": (csv_text([row(tech_staff_fte="inf")]).encode(), "row 2, column tech_staff_fte: value 'inf'"),
    "absurd.csv": (csv_text([row(student_devices="72000", devices_replaced="18000", device_spend_usd="5400000",
                                 helpdesk_tickets="40000", tech_staff_fte="70", access_points="600")]).encode(),
                   "row 2, columns student_devices, enrollment: value 'student_devices 72000, enrollment 1200': "
                   "expected devices per student (student_devices / enrollment) from 0 to 20 devices; these give 60"),
    "duplicates.csv": (csv_text([row(n=1), row(n=2), row(n=1)]).encode(),
                       "row 4, column district_id: value '9900001': expected one row per district and school year "
                       "(district 9900001 appears again for 2025-26 in row 2)"),
    "formula_in_number.csv": (csv_text([row(bandwidth_mbps="=A1*2")]).encode(),
                              "row 2, column bandwidth_mbps: value '=A1*2'"),
    "ambiguous.csv": (csv_text([row(enrollment="1.200")], delimiter=";").encode(),
                      "row 2, column enrollment: value '1.200': expected a number written without a thousands "
                      "separator: 1.200 could mean 1200 or 1.2"),
    "bytes_unit.csv": (csv_text([row(bandwidth_mbps="1 GB")]).encode(), "(in bits, not bytes)"),
    "percent_out_of_range.csv": (csv_text([row(erate_discount="95%")]).encode(),
                                 "column erate_discount: value '95%': expected a share from 0 to 0.9"),
    "unquoted_thousands.csv": ((HEADER + "\n" + ",".join(row().values()).replace(",1200,", ",1,200,") + "\n").encode(),
                               "row 2: expected 19 cells like the header row, but the row has 20"),
    "not_text.csv": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00",
                     "not_text.csv: expected a CSV text file or an .xlsx workbook"),
    "old_excel.xls": (b"\xd0\xcf\x11\xe0" + b"\x00" * 64, "save it as .xlsx or CSV"),
    "broken.xlsx": (b"PK\x03\x04garbage", "broken.xlsx: expected an .xlsx workbook that opens"),
}


@pytest.fixture
def files(tmp_path):
    out = {}
    for name, (data, _) in BAD_FILES.items():
        out[name] = tmp_path / name
        out[name].write_bytes(data)
    return out


def run(project, *args):
    result = CliRunner().invoke(main, ["--root", str(project.root), *map(str, args)], env=ENV)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_validate_names_the_problem_and_exits_1(project, files, name):
    result = run(project, "validate", files[name])
    assert result.exit_code == 1
    assert BAD_FILES[name][1] in result.output


def test_validate_a_clean_file_exits_0_and_says_so(project, tmp_path):
    clean = tmp_path / "clean.csv"
    clean.write_text(csv_text([row(n=1), row(n=2, bandwidth_mbps="1 Gbps")]))
    result = run(project, "validate", clean)
    assert result.exit_code == 0
    assert f"{clean}: 2 rows read = 2 accepted + 0 quarantined" in result.output
    assert "1 values converted on reading (Gbps converted to Mbps: 1)" in result.output


def test_validate_checks_every_file_and_stores_nothing(project, files):
    result = run(project, "validate", *files.values())
    assert result.exit_code == 1
    for name, (_, message) in BAD_FILES.items():
        assert message in result.output, name
    assert not project.warehouse.exists()


def test_validate_and_ingest_the_demo_state_exit_0(project):
    demo = sorted(project.demo.glob("*.csv"))
    assert run(project, "validate", *demo).exit_code == 0
    result = run(project, "ingest", *demo)
    assert result.exit_code == 0
    for f in demo:
        assert f"{f}: 860 rows read = 860 accepted + 0 quarantined" in result.output


def test_ingest_prints_the_row_identity_and_where_the_quarantine_is(project, files, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(csv_text([row(n=5), row(n=6, district_name="<script>alert(1)</script>")]))
    result = run(project, "ingest", good, files["duplicates.csv"], files["absurd.csv"], files["empty.csv"],
                 files["broken.xlsx"])
    assert result.exit_code == 1
    out = result.output
    assert f"{good}: 2 rows read = 2 accepted + 0 quarantined" in out
    assert f"{files['duplicates.csv']}: 3 rows read = 1 accepted + 2 quarantined" in out
    assert f"{files['absurd.csv']}: 1 rows read = 0 accepted + 1 quarantined" in out
    assert f"{files['empty.csv']}: 0 rows read = 0 accepted + 0 quarantined" in out
    assert "quarantined rows with their reasons: " + str(project.quarantine) in out
    again = run(project, "ingest", good)
    assert again.exit_code == 0 and "already ingested" in again.output
    con = duckdb.connect(str(project.warehouse), read_only=True)
    assert con.execute("SELECT count(*) FROM submissions").fetchone() == (3,)


def test_ingest_an_xlsx_file(project, tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append([f.name for f in FIELDS])
    wb.active.append([row(n=9)[f.name] for f in FIELDS])
    path = tmp_path / "d.xlsx"
    wb.save(path)
    result = run(project, "ingest", path)
    assert result.exit_code == 0 and f"{path}: 1 rows read = 1 accepted + 0 quarantined" in result.output


def test_history_shows_replaced_and_current(project, tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text(csv_text([row(n=7)]))
    b.write_text(csv_text([row(n=7, helpdesk_tickets="800")]))
    run(project, "ingest", a)
    run(project, "ingest", b)
    result = run(project, "history", "9900007")
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert "replaced" in lines[1] and "a.csv" in lines[1] and "current" in lines[2] and "b.csv" in lines[2]
    unknown = run(project, "history", "1234567")
    assert unknown.exit_code == 1 and "no accepted submission from district '1234567'" in unknown.output


def test_import_bandwidth_errors_are_messages(project, tmp_path):
    wrong = tmp_path / "esh_fy2015.csv"
    wrong.write_text(csv_text([row()]))
    result = run(project, "import-bandwidth", wrong)
    assert result.exit_code == 1 and "Error: " in result.output and "missing: nces_cd" in result.output


@pytest.mark.skipif(not (REAL_DATA / "esh_districts_fy2015_IL.csv").exists(), reason="real public data not present")
def test_import_bandwidth_real_illinois_file(project):
    result = run(project, "import-bandwidth", REAL_DATA / "esh_districts_fy2015_IL.csv")
    assert result.exit_code == 0
    assert "860 rows read = 860 imported + 0 rejected (funding year 2015, school year 2015-16; 214 flagged" in result.output


def test_template_command_writes_the_three_files(project):
    for f in project.template.iterdir():
        f.unlink()
    result = run(project, "template")
    assert result.exit_code == 0
    assert sorted(p.name for p in project.template.iterdir()) == [
        "data_dictionary.csv", "submission_template.csv", "submission_template.xlsx"]
    wb = openpyxl.load_workbook(io.BytesIO((project.template / "submission_template.xlsx").read_bytes()))
    assert "Submission" in wb.sheetnames


def test_intake_timing_prints_the_figures(project):
    result = run(project, "intake-timing", "--naive-sample", "3")
    assert result.exit_code == 0
    assert "demo state: 3 files, 2,580 rows" in result.output
    assert "ratio naive / whole-table validation:" in result.output


def test_ingest_records_who_submitted_the_files(project, tmp_path):
    src = tmp_path / "kane.csv"
    src.write_text(csv_text([row(n=1)]))
    code, out = run_cli(project.root, "ingest", "--submitted-by", "Kane County ROE", str(src))
    assert code == 0, out
    with duckdb.connect(str(project.warehouse), read_only=True) as con:
        assert con.execute("SELECT ingested_by FROM raw_files").fetchall() == [("Kane County ROE",)]
