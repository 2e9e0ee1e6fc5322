"""Ingest: row accounting, raw files kept, quarantine with reasons, idempotence, derived tables."""

import json
import stat

import duckdb
import numpy as np
import pandas as pd
import pytest

from benchmarks.pipeline.ingest import ingest_files
from benchmarks.privacy.keys import DEMO_KEY, pseudonym
from benchmarks.registry.metrics import FIELDS

HEADER = ",".join(f.name for f in FIELDS)
GOOD = "2025-26,9900001,Alpha SD 1,PS,Test County,Rural,1200,60,1250,300,90000,1000,2500,0.8,70,40,700,18,2.5"


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_and_bad_rows_are_counted_kept_and_explained(project, tmp_path):
    bad_devices = GOOD.replace("9900001,Alpha", "9900002,Beta").replace(",1250,300,", ",abc,300,")
    bad_locale = GOOD.replace("9900001,Alpha", "9900003,Gamma").replace(",Rural,", ",Moon,")
    src = _write(tmp_path, "subs.csv", "\n".join([HEADER, GOOD, bad_devices, bad_locale]) + "\n")
    before = src.read_bytes()
    [result] = ingest_files([src], project, DEMO_KEY)
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (3, 1, 2)
    assert src.read_bytes() == before
    stored = project.raw / result.sha256 / f"{result.sha256[:12]}.csv"  # named by its hash, not as sent
    assert stored.read_bytes() == before and not stored.stat().st_mode & stat.S_IWUSR
    con = duckdb.connect(str(project.warehouse), read_only=True)
    q = con.execute("SELECT * FROM quarantine ORDER BY source_row").fetchall()
    # the warehouse: which row of which file, and why in words that quote nothing sent
    assert q == [(result.sha256, 3, "column student_devices: not a number"),
                 (result.sha256, 4, "column locale: not a listed locale")]
    # the analyst's owner-only file: the cells as sent and each problem with its value
    [qfile] = project.quarantine.glob("*.csv")
    qcsv = pd.read_csv(qfile, dtype=str, encoding="utf-8-sig")
    assert qcsv["district_name"].tolist() == ["Beta SD 1", "Gamma SD 1"]
    assert "column student_devices: value 'abc': expected a whole number" in qcsv.at[0, "problems"]
    assert "column locale: value 'Moon': expected one of City, Suburb, Town, Rural" in qcsv.at[1, "problems"]
    # the accepted district is stored under its keyed pseudonym, not its identifier
    pids = [r[0] for r in con.execute("SELECT pseudonym FROM submissions").fetchall()]
    assert pids == [pseudonym(DEMO_KEY, "9900001")]
    stored_rows = con.execute("SELECT * FROM submissions").df().astype(str)
    assert not stored_rows.isin(["9900001", "Alpha SD 1"]).any().any()


def test_missing_column_quarantines_every_row_with_a_file_level_reason(project, tmp_path):
    cells = dict(zip(HEADER.split(","), GOOD.split(",")))
    del cells["enrollment"]
    src = _write(tmp_path, "short.csv", ",".join(cells) + "\n" + ",".join(cells.values()) + "\n")
    [result] = ingest_files([src], project, DEMO_KEY)
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (1, 0, 1)
    con = duckdb.connect(str(project.warehouse), read_only=True)
    assert con.execute("SELECT reasons FROM quarantine").fetchone()[0] == "column enrollment: missing column"
    qcsv = pd.read_csv(result.quarantine_file, dtype=str, encoding="utf-8-sig")
    assert "column enrollment: expected this column in the header row" in qcsv.at[0, "problems"]


