"""The district report: selects one district's stored peer statistics and turns them into page sections."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from benchmarks.privacy import crosswalk
from benchmarks.config import DEFAULT_MIN_PEERS, crosswalk_path, paths
from benchmarks.privacy.disclosure import Rules, displayable, figure_text, group_figures, protect_custom, rules_of, tagged
from benchmarks.registry.metrics import AREAS, METRIC_BY_NAME, METRICS, Metric
from benchmarks.stats.peers import FALLBACK_ORDER, PEER_GROUPS, STORED_GROUPS, check_min_peers, custom_peer_stats
from benchmarks.reports.plots import figure_html, peer_band_figure
from benchmarks.privacy.keys import is_demo_key
from benchmarks.warehouse.store import connect, read_meta
from benchmarks.stats.trends import school_year_label, year_start

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
    #: The district's own peer_stats rows of every school year up to the report's (the trend panels).
    history: pd.DataFrame = field(default_factory=pd.DataFrame)
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
        history = con.execute("SELECT * FROM peer_stats WHERE pseudonym = ? AND school_year <= ?",
                              [district, school_year]).df()
        stats = history[history["school_year"] == school_year].reset_index(drop=True)
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
                          rules=rules, demo=demo, history=history)


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
                  for t in ("goal_gaps", "purchasing")}
        history = con.execute("SELECT * FROM peer_stats WHERE school_year <= ? AND pseudonym IN "
                              "(SELECT unnest(?::VARCHAR[]))", [school_year, list(districts)]).df()
        tables["peer_stats"] = history[history["school_year"] == school_year].reset_index(drop=True)
        tables["history"] = history
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
                             rules=rules, demo=demo, history=split["history"].get(d, tables["history"].iloc[0:0]))


def _reference(rows: pd.DataFrame, order: tuple[str, ...] = FALLBACK_ORDER) -> pd.Series | None:
    """The first group along `order` with something to show (a figure or a band)."""
    for kind in order:
        hit = rows[(rows["group_kind"] == kind) & (rows["status"] != "none")]
        if len(hit):
            return hit.iloc[0]
    return None


def _rows_by_metric(stats: pd.DataFrame) -> dict[str, dict[str, dict]]:
    """peer_stats rows as plain dicts by metric and group kind (a report has only a few dozen rows)."""
    out: dict[str, dict[str, dict]] = {}
    for rec in stats.to_dict("records"):
        out.setdefault(rec["metric"], {}).setdefault(rec["group_kind"], rec)
    return out


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


def _share_of_ten(metric_name: str, row) -> tuple[str, str]:
    """("Higher" or "Lower", "8 in 10") for where the district stands among its reference group; the
    ends read "nearly all" rather than "10 in 10", which would say first or last."""
    m = METRIC_BY_NAME[metric_name]
    better = row["pct_better"] / 100.0
    below = 1.0 - better if m.direction == "lower" else better
    word, share = ("Higher", below) if below >= 0.5 else ("Lower", 1 - below)
    tenths = int(round(share * 10))
    return word, "nearly all" if tenths >= 10 else f"{tenths} in 10"


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
    word, share = _share_of_ten(metric_name, row)
    noun = m.noun or m.label.lower()
    text = f"{word} {noun} than {share} {GROUP_PHRASES[row['group_kind']]}"
    return text + noise_phrase(m.direction, row.get("median_vs"), row["n"]) + "."


#: The summary's verdicts: a symbol and words, so that no reader depends on colour.
VERDICTS = {
    "better": ("✓", "Better than most"),
    "typical": ("●", "Typical"),
    "behind": ("!", "Behind most"),
    "above": ("↑", "Above most"),
    "below": ("↓", "Below most"),
    "unclear": ("–", "Too few to tell"),
    "missing": ("–", "No comparison"),
}


def verdict_of(metric_name: str, row) -> str:
    """The summary's verdict key: better/behind only outside the noise of the peers' median; a metric
    without a better direction (a refresh cycle) is only above or below most."""
    if row is None or not np.isfinite(row["value"]):
        return "missing"
    direction = METRIC_BY_NAME[metric_name].direction
    side = row.get("median_vs")
    if side == "within":
        return "typical"
    if side not in ("above", "below"):
        return "unclear"
    if direction == "neutral":
        return side
    return "better" if side == ("above" if direction == "higher" else "below") else "behind"


def standing_short(metric_name: str, row) -> str:
    """The summary's few words, "lower than 8 in 10" (the group is named beside its median)."""
    if row is None:
        return "too few others reported this"
    if not np.isfinite(row["value"]):
        return "not reported this year"
    word, share = _share_of_ten(metric_name, row)
    return f"{word.lower()} than {share}"


