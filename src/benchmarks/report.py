"""The district report: selects one district's stored peer statistics and turns them into page sections."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from . import crosswalk
from .config import DEFAULT_MIN_PEERS, crosswalk_path, paths
from .disclosure import Rules, displayable, figure_text, group_figures, protect_custom, rules_of, tagged
from .metrics import AREAS, METRIC_BY_NAME, METRICS, Metric
from .peers import FALLBACK_ORDER, PEER_GROUPS, STORED_GROUPS, check_min_peers, custom_peer_stats
from .plots import figure_html, peer_band_figure
from .privacy import is_demo_key
from .store import connect, read_meta
from .trends import school_year_label, year_start

GROUP_PHRASES = {kind: group.phrase for kind, group in PEER_GROUPS.items()}
AREA_TITLES = {"devices": "Devices", "network": "Network", "support": "Support"}


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
    #: The district's purchasing row (empty when none was stored).
    purchasing: dict = field(default_factory=dict)
    #: How many districts the custom list named (0: no custom group).
    custom_named: int = 0
    rules: Rules = field(default_factory=Rules)
    #: Built with the public demo key (fictional districts): the footer says so.
    demo: bool = False
    #: The scorecard, worked out once: every section of the page reads it.
    _card: pd.DataFrame | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def group_kinds(self) -> list[str]:
        """Peer groups on this report, in registry order."""
        present = set(self.stats["group_kind"])
        return [k for k in PEER_GROUPS if k in present]

    @property
    def fallback_order(self) -> tuple[str, ...]:
        """A custom group, when given, is the first comparison; then county, size band, state."""
        return (("custom",) if self.custom_named else ()) + FALLBACK_ORDER


def resolve_warehouse(warehouse: str | Path = "") -> Path:
    return Path(warehouse) if warehouse else paths().warehouse


def data_snapshot(con) -> str:
    """A short hash naming the exact set of raw files the warehouse was built from."""
    row = con.execute("SELECT sha256(coalesce(string_agg(sha256, ',' ORDER BY sha256), '')) FROM raw_files").fetchone()
    return row[0][:16]


def resolve_custom_peers(crosswalk_file: Path, members) -> list[str]:
    """Pseudonyms of a custom peer list given as district IDs or pseudonyms; unknown entries are an error."""
    wanted = [str(m).strip() for m in members if str(m).strip()]
    if not wanted:
        return []
    cw = crosswalk.identities(crosswalk_file)
    by_id = dict(zip(cw["district_id"], cw["pseudonym"]))
    known = set(cw["pseudonym"])
    unknown = [m for m in wanted if m not in by_id and m not in known]
    if unknown:
        raise LookupError(f"custom peer list: no district with ID or pseudonym {', '.join(map(repr, unknown))} "
                          "has ever submitted")
    return sorted({by_id.get(m, m) for m in wanted})


def load_district_report(warehouse: str | Path = "", district: str = "", school_year: str = "",
                         county: str = "", custom_peers=(), min_peers: int = DEFAULT_MIN_PEERS) -> DistrictReport:
    """One district's report data. Empty district: the first district (by pseudonym) of `county`, or of the
    state; empty school_year: the latest year on record. custom_peers: district IDs or pseudonyms of a
    custom comparison group, computed here from district_metrics with the stored groups' rules.
    min_peers can tighten the warehouse's disclosure rules for this report, never loosen them."""
    wh = resolve_warehouse(warehouse)
    check_min_peers(min_peers)
    with connect(wh, read_only=True) as con:
        rules = rules_of(con).at_least(min_peers)
        if not school_year:
            school_year = con.execute("SELECT max(school_year) FROM district_metrics").fetchone()[0]
        if not district:
            row = con.execute("SELECT min(pseudonym) FROM district_metrics WHERE school_year = ? "
                              "AND (? = '' OR county = ?)", [school_year, county, county]).fetchone()
            district = row[0]
        info = con.execute(
            "SELECT d.state, d.county, d.locale, d.size_band, d.enrollment, s.source_sha256 "
            "FROM district_metrics d JOIN current_submissions s USING (pseudonym, school_year) "
            "WHERE d.pseudonym = ? AND d.school_year = ?", [district, school_year]).fetchone()
        if info is None:
            raise LookupError(f"no submission for district {district!r} in school year {school_year!r}")
        stats = con.execute("SELECT * FROM peer_stats WHERE pseudonym = ? AND school_year = ?",
                            [district, school_year]).df()
        goals = con.execute("SELECT * FROM goal_gaps WHERE pseudonym = ? AND school_year = ?",
                            [district, school_year]).df()
        buying = con.execute("SELECT * FROM purchasing WHERE pseudonym = ? AND school_year = ?",
                             [district, school_year]).df()
        members = resolve_custom_peers(crosswalk_path(wh), list(custom_peers or ()))
        if members:
            year = con.execute("SELECT * FROM district_metrics WHERE school_year = ?", [school_year]).df()
            custom = custom_peer_stats(year, district, school_year, members, rules.min_peers)
            custom = protect_custom(custom, year, district, members, rules)
            stats = pd.concat([stats, custom.reindex(columns=stats.columns)], ignore_index=True)
        snapshot = data_snapshot(con)
        demo = is_demo_key(read_meta(con).get("key_fingerprint", ""))
    state, county_name, locale, band, enrollment, source = info
    # The crosswalk is read for this district only: its own name on its own report.
    name = crosswalk.name_of(crosswalk_path(wh), district, source)
    named = len(set(members) - {district})
    params = {"district": district, "school_year": school_year}
    if members:
        params["custom_peers"] = f"{named} districts"
    return DistrictReport(district, school_year, name, state, county_name, locale, band, int(enrollment), stats,
                          min_peers=rules.min_peers, snapshot=snapshot, parameters=params, goals=goals,
                          purchasing=buying.iloc[0].to_dict() if len(buying) else {}, custom_named=named,
                          rules=rules, demo=demo)


