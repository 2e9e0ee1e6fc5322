"""Disclosure control: the one gate every figure passes before it leaves the warehouse.

Peer statistics are computed exactly (benchmarks.stats.peers); this module decides what of them may be shown, in
which form, and formats it, for every output alike (HTML reports, board summary, CSV/XLSX exports, index).
The rules and their reasons are in docs/privacy.md. In short, for a group of n *other* districts:

- n < min_peers (5): nothing but the count; the report falls back county -> size band -> state.
- every percentile shown is *smoothed*: the mean of the plain (linear) percentiles half a rank below, at and
  half a rank above its position, so it blends at least three districts and is never one district's figure.
- a shown percentile must be *truthful*: within the rules' tolerance (5%, at least one display unit) of the
  plain percentile of the others. A median that is not is replaced by a band that holds the plain median;
  quartiles that are not are dropped (the centre alone is shown).
- n < quartile_min_peers (10): only the centre (smoothed median); the 25th/75th percentiles of so few
  districts sit next to the extremes. If the centre, as displayed, equals the displayed figure of exactly
  one of the others, a band is shown instead, so no displayed figure matches a single neighbour.
- the others' figures all within one band step (10 display units): a band, never a figure.
- a share of a group meeting a goal only from quartile_min_peers districts (others, for a district).
- the parts of a state beside it (size bands, locales): a figure only where the state's districts outside
  the part number none or at least min_peers.
- totals only over min_peers or more districts, and only when the two largest hold at most 85% of it;
  no means, no minimum or maximum, no single district's figure or rank.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks.formats import display_value, scale
# What one group shows, as text, and its statuses; re-exported here, where every output imports the gate from.
from benchmarks.privacy.figures import BAND, CENTRE, NONE, QUARTILES, GroupFigures, Placement, group_figures  # noqa: F401
from benchmarks.privacy.rules import Rules, band_step, tolerance_of
from benchmarks.registry.groups import STORED_GROUPS, WHOLE_GROUPS, group_codes
from benchmarks.registry.metrics import METRICS, Metric
from benchmarks.stats.loo import QUANTILES, Others
from benchmarks.stats.peers import custom_codes

#: Columns this module adds to peer_stats: the only statistics any output may show.
SHOWN_COLUMNS = ("status", "show_p25", "show_median", "show_p75", "band_low", "band_high")
#: The exact statistics of a group, kept in the warehouse only where the group reaches min_peers.
EXACT_COLUMNS = ("p25", "median", "p75")


def publish(stats: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """Exact statistics kept only for groups of at least min_peers others, with a `published` column: the
    reader's own rank and verdict (pct_better, median_vs) follow the same threshold as the group's figures."""
    published = stats["n"].to_numpy() >= rules.min_peers
    out = stats.copy()
    for c in (*EXACT_COLUMNS, "pct_better"):
        if c in out:
            out[c] = np.where(published, out[c].to_numpy(dtype="float64"), np.nan)
    if "median_vs" in out:
        out["median_vs"] = np.where(published, out["median_vs"].to_numpy(dtype=object), None)
    out["published"] = published
    return out


def _grid(x: np.ndarray, step: float, up: bool) -> np.ndarray:
    k = np.ceil(x / step - 1e-9) if up else np.floor(x / step + 1e-9)
    return k * step


def shown_arrays(group: np.ndarray, values: np.ndarray, m: Metric, rules: Rules,
                 rows: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """For every row (or the given rows only): what may be shown of its group's *other* districts for m.

    Returns n, status (none/band/centre/quartiles), show_p25/show_median/show_p75 and band_low/band_high,
    all in the metric's stored units, NaN where nothing may be shown.
    """
    o = Others(group, values)
    shown_all = display_value(m, np.asarray(values, dtype="float64"))
    own_shown = shown_all
    if rows is not None:
        o, own_shown = o.restrict(rows), shown_all[rows]
    n = o.n
    smooth = {name: o.smoothed(q) for name, q in QUANTILES.items()}
    plain = {name: o.quantile(q) for name, q in QUANTILES.items()}  # internal only: the yardstick of truth
    ok = {name: truthful(m, smooth[name], plain[name], rules) for name in QUANTILES}
    sc, step = scale(m), band_step(m, rules)
    low, high = o.at(np.zeros(len(n))) * sc, o.at(n - 1.0) * sc  # internal only: never shown
    near_equal = (high - low) < step - 1e-9
    small = n < rules.quartile_min_peers
    matches = o.count_equal(shown_all, display_value(m, smooth["median"]), own_shown)
    attributable = small & (matches == 1) & ~near_equal
    status = np.select([n < rules.min_peers, near_equal | attributable | ~ok["median"],
                        small | ~ok["p25"] | ~ok["p75"]], [NONE, BAND, CENTRE], QUARTILES)

    # A band stands for the plain median: the grid cell that holds it (or the others' whole span when alike).
    centre = plain["median"] * sc
    b_lo = np.where(near_equal, _grid(low, step, up=False), _grid(centre, step, up=False))
    b_hi = np.where(near_equal, _grid(high, step, up=True), _grid(centre, step, up=True))
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


def truthful(m: Metric, shown, plain, rules: Rules) -> np.ndarray:
    """Whether figures shown as `shown` tell the truth about the plain ones, as displayed: within the rules'
    tolerance of the smaller of the two (so that a value between them is "about" the shown figure too, see
    GroupFigures.place). NaN (nothing to compare) counts as truthful."""
    s, p = display_value(m, shown), display_value(m, plain)
    gap = np.abs(s - p)
    return np.asarray(np.isnan(gap) | (gap <= tolerance_of(m, np.minimum(np.abs(s), np.abs(p)), rules) + 1e-9))


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
    """peer_stats (exact) published by the rules, with the SHOWN_COLUMNS added for every district, metric and
    stored peer group in one pass."""
    peer_stats = publish(peer_stats, rules)
    dm = district_metrics.reset_index(drop=True)
    added = pd.concat([_shown_frame(group_codes(dm, kind)[0], dm, rules, group_kind=kind) for kind in STORED_GROUPS],
                      ignore_index=True)
    return _attach(peer_stats, added, ["school_year", "pseudonym", "metric", "group_kind"])


def protect_custom(custom: pd.DataFrame, year_metrics: pd.DataFrame, pseudonym: str, members: list[str],
                   rules: Rules) -> pd.DataFrame:
    """A custom group's peer_stats rows (peers.custom_peer_stats) with the SHOWN_COLUMNS, by the same rules.

    The list must name at least min_peers districts other than the district itself; the rows carry only
    how many of them reported each metric, never which."""
    named = len(set(members) - {pseudonym})
    if named < rules.min_peers:
        raise ValueError(f"a custom peer group must name at least {rules.min_peers} districts other than the one "
                         f"reported on; got {named}")
    custom = publish(custom, rules)
    dm = year_metrics.reset_index(drop=True)
    codes = custom_codes(dm, pseudonym, members)
    added = _shown_frame(codes, dm, rules, group_kind="custom")
    added = added[added["pseudonym"] == pseudonym]
    return _attach(custom, added, ["school_year", "pseudonym", "metric", "group_kind"])


def protect_groups(group_stats: pd.DataFrame, district_metrics: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """Whole-group distributions (distribution.compute_group_stats) with the SHOWN_COLUMNS: each group seen
    from outside it (the board's reader is in no group), by the same rules as peer groups."""
    group_stats = publish(group_stats, rules)
    dm = district_metrics.reset_index(drop=True)
    frames = []
    for kind, group in WHOLE_GROUPS.items():
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


def gate_breakdowns(parts: pd.DataFrame, whole: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """Whole-group rows of the parts of a state (its size bands, its locales: protect_groups' rows) as a page
    may show them beside the state's own figures: nothing (status none) where a part has fewer than min_peers
    districts with a value (the board may tighten the warehouse's rules), or where the state's districts with
    a value outside the part number 1 to min_peers - 1. A part that is the state but for a few districts
    would set its median beside the state's over groups that differ by those few: the two together say
    where those few lie. whole: the state's rows (school_year, metric, n) of the same years."""
    if parts.empty:
        return parts
    n_whole = whole.set_index(["school_year", "metric"])["n"]
    keys = pd.MultiIndex.from_frame(parts[["school_year", "metric"]])
    outside = n_whole.reindex(keys).to_numpy(dtype="float64") - parts["n"].to_numpy(dtype="float64")
    n = parts["n"].to_numpy(dtype="float64")
    withheld = (n < rules.min_peers) | ((outside > 0) & (outside < rules.min_peers)) | np.isnan(outside)
    out = parts.assign(status=np.where(withheld, NONE, parts["status"].to_numpy(dtype=object)))
    for c in (*SHOWN_COLUMNS[1:], *EXACT_COLUMNS):
        if c in out:
            out[c] = np.where(withheld, np.nan, out[c].to_numpy(dtype="float64"))
    return out.assign(published=~withheld) if "published" in out else out


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


def _shares_kept(n, rules: Rules) -> np.ndarray:
    """Which groups of n districts (others, for a district) may show a share meeting a goal: from
    quartile_min_peers (never below min_peers)."""
    return np.asarray(n) >= max(rules.min_peers, rules.quartile_min_peers)


def gate_goal_shares(goal_gaps: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """A district's share of peers meeting a goal, kept only from quartile_min_peers others: in a small group
    a share of 0% or 100% tells the reader which side of the goal every neighbour is on, and withholding just
    those would say the same by its absence."""
    keep = _shares_kept(goal_gaps["n"].to_numpy(), rules)
    return goal_gaps.assign(share_meeting=np.where(keep, goal_gaps["share_meeting"].to_numpy(dtype="float64"),
                                                   np.nan))


def gate_group_goals(group_goals: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """A whole group's share meeting a goal (the board's), by the district report's rule (gate_goal_shares):
    only from quartile_min_peers districts, the whole group counting since its reader is in no group. In a
    7-district state "6 of 7 meet it" would tell every member that at most one neighbour falls short."""
    return gate_goal_shares(group_goals, rules).assign(published=_shares_kept(group_goals["n"].to_numpy(), rules))


def displayable(stats: pd.DataFrame) -> pd.DataFrame:
    """A district's peer_stats rows reduced to what may be drawn: p25/median/p75 replaced by the shown ones."""
    keep = ["metric", "group_kind", "value", "n", "status", "band_low", "band_high"]
    out = stats[[c for c in keep if c in stats]].copy()
    for c in ("p25", "median", "p75"):
        out[c] = stats[f"show_{c}"].to_numpy()
    out["published"] = out["status"] != NONE
    return out
