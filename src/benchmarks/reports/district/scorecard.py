"""The district report's scorecard: every metric against its peer groups, the summary table and the comparison."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from benchmarks.formats import amount_text, figure_text, range_parts, share_points
from benchmarks.privacy.disclosure import BAND, CENTRE, GroupFigures, group_figures
from benchmarks.registry.groups import ALL_DISTRICTS, PEER_GROUPS, SCORECARD_GROUPS, first_shown
from benchmarks.registry.metrics import METRIC_BY_NAME, METRICS, Metric
from benchmarks.registry.sources import PUBLIC_SOURCE
from benchmarks.registry.years import previous_year
from benchmarks.reports.definitions import metric_link
from benchmarks.reports.district.data import DistrictReport, peer_groups, reference_row, rows_by_metric
from benchmarks.reports.html import tagged
from benchmarks.reports.wording import VERDICTS, standing_of, takeaway
from benchmarks.stats.goals import goal_gap, meets_goal

#: The whole data's column of the At a glance table (with more than one state imported), beside the peer groups.
NATION = ALL_DISTRICTS.name


def scorecard(report: DistrictReport) -> pd.DataFrame:
    """One row per metric: the district's value, each group's median (or why not shown) and a sentence.
    Every group figure is what benchmarks.privacy.disclosure allows: a smoothed median, a band, or nothing."""
    if report._card is not None:
        return report._card.copy()
    by_metric = rows_by_metric(report.stats)
    out = []
    for m in METRICS:
        rows = by_metric.get(m.name, {})
        ref = reference_row(rows, report.fallback_order)
        value = next(iter(rows.values()))["value"] if rows else np.nan
        rec = {"metric": m.name, "label": m.label, "area": m.area, "value": value,
               "value_text": figure_text(m, value)}
        for kind in report.group_kinds:
            g = rows.get(kind, {})
            _group_columns(rec, kind, group_figures(g, report.rules, m.name), m, value)
        if has_nation(report):
            _group_columns(rec, NATION, _nation(report, m), m, value, ALL_DISTRICTS.phrase)
        rec["goal_text"] = goal_text(m, value)
        rec["reported"] = bool(np.isfinite(value))
        # a measure neither the district nor enough of any group reported has nothing to show
        rec["shown"] = rec["reported"] or ref is not None
        rec["reference"] = None if ref is None else ref["group_kind"]
        rec["fell_back"] = ref is not None and ref["group_kind"] != report.fallback_order[0]
        # where the district stands: from the reference group's shown figures and its own value only
        ref_fig = group_figures(ref or {}, report.rules, m.name)
        rec["verdict"], rec["standing"], rec["sentence"] = standing_of(
            m, ref_fig, None if ref is None else ref["group_kind"], value)
        rec["detail"] = detail_sentence(report, m, ref)
        out.append(rec)
    report._card = pd.DataFrame(out)
    return report._card.copy()


def _group_columns(rec: dict, kind: str, fig: GroupFigures, m: Metric, value: float, phrase: str = "") -> None:
    """One group's columns of a scorecard row: its shown figures and where the value stands among them."""
    rec[f"{kind}_median"] = fig.median  # the shown (smoothed) centre; NaN when not shown as a figure
    rec[f"{kind}_text"] = fig.centre_text
    rec[f"{kind}_stat"] = fig.stat
    rec[f"{kind}_n"] = fig.n
    rec[f"{kind}_p25"], rec[f"{kind}_p75"] = fig.p25, fig.p75  # NaN unless quartiles may be shown
    rec[f"{kind}_verdict"], rec[f"{kind}_standing"], _ = standing_of(m, fig, kind, value, phrase)
    # a small group shows only its median (or a band): the verdict is a side of it, and says how rough it is
    rec[f"{kind}_rough"] = fig.status in (CENTRE, BAND)


def whole_data_figure(text: str, metric: str, stat: str, school_year: str, **goal: str) -> str:
    """A figure of all districts in the data, tagged as the board tags it (the whole group, no state named), so
    the audit checks it against every district of the year."""
    return tagged(text, metric, "state", stat, tag="span", css="", members="all", year=school_year, state="", **goal)


