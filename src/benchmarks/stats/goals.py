"""Goal lines: each district's gap to every goal of a metric, and how many of its peers meet it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks.registry.groups import STORED_GROUPS, group_codes
from benchmarks.registry.metrics import METRICS, Goal, Metric


def meets_goal(metric: Metric, goal: Goal, values) -> np.ndarray:
    """True where a value reaches the goal (at or above it; at or below for lower-is-better metrics).
    Missing values are False; pair with np.isfinite to tell them apart."""
    values = np.asarray(values, dtype="float64")
    with np.errstate(invalid="ignore"):
        return values <= goal.value if metric.direction == "lower" else values >= goal.value


def goal_gap(metric: Metric, goal: Goal, values) -> np.ndarray:
    """Signed distance to the goal, positive when the goal is passed (value - goal; goal - value for
    lower-is-better metrics)."""
    values = np.asarray(values, dtype="float64")
    return goal.value - values if metric.direction == "lower" else values - goal.value


def compute_goal_gaps(district_metrics: pd.DataFrame, peer_stats: pd.DataFrame) -> pd.DataFrame:
    """One row per school year, district, metric with a goal, goal and stored peer group.

    Columns: school_year, pseudonym, metric, goal, goal_label, group_kind, value, gap (see goal_gap),
    meets (None when the district did not report), n (others with a value), share_meeting (share of the
    others that meet the goal; the gate withholds it in small groups), median_gap (peer_stats' median, the
    shown one when derive passes shown medians, against the goal).
    """
    dm = district_metrics.reset_index(drop=True)
    frames = []
    for kind in STORED_GROUPS:
        codes, _ = group_codes(dm, kind)
        groups = int(codes.max()) + 1 if len(codes) else 0
        for m in (m for m in METRICS if m.goals):
            values = dm[m.name].to_numpy(dtype="float64", na_value=np.nan)
            has = np.isfinite(values)
            n = np.bincount(codes, weights=has, minlength=groups)[codes] - has
            for goal in m.goals:
                meets = meets_goal(m, goal, values) & has
                others_meeting = np.bincount(codes, weights=meets, minlength=groups)[codes] - meets
                frames.append(pd.DataFrame({
                    "school_year": dm["school_year"].to_numpy(), "pseudonym": dm["pseudonym"].to_numpy(),
                    "metric": m.name, "goal": goal.value, "goal_label": goal.label, "group_kind": kind,
                    "value": values, "gap": goal_gap(m, goal, values),
                    "meets": np.where(has, meets, None),
                    "n": n.astype(np.int64),
                    "share_meeting": np.where(n > 0, others_meeting / np.maximum(n, 1), np.nan),
                }))
    out = pd.concat(frames, ignore_index=True)
    medians = peer_stats[["school_year", "pseudonym", "metric", "group_kind", "median"]]
    out = out.merge(medians, on=["school_year", "pseudonym", "metric", "group_kind"], how="left")
    sign = np.where(out["metric"].map({m.name: m.direction for m in METRICS}) == "lower", -1.0, 1.0)
    out["median_gap"] = sign * (out["median"] - out["goal"])
    return out.drop(columns="median")
