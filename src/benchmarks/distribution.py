"""Whole-group distributions per school year: the figures of the board summary, stored at ingest."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .config import DEFAULT_MIN_PEERS
from .goals import meets_goal
from .metrics import METRICS
from .peers import PEER_GROUPS, STORED_GROUPS, PeerGroup, check_min_peers

ALL_DISTRICTS = PeerGroup("all", "All districts", (), "all districts in the data",
                          "every district in the data set")
#: Groups summarised as wholes (no district left out): every district, then the stored peer groups.
SUMMARY_GROUPS: dict[str, PeerGroup] = {"all": ALL_DISTRICTS, **{k: PEER_GROUPS[k] for k in STORED_GROUPS}}
_KEYS = ["school_year", "group_label", "metric"]


def _long(district_metrics: pd.DataFrame, group: PeerGroup) -> pd.DataFrame:
    names = [m.name for m in METRICS]
    wide = district_metrics[["school_year", *names]].assign(group_label=group.group_label(district_metrics).to_numpy())
    return wide.melt(["school_year", "group_label"], names, var_name="metric")


def compute_group_stats(district_metrics: pd.DataFrame, min_peers: int = DEFAULT_MIN_PEERS) -> pd.DataFrame:
    """One row per school year, summary group and metric: n (districts with a value), p25, median, p75
    (numpy's linear quantiles; missing unless n >= min_peers) and published."""
    min_peers = check_min_peers(min_peers)
    frames = []
    for kind, group in SUMMARY_GROUPS.items():
        g = _long(district_metrics, group).groupby(_KEYS, sort=True)["value"]
        n = g.count()
        q = g.quantile([0.25, 0.5, 0.75]).unstack().reindex(index=n.index, columns=[0.25, 0.5, 0.75])
        q.columns = ["p25", "median", "p75"]
        q.insert(0, "n", n)
        published = q["n"] >= min_peers
        q.loc[~published, ["p25", "median", "p75"]] = np.nan
        q["published"] = published
        frames.append(q.reset_index().assign(group_kind=kind))
    out = pd.concat(frames, ignore_index=True)
    return out[["school_year", "group_kind", "group_label", "metric", "n", "p25", "median", "p75", "published"]]


def compute_group_goals(district_metrics: pd.DataFrame, min_peers: int = DEFAULT_MIN_PEERS) -> pd.DataFrame:
    """One row per school year, summary group, metric and goal: n, share_meeting (missing unless
    n >= min_peers) and published."""
    min_peers = check_min_peers(min_peers)
    by_name = {m.name: m for m in METRICS if m.goals}
    frames = []
    for kind, group in SUMMARY_GROUPS.items():
        long = _long(district_metrics, group)
        long = long[long["metric"].isin(list(by_name))]
        for name, m in by_name.items():
            rows = long[long["metric"] == name]
            has = rows["value"].notna()
            for goal in m.goals:
                flags = rows.assign(meets=meets_goal(m, goal, rows["value"]) & has, has=has)
                g = flags.groupby(_KEYS, sort=True)
                out = pd.DataFrame({"n": g["has"].sum().astype(np.int64), "meeting": g["meets"].sum()})
                published = out["n"] >= min_peers
                out["share_meeting"] = np.where(published, out["meeting"] / out["n"].clip(lower=1), np.nan)
                frames.append(out.drop(columns="meeting").reset_index().assign(
                    group_kind=kind, goal=goal.value, goal_label=goal.label, published=published.to_numpy()))
    out = pd.concat(frames, ignore_index=True)
    return out[["school_year", "group_kind", "group_label", "metric", "goal", "goal_label", "n", "share_meeting",
                "published"]]
