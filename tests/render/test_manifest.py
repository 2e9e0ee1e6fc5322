"""Fingerprints change exactly when a report's inputs change; the manifest remembers what was rendered."""

import json
import shutil
import stat

import duckdb
import pytest

from benchmarks._version import __version__
from benchmarks.config import render_manifest
from benchmarks.render.manifest import (Manifest, digest, district_fingerprints, library_fingerprint,
                                        warehouse_fingerprint)
from benchmarks.render.tasks import Outcome, ReportTask


@pytest.fixture
def warehouse(demo_project, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_project.warehouse, path)
    con = duckdb.connect(str(path))
    yield con
    con.close()


def changed(before: dict, after: dict) -> set:
    return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}


def test_digest_is_stable_and_sensitive():
    assert digest("a", b"bytes", {"x": 1, "y": 2}) == digest("a", b"bytes", {"y": 2, "x": 1})
    assert digest("a", b"bytes") != digest("a", b"bytez")
    assert digest("ab", "c") != digest("a", "bc")


def test_library_fingerprint_names_the_version():
    assert library_fingerprint().startswith(__version__ + "+")


def test_a_districts_own_statistics_change_only_its_own_fingerprint(warehouse):
    con = warehouse
    before, last_year = district_fingerprints(con, "2025-26"), district_fingerprints(con, "2024-25")
    assert len(before) == con.execute("SELECT count(*) FROM district_metrics WHERE school_year = '2025-26'").fetchone()[0]
    target = sorted(before)[7]
    con.execute("UPDATE peer_stats SET median = median + 1 WHERE pseudonym = ? AND school_year = '2025-26' "
                "AND metric = 'devices_per_student' AND group_kind = 'state'", [target])
    assert changed(before, district_fingerprints(con, "2025-26")) == {target}
    assert district_fingerprints(con, "2024-25") == last_year  # next year's data does not touch last year's reports
    # a renamed district re-renders through its report title (the name lives in the private crosswalk):
    # see test_batch.test_reruns_render_only_reports_whose_inputs_changed


def members(con, group_kind: str, group_label: str) -> set:
    return {r[0] for r in con.execute("SELECT DISTINCT pseudonym FROM peer_stats WHERE school_year = '2025-26' "
                                      "AND group_kind = ? AND group_label = ?", [group_kind, group_label]).fetchall()}


def test_group_membership_is_part_of_the_fingerprint(warehouse):
    con = warehouse
    before = district_fingerprints(con, "2025-26")
    (a, b), = con.execute("SELECT min(group_label), max(group_label) FROM peer_stats WHERE group_kind = 'county' "
                          "AND school_year = '2025-26'").fetchall()
    mover = sorted(members(con, "county", a))[0]
    expected = members(con, "county", a) | members(con, "county", b)
    # the mover joins the other county's group: every member of both groups sees a different group
    con.execute("UPDATE peer_stats SET group_label = ? WHERE pseudonym = ? AND group_kind = 'county' "
                "AND school_year = '2025-26'", [b, mover])
    assert changed(before, district_fingerprints(con, "2025-26")) == expected


def test_group_level_tables_count_for_the_groups_members_only(warehouse):
    con = warehouse
    before = district_fingerprints(con, "2025-26")
    label = con.execute("SELECT min(group_label) FROM group_stats WHERE group_kind = 'county' "
                        "AND school_year = '2025-26'").fetchone()[0]
    con.execute("UPDATE group_stats SET median = median + 1 WHERE group_kind = 'county' AND group_label = ? "
                "AND school_year = '2025-26'", [label])
    assert changed(before, district_fingerprints(con, "2025-26")) == members(con, "county", label)


def test_warehouse_fingerprint_covers_every_table(warehouse):
    con = warehouse
    first = warehouse_fingerprint(con)
    assert warehouse_fingerprint(con) == first
    con.execute("INSERT INTO quarantine VALUES ('x', 3, 'column enrollment: not a number')")
    assert warehouse_fingerprint(con) != first


def test_manifest_marks_current_only_with_same_inputs_and_files_present(tmp_path):
    task = ReportTask("district", "district_D1", "nb.ipynb", str(tmp_path), {}, "t", fingerprint="f1", label="One",
                      records=str(tmp_path / "private" / "executed"))
    path = tmp_path / "private" / "render_manifest_2025-26.json"
    manifest = Manifest.load(path)
    assert manifest.reports == {} and not manifest.is_current(task)
    task.page.write_text("<html></html>")
    task.record.parent.mkdir(parents=True)
    task.record.write_text("{}")
    manifest.record(task, Outcome("district_D1", True, 1.5, worker="w"))
    manifest.save()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    again = Manifest.load(path)
    assert again.is_current(task)
    assert not again.is_current(ReportTask(**{**task.__dict__, "fingerprint": "f2"}))
    again.record(task, Outcome("district_D1", False, 0.1, cell=4, error="ValueError: x"))
    assert not again.is_current(task) and again.entry(task)["cell"] == 4
    task.record.unlink()
    assert not Manifest.load(path).is_current(task)
    path.write_text("{not json")
    assert Manifest.load(path).reports == {}


def test_the_manifest_names_no_district(county_pages, demo_project):
    """The manifest (owner-only, in data/private/) keys reports by file stem and never says whose they are."""
    from benchmarks.privacy import crosswalk

    text = render_manifest(demo_project, demo_project.reports / "2025-26").read_text(encoding="utf-8")
    names = crosswalk.names(demo_project.crosswalk, county_pages_sources(demo_project))["district_name"]
    assert len(names) == 9 and not [n for n in names if n in text or json.dumps(n)[1:-1] in text]


def county_pages_sources(p):
    import duckdb

    con = duckdb.connect(str(p.warehouse), read_only=True)
    try:
        return con.execute("SELECT pseudonym, source_sha256 FROM current_submissions WHERE school_year = '2025-26' "
                           "AND county = 'Kestrel County'").df()
    finally:
        con.close()
