"""The board summary's data: the state's stored distributions, goal shares, their changes and participation."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.config import resolve_warehouse
from benchmarks.formats import decimals, display_value, share_points
from benchmarks.privacy.disclosure import GroupFigures, gate_breakdowns, gate_group_goals, group_figures
from benchmarks.privacy.keys import is_demo_key
from benchmarks.privacy.rules import Rules, pool_small, rules_of
from benchmarks.registry.groups import SIZE_BANDS
from benchmarks.registry.metrics import LOCALES, METRIC_BY_NAME, METRICS
from benchmarks.registry.years import previous_year
from benchmarks.reports.wording import change_verdict
from benchmarks.warehouse.queries import data_snapshot, nation_of, school_year_of, states_in
from benchmarks.warehouse.store import connect, read_meta

#: A median that moved by less than this share of last year's figure "changed little": smaller moves of a
#: smoothed state median are within the year-to-year wobble of which districts submitted.
LITTLE_CHANGE = 0.02
CHANGE_COLUMNS = ["metric", "median_prev", "median", "change", "movement", "verdict"]
GOAL_CHANGE_COLUMNS = ["metric", "goal", "goal_label", "share_prev", "share", "change_points", "movement"]
#: The parts of the state the board shows a median of beside the state's own, by group kind: their labels in
#: the order the table shows them (smallest size band first; NCES locales from city to rural).
BREAKDOWNS: dict[str, tuple[str, ...]] = {"size_band": tuple(label for _, label in SIZE_BANDS), "locale": LOCALES}


@dataclass
class BoardSummary:
    school_year: str
    state: str
    metrics: pd.DataFrame  # district_metrics rows of the state, all years
    min_peers: int
    snapshot: str
    #: Stored group_stats and group_goals rows of the state as a whole, years up to school_year.
    group_stats: pd.DataFrame = None
    group_goals: pd.DataFrame = None
    rules: Rules = field(default_factory=Rules)
    demo: bool = False
    #: How many states the school year's data holds; from two, the board sees its state beside all of them
    #: (the way Connect K-12 shows state and national medians), from the stored "all" group's rows.
    states: int = 1
    nation_stats: pd.DataFrame = None
    nation_goals: pd.DataFrame = None
    #: Stored group_stats rows of the state's size bands and locales (BREAKDOWNS) for school_year, gated at
    #: ingest like the state's; breakdown_figures gates them against the state.
    breakdown_stats: pd.DataFrame = None

    @property
    def previous_year(self) -> str:
        """The school year before the summary's: "2025-26" -> "2024-25"."""
        return previous_year(self.school_year)


def load_board_summary(warehouse: str | Path = "", school_year: str = "", state: str = "",
                       min_peers: int | None = None) -> BoardSummary:
    """The state's rows and the warehouse's disclosure rules (tightened to min_peers if that is stricter)."""
    wh = resolve_warehouse(warehouse)
    with connect(wh, read_only=True) as con:
        school_year = school_year_of(con, school_year)  # NotOnRecord for a year the warehouse lacks
        if not state:
            state = con.execute("SELECT mode(state) FROM district_metrics WHERE school_year = ?",
                                [school_year]).fetchone()[0]
        frame = con.execute("SELECT * FROM district_metrics WHERE state = ? AND school_year <= ?",
                            [state, school_year]).df()
        stored = {t: con.execute(f"SELECT * FROM {t} WHERE group_kind = 'state' AND group_label = ? "
                                 "AND school_year <= ? ORDER BY school_year", [state, school_year]).df()
                  for t in ("group_stats", "group_goals")}
        parts = con.execute("SELECT * FROM group_stats WHERE list_contains(?, group_kind) AND school_year = ? "
                            "AND group_label LIKE '%, ' || ?", [list(BREAKDOWNS), school_year, state]).df()
        states = states_in(con, school_year)
        nation = nation_of(con, school_year)
        snapshot = data_snapshot(con)
        rules = rules_of(con).at_least(min_peers)
        demo = is_demo_key(read_meta(con).get("key_fingerprint", ""))
    return BoardSummary(school_year, state, frame, rules.min_peers, snapshot, stored["group_stats"],
                        stored["group_goals"], rules, demo, states, *nation, breakdown_stats=parts)


