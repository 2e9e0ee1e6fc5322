"""Change since last year and the peers' median trend, checked against a direct per-row computation."""

import numpy as np
import pytest

from benchmarks.privacy.disclosure import publish
from benchmarks.privacy.rules import Rules
from benchmarks.registry.groups import PEER_GROUPS
from benchmarks.registry.years import parse_school_year, school_year_label, year_start
from benchmarks.stats.distribution import compute_group_stats
from benchmarks.stats.peers import compute_peer_stats
from benchmarks.stats.trends import add_trends, projected_median


def direct_trend(dm, pseudonym, year, kind, metric, min_peers):
    """For one row: the others' median in each year up to `year` among districts with the same group
    label as the district has in `year`, then numpy's least-squares line."""
    keys = list(PEER_GROUPS[kind].keys)
    own = dm[(dm.pseudonym == pseudonym) & (dm.school_year == year)].iloc[0]
    xs, ys = [], []
    for y in sorted(dm.school_year.unique()):
        if y > year:
            continue
        same = dm[(dm.school_year == y) & (dm.pseudonym != pseudonym)]
        for k in keys:
            same = same[same[k] == own[k]]
        values = same[metric].dropna()
        if len(values) >= min_peers:
            xs.append(int(y[:4]))
            ys.append(np.median(values))
    return xs, ys


def test_trend_change_and_previous_median_match_direct_computation(multi_year):
    dm = multi_year
    ps = add_trends(publish(compute_peer_stats(dm), Rules(3, 3)), publish(compute_group_stats(dm), Rules(3, 3)))
    checked = 0
    for _, r in ps[ps.published].iterrows():
        xs, ys = direct_trend(dm, r.pseudonym, r.school_year, r.group_kind, r.metric, 3)
        if len(xs) >= 2:
            slope, intercept = np.polyfit(xs, ys, 1)
            assert r.trend_slope == pytest.approx(slope, abs=1e-9), (r.pseudonym, r.school_year, r.group_kind)
            assert r.trend_level == pytest.approx(intercept + slope * int(r.school_year[:4]), abs=1e-9)
            assert r.trend_years == len(xs)
            checked += 1
        else:
            assert np.isnan(r.trend_slope) and r.trend_years == 0
        prev = str(int(r.school_year[:4]) - 1)
        want_prev = ys[xs.index(int(prev))] if int(prev) in xs else np.nan
        np.testing.assert_allclose(r.median_prev, want_prev, equal_nan=True)
    assert checked > 500
    # own change: value minus last year's own value; missing when the district did not submit last year
    by = dm.set_index(["pseudonym", "school_year"])
    row = ps[(ps.pseudonym == "D04") & (ps.school_year == "2025-26") & (ps.metric == "wifi6_share")].iloc[0]
    assert row.change == pytest.approx(by.at[("D04", "2025-26"), "wifi6_share"] - by.at[("D04", "2024-25"), "wifi6_share"])
    gone = ps[(ps.pseudonym == "D03") & (ps.school_year == "2025-26") & (ps.metric == "wifi6_share")].iloc[0]
    assert np.isnan(gone.prev_value) and np.isnan(gone.change)
    # D05 changed size band in 2025-26: its trend follows the new band's others in every year
    moved = ps[(ps.pseudonym == "D05") & (ps.school_year == "2025-26") & (ps.group_kind == "size_band")]
    assert moved.group_label.iloc[0] != ps[(ps.pseudonym == "D05") & (ps.school_year == "2024-25")
                                           & (ps.group_kind == "size_band")].group_label.iloc[0]


def test_unpublished_rows_carry_no_trend(multi_year):
    ps = add_trends(publish(compute_peer_stats(multi_year), Rules()), publish(compute_group_stats(multi_year), Rules()))
    hidden = ps[~ps.published]
    assert len(hidden) and hidden.trend_slope.isna().all() and hidden.median_prev.isna().all()


def test_school_year_helpers():
    assert list(year_start(["2025-26", "1999-00"])) == [2025, 1999]
    assert school_year_label(1999) == "1999-00" and school_year_label(2027) == "2027-28"
    assert parse_school_year("2027-28") == 2027 and parse_school_year(2027) == 2027
    for bad in ("2027-29", "27-28", "next year"):
        with pytest.raises(ValueError, match="expected a school year"):
            parse_school_year(bad)
    assert projected_median(10.0, 2.0, "2025-26", 2027) == 14.0
