"""The district report's page sections: header, one section per area, peer groups, methods and footer."""

from __future__ import annotations

import html

import numpy as np

from benchmarks.formats import figure_text, share_text
from benchmarks.privacy.disclosure import QUARTILES, displayable, gate_group_goals, group_figures
from benchmarks.registry.groups import PEER_GROUPS
from benchmarks.registry.metrics import AREA_TITLES, AREAS, METRIC_BY_NAME, area_metrics
from benchmarks.reports.district.data import DistrictReport, peer_groups
from benchmarks.reports.district.scorecard import scorecard, unshown_html, whole_data_figure
from benchmarks.reports.district.trends import (BAND_MARK_TEXT, series_of, trend_alt, trend_lines, trend_note,
                                               trend_table_html)
from benchmarks.reports.html import footer_html as provenance_footer
from benchmarks.reports.html import tagged
from benchmarks.reports.plots import figure_html, peer_band_figure
from benchmarks.reports.wording import takeaway


def header_html(report: DistrictReport) -> str:
    e = html.escape
    return (f'<header class="report-header"><p class="kicker">District technology benchmarks · '
            f'{e(report.school_year)}</p><h1>{e(report.name)}</h1>'
            f'<p class="meta">{e(report.county)}, {e(report.state)} · {e(report.locale)} · '
            + tagged(f"{report.enrollment:,}", "enrollment", "own", "value", tag="span", css="")
            + f' students ({e(report.size_band)})</p></header>')


def purchasing_html(report: DistrictReport) -> str:
    """Device price against the report's first comparison group and the state, and the replacements' cost at
    that group's median price: the county's (or the next stored group's, when the county shows no median), or
    on a custom report the custom group's, the same shown median as the scorecard's."""
    b = report.purchasing
    e = html.escape
    if not b or not np.isfinite(b.get("price", np.nan)):
        return ("<div class='purchasing'><h3>Purchasing</h3><p>No replacement devices with a price were "
                "reported this year, so there is nothing to compare.</p></div>")
    price = METRIC_BY_NAME["device_price_usd"]

    def money(x):
        return figure_text(price, x)

    # The medians are the disclosure-controlled ones (purchasing is computed from peer_stats' shown medians).
    groups = (("custom group", "custom"),) if report.custom_named else ()
    medians = "; ".join(
        f"{label} median " + tagged(money(b[f"{kind}_median"]), price.name, kind, "median", tag="span", css="")
        if np.isfinite(b.get(f"{kind}_median", np.nan))
        else f"{label}: no median to show (too few others, or too alike)"
        for label, kind in (*groups, ("county", "county"), ("state", "state")))
    text = (f"<p>You paid {e(money(b['price']))} per device on average for {int(b['devices_replaced']):,} "
            f"replacement devices ({medians}).</p>")
    if b.get("reference_kind") and np.isfinite(b.get("reference_median", np.nan)):
        kind = b["reference_kind"]
        instead = "your custom group shows no median price" if report.custom_named else ""
        if kind == "custom":
            where = f"the median price of {PEER_GROUPS['custom'].phrase}"
        elif kind == "county":
            where = "the county median price" + (f" ({instead})" if instead else "")
        else:
            why = (f"your county shows no median price: fewer than {report.min_peers} others with a price, or "
                   "their prices too alike")
            where = f"the median price of {PEER_GROUPS[kind].phrase} ({f'{instead}; ' if instead else ''}{why})"
        diff = b["difference"]
        verdict = ("the same" if abs(diff) < 0.5 else
                   f"{money(abs(diff))} {'more' if diff > 0 else 'less'} than at that price")
        text += (f"<p data-purchasing='{e(kind)}'>At {e(where)}, those devices would have cost "
                 f"{e(money(b['spend_at_reference']))}; you spent {e(money(b['device_spend_usd']))}: "
                 f"{e(verdict)}. Joint purchase agreements aim at closing this gap.</p>")
    return f"<div class='purchasing'><h3>Purchasing</h3>{text}</div>"