def takeaway(card: pd.DataFrame) -> str:
    """A section's finding in a few words, from its rows' verdicts: "better than most on 2 of 5 measures"."""
    directed = card[card["metric"].map(lambda n: METRIC_BY_NAME[n].direction != "neutral")]
    counts = directed["verdict"].value_counts()
    better, behind = int(counts.get("better", 0)), int(counts.get("behind", 0))
    parts = []
    if better:
        parts.append(f"better than most on {better} of {len(directed)} measures")
    if behind:
        parts.append(f"behind most on {behind}" + ("" if better else f" of {len(directed)} measures"))
    if parts:
        return ", ".join(parts)
    return "typical of your peers" if counts.get("typical", 0) else "too few peers to tell"


def scorecard(report: DistrictReport) -> pd.DataFrame:
    """One row per metric: the district's value, each group's median (or why not shown) and a sentence.
    Every group figure is what benchmarks.privacy.disclosure allows: a smoothed median, a band, or nothing."""
    if report._card is not None:
        return report._card.copy()
    by_metric = _rows_by_metric(report.stats)
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
        rec["verdict"] = verdict_of(m.name, ref)
        rec["standing"] = standing_short(m.name, ref)
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
        rows = g[g["metric"] == m.name]
        for goal, by_goal in rows.groupby("goal", sort=False):
            r = by_goal.iloc[0]
            if not np.isfinite(r["gap"]):
                continue
            where = "met" if r["meets"] else f"{_delta(m, r['gap'])} short"
            # the share of the first group, along the report's order, that may show one (see goals.py)
            shown = by_goal[np.isfinite(by_goal["share_meeting"].to_numpy(dtype="float64"))].set_index("group_kind")
            kind = next((k for k in FALLBACK_ORDER if k in shown.index), None)
            share = ("" if kind is None else
                     f"; {shown.at[kind, 'share_meeting'] * 100:.0f}% of {GROUP_PHRASES[kind]} meet it")
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


def _verdict_badge(key: str) -> str:
    symbol, words = VERDICTS[key]
    return f"<span class='verdict v-{key}'><span aria-hidden='true'>{symbol}</span> {words}</span>"


#: The summary's peer-group columns (DESIGN: where we stand vs county, size band and state); a custom group,
#: when given, comes first. Every group, locale included, is in comparison_html.
SUMMARY_GROUPS = ("custom", "county", "size_band", "state")


