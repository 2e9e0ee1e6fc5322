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

_KEY = ["pseudonym", "group_kind", "group_label", "metric"]


def year_start(school_year) -> np.ndarray:
    """The calendar year a school year starts in: "2025-26" -> 2025."""
    return pd.Series(school_year, dtype=str).str[:4].astype(int).to_numpy()


def school_year_label(start: int) -> str:
    """The school year starting in `start`: 2025 -> "2025-26"."""
    return f"{start}-{(start + 1) % 100:02d}"


def parse_school_year(text: str | int) -> int:
    """A target year given as "2027-28" or 2027, as its start year; a clear error otherwise."""
    s = str(text).strip()
    if len(s) == 4 and s.isdigit():
        return int(s)
    if len(s) == 7 and s[:4].isdigit() and s[4] == "-" and s[5:].isdigit() and int(s[5:]) == (int(s[:4]) + 1) % 100:
        return int(s[:4])
    raise ValueError(f"target year {text!r}: expected a school year such as 2027-28, or its first year 2027")


def _yearly_medians(peer_stats: pd.DataFrame, group_stats: pd.DataFrame, years: list[str]) -> pd.DataFrame:
    """Wide frame indexed by _KEY, one column per school year: the peers' published median that year."""
    idx = peer_stats.set_index([*_KEY, "school_year"])
    own = idx["median"].unstack("school_year").reindex(columns=years)
    present = idx["n"].unstack("school_year").reindex(columns=years).notna().to_numpy()
    whole = (group_stats.set_index(["group_kind", "group_label", "metric", "school_year"])["median"]
             .unstack("school_year").reindex(columns=years))
    fill = whole.reindex(own.index.droplevel("pseudonym")).to_numpy()
    return pd.DataFrame(np.where(present, own.to_numpy(), fill), index=own.index, columns=years)


def add_trends(peer_stats: pd.DataFrame, group_stats: pd.DataFrame) -> pd.DataFrame:
    """peer_stats with prev_value and change (the district's own value last school year and the
    difference), median_prev (the peers' median last school year), trend_slope (change of the peers'
    median per year), trend_level (the fitted median at the report's year) and trend_years (yearly
    medians in the fit). Trend figures are missing where the row is unpublished or fewer than two
    years are available."""
    ps = peer_stats.reset_index(drop=True)
    years = sorted(ps["school_year"].unique())
    x = year_start(years).astype("float64")
    col_of = {y: i for i, y in enumerate(years)}
    start = year_start(ps["school_year"])
    j = ps["school_year"].map(col_of).to_numpy()
    prev_year = pd.Series(start - 1).map({int(v): i for i, v in enumerate(x)}).to_numpy()
    has_prev = ~np.isnan(prev_year)
    prev_col = np.where(has_prev, prev_year, 0).astype(int)

    medians = _yearly_medians(ps, group_stats, years)
    pos = medians.index.get_indexer(pd.MultiIndex.from_frame(ps[_KEY]))
    y = medians.to_numpy()[pos]
    use = np.isfinite(y) & (np.arange(len(years))[None, :] <= j[:, None])
    count = use.sum(axis=1)
    safe = np.maximum(count, 1)
    xs = np.broadcast_to(x, y.shape)
    yz = np.where(use, y, 0.0)
    x_bar = (xs * use).sum(axis=1) / safe
    y_bar = yz.sum(axis=1) / safe
    dx = np.where(use, xs - x_bar[:, None], 0.0)
    sxx = (dx * dx).sum(axis=1)
    ok = (count >= 2) & (sxx > 0) & ps["published"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.where(ok, (dx * (yz - y_bar[:, None])).sum(axis=1) / sxx, np.nan)
    level = np.where(ok, y_bar + slope * (start - x_bar), np.nan)

    rows = np.arange(len(ps))
    median_prev = np.where(has_prev & ps["published"].to_numpy(), y[rows, prev_col], np.nan)

    own = ps.drop_duplicates(["pseudonym", "metric", "school_year"]).set_index(
        ["pseudonym", "metric", "school_year"])["value"].unstack("school_year").reindex(columns=years)
    own_pos = own.index.get_indexer(pd.MultiIndex.from_frame(ps[["pseudonym", "metric"]]))
    prev_value = np.where(has_prev, own.to_numpy()[own_pos, prev_col], np.nan)

    return ps.assign(prev_value=prev_value, change=ps["value"].to_numpy() - prev_value, median_prev=median_prev,
                     trend_slope=slope, trend_level=level, trend_years=np.where(ok, count, 0).astype(np.int64))


def projected_median(trend_level: float, trend_slope: float, from_year: str, to_year: int) -> float:
    """The peers' median projected along the fitted line from the report year to the target start year."""
    return float(trend_level + trend_slope * (to_year - int(year_start([from_year])[0])))
