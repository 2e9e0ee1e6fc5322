"""Peer statistics for every district at once, over the *other* districts of each peer group only.

Tie rule for percentile ranks: a peer with exactly the district's value counts as half better, half worse
(the "mean" kind of scipy.stats.percentileofscore), so identical values rank at 50%.
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
    name: str
    label: str
    #: Columns of district_metrics that districts of one group share (the school year is always added).
    keys: tuple[str, ...]
    #: Column naming the group to the reader.
    label_column: str

    def describe(self, row: pd.Series) -> str:
        if self.name == "state":
            return f"districts in {row['state']}"
        if self.name == "county":
            return f"districts in {row['county']}"
        return f"districts of {row['size_band']} in {row['state']}"


PEER_GROUPS: dict[str, PeerGroup] = {
    "county": PeerGroup("county", "County", ("state", "county"), "county"),
    "size_band": PeerGroup("size_band", "Size band", ("state", "size_band"), "size_band"),
    "state": PeerGroup("state", "State", ("state",), "state"),
}
#: When a group is too small to publish, the report falls back along this order.
FALLBACK_ORDER: tuple[str, ...] = ("county", "size_band", "state")
QUANTILES = {"p25": 0.25, "median": 0.5, "p75": 0.75}


def check_min_peers(min_peers: int) -> int:
    if int(min_peers) < FLOOR_MIN_PEERS:
        raise ValueError(f"min_peers must be at least {FLOOR_MIN_PEERS} (disclosure rule); got {min_peers}")
    return int(min_peers)


def leave_one_out(group: np.ndarray, values: np.ndarray) -> dict[str, np.ndarray]:
    """Statistics of every row's group without the row itself, for all rows in one vectorized pass.

    group: integer group code per row; values: float per row (NaN = no value, not counted).
    Returns arrays aligned with the rows: n (others with a value), p25, median, p75 (numpy's linear
    quantiles over the others) and the mid-rank share of others with a lower value (`below`).
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
    for name, q in QUANTILES.items():
        h = q * (safe_n - 1)
        lo = np.floor(h).astype(np.int64)
        hi = np.minimum(lo + 1, safe_n - 1)
        frac = h - lo
        # Index j among the others is index j (before the row) or j + 1 (after it) in the full run.
        lo_full = starts[g] + lo + (lo >= position)
        hi_full = starts[g] + hi + (hi >= position)
        if len(sorted_values):
            lo_v = sorted_values[np.minimum(lo_full, len(sorted_values) - 1)]
            hi_v = sorted_values[np.minimum(hi_full, len(sorted_values) - 1)]
        else:
            lo_v = hi_v = np.full(rows, np.nan)
        out[name] = np.where(n > 0, lo_v + (hi_v - lo_v) * frac, np.nan)

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


def compute_peer_stats(district_metrics: pd.DataFrame, min_peers: int = DEFAULT_MIN_PEERS) -> pd.DataFrame:
    """Long table: one row per school year, district, metric and peer group.

    Columns: school_year, pseudonym, metric, group_kind, group_label, value, n, p25, median, p75,
    pct_better (share of others the district does better than, 0-100; for neutral metrics the share
    with a lower value), published (n >= min_peers; unpublished rows carry no statistics).
    """
    min_peers = check_min_peers(min_peers)
    dm = district_metrics.reset_index(drop=True)
    frames = []
    for kind, group in PEER_GROUPS.items():
        codes = dm.groupby(["school_year", *group.keys], sort=True, dropna=False).ngroup().to_numpy()
        labels = dm[group.label_column].astype(str).to_numpy()
        for metric in METRICS:
            values = dm[metric.name].to_numpy(dtype="float64", na_value=np.nan)
            stats = leave_one_out(codes, values)
            below = stats["below"]
            better = 1.0 - below if metric.direction == "lower" else below
            published = stats["n"] >= min_peers
            frame = pd.DataFrame({
                "school_year": dm["school_year"].to_numpy(),
                "pseudonym": dm["pseudonym"].to_numpy(),
                "metric": metric.name,
                "group_kind": kind,
                "group_label": labels,
                "value": values,
                "n": stats["n"],
                "p25": np.where(published, stats["p25"], np.nan),
                "median": np.where(published, stats["median"], np.nan),
                "p75": np.where(published, stats["p75"], np.nan),
                "pct_better": np.where(published, better * 100.0, np.nan),
                "published": published,
            })
            frames.append(frame)
    return pd.concat(frames, ignore_index=True)


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
