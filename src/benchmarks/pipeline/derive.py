"""Every derived table, computed for all districts at ingest in one pass: exact statistics, then the gate, once."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from benchmarks.config import DEFAULT_MIN_PEERS
from benchmarks.privacy.disclosure import BAND, NONE, gate_goal_shares, gate_group_goals, protect, protect_groups
from benchmarks.privacy.rules import Rules
from benchmarks.registry.groups import size_band
from benchmarks.registry.metrics import compute_metrics
from benchmarks.registry.sources import NETWORK_FIELDS, VOLUME_FIELDS
from benchmarks.stats.distribution import compute_group_goals, compute_group_stats
from benchmarks.stats.goals import compute_goal_gaps
from benchmarks.stats.peers import compute_peer_stats
from benchmarks.stats.purchasing import compute_purchasing
from benchmarks.stats.trends import add_trends
from benchmarks.warehouse.queries import county_key, public_rows
from benchmarks.warehouse.staging import store_parts
from benchmarks.warehouse.store import replace_table

#: The warehouse tables this module fills, in the order they are computed.
DERIVED_TABLES = ("peer_stats", "goal_gaps", "group_stats", "group_goals", "purchasing")
TREND_COLUMNS = ("prev_value", "change", "median_prev", "trend_slope", "trend_level", "trend_years")


#: Where each row's network figures came from, beside its metrics (the report's provenance lines read them).
SOURCE_COLUMNS = ("source_sha256", "network_source", "network_funding_year")


def current_rows(submissions: pd.DataFrame, public: pd.DataFrame) -> pd.DataFrame:
    """Each district's current row for each school year: its latest submission, with the network figures it left
    blank taken from clean public data of that year, and a district known only from public data as a row of its
    own (its other fields not reported). network_source says where the network figures came from ("submitted",
    "public", or empty); a county spelt two ways (a submission's "Kane County", the public file's "KANE COUNTY")
    is one county."""
    key = ["pseudonym", "school_year"]
    subs = submissions.assign(network_source=np.where(submissions["bandwidth_mbps"].notna(), "submitted", None),
                              network_funding_year=np.nan)
    public = public.rename(columns={"funding_year": "network_funding_year"}).assign(network_source="public")
    if len(public):
        figures = public.set_index(key)
        at = pd.MultiIndex.from_frame(subs[key])
        fill = subs["bandwidth_mbps"].isna().to_numpy() & at.isin(figures.index)
        for f in (*NETWORK_FIELDS, "network_funding_year", "network_source"):
            subs.loc[fill, f] = figures[f].reindex(at[fill]).to_numpy()
        public = public[~pd.MultiIndex.from_frame(public[key]).isin(at)]
    rows = pd.concat([subs, public.reindex(columns=subs.columns)], ignore_index=True) if len(public) else subs
    rows["county"] = one_county_spelling(rows, submitted=rows.index < len(subs))
    return rows


def one_county_spelling(rows: pd.DataFrame, submitted) -> pd.Series:
    """Each row's county in one spelling per state and county: the one most submissions use, else the public
    file's, written as a person writes it rather than in capitals."""
    key = rows["state"].astype(str) + "|" + rows["county"].map(county_key)
    votes = pd.DataFrame({"key": key, "county": rows["county"], "submitted": np.asarray(submitted, dtype=int)})
    best = (votes.groupby(["key", "county"]).agg(submitted=("submitted", "sum"), rows=("submitted", "size"))
            .reset_index().sort_values(["submitted", "rows", "county"], ascending=[False, False, True])
            .drop_duplicates("key"))
    return key.map(dict(zip(best["key"], best["county"].map(_readable)))).rename("county")


def _readable(county: str) -> str:
    """ "MCHENRY COUNTY" -> "McHenry County"; a name not all in capitals is kept as written."""
    if not county.isupper():
        return county
    return re.sub(r"\bMc([a-z])", lambda m: "Mc" + m.group(1).upper(), county.title())


def district_metrics_frame(current: pd.DataFrame) -> pd.DataFrame:
    """Metrics and grouping columns for each district's current row (current_rows), with where its figures
    came from."""
    metrics = compute_metrics(current)
    base = current[["pseudonym", "school_year", "state", "county", "locale", "enrollment"]].copy()
    base["size_band"] = size_band(current["enrollment"])
    for col, dtype in zip(SOURCE_COLUMNS, ("string", "string", "float64")):
        base[col] = (current[col] if col in current else pd.Series(None, index=current.index)).astype(dtype)
    return pd.concat([base, metrics], axis=1).sort_values(["school_year", "pseudonym"], ignore_index=True)


def volumes_frame(current: pd.DataFrame) -> pd.DataFrame:
    """Each district's current volumes (VOLUME_FIELDS) as numbers, blank where not reported: the county
    round-table's combined purchasing reads them, through the disclosure rule for totals."""
    out = current[["pseudonym", "school_year"]].copy()
    for f in VOLUME_FIELDS:
        out[f] = pd.to_numeric(current[f], errors="coerce").astype("float64") if f in current else np.nan
    return out.sort_values(["school_year", "pseudonym"], ignore_index=True)