def test_a_measured_column_left_out_is_not_reported_never_zero(project, tmp_path):
    header = HEADER.replace(",tech_staff_fte", "")
    src = _write(tmp_path, "short.csv", header + "\n" + GOOD.rsplit(",", 1)[0] + "\n")
    [result] = ingest_files([src], project, DEMO_KEY)
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (1, 1, 0)
    con = duckdb.connect(str(project.warehouse), read_only=True)
    staff, devices = con.execute("SELECT tech_staff_fte, student_devices FROM submissions").fetchone()
    assert staff is None and devices == 1250
    metrics = con.execute("SELECT staff_per_1000_devices, devices_per_student FROM district_metrics").fetchone()
    assert metrics[0] is None and metrics[1] == pytest.approx(1250 / 1200)


def test_same_file_twice_changes_nothing_and_later_submission_replaces(project, tmp_path):
    first = _write(tmp_path, "a.csv", HEADER + "\n" + GOOD + "\n")
    ingest_files([first], project, DEMO_KEY)
    [again] = ingest_files([first], project, DEMO_KEY)
    assert again.already_ingested
    fix = _write(tmp_path, "b.csv", HEADER + "\n" + GOOD.replace(",1250,300,", ",1300,300,") + "\n")
    ingest_files([fix], project, DEMO_KEY)
    con = duckdb.connect(str(project.warehouse), read_only=True)
    assert con.execute("SELECT count(*) FROM submissions").fetchone()[0] == 2  # history kept
    assert con.execute("SELECT student_devices FROM current_submissions").fetchone()[0] == 1300
    dps = con.execute("SELECT devices_per_student FROM district_metrics").fetchone()[0]
    assert dps == pytest.approx(1300 / 1200)


def test_failure_halfway_leaves_the_warehouse_unchanged(project, tmp_path, monkeypatch):
    ok = _write(tmp_path, "ok.csv", HEADER + "\n" + GOOD + "\n")
    ingest_files([ok], project, DEMO_KEY)
    other = _write(tmp_path, "other.csv", HEADER + "\n" + GOOD.replace("9900001", "9900009") + "\n")
    import benchmarks.pipeline.ingest as ingest_module

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ingest_module, "rebuild_derived", boom)
    with pytest.raises(RuntimeError):
        ingest_files([other], project, DEMO_KEY)
    con = duckdb.connect(str(project.warehouse), read_only=True)
    assert con.execute("SELECT count(*) FROM submissions").fetchone()[0] == 1
    assert con.execute("SELECT count(*) FROM raw_files").fetchone()[0] == 1


def test_demo_state_ingests_cleanly(demo_project):
    con = duckdb.connect(str(demo_project.warehouse), read_only=True)
    files = con.execute("SELECT rows_read, rows_accepted, rows_quarantined FROM raw_files").fetchall()
    assert files == [(860, 860, 0)] * 3
    years = con.execute("SELECT school_year, count(*) FROM district_metrics GROUP BY 1 ORDER BY 1").fetchall()
    assert years == [("2023-24", 860), ("2024-25", 860), ("2025-26", 860)]
    # 860 districts x 3 years x 12 metrics x 4 stored groups (county, locale, size band, state)
    assert con.execute("SELECT count(*) FROM peer_stats").fetchone()[0] == 860 * 3 * 12 * 4
    unpublished = con.execute("SELECT count(*) FROM peer_stats WHERE NOT published AND (median IS NOT NULL "
                              "OR median_vs IS NOT NULL OR trend_slope IS NOT NULL)").fetchone()[0]
    assert unpublished == 0
    # the statistics tables built beside it in the same transaction
    for table in ("goal_gaps", "group_stats", "group_goals", "purchasing"):
        assert con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] > 0, table
    assert np.isfinite(con.execute("SELECT median(devices_per_student) FROM district_metrics").fetchone()[0])


# ---- the intake in full: formats, manifest, quarantine files, history, conversions --------------------------

import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import openpyxl  # noqa: E402
from conftest import GOOD_ROW, csv_text, row  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st

from benchmarks.config import Paths  # noqa: E402
from benchmarks.intake.submissions import submission_history  # noqa: E402


def _rows(con, sql, params=()):
    return con.execute(sql, list(params)).fetchall()


