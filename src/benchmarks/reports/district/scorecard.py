"""The district report's scorecard: every metric against its peer groups, the summary table and the comparison."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from benchmarks.formats import amount_text, figure_text, range_parts, share_points
from benchmarks.privacy.disclosure import group_figures
from benchmarks.registry.groups import PEER_GROUPS, SCORECARD_GROUPS, first_shown
from benchmarks.registry.metrics import METRIC_BY_NAME, METRICS, Metric
from benchmarks.registry.sources import PUBLIC_SOURCE
from benchmarks.registry.years import previous_year
from benchmarks.reports.district.data import DistrictReport, peer_groups, reference_row, rows_by_metric
from benchmarks.reports.html import tagged
from benchmarks.reports.wording import VERDICTS, standing_of, takeaway


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
            fig = group_figures(g, report.rules, m.name)
            rec[f"{kind}_median"] = fig.median  # the shown (smoothed) centre; NaN when not shown as a figure
            rec[f"{kind}_text"] = fig.centre_text
            rec[f"{kind}_stat"] = fig.stat
            rec[f"{kind}_n"] = int(g.get("n", 0))
            rec[f"{kind}_p25"], rec[f"{kind}_p75"] = fig.p25, fig.p75  # NaN unless quartiles may be shown
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
        parts.append(f"the median of {PEER_GROUPS[ref['group_kind']].phrase} is {move} "
                     f"(straight line through {int(ref['trend_years'])} yearly medians)")
    g = report.goals
    if len(g):
        rows = g[g["metric"] == m.name]
        for goal, by_goal in rows.groupby("goal", sort=False):
            r = by_goal.iloc[0]
            if not np.isfinite(r["gap"]):
                continue
            where = "met" if r["meets"] else f"{amount_text(m, r['gap'])} short"
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


def scorecard_html(report: DistrictReport) -> str:
    """The one-screen summary: every metric, your value, the medians of your county, size band and state,
    and a verdict in a symbol and a few words against the first of them with a figure (its cell is marked).
    Every peer group's median, locale included, is in comparison_html further down."""
    card = scorecard(report)
    e = html.escape
    kinds = [k for k in SCORECARD_GROUPS if k in report.group_kinds]
    first = report.fallback_order[0]
    body = []
    for _, r in card[card["shown"]].iterrows():
        cells = "".join(
            tagged(r[f"{k}_text"] if r[f"{k}_stat"] != "none" else "\u2013", r["metric"], k, r[f"{k}_stat"],
                   css="num ref" if k == r["reference"] else "num") for k in kinds)
        ref = r["reference"] if isinstance(r["reference"], str) else None  # a frame stores None as NaN
        against = "" if ref in (None, first) else f" \u00b7 vs {PEER_GROUPS[ref].label.lower()}"
        body.append(f"<tr><th scope='row'>{e(r['label'])}</th>"
                    f"{tagged(r['value_text'], r['metric'], 'own', 'value', css='num own')}{cells}"
                    f"<td class='standing'>{_verdict_badge(r['verdict'])}"
                    f"<span class='rank'>{e(r['standing'] + against)}</span></td></tr>")
    groups = peer_groups(report).set_index("group_kind")
    n = int(groups.at[first, "n_max"]) if first in groups.index else 0
    count = tagged(str(n), "", first, "count", tag="span", css="")
    group = e(PEER_GROUPS[first].label.lower())
    wider = f"a wider group's where fewer than {report.min_peers} reported that figure"
    if first == "custom":
        whom = f"the median of the {count} districts of your custom group (underlined; {wider})"
    elif report.rules.may_show(n):
        whom = f"the median of the {count} other districts of your {group} (underlined; {wider})"
    else:
        whom = (f"the underlined median: a wider group's, as fewer than {report.min_peers} other districts of "
                f"your {group} reported ({count})")
    head = "".join(f"<th scope='col' class='num'>{e(PEER_GROUPS[k].label)}</th>" for k in kinds)
    return (
        f"<section class='scorecard'><h2>At a glance: {e(takeaway(card))}</h2>"
        f"<p class='lede'>Medians of the other districts of each group. The verdict is against {whom}: better or "
        "behind most when your figure lies outside their middle half (25th to 75th percentile), typical inside "
        f"it; where fewer than {report.rules.quartile_min_peers} others reported, only the median is shown, "
        "and the verdict says which side of it you are.</p>"
        "<table class='summary-table'><thead><tr><th scope='col'>Measure</th><th scope='col' class='num'>You</th>"
        f"{head}<th scope='col'>Where you stand</th></tr></thead><tbody>{''.join(body)}</tbody></table>"
        f"{unshown_html(card)}{network_source_html(report)}</section>")


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
            "<table class='scorecard-table'><thead><tr><th scope='col'>Measure</th><th scope='col' class='num'>You</th>"
            f"{head}</tr></thead><tbody>{''.join(body)}</tbody></table></section>")