def iter_district_reports(warehouse: str | Path, school_year: str, districts: list[str]) -> Iterator[DistrictReport]:
    """Many districts' report data read in one pass (exports and audits of a whole state), as
    load_district_report gives them without a custom group; each holds its own district's name only."""
    wh = resolve_warehouse(warehouse)
    with connect(wh, read_only=True) as con:
        info = con.execute(
            "SELECT d.pseudonym, d.state, d.county, d.locale, d.size_band, d.enrollment, s.source_sha256 "
            "FROM district_metrics d JOIN current_submissions s USING (pseudonym, school_year) "
            "WHERE d.school_year = ?", [school_year]).df().set_index("pseudonym", drop=False)
        tables = {t: con.execute(f"SELECT * FROM {t} WHERE school_year = ?", [school_year]).df()
                  for t in ("peer_stats", "goal_gaps", "purchasing")}
        snapshot = data_snapshot(con)
        rules = rules_of(con)
        demo = is_demo_key(read_meta(con).get("key_fingerprint", ""))
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
                             rules=rules, demo=demo)


def _reference(rows: pd.DataFrame, order: tuple[str, ...] = FALLBACK_ORDER) -> pd.Series | None:
    """The first group along `order` with something to show (a figure or a band)."""
    for kind in order:
        hit = rows[(rows["group_kind"] == kind) & (rows["status"] != "none")]
        if len(hit):
            return hit.iloc[0]
    return None


def _reference_of(rows: dict[str, dict], order: tuple[str, ...]) -> dict | None:
    """_reference for a metric's rows given as plain dicts by group kind (fast path for the scorecard)."""
    for kind in order:
        hit = rows.get(kind)
        if hit is not None and hit.get("status") != "none":
            return hit
    return None