def has_nation(report: DistrictReport) -> bool:
    """Whether the data holds more than one state, so the page shows all its districts beside the peers."""
    return report.nation_stats is not None and not report.nation_stats.empty


def _nation(report: DistrictReport, m: Metric) -> GroupFigures:
    """All districts in the data for a metric, as the board shows them (whole-group figures, gated alike)."""
    stats = report.nation_stats
    row = stats[stats["metric"] == m.name]
    return group_figures(row.iloc[0].to_dict() if len(row) else {}, report.rules, m.name)


def goal_text(m: Metric, value: float, amounts: bool = True) -> str:
    """Every goal of a metric against a value, e.g. "FCC 100 kbps: 46 kbps short; FCC 1 Mbps: 946 kbps short"
    ("" without a goal or a value); amounts=False: "met" or "not met" only."""
    if not m.goals or not np.isfinite(value):
        return ""
    parts = []
    for goal in m.goals:
        name = f"FCC {goal.label}" if goal.source.startswith("FCC") else goal.label
        meets = bool(meets_goal(m, goal, [value])[0])
        parts.append(f"{name}: " + (goal_reach(m, meets, goal_gap(m, goal, [value])[0]) if amounts else
                                    "met" if meets else "not met"))
    return "; ".join(parts)


def goal_reach(m: Metric, meets: bool, gap: float) -> str:
    """A goal met, or how far short of it: "met", "46 kbps short"."""
    return "met" if meets else f"{amount_text(m, gap)} short"


def detail_sentence(report: DistrictReport, m: Metric, ref) -> str:
    """Change since last year, the reference peers' median trend and each goal, in plain words."""
    parts = []
    rows = report.stats[report.stats["metric"] == m.name]
    last = previous_year(report.school_year)
    if len(rows) and np.isfinite(rows["change"].iloc[0]):
        d = rows["change"].iloc[0]
        parts.append("No change since " + last if d == 0 else
                     f"{'Up' if d > 0 else 'Down'} {amount_text(m, d)} since {last}")
    if ref is not None and ref["group_kind"] != "custom" and np.isfinite(ref.get("trend_slope", np.nan)):
        slope = ref["trend_slope"]
        move = "flat" if abs(slope) < 10 ** -(m.decimals + (2 if m.unit == "%" else 0)) else (
            f"{'rising' if slope > 0 else 'falling'} {amount_text(m, slope)} a year")
        parts.append(f"the median of {PEER_GROUPS[ref['group_kind']].phrase} is {move}")
    g = report.goals
    if len(g):
        rows = g[g["metric"] == m.name]
        for goal, by_goal in rows.groupby("goal", sort=False):
            r = by_goal.iloc[0]
            if not np.isfinite(r["gap"]):
                continue
            where = goal_reach(m, bool(r["meets"]), r["gap"])
            # the share of the first group, along the report's order, that may show one (see goals.py)
            shares = dict(zip(by_goal["group_kind"], by_goal["share_meeting"].to_numpy(dtype="float64")))
            kind = first_shown({k: np.isfinite(v) for k, v in shares.items()})
            share = ("" if kind is None else
                     f"; {share_points(shares[kind]):.0f}% of {PEER_GROUPS[kind].phrase} meet it")
            parts.append(f"goal {r['goal_label']}: {where}{share}")
    if not parts:
        return ""
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def _verdict_badge(key: str) -> str:
    symbol, words = VERDICTS[key]
    return f"<span class='verdict v-{key}'><span aria-hidden='true'>{symbol}</span> {words}</span>"


def _rough_in_head(card: pd.DataFrame, kind: str) -> int:
    """The one size of a column's groups when every verdict in it is rough (a small group's, shown as a
    median or band only), so its head can say it once; 0 otherwise."""
    rows = card[card["shown"] & ~card[f"{kind}_verdict"].isin(["missing", "unreported"])]
    sizes = {int(n) for n in rows[f"{kind}_n"]}
    return sizes.pop() if len(rows) and rows[f"{kind}_rough"].astype(bool).all() and len(sizes) == 1 else 0


