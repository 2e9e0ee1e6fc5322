"""A county round-table's data: its members' figures as a whole, against the state, and what they buy together.

Every reader of the page is a member who knows the others and its own figures, so nothing here is shown unless
each member, setting its own figures aside, still sees min_peers others (Rules.may_meet); a county's figures are
what disclosure.summarize lets a whole group show, and its totals pass disclosure.total (the dominance rule)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.config import resolve_warehouse
from benchmarks.formats import decimals, display_value, scale
from benchmarks.privacy.disclosure import (
    BAND,
    NONE,
    GroupFigures,
    group_figures,
    summarize,
    total,
)
from benchmarks.privacy.keys import is_demo_key
from benchmarks.privacy.rules import Rules, rules_of
from benchmarks.registry.metrics import METRIC_BY_NAME, METRICS, Metric
from benchmarks.registry.years import previous_year
from benchmarks.warehouse.queries import (
    NotOnRecord,
    counties_named,
    data_snapshot,
    school_year_of,
)
from benchmarks.warehouse.store import connect, has_table, read_meta

#: Price metric and the volumes it is a ratio of, per joint purchase (devices; internet).
PURCHASES = {"devices": ("device_price_usd", "devices_replaced", "device_spend_usd"),
             "internet": ("cost_per_mbps_usd", "bandwidth_mbps", "internet_monthly_cost_usd")}


class TooFewMembers(NotOnRecord):
    """A county with too few reporting districts for a page its members could not see through."""


@dataclass
class RoundTable:
    school_year: str
    state: str
    county: str
    #: district_metrics rows of the county's members, this school year and the one before.
    members: pd.DataFrame
    before: pd.DataFrame
    #: The members' volumes (warehouse table `volumes`) this school year.
    volumes: pd.DataFrame
    #: Stored group_stats rows of the whole state, this school year and the one before.
    state_stats: pd.DataFrame
    snapshot: str = ""
    rules: Rules = field(default_factory=Rules)
    demo: bool = False
    #: Counties of other states have this county's name this year: its page is named with its state too.
    name_shared: bool = False

    @property
    def previous_year(self) -> str:
        return previous_year(self.school_year)


def page_place(county: str, state: str, name_shared: bool) -> tuple[str, str]:
    """The county as its page names it, in titles and in its file name (config.county_stem): with its state where
    counties of several states share the name ("Washington County, OR" and "OR"), else alone."""
    return (f"{county}, {state}", state) if name_shared else (county, "")


def too_few_sentence(county: str, year: str, rules: Rules) -> str:
    """Why a county gets no round-table page, in one sentence (the command's refusal and the index say it)."""
    return (f"{county} has fewer than {rules.min_peers + 1} reporting districts for {year}, so it gets no "
            f"round-table page: each member, setting its own figures aside, must still see {rules.min_peers} others.")


def load_roundtable(warehouse: str | Path = "", school_year: str = "", county: str = "",
                    min_peers: int | None = None, state: str = "") -> RoundTable:
    """A county's members (county as a person writes it, within `state` when given) and the state's stored
    figures; TooFewMembers for a county the disclosure rules give no page, NotOnRecord for a county's name that
    several states have when no state is given (or one of them it is not)."""
    wh = resolve_warehouse(warehouse)
    with connect(wh, read_only=True) as con:
        year = school_year_of(con, school_year)
        rules = rules_of(con).at_least(min_peers)
        named = counties_named(con, year, county)[0]
        states = [r[0] for r in con.execute("SELECT DISTINCT state FROM district_metrics WHERE school_year = ? "
                                            "AND county = ? ORDER BY 1", [year, named]).fetchall()]
        wanted = state.strip().upper()
        if wanted and wanted not in states:
            raise NotOnRecord(f"{named} is no county of {wanted} in {year}: it is one of {', '.join(states)}")
        if not wanted and len(states) > 1:
            raise NotOnRecord(f"{named} is a county of {', '.join(states)} in {year}: give its state, e.g. "
                              f"--state {states[0]}")
        state = wanted or states[0]
        rows = con.execute("SELECT * FROM district_metrics WHERE state = ? AND county = ? AND school_year IN (?, ?)",
                           [state, named, year, previous_year(year)]).df()
        members = rows[rows["school_year"] == year].reset_index(drop=True)
        if not rules.may_meet(len(members)):
            raise TooFewMembers(too_few_sentence(named, year, rules))
        volumes = (con.execute("SELECT * FROM volumes WHERE school_year = ?", [year]).df()
                   if has_table(con, "volumes") else pd.DataFrame(columns=["pseudonym"]))
        stats = con.execute("SELECT * FROM group_stats WHERE group_kind = 'state' AND group_label = ? "
                            "AND school_year IN (?, ?)", [state, year, previous_year(year)]).df()
        snapshot = data_snapshot(con)
        demo = is_demo_key(read_meta(con).get("key_fingerprint", ""))
    volumes = volumes[volumes["pseudonym"].isin(members["pseudonym"])].reset_index(drop=True)
    return RoundTable(year, state, named, members, rows[rows["school_year"] != year].reset_index(drop=True),
                      volumes, stats, snapshot, rules, demo, name_shared=len(states) > 1)


def county_figures(rt: RoundTable, metric: str, before: bool = False) -> GroupFigures:
    """What the page shows of all the county's members for a metric (this year, or last year's members):
    nothing unless every member still sees min_peers others besides itself (Rules.may_meet)."""
    frame = rt.before if before else rt.members
    values = frame[metric].to_numpy(dtype="float64", na_value=np.nan)
    values = values[np.isfinite(values)]
    if not rt.rules.may_meet(len(values)):
        return group_figures({"status": NONE, "n": len(values)}, rt.rules, metric)
    return group_figures(summarize(values, METRIC_BY_NAME[metric], rt.rules) | {"n": len(values)}, rt.rules, metric)


def state_figures(rt: RoundTable, metric: str, before: bool = False) -> GroupFigures:
    """What the stored state statistics show for a metric (the state as a whole, the county's members among it)."""
    year = rt.previous_year if before else rt.school_year
    row = rt.state_stats[(rt.state_stats["metric"] == metric) & (rt.state_stats["school_year"] == year)]
    return group_figures(row.iloc[0].to_dict() if len(row) else {}, rt.rules, metric)


def centre(fig: GroupFigures) -> float:
    """A group's shown centre: its shown median, or the middle of the band shown instead (NaN: nothing shown)."""
    if fig.status == NONE:
        return np.nan
    return (fig.low + fig.high) / 2 if fig.status == BAND else fig.median


def standing(rt: RoundTable) -> pd.DataFrame:
    """Per metric: the county's and the state's shown figures, which side of the state's the county's centre
    lies (GroupFigures.place: from shown figures only), and the change of the county's shown centre since last
    year in display units (NaN unless both years are shown)."""
    rows = []
    for m in METRICS:
        county, state = county_figures(rt, m.name), state_figures(rt, m.name)
        place = state.place(centre(county))
        was = county_figures(rt, m.name, before=True)
        change = (round(display_value(m, centre(county)) - display_value(m, centre(was)), decimals(m)) + 0.0
                  if np.isfinite(centre(county)) and np.isfinite(centre(was)) else np.nan)
        rows.append({"metric": m.name, "county": county, "state": state, "against": place.against,
                     "side": place.side, "change": change, "gap": _gap(m, county, state)})
    return pd.DataFrame(rows)


def _gap(m: Metric, county: GroupFigures, state: GroupFigures) -> float:
    """How far the county's shown centre lies from the state's, as a share of the state's, signed so that
    positive is better (for a neutral metric: above): what ranks the topics for the meeting."""
    c, s = centre(county), centre(state)
    if not (np.isfinite(c) and np.isfinite(s)) or s == 0:
        return np.nan
    gap = (display_value(m, c) - display_value(m, s)) / abs(display_value(m, s))
    return -gap if m.direction == "lower" else gap


def topics(rt: RoundTable, limit: int = 3) -> pd.DataFrame:
    """The metrics where the county's typical district differs most from the state's, a higher-is-better or
    lower-is-better one ahead of neutral ones at the same distance, and never one it stands about level on."""
    s = standing(rt)
    s = s[s["side"].isin(["above", "below"]) & s["gap"].notna()]
    return s.assign(size=s["gap"].abs()).sort_values("size", ascending=False, kind="stable").head(limit)


@dataclass(frozen=True)
class Purchase:
    """A joint purchase as the page may show it: the members counted (those reporting both volumes), their
    combined volume and spend (None where a total fails disclosure.total), and the state's shown prices."""

    kind: str
    members: int
    counted: int
    only_one: int
    volume: float | None
    spend: float | None
    state_median: float
    state_p25: float

    @property
    def shown(self) -> bool:
        return self.volume is not None and self.spend is not None

    @property
    def price(self) -> float:
        """The combined price: spend over volume (a ratio of the two shown totals, no member's own)."""
        return self.spend / self.volume if self.shown and self.volume > 0 else np.nan

    def at(self, price: float) -> float:
        """What the combined volume would have cost at a price (NaN without one)."""
        return self.volume * price if self.shown and np.isfinite(price) else np.nan

    def saving(self, price: float) -> float:
        """Actual spend minus the spend at a price: positive means the members paid more."""
        return self.spend - self.at(price) if self.shown else np.nan


def purchase(rt: RoundTable, kind: str) -> Purchase:
    """The county's combined purchase of a kind ("devices" or "internet"), over the members that reported both
    its volume and its spend (for devices: replaced at least one), so every total counts the same members and
    no two totals subtract to a smaller group."""
    metric, volume, spend = PURCHASES[kind]
    v = rt.volumes.reindex(columns=[volume, spend]).astype("float64")
    both = v[volume].notna() & v[spend].notna() & (v[volume] > 0)
    either = v[volume].notna() | v[spend].notna()
    counted = v[both]
    # the combined price is also a mean of the members' own prices: two members' prices must not dominate it
    prices = (counted[spend] / counted[volume]).to_numpy()
    shown = rt.rules.may_meet(len(counted)) and total(prices, rt.rules) is not None
    state = state_figures(rt, metric)
    return Purchase(kind, len(rt.members), int(both.sum()), int((either & ~both).sum()),
                    total(counted[volume], rt.rules) if shown else None,
                    total(counted[spend], rt.rules) if shown else None,
                    _as_shown(state.median if state.status not in (NONE, BAND) else np.nan, metric),
                    _as_shown(state.p25, metric))


def _as_shown(price: float, metric: str) -> float:
    """A price as the page displays it ($279, $1.81/Mbps): the costs at it are worked from what the reader sees."""
    m = METRIC_BY_NAME[metric]
    return display_value(m, price) / scale(m) if np.isfinite(price) else np.nan