def noise_phrase(direction: str, verdict, n: int) -> str:
    """The parenthetical verdict of a standing sentence: a district is called better or behind only when
    its value lies outside the 95% interval on the peers' median (see peers.median_verdict)."""
    if direction == "neutral":
        return ""
    good = "above" if direction == "higher" else "below"
    if verdict == good:
        return " (better than most)"
    if verdict in ("above", "below"):
        return " (behind most)"
    if verdict == "within":
        return " (typical: within noise of their median)"
    return f" (too few others, {int(n)}, to call a difference)"


def standing_sentence(metric_name: str, row: pd.Series | None) -> str:
    """Plain words for where the district stands against its reference group, e.g.
    "Higher devices per student than 7 in 10 districts in your county (better than most)".

    "Better than most" / "behind most" only when the value is outside the 95% interval on the peers'
    median (row["median_vs"]); otherwise the difference is within noise and called typical."""
    m = METRIC_BY_NAME[metric_name]
    if row is None:
        return "Too few other districts reported this to compare."
    if not np.isfinite(row["value"]):
        return "Not reported this year."
    better = row["pct_better"] / 100.0
    below = 1.0 - better if m.direction == "lower" else better
    group = GROUP_PHRASES[row["group_kind"]]
    noun = m.noun or m.label.lower()
    if below >= 0.5:
        text = f"Higher {noun} than {int(round(below * 10))} in 10 {group}"
    else:
        text = f"Lower {noun} than {int(round((1 - below) * 10))} in 10 {group}"
    return text + noise_phrase(m.direction, row.get("median_vs"), row["n"]) + "."


def scorecard(report: DistrictReport) -> pd.DataFrame:
    """One row per metric: the district's value, each group's median (or why not shown) and a sentence.
    Every group figure is what benchmarks.disclosure allows: a smoothed median, a band, or nothing."""
    if report._card is not None:
        return report._card.copy()
    by_metric: dict[str, dict[str, dict]] = {}
    for rec in report.stats.to_dict("records"):  # plain dicts: a report has only a few dozen rows
        by_metric.setdefault(rec["metric"], {}).setdefault(rec["group_kind"], rec)
    out = []
    for m in METRICS:
        rows = by_metric.get(m.name, {})
        ref = _reference_of(rows, report.fallback_order)
        value = next(iter(rows.values()))["value"] if rows else np.nan
        rec = {"metric": m.name, "label": m.label, "area": m.area, "value": value,
               "value_text": figure_text(m, value)}
        for kind in report.group_kinds:
            g = rows.get(kind, {})
            fig = group_figures(g, report.rules, m.name)
            rec[f"{kind}_median"] = fig.median  # the shown (smoothed) centre; NaN when not shown as a figure
            rec[f"{kind}_text"] = fig.centre_text
            rec[f"{kind}_stat"] = fig.stat
            rec[f"{kind}_n"] = int(g.get("n", 0))
        rec["reference"] = None if ref is None else ref["group_kind"]
        rec["fell_back"] = ref is not None and ref["group_kind"] != report.fallback_order[0]
        rec["sentence"] = standing_sentence(m.name, ref)
        rec["detail"] = detail_sentence(report, m, ref)
        out.append(rec)
    report._card = pd.DataFrame(out)
    return report._card.copy()


def _delta(m: Metric, d: float) -> str:
    """A change in the metric's unit, without sign (percentages as points)."""
    if m.unit == "%":
        return f"{abs(d) * 100:,.1f} points"
    return m.format(abs(d))


