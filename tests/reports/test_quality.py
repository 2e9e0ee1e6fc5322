"""The data-quality report: what came in, what was quarantined and why, coverage; counts only, never a value."""

import re

import pytest
from conftest import csv_text, public_csv, row

from benchmarks.pipeline.ingest import import_bandwidth, ingest_files
from benchmarks.privacy.keys import DEMO_KEY
from benchmarks.reports import quality

SECRET_VALUES = ["98765", "4321", "777777", "Secretville SD", "9900042", "1 GB", "1013",
                 # file names often carry a district's: the page knows a file by its hash
                 "good.csv", "bad.csv", "again.csv", "esh_fy2015"]


@pytest.fixture
def warehouse(project, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(csv_text([row(n=i, county="North County" if i < 4 else "South County") for i in range(1, 7)]
                             + [row(n=7, bandwidth_mbps="1 Gbps", erate_discount="", internet_monthly_cost_usd="1500000")]))
    bad = tmp_path / "bad.csv"
    bad.write_text(csv_text([
        row(n=42, district_name="Secretville SD", student_devices="98765"),  # 82 devices per student
        row(n=43, enrollment="-4321"), row(n=44, bandwidth_mbps="1 GB"), row(n=45, county=""),
        row(n=46, helpdesk_tickets="777777x")]))
    again = tmp_path / "again.csv"
    again.write_text(csv_text([row(n=1, county="North County", helpdesk_tickets="1013")]))
    ingest_files([good, bad], project, DEMO_KEY)
    ingest_files([again], project, DEMO_KEY)  # a resubmission: its own run (one run refuses it)
    esh = public_csv(tmp_path, [[1, "1700001", "X SD", "Rural", "10", "K", "IL", "FALSE", "5", "1", "1", ""],
                             [2, "1700002", "Y SD", "Rural", "10", "K", "IL", "TRUE", "NA", "NA", "NA", ""]])
    import_bandwidth(esh, project, DEMO_KEY)
    return project.warehouse


def test_counts_reasons_coverage(warehouse):
    q = quality.load_quality_report(warehouse)
    assert q.school_year == "2025-26"
    subs = q.files[q.files["kind"] == "submission"]
    assert subs["file"].str.fullmatch(r"[0-9a-f]{12}\.csv").all()
    counts = sorted(map(tuple, subs[["rows_read", "rows_accepted", "rows_quarantined"]].to_numpy().tolist()))
    assert counts == [(1, 1, 0), (5, 0, 5), (7, 7, 0)]
    reasons = {(r.column, r.reason): r.rows for r in q.reasons.itertuples()}
    assert reasons == {("student_devices, enrollment", "devices per student outside its valid range"): 1,
                       ("enrollment", "outside the valid range"): 1, ("bandwidth_mbps", "not a bandwidth"): 1,
                       ("county", "empty but required"): 1, ("helpdesk_tickets", "not a number"): 1}
    assert q.conversions.to_dict("records") == [{"column": "bandwidth_mbps", "rule": "Gbps converted to Mbps",
                                                 "values": 1}]
    cov = q.coverage.set_index("county")
    assert cov["districts"].to_dict() == {"North County": 3, "South County": 3, "Test County": 1}
    assert cov["devices_per_student"].sum() == 7
    assert q.resubmitted.to_dict("records") == [{"school_year": "2025-26", "districts": 1, "replaced": 1}]
    assert q.public.to_dict("records") == [{"funding_year": 2015, "states": 1, "districts": 2, "flagged": 1,
                                            "clean_with_bandwidth": 1}]


def test_html_shows_no_submitted_value(warehouse):
    q = quality.load_quality_report(warehouse)
    page = "".join(f(q) for f in (quality.overview_html, quality.files_html, quality.reasons_html,
                                  quality.conversions_html, quality.coverage_html, quality.history_html,
                                  quality.public_html, quality.flags_html, quality.footer_html))
    for value in SECRET_VALUES + ["1500000", "1,500"]:
        assert value not in page, value
    assert "devices per student outside its valid range" in page and "student_devices, enrollment" in page
    assert "3 submission files: 13 rows read = 8 accepted + 5 quarantined" in page
    assert not re.search(r"<script", page)
    # $1,500 per Mbps is unusual, not impossible: the row is accepted and listed to confirm, by file, row and metric
    flags = q.flags.to_dict("records")
    # ... and far above the other districts of its size band too (intake/plausibility.py)
    assert sorted((f["row"], f["columns"], f["reason"]) for f in flags) == [
        (8, "internet_monthly_cost_usd, bandwidth_mbps", "monthly internet cost per mbps far from its size band"),
        (8, "internet_monthly_cost_usd, bandwidth_mbps", "monthly internet cost per mbps unusual, to confirm")]
    assert flags[0]["file"] in page and "Values to confirm" in page


def test_empty_warehouse_still_renders_sections(project):
    from benchmarks.warehouse.store import connect
    with connect(project.warehouse):
        pass
    q = quality.load_quality_report(project.warehouse, "2025-26")
    assert "No file has been ingested yet" in quality.files_html(q)
    assert "No problem was found" in quality.reasons_html(q)
    assert "None imported" in quality.public_html(q)


@pytest.mark.slow
def test_notebook_renders_the_page_and_the_index_links_it(warehouse, project):
    import pandas as pd

    from benchmarks.config import year_stem
    from benchmarks.privacy.rules import Rules
    from benchmarks.render.index import write_index
    from benchmarks.render.notebook import render_one
    from benchmarks.reports.kinds import REPORT_KINDS

    out = project.reports / "2025-26"
    page = render_one("quality", project, out, year_stem(REPORT_KINDS["quality"].file_name, "2025-26"),
                      {"warehouse": str(project.warehouse), "school_year": "2025-26"}, "Data quality 2025-26")
    text = page.read_text()
    assert "Why rows were quarantined" in text and "Coverage by county" in text
    for value in SECRET_VALUES:
        assert value not in text, value
    districts = pd.DataFrame({"pseudonym": ["Dx"], "county": ["C"], "district_name": ["<script>x</script>"]})
    index = write_index(out, "2025-26", {"For the analyst": [("Data quality 2025-26", page.name)]},
                        districts, Rules()).read_text()
    assert f"href='{page.name}'" in index and "<script>" not in index
    assert "script&gt;x" not in index and "Dx" not in index  # the index names no district (docs/privacy.md)


@pytest.mark.slow
def test_rendered_with_the_reports_offline_and_linked_from_the_index(county_pages):
    page = next(p for p in county_pages.pages if p.name == "data_quality_2025-26.html")
    text = page.read_text()
    assert "Content-Security-Policy" in text and not re.search(r"(?i)(src|href)=['\"]?(https?:)?//", text)
    assert "load_quality_report" not in text  # code hidden
    assert "3 submission files: 2,580 rows read = 2,580 accepted + 0 quarantined" in text
    assert f"href='{page.name}'" in county_pages.index.read_text()


def test_coverage_lists_only_gaps_pools_small_counties_and_names_the_submitter(project, tmp_path):
    """Big County (6 districts, one without Wi-Fi 6 figures or help-desk hours) is listed; Full County (5,
    complete) is not; Tiny A (1, no Wi-Fi 6 figure) and Tiny B (2, complete) are pooled under min_peers 5."""
    rows = ([row(n=i, county="Big County") for i in range(1, 6)]
            + [row(n=6, county="Big County", wifi6_access_points="", median_resolution_hours="")]
            + [row(n=10 + i, county="Full County") for i in range(5)]
            + [row(n=20, county="Tiny A", wifi6_access_points="")]
            + [row(n=30 + i, county="Tiny B") for i in range(2)])
    src = tmp_path / "counties.csv"
    src.write_text(csv_text(rows))
    ingest_files([src], project, DEMO_KEY, submitted_by="  Kane  County ROE ")
    q = quality.load_quality_report(project.warehouse)
    gaps = quality.county_gaps(q)
    assert gaps.to_dict("records") == [
        {"county": "Big County", "districts": 6, "missing metric values": 2,
         "metrics with gaps": "Access points on Wi-Fi 6 or newer, Median hours to resolve a ticket"},
        {"county": "2 counties with fewer than 5 districts", "districts": 3, "missing metric values": 1,
         "metrics with gaps": "Access points on Wi-Fi 6 or newer"}]
    page = quality.coverage_html(q)
    assert "Full County" not in page and "Tiny A" not in page and "Tiny B" not in page
    assert "10 of 12 metrics" in page  # the two with gaps are the table's only rows
    assert page.count("<tr>") == 1 + 2 + 1 + 2  # header and two metrics, header and two county rows
    files = quality.files_html(q)
    assert "<td>Kane County ROE</td>" in files and "root" not in files


def test_a_file_ingested_without_a_name_says_so(project, tmp_path):
    src = tmp_path / "one.csv"
    src.write_text(csv_text([row(n=1)]))
    ingest_files([src], project, DEMO_KEY)
    assert "<td>not given</td>" in quality.files_html(quality.load_quality_report(project.warehouse))
