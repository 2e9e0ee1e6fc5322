"""Whole-group distributions (the board summary's figures) against numpy per group."""

import numpy as np
import pytest

from benchmarks.privacy.disclosure import gate_group_goals, publish
from benchmarks.privacy.rules import Rules
from benchmarks.registry.groups import WHOLE_GROUPS
from benchmarks.registry.metrics import METRICS
from benchmarks.stats.distribution import compute_group_goals, compute_group_stats


def test_group_stats_match_numpy_per_group(multi_year):
    dm = multi_year
    gs = publish(compute_group_stats(dm), Rules())
    assert set(gs.group_kind) == set(WHOLE_GROUPS)
    for kind, group in WHOLE_GROUPS.items():
        labels = group.group_label(dm)
        for (year, label), rows in dm.groupby([dm.school_year, labels]):
            for m in METRICS:
                v = rows[m.name].dropna().to_numpy()
                got = gs[(gs.group_kind == kind) & (gs.school_year == year) & (gs.group_label == label)
                         & (gs.metric == m.name)].iloc[0]
                assert got.n == len(v)
                if len(v) >= 5:
                    np.testing.assert_allclose([got.p25, got["median"], got.p75], np.quantile(v, [.25, .5, .75]))
                else:  # suppressed at the threshold
                    assert not got.published and np.isnan(got["median"])
    everyone = gs[(gs.group_kind == "all") & (gs.school_year == "2025-26") & (gs.metric == "wifi6_share")].iloc[0]
    assert everyone.n == 16 and everyone.group_label == "all districts"


def test_group_goal_shares(multi_year):
    dm = multi_year
    gg = gate_group_goals(compute_group_goals(dm), Rules())
    state = gg[(gg.group_kind == "state") & (gg.group_label == "PS") & (gg.metric == "aps_per_classroom")
               & (gg.school_year == "2024-25")].iloc[0]
    v = dm[(dm.state == "PS") & (dm.school_year == "2024-25")]["aps_per_classroom"].dropna()
    assert state.n == len(v) and state.share_meeting == pytest.approx((v >= 1.0).mean())
    small = gg[(gg.group_kind == "county") & (gg.group_label == "Four, PS")]
    assert (small.n <= 4).all() and small.share_meeting.isna().all() and not small.published.any()
