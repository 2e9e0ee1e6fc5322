"""Every derived table, computed for all districts at ingest in one pass: exact statistics, then the gate, once."""

from __future__ import annotations

import pandas as pd

from benchmarks.config import DEFAULT_MIN_PEERS
from benchmarks.privacy.disclosure import NONE, gate_goal_shares, gate_group_goals, protect, protect_groups
from benchmarks.privacy.rules import Rules
from benchmarks.registry.groups import size_band
from benchmarks.registry.metrics import compute_metrics
from benchmarks.stats.distribution import compute_group_goals, compute_group_stats
from benchmarks.stats.goals import compute_goal_gaps
from benchmarks.stats.peers import compute_peer_stats
from benchmarks.stats.purchasing import compute_purchasing
from benchmarks.stats.trends import add_trends
from benchmarks.warehouse.store import replace_table

#: The warehouse tables this module fills, in the order they are computed.
DERIVED_TABLES = ("peer_stats", "goal_gaps", "group_stats", "group_goals", "purchasing")
TREND_COLUMNS = ("prev_value", "change", "median_prev", "trend_slope", "trend_level", "trend_years")


def district_metrics_frame(current: pd.DataFrame) -> pd.DataFrame:
    """Metrics and grouping columns for each district's current submission."""
    metrics = compute_metrics(current)
    base = current[["pseudonym", "school_year", "state", "county", "locale", "enrollment"]].copy()
    base["size_band"] = size_band(current["enrollment"])
    return pd.concat([base, metrics], axis=1).sort_values(["school_year", "pseudonym"], ignore_index=True)


def derived_tables(district_metrics: pd.DataFrame, current: pd.DataFrame | None = None,
                   min_peers: int = DEFAULT_MIN_PEERS, rules: Rules | None = None) -> dict[str, pd.DataFrame]:
    """The statistics tables by name. current: the submissions behind district_metrics (for purchasing;
    without it the purchasing table is empty). rules: the disclosure rules (default: the defaults with
    min_peers).

    Disclosure control is applied here, once: peer_stats and group_stats get what may be shown of each group
    (benchmarks.privacy.disclosure), and the figures built on medians (trends and projections, purchasing, goal
    gaps) use only those shown medians, so none of them rests on one district's figure."""
    rules = rules or Rules.for_min_peers(min_peers)
    group_stats = protect_groups(compute_group_stats(district_metrics), district_metrics, rules)
    peer_stats = protect(compute_peer_stats(district_metrics), district_metrics, rules)
    peer_stats = _trends_on_shown(peer_stats, group_stats)
    shown = peer_stats.assign(median=peer_stats["show_median"])
    return {
        "peer_stats": peer_stats,
        "goal_gaps": gate_goal_shares(compute_goal_gaps(district_metrics, shown), rules),
        "group_stats": group_stats,
        "group_goals": gate_group_goals(compute_group_goals(district_metrics), rules),
        "purchasing": compute_purchasing(current, shown),
    }


def _trends_on_shown(peer_stats: pd.DataFrame, group_stats: pd.DataFrame) -> pd.DataFrame:
    """peer_stats with trends.add_trends' columns, fitted through the medians disclosure lets a report show."""
    ps = peer_stats.reset_index(drop=True)
    trended = add_trends(ps.assign(median=ps["show_median"], published=ps["status"] != NONE),
                         group_stats.assign(median=group_stats["show_median"]))
    return ps.assign(**{c: trended[c].to_numpy() for c in TREND_COLUMNS})


def rebuild_derived(con, rules: Rules) -> None:
    """Recompute district_metrics and every derived table from the current submissions (inside the caller's
    transaction)."""
    current = con.execute("SELECT * FROM current_submissions").df()
    dm = district_metrics_frame(current)
    replace_table(con, "district_metrics", dm)
    for name, frame in derived_tables(dm, current, rules=rules).items():
        replace_table(con, name, frame)
