"""Peer statistics for every district at once, over the *other* districts of each peer group only.

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

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .config import DEFAULT_MIN_PEERS, FLOOR_MIN_PEERS
from .metrics import METRICS

#: Enrollment bands used for "districts of your size" (lower bound inclusive).
SIZE_BANDS: tuple[tuple[int, str], ...] = (
    (0, "under 500 students"),
    (500, "500–1,999 students"),
    (2_000, "2,000–4,999 students"),
    (5_000, "5,000–9,999 students"),
    (10_000, "10,000 students or more"),
)


def size_band(enrollment: pd.Series) -> pd.Series:
    """The enrollment band label of each district."""
    bounds = [b for b, _ in SIZE_BANDS][1:]
    idx = np.searchsorted(bounds, pd.to_numeric(enrollment).to_numpy(dtype="float64"), side="right")
    return pd.Series(np.array([label for _, label in SIZE_BANDS], dtype=object)[idx], index=enrollment.index)


@dataclass(frozen=True)
class PeerGroup:
    """A way of choosing a district's peers."""

    name: str
    label: str
    #: Columns of district_metrics that districts of one group share (the school year is always added).
    keys: tuple[str, ...]
    #: How the report refers to the group in a sentence ("Higher ... than 7 in 10 <phrase>").
    phrase: str
    #: How the peers were chosen, filled in from the district's own row (str.format with its columns).
    how: str
    #: Stored at ingest for every district; the custom group is computed on demand for one report.
    stored: bool = True

    def group_label(self, frame: pd.DataFrame) -> pd.Series:
        """A name for each row's group, unique within a school year and kind (e.g. "Kestrel County, PS")."""
        if not self.keys:
            return pd.Series(self.label.lower(), index=frame.index, dtype=object)
        parts = [frame[k].astype(str) for k in reversed(self.keys)]
        out = parts[0]
        for part in parts[1:]:
            out = out + ", " + part
        return out

    def describe(self, row) -> str:
        """How this district's peers in the group were chosen, in words."""
        return self.how.format(**{k: row[k] for k in ("state", "county", "locale", "size_band") if k in row})


PEER_GROUPS: dict[str, PeerGroup] = {
    "county": PeerGroup("county", "County", ("state", "county"), "districts in your county",
                        "same county: {county}, {state}"),
    "locale": PeerGroup("locale", "Locale", ("state", "locale"), "districts of your locale in the state",
                        "same NCES locale within the state: {locale} districts of {state}"),
    "size_band": PeerGroup("size_band", "Size band", ("state", "size_band"), "districts of your size in the state",
                           "same enrollment band within the state: {size_band} in {state}"),
    "state": PeerGroup("state", "State", ("state",), "districts in the state", "same state: all of {state}"),
    "custom": PeerGroup("custom", "Custom group", (), "districts in your chosen group",
                        "a list of districts named for this report", stored=False),
}
#: Groups stored for every district at ingest, in the order reports show them.
STORED_GROUPS: tuple[str, ...] = tuple(k for k, g in PEER_GROUPS.items() if g.stored)
#: When a group is too small to publish, the report falls back along this order.
FALLBACK_ORDER: tuple[str, ...] = ("county", "size_band", "state")
QUANTILES = {"p25": 0.25, "median": 0.5, "p75": 0.75}
#: Coverage of the distribution-free interval on the peers' median.
MEDIAN_INTERVAL_LEVEL = 0.95


def median_interval_rank(n, level: float = MEDIAN_INTERVAL_LEVEL) -> np.ndarray:
    """For n values, the 1-based rank k such that the k-th smallest and k-th largest value cover the
    population median with probability >= level; 0 where n is too small for any such pair.

    Coverage of [x_(k), x_(n-k+1)] is 1 - 2 P(B <= k-1) with B ~ Binomial(n, 1/2): the largest k keeping
    P(B <= k-1) <= (1 - level) / 2.
    """
    from scipy.stats import binom

    n = np.asarray(n, dtype=np.int64)
    alpha = (1.0 - level) / 2.0
    uniq, inverse = np.unique(np.maximum(n, 0), return_inverse=True)
    j = binom.ppf(alpha, uniq, 0.5)  # smallest j with P(B <= j) >= alpha
    j = np.where(binom.cdf(j, uniq, 0.5) <= alpha, j + 1, j)
    k = np.where(uniq > 0, j, 0).astype(np.int64)
    return k[inverse].reshape(n.shape)


def check_min_peers(min_peers: int) -> int:
    if int(min_peers) < FLOOR_MIN_PEERS:
        raise ValueError(f"min_peers must be at least {FLOOR_MIN_PEERS} (disclosure rule); got {min_peers}")
    return int(min_peers)


