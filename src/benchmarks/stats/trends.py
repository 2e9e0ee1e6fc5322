"""Change since last year and the peers' median trend, for every row of peer_stats at once.

The peers' median in an earlier year is the median of the *other* districts of the same group (same
label, e.g. the same county) in that year: the district's own leave-one-out median where it was in the
group that year, else the whole group's median (it was not part of it). Only published medians are used.
The trend is the least-squares line through those yearly medians up to the report's year (at least two
years); its level at the report year and its slope per year are stored, so a projection to a later
year is level + slope x years ahead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks.registry.years import year_start


def _joint_codes(frames: list[pd.DataFrame], columns: list[str]) -> list[np.ndarray]:
    """One integer code per distinct combination of `columns`, consistent across the frames."""
    sizes = np.cumsum([0] + [len(f) for f in frames])
    code = np.zeros(sizes[-1], np.int64)
    for col in columns:
        f, uniq = pd.factorize(pd.concat([fr[col] for fr in frames], ignore_index=True))
        code = code * (len(uniq) + 1) + f
    _, code = np.unique(code, return_inverse=True)
    return [code[a:b] for a, b in zip(sizes[:-1], sizes[1:])]


def _grid(codes: np.ndarray, cols: np.ndarray, values: np.ndarray, width: int) -> np.ndarray:
    """A (code x year) matrix holding `values` at (codes, cols), NaN elsewhere."""
    out = np.full((int(codes.max()) + 1 if len(codes) else 0, width), np.nan)
    out[codes, cols] = values
    return out


def add_trends(peer_stats: pd.DataFrame, group_stats: pd.DataFrame) -> pd.DataFrame:
    """peer_stats with prev_value and change (the district's own value last school year and the
    difference), median_prev (the peers' median last school year), trend_slope (change of the peers'
    median per year), trend_level (the fitted median at the report's year) and trend_years (yearly
    medians in the fit). Trend figures are missing where the row is unpublished or fewer than two
    years are available."""
    ps = peer_stats.reset_index(drop=True)
    if ps.empty:
        return ps.assign(prev_value=np.nan, change=np.nan, median_prev=np.nan, trend_slope=np.nan,
                         trend_level=np.nan, trend_years=np.zeros(0, np.int64))
    years = sorted(ps["school_year"].unique())
    x = year_start(years).astype("float64")
    col_of = {y: i for i, y in enumerate(years)}
    year_code, year_uniq = pd.factorize(ps["school_year"])  # a handful of distinct years: map those only
    j = np.array([col_of[y] for y in year_uniq], dtype=np.int64)[year_code]
    start = x[j]
    prev_of = {v: i for i, v in enumerate(x)}
    prev_year = np.array([prev_of.get(v - 1, np.nan) for v in x])[j]
    has_prev = ~np.isnan(prev_year)
    prev_col = np.where(has_prev, prev_year, 0).astype(int)
    published = ps["published"].to_numpy(dtype=bool)

    # The peers' median of each year, per (district, group kind, group label, metric): the district's own
    # leave-one-out median where it had a row in that group that year, else the whole group's median.
    gs = group_stats[group_stats["school_year"].isin(years)]
    group_ps, group_gs = _joint_codes([ps, gs], ["group_kind", "group_label", "metric"])
    key = _joint_codes([ps.assign(_g=group_ps)], ["pseudonym", "_g"])[0]
    own_median = _grid(key, j, ps["median"].to_numpy(dtype="float64"), len(years))
    present = _grid(key, j, 1.0, len(years)) == 1.0
    whole = np.full((max(int(group_ps.max()), int(group_gs.max()) if len(gs) else 0) + 1, len(years)), np.nan)
    whole[group_gs, np.array([col_of[y] for y in gs["school_year"]], dtype=np.int64)] = gs["median"].to_numpy(
        dtype="float64")
    key_group = np.zeros(own_median.shape[0], np.int64)
    key_group[key] = group_ps
    medians = np.where(present, own_median, whole[key_group])

    y = medians[key]
    use = np.isfinite(y) & (np.arange(len(years))[None, :] <= j[:, None])
    count = use.sum(axis=1)
    safe = np.maximum(count, 1)
    xs = np.broadcast_to(x, y.shape)
    yz = np.where(use, y, 0.0)
    x_bar = (xs * use).sum(axis=1) / safe
    y_bar = yz.sum(axis=1) / safe
    dx = np.where(use, xs - x_bar[:, None], 0.0)
    sxx = (dx * dx).sum(axis=1)
    ok = (count >= 2) & (sxx > 0) & published
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.where(ok, (dx * (yz - y_bar[:, None])).sum(axis=1) / sxx, np.nan)
    level = np.where(ok, y_bar + slope * (start - x_bar), np.nan)
    rows = np.arange(len(ps))
    median_prev = np.where(has_prev & published, y[rows, prev_col], np.nan)

    own_key = _joint_codes([ps], ["pseudonym", "metric"])[0]
    own = _grid(own_key, j, ps["value"].to_numpy(dtype="float64"), len(years))
    prev_value = np.where(has_prev, own[own_key, prev_col], np.nan)

    return ps.assign(prev_value=prev_value, change=ps["value"].to_numpy() - prev_value, median_prev=median_prev,
                     trend_slope=slope, trend_level=level, trend_years=np.where(ok, count, 0).astype(np.int64))


def projected_median(trend_level: float, trend_slope: float, from_year: str, to_year: int) -> float:
    """The peers' median projected along the fitted line from the report year to the target start year."""
    return float(trend_level + trend_slope * (to_year - int(year_start([from_year])[0])))
