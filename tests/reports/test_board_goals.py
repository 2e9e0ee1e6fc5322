"""The board summary's goal shares come from the stored group_goals table and agree with a direct count."""

import re

import duckdb
import numpy as np
import pytest
from conftest import smoothed

from benchmarks.formats import share_text
from benchmarks.registry.metrics import goals_sentence
from benchmarks.reports.board import goal_shares, goals_html, load_board_summary, state_quartiles


def test_goal_shares_and_quartiles_are_the_stored_ones_and_match_numpy(demo_project):
    summary = load_board_summary(demo_project.warehouse, "2025-26", "PS")
    con = duckdb.connect(str(demo_project.warehouse), read_only=True)
    dm = con.execute("SELECT * FROM district_metrics WHERE state = 'PS'").df()
    con.close()
    g = goal_shares(summary).set_index(["metric", "goal", "school_year"])
    for year in ("2023-24", "2025-26"):
        v = dm.loc[dm.school_year == year, "bandwidth_kbps_per_student"].dropna()
        assert g.at[("bandwidth_kbps_per_student", 1000.0, year), "share_meeting"] == pytest.approx((v >= 1000).mean())
    q = state_quartiles(summary).set_index(["metric", "school_year"])
    v = dm.loc[dm.school_year == "2025-26", "device_price_usd"].dropna()
    # published percentiles are smoothed (docs/privacy.md), a hair from numpy's
    np.testing.assert_allclose(q.loc[("device_price_usd", "2025-26"), ["p25", "median", "p75"]].astype(float),
                               [smoothed(v, p) for p in (.25, .5, .75)])
    np.testing.assert_allclose(q.loc[("device_price_usd", "2025-26"), ["p25", "median", "p75"]].astype(float),
                               np.quantile(v, [.25, .5, .75]), rtol=1e-3)
    text = goals_html(summary)
    share = (dm.loc[dm.school_year == "2025-26", "devices_per_student"].dropna() >= 1).mean()
    assert re.search(r"data-metric='devices_per_student'[^>]*data-stat='share'[^>]*data-year='2025-26'[^>]*>"
                     + re.escape(share_text(share)) + "</td>", text)
    assert f"<p>Goal lines: {goals_sentence()} Shares are" in text  # the registry's goals, in its order


def test_share_text_never_rounds_to_all_or_none():
    assert share_text(0.9965) == "over 99%" and share_text(1.0) == "100%"
    assert share_text(0.004) == "under 1%" and share_text(0.0) == "0%" and share_text(0.764) == "76%"