def detail_sentence(report: DistrictReport, m: Metric, ref: pd.Series | None) -> str:
    """Change since last year, the reference peers' median trend and each goal, in plain words."""
    parts = []
    rows = report.stats[report.stats["metric"] == m.name]
    last = school_year_label(int(year_start([report.school_year])[0]) - 1)
    if len(rows) and np.isfinite(rows["change"].iloc[0]):
        d = rows["change"].iloc[0]
        parts.append("No change since " + last if d == 0 else
                     f"{'Up' if d > 0 else 'Down'} {_delta(m, d)} since {last}")
    if ref is not None and ref["group_kind"] != "custom" and np.isfinite(ref.get("trend_slope", np.nan)):
        slope = ref["trend_slope"]
        move = "flat" if abs(slope) < 10 ** -(m.decimals + (2 if m.unit == "%" else 0)) else (
            f"{'rising' if slope > 0 else 'falling'} {_delta(m, slope)} a year")
        parts.append(f"the median of {GROUP_PHRASES[ref['group_kind']]} is {move} "
                     f"(straight line through {int(ref['trend_years'])} yearly medians)")
    g = report.goals
    if len(g):
        kind = ref["group_kind"] if ref is not None and ref["group_kind"] in set(g["group_kind"]) else "state"
        for _, r in g[(g["metric"] == m.name) & (g["group_kind"] == kind)].iterrows():
            if not np.isfinite(r["gap"]):
                continue
            where = "met" if r["meets"] else f"{_delta(m, r['gap'])} short"
            share = (f"; {r['share_meeting'] * 100:.0f}% of {GROUP_PHRASES[kind]} meet it"
                     if np.isfinite(r["share_meeting"]) else "")
            parts.append(f"goal {r['goal_label']}: {where}{share}")
    if not parts:
        return ""
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def header_html(report: DistrictReport) -> str:
    e = html.escape
    return (f'<header class="report-header"><p class="kicker">District technology benchmarks · '
            f'{e(report.school_year)}</p><h1>{e(report.name)}</h1>'
            f'<p class="meta">{e(report.county)}, {e(report.state)} · {e(report.locale)} · '
            + tagged(f"{report.enrollment:,}", "enrollment", "own", "value", tag="span", css="")
            + f' students ({e(report.size_band)})</p></header>')


def _group_label(kind: str) -> str:
    return PEER_GROUPS[kind].label


def scorecard_html(report: DistrictReport) -> str:
    """The summary table: every metric against each peer group, in plain language."""
    card = scorecard(report)
    e = html.escape
    kinds = report.group_kinds
    head = "".join(f"<th scope='col'>{e(_group_label(k))} median</th>" for k in kinds)
    first = report.fallback_order[0]
    body = []
    for _, r in card.iterrows():
        cells = "".join(tagged(r[f"{k}_text"], r["metric"], k, r[f"{k}_stat"]) for k in kinds)
        note = ""
        if r["fell_back"]:
            note = (f" <span class='note'>({e(GROUP_PHRASES[first])}: fewer than {report.min_peers} others "
                    f"reported this, so this compares with {e(GROUP_PHRASES[r['reference']])})</span>")
        body.append(f"<tr><th scope='row'>{e(r['label'])}</th>"
                    f"{tagged(r['value_text'], r['metric'], 'own', 'value', css='num own')}{cells}"
                    f"<td>{e(r['sentence'])}{note}</td></tr>")
    return (
        "<section class='scorecard'><h2>Scorecard: where you stand</h2>"
        "<p>Each median is over the <em>other</em> districts of the group (you are never part of your own "
        f"peer group). A group's figures are shown only when at least {report.min_peers} other districts "
        f"reported them; otherwise the comparison falls back from {' to '.join(_group_label(k).lower() for k in report.fallback_order)}, "
        "and says so. \u201cBetter than most\u201d and \u201cbehind most\u201d are said only when your value lies "
        "outside the 95% range in which the peers' median could plausibly be (a distribution-free interval "
        "from the peers' own ranks); inside it, the difference is within noise and called typical. Medians "
        "are smoothed (averaged with the neighbouring ranks) so that no figure is any one district's own; a "
        "range such as 1.0–1.1 stands in where the districts of a small group are too alike for a figure to be "
        "safe.</p>"
        f"<table class='scorecard-table'><thead><tr><th scope='col'>Metric</th><th scope='col'>Your value</th>"
        f"{head}<th scope='col'>Where you stand</th></tr></thead><tbody>{''.join(body)}</tbody></table></section>")