def scorecard_html(report: DistrictReport) -> str:
    """The one-screen summary: every metric, your value, the medians of your county, size band and state,
    and a verdict in a symbol and a few words against the first of them with a figure (its cell is marked).
    Every peer group's median, locale included, is in comparison_html further down."""
    card = scorecard(report)
    e = html.escape
    kinds = [k for k in SUMMARY_GROUPS if k in report.group_kinds]
    first = report.fallback_order[0]
    body = []
    for _, r in card.iterrows():
        cells = "".join(
            tagged(r[f"{k}_text"] if r[f"{k}_stat"] != "none" else "\u2013", r["metric"], k, r[f"{k}_stat"],
                   css="num ref" if k == r["reference"] else "num") for k in kinds)
        ref = r["reference"]
        against = "" if ref in (None, first) else f" \u00b7 vs {_group_label(ref).lower()}"
        body.append(f"<tr><th scope='row'>{e(r['label'])}</th>"
                    f"{tagged(r['value_text'], r['metric'], 'own', 'value', css='num own')}{cells}"
                    f"<td class='standing'>{_verdict_badge(r['verdict'])}"
                    f"<span class='rank'>{e(r['standing'] + against)}</span></td></tr>")
    groups = peer_groups(report).set_index("group_kind")
    n = int(groups.at[first, "n_max"]) if first in groups.index else 0
    count = tagged(str(n), "", first, "count", tag="span", css="")
    group = e(_group_label(first).lower())
    wider = f"a wider group's where fewer than {report.min_peers} reported that figure"
    if first == "custom":
        whom = f"the median of the {count} districts of your custom group (underlined; {wider})"
    elif n >= report.min_peers:
        whom = f"the median of the {count} other districts of your {group} (underlined; {wider})"
    else:
        whom = (f"the underlined median: a wider group's, as fewer than {report.min_peers} other districts of "
                f"your {group} reported ({count})")
    head = "".join(f"<th scope='col' class='num'>{e(_group_label(k))}</th>" for k in kinds)
    return (
        f"<section class='scorecard'><h2>At a glance: {e(takeaway(card))}</h2>"
        f"<p class='lede'>Medians of the other districts of each group. The verdict is against {whom}, and "
        "says better or behind only when the difference is larger than chance would make it.</p>"
        "<table class='summary-table'><thead><tr><th scope='col'>Measure</th><th scope='col' class='num'>You</th>"
        f"{head}<th scope='col'>Where you stand</th></tr></thead><tbody>{''.join(body)}</tbody></table>"
        "</section>")


def comparison_html(report: DistrictReport) -> str:
    """Every metric against every peer group on the report: the medians (or why not shown)."""
    card = scorecard(report)
    e = html.escape
    kinds = report.group_kinds
    head = "".join(f"<th scope='col' class='num'>{e(_group_label(k))}</th>" for k in kinds)
    first = report.fallback_order[0]
    body = []
    for _, r in card.iterrows():
        cells = "".join(tagged(r[f"{k}_text"], r["metric"], k, r[f"{k}_stat"]) for k in kinds)
        note = ""
        if r["fell_back"]:
            note = (f"<span class='note'>{e(_group_label(first))}: fewer than {report.min_peers} others; "
                    f"compared with {e(_group_label(r['reference']).lower())}</span>")
        body.append(f"<tr><th scope='row'>{e(r['label'])}{note}</th>"
                    f"{tagged(r['value_text'], r['metric'], 'own', 'value', css='num own')}{cells}</tr>")
    return ("<section class='comparison'><h2>Your figures against every peer group</h2>"
            "<p>Medians of the <em>other</em> districts of each group. A range such as 1.0–1.1 stands in "
            "where the districts of a small group are too alike for a figure to be safe.</p>"
            "<table class='scorecard-table'><thead><tr><th scope='col'>Measure</th><th scope='col' class='num'>You</th>"
            f"{head}</tr></thead><tbody>{''.join(body)}</tbody></table></section>")


def methods_html(report: DistrictReport) -> str:
    """How to read the report: who counts as a peer, what is withheld and when a difference is called."""
    order = " to ".join(_group_label(k).lower() for k in report.fallback_order)
    return (
        "<section class='methods'><h2>How to read this report</h2><ul>"
        "<li>Each median is over the <em>other</em> districts of a group: you are never part of your own "
        "peer group.</li>"
        f"<li>A group's figures are shown only when at least {report.min_peers} other districts reported them; "
        f"otherwise the comparison falls back from {order}, and says so.</li>"
        "<li>“Better than most” and “behind most” are said only when your value lies outside "
        "the 95% range in which the peers' median could plausibly be (a distribution-free interval from the "
        "peers' own ranks); inside it, the difference is within noise and called typical. “Above” "
        "and “below” are used for measures with no better direction, such as the refresh cycle.</li>"
        "<li>Medians are smoothed (averaged with the neighbouring ranks), so that no figure is any one "
        "district's own; quartile bands are drawn only for groups of at least "
        f"{report.rules.quartile_min_peers} others.</li>"
        "<li>“Over the years” shows your own figures and your peers' medians for each school year you "
        "submitted; a year's median is over the other districts of your group that year.</li></ul></section>")


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
            "<th scope='col'>How the peers were chosen</th><th scope='col' class='num'>n (other districts)</th>"
            "</tr></thead>"
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


