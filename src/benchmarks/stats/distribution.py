"""Whole-group distributions per school year (the board summary's figures), exact: the gate decides what is shown."""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks.registry.groups import WHOLE_GROUPS, PeerGroup
from benchmarks.registry.metrics import METRICS
from benchmarks.stats.goals import meets_goal

_KEYS = ["school_year", "group_label", "metric"]


def _long(district_metrics: pd.DataFrame, group: PeerGroup, names: list[str]) -> pd.DataFrame:
    """The metrics `names` of every district as one long column, with each row's group label."""
    wide = district_metrics[["school_year", *names]].assign(group_label=group.group_label(district_metrics).to_numpy())
    return wide.melt(["school_year", "group_label"], names, var_name="metric")


def compute_group_stats(district_metrics: pd.DataFrame) -> pd.DataFrame:
    """One row per school year, whole group and metric: n (districts with a value), p25, median, p75
    (numpy's linear quantiles). Computed a metric at a time on the wide table: a long copy of every metric of
    every district would take far more memory than the result."""
    frames = []
    for kind, group in WHOLE_GROUPS.items():
        keys = district_metrics[["school_year"]].assign(group_label=group.group_label(district_metrics).to_numpy())
        for m in METRICS:
            g = district_metrics[m.name].groupby([keys["school_year"], keys["group_label"]], sort=True)
            n = g.count()
            q = g.quantile([0.25, 0.5, 0.75]).unstack().reindex(index=n.index, columns=[0.25, 0.5, 0.75])
            q.columns = ["p25", "median", "p75"]
            q.insert(0, "n", n)
            frames.append(q.reset_index().assign(group_kind=kind, metric=m.name))
    out = pd.concat(frames, ignore_index=True)
    out = out.sort_values(["group_kind", *_KEYS], key=lambda c: c.map(_KIND_ORDER) if c.name == "group_kind" else c,
                          kind="stable", ignore_index=True)
    return out[["school_year", "group_kind", "group_label", "metric", "n", "p25", "median", "p75"]]


_KIND_ORDER = {kind: i for i, kind in enumerate(WHOLE_GROUPS)}


def compute_group_goals(district_metrics: pd.DataFrame) -> pd.DataFrame:
    """One row per school year, whole group, metric and goal: n and share_meeting."""
    by_name = {m.name: m for m in METRICS if m.goals}
    frames = []
    for kind, group in WHOLE_GROUPS.items():
        long = _long(district_metrics, group, list(by_name))  # the metrics with goals only
        for name, m in by_name.items():
            rows = long[long["metric"] == name]
            has = rows["value"].notna()
            for goal in m.goals:
                flags = rows.assign(meets=meets_goal(m, goal, rows["value"]) & has, has=has)
                g = flags.groupby(_KEYS, sort=True)
                out = pd.DataFrame({"n": g["has"].sum().astype(np.int64), "meeting": g["meets"].sum()})
                out["share_meeting"] = np.where(out["n"] > 0, out["meeting"] / out["n"].clip(lower=1), np.nan)
                frames.append(out.drop(columns="meeting").reset_index().assign(
                    group_kind=kind, goal=goal.value, goal_label=goal.label))
    out = pd.concat(frames, ignore_index=True)
    return out[["school_year", "group_kind", "group_label", "metric", "goal", "goal_label", "n", "share_meeting"]]
