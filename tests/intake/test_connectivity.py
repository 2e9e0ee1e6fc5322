"""Public district bandwidth (Connect K-12 / EducationSuperHighway format): the real FY2015 file and bad ones."""

import duckdb
import numpy as np
import pandas as pd
import pytest
from conftest import REAL_DATA, csv_text, row
from conftest import public_csv as _public

from benchmarks.config import Paths
from benchmarks.intake.connectivity import PublicFileError, funding_year_from_name, load_public_bandwidth
from benchmarks.pipeline.ingest import import_bandwidth, ingest_files
from benchmarks.privacy.keys import DEMO_KEY, pseudonym
from benchmarks.reports.district import load_district_report

REAL = REAL_DATA / "esh_districts_fy2015.csv"
REAL_IL = REAL_DATA / "esh_districts_fy2015_IL.csv"
needs_real = pytest.mark.skipif(not REAL.exists(), reason=f"real public data not present at {REAL}")

@pytest.fixture(scope="module")
def real(tmp_path_factory):
    if not REAL.exists():
        pytest.skip(f"real public data not present at {REAL}")
    p = Paths(tmp_path_factory.mktemp("esh"))
    result = import_bandwidth(REAL, p, DEMO_KEY)
    return p, result


@needs_real
def test_real_file_imports_every_district(real):
    p, result = real
    assert (result.rows_read, result.rows_imported, result.rows_rejected) == (13025, 13025, 0)
    assert result.funding_year == 2015 and result.rows_flagged == 2904
    table = load_public_bandwidth(p.warehouse)
    assert len(table) == 13025 and table["pseudonym"].is_unique
    assert set(table["locale"]) == {"City", "Suburb", "Town", "Rural"}


@needs_real
def test_illinois_subset_and_the_figures_issue_5_builds_on(real):
    p, _ = real
    il = load_public_bandwidth(p.warehouse, state="IL")
    assert len(il) == 860 and il["county"].nunique() == 102
    # the same figures straight from the publisher's file, read independently
    raw = pd.read_csv(REAL, encoding="cp1252", na_values=["NA"], keep_default_na=False, dtype={"nces_cd": str})
    clean_raw = raw[~raw["exclude_from_analysis"]]
    clean = load_public_bandwidth(p.warehouse, include_excluded=False)
    assert len(clean) == len(clean_raw) == 10121
    share = (clean["bandwidth_kbps_per_student"].dropna() >= 100).mean()
    assert share == pytest.approx((clean_raw["ia_bandwidth_per_student"].dropna() >= 100).mean())
    assert round(share * 100, 1) == 76.4
    il_median = clean[clean["state"] == "IL"]["bandwidth_kbps_per_student"].median()
    assert il_median == pytest.approx(clean_raw[clean_raw["postal_cd"] == "IL"]["ia_bandwidth_per_student"].median())
    assert il_median == pytest.approx(168.4, abs=0.1)
    np.testing.assert_allclose(np.sort(clean["cost_per_mbps_usd"].dropna()),
                               np.sort(clean_raw["monthly_ia_cost_per_mbps"].dropna()))


@needs_real
def test_district_ids_are_pseudonymized_like_submissions(real):
    p, _ = real
    con = duckdb.connect(str(p.warehouse), read_only=True)
    # Marshall County, AL: nces_cd 100006 -> 0100006; the name and id are in the private crosswalk only
    cw = duckdb.connect(str(p.crosswalk), read_only=True)
    [(pid, name)] = cw.execute("SELECT pseudonym, district_name FROM crosswalk WHERE district_id = '0100006'").fetchall()
    cw.close()
    assert pid == pseudonym(DEMO_KEY, "0100006") and name == "MARSHALL COUNTY"
    assert con.execute("SELECT count(*) FROM public_bandwidth WHERE pseudonym = ?", [pid]).fetchone() == (1,)
    text = " ".join(map(str, con.execute("SELECT * FROM public_bandwidth LIMIT 50").fetchall()))
    assert "0100006" not in text and "MARSHALL COUNTY SCHOOL" not in text