def _standing_cell(report: DistrictReport, r, kind: str, rough_in_head: bool) -> str:
    """One group's cell of the At a glance table: its shown median, where the district stands among its
    districts (verdict badge), and for a small group how rough that is (unless the column's head says it
    for every row). The reference group's is marked."""
    css = "num glance" + (" ref" if kind == r["reference"] else "")
    if r[f"{kind}_stat"] == "none":
        return f"<td class='{css}'>–</td>"
    if kind == NATION:
        median = whole_data_figure(r[f"{kind}_text"], r["metric"], r[f"{kind}_stat"], report.school_year)
    else:
        median = tagged(r[f"{kind}_text"], r["metric"], kind, r[f"{kind}_stat"], tag="span", css="")
    verdict = r[f"{kind}_verdict"]
    badge = "" if verdict in ("missing", "unreported") else _verdict_badge(verdict)
    rough = ""
    if r[f"{kind}_rough"] and badge and not rough_in_head:
        count = tagged(str(int(r[f"{kind}_n"])), r["metric"], kind, "count", tag="span", css="")
        rough = f"<span class='rough'>rough: {count} others</span>"
    return f"<td class='{css}'>{median}{badge}{rough}</td>"


def scorecard_html(report: DistrictReport) -> str:
    """The one-screen summary: every metric, your value, and for each of your county, size band and state
    (and all districts, with several states) its median and where you stand among its districts, a verdict
    in a symbol and a few words; then each goal, met or how far short. The group the page's headings judge
    against (the first with a figure) is underlined. Every peer group's figures are in comparison_html."""
    card = scorecard(report)
    e = html.escape
    kinds = [k for k in SCORECARD_GROUPS if k in report.group_kinds] + ([NATION] if has_nation(report) else [])
    first = report.fallback_order[0]
    # a column whose small-group cells all have the same size says "rough: N others" once, in its head
    in_head = {k: _rough_in_head(card, k) for k in kinds}
    body = []
    for _, r in card[card["shown"]].iterrows():
        cells = "".join(_standing_cell(report, r, k, bool(in_head[k])) for k in kinds)
        goal = (tagged(r["goal_text"], r["metric"], "own", "goal", css="goal") if r["goal_text"]
                else "<td class='goal'>–</td>")
        body.append(f"<tr><th scope='row'>{metric_link(r['metric'], e(r['label']))}</th>"
                    f"{tagged(r['value_text'], r['metric'], 'own', 'value', css='num own')}{cells}{goal}</tr>")
    groups = peer_groups(report).set_index("group_kind")
    n = int(groups.at[first, "n_max"]) if first in groups.index else 0
    count = tagged(str(n), "", first, "count", tag="span", css="")
    group = e(PEER_GROUPS[first].label.lower())
    wider = f"or a wider group where fewer than {report.min_peers} reported"
    if first == "custom":
        whom = f"the {count} districts of your custom group (underlined, {wider})"
    elif report.rules.may_show(n):
        whom = f"the {count} other districts of your {group} (underlined, {wider})"
    else:
        whom = (f"the underlined group: a wider one, as fewer than {report.min_peers} other districts of your "
                f"{group} reported ({count})")
    def column_head(k: str) -> str:
        note = ""
        if in_head[k]:
            n = tagged(str(in_head[k]), "", k, "count", tag="span", css="")
            note = f"<span class='note'>rough: {n} others</span>"
        return f"<th scope='col' class='num'>{e(_column_label(k))}{note}</th>"

    head = "".join(column_head(k) for k in kinds)
    return (
        f"<section class='scorecard'><h2>At a glance: {e(takeaway(card))}</h2>"
        "<p class='lede'>Each group's median and where you stand among its other districts: better or behind "
        "most outside their middle half (25th to 75th percentile), typical inside it, about the median within "
        f"{report.rules.tolerance:.0%} of it. Groups of fewer than {report.rules.quartile_min_peers} others "
        f"show only a median, so their verdict is a side of it: a rough comparison. The headings below judge "
        f"against {whom}.</p>"
        "<div class='table-scroll'><table class='summary-table'><thead><tr><th scope='col'>Measure</th>"
        f"<th scope='col' class='num'>You</th>{head}<th scope='col'>Goal</th></tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
        f"{unshown_html(card)}{network_source_html(report)}</section>")