def _names(project) -> list[tuple]:
    """District names as recorded in the private crosswalk (they are never in the warehouse)."""
    cw = duckdb.connect(str(project.crosswalk), read_only=True)
    try:
        return _rows(cw, "SELECT district_name FROM crosswalk")
    finally:
        cw.close()


def test_windows_1252_semicolon_file_with_units_is_read_converted_and_recorded(project, tmp_path):
    text = csv_text([row(n=1, district_name="Peña Valley SD", bandwidth_mbps="1 Gbps", erate_discount="80%",
                         tech_staff_fte="2,5", enrollment="1200")], delimiter=";")
    src = tmp_path / "pena.csv"
    src.write_bytes(text.encode("cp1252"))
    [result] = ingest_files([src], project, DEMO_KEY)
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (1, 1, 0)
    con = duckdb.connect(str(project.warehouse), read_only=True)
    assert _names(project) == [("Peña Valley SD",)]
    assert _rows(con, "SELECT bandwidth_mbps, erate_discount, tech_staff_fte FROM submissions") == [(1000.0, 0.8, 2.5)]
    conv = _rows(con, "SELECT column_name, submitted, stored, rule FROM conversions ORDER BY column_name")
    assert conv == [("bandwidth_mbps", "1 Gbps", "1000", "Gbps converted to Mbps"),
                    ("erate_discount", "80%", "0.8", "percentage divided by 100"),
                    ("tech_staff_fte", "2,5", "2.5", "decimal comma")]
    assert _rows(con, "SELECT read_as FROM raw_files") == [("Windows-1252, semicolon-separated",)]


def test_manifest_says_who_when_and_which_file(project, tmp_path):
    src = tmp_path / "m.csv"
    src.write_text(csv_text([row(n=1), row(n=2, enrollment="x")]))
    [result] = ingest_files([src], project, DEMO_KEY, submitted_by="Ada Lovelace, Kane County ROE")
    manifest_path = project.raw / result.sha256 / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    # the name and path the file was sent under: here, owner-only, and nowhere in the warehouse
    assert manifest["sha256"] == result.sha256 and manifest["original_name"] == "m.csv"
    # who sent it: the name the analyst gave at ingest, not the account that ran the command
    assert manifest["source_path"] == str(src.resolve())
    assert manifest["ingested_by"] == "Ada Lovelace, Kane County ROE"
    assert manifest["archived_as"] == f"raw/{result.sha256}/{result.sha256[:12]}.csv"
    assert (manifest["rows_read"], manifest["rows_accepted"], manifest["rows_quarantined"]) == (2, 1, 1)
    assert stat.S_IMODE(manifest_path.stat().st_mode) == 0o400
    import hashlib
    archived = project.data / manifest["archived_as"]
    assert hashlib.sha256(archived.read_bytes()).hexdigest() == result.sha256
    assert stat.S_IMODE(archived.stat().st_mode) == 0o400
    con = duckdb.connect(str(project.warehouse), read_only=True)
    assert _rows(con, "SELECT sha256, archived_as FROM raw_files") == [(result.sha256, manifest["archived_as"])]


def test_xlsx_submission_is_ingested_and_its_quarantine_is_neutralized(project, tmp_path):
    from benchmarks.registry.metrics import FIELDS
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([f.name for f in FIELDS])
    good = [row(n=1)[f.name] for f in FIELDS]
    bad = [row(n=2, district_name="=HYPERLINK(\"http://evil\")", student_devices="lots")[f.name] for f in FIELDS]
    ws.append([float(v) if f.dtype != "text" else v for f, v in zip(FIELDS, good)])
    ws.append(bad)
    ws.cell(3, 3).data_type = "s"  # typed as text in Excel, not a formula
    src = tmp_path / "district.xlsx"
    wb.save(src)
    [result] = ingest_files([src], project, DEMO_KEY)
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (2, 1, 1)
    qcsv = pd.read_csv(result.quarantine_file, dtype=str, encoding="utf-8-sig")
    assert qcsv.at[0, "district_name"] == "'=HYPERLINK(\"http://evil\")" and qcsv.at[0, "source_row"] == "3"
    assert "column student_devices: value 'lots'" in qcsv.at[0, "problems"]
    qx = openpyxl.load_workbook(result.quarantine_file.with_suffix(".xlsx")).active
    name_cell = [c for c in qx[2] if c.value and "HYPERLINK" in str(c.value)][0]
    assert name_cell.value.startswith("'=") and name_cell.data_type == "s"
    con = duckdb.connect(str(project.warehouse), read_only=True)
    assert _rows(con, "SELECT source_row, reasons FROM quarantine") == [(3, "column student_devices: not a number")]