def trend_lines(report: DistrictReport) -> pd.DataFrame:
    """For each metric and school year on record: the district's own figure, the shown median of its
    reference group (the first of county, size band, state with a figure this year) and of the state.
    Rows: metric, school_year, series ("you", "reference", "state"), group_kind, label, value, text, stat.
    A year's median is that year's leave-one-out median, through the same disclosure gate as the
    scorecard: a group shown only as a range has a text but no value to draw."""
    if report._trends is not None:
        return report._trends.copy()
    h = report.history
    if h.empty:
        return pd.DataFrame(columns=["metric", "school_year", "series", "group_kind", "label", "value", "text",
                                     "stat"])
    now = _rows_by_metric(report.stats)
    by_year = {year: _rows_by_metric(frame) for year, frame in h.groupby("school_year")}
    out = []
    for m in METRICS:
        ref = _reference_of(now.get(m.name, {}), FALLBACK_ORDER)
        kinds = [("state", "state")]
        if ref is not None and ref["group_kind"] != "state":
            kinds.insert(0, ("reference", ref["group_kind"]))
        for year, metrics in by_year.items():
            by_kind = metrics.get(m.name)
            if not by_kind:
                continue
            own = next(iter(by_kind.values()))["value"]
            if np.isfinite(own):
                out.append({"metric": m.name, "school_year": year, "series": "you", "group_kind": "own",
                            "label": "Your district", "value": own, "text": figure_text(m, own), "stat": "value"})
            for series, kind in kinds:
                if kind not in by_kind:
                    continue
                fig = group_figures(by_kind[kind], report.rules, m.name)
                if fig.status == "none":
                    continue
                out.append({"metric": m.name, "school_year": year, "series": series, "group_kind": kind,
                            "label": f"{_group_label(kind)} median", "value": fig.median,
                            "text": fig.centre_text, "stat": fig.stat})
    report._trends = pd.DataFrame(out)
    return report._trends.copy()


def trend_table_html(lines: pd.DataFrame, names: list[str]) -> str:
    """The trend panels' figures as a table (for screen readers, and for a reader who wants the numbers)."""
    e = html.escape
    years = sorted(lines["school_year"].unique()) if len(lines) else []
    body = []
    for name in names:
        for (series, kind), g in lines[lines["metric"] == name].groupby(["series", "group_kind"], sort=False):
            by_year = g.set_index("school_year")
            group = "own" if series == "you" else kind
            cells = "".join(
                tagged(by_year.at[y, "text"], name, group, by_year.at[y, "stat"], year=y)
                if y in by_year.index else "<td class='num'>–</td>" for y in years)
            body.append(f"<tr><th scope='row'>{e(METRIC_BY_NAME[name].label)}</th>"
                        f"<td>{e(g['label'].iloc[0])}</td>{cells}</tr>")
    head = "".join(f"<th scope='col' class='num'>{e(y)}</th>" for y in years)
    return ("<details class='trend-table'><summary>The figures over the years, as a table</summary>"
            "<table class='scorecard-table'><thead><tr><th scope='col'>Measure</th><th scope='col'>Whose</th>"
            f"{head}</tr></thead><tbody>{''.join(body)}</tbody></table></details>")


