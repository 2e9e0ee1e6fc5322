"""Disclosure control: the one gate every figure passes before it leaves the warehouse.

Peer statistics are computed exactly (benchmarks.peers); this module decides what of them may be shown, in
which form, and formats it, for every output alike (HTML reports, board summary, CSV/XLSX exports, index).
The rules and their reasons are in docs/privacy.md. In short, for a group of n *other* districts:

- n < min_peers (5): nothing but the count; the report falls back county -> size band -> state.
- every percentile shown is *smoothed*: the mean of the plain (linear) percentiles one rank below, at and
  one rank above its position, so it blends at least three districts and is never one district's figure.
- n < quartile_min_peers (10): only the centre (smoothed median); the 25th/75th percentiles of so few
  districts sit next to the extremes. If the centre, as displayed, equals the displayed figure of exactly
  one of the others, a band is shown instead, so no displayed figure matches a single neighbour.
- the others' figures all within one band step (10 display units): a band, never a figure.
- totals only over min_peers or more districts, and only when the two largest hold at most 85% of it;
  no means, no minimum or maximum, no single district's figure or rank.
"""

from __future__ import annotations

import copy
import html
from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from .config import DEFAULT_DOMINANCE, DEFAULT_MIN_PEERS, DEFAULT_QUARTILE_MIN_PEERS, FLOOR_MIN_PEERS
from .metrics import METRIC_BY_NAME, METRICS, Metric

NONE, BAND, CENTRE, QUARTILES = "none", "band", "centre", "quartiles"
QUANTILES = {"p25": 0.25, "median": 0.5, "p75": 0.75}
#: Columns this module adds to peer_stats: the only statistics any output may show.
SHOWN_COLUMNS = ("status", "show_p25", "show_median", "show_p75", "band_low", "band_high")


@dataclass(frozen=True)
class Rules:
    """The disclosure thresholds in force; stored with the warehouse so every output states the same ones."""

    min_peers: int = DEFAULT_MIN_PEERS
    quartile_min_peers: int = DEFAULT_QUARTILE_MIN_PEERS
    dominance: float = DEFAULT_DOMINANCE
    #: Bands lie on a grid this many times coarser than the figures' display rounding.
    band_factor: int = 10

    def __post_init__(self):
        if int(self.min_peers) < FLOOR_MIN_PEERS:
            raise ValueError(f"min_peers must be at least {FLOOR_MIN_PEERS} (disclosure rule); got {self.min_peers}")
        if self.quartile_min_peers < self.min_peers:
            raise ValueError(f"quartile_min_peers ({self.quartile_min_peers}) must be at least min_peers "
                             f"({self.min_peers})")
        if not 0.5 <= self.dominance < 1:
            raise ValueError(f"dominance must be a share between 0.5 and 1; got {self.dominance}")
        if self.band_factor not in (10, 100, 1000):
            raise ValueError(f"band_factor must be 10, 100 or 1000 (bands are shown one decimal coarser than "
                             f"figures); got {self.band_factor}")

    @classmethod
    def for_min_peers(cls, min_peers: int = DEFAULT_MIN_PEERS) -> "Rules":
        """The default rules with a stricter (or equal) minimum group size."""
        return cls(int(min_peers), max(DEFAULT_QUARTILE_MIN_PEERS, int(min_peers)))

    def as_meta(self) -> dict[str, str]:
        return {"min_peers": str(self.min_peers), "quartile_min_peers": str(self.quartile_min_peers),
                "dominance": repr(self.dominance), "band_factor": str(self.band_factor)}

    @classmethod
    def from_meta(cls, meta: Mapping[str, str]) -> "Rules":
        d = cls()
        return cls(int(meta.get("min_peers", d.min_peers)),
                   int(meta.get("quartile_min_peers", d.quartile_min_peers)),
                   float(meta.get("dominance", d.dominance)), int(meta.get("band_factor", d.band_factor)))

    def at_least(self, min_peers: int | None) -> "Rules":
        """These rules, tightened to min_peers if that is stricter; never loosened."""
        if min_peers is None or int(min_peers) <= self.min_peers:
            return self
        return Rules(int(min_peers), max(self.quartile_min_peers, int(min_peers)), self.dominance, self.band_factor)