def peer_groups(report: DistrictReport) -> pd.DataFrame:
    """One row per peer group on the report: how its districts were chosen and how many there are."""
    row = {"state": report.state, "county": report.county, "locale": report.locale, "size_band": report.size_band}
    out = []
    for kind in report.group_kinds:
        n = report.stats.loc[report.stats["group_kind"] == kind, "n"]
        group = PEER_GROUPS[kind]
        how = (f"{report.custom_named} districts named for this report" if kind == "custom"
               else group.describe(row))
        out.append({"group_kind": kind, "label": group.label, "how": how,
                    "n_min": int(n.min()) if len(n) else 0, "n_max": int(n.max()) if len(n) else 0})
    return pd.DataFrame(out)


def peer_groups_html(report: DistrictReport) -> str:
    """Which peers this report compares with, how they were chosen, and n."""
    e = html.escape
    rows = []
    for _, g in peer_groups(report).iterrows():
        n = (f"{g['n_max']}" if g["n_min"] == g["n_max"] else f"{g['n_min']}\u2013{g['n_max']}")
        rows.append(f"<tr><th scope='row'>{e(g['label'])}</th><td>{e(g['how'])}</td>"
                    + tagged(n, "", g["group_kind"], "count") + "</tr>")
    custom = ("" if not report.custom_named else
              " The custom group was given as a list of districts; the report shows only how many of them "
              "reported each figure, never which.")
    return ("<section class='peer-groups'><h2>Who you are compared with</h2>"
            "<p>Each group is a set of <em>other</em> districts in the same school year; county, locale, size "
            "band and state follow from the districts' own submissions. n is how many of them reported a figure "
            f"(it varies by metric when some left a figure blank).{custom}</p>"
            "<table class='scorecard-table'><thead><tr><th scope='col'>Group</th>"
            "<th scope='col'>How the peers were chosen</th><th scope='col'>n (other districts)</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></section>")


def purchasing_html(report: DistrictReport) -> str:
    """Device price against the county and state, and the replacements' cost at the county median price."""
    b = report.purchasing
    e = html.escape
    if not b or not np.isfinite(b.get("price", np.nan)):
        return ("<div class='purchasing'><h3>Purchasing</h3><p>No replacement devices with a price were "
                "reported this year, so there is nothing to compare.</p></div>")
    price = METRIC_BY_NAME["device_price_usd"]

    def money(x):
        return figure_text(price, x)

    # The medians are the disclosure-controlled ones (purchasing is computed from peer_stats' shown medians).
    medians = "; ".join(
        f"{label} median " + tagged(money(b[col]), price.name, label, "median", tag="span", css="")
        if np.isfinite(b[col]) else f"{label}: no median to show (too few others, or too alike)"
        for label, col in (("county", "county_median"), ("state", "state_median")))
    text = (f"<p>You paid {e(money(b['price']))} per device on average for {int(b['devices_replaced']):,} "
            f"replacement devices ({medians}).</p>")
    if b.get("reference_kind") and np.isfinite(b.get("reference_median", np.nan)):
        kind = b["reference_kind"]
        where = ("the county median price" if kind == "county" else
                 f"the median price of {GROUP_PHRASES[kind]} (your county has fewer than {report.min_peers} "
                 "others with a price)")
        diff = b["difference"]
        verdict = ("the same" if abs(diff) < 0.5 else
                   f"{money(abs(diff))} {'more' if diff > 0 else 'less'} than at that price")
        text += (f"<p data-purchasing='{e(kind)}'>At {e(where)}, those devices would have cost "
                 f"{e(money(b['spend_at_reference']))}; you spent {e(money(b['device_spend_usd']))}: "
                 f"{e(verdict)}. Joint purchase agreements aim at closing this gap.</p>")
    return f"<div class='purchasing'><h3>Purchasing</h3>{text}</div>"


