"""A district report's data: one district's stored peer statistics, read from the warehouse in one go."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pandas as pd

from benchmarks.config import DEFAULT_MIN_PEERS, crosswalk_path, custom_groups_path, resolve_warehouse
from benchmarks.privacy import crosswalk
from benchmarks.privacy.custom_groups import members_of, participating
from benchmarks.privacy.disclosure import protect_custom
from benchmarks.privacy.keys import is_demo_key
from benchmarks.privacy.rules import Rules, check_min_peers, rules_of
from benchmarks.reports.district.payload import from_payload
from benchmarks.registry.groups import FALLBACK_ORDER, PEER_GROUPS, first_shown
from benchmarks.stats.peers import custom_peer_stats
from benchmarks.stats.purchasing import PRICE, against_group
from benchmarks.warehouse.queries import counties_named, data_snapshot, nation_of, year_or_latest
from benchmarks.warehouse.store import connect, read_meta


@dataclass
class DistrictReport:
    """Everything one district's report shows, read from the warehouse in one go."""

    pseudonym: str
    school_year: str
    name: str
    state: str
    county: str
    locale: str
    size_band: str
    enrollment: int
    stats: pd.DataFrame
    min_peers: int = DEFAULT_MIN_PEERS
    snapshot: str = ""
    parameters: dict = field(default_factory=dict)
    #: goal_gaps rows of the district (school year of the report).
    goals: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: The district's purchasing row (empty when none was stored); on a custom report priced against the custom
    #: group's shown median where it shows one (stats.purchasing.against_group).
    purchasing: dict = field(default_factory=dict)
    #: How many districts the custom list named (0: no custom group).
    custom_named: int = 0
    rules: Rules = field(default_factory=Rules)
    #: Built with the public demo key (fictional districts): the footer says so.
    demo: bool = False
    #: The district's own peer_stats rows of every school year up to the report's (the trend panels).
    history: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: Where the district's network figures came from: "submitted", "public" (then the funding year), or "".
    network_source: str = ""
    network_funding_year: float = float("nan")
    #: Public data stands in for some districts' network figures this year (the page then says whose are whose).
    public_in_year: bool = False
    #: With more than one state in the data: the shown figures of all its districts (group_stats and group_goals
    #: rows of the stored "all" group), the way Connect K-12 shows national medians beside a state's.
    nation_stats: pd.DataFrame | None = None
    nation_goals: pd.DataFrame | None = None
    #: The scorecard, worked out once: every section of the page reads it.
    _card: pd.DataFrame | None = field(default=None, init=False, repr=False, compare=False)
    _trends: pd.DataFrame | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def group_kinds(self) -> list[str]:
        """Peer groups on this report, in registry order."""
        present = set(self.stats["group_kind"])
        return [k for k in PEER_GROUPS if k in present]

    @property
    def fallback_order(self) -> tuple[str, ...]:
        """A custom group, when given, is the first comparison; then county, size band, state."""
        return (("custom",) if self.custom_named else ()) + FALLBACK_ORDER


