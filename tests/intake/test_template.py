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


# --- the template pre-filled from the imported public data (benchmarks template --prefill) ---------------------

import stat  # noqa: E402

from click.testing import CliRunner  # noqa: E402
from conftest import REAL_DATA, public_csv  # noqa: E402

from benchmarks.cli import main  # noqa: E402
from benchmarks.config import Paths, prefilled_folder  # noqa: E402
from benchmarks.intake.prefill import (FLAGGED, NOT_PUBLISHED, OUT_OF_RANGE, filled, prefill,  # noqa: E402
                                       write_prefilled)
from benchmarks.pipeline.ingest import import_bandwidth  # noqa: E402
from benchmarks.privacy.keys import KeyProblem  # noqa: E402

KEY = b"prefill-test-key-0123456789"
ENV = {"BENCHMARKS_KEY": KEY.decode()}
REAL_IL = REAL_DATA / "esh_districts_fy2015_IL.csv"
#: esh_id, nces_cd, name, locale, num_students, county, postal_cd, exclude_from_analysis, kbps per student,
#: cost per Mbps, total Mbps, extra: a plain district, one with a leading zero dropped (Alabama), one the publisher
#: flagged, one without published figures, one with more bandwidth than any validator accepts (2 Tbps), one named
#: like a formula, one whose cost per Mbps is unusual but possible (filled in, for the district to confirm).
PUBLIC_ROWS = [
    ["1", "1700010", "ALPHA CUSD 1", "Rural", "1200", "KANE COUNTY", "IL", "FALSE", "416.67", "12.5", "500", "x"],
    ["2", "100005", "BETA CITY SD", "Urban", "5000", "MOBILE COUNTY", "AL", "FALSE", "200", "7.123456", "999.999", ""],
    ["3", "1700020", "GAMMA SD 2", "Small Town", "800", "KANE COUNTY", "IL", "TRUE", "125", "30", "100", ""],
    ["4", "1700030", "DELTA SD 3", "Suburban", "3000", "COOK COUNTY", "IL", "FALSE", "NA", "NA", "NA", ""],
    ["5", "1700040", "EPSILON SD 4", "Rural", "400", "COOK COUNTY", "IL", "FALSE", "5000000", "5", "2000000", ""],
    ["6", "1700050", "=HYPERLINK(\"x\")", "Rural", "900", "COOK COUNTY", "IL", "FALSE", "111.11", "10", "100", ""],
    ["7", "1700060", "ZETA SD 5", "Rural", "300", "COOK COUNTY", "IL", "FALSE", "33.33", "5000", "10", ""],
]


@pytest.fixture
def public_project(tmp_path) -> Paths:
    """An empty project folder holding the small public file, imported."""
    p = Paths(tmp_path / "project")
    import_bandwidth(public_csv(tmp_path, PUBLIC_ROWS), p, KEY)
    return p


def test_prefill_rows_hold_identity_and_public_network_figures(public_project):
    pre = prefill(public_project, KEY)
    assert (pre.school_year, pre.funding_year, pre.states) == ("2015-16", 2015, ("AL", "IL"))
    rows = pre.rows.set_index("district_id")
    assert list(pre.rows.columns) == [f.name for f in FIELDS]
    assert list(rows.index) == ["0100005", "1700050", "1700030", "1700040", "1700060", "1700010",
                                "1700020"]  # state, county, name
    assert (rows["school_year"] == "2015-16").all()
    alpha = rows.loc["1700010"]
    assert (alpha["district_name"], alpha["state"], alpha["county"], alpha["locale"], alpha["enrollment"]) == (
        "ALPHA CUSD 1", "IL", "KANE COUNTY", "Rural", 1200)
    assert alpha["bandwidth_mbps"] == 500 and alpha["internet_monthly_cost_usd"] == 6250.00
    beta = rows.loc["0100005"]  # NCES id zero-padded, the publisher's old locale name read as today's
    assert beta["locale"] == "City" and beta["bandwidth_mbps"] == 999.999
    assert beta["internet_monthly_cost_usd"] == round(7.123456 * 999.999, 2) == 7123.45
    assert rows.loc["1700020", "locale"] == "Town"
    measured_elsewhere = [f.name for f in FIELDS[7:] if f.name not in ("bandwidth_mbps", "internet_monthly_cost_usd")]
    assert pre.rows[measured_elsewhere].isna().all().all()
    # flagged: identity kept, the publisher's network figures not passed on; none published; none acceptable
    why = pre.blank.set_index(pre.rows["district_id"])
    for district, reason in (("1700020", FLAGGED), ("1700030", NOT_PUBLISHED), ("1700040", OUT_OF_RANGE)):
        assert rows.loc[district, ["bandwidth_mbps", "internet_monthly_cost_usd"]].isna().all(), district
        assert (why.loc[district] == reason).all(), district
        assert rows.loc[district, "district_name"] and rows.loc[district, "enrollment"] > 0
    assert why.loc["1700010"].isna().all() and why.loc["1700060"].isna().all()
    assert rows.loc["1700060", "internet_monthly_cost_usd"] == 50000  # $5,000 per Mbps: unusual, not impossible
    assert "1 the publisher flagged as unreliable and 1 outside the accepted ranges" in pre.summary()


