"""The statistics and the report's sentences on real public data: EducationSuperHighway's FY2015 district
connectivity file (see shared/data/real/SOURCE.md), loaded as the issue describes, never copied here."""

import pandas as pd
import pytest
from conftest import REAL_DATA, shown_median

from benchmarks.pipeline.derive import derived_tables
from benchmarks.reports.district import DistrictReport, scorecard
from benchmarks.stats.distribution import compute_group_goals, compute_group_stats
from benchmarks.timing.stats import esh_frame

NATIONAL = REAL_DATA / "esh_districts_fy2015.csv"
pytestmark = pytest.mark.skipif(not NATIONAL.exists(),
                                reason=f"real ESH FY2015 file not present at {NATIONAL} (shared/data/real)")


@pytest.fixture(scope="module")
def esh():
    dm = esh_frame(NATIONAL)
    raw = pd.read_csv(NATIONAL, encoding="cp1252", na_values="NA", usecols=["exclude_from_analysis", "name"])
    clean = raw["exclude_from_analysis"].astype(str).str.upper() == "FALSE"
    return dm, raw, clean.to_numpy()


def test_the_national_frame_holds_only_the_rows_the_publisher_kept(esh):
    dm, raw, clean = esh
    assert len(raw) == 13_025 and len(dm) == clean.sum() == 10_121  # bench-stats --national times these
    assert list(dm.index) == list(raw.index[clean])


def test_share_meeting_100_kbps_nationally_and_the_illinois_median(esh):
    dm, _, clean = esh
    clean_dm = dm
    goals = compute_group_goals(clean_dm)
    us = goals[(goals.group_kind == "all") & (goals.metric == "bandwidth_kbps_per_student") & (goals.goal == 100)]
    assert us["share_meeting"].iloc[0] * 100 == pytest.approx(76.4, abs=0.5)
    assert us["n"].iloc[0] == 10_119
    stats = compute_group_stats(clean_dm)
    il = stats[(stats.group_kind == "state") & (stats.group_label == "IL")
               & (stats.metric == "bandwidth_kbps_per_student")].iloc[0]
    assert il["median"] == pytest.approx(168, abs=1)


def test_sd_u46_report_places_it_below_the_kane_county_median(esh):
    dm, raw, _ = esh
    kane = dm[(dm.state == "IL") & (dm.county == "KANE COUNTY")]
    assert len(kane) == 7  # of its 9 districts, the 7 rows the publisher kept
    tables = derived_tables(kane)  # the pass ingest runs: peer_stats with trends, goal gaps, ...
    ps, goals = tables["peer_stats"], tables["goal_gaps"]
    u46 = kane.loc[raw.loc[kane.index, "name"] == "SD U-46", "pseudonym"].iloc[0]
    row = kane[kane.pseudonym == u46].iloc[0]
    rep = DistrictReport(u46, "2015-16", "SD U-46", "IL", "KANE COUNTY", row.locale, row.size_band,
                         int(row.enrollment), ps[ps.pseudonym == u46], goals=goals[goals.pseudonym == u46])
    card = scorecard(rep).set_index("metric").loc["bandwidth_kbps_per_student"]
    others = kane.loc[kane.pseudonym != u46, "bandwidth_kbps_per_student"]
    assert card["value_text"] == "54 kbps" and card["value"] == pytest.approx(53.51)
    # the median the report may show: smoothed (docs/privacy.md) over the other 6 (plain: 145.3 kbps)
    shown = shown_median(others, "bandwidth_kbps_per_student")
    assert card["county_median"] == pytest.approx(shown)
    assert others.median() == pytest.approx(145.335) and abs(shown - others.median()) < 5
    assert card["value"] < card["county_median"]
    assert card["county_n"] == 6 and card["reference"] == "county"
    # with 6 others the county shows only its median, so the page says which side of it, from the shown figure
    # alone (never a rank among the neighbours' exact values: that would be an oracle)
    assert card["sentence"] == ("Lower bandwidth per student than the median of districts in your county "
                                f"({shown:.0f} kbps); with 6 of them, too few to show their middle half.")
    assert card["verdict"] == "behind_median"
    # and it falls short of the 2014 goal. 5 of its 6 clean county peers meet it, but the report does not say
    # "83% of districts in your county": in a group of 6 that points at the one that does not
    # (shares need 10 others, and every group of this Kane-only table is smaller)
    assert card["detail"].startswith("Goal 100 kbps: 46 kbps short; goal 1 Mbps: 946 kbps short")
    assert "%" not in card["detail"]