def _column_label(kind: str) -> str:
    return ALL_DISTRICTS.label if kind == NATION else PEER_GROUPS[kind].label


def unshown_html(card: pd.DataFrame, area: str = "") -> str:
    """One line naming the measures (of one area, or all) that neither the district nor enough of any peer
    group reported, in place of their empty rows and charts."""
    rows = card[~card["shown"] & ((card["area"] == area) if area else True)]
    if rows.empty:
        return ""
    names = ", ".join(label[0].lower() + label[1:] for label in rows["label"])
    return (f"<p class='unshown'>Not reported this year, by your district or by enough of its peers to show: "
            f"{html.escape(names)}.</p>")


def network_source_html(report: DistrictReport) -> str:
    """Where the network figures came from, the district's and its peers', when public data is among them."""
    if report.network_source == "public":
        yours = ("Your internet bandwidth and cost per Mbps are public data: "
                 + PUBLIC_SOURCE.format(funding_year=int(report.network_funding_year))
                 + ", as the publisher cleaned them; send your own figures to replace them.")
    elif report.public_in_year:
        yours = "Your internet bandwidth and cost per Mbps are the figures your district submitted."
    else:
        return ""
    return (f"<p class='source'>{html.escape(yours)} Peers' network figures are their own submissions, or public "
            "data where a district did not submit one; rows the publisher flagged as unreliable are left out.</p>")


def _group_cell(r, kind: str) -> str:
    """A group's median with its middle half beneath it (when quartiles may be shown), each figure tagged."""
    median = tagged(r[f"{kind}_text"], r["metric"], kind, r[f"{kind}_stat"], tag="span", css="")
    m = METRIC_BY_NAME[r["metric"]]
    if not np.isfinite(r[f"{kind}_p25"]):
        return f"<td class='num'>{median}</td>"
    ends = range_parts(m, r[f"{kind}_p25"], r[f"{kind}_p75"])
    low, high = (tagged(text, r["metric"], kind, stat, tag="span", css="") for text, stat in zip(ends, ("p25", "p75")))
    return f"<td class='num'>{median}<span class='middle'>{low}–{high}</span></td>"


def comparison_html(report: DistrictReport) -> str:
    """Every metric against every peer group on the report: the medians (or why not shown)."""
    card = scorecard(report)
    e = html.escape
    kinds = report.group_kinds
    head = "".join(f"<th scope='col' class='num'>{e(PEER_GROUPS[k].label)}</th>" for k in kinds)
    first = report.fallback_order[0]
    body = []
    for _, r in card[card["shown"]].iterrows():
        cells = "".join(_group_cell(r, k) for k in kinds)
        note = ""
        if r["fell_back"]:
            note = (f"<span class='note'>{e(PEER_GROUPS[first].label)}: fewer than {report.min_peers} others; "
                    f"compared with {e(PEER_GROUPS[r['reference']].label.lower())}</span>")
        body.append(f"<tr><th scope='row'>{e(r['label'])}{note}</th>"
                    f"{tagged(r['value_text'], r['metric'], 'own', 'value', css='num own')}{cells}</tr>")
    return ("<section class='comparison'><h2>Your figures against every peer group</h2>"
            "<p>Medians of the <em>other</em> districts of each group and, beneath, their middle half (25th to "
            f"75th percentile) where at least {report.rules.quartile_min_peers} reported. A range such as 1.0–1.1 "
            "stands in where the districts of a small group are too alike for a figure to be safe.</p>"
            "<div class='table-scroll'><table class='scorecard-table'><thead><tr><th scope='col'>Measure</th>"
            f"<th scope='col' class='num'>You</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
            "</section>")