def state_quartiles(summary: BoardSummary, nation: bool = False) -> pd.DataFrame:
    """Per metric and school year: districts with a value and what may be shown of them, as stored in
    group_stats at ingest by benchmarks.privacy.disclosure: status, smoothed p25/median/p75 or a band (NaN where
    nothing may be shown). nation: the same of all the year's states (BoardSummary.nation_stats)."""
    stats = summary.nation_stats if nation else summary.group_stats
    q = stats[["metric", "school_year", "n", "status", "show_p25", "show_median", "show_p75",
               "band_low", "band_high"]]
    q = q.rename(columns={"show_p25": "p25", "show_median": "median", "show_p75": "p75"})
    return q.reset_index(drop=True)


def state_figures(row: pd.Series, summary: BoardSummary, metric: str) -> GroupFigures:
    """GroupFigures of a state_quartiles row: what the page (and the export) shows of it."""
    return group_figures({"status": row["status"], "n": row["n"], "show_p25": row["p25"],
                          "show_median": row["median"], "show_p75": row["p75"], "band_low": row["band_low"],
                          "band_high": row["band_high"]}, summary.rules, metric)


def breakdown_figures(summary: BoardSummary, kind: str) -> dict[str, dict[str, GroupFigures]]:
    """The school year's figures of the state's parts of one kind (size bands or locales), as the page shows
    them beside the state's: part label ("Rural") -> metric -> GroupFigures, parts in BREAKDOWNS' order (those
    with no district left out). Gated by benchmarks.privacy.disclosure.gate_breakdowns: a part of too few
    districts, or one the state exceeds by 1 to min_peers - 1 districts, shows nothing."""
    stats = summary.breakdown_stats
    if stats is None or stats.empty:
        return {}
    suffix = f", {summary.state}"
    whole = summary.group_stats[summary.group_stats["school_year"] == summary.school_year]
    mine = stats[(stats["group_kind"] == kind) & (stats["school_year"] == summary.school_year)
                 & stats["group_label"].str.endswith(suffix)]
    gated = gate_breakdowns(mine.reset_index(drop=True), whole, summary.rules)
    order = {label: i for i, label in enumerate(BREAKDOWNS[kind])}
    out: dict[str, dict[str, GroupFigures]] = {}
    for label in sorted(dict.fromkeys(gated["group_label"]),
                        key=lambda g: order.get(g.removesuffix(suffix), len(order))):
        rows = gated[gated["group_label"] == label]
        out[label.removesuffix(suffix)] = {r["metric"]: group_figures(r, summary.rules, r["metric"])
                                           for r in rows.to_dict("records")}
    return out


def goal_shares(summary: BoardSummary, nation: bool = False) -> pd.DataFrame:
    """Per metric goal and school year: districts with a value and the share meeting the goal (stored), NaN
    below quartile_min_peers districts: the district report's rule (privacy.disclosure.gate_group_goals).
    nation: the same of all the year's states."""
    goals = summary.nation_goals if nation else summary.group_goals
    g = gate_group_goals(goals, summary.rules)  # the board may tighten the warehouse's rules
    return g[["metric", "goal", "goal_label", "school_year", "n", "share_meeting"]].reset_index(drop=True)


def _movement(change: float, before: float) -> str:
    if not np.isfinite(change):
        return ""
    if change == 0 or abs(change) < LITTLE_CHANGE * abs(before):
        return "little"
    return "up" if change > 0 else "down"


