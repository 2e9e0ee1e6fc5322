"""The board summary of small states: goal shares follow the district report's rule (from quartile_min_peers
districts), and a state median shown as a band renders in every section, the changes table included."""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import csv_text, make_project, row

from benchmarks.pipeline.ingest import ingest_files
from benchmarks.privacy.keys import DEMO_KEY
from benchmarks.reports.board import (changes_html, goal_changes, goal_shares, goals_html, load_board_summary,
                                      overview_html, participation_html, state_changes, state_table_html,
                                      state_trend_html)
from benchmarks.reports.wording import change_verdict

YEAR, PREV = "2025-26", "2024-25"
#: PS, 7 districts: devices per student (enrollment 1200) meeting one device per student in 5 of 7, then 6 of 7.
PS_DEVICES = {PREV: [1000, 1100, 1200, 1240, 1300, 1360, 1400], YEAR: [1100, 1200, 1240, 1300, 1360, 1400, 1440]}
#: Last year every PS district replaced a quarter of its fleet (a refresh cycle of 4.0 years, all alike: a band);
#: this year they differ.
PS_REPLACED = {PREV: [d // 4 for d in PS_DEVICES[PREV]], YEAR: [220, 300, 250, 400, 270, 350, 290]}
#: VT, 10 districts, this year only: 9 of 10 with at least one device per student.
QS_DEVICES = [1100, 1200, 1210, 1220, 1230, 1240, 1250, 1260, 1270, 1300]


@pytest.fixture(scope="module")
def small_states(tmp_path_factory):
    root = tmp_path_factory.mktemp("small")
    p = make_project(root / "project")
    rows = []
    for year in (PREV, YEAR):
        for i, (devices, replaced) in enumerate(zip(PS_DEVICES[year], PS_REPLACED[year]), start=1):
            rows.append(row(n=i, school_year=year, county="Test County", student_devices=str(devices),
                            devices_replaced=str(replaced)))
    for i, devices in enumerate(QS_DEVICES, start=50):
        rows.append(row(n=i, school_year=YEAR, state="VT", county="Other County", student_devices=str(devices),
                        devices_replaced="300"))
    src = root / "subs.csv"
    src.write_text(csv_text(rows))
    [result] = ingest_files([src], p, DEMO_KEY)
    assert result.rows_accepted == len(rows)
    return p


def _share_cells(page: str, metric: str, state: str = "[A-Z]{2}") -> list[str]:
    """The share cells of one state (default: any state; "": all districts in the data)."""
    return re.findall(rf"data-metric='{metric}' data-group='state' data-stat='share'[^>]*"
                      rf"data-state='{state}'[^>]*>([^<]*)<", page)


def test_a_small_states_goal_shares_are_withheld_as_on_a_district_report(small_states):
    summary = load_board_summary(small_states.warehouse, YEAR, "PS")
    # worked out directly: 5 of 7, then 6 of 7 districts meet one device per student; 7 < quartile_min_peers
    for year, meeting in ((PREV, 5), (YEAR, 6)):
        assert (np.asarray(PS_DEVICES[year]) / 1200 >= 1).sum() == meeting
    assert summary.rules.min_peers == 5 and summary.rules.quartile_min_peers == 10
    shares = goal_shares(summary)
    assert (shares["n"] == 7).all() and shares["share_meeting"].isna().all()
    page = goals_html(summary)
    assert not _share_cells(page, "devices_per_student") and "71%" not in page and "86%" not in page
    assert "–: fewer than 10 districts reported the figure that year" in page
    assert goal_changes(summary)["movement"].eq("").all() and "data-stat='change'" not in page
    assert "Goals met: share of districts meeting each one" in page  # no goal with both shares shown to count


def test_a_state_of_quartile_min_peers_districts_shows_its_shares(small_states):
    summary = load_board_summary(small_states.warehouse, YEAR, "VT")
    page = goals_html(summary)
    # 9 of 10 have at least one device per student; every one has 1,000 Mbps for 1,200 students: 833 kbps
    assert _share_cells(page, "devices_per_student") == ["90%"]
    assert _share_cells(page, "bandwidth_kbps_per_student") == ["100%", "0%"]
    assert "fewer than 10 districts" not in page


def test_a_state_median_shown_as_a_band_renders_in_every_section(small_states):
    summary = load_board_summary(small_states.warehouse, YEAR, "PS")
    changes = state_changes(summary).set_index("metric")
    # last year's refresh cycle was 4.0 years everywhere: a band, so no change to tell for a neutral metric
    assert np.isnan(changes.at["refresh_cycle_years", "median_prev"])
    assert changes.at["refresh_cycle_years", "movement"] == "" and changes.at["refresh_cycle_years", "verdict"] == ""
    # access points per classroom are 70 / 60 = 1.17 everywhere in both years: a band both years
    assert changes.at["aps_per_classroom", "movement"] == ""
    assert change_verdict("neutral", "") == "" and change_verdict("neutral", "little") == "little change"
    page = changes_html(summary)
    row_of = re.search(r"<tr><th scope='row'>Implied refresh cycle</th>(.*?)</tr>", page).group(1)
    # 4.0 years on the band grid of 1 year: from 4 to one step above
    assert re.search(r"data-stat='band' data-members='all' data-year='2024-25' data-state='PS'>4–5 years</td>",
                     row_of)
    assert row_of.endswith("<td class='num'>–</td><td>–</td><td>–</td>")  # no change, reading or direction
    shares_row = re.search(r"<tr><th scope='row'>Share of fleet replaced this year</th>(.*?)</tr>", page).group(1)
    assert "data-year='2024-25' data-state='PS'>25–26%</td>" in shares_row  # 25.0% on the grid of 1 point
    for section in (overview_html, state_table_html, goals_html, state_trend_html, participation_html):
        assert section(summary)


def test_the_board_notebook_renders_a_small_state_with_bands(small_states, tmp_path):
    from benchmarks.render.notebook import render_one

    params = {"warehouse": str(small_states.warehouse), "school_year": YEAR, "state": "PS"}
    page = render_one("board", small_states, tmp_path, "board_summary", params, "Board summary").read_text()
    assert "Changes since 2024-25" in page and ">4–5 years<" in page and "Traceback" not in page
    assert not _share_cells(page, "devices_per_student")