def leave_one_out(group: np.ndarray, values: np.ndarray) -> dict[str, np.ndarray]:
    """Statistics of every row's group without the row itself, for all rows in one vectorized pass.

    group: integer group code per row; values: float per row (NaN = no value, not counted).
    Returns arrays aligned with the rows: n (others with a value), p25, median, p75 (numpy's linear
    quantiles over the others), ci_low and ci_high (the order statistics bounding the 95% interval on the
    others' median; NaN below 6 others) and the mid-rank share of others with a lower value (`below`).
    """
    group = np.asarray(group, dtype=np.int64)
    values = np.asarray(values, dtype="float64")
    rows = len(values)
    has = ~np.isnan(values)
    n_groups = int(group.max()) + 1 if rows else 0

    # Sort rows with a value by (group, value): each group becomes one contiguous, ordered run.
    valued = np.flatnonzero(has)
    order = valued[np.lexsort((values[valued], group[valued]))]
    sorted_values = values[order]
    counts = np.bincount(group[valued], minlength=n_groups)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1])) if n_groups else np.zeros(0, np.int64)

    g = group
    m = counts[g] if rows else np.zeros(0, np.int64)
    # Position of each row inside its group's run; rows without a value sit past the end (remove nothing).
    position = m.copy()
    position[order] = np.arange(len(order)) - starts[group[order]]
    n = m - has.astype(np.int64)

    out: dict[str, np.ndarray] = {"n": n}
    safe_n = np.maximum(n, 1)

    def other(j: np.ndarray) -> np.ndarray:
        """The (j+1)-th smallest value among each row's others (0-based j < n)."""
        if not len(sorted_values):
            return np.full(rows, np.nan)
        # Index j among the others is index j (before the row) or j + 1 (after it) in the full run.
        full = starts[g] + j + (j >= position)
        return sorted_values[np.clip(full, 0, len(sorted_values) - 1)]

    for name, q in QUANTILES.items():
        h = q * (safe_n - 1)
        lo = np.floor(h).astype(np.int64)
        hi = np.minimum(lo + 1, safe_n - 1)
        lo_v, hi_v = other(lo), other(hi)
        out[name] = np.where(n > 0, lo_v + (hi_v - lo_v) * (h - lo), np.nan)

    k = median_interval_rank(n)
    has_ci = k > 0
    out["ci_low"] = np.where(has_ci, other(np.maximum(k - 1, 0)), np.nan)
    out["ci_high"] = np.where(has_ci, other(np.maximum(n - k, 0)), np.nan)

    # Mid-rank: others strictly below + half the others tied, as a share of the others.
    if len(sorted_values):
        _, dense = np.unique(sorted_values, return_inverse=True)
        width = int(dense.max()) + 2
        composite = group[order].astype(np.int64) * width + dense
        own_dense = np.zeros(rows, np.int64)
        own_dense[order] = dense
        own_key = g * width + own_dense
        less = np.searchsorted(composite, own_key, side="left") - starts[g]
        leq = np.searchsorted(composite, own_key, side="right") - starts[g]
        ties = leq - less - 1
        below = np.where(has & (n > 0), (less + 0.5 * ties) / safe_n, np.nan)
    else:
        below = np.full(rows, np.nan)
    out["below"] = below
    return out