def derived_tables(district_metrics: pd.DataFrame, current: pd.DataFrame | None = None,
                   min_peers: int = DEFAULT_MIN_PEERS, rules: Rules | None = None) -> dict[str, pd.DataFrame]:
    """The statistics tables by name. current: the submissions behind district_metrics (for purchasing;
    without it the purchasing table is empty). rules: the disclosure rules (default: the defaults with
    min_peers).

    Disclosure control is applied here, once: peer_stats and group_stats get what may be shown of each group
    (benchmarks.privacy.disclosure), and the figures built on medians (trends and projections, purchasing, goal
    gaps) use only those shown medians, so none of them rests on one district's figure."""
    rules = rules or Rules.for_min_peers(min_peers)
    group_stats = protect_groups(compute_group_stats(district_metrics), district_metrics, rules)
    tables = {"group_stats": group_stats,
              "group_goals": gate_group_goals(compute_group_goals(district_metrics), rules),
              **district_tables(district_metrics, current, group_stats, rules)}
    return {name: tables[name] for name in DERIVED_TABLES}


def district_tables(district_metrics: pd.DataFrame, current: pd.DataFrame | None, group_stats: pd.DataFrame,
                    rules: Rules) -> dict[str, pd.DataFrame]:
    """The tables with a row per district (peer_stats, goal_gaps, purchasing), given the gated group_stats.
    Every stored peer group lies within one state, so these may be computed a few states at a time."""
    peer_stats = protect(compute_peer_stats(district_metrics), district_metrics, rules)
    peer_stats = _trends_on_shown(peer_stats, group_stats)
    shown = peer_stats.assign(median=peer_stats["show_median"])
    return {"peer_stats": peer_stats,
            "goal_gaps": gate_goal_shares(compute_goal_gaps(district_metrics, shown), rules),
            "purchasing": compute_purchasing(current, shown)}


#: District rows computed at once when the derived tables are rebuilt (whole states at a time): the working memory
#: of the per-district tables grows with this (about 40 kB per row), not with the warehouse; each part goes to the
#: staging file (warehouse/staging.py) before the next is computed.
PARTITION_ROWS = 10_000


def state_partitions(district_metrics: pd.DataFrame, max_rows: int = PARTITION_ROWS) -> list[list[str]]:
    """The states of district_metrics in groups of whole states of at most max_rows rows (a bigger state alone)."""
    sizes = district_metrics["state"].astype(str).value_counts().sort_index()
    parts: list[list[str]] = []
    rows = 0
    for state, n in sizes.items():
        if not parts or rows + n > max_rows:
            parts.append([])
            rows = 0
        parts[-1].append(state)
        rows += n
    return parts


def shown_centre(stats: pd.DataFrame) -> np.ndarray:
    """Each row's median as a report may show it: the shown (smoothed) median, or the middle of the band
    shown instead of it (a function of the band's shown ends only); NaN where nothing is shown."""
    median = stats["show_median"].to_numpy(dtype="float64", na_value=np.nan)
    middle = (stats["band_low"].to_numpy(dtype="float64", na_value=np.nan)
              + stats["band_high"].to_numpy(dtype="float64", na_value=np.nan)) / 2
    return np.where(np.isfinite(median), median, np.where(stats["status"].to_numpy() == BAND, middle, np.nan))


def _trends_on_shown(peer_stats: pd.DataFrame, group_stats: pd.DataFrame) -> pd.DataFrame:
    """peer_stats with trends.add_trends' columns, fitted through the medians disclosure lets a report show:
    every year on record whose median is shown, as a figure or as a band (taken at the band's middle, as the
    trend chart draws it), so a band year counts among the trend's years instead of breaking it."""
    ps = peer_stats.reset_index(drop=True)
    trended = add_trends(ps.assign(median=shown_centre(ps), published=ps["status"] != NONE),
                         group_stats.assign(median=shown_centre(group_stats)))
    return ps.assign(**{c: trended[c].to_numpy() for c in TREND_COLUMNS})


def rebuild_derived(con, rules: Rules, max_rows: int = PARTITION_ROWS) -> None:
    """Recompute district_metrics and every derived table from the current submissions (inside the caller's
    transaction): the whole-group tables at once, the per-district ones a few whole states at a time (at most
    max_rows district rows), each part stored before the next is computed."""
    current = current_rows(con.execute("SELECT * FROM current_submissions").df(), public_rows(con))
    dm = district_metrics_frame(current)
    parts = state_partitions(dm, max_rows)
    if len(parts) <= 1:
        replace_table(con, "district_metrics", dm)
    else:  # a large table: through the staging file, so the transaction does not hold it in memory
        store_parts(con, [{"district_metrics": dm}])
    replace_table(con, "volumes", volumes_frame(current))
    group_stats = protect_groups(compute_group_stats(dm), dm, rules)
    replace_table(con, "group_stats", group_stats)
    replace_table(con, "group_goals", gate_group_goals(compute_group_goals(dm), rules))
    if len(parts) <= 1:
        for name, frame in district_tables(dm, current, group_stats, rules).items():
            replace_table(con, name, frame)
        return
    states, cur_states = dm["state"].astype(str), current["state"].astype(str)
    store_parts(con, (district_tables(dm[states.isin(part).to_numpy()].reset_index(drop=True),
                                      current[cur_states.isin(part).to_numpy()].reset_index(drop=True),
                                      group_stats, rules) for part in parts))