def rules_of(con) -> Rules:
    """The rules a warehouse's peer statistics were protected with."""
    from .store import read_meta

    return Rules.from_meta(read_meta(con))


# --- display: one rounding for every format -------------------------------------------------------------

def scale(m: Metric) -> float:
    """Display units per stored unit (shares are shown as percentages)."""
    return 100.0 if m.unit == "%" else 1.0


def decimals(m: Metric) -> int:
    """Decimals shown, in display units."""
    return max(m.decimals - 2, 0) if m.unit == "%" else m.decimals


def display_value(m: Metric, x) -> np.ndarray | float:
    """The figure as displayed, as a number in display units (percent for shares). Comparisons use this."""
    out = np.round(np.asarray(x, dtype="float64") * scale(m), decimals(m)) + 0.0
    return float(out) if out.ndim == 0 else out


def _with_unit(m: Metric, number: str) -> str:
    if m.unit == "%":
        return f"{number}%"
    if m.unit.startswith("$"):
        return f"${number}{m.unit[1:]}"
    return f"{number} {m.unit}".strip()


def figure_text(m: Metric, x) -> str:
    """A figure as every output shows it, e.g. "1.13 devices", "25.3%", "$315", "$1.84/Mbps"."""
    if x is None or not np.isfinite(x):
        return "–"
    return _with_unit(m, f"{display_value(m, x):,.{decimals(m)}f}")


def band_step(m: Metric, rules: Rules) -> float:
    """Width of a band, in display units."""
    return rules.band_factor * 10.0 ** -decimals(m)


def band_decimals(m: Metric) -> int:
    """Decimals of a band's bounds: one fewer than the figures' (bands are at least ten display units wide)."""
    return max(decimals(m) - 1, 0)


def band_text(m: Metric, low: float, high: float) -> str:
    """A band as shown, e.g. "1.0–1.1 devices", "24–25%", "$310–$320"."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return "–"
    d = band_decimals(m)
    lo, hi = (f"{v * scale(m):,.{d}f}" for v in (low, high))
    if m.unit.startswith("$"):
        return f"{_with_unit(m, lo).removesuffix(m.unit[1:])}–{_with_unit(m, hi)}"
    return f"{lo}–{_with_unit(m, hi)}"


# --- the vectorized pass ----------------------------------------------------------------------------------

class _Others:
    """Each row's group as one sorted run of values, and the row's own position in it (leave-one-out)."""

    def __init__(self, group: np.ndarray, values: np.ndarray):
        group = np.asarray(group, dtype=np.int64)
        values = np.asarray(values, dtype="float64")
        self.group, self.values, self.all_group = group, values, group
        has = ~np.isnan(values)
        n_groups = int(group.max()) + 1 if len(group) else 0
        valued = np.flatnonzero(has)
        order = valued[np.lexsort((values[valued], group[valued]))]
        self.sorted = values[order]
        counts = np.bincount(group[valued], minlength=n_groups)
        self.starts = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64) if n_groups else counts
        m = counts[group] if len(group) else np.zeros(0, np.int64)
        self.position = m.copy()  # rows without a value sit past the end of their run: they remove nothing
        self.position[order] = np.arange(len(order)) - self.starts[group[order]]
        self.n = (m - has).astype(np.int64)

    def restrict(self, rows: np.ndarray) -> "_Others":
        """The same runs, answering for the given rows only (e.g. the readers of whole groups)."""
        out = copy.copy(self)
        out.group, out.position, out.n, out.values = (a[rows] for a in (self.group, self.position, self.n,
                                                                          self.values))
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

    def smoothed(self, q: float) -> np.ndarray:
        """Mean of the linear percentiles one rank below, at and above q's position: >= 3 districts blended."""
        h = q * (np.maximum(self.n, 1) - 1)
        return (self.at(h - 1) + self.at(h) + self.at(h + 1)) / 3.0

    def count_equal(self, shown: np.ndarray, query: np.ndarray, own: np.ndarray) -> np.ndarray:
        """How many of each row's others have shown == the row's query value (display units). shown: every
        row's own shown value (all rows); query and own: per answering row."""
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