def test_prefill_one_state_and_a_school_year_as_people_type_it(public_project):
    assert set(prefill(public_project, KEY, state=" il ").rows["state"]) == {"IL"}
    assert prefill(public_project, KEY, school_year="2015").funding_year == 2015
    with pytest.raises(LookupError, match=r"state 'TX' in school year 2015-16; states imported: AL, IL"):
        prefill(public_project, KEY, state="TX")
    with pytest.raises(LookupError, match=r"no public data imported for school year 2016-17; school years "
                                          r"imported: 2015-16"):
        prefill(public_project, KEY, school_year="2016-17")
    with pytest.raises(ValueError, match="expected e.g. 2015-16"):
        prefill(public_project, KEY, school_year="last year")


def test_funding_year_2015_fills_school_year_2015_16_unless_imported_as_another(public_project, tmp_path):
    """E-rate funding year Y runs July Y to June Y+1 (registry.years.funding_school_year): FY2015 is 2015-16."""
    assert set(prefill(public_project, KEY).rows["school_year"]) == {"2015-16"}
    import_bandwidth(public_csv(tmp_path, PUBLIC_ROWS[:2], name="esh_fy2016.csv"), public_project, KEY,
                     school_year="2017-18")
    later = prefill(public_project, KEY)
    assert (later.school_year, later.funding_year, len(later.rows)) == ("2017-18", 2016, 2)
    assert set(later.rows["school_year"]) == {"2017-18"}
    assert prefill(public_project, KEY, school_year="2015-16").funding_year == 2015
    guide = "\n".join(filled(later).guide)
    assert "(July 2016 to June 2017, imported as the figures of school year 2017-18)" in guide


def test_prefill_refuses_another_key(public_project):
    with pytest.raises(KeyProblem, match="different pseudonym key"):
        prefill(public_project, b"another-key-0123456789abcdef")
    result = CliRunner().invoke(main, ["--root", str(public_project.root), "template", "--prefill"],
                                env={"BENCHMARKS_KEY": "another-key-0123456789abcdef"})
    assert result.exit_code == 1 and result.output.startswith("Error: ") and "different pseudonym key" in result.output


def test_prefilled_files_validate_unchanged_and_are_the_analysts(public_project):
    written = write_prefilled(public_project, KEY)
    folder = prefilled_folder(public_project, "2015-16")
    assert written.folder == folder and [f.name for f in written.files] == [
        "submission_template_2015-16.xlsx", "submission_template_2015-16.csv"]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in written.files)
    for checked in validate_files(written.files):
        assert checked.ok, checked.lines()
        assert len(checked.accepted) == len(PUBLIC_ROWS)
        assert [(f.row, f.column) for f in checked.flags] == [(6, "internet_monthly_cost_usd, bandwidth_mbps")]
    wb = openpyxl.load_workbook(written.files[0])
    ws = wb[ENTRY_SHEET]
    header = [c.value for c in ws[1]]
    by_id = {r[1].value: r for r in ws.iter_rows(min_row=2)}
    bw, cost = header.index("bandwidth_mbps"), header.index("internet_monthly_cost_usd")
    assert by_id["1700010"][bw].value == 500 and by_id["1700010"][cost].value == 6250
    formula_like = by_id["1700050"][header.index("district_name")]
    assert formula_like.value == '=HYPERLINK("x")' and formula_like.data_type == "s"  # text, never run
    flagged = by_id["1700020"]
    assert flagged[bw].value is None and "flagged" in flagged[bw].comment.text
    assert "exclude_from_analysis" in flagged[cost].comment.text
    assert "funding year 2015" in ws.cell(1, bw + 1).comment.text
    guide = "\n".join(str(r[0]) for r in wb["Instructions"].iter_rows(values_only=True) if r[0])
    assert "EducationSuperHighway (Connect K-12) public data, E-rate funding year 2015" in guide
    assert "(July 2015 to June 2016, so school year 2015-16)" in guide and "flagged the district's figures as unreliable" in guide
    assert "lists 7 districts" in guide and "--split" in guide
    csv_text = written.files[1].read_text(encoding="utf-8-sig")
    assert "\n2015-16,1700010,ALPHA CUSD 1,IL,KANE COUNTY,Rural,1200,,,,,500,6250,," in csv_text.replace("\r", "")
    assert "'=HYPERLINK" in csv_text  # neutralized for a spreadsheet