def test_formula_like_names_of_accepted_rows_are_kept_as_text(project, tmp_path):
    src = tmp_path / "f.csv"
    src.write_text(csv_text([row(n=1, district_name="=1+1"), row(n=2, district_name="<script>alert(1)</script>")]))
    [result] = ingest_files([src], project, DEMO_KEY)
    assert result.rows_accepted == 2
    assert {r[0] for r in _names(project)} == {"=1+1", "<script>alert(1)</script>"}


def test_later_submission_replaces_earlier_and_history_shows_both(project, tmp_path):
    first, second, third = (tmp_path / f"{n}.csv" for n in ("first", "second", "third"))
    first.write_text(csv_text([row(n=1), row(n=2)]))
    second.write_text(csv_text([row(n=1, student_devices="1300")]))
    third.write_text(csv_text([row(n=1, student_devices="bad")]))  # a quarantined row replaces nothing
    ingest_files([first], project, DEMO_KEY)
    ingest_files([second, third], project, DEMO_KEY)
    con = duckdb.connect(str(project.warehouse), read_only=True)
    pid = pseudonym(DEMO_KEY, "9900001")
    assert _rows(con, "SELECT student_devices FROM current_submissions WHERE pseudonym = ?", [pid]) == [(1300,)]
    assert _rows(con, "SELECT count(*) FROM submissions WHERE pseudonym = ?", [pid]) == [(2,)]
    con.close()
    hist = submission_history(project, DEMO_KEY, "9900001")
    assert list(hist["file"]) == ["first.csv", "second.csv"] and list(hist["status"]) == ["replaced", "current"]
    assert list(hist["row"]) == [2, 2]


def test_header_only_and_empty_files_are_recorded_with_their_problem(project, tmp_path):
    empty, header = tmp_path / "empty.csv", tmp_path / "header.csv"
    empty.write_bytes(b"")
    header.write_text(csv_text([]))
    results = ingest_files([empty, header], project, DEMO_KEY)
    assert [(r.rows_read, r.rows_accepted, r.rows_quarantined) for r in results] == [(0, 0, 0), (0, 0, 0)]
    assert [p.reason for r in results for p in r.problems] == ["empty file", "no data rows"]
    con = duckdb.connect(str(project.warehouse), read_only=True)
    assert sorted(_rows(con, "SELECT file_problems FROM raw_files")) == [("the file: empty file",),
                                                                         ("the file: no data rows",)]


def test_failure_halfway_writes_no_quarantine_file(project, tmp_path, monkeypatch):
    src = tmp_path / "bad.csv"
    src.write_text(csv_text([row(n=1, enrollment="x")]))
    import benchmarks.pipeline.ingest as ingest_module

    monkeypatch.setattr(ingest_module, "rebuild_derived", lambda *a: (_ for _ in ()).throw(RuntimeError("boom")))
    with pytest.raises(RuntimeError):
        ingest_files([src], project, DEMO_KEY)
    assert not project.quarantine.exists() or not list(project.quarantine.iterdir())
    con = duckdb.connect(str(project.warehouse), read_only=True)
    for table in ("raw_files", "quarantine", "problems", "submissions"):
        assert _rows(con, f"SELECT count(*) FROM {table}") == [(0,)], table
    assert not project.crosswalk.exists()  # written only just before the warehouse commits
    con.close()
    monkeypatch.undo()
    [again] = ingest_files([src], project, DEMO_KEY)  # the kept raw copy does not block a retry
    assert (again.rows_read, again.rows_quarantined) == (1, 1) and not again.already_ingested


