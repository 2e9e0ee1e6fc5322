"""Every derived statistics table, computed for all districts at ingest in one pass over district_metrics."""

from __future__ import annotations

import pandas as pd

from .config import DEFAULT_MIN_PEERS
from .distribution import compute_group_goals, compute_group_stats
from .goals import compute_goal_gaps
from .peers import check_min_peers, compute_peer_stats
from .purchasing import compute_purchasing
from .trends import add_trends

#: The warehouse tables this module fills, in the order they are computed.
DERIVED_TABLES = ("peer_stats", "goal_gaps", "group_stats", "group_goals", "purchasing")


def derived_tables(district_metrics: pd.DataFrame, current: pd.DataFrame | None = None,
                   min_peers: int = DEFAULT_MIN_PEERS) -> dict[str, pd.DataFrame]:
    """The statistics tables by name. current: the submissions behind district_metrics (for purchasing;
    without it the purchasing table is empty)."""
    min_peers = check_min_peers(min_peers)
    group_stats = compute_group_stats(district_metrics, min_peers)
    peer_stats = add_trends(compute_peer_stats(district_metrics, min_peers), group_stats)
    return {
        "peer_stats": peer_stats,
        "goal_gaps": compute_goal_gaps(district_metrics, peer_stats, min_peers),
        "group_stats": group_stats,
        "group_goals": compute_group_goals(district_metrics, min_peers),
        "purchasing": compute_purchasing(current, peer_stats),
    }
