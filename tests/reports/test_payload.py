"""What a render task carries for a district report: its page's data, the gated figures only."""

import json

from benchmarks.reports import district as report
from benchmarks.reports.district.data import DistrictReport
from benchmarks.reports.district.payload import from_payload, to_payload
from benchmarks.warehouse.store import query

YEAR = "2025-26"


def _reports(demo_project, n=9):
    """Every 97th district of the demo year: small and large counties, some groups withheld."""
    pseudonyms = query(demo_project.warehouse, "SELECT pseudonym FROM district_metrics WHERE school_year = ? "
                       "ORDER BY pseudonym", [YEAR])["pseudonym"].tolist()[::97][:n]
    return list(report.iter_district_reports(demo_project.warehouse, YEAR, pseudonyms))


def test_a_payload_rebuilds_the_same_page(demo_project):
    for rep in _reports(demo_project):
        again = DistrictReport(**from_payload(to_payload(rep)))
        for section in ("header_html", "scorecard_html", "areas_html", "peer_groups_html", "comparison_html",
                        "methods_html", "footer_html"):
            assert getattr(report, section)(again) == getattr(report, section)(rep), (rep.pseudonym, section)
        # the history's rows of the report's year are its stats: sent once, and the same rows come back
        sent = json.loads(to_payload(rep))
        assert YEAR not in sent["history"]["values"][sent["history"]["columns"].index("school_year")]
        kept = [c for c in rep.history.columns if c not in ("p25", "median", "p75")]
        order = ["school_year", "metric", "group_kind", "group_label"]
        assert again.history.sort_values(order).reset_index(drop=True).equals(
            rep.history[kept].sort_values(order).reset_index(drop=True)), rep.pseudonym


def test_a_payload_holds_no_plain_percentile_of_a_group(demo_project):
    """The stored statistics keep the plain p25/median/p75 beside the shown ones; a task sent to a cluster node
    carries only the shown ones (where the gate withheld a figure, the plain one would give it away)."""
    withheld_seen = 0
    for rep in _reports(demo_project):
        assert {"p25", "median", "p75"} <= set(rep.history.columns)  # the warehouse's rows have them
        sent = json.loads(to_payload(rep))
        for frame in ("stats", "history", "goals"):
            assert not {"p25", "median", "p75"} & set(sent[frame]["columns"]), frame
        withheld = rep.stats[rep.stats["show_median"].isna() & rep.stats["median"].notna()]
        text = to_payload(rep)
        # a withheld group median (to the full precision stored) appears nowhere in what is sent
        for value in withheld["median"]:
            assert repr(float(value)) not in text
        withheld_seen += len(withheld)
    assert withheld_seen  # the sample has withheld medians to look for
