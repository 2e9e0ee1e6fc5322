"""Keyed pseudonyms, the key's safety, and the crosswalk kept apart from the metrics."""

import hashlib
import hmac
import stat

import duckdb
import pytest
from click.testing import CliRunner
from conftest import csv_text, row

import benchmarks.privacy.crosswalk as crosswalk_module
from benchmarks.cli import main
from benchmarks.pipeline.ingest import ingest_files
from benchmarks.privacy.keys import DEMO_KEY, KEY_ENV, KeyProblem, key_fingerprint, load_key, pseudonym
from benchmarks.reports.district import load_district_report

ALPHA = row(district_id="9900001", district_name="Alpha SD 1")
OTHER_KEY = b"another-secret-key-0123456789abcdef"


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_key_file_is_created_owner_only_and_refused_when_others_can_read_it(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    key_file = tmp_path / "config" / "district-benchmarks" / "key"
    key = load_key(key_file)
    assert len(key) == 64 and _mode(key_file) == 0o600 and _mode(key_file.parent) == 0o700
    assert load_key(key_file) == key  # the same key on every later use
    key_file.chmod(0o644)
    with pytest.raises(KeyProblem, match="readable by others.*chmod 600"):
        load_key(key_file)
    monkeypatch.setenv(KEY_ENV, "short")
    with pytest.raises(KeyProblem, match="at least 16 characters"):
        load_key(key_file)
    monkeypatch.setenv(KEY_ENV, "x" * 40)
    assert load_key(key_file) == b"x" * 40


def _unkeyed_guesses(district_id: str) -> set[str]:
    """What an attacker holding the public ID list would try: plain hashes of the ID in common spellings."""
    spellings = {district_id, district_id.strip(), district_id.lstrip("0"), f"PS{district_id}", f"PS-{district_id}",
                 district_id.lower(), district_id + "\n"}
    out = set()
    for text in spellings:
        for algo in ("md5", "sha1", "sha224", "sha256", "sha384", "sha512", "blake2b", "blake2s", "sha3_256"):
            digest = hashlib.new(algo, text.encode()).hexdigest()
            out.update({"D" + digest[:15], "D" + digest[-15:]})
        for weak_key in (b"", b"demo", b"key", b"secret", text.encode()):
            out.add("D" + hmac.new(weak_key, text.encode(), hashlib.sha256).hexdigest()[:15])
    return out


def test_pseudonyms_cannot_be_matched_by_hashing_the_public_id_list(demo_project):
    con = duckdb.connect(str(demo_project.warehouse), read_only=True)
    stored = {r[0] for r in con.execute("SELECT DISTINCT pseudonym FROM submissions").fetchall()}
    con.close()
    ids = set()
    for f in demo_project.demo.glob("submissions_*.csv"):
        ids.update(line.split(",")[1] for line in f.read_text().splitlines()[1:])
    assert len(ids) == 860 and len(stored) == 860
    guesses = set().union(*(_unkeyed_guesses(i) for i in ids))
    assert not guesses & stored
    # ... while with the key every pseudonym is reproduced: the comparison above could have matched
    assert {pseudonym(DEMO_KEY, i) for i in ids} == stored
    assert not {pseudonym(OTHER_KEY, i) for i in ids} & stored


def test_ingest_with_another_key_is_refused_and_changes_nothing(project, tmp_path):
    first = _write(tmp_path, "a.csv", csv_text([ALPHA]))
    ingest_files([first], project, DEMO_KEY)
    second = _write(tmp_path, "b.csv", csv_text([row(n=2)]))
    with pytest.raises(KeyProblem, match=r"warehouse\.duckdb was built with a different pseudonym key"):
        ingest_files([second], project, OTHER_KEY)
    con = duckdb.connect(str(project.warehouse), read_only=True)
    assert con.execute("SELECT count(*) FROM submissions").fetchone()[0] == 1
    assert con.execute("SELECT value FROM meta WHERE key = 'key_fingerprint'").fetchone()[0] == \
        key_fingerprint(DEMO_KEY)


def warehouse_text(warehouse) -> list[tuple[str, str, str]]:
    """Every text value the warehouse holds: (table, column, value) over every VARCHAR column of every table."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        out = []
        for table, column in con.execute("SELECT table_name, column_name FROM information_schema.columns "
                                         "WHERE data_type = 'VARCHAR'").fetchall():
            out += [(table, column, r[0]) for r in con.execute(
                f'SELECT DISTINCT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL').fetchall()]
        return out
    finally:
        con.close()


def crosswalk_secrets(cw) -> set[str]:
    con = duckdb.connect(str(cw), read_only=True)
    try:
        return {v for r in con.execute("SELECT district_id, district_name FROM crosswalk").fetchall() for v in r}
    finally:
        con.close()


def leaks(warehouse, secrets) -> list[tuple[str, str, str]]:
    """Text values of the warehouse that hold (not only equal) a secret: a name, an ID, a file name."""
    return [(t, c, secret) for t, c, v in warehouse_text(warehouse) for secret in secrets if secret in v]


def test_crosswalk_lives_apart_owner_only_and_the_warehouse_holds_no_name_or_id(demo_project):
    cw = demo_project.crosswalk
    assert cw.parent == demo_project.private
    assert _mode(cw) == 0o600 and _mode(cw.parent) == 0o700
    con = duckdb.connect(str(demo_project.warehouse), read_only=True)
    tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
    con.close()
    assert "crosswalk" not in tables
    secret = crosswalk_secrets(cw)
    assert len(secret) == 2 * 860
    files = {f.name for f in demo_project.demo.glob("submissions_*.csv")}
    assert files and leaks(demo_project.warehouse, secret | files) == []


def test_rejected_rows_file_names_and_sheet_names_stay_out_of_the_warehouse(project, tmp_path):
    """Quarantined rows carry names and IDs, a file's name and its sheet's often a district's: none of it is
    stored in the warehouse, and the quarantine files keep the rows as sent."""
    import openpyxl
    from conftest import GOOD_ROW, public_csv

    from benchmarks.pipeline.ingest import import_bandwidth

    header = list(GOOD_ROW) + ["Hidden Creek notes"]  # a header cell the template does not know
    sub = _write(tmp_path, "Kestrel Ridge USD 7 technology 2025-26.csv", csv_text([
        row(n=1), row(n=2, district_id="990002"),  # six digits: the leading zero is restored, not recorded
        row(n=3, district_name="Secret Valley SD", enrollment="lots"),  # rejected, with its name and ID
        dict(row(n=4, district_name="Hidden Creek SD"), district_id="Hidden Creek SD"),  # a name as its ID:
        # rejected (an ID is 7 digits), kept in the quarantine file only
        dict(row(n=5, district_name="Twin Pines SD"), district_id="9900006"),
        dict(row(n=6, district_name="Twin Pines SD"), district_id="9900006"),  # the same district twice
        ], header=header))
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Marsh Hollow SD"
    ws.append(list(GOOD_ROW))
    ws.append(list(row(n=7, district_name="Marsh Hollow SD", student_devices="many").values()))
    xlsx = tmp_path / "Marsh Hollow SD.xlsx"
    wb.save(xlsx)
    ingest_files([sub, xlsx], project, DEMO_KEY)
    esh = public_csv(tmp_path, [[1, "1700001", "X SD", "Rural", "10", "K", "IL", "FALSE", "5", "1", "1", ""],
                                [2, "17000x2", "Quarry Lake SD", "Rural", "10", "K", "IL", "TRUE", "NA", "NA", "NA", ""]],
                     name="Quarry Lake SD fy2015.csv")
    import_bandwidth(esh, project, DEMO_KEY)

    rejected = {"Secret Valley SD", "9900003", "Hidden Creek SD", "Twin Pines SD", "9900006", "Marsh Hollow SD",
                "9900007", "Quarry Lake SD", "17000x2", "lots", "many", "990002", "0990002"}
    file_names = {f.name for f in (sub, xlsx, esh)} | {f.stem for f in (sub, xlsx, esh)} | {"Kestrel Ridge"}
    secrets = crosswalk_secrets(project.crosswalk) | rejected | file_names
    assert {"0990002", "X SD"} <= crosswalk_secrets(project.crosswalk)  # accepted names and IDs: the crosswalk
    assert "Hidden Creek SD" not in crosswalk_secrets(project.crosswalk)
    assert leaks(project.warehouse, secrets) == []
    con = duckdb.connect(str(project.warehouse), read_only=True)
    assert con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 6  # every rejected row is accounted for
    con.close()
    # nothing is lost: the rows as sent, with every value, are in the analyst's quarantine files
    kept = "".join(f.read_text(encoding="utf-8-sig") for f in project.quarantine.glob("*.csv"))
    for value in rejected - {"990002", "0990002"}:
        assert value in kept, value


def test_a_failed_ingest_puts_no_new_name_in_use(project, tmp_path, monkeypatch):
    ingest_files([_write(tmp_path, "a.csv", csv_text([ALPHA]))], project, DEMO_KEY)
    renamed = _write(tmp_path, "b.csv", csv_text([dict(ALPHA, district_name="Alpha Renamed SD 1")]))
    real_record = crosswalk_module.record

    def record_then_fail(*args, **kwargs):
        real_record(*args, **kwargs)  # the crosswalk commits ...
        raise RuntimeError("disk full")  # ... and the warehouse does not

    monkeypatch.setattr(crosswalk_module, "record", record_then_fail)
    with pytest.raises(RuntimeError):
        ingest_files([renamed], project, DEMO_KEY)
    district = pseudonym(DEMO_KEY, "9900001")
    assert load_district_report(project.warehouse, district, "2025-26").name == "Alpha SD 1"
    monkeypatch.setattr(crosswalk_module, "record", real_record)
    ingest_files([renamed], project, DEMO_KEY)
    assert load_district_report(project.warehouse, district, "2025-26").name == "Alpha Renamed SD 1"


def test_a_warehouse_from_before_the_move_hands_its_names_over(project, tmp_path):
    ingest_files([_write(tmp_path, "a.csv", csv_text([ALPHA]))], project, DEMO_KEY)
    district = pseudonym(DEMO_KEY, "9900001")
    # the old layout: the crosswalk as a table inside the warehouse, no fingerprint, no separate file
    con = duckdb.connect(str(project.warehouse))
    con.execute("CREATE TABLE crosswalk (pseudonym VARCHAR PRIMARY KEY, district_id VARCHAR, district_name VARCHAR)")
    con.execute("INSERT INTO crosswalk VALUES (?, '9900001', 'Alpha SD 1')", [district])
    con.execute("DELETE FROM meta")
    con.execute("UPDATE submissions SET source_sha256 = 'from-an-old-file'")
    con.close()
    project.crosswalk.unlink()
    second = _write(tmp_path, "b.csv", csv_text([row(district_id="9900002", district_name="Beta SD 1")]))
    with pytest.raises(KeyProblem, match="different pseudonym key"):
        ingest_files([second], project, OTHER_KEY)
    ingest_files([second], project, DEMO_KEY)
    con = duckdb.connect(str(project.warehouse), read_only=True)
    assert not con.execute("SELECT 1 FROM information_schema.tables WHERE table_name = 'crosswalk'").fetchone()
    con.close()
    assert load_district_report(project.warehouse, district, "2025-26").name == "Alpha SD 1"
    assert load_district_report(project.warehouse, pseudonym(DEMO_KEY, "9900002"), "2025-26").name == "Beta SD 1"


@pytest.mark.slow
def test_the_secret_key_appears_in_no_file_the_toolkit_writes(project, monkeypatch):
    """End to end through the command line with a secret key: ingest, render one small county, export, audit."""
    # fixed, so that the pseudonyms (and which demo figures happen to look alike) are the same every run: with a
    # random key the audit once read a coincidence between two districts' rounded figures as a finding
    secret = "s3cret-4f1c9e2a7b3d58e06c1a9f2b7d4e8a31"
    monkeypatch.setenv(KEY_ENV, secret)
    runner = CliRunner()
    files = [str(f) for f in sorted(project.demo.glob("submissions_*.csv"))]
    result = runner.invoke(main, ["--root", str(project.root), "ingest", *files])
    assert result.exit_code == 0, result.output
    con = duckdb.connect(str(project.warehouse), read_only=True)
    county = con.execute("SELECT county FROM district_metrics WHERE school_year = '2025-26' GROUP BY county "
                         "HAVING count(*) = 2").fetchone()[0]
    con.close()
    for args in (["render", "--county", county], ["export", "--county", county], ["audit"]):
        result = runner.invoke(main, ["--root", str(project.root), *args])
        assert result.exit_code == 0, (args, result.output)
    written = [p for p in project.root.rglob("*") if p.is_file() and "demo" not in p.parts
               and "notebooks" not in p.parts and "template" not in p.parts]
    assert any(p.suffix == ".xlsx" for p in written) and any(p.suffix == ".html" for p in written)
    needles = [secret.encode(), secret.encode().hex().encode(), secret.encode("utf-16-le")]
    assert not [p for p in written if any(n in p.read_bytes() for n in needles)]


def test_key_problems_are_plain_messages_on_the_command_line(project, tmp_path, monkeypatch):
    src = _write(tmp_path, "a.csv", csv_text([ALPHA]))
    monkeypatch.setenv(KEY_ENV, "short")
    result = CliRunner().invoke(main, ["--root", str(project.root), "ingest", str(src)])
    assert result.exit_code == 1 and "at least 16 characters" in result.output and "Traceback" not in result.output
    ingest_files([src], project, DEMO_KEY)
    monkeypatch.setenv(KEY_ENV, OTHER_KEY.decode())
    result = CliRunner().invoke(main, ["--root", str(project.root), "ingest", str(src)])
    assert result.exit_code == 1 and "different pseudonym key" in result.output