def area_section_html(report: DistrictReport, area: str) -> str:
    """One section (an area of the registry): the takeaway sentences, a chart of where the district stands
    now beside how it moved over the years, and those figures as a table. Measures with nothing to show
    (neither the district nor enough of any group reported them) are named in one line instead."""
    card = scorecard(report).set_index("metric")
    names = [m.name for m in area_metrics(area) if card.at[m.name, "shown"]]
    unshown = unshown_html(card.reset_index(), area)
    if not names:
        return (f"<section class='area area-{area}'><h2>{html.escape(AREA_TITLES[area])}: not reported</h2>"
                f"{unshown}</section>")
    card = card.loc[names]
    kinds = report.group_kinds
    lines = trend_lines(report)
    lines = lines[lines["metric"].isin(names)] if len(lines) else lines
    several_years = bool(len(lines)) and lines["school_year"].nunique() > 1
    bands = several_years and bool((lines["stat"] == "band").any())
    note = trend_note(report, lines) if several_years else ""
    series = series_of(lines) if several_years else {}
    fig = peer_band_figure(displayable(report.stats), names, kinds, lines if several_years else None)
    alt = (f"{AREA_TITLES[area]} chart: for each metric, the middle half and median of each peer group, "
           "with your district's value marked" + (", and beside it the figures over the years. " if several_years
                                                   else ". ")
           + (f"{note} " if note else "")
           + (f"On the figures over the years, {BAND_MARK_TEXT}. " if bands else "")
           + " ".join(
               f"{card.at[n, 'label']}: you {card.at[n, 'value_text']}; "
               + "; ".join(f"{PEER_GROUPS[k].label.lower()} median {card.at[n, f'{k}_text']}" for k in kinds)
               + ". " + (trend_alt(series.get(n, [])) if several_years else "") for n in names))
    items = "".join(f"<li><strong>{html.escape(card.at[n, 'label'])}:</strong> "
                    f"{html.escape(card.at[n, 'sentence'])}"
                    + (f" <span class='detail'>{html.escape(card.at[n, 'detail'])}</span>"
                       if card.at[n, "detail"] else "") + "</li>" for n in names)
    title = f"{AREA_TITLES[area]}: {takeaway(card.reset_index())}"
    extra = purchasing_html(report) if area == "devices" and "device_price_usd" in names else ""
    table = trend_table_html(lines, names) if several_years else ""
    return (f"<section class='area area-{area}'><h2>{html.escape(title)}</h2>"
            f"<ul>{items}</ul>{nation_html(report, names)}{unshown}"
            # purchasing after the area's chart and figures, so its heading does not seem to own them
            f"{figure_html(fig, alt.strip(), caption=_caption(area, several_years, bands, note))}{table}{extra}"
            "</section>")


def nation_html(report: DistrictReport, names: list[str]) -> str:
    """All districts in the data beside the peer groups (with more than one state imported): each metric's
    median, middle half and goal shares as the board shows them (whole-group figures, gated alike)."""
    if report.nation_stats is None or report.nation_stats.empty:
        return ""
    stats = report.nation_stats.set_index("metric")
    goals = gate_group_goals(report.nation_goals, report.rules) if report.nation_goals is not None else None
    parts = []
    for n in names:
        if n not in stats.index:
            continue
        fig = group_figures(stats.loc[n].to_dict(), report.rules, n)
        if not fig.published:
            continue

        def tag(text: str, stat: str, **goal: str) -> str:
            return whole_data_figure(text, n, stat, report.school_year, **goal)

        label = METRIC_BY_NAME[n].label
        text = f"{html.escape(label[0].lower() + label[1:])}: median {tag(fig.centre_text, fig.stat)}"
        if fig.status == QUARTILES:
            text += f" (middle half {tag(fig.text('p25'), 'p25')} to {tag(fig.text('p75'), 'p75')})"
        for g in [] if goals is None else goals[goals["metric"] == n].itertuples():
            if np.isfinite(g.share_meeting):
                text += (f"; {tag(share_text(g.share_meeting), 'share', goal=f'{g.goal:g}')} meet "
                         f"{html.escape(g.goal_label)}")
        parts.append(text)
    if not parts:
        return ""
    return "<p class='nation'>Every district in the data, all states imported: " + "; ".join(parts) + ".</p>"