def _grid(x: np.ndarray, step: float, up: bool) -> np.ndarray:
    k = np.ceil(x / step - 1e-9) if up else np.floor(x / step + 1e-9)
    return k * step


def shown_arrays(group: np.ndarray, values: np.ndarray, m: Metric, rules: Rules,
                 rows: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """For every row (or the given rows only): what may be shown of its group's *other* districts for m.

    Returns n, status (none/band/centre/quartiles), show_p25/show_median/show_p75 and band_low/band_high,
    all in the metric's stored units, NaN where nothing may be shown.
    """
    o = _Others(group, values)
    shown_all = display_value(m, np.asarray(values, dtype="float64"))
    own_shown = shown_all
    if rows is not None:
        o, own_shown = o.restrict(rows), shown_all[rows]
    n = o.n
    smooth = {name: o.smoothed(q) for name, q in QUANTILES.items()}
    sc, step = scale(m), band_step(m, rules)
    low, high = o.at(np.zeros(len(n))) * sc, o.at(n - 1.0) * sc  # internal only: never shown
    near_equal = (high - low) < step - 1e-9
    small = n < rules.quartile_min_peers
    matches = o.count_equal(shown_all, display_value(m, smooth["median"]), own_shown)
    attributable = small & (matches == 1) & ~near_equal
    status = np.select([n < rules.min_peers, near_equal | attributable, small], [NONE, BAND, CENTRE], QUARTILES)

    centre = smooth["median"] * sc
    b_lo = np.where(near_equal, _grid(low, step, up=False), _grid(centre, step, up=False))
    b_hi = np.where(near_equal, _grid(high, step, up=True), b_lo + step)
    b_hi = np.maximum(b_hi, b_lo + step)
    vmin, vmax = (v * sc for v in m.valid_range)
    over = b_hi > vmax
    b_lo, b_hi = np.where(over, np.minimum(b_lo, vmax - step), b_lo), np.where(over, vmax, b_hi)
    under = b_lo < vmin
    b_lo, b_hi = np.where(under, vmin, b_lo), np.where(under, np.maximum(b_hi, vmin + step), b_hi)
    is_band = status == BAND
    nan = np.full(len(n), np.nan)
    return {
        "n": n,
        "status": status,
        "show_p25": np.where(status == QUARTILES, smooth["p25"], nan),
        "show_median": np.where((status == QUARTILES) | (status == CENTRE), smooth["median"], nan),
        "show_p75": np.where(status == QUARTILES, smooth["p75"], nan),
        "band_low": np.where(is_band, b_lo / sc, nan),
        "band_high": np.where(is_band, b_hi / sc, nan),
    }


def _shown_frame(codes: np.ndarray, dm: pd.DataFrame, rules: Rules, rows: np.ndarray | None = None,
                 **keys) -> pd.DataFrame:
    """SHOWN_COLUMNS of every row of dm (or of `rows` only) for every metric, the rows' groups given by codes."""
    who = dm if rows is None else dm.iloc[rows]
    frames = []
    for m in METRICS:
        values = dm[m.name].to_numpy(dtype="float64", na_value=np.nan)
        shown = shown_arrays(codes, values, m, rules, rows)
        shown.pop("n")
        frames.append(pd.DataFrame({"school_year": who["school_year"].to_numpy(),
                                    "pseudonym": who["pseudonym"].to_numpy(), "metric": m.name, **keys, **shown}))
    return pd.concat(frames, ignore_index=True)


def _attach(stats: pd.DataFrame, added: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    out = stats.drop(columns=[c for c in SHOWN_COLUMNS if c in stats])
    if out.empty or added.empty:  # nothing ingested yet: the columns, and nothing to show
        return out.assign(status=pd.Series(NONE, index=out.index, dtype=object),
                          **{c: np.nan for c in SHOWN_COLUMNS if c != "status"})
    same_rows = len(out) == len(added) and all(
        np.array_equal(out[k].to_numpy(dtype=object), added[k].to_numpy(dtype=object)) for k in keys)
    if same_rows:  # built in the same order (the usual case): attach by position, no join needed
        out = out.reset_index(drop=True).assign(**{c: added[c].to_numpy() for c in SHOWN_COLUMNS})
    else:
        out = out.merge(added, on=keys, how="left", validate="one_to_one")
    # pct_better is the reader's own standing; it follows the same gate as the group's figures.
    if "pct_better" in out:
        out.loc[out["status"] == NONE, "pct_better"] = np.nan
    return out


def protect(peer_stats: pd.DataFrame, district_metrics: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """peer_stats with the SHOWN_COLUMNS added for every district, metric and stored peer group in one pass."""
    from .peers import STORED_GROUPS, group_codes

    dm = district_metrics.reset_index(drop=True)
    added = pd.concat([_shown_frame(group_codes(dm, kind)[0], dm, rules, group_kind=kind) for kind in STORED_GROUPS],
                      ignore_index=True)
    return _attach(peer_stats, added, ["school_year", "pseudonym", "metric", "group_kind"])


def protect_custom(custom: pd.DataFrame, year_metrics: pd.DataFrame, pseudonym: str, members: list[str],
                   rules: Rules) -> pd.DataFrame:
    """A custom group's peer_stats rows (peers.custom_peer_stats) with the SHOWN_COLUMNS, by the same rules."""
    dm = year_metrics.reset_index(drop=True)
    codes = np.where(dm["pseudonym"].isin([*members, pseudonym]), 0, 1)
    added = _shown_frame(codes, dm, rules, group_kind="custom")
    added = added[added["pseudonym"] == pseudonym]
    return _attach(custom, added, ["school_year", "pseudonym", "metric", "group_kind"])


def protect_groups(group_stats: pd.DataFrame, district_metrics: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """Whole-group distributions (distribution.compute_group_stats) with the SHOWN_COLUMNS: each group seen
    from outside it (the board's reader is in no group), by the same rules as peer groups."""
    from .distribution import SUMMARY_GROUPS

    dm = district_metrics.reset_index(drop=True)
    frames = []
    for kind, group in SUMMARY_GROUPS.items():
        labels = group.group_label(dm).to_numpy()
        key = pd.DataFrame({"school_year": dm["school_year"].to_numpy(), "group_label": labels})
        codes = key.groupby(["school_year", "group_label"], sort=True).ngroup().to_numpy()
        first = key.drop_duplicates().assign(_code=lambda d: codes[d.index])
        # One reader per group with no value of its own: its "others" are the whole group.
        readers = pd.DataFrame({"school_year": first["school_year"].to_numpy(),
                                "pseudonym": [f"_group{c}" for c in first["_code"]]})
        for m in METRICS:
            readers[m.name] = np.nan
        both = pd.concat([dm[["school_year", "pseudonym", *(m.name for m in METRICS)]], readers], ignore_index=True)
        shown = _shown_frame(np.concatenate([codes, first["_code"].to_numpy()]), both, rules,
                             rows=np.arange(len(dm), len(both)))
        label_of = dict(zip([f"_group{c}" for c in first["_code"]], first["group_label"]))
        frames.append(shown.assign(group_kind=kind, group_label=shown["pseudonym"].map(label_of))
                      .drop(columns="pseudonym"))
    added = pd.concat(frames, ignore_index=True)
    return _attach(group_stats, added, ["school_year", "group_kind", "group_label", "metric"])


def summarize(values, m: Metric, rules: Rules) -> dict:
    """What may be shown of a whole group (e.g. a state for the board), by the same rules as peer groups."""
    v = np.asarray(values, dtype="float64")
    v = np.append(v[~np.isnan(v)], np.nan)  # one reader outside the group: it removes nothing
    out = shown_arrays(np.zeros(len(v), np.int64), v, m, rules)
    return {k: (a[-1].item() if hasattr(a[-1], "item") else a[-1]) for k, a in out.items()}


def total(values, rules: Rules) -> float | None:
    """A sum that may be published: over at least min_peers districts, the two largest holding <= dominance."""
    v = np.asarray(values, dtype="float64")
    v = v[~np.isnan(v)]
    if len(v) < rules.min_peers or v.sum() <= 0 or (v < 0).any():
        return None
    top_two = np.sort(v)[-2:].sum()
    return float(v.sum()) if top_two <= rules.dominance * v.sum() else None


# --- what one group shows, as text ------------------------------------------------------------------------

@dataclass(frozen=True)
class GroupFigures:
    """The displayable figures of one group for one metric (from a protected peer_stats row or summarize)."""

    metric: Metric
    status: str
    n: int
    p25: float
    median: float
    p75: float
    low: float
    high: float
    min_peers: int

    @property
    def published(self) -> bool:
        return self.status != NONE

    @property
    def stat(self) -> str:
        """What the centre cell shows, for data-stat: none, band or median."""
        return {NONE: "none", BAND: "band"}.get(self.status, "median")

    @property
    def centre_text(self) -> str:
        if self.status == NONE:
            return f"fewer than {self.min_peers} others"
        if self.status == BAND:
            return band_text(self.metric, self.low, self.high)
        return figure_text(self.metric, self.median)

    def text(self, stat: str) -> str:
        return {"p25": figure_text(self.metric, self.p25), "p75": figure_text(self.metric, self.p75),
                "median": self.centre_text}[stat]


def group_figures(row: Mapping, rules: Rules, metric: str | None = None) -> GroupFigures:
    """GroupFigures of a protected peer_stats row (or a summarize() result with metric given)."""
    m = METRIC_BY_NAME[metric or row["metric"]]

    def f(key):
        v = row.get(key)
        return float(v) if v is not None and pd.notna(v) else np.nan

    status = row.get("status")
    status = NONE if status is None or (isinstance(status, float) and np.isnan(status)) else str(status)
    return GroupFigures(m, status, int(row.get("n", 0) or 0), f("show_p25"), f("show_median"), f("show_p75"),
                        f("band_low"), f("band_high"), rules.min_peers)


def displayable(stats: pd.DataFrame) -> pd.DataFrame:
    """A district's peer_stats rows reduced to what may be drawn: p25/median/p75 replaced by the shown ones."""
    keep = ["metric", "group_kind", "value", "n", "status", "band_low", "band_high"]
    out = stats[[c for c in keep if c in stats]].copy()
    for c in ("p25", "median", "p75"):
        out[c] = stats[f"show_{c}"].to_numpy()
    out["published"] = out["status"] != NONE
    return out


def tagged(text: str, metric: str, group: str, stat: str, tag: str = "td", css: str = "num", colspan: int = 1,
           **data: str) -> str:
    """A displayed figure with what it is (metric, group, statistic) in data attributes, so an audit can
    check every figure a page shows against the rules."""
    e = html.escape
    extra = "".join(f" data-{k.replace('_', '-')}='{e(str(v), quote=True)}'" for k, v in data.items())
    extra += f" colspan='{int(colspan)}'" if colspan > 1 else ""
    cls = f" class='{css}'" if css else ""
    return (f"<{tag}{cls} data-metric='{e(metric, quote=True)}' data-group='{e(group, quote=True)}' "
            f"data-stat='{e(stat, quote=True)}'{extra}>{e(text)}</{tag}>")


__all__ = ["Rules", "rules_of", "protect", "protect_custom", "protect_groups", "summarize", "total", "shown_arrays", "figure_text", "band_text",
           "display_value", "group_figures", "GroupFigures", "displayable", "tagged", "NONE", "BAND", "CENTRE",
           "QUARTILES"]