def load_district_report(warehouse: str | Path = "", district: str = "", school_year: str = "",
                         county: str = "", custom_peers=(), min_peers: int = DEFAULT_MIN_PEERS,
                         custom_group: int = 0, report_data: str = "") -> DistrictReport:
    """One district's report data. Empty district: the first district (by pseudonym) of `county`, or of the
    state; empty school_year: the latest year on record. custom_group: the number of a custom group recorded
    for the district that year (benchmarks.privacy.custom_groups.admit, as `benchmarks report --peers` does),
    computed here from district_metrics with the stored groups' rules; the page and the parameters name it
    by number and size only. custom_peers: a list of participating districts' IDs or pseudonyms instead,
    for an analyst in Python (not recorded nor checked for differencing: send a district only what
    `benchmarks report` renders). min_peers can tighten the warehouse's disclosure rules, never loosen them.
    report_data: a render task's payload (reports.district.payload): the report is rebuilt from it, and the
    warehouse is not opened."""
    if report_data:
        return DistrictReport(**from_payload(report_data))
    wh = resolve_warehouse(warehouse)
    check_min_peers(min_peers)
    with connect(wh, read_only=True) as con:
        rules = rules_of(con).at_least(min_peers)
        school_year = year_or_latest(con, school_year)
        if not district:
            counties = counties_named(con, school_year, county) if county else None
            row = con.execute("SELECT min(pseudonym) FROM district_metrics WHERE school_year = ? "
                              "AND (? IS NULL OR list_contains(?, county))", [school_year, counties, counties]).fetchone()
            district = row[0]
        info = con.execute(
            "SELECT d.state, d.county, d.locale, d.size_band, d.enrollment, d.source_sha256, "
            "coalesce(d.network_source, ''), d.network_funding_year "
            "FROM district_metrics d "
            "WHERE d.pseudonym = ? AND d.school_year = ?", [district, school_year]).fetchone()
        if info is None:
            raise LookupError(f"no submission for district {district!r} in school year {school_year!r}")
        history = con.execute("SELECT * FROM peer_stats WHERE pseudonym = ? AND school_year <= ?",
                              [district, school_year]).df()
        stats = history[history["school_year"] == school_year].reset_index(drop=True)
        goals = con.execute("SELECT * FROM goal_gaps WHERE pseudonym = ? AND school_year = ?",
                            [district, school_year]).df()
        buying = con.execute("SELECT * FROM purchasing WHERE pseudonym = ? AND school_year = ?",
                             [district, school_year]).df()
        members: list[str] = []
        if custom_group or custom_peers:
            year = con.execute("SELECT * FROM district_metrics WHERE school_year = ?", [school_year]).df()
            members = (members_of(custom_groups_path(wh, school_year), district, int(custom_group)) if custom_group
                       else participating(crosswalk_path(wh), custom_peers, year["pseudonym"], school_year))
        if members:
            custom = custom_peer_stats(year, district, school_year, members)
            custom = protect_custom(custom, year, district, members, rules)
            stats = pd.concat([stats, custom.reindex(columns=stats.columns)], ignore_index=True)
        snapshot = data_snapshot(con)
        demo = is_demo_key(read_meta(con).get("key_fingerprint", ""))
        public = public_in_year(con, school_year)
        nation = nation_of(con, school_year)
    purchasing = buying.iloc[0].to_dict() if len(buying) else {}
    if members:  # priced against the custom group, at the median its report shows (the scorecard's)
        purchasing = against_group(purchasing, "custom", shown_median_of(stats, "custom", PRICE))
    state, county_name, locale, band, enrollment, source, network, funding_year = info
    # The crosswalk is read for this district only: its own name on its own report.
    name = crosswalk.name_of(crosswalk_path(wh), district, source)
    named = len(set(members) - {district})
    params = {"district": district, "school_year": school_year}
    if custom_group:
        params["custom_group"] = f"group {int(custom_group)}, a custom group of {named} districts"
    elif members:
        params["custom_peers"] = f"{named} districts"
    return DistrictReport(district, school_year, name, state, county_name, locale, band, int(enrollment), stats,
                          min_peers=rules.min_peers, snapshot=snapshot, parameters=params, goals=goals,
                          purchasing=purchasing, custom_named=named,
                          rules=rules, demo=demo, history=history, network_source=network,
                          network_funding_year=_year(funding_year), public_in_year=public,
                          nation_stats=nation[0], nation_goals=nation[1])


def _year(value) -> float:
    return float("nan") if value is None or pd.isna(value) else float(value)


def public_in_year(con, school_year: str) -> bool:
    """Whether public data stands in for any district's network figures in the school year."""
    return bool(con.execute("SELECT count(*) > 0 FROM district_metrics WHERE school_year = ? "
                            "AND network_source = 'public'", [school_year]).fetchone()[0])