def areas_html(report: DistrictReport) -> str:
    """Every area of the registry, in page order, one section each."""
    return "".join(area_section_html(report, area) for area in AREAS)


def _caption(area: str, trends: bool = False, bands: bool = False, note: str = "") -> str:
    over = (" Over the years: your figure (diamonds, solid line), your peers' median (circles, dashed) and the "
            "state's (squares, dotted) in each school year you submitted" if trends else "")
    if over and bands:
        over += f"; {BAND_MARK_TEXT}"
    if over:
        over += "." + (f" {note}" if note else "")
    return (f"{AREA_TITLES[area]}, this year. Bars: the middle half of other districts (25th to 75th percentile) "
            "with their median; a tick alone: the median of a small group; hatched: a range shown instead of a "
            "figure; diamonds and line: your district; dashed green lines: goals. Groups with too few other "
            f"districts are not drawn.{over}")


def peer_groups_html(report: DistrictReport) -> str:
    """Which peers this report compares with, how they were chosen, and n."""
    e = html.escape
    rows = []
    for _, g in peer_groups(report).iterrows():
        # a range over the measures is not the group's count: tagged apart, so no audit takes it for one
        one = g["n_min"] == g["n_max"]
        n = f"{g['n_max']}" if one else f"{g['n_min']}\u2013{g['n_max']}"
        rows.append(f"<tr><th scope='row'>{e(g['label'])}</th><td>{e(g['how'])}</td>"
                    + tagged(n, "", g["group_kind"], "count" if one else "count_range") + "</tr>")
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


def methods_html(report: DistrictReport) -> str:
    """How to read the report: who counts as a peer, what is withheld and when a difference is called."""
    order = " to ".join(PEER_GROUPS[k].label.lower() for k in report.fallback_order)
    return (
        "<section class='methods'><h2>How to read this report</h2><ul>"
        "<li>Each median is over the <em>other</em> districts of a group: you are never part of your own "
        "peer group.</li>"
        f"<li>A group's figures are shown only when at least {report.min_peers} other districts reported them; "
        f"otherwise the comparison falls back from {order}, and says so.</li>"
        "<li>“Better than most” and “behind most” are said only when your value lies outside the "
        "peers' middle half (their 25th to 75th percentile, as shown); inside it, it is typical, and within "
        f"{report.rules.tolerance:.0%} of their median, about the median. Groups of fewer than "
        f"{report.rules.quartile_min_peers} others show only a median (or a band around it), so the verdict "
        "says only which side of it you are, marked rough with how many others there are. “Above” and "
        "“below” are used for measures with no better direction, such as the refresh cycle.</li>"
        "<li>Every verdict and sentence is worked out from the figures this page shows and your own "
        "figures, never from other districts' exact values, so that nothing about a neighbour can be learnt "
        "beyond what is printed.</li>"
        "<li>Medians are smoothed (blended with the figures half a rank either side), so that no figure is "
        f"any one district's own, and kept within {report.rules.tolerance:.0%} of the plain median of the "
        "others; where smoothing would move it further, a range that holds the plain median is shown "
        "instead. Quartile bands are drawn only for groups of at least "
        f"{report.rules.quartile_min_peers} others.</li>"
        "<li>“Over the years” shows your own figures and your peers' medians for each school year you "
        "submitted; a year's median is over the other districts of your group that year. “Rising” or "
        "“falling” a year is the slope of a straight line fitted through the group's yearly medians on "
        "record.</li></ul></section>")


def footer_html(report: DistrictReport) -> str:
    """The provenance footer (benchmarks.reports.html.footer_html) with this report's parameters."""
    return provenance_footer(report.snapshot, report.parameters, report.demo)