def test_warehouse_of_an_earlier_version_gains_the_new_columns(project, tmp_path):
    from benchmarks.warehouse.store import connect
    with connect(project.warehouse) as con:
        con.execute("ALTER TABLE submissions DROP COLUMN erate_discount")
        for col in ("kind", "read_as", "notes", "file_problems"):
            con.execute(f"ALTER TABLE raw_files DROP COLUMN {col}")
    src = tmp_path / "a.csv"
    src.write_text(csv_text([row(n=1)]))
    [result] = ingest_files([src], project, DEMO_KEY)
    assert result.rows_accepted == 1
    con = duckdb.connect(str(project.warehouse), read_only=True)
    assert _rows(con, "SELECT erate_discount, student_devices FROM submissions") == [(0.8, 1250)]


def test_warehouse_that_kept_file_names_and_values_hands_them_to_private_files(project, tmp_path):
    """A warehouse from before names left it: original file names, rows as sent and problem values move out."""
    import hashlib

    sha = hashlib.sha256(b"old file").hexdigest()
    old_copy = project.raw / sha / "Alpha SD 1 devices.csv"
    old_copy.parent.mkdir(parents=True)
    old_copy.write_bytes(b"old file")
    project.warehouse.parent.mkdir(parents=True)
    con = duckdb.connect(str(project.warehouse))
    con.execute("""
        CREATE TABLE raw_files (sha256 VARCHAR PRIMARY KEY, original_name VARCHAR NOT NULL,
            stored_path VARCHAR NOT NULL, size_bytes BIGINT NOT NULL, ingested_at TIMESTAMP NOT NULL,
            ingested_by VARCHAR, rows_read INTEGER NOT NULL, rows_accepted INTEGER NOT NULL,
            rows_quarantined INTEGER NOT NULL, kind VARCHAR, source_path VARCHAR, read_as VARCHAR, notes VARCHAR);
        CREATE TABLE quarantine (source_sha256 VARCHAR NOT NULL, original_name VARCHAR NOT NULL,
            source_row INTEGER NOT NULL, reasons VARCHAR NOT NULL, raw_values VARCHAR NOT NULL);
        CREATE TABLE problems (source_sha256 VARCHAR NOT NULL, source_row INTEGER, column_name VARCHAR NOT NULL,
            value VARCHAR NOT NULL, expected VARCHAR NOT NULL, reason VARCHAR NOT NULL);
        CREATE TABLE conversions (source_sha256 VARCHAR NOT NULL, source_row INTEGER NOT NULL,
            column_name VARCHAR NOT NULL, submitted VARCHAR NOT NULL, stored VARCHAR NOT NULL, rule VARCHAR NOT NULL);
    """)
    con.execute("INSERT INTO raw_files VALUES (?, 'Alpha SD 1 devices.csv', ?, 8, now(), 'me', 1, 0, 1, "
                "'submission', '/home/me/Alpha SD 1 devices.csv', 'XLSX, sheet ''Alpha SD 1''', "
                "'column ''Alpha notes'' is not part of the template and was ignored')", [sha, str(old_copy)])
    con.execute("INSERT INTO quarantine VALUES (?, 'Alpha SD 1 devices.csv', 2, "
                "'row 2, column district_id: value ''99x'': expected an id', ?)",
                [sha, json.dumps({"district_id": "99x", "district_name": "Alpha SD 1"})])
    con.execute("INSERT INTO problems VALUES (?, 2, 'district_id', '99x', 'an id', 'not an NCES id')", [sha])
    con.execute("INSERT INTO conversions VALUES (?, 3, 'district_id', '990001', '0990001', 'leading zero')", [sha])
    con.close()
    src = tmp_path / "a.csv"
    src.write_text(csv_text([row(n=1)]))
    ingest_files([src], project, DEMO_KEY)
    con = duckdb.connect(str(project.warehouse), read_only=True)
    text = con.execute("SELECT * FROM raw_files").df().to_string() + con.execute(
        "SELECT * FROM quarantine").df().to_string() + con.execute("SELECT * FROM problems").df().to_string() + \
        con.execute("SELECT * FROM conversions").df().to_string()
    for secret in ("Alpha", "99x", "990001", "/home/me"):
        assert secret not in text, secret
    assert _rows(con, "SELECT reasons FROM quarantine") == [("column district_id: not an NCES id",)]
    assert _rows(con, "SELECT read_as, notes FROM raw_files WHERE sha256 = ?", [sha]) == [
        ("XLSX, an .xlsx sheet", "a column is not part of the template and was ignored")]
    archived = project.raw / sha / f"{sha[:12]}.csv"
    assert archived.read_bytes() == b"old file" and not old_copy.exists()
    assert json.loads((project.raw / sha / "manifest.json").read_text())["original_name"] == "Alpha SD 1 devices.csv"
    [kept] = project.quarantine.glob(f"{sha[:12]}-*.csv")  # nothing lost: the row as sent, for the analyst
    qcsv = pd.read_csv(kept, dtype=str, encoding="utf-8-sig")
    assert qcsv.at[0, "district_name"] == "Alpha SD 1" and "value '99x'" in qcsv.at[0, "problems"]