def _trend_alt(lines: pd.DataFrame, name: str) -> str:
    rows = lines[lines["metric"] == name]
    parts = []
    for _, g in rows.groupby(["series", "group_kind"], sort=False):
        g = g.sort_values("school_year")
        parts.append(f"{g['label'].iloc[0].lower()} " + ", ".join(
            f"{t} ({y})" for t, y in zip(g["text"], g["school_year"])))
    return ("Over the years: " + "; ".join(parts) + ".") if parts else ""


def area_section_html(report: DistrictReport, area: str) -> str:
    """One section (devices, network or support): the takeaway sentences, a chart of where the district
    stands now beside how it moved over the years, and those figures as a table."""
    names = [m.name for m in METRICS if m.area == area]
    card = scorecard(report).set_index("metric").loc[names]
    kinds = report.group_kinds
    lines = trend_lines(report)
    lines = lines[lines["metric"].isin(names)] if len(lines) else lines
    several_years = len(lines) and lines["school_year"].nunique() > 1
    fig = peer_band_figure(displayable(report.stats), names, kinds, lines if several_years else None)
    alt = (f"{AREA_TITLES[area]} chart: for each metric, the middle half and median of each peer group, "
           "with your district's value marked" + (", and beside it the figures over the years. " if several_years
                                                   else ". ")
           + " ".join(
               f"{card.at[n, 'label']}: you {card.at[n, 'value_text']}; "
               + "; ".join(f"{_group_label(k).lower()} median {card.at[n, f'{k}_text']}" for k in kinds)
               + ". " + (_trend_alt(lines, n) if several_years else "") for n in names))
    items = "".join(f"<li><strong>{html.escape(card.at[n, 'label'])}:</strong> "
                    f"{html.escape(card.at[n, 'sentence'])}"
                    + (f" <span class='detail'>{html.escape(card.at[n, 'detail'])}</span>"
                       if card.at[n, "detail"] else "") + "</li>" for n in names)
    title = f"{AREA_TITLES[area]}: {takeaway(card.reset_index())}"
    extra = purchasing_html(report) if area == "devices" else ""
    table = trend_table_html(lines, names) if several_years else ""
    return (f"<section class='area area-{area}'><h2>{html.escape(title)}</h2>"
            f"<ul>{items}</ul>{extra}{figure_html(fig, alt.strip(), caption=_caption(area, several_years))}"
            f"{table}</section>")


def _caption(area: str, trends: bool = False) -> str:
    over = (" Over the years: your figure (diamonds, solid line), your peers' median (circles, dashed) and the "
            "state's (squares, dotted) in each school year you submitted." if trends else "")
    return (f"{AREA_TITLES[area]}, this year. Bars: the middle half of other districts (25th to 75th percentile) "
            "with their median; a tick alone: the median of a small group; hatched: a range shown instead of a "
            "figure; diamonds and line: your district; dashed green lines: goals. Groups with too few other "
            f"districts are not drawn.{over}")


def footer_html(report: DistrictReport) -> str:
    from benchmarks._version import __version__
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
    from benchmarks.render.notebook import latest_year, render_one

    year = school_year or latest_year(paths)
    pseudonym, name = find_district(paths.crosswalk, district)
    resolve_custom_peers(paths.crosswalk, custom_peers)  # fail here, with the names, not inside the notebook
    stem = f"district_{pseudonym}" + ("_custom" if custom_peers else "")
    return render_one("district", paths, paths.reports / year, stem,
                      {"warehouse": str(paths.warehouse), "school_year": year, "district": pseudonym,
                       "custom_peers": list(custom_peers), "min_peers": check_min_peers(min_peers)},
                      f"{name} — technology benchmarks {year}")


__all__ = ["find_district", "render_district", "DistrictReport", "load_district_report", "iter_district_reports",
           "scorecard", "scorecard_html", "comparison_html", "methods_html", "area_section_html", "trend_lines",
           "peer_groups", "peer_groups_html", "purchasing_html", "standing_sentence", "header_html", "footer_html",
           "AREAS", "STORED_GROUPS"]
