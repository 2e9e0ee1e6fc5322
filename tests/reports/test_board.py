"""The board summary's changes since last year and its compact participation section, checked against figures
worked out again from district_metrics."""

from __future__ import annotations

import dataclasses
import re

import duckdb
import pytest
from conftest import smoothed

from benchmarks.registry.metrics import METRIC_BY_NAME, METRICS
from benchmarks.reports.board import (
    LITTLE_CHANGE,
    changes_html,
    goal_changes,
    goals_html,
    load_board_summary,
    participation_by_band,
    participation_html,
    participation_years,
    state_changes,
)

YEAR, PREV = "2025-26", "2024-25"


@pytest.fixture(scope="module")
def board(demo_project):
    """The demo state's board summary and its district_metrics rows."""
    summary = load_board_summary(demo_project.warehouse, YEAR, "PS")
    con = duckdb.connect(str(demo_project.warehouse), read_only=True)
    dm = con.execute("SELECT * FROM district_metrics WHERE state = 'PS'").df()
    con.close()
    return summary, dm


def shown_median(dm, metric: str, year: str) -> float:
    """The state's median as the board shows it: smoothed, rounded to the metric's display precision."""
    m = METRIC_BY_NAME[metric]
    pct = m.unit == "%"
    return round(smoothed(dm.loc[dm.school_year == year, metric].dropna()) * (100 if pct else 1),
                 m.decimals - 2 if pct else m.decimals)


def test_median_changes_are_the_difference_of_the_shown_medians(board):
    summary, dm = board
    changes = state_changes(summary).set_index("metric")
    page = changes_html(summary)
    # bandwidth per student: higher is better, and the demo state's median rose by far more than 2%
    before, now = (shown_median(dm, "bandwidth_kbps_per_student", y) for y in (PREV, YEAR))
    assert now - before > LITTLE_CHANGE * before
    assert changes.at["bandwidth_kbps_per_student", "change"] == pytest.approx(now - before)
    assert changes.at["bandwidth_kbps_per_student", "verdict"] == "improved"
    assert re.search(r"data-metric='bandwidth_kbps_per_student' data-group='state' data-stat='change' "
                     r"data-members='all' data-year='2025-26' data-since='2024-25' data-state='PS'>"
                     + re.escape(f"+{now - before:,.0f} kbps") + "</td><td class='verdict'>improved</td>"
                     "<td class='direction'>▲ up</td>", page)
    # cost per Mbps: lower is better, so a fall is an improvement, shown with a down arrow
    before, now = (shown_median(dm, "cost_per_mbps_usd", y) for y in (PREV, YEAR))
    assert now < before and changes.at["cost_per_mbps_usd", "change"] == pytest.approx(now - before)
    assert (f"−${before - now:.2f}/Mbps</td><td class='verdict'>improved</td><td class='direction'>▼ down</td>"
            in page)
    # Wi-Fi 6 share: a percentage, so its change is in points
    before, now = (shown_median(dm, "wifi6_share", y) for y in (PREV, YEAR))
    assert f">+{now - before:.1f} points</td>" in page
    # the previous year's median is declared for its own year, so the audit checks it against that year's group
    assert f"data-stat='median' data-members='all' data-year='2024-25' data-state='PS'>{before:.1f}%</td>" in page


def test_the_title_counts_the_measures_that_improved(board):
    summary, dm = board
    improved = judged = 0
    for m in METRICS:
        if m.direction == "neutral":
            continue
        before, now = (shown_median(dm, m.name, y) for y in (PREV, YEAR))
        judged += 1
        if abs(now - before) >= LITTLE_CHANGE * abs(before) and (now > before) == (m.direction == "higher"):
            improved += 1
    assert 0 < improved < judged == 10
    page = changes_html(summary)
    assert f"<h2>Changes since 2024-25: {improved} of {judged} measures improved</h2>" in page
    assert set(state_changes(summary).query("metric in ['refresh_share', 'refresh_cycle_years']")["verdict"]) <= {
        "up", "down", "little change"}  # neutral metrics are never better or worse


def test_goal_share_changes_are_in_points(board):
    summary, dm = board
    v = {y: dm.loc[dm.school_year == y, "bandwidth_kbps_per_student"].dropna() for y in (PREV, YEAR)}
    points = {y: round((v[y] >= 1000).mean() * 100) for y in v}
    change = points[YEAR] - points[PREV]
    assert change > 0
    g = goal_changes(summary).set_index(["metric", "goal"])
    assert g.at[("bandwidth_kbps_per_student", 1000.0), "change_points"] == change
    page = goals_html(summary)
    more = int((g["change_points"] > 0).sum())
    assert f"Goals met: a larger share of districts meets {more} of 4 goals than in {PREV}" in page
    assert re.search(r"data-metric='bandwidth_kbps_per_student' data-group='state' data-stat='change' "
                     r"[^>]*data-goal='1000'>" + re.escape(f"+{change} points") + "</td>", page)


def test_a_first_year_says_so_and_shows_no_table(demo_project):
    first = load_board_summary(demo_project.warehouse, "2023-24", "PS")
    assert state_changes(first).empty and goal_changes(first).empty
    page = changes_html(first)
    assert "2023-24 is the first school year on record for PS" in page and "<table" not in page
    assert "Change since" not in goals_html(first) and "data-stat='share'" in goals_html(first)
    assert participation_years(first)["districts_prev"] is None
    assert "the first school year on record" in participation_html(first)


def test_a_missing_previous_year_is_named(board):
    summary, _ = board
    gap = dataclasses.replace(summary, group_stats=summary.group_stats.query("school_year != @PREV"),
                              group_goals=summary.group_goals.query("school_year != @PREV"))
    page = changes_html(gap)
    assert "No figures for 2024-25 are on record for PS" in page and "<table" not in page


def test_participation_counts_new_and_departed_districts_and_pools_small_bands(board):
    summary, dm = board
    now = dm[dm.school_year == YEAR]
    is_big = now["size_band"] == "10,000 students or more"
    dropped_now = now.loc[~is_big, "pseudonym"].iloc[:3].tolist()  # did not resubmit this year
    dropped_before = now.loc[~is_big, "pseudonym"].iloc[3:5].tolist()  # new this year (absent last year)
    leaving = now.loc[is_big, "pseudonym"].iloc[3:].tolist()  # only 3 of the largest districts stay this year
    metrics = dm[~((dm.school_year == YEAR) & dm.pseudonym.isin(dropped_now + leaving))
                 & ~((dm.school_year == PREV) & dm.pseudonym.isin(dropped_before))]
    changed = dataclasses.replace(summary, metrics=metrics)
    p = participation_years(changed)
    assert p == {"districts": 860 - 3 - len(leaving), "districts_prev": 858, "new": 2, "gone": 3 + len(leaving)}
    bands = participation_by_band(changed)
    assert bands.at["10,000 students or more", YEAR] == 3
    assert bands[PREV].sum() == 858 and list(bands.columns) == ["2023-24", PREV, YEAR]
    page = participation_html(changed)
    assert f"<h2>Participation: {p['districts']} districts, {858 - p['districts']} fewer than in 2024-25</h2>" in page
    assert re.search(r">2</span> are new since then and <span[^>]*>" + str(3 + len(leaving)) + "</span> of 2024-25's",
                     page)
    row = re.search(r"<th scope='row'>10,000 students or more</th>(.*?)</tr>", page).group(1)
    assert row.endswith("<td class='num'>–</td>") and "data-size-band='10,000 students or more'" in row
    assert "fewer than 5 districts of that size submitted that year" in page
    assert "<img" not in page and "<details>" in page  # no county chart; the county table is folded away