# ---- property: whatever the rows, every row is accepted or quarantined and nothing crashes ----------------

_cell = st.one_of(
    st.sampled_from(["", " ", "0", "-1", "1,200", "1.200", "25%", "1 Gbps", "NaN", "inf", "=1+1", "@x", "+5",
                     "Rural", "PS", "2025-26", "9900001", "<b>", "1e400", "\u00a0", "\"", "a,b", "x\ny"]),
    st.text(max_size=12),
    st.integers(-10, 10**7).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


@st.composite
def submission_rows(draw):
    n = draw(st.integers(0, 6))
    rows = []
    for i in range(n):
        r = row(n=draw(st.integers(1, 4)))  # repeated ids give duplicates within the file
        for name in draw(st.lists(st.sampled_from(list(GOOD_ROW)), max_size=5)):
            r[name] = draw(_cell)
        rows.append(r)
    return rows, draw(st.sampled_from([",", ";", "\t"])), draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])  # a warehouse each
@given(submission_rows())
def test_every_row_is_accepted_or_quarantined_and_nothing_crashes(case):
    rows, delimiter, encoding = case
    text = csv_text(rows, delimiter=delimiter)
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        project = Paths(Path(tmp) / "p")
        src = Path(tmp) / "gen.csv"
        src.write_bytes(data)
        [result] = ingest_files([src], project, DEMO_KEY)
        assert result.rows_read == result.rows_accepted + result.rows_quarantined
        con = duckdb.connect(str(project.warehouse), read_only=True)
        stored = _rows(con, "SELECT count(*) FROM submissions")[0][0]
        quarantined = _rows(con, "SELECT count(*) FROM quarantine")[0][0]
        raw = _rows(con, "SELECT rows_read, rows_accepted, rows_quarantined FROM raw_files")[0]
        con.close()
        assert (stored, quarantined) == (result.rows_accepted, result.rows_quarantined)
        assert raw == (result.rows_read, result.rows_accepted, result.rows_quarantined)
        nonblank = sum(any(str(v).strip() for v in r.values()) for r in rows)
        assert result.rows_read == nonblank  # blank rows are not rows; every other row is counted
        if result.rows_quarantined:
            q = pd.read_csv(result.quarantine_file, dtype=str, keep_default_na=False, encoding="utf-8-sig")
            assert len(q) == result.rows_quarantined and (q["problems"] != "").all()