def area_section_html(report: DistrictReport, area: str) -> str:
    """One section (devices, network or support): the takeaway sentences and a peer-band chart."""
    names = [m.name for m in METRICS if m.area == area]
    card = scorecard(report).set_index("metric").loc[names]
    kinds = report.group_kinds
    fig = peer_band_figure(displayable(report.stats), names, kinds)
    alt = (f"{AREA_TITLES[area]} chart: for each metric, the middle half and median of each peer group, "
           "with your district's value marked. " + " ".join(
               f"{card.at[n, 'label']}: you {card.at[n, 'value_text']}; "
               + "; ".join(f"{_group_label(k).lower()} median {card.at[n, f'{k}_text']}" for k in kinds)
               + "." for n in names))
    items = "".join(f"<li><strong>{html.escape(card.at[n, 'label'])}:</strong> "
                    f"{html.escape(card.at[n, 'sentence'])}"
                    + (f" <span class='detail'>{html.escape(card.at[n, 'detail'])}</span>"
                       if card.at[n, "detail"] else "") + "</li>" for n in names)
    lead = card.iloc[0]
    title = f"{AREA_TITLES[area]}: {lead['sentence'][0].lower()}{lead['sentence'][1:-1]}"
    extra = purchasing_html(report) if area == "devices" else ""
    return (f"<section class='area area-{area}'><h2>{html.escape(title)}</h2>"
            f"<ul>{items}</ul>{extra}{figure_html(fig, alt, caption=_caption(area))}</section>")


def _caption(area: str) -> str:
    return (f"{AREA_TITLES[area]}. Bars: the middle half of other districts (25th to 75th percentile) with "
            "their median; a tick alone: the median of a small group; hatched: a range shown instead of a "
            "figure; diamonds and line: your district; dashed lines: goals. Groups with too few other "
            "districts are not drawn.")


def footer_html(report: DistrictReport) -> str:
    from . import __version__
    params = ", ".join(f"{k}={v}" for k, v in report.parameters.items())
    demo = "Fictional demo data, pseudonymized with the public demo key · " if report.demo else ""
    return (f"<footer class='provenance'>{demo}Data snapshot {html.escape(report.snapshot)} · parameters: "
            f"{html.escape(params)} · district-benchmarks {html.escape(__version__)} · generated "
            f"{pd.Timestamp.now(tz='UTC').strftime('%Y-%m-%d %H:%M UTC')}</footer>")


def find_district(crosswalk_file: Path, district: str) -> tuple[str, str]:
    """(pseudonym, name) of a district given by its submitted ID or its pseudonym (the analyst's lookup)."""
    return crosswalk.find(crosswalk_file, district)


def render_district(paths, district: str, custom_peers=(), school_year: str = "",
                    min_peers: int = DEFAULT_MIN_PEERS) -> Path:
    """Render one district's report (with a custom peer group when given) to
    reports/<year>/district_<pseudonym>[_custom].html; returns the page."""
    from .render import latest_year, render_one

    year = school_year or latest_year(paths)
    pseudonym, name = find_district(paths.crosswalk, district)
    resolve_custom_peers(paths.crosswalk, custom_peers)  # fail here, with the names, not inside the notebook
    stem = f"district_{pseudonym}" + ("_custom" if custom_peers else "")
    return render_one("district", paths, paths.reports / year, stem,
                      {"warehouse": str(paths.warehouse), "school_year": year, "district": pseudonym,
                       "custom_peers": list(custom_peers), "min_peers": check_min_peers(min_peers)},
                      f"{name} — technology benchmarks {year}")


__all__ = ["find_district", "render_district", "DistrictReport", "load_district_report", "iter_district_reports",
           "scorecard", "scorecard_html", "area_section_html",
           "peer_groups", "peer_groups_html", "purchasing_html", "standing_sentence", "header_html", "footer_html",
           "AREAS", "STORED_GROUPS"]