def group_codes(district_metrics: pd.DataFrame, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Integer group code (school year and the group's keys) and group label of every row."""
    group = PEER_GROUPS[kind]
    codes = district_metrics.groupby(["school_year", *group.keys], sort=True, dropna=False).ngroup().to_numpy()
    return codes, group.group_label(district_metrics).to_numpy()


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
          values: np.ndarray, stats: dict[str, np.ndarray], min_peers: int) -> pd.DataFrame:
    """One kind's and one metric's statistics as peer_stats rows, suppressed below min_peers."""
    below = stats["below"]
    better = 1.0 - below if direction == "lower" else below
    published = stats["n"] >= min_peers
    return pd.DataFrame({
        "school_year": dm["school_year"].to_numpy(),
        "pseudonym": dm["pseudonym"].to_numpy(),
        "metric": metric_name,
        "group_kind": kind,
        "group_label": labels,
        "value": values,
        "n": stats["n"],
        "p25": np.where(published, stats["p25"], np.nan),
        "median": np.where(published, stats["median"], np.nan),
        "p75": np.where(published, stats["p75"], np.nan),
        "pct_better": np.where(published, better * 100.0, np.nan),
        "median_vs": np.where(published, median_verdict(values, stats), None),
        "published": published,
    })


def compute_peer_stats(district_metrics: pd.DataFrame, min_peers: int = DEFAULT_MIN_PEERS) -> pd.DataFrame:
    """Long table: one row per school year, district, metric and stored peer group.

    Columns: school_year, pseudonym, metric, group_kind, group_label, value, n, p25, median, p75,
    pct_better (share of others the district does better than, 0-100; for neutral metrics the share
    with a lower value), median_vs (the value against the 95% interval on the others' median, see
    median_verdict), published (n >= min_peers; unpublished rows carry no statistics).
    """
    min_peers = check_min_peers(min_peers)
    dm = district_metrics.reset_index(drop=True)
    frames = []
    for kind in STORED_GROUPS:
        codes, labels = group_codes(dm, kind)
        for metric in METRICS:
            values = dm[metric.name].to_numpy(dtype="float64", na_value=np.nan)
            stats = leave_one_out(codes, values)
            frames.append(_rows(dm, kind, labels, metric.name, metric.direction, values, stats, min_peers))
    return pd.concat(frames, ignore_index=True)


def custom_peer_stats(district_metrics: pd.DataFrame, pseudonym: str, school_year: str, members: list[str],
                      min_peers: int = DEFAULT_MIN_PEERS) -> pd.DataFrame:
    """peer_stats rows of one district against a custom list of districts (pseudonyms), computed on demand
    with the same leave-one-out function and suppression rule as the stored groups.

    The list must name at least min_peers districts other than the district itself; the rows carry only
    how many of them reported each metric, never which.
    """
    min_peers = check_min_peers(min_peers)
    others = sorted(set(members) - {pseudonym})
    if len(others) < min_peers:
        raise ValueError(f"a custom peer group must name at least {min_peers} districts other than the one "
                         f"reported on; got {len(others)}")
    dm = district_metrics[district_metrics["school_year"] == school_year].reset_index(drop=True)
    if not (dm["pseudonym"] == pseudonym).any():
        raise LookupError(f"no submission for district {pseudonym!r} in school year {school_year!r}")
    codes = np.where(dm["pseudonym"].isin([*others, pseudonym]), 0, 1)
    labels = np.full(len(dm), f"custom list of {len(others)} districts", dtype=object)
    own = (dm["pseudonym"] == pseudonym).to_numpy()
    frames = []
    for metric in METRICS:
        values = dm[metric.name].to_numpy(dtype="float64", na_value=np.nan)
        stats = leave_one_out(codes, values)
        rows = _rows(dm, "custom", labels, metric.name, metric.direction, values, stats, min_peers)
        frames.append(rows[own])
    return pd.concat(frames, ignore_index=True)


def what_if(district_metrics: pd.DataFrame, pseudonym: str, school_year: str, kind: str, metric_name: str,
            value: float, min_peers: int = DEFAULT_MIN_PEERS) -> pd.Series:
    """The peer_stats row the district would have with `value` in place of its own figure: the others
    (and so n, quartiles and the interval) are unchanged; rank and verdict are those of `value`."""
    min_peers = check_min_peers(min_peers)
    dm = district_metrics[district_metrics["school_year"] == school_year].reset_index(drop=True)
    own = (dm["pseudonym"] == pseudonym).to_numpy()
    if not own.any():
        raise LookupError(f"no submission for district {pseudonym!r} in school year {school_year!r}")
    m = next(m for m in METRICS if m.name == metric_name)
    codes, labels = group_codes(dm, kind)
    values = dm[metric_name].to_numpy(dtype="float64", na_value=np.nan, copy=True)
    values[own] = value
    rows = _rows(dm, kind, labels, metric_name, m.direction, values, leave_one_out(codes, values), min_peers)
    return rows[own].iloc[0]


def reference_groups(peer_stats: pd.DataFrame) -> pd.DataFrame:
    """For each district, year and metric, the first published group along FALLBACK_ORDER.

    Columns: school_year, pseudonym, metric, group_kind (None when no group can be published), fell_back.
    """
    rank = {kind: i for i, kind in enumerate(FALLBACK_ORDER)}
    ps = peer_stats[peer_stats["published"]].assign(_rank=lambda d: d["group_kind"].map(rank))
    first = ps.sort_values("_rank").drop_duplicates(["school_year", "pseudonym", "metric"])
    keys = peer_stats[["school_year", "pseudonym", "metric"]].drop_duplicates()
    out = keys.merge(first[["school_year", "pseudonym", "metric", "group_kind"]], how="left")
    out["fell_back"] = out["group_kind"] != FALLBACK_ORDER[0]
    return out