def state_changes(summary: BoardSummary) -> pd.DataFrame:
    """Per metric: the state's median as shown last school year and this one (group_stats show_median; NaN
    where a band or nothing is shown), the change between the two shown figures in display units (percentage
    points for shares), which way it moved (up, down, little) and what that means for the metric's direction
    (improved, worsened, little change; up or down for neutral metrics). Empty without a previous year."""
    prev = summary.previous_year
    q = state_quartiles(summary)
    if not (q["school_year"] == prev).any():
        return pd.DataFrame(columns=CHANGE_COLUMNS)
    by = q.set_index(["metric", "school_year"])["median"]
    rows = []
    for m in METRICS:
        before, now = (float(by.get((m.name, y), np.nan)) for y in (prev, summary.school_year))
        # the difference of the figures as the reader sees them, so the table adds up
        shown_before = display_value(m, before)
        change = round(display_value(m, now) - shown_before, decimals(m)) + 0.0
        movement = _movement(change, shown_before)
        rows.append({"metric": m.name, "median_prev": before, "median": now, "change": change,
                     "movement": movement, "verdict": change_verdict(m.direction, movement)})
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS)


def goal_changes(summary: BoardSummary) -> pd.DataFrame:
    """Per goal: the share of the state's districts meeting it last school year and this one (stored
    group_goals share_meeting), and the change in whole percentage points between the shares as shown.
    Empty without a previous year."""
    prev = summary.previous_year
    g = goal_shares(summary)
    if not (g["school_year"] == prev).any():
        return pd.DataFrame(columns=GOAL_CHANGE_COLUMNS)
    by = g.set_index(["metric", "goal", "school_year"])["share_meeting"]
    rows = []
    for (metric, goal), label in g.groupby(["metric", "goal"], sort=False)["goal_label"].first().items():
        before, now = (float(by.get((metric, goal, y), np.nan)) for y in (prev, summary.school_year))
        change = share_points(now) - share_points(before)
        rows.append({"metric": metric, "goal": goal, "goal_label": label, "share_prev": before, "share": now,
                     "change_points": change, "movement": "" if np.isnan(change) else
                     "little" if change == 0 else "up" if change > 0 else "down"})
    return pd.DataFrame(rows, columns=GOAL_CHANGE_COLUMNS)


def judged_changes(changes: pd.DataFrame) -> pd.DataFrame:
    """The changes of metrics where higher or lower is better, where both years' medians are shown."""
    better = changes["metric"].map(lambda n: METRIC_BY_NAME[n].direction != "neutral")
    return changes[better & (changes["movement"] != "")]


def participation_years(summary: BoardSummary) -> dict:
    """Districts that submitted this school year and last, how many are new since last year and how many
    did not resubmit (None for last year's figures when the state has no submissions that year)."""
    seen = summary.metrics.groupby("school_year")["pseudonym"].agg(set)
    now, before = seen.get(summary.school_year, set()), seen.get(summary.previous_year)
    if before is None:
        return {"districts": len(now), "districts_prev": None, "new": None, "gone": None}
    return {"districts": len(now), "districts_prev": len(before), "new": len(now - before),
            "gone": len(before - now)}


def participation_by_band(summary: BoardSummary) -> pd.DataFrame:
    """Districts that submitted, by size band (rows, smallest first) and school year (columns)."""
    counts = summary.metrics.groupby(["size_band", "school_year"]).size().unstack(fill_value=0)
    bands = [label for _, label in SIZE_BANDS]
    return counts.reindex(bands, fill_value=0).rename_axis(index="size_band", columns="school_year")


def participation_by_county(summary: BoardSummary) -> pd.DataFrame:
    """Districts that submitted per county, largest first; counties below the disclosure threshold are
    pooled (privacy.rules.pool_small)."""
    year = summary.metrics[summary.metrics["school_year"] == summary.school_year]
    named, small, pooled = pool_small(year.groupby("county").size().to_dict(), summary.rules)
    out = pd.DataFrame({"label": pd.Series([label for label, _ in named], dtype=object),
                        "districts": pd.Series([n for _, n in named], dtype="int64"), "pooled": False})
    if small:
        out.loc[len(out)] = {"label": f"{small} counties with fewer than {summary.rules.min_peers} districts",
                             "districts": pooled, "pooled": True}
    return out
