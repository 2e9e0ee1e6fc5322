"""Every derived statistics table, computed for all districts at ingest in one pass over district_metrics."""

from __future__ import annotations

import pandas as pd

from .config import DEFAULT_MIN_PEERS
from .disclosure import NONE, Rules, protect, protect_groups
from .distribution import compute_group_goals, compute_group_stats
from .goals import compute_goal_gaps
from .peers import compute_peer_stats
from .purchasing import compute_purchasing
from .trends import add_trends

#: The warehouse tables this module fills, in the order they are computed.
DERIVED_TABLES = ("peer_stats", "goal_gaps", "group_stats", "group_goals", "purchasing")
TREND_COLUMNS = ("prev_value", "change", "median_prev", "trend_slope", "trend_level", "trend_years")


def derived_tables(district_metrics: pd.DataFrame, current: pd.DataFrame | None = None,
                   min_peers: int = DEFAULT_MIN_PEERS, rules: Rules | None = None) -> dict[str, pd.DataFrame]:
    """The statistics tables by name. current: the submissions behind district_metrics (for purchasing;
    without it the purchasing table is empty). rules: the disclosure rules (default: the defaults with
    min_peers).

    Disclosure control is applied here, once: peer_stats and group_stats get what may be shown of each group
    (benchmarks.disclosure), and the figures built on medians (trends and projections, purchasing, goal
    gaps) use only those shown medians, so none of them rests on one district's figure."""
    rules = rules or Rules.for_min_peers(min_peers)
    group_stats = protect_groups(compute_group_stats(district_metrics, rules.min_peers), district_metrics, rules)
    peer_stats = protect(compute_peer_stats(district_metrics, rules.min_peers), district_metrics, rules)
    peer_stats = _trends_on_shown(peer_stats, group_stats)
    shown = peer_stats.assign(median=peer_stats["show_median"])
    return {
        "peer_stats": peer_stats,
        "goal_gaps": compute_goal_gaps(district_metrics, shown, rules.min_peers, rules.quartile_min_peers),
        "group_stats": group_stats,
        "group_goals": compute_group_goals(district_metrics, rules.min_peers),
        "purchasing": compute_purchasing(current, shown),
    }


def _trends_on_shown(peer_stats: pd.DataFrame, group_stats: pd.DataFrame) -> pd.DataFrame:
    """peer_stats with trends.add_trends' columns, fitted through the medians disclosure lets a report show."""
    ps = peer_stats.reset_index(drop=True)
    trended = add_trends(ps.assign(median=ps["show_median"], published=ps["status"] != NONE),
                         group_stats.assign(median=group_stats["show_median"]))
    return ps.assign(**{c: trended[c].to_numpy() for c in TREND_COLUMNS})