def test_split_writes_one_file_per_district(public_project, tmp_path):
    result = run(public_project.root, "template", "--prefill", "--state", "IL", "--split", "--out", tmp_path / "to_send")
    assert result.exit_code == 0 and f"6 districts, an XLSX and a CSV file each, in {tmp_path / 'to_send'}" in result.output
    written = write_prefilled(public_project, KEY, state="IL", out=tmp_path / "to_send", split=True)
    assert sorted(f.name for f in written.files if f.suffix == ".xlsx") == [
        f"submission_template_2015-16_{d}.xlsx" for d in ("1700010", "1700020", "1700030", "1700040", "1700050",
                                                          "1700060")]
    [checked] = validate_files([tmp_path / "to_send" / "submission_template_2015-16_1700010.csv"])
    assert checked.ok and list(checked.accepted["district_id"]) == ["1700010"]
    guide = [r[0] for r in openpyxl.load_workbook(written.files[0])["Instructions"].iter_rows(values_only=True)]
    assert not any("districts: it is the association's copy" in str(line) for line in guide)


def run(root, *args):
    return CliRunner().invoke(main, ["--root", str(root), *map(str, args)], env=ENV)


def test_prefill_command_says_plainly_what_is_missing(tmp_path):
    empty = run(tmp_path / "empty", "template", "--prefill")
    assert empty.exit_code == 1 and empty.output == "Error: no public data imported yet: run `benchmarks import-bandwidth FILE` first\n"
    stray = run(tmp_path / "empty", "template", "--state", "IL")
    assert stray.exit_code == 2 and "--school-year, --state, --out and --split go with --prefill" in stray.output


def test_prefill_command_writes_and_names_the_files(public_project):
    result = run(public_project.root, "template", "--prefill", "--school-year", "2015-16", "--state", "IL")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("6 districts of IL, school year 2015-16 (E-rate funding year 2015): bandwidth "
                               "filled in for 3, monthly cost for 3")
    folder = prefilled_folder(public_project, "2015-16")
    assert lines[1:] == [str(folder / "submission_template_2015-16_IL.xlsx"),
                         str(folder / "submission_template_2015-16_IL.csv")]
    wrong = run(public_project.root, "template", "--prefill", "--state", "TX")
    assert wrong.exit_code == 1 and wrong.output.startswith("Error: no public data for state 'TX'")
    checked = run(public_project.root, "validate", *lines[1:])
    assert checked.exit_code == 0 and "6 rows read = 6 accepted + 0 quarantined" in checked.output
    helptext = " ".join(run(public_project.root, "template", "--help").output.split())
    assert "sent to each district" in helptext and "import-bandwidth" in helptext


@pytest.mark.skipif(not REAL_IL.exists(), reason=f"real public data not present at {REAL_IL}")
def test_prefilled_from_the_real_illinois_file_validate_unchanged(tmp_path):
    p = Paths(tmp_path / "project")
    import_bandwidth(REAL_IL, p, KEY)
    written = write_prefilled(p, KEY, state="IL")
    pre = written.prefill
    assert len(pre.rows) == 860 and (pre.blank["bandwidth_mbps"] == FLAGGED).sum() == 214
    kane = pre.rows[pre.rows["county"] == "KANE COUNTY"]
    assert len(kane) == 9 and "SD U-46" in set(kane["district_name"])
    for checked in validate_files(written.files):
        assert checked.ok, checked.lines(limit=5)
        assert len(checked.accepted) == 860
