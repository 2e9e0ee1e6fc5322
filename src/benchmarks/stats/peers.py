"""Peer statistics for every district at once, over the *other* districts of each peer group only.

Exact figures, no thresholds and no text: what of them may be shown is decided by the disclosure gate
(benchmarks.privacy.disclosure), applied once in benchmarks.pipeline.derive.

Tie rule for percentile ranks: a peer with exactly the district's value counts as half better, half worse
(the "mean" kind of scipy.stats.percentileofscore), so identical values rank at 50%.

Noise rule: the peers' median gets a distribution-free 95% interval from two order statistics of the
others (the binomial construction of scipy.stats.quantile_test; it needs at least 6 others). A district is
called better or worse than its peers only when its value lies outside that interval. The bounds are
actual peer values (with 6 to 8 others they are the lowest and highest of them), so they never leave this
module: the stored tables and every report carry only the verdict ("above", "within", "below" the
interval, or "undetermined" when there are too few others to form one).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks.registry.groups import STORED_GROUPS, group_codes
from benchmarks.registry.metrics import METRICS
from benchmarks.stats.loo import leave_one_out


def median_verdict(values: np.ndarray, stats: dict[str, np.ndarray]) -> np.ndarray:
    """Where each value lies against the 95% interval on its peers' median: "above", "within", "below",
    "undetermined" (too few others for an interval), or None (no own value or no others)."""
    values = np.asarray(values, dtype="float64")
    out = np.full(len(values), None, dtype=object)
    has = np.isfinite(values) & (stats["n"] > 0)
    out[has] = "undetermined"
    ci = has & np.isfinite(stats["ci_low"])
    out[ci] = "within"
    out[ci & (values > stats["ci_high"])] = "above"
    out[ci & (values < stats["ci_low"])] = "below"
    return out


def _rows(dm: pd.DataFrame, kind: str, labels: np.ndarray, metric_name: str, direction: str,
          values: np.ndarray, stats: dict[str, np.ndarray]) -> pd.DataFrame:
    """One kind's and one metric's statistics as peer_stats rows (exact; the gate decides what is shown)."""
    below = stats["below"]
    better = 1.0 - below if direction == "lower" else below
    return pd.DataFrame({
        "school_year": dm["school_year"].to_numpy(),
        "pseudonym": dm["pseudonym"].to_numpy(),
        "metric": metric_name,
        "group_kind": kind,
        "group_label": labels,
        "value": values,
        "n": stats["n"],
        "p25": stats["p25"],
        "median": stats["median"],
        "p75": stats["p75"],
        "pct_better": better * 100.0,
        "median_vs": median_verdict(values, stats),
    })


def compute_peer_stats(district_metrics: pd.DataFrame) -> pd.DataFrame:
    """Long table: one row per school year, district, metric and stored peer group.

    Columns: school_year, pseudonym, metric, group_kind, group_label, value, n, p25, median, p75,
    pct_better (share of others the district does better than, 0-100; for neutral metrics the share
    with a lower value), median_vs (the value against the 95% interval on the others' median, see
    median_verdict).
    """
    dm = district_metrics.reset_index(drop=True)
    frames = []
    for kind in STORED_GROUPS:
        codes, labels = group_codes(dm, kind)
        for metric in METRICS:
            values = dm[metric.name].to_numpy(dtype="float64", na_value=np.nan)
            stats = leave_one_out(codes, values)
            frames.append(_rows(dm, kind, labels, metric.name, metric.direction, values, stats))
    return pd.concat(frames, ignore_index=True)


def custom_codes(year_metrics: pd.DataFrame, pseudonym: str, members: list[str]) -> np.ndarray:
    """Group code of every row of one year: 0 for the district and the members of its custom list, 1 else."""
    return np.where(year_metrics["pseudonym"].isin([*members, pseudonym]), 0, 1)


def custom_peer_stats(district_metrics: pd.DataFrame, pseudonym: str, school_year: str,
                      members: list[str]) -> pd.DataFrame:
    """peer_stats rows of one district against a custom list of districts (pseudonyms), computed on demand
    with the same leave-one-out function as the stored groups (the gate's rule on the list's size is
    checked by the caller, benchmarks.privacy.disclosure.protect_custom)."""
    others = sorted(set(members) - {pseudonym})
    dm = district_metrics[district_metrics["school_year"] == school_year].reset_index(drop=True)
    if not (dm["pseudonym"] == pseudonym).any():
        raise LookupError(f"no submission for district {pseudonym!r} in school year {school_year!r}")
    codes = custom_codes(dm, pseudonym, others)
    labels = np.full(len(dm), f"custom list of {len(others)} districts", dtype=object)
    own = (dm["pseudonym"] == pseudonym).to_numpy()
    frames = []
    for metric in METRICS:
        values = dm[metric.name].to_numpy(dtype="float64", na_value=np.nan)
        stats = leave_one_out(codes, values)
        rows = _rows(dm, "custom", labels, metric.name, metric.direction, values, stats)
        frames.append(rows[own])
    return pd.concat(frames, ignore_index=True)
