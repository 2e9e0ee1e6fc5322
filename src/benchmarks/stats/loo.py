"""The leave-one-out engine: every row's statistics over the *other* rows of its group, all rows at once.

Rows are sorted once by (group, value), so each group is one contiguous, ordered run; a row's others are
its run without its own position. Every statistic of the toolkit that leaves the reader out (peer
quantiles, ranks, the interval on the median, and the smoothed figures the disclosure gate shows) reads
this one structure.
"""

from __future__ import annotations

import copy

import numpy as np

#: The percentiles stored and shown of every group.
QUANTILES = {"p25": 0.25, "median": 0.5, "p75": 0.75}
#: How far either side of a percentile's position the shown (smoothed) figure reaches, in ranks: half a rank
#: blends three districts (weights 1/6, 2/3, 1/6 at a district's rank) while one outlier moves it little.
SMOOTHING_SPAN = 0.5
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


class Others:
    """Each row's group as one sorted run of values, and the row's own position in it.

    group: integer group code per row; values: float per row (NaN = no value: not counted, removes nothing).
    """

    def __init__(self, group: np.ndarray, values: np.ndarray):
        group = np.asarray(group, dtype=np.int64)
        values = np.asarray(values, dtype="float64")
        self.group, self.values, self.all_group = group, values, group
        self.has = ~np.isnan(values)
        n_groups = int(group.max()) + 1 if len(group) else 0
        valued = np.flatnonzero(self.has)
        self.order = valued[np.lexsort((values[valued], group[valued]))]
        self.sorted = values[self.order]
        counts = np.bincount(group[valued], minlength=n_groups)
        self.starts = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64) if n_groups else counts
        m = counts[group] if len(group) else np.zeros(0, np.int64)
        self.position = m.copy()  # rows without a value sit past the end of their run
        self.position[self.order] = np.arange(len(self.order)) - self.starts[group[self.order]]
        #: others with a value, per row
        self.n = (m - self.has).astype(np.int64)

    def restrict(self, rows: np.ndarray) -> "Others":
        """The same runs, answering for the given rows only (e.g. the readers of whole groups)."""
        out = copy.copy(self)
        out.group, out.position, out.n, out.values, out.has = (
            a[rows] for a in (self.group, self.position, self.n, self.values, self.has))
        return out

    def at(self, index: np.ndarray) -> np.ndarray:
        """Linear interpolation at a fractional index (0 .. n-1) among each row's others."""
        n = np.maximum(self.n, 1)
        index = np.clip(index, 0, n - 1)
        lo = np.floor(index).astype(np.int64)
        hi = np.minimum(lo + 1, n - 1)
        frac = index - lo
        if not len(self.sorted):
            return np.full(len(self.n), np.nan)
        g = self.starts[self.group]
        last = len(self.sorted) - 1
        lo_v = self.sorted[np.minimum(g + lo + (lo >= self.position), last)]
        hi_v = self.sorted[np.minimum(g + hi + (hi >= self.position), last)]
        return np.where(self.n > 0, lo_v + (hi_v - lo_v) * frac, np.nan)

    def quantile(self, q: float) -> np.ndarray:
        """numpy's linear percentile of each row's others."""
        return self.at(q * (np.maximum(self.n, 1) - 1))

    def smoothed(self, q: float) -> np.ndarray:
        """Mean of the linear percentiles half a rank below, at and half a rank above q's position: at least
        three districts blended, so never one district's figure (ties aside)."""
        h = q * (np.maximum(self.n, 1) - 1)
        return (self.at(h - SMOOTHING_SPAN) + self.at(h) + self.at(h + SMOOTHING_SPAN)) / 3.0

    def below(self) -> np.ndarray:
        """Mid-rank share of each row's others with a lower value (ties count half); NaN without a value."""
        rows = len(self.values)
        if not len(self.sorted):
            return np.full(rows, np.nan)
        _, dense = np.unique(self.sorted, return_inverse=True)
        width = int(dense.max()) + 2
        composite = self.group[self.order].astype(np.int64) * width + dense
        own_dense = np.zeros(rows, np.int64)
        own_dense[self.order] = dense
        g = self.group
        own_key = g * width + own_dense
        less = np.searchsorted(composite, own_key, side="left") - self.starts[g]
        leq = np.searchsorted(composite, own_key, side="right") - self.starts[g]
        ties = leq - less - 1
        return np.where(self.has & (self.n > 0), (less + 0.5 * ties) / np.maximum(self.n, 1), np.nan)

    def count_equal(self, shown: np.ndarray, query: np.ndarray, own: np.ndarray) -> np.ndarray:
        """How many of each row's others have shown == the row's query value. shown: every row's own shown
        value (all rows); query and own: per answering row."""
        valid, asked = ~np.isnan(shown), ~np.isnan(query)
        keys = np.unique(np.concatenate([shown[valid], query[asked]]))
        if not len(keys):
            return np.zeros(len(query), np.int64)
        width = len(keys) + 1
        data = np.sort(self.all_group[valid] * width + np.searchsorted(keys, shown[valid]))
        q = self.group * width + np.searchsorted(keys, np.where(asked, query, keys[0]))
        count = np.searchsorted(data, q, side="right") - np.searchsorted(data, q, side="left")
        mine = ~np.isnan(own) & asked & (own == query)
        return np.where(asked, count - mine, 0)


def leave_one_out(group: np.ndarray, values: np.ndarray) -> dict[str, np.ndarray]:
    """Statistics of every row's group without the row itself, for all rows in one vectorized pass.

    Returns arrays aligned with the rows: n (others with a value), p25, median, p75 (numpy's linear
    quantiles over the others), ci_low and ci_high (the order statistics bounding the 95% interval on the
    others' median; NaN below 6 others) and the mid-rank share of others with a lower value (`below`).
    """
    o = Others(group, values)
    out: dict[str, np.ndarray] = {"n": o.n}
    for name, q in QUANTILES.items():
        out[name] = o.quantile(q)
    k = median_interval_rank(o.n)
    has_ci = k > 0
    out["ci_low"] = np.where(has_ci, o.at(np.maximum(k - 1, 0).astype("float64")), np.nan)
    out["ci_high"] = np.where(has_ci, o.at(np.maximum(o.n - k, 0).astype("float64")), np.nan)
    out["below"] = o.below()
    return out