@needs_real
def test_same_file_twice_changes_nothing_and_the_utf8_subset_replaces_only_its_state(real, tmp_path):
    p, _ = real
    again = import_bandwidth(REAL, p, DEMO_KEY)
    assert again.already_imported
    sub = Paths(tmp_path)
    import_bandwidth(REAL, sub, DEMO_KEY)
    il = import_bandwidth(REAL_IL, sub, DEMO_KEY)  # UTF-8, same funding year, only IL
    assert (il.rows_read, il.rows_imported) == (860, 860)
    assert len(load_public_bandwidth(sub.warehouse)) == 13025


def test_publisher_values_na_flags_and_locales(tmp_path):
    path = _public(tmp_path, [
        [1, "100006", "MARSHALL COUNTY", "Rural", "5598", "MARSHALL COUNTY", "AL", "FALSE", "142.91", "6.01", "800",
         "x"],
        [2, "1700001", "PEÑA SD", "Small Town", "100", "KANE COUNTY", "IL", "TRUE", "NA", "NA", "NA", ""],
        [3, "1700002", "BAD SD", "Urban", "100", "KANE COUNTY", "IL", "maybe", "12", "1", "1", ""],
        [4, "17x", "WORSE SD", "Moon", "-4", "KANE COUNTY", "IL", "FALSE", "abc", "1", "1", ""],
        [5, "100006", "TWICE", "Rural", "1", "X", "AL", "FALSE", "1", "1", "1", ""],
    ])
    p = Paths(tmp_path / "p")
    result = import_bandwidth(path, p, DEMO_KEY)
    assert (result.rows_read, result.rows_imported, result.rows_rejected, result.rows_flagged) == (5, 2, 3, 1)
    t = load_public_bandwidth(p.warehouse).set_index("pseudonym")
    peña = t.loc[pseudonym(DEMO_KEY, "1700001")]
    assert peña["locale"] == "Town" and peña["exclude_from_analysis"]
    assert np.isnan(peña["bandwidth_kbps_per_student"])
    assert len(load_public_bandwidth(p.warehouse, include_excluded=False)) == 1
    con = duckdb.connect(str(p.warehouse), read_only=True)
    q = dict(con.execute("SELECT source_row, reasons FROM quarantine").fetchall())
    assert "exclude_from_analysis: TRUE or FALSE" in q[4]
    assert "nces_cd" in q[5] and "locale" in q[5] and "num_students" in q[5] and "ia_bandwidth_per_student" in q[5]
    assert "each district once" in q[6]
    cw = duckdb.connect(str(p.crosswalk), read_only=True)
    assert cw.execute("SELECT district_name FROM crosswalk WHERE district_id = '1700001'").fetchone() == ("PEÑA SD",)


def test_a_districts_own_name_wins_over_the_publishers(tmp_path):
    p = Paths(tmp_path / "p")
    sub = tmp_path / "s.csv"
    sub.write_text(csv_text([row(district_id="1700001", district_name="Peña Valley SD", state="IL")]))
    ingest_files([sub], p, DEMO_KEY)
    path = _public(tmp_path, [[2, "1700001", "PENA VALLEY SD", "Rural", "100", "KANE COUNTY", "IL", "FALSE", "1",
                               "1", "1", ""]])
    import_bandwidth(path, p, DEMO_KEY)
    # the report carries the name the district submitted, not the publisher's
    assert load_district_report(p.warehouse, pseudonym(DEMO_KEY, "1700001")).name == "Peña Valley SD"
    con = duckdb.connect(str(p.warehouse), read_only=True)
    assert con.execute("SELECT count(*) FROM public_bandwidth WHERE pseudonym = ?",
                       [pseudonym(DEMO_KEY, "1700001")]).fetchone() == (1,)


def test_wrong_format_and_unknown_year_are_clear_errors(tmp_path):
    wrong = tmp_path / "esh_fy2016.csv"
    wrong.write_text(csv_text([row()]))
    with pytest.raises(PublicFileError, match="missing: nces_cd, name, postal_cd"):
        import_bandwidth(wrong, Paths(tmp_path / "p"), DEMO_KEY)
    noyear = _public(tmp_path, [], name="districts.csv")
    with pytest.raises(PublicFileError, match="--year"):
        import_bandwidth(noyear, Paths(tmp_path / "p"), DEMO_KEY)
    assert funding_year_from_name("esh_districts_fy2015.csv") == 2015 and funding_year_from_name("x.csv") is None