def iter_district_reports(warehouse: str | Path, school_year: str, districts: list[str],
                          min_peers: int = DEFAULT_MIN_PEERS) -> Iterator[DistrictReport]:
    """Many districts' report data read in one pass (a batch's tasks, exports and audits of a whole state), as
    load_district_report gives them without a custom group; each holds its own district's name only."""
    wh = resolve_warehouse(warehouse)
    with connect(wh, read_only=True) as con:
        info = con.execute(
            "SELECT d.pseudonym, d.state, d.county, d.locale, d.size_band, d.enrollment, d.source_sha256, "
            "coalesce(d.network_source, '') AS network_source, d.network_funding_year "
            "FROM district_metrics d "
            "WHERE d.school_year = ?", [school_year]).df().set_index("pseudonym", drop=False)
        tables = {t: con.execute(f"SELECT * FROM {t} WHERE school_year = ?", [school_year]).df()
                  for t in ("goal_gaps", "purchasing")}
        history = con.execute("SELECT * FROM peer_stats WHERE school_year <= ? AND pseudonym IN "
                              "(SELECT unnest(?::VARCHAR[]))", [school_year, list(districts)]).df()
        tables["peer_stats"] = history[history["school_year"] == school_year].reset_index(drop=True)
        tables["history"] = history
        snapshot = data_snapshot(con)
        rules = rules_of(con).at_least(min_peers)
        demo = is_demo_key(read_meta(con).get("key_fingerprint", ""))
        public = public_in_year(con, school_year)
        nation = nation_of(con, school_year)
    missing = set(districts) - set(info.index)
    if missing:
        raise LookupError(f"no submission for districts {sorted(missing)[:3]} in school year {school_year!r}")
    wanted = info.loc[list(districts)]
    names = crosswalk.names(crosswalk_path(wh), wanted[["pseudonym", "source_sha256"]].reset_index(drop=True))
    names = names.set_index("pseudonym")
    split = {t: {k: g.reset_index(drop=True) for k, g in f[f["pseudonym"].isin(wanted.index)]
                 .groupby("pseudonym", sort=False)} for t, f in tables.items()}
    for d in districts:
        name = names.at[d, "district_name"]
        if pd.isna(name):
            raise LookupError(f"the crosswalk has no name for district {d}")
        row = wanted.loc[d]
        buying = split["purchasing"].get(d)
        yield DistrictReport(d, school_year, str(name), row["state"], row["county"], row["locale"], row["size_band"],
                             int(row["enrollment"]), split["peer_stats"].get(d, tables["peer_stats"].iloc[0:0]),
                             min_peers=rules.min_peers, snapshot=snapshot,
                             parameters={"district": d, "school_year": school_year},
                             goals=split["goal_gaps"].get(d, tables["goal_gaps"].iloc[0:0]),
                             purchasing=buying.iloc[0].to_dict() if buying is not None and len(buying) else {},
                             rules=rules, demo=demo, history=split["history"].get(d, tables["history"].iloc[0:0]),
                             network_source=row["network_source"],
                             network_funding_year=_year(row["network_funding_year"]), public_in_year=public,
                             nation_stats=nation[0], nation_goals=nation[1])


def shown_median_of(stats: pd.DataFrame, kind: str, metric: str) -> float:
    """The median a report shows of one of its groups for a metric (show_median: NaN where the group shows
    only a band, or nothing)."""
    row = stats[(stats["group_kind"] == kind) & (stats["metric"] == metric)]
    return float(row["show_median"].iloc[0]) if len(row) and pd.notna(row["show_median"].iloc[0]) else float("nan")


def rows_by_metric(stats: pd.DataFrame) -> dict[str, dict[str, dict]]:
    """peer_stats rows as plain dicts by metric and group kind (a report has only a few dozen rows)."""
    out: dict[str, dict[str, dict]] = {}
    for rec in stats.to_dict("records"):
        out.setdefault(rec["metric"], {}).setdefault(rec["group_kind"], rec)
    return out


def reference_row(rows: dict[str, dict], order: tuple[str, ...] = FALLBACK_ORDER) -> dict | None:
    """A metric's row (of rows_by_metric) of its reference group: the first group along `order` with
    something to show (a figure or a band); None when no group has."""
    kind = first_shown({k: r.get("status") != "none" for k, r in rows.items()}, order)
    return None if kind is None else rows[kind]


def peer_groups(report: DistrictReport) -> pd.DataFrame:
    """One row per peer group on the report: how its districts were chosen and how many there are."""
    row = {"state": report.state, "county": report.county, "locale": report.locale, "size_band": report.size_band}
    out = []
    for kind in report.group_kinds:
        n = report.stats.loc[report.stats["group_kind"] == kind, "n"]
        n = n[n > 0] if (n > 0).any() else n  # measures no one of the group reported do not count
        group = PEER_GROUPS[kind]
        how = (f"{report.custom_named} districts named for this report" if kind == "custom"
               else group.describe(row))
        out.append({"group_kind": kind, "label": group.label, "how": how,
                    "n_min": int(n.min()) if len(n) else 0, "n_max": int(n.max()) if len(n) else 0})
    return pd.DataFrame(out)
