"""The district report's page sections: header, one section per area, peer groups, methods and footer."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from benchmarks.formats import figure_text, share_text
from benchmarks.privacy.disclosure import QUARTILES, displayable, gate_group_goals, group_figures
from benchmarks.registry.groups import FALLBACK_ORDER, PEER_GROUPS
from benchmarks.registry.metrics import AREA_TITLES, AREAS, METRIC_BY_NAME, METRICS, area_metrics
from benchmarks.reports.district.data import DistrictReport, peer_groups, reference_row, rows_by_metric
from benchmarks.reports.district.scorecard import scorecard, unshown_html, whole_data_figure
from benchmarks.reports.html import footer_html as provenance_footer
from benchmarks.reports.html import tagged
from benchmarks.reports.plots import figure_html, peer_band_figure
from benchmarks.reports.wording import takeaway

TREND_COLUMNS = ["metric", "school_year", "series", "group_kind", "label", "value", "low", "high", "text", "stat"]


def header_html(report: DistrictReport) -> str:
    e = html.escape
    return (f'<header class="report-header"><p class="kicker">District technology benchmarks · '
            f'{e(report.school_year)}</p><h1>{e(report.name)}</h1>'
            f'<p class="meta">{e(report.county)}, {e(report.state)} · {e(report.locale)} · '
            + tagged(f"{report.enrollment:,}", "enrollment", "own", "value", tag="span", css="")
            + f' students ({e(report.size_band)})</p></header>')


def trend_groups(rows: dict[str, dict]) -> list[tuple[str, str]]:
    """The (series, group kind) pairs a metric's trend draws besides the district's own line, from its rows this
    year (of rows_by_metric): its reference group, the first *stored* group along the fallback order with
    something to show this year (a custom group has only this year's figures, no history), and the state."""
    ref = reference_row(rows, FALLBACK_ORDER)
    kinds = [("state", "state")]
    if ref is not None and ref["group_kind"] != "state":
        kinds.insert(0, ("reference", ref["group_kind"]))
    return kinds


def trend_lines(report: DistrictReport) -> pd.DataFrame:
    """For each metric and school year on record: the district's own figure, the shown median of its
    reference group (trend_groups: the first of county, size band, state with a figure this year) and of the
    state. Rows: metric, school_year, series ("you", "reference", "state"), group_kind, label, value, low, high,
    text, stat. A year's median is that year's leave-one-out median, through the same disclosure gate as the
    scorecard: a group shown only as a band has low and high (the band's shown ends) and no value; a figure
    has a value and no low or high."""
    if report._trends is not None:
        return report._trends.copy()
    h = report.history
    if h.empty:
        return pd.DataFrame(columns=TREND_COLUMNS)
    by_year = {year: rows_by_metric(frame) for year, frame in h.groupby("school_year")}
    current = rows_by_metric(report.stats)
    out = []
    for m in METRICS:
        kinds = trend_groups(current.get(m.name, {}))
        for year, metrics in by_year.items():
            by_kind = metrics.get(m.name)
            if not by_kind:
                continue
            own = next(iter(by_kind.values()))["value"]
            if np.isfinite(own):
                out.append({"metric": m.name, "school_year": year, "series": "you", "group_kind": "own",
                            "label": "Your district", "value": own, "low": np.nan, "high": np.nan,
                            "text": figure_text(m, own), "stat": "value"})
            for series, kind in kinds:
                if kind not in by_kind:
                    continue
                fig = group_figures(by_kind[kind], report.rules, m.name)
                if fig.status == "none":
                    continue
                band = fig.stat == "band"
                out.append({"metric": m.name, "school_year": year, "series": series, "group_kind": kind,
                            "label": f"{PEER_GROUPS[kind].label} median", "value": fig.median,
                            "low": fig.low if band else np.nan, "high": fig.high if band else np.nan,
                            "text": fig.centre_text, "stat": fig.stat})
    report._trends = pd.DataFrame(out, columns=TREND_COLUMNS)
    return report._trends.copy()


def _series_of(lines: pd.DataFrame) -> dict[str, list[list[dict]]]:
    """Each metric's trend rows as plain dicts, one list per line (series and group, in the order first seen):
    read once, as pandas lookups per cell cost more than the rest of a section."""
    series: dict[tuple, list[dict]] = {}
    for r in lines.to_dict("records") if len(lines) else []:
        series.setdefault((r["metric"], r["series"], r["group_kind"]), []).append(r)
    out: dict[str, list[list[dict]]] = {}
    for (metric, _, _), rows in series.items():
        out.setdefault(metric, []).append(rows)
    return out


def trend_table_html(lines: pd.DataFrame, names: list[str]) -> str:
    """The trend panels' figures as a table (for screen readers, and for a reader who wants the numbers)."""
    e = html.escape
    years = sorted(lines["school_year"].unique()) if len(lines) else []
    body = []
    series = _series_of(lines)
    for name in names:
        for g in series.get(name, []):
            by_year = {r["school_year"]: r for r in g}
            group = "own" if g[0]["series"] == "you" else g[0]["group_kind"]
            cells = "".join(
                tagged(by_year[y]["text"], name, group, by_year[y]["stat"], year=y)
                if y in by_year else "<td class='num'>–</td>" for y in years)
            body.append(f"<tr><th scope='row'>{e(METRIC_BY_NAME[name].label)}</th>"
                        f"<td>{e(g[0]['label'])}</td>{cells}</tr>")
    head = "".join(f"<th scope='col' class='num'>{e(y)}</th>" for y in years)
    return ("<details class='trend-table'><summary>The figures over the years, as a table</summary>"
            "<table class='scorecard-table'><thead><tr><th scope='col'>Measure</th><th scope='col'>Whose</th>"
            f"{head}</tr></thead><tbody>{''.join(body)}</tbody></table></details>")


def _trend_alt(series: list[list[dict]]) -> str:
    """A metric's lines over the years in words (the chart's alt text); series: its lines (_series_of)."""
    parts = []
    for g in series:
        g = sorted(g, key=lambda r: r["school_year"])
        parts.append(f"{g[0]['label'].lower()} " + ", ".join(
            f"shown only as the range {r['text']} ({r['school_year']}, a vertical bar)" if r["stat"] == "band"
            else f"{r['text']} ({r['school_year']})" for r in g))
    return ("Over the years: " + "; ".join(parts) + ".") if parts else ""


#: What a trend panel's vertical bar means (the caption's and the alt text's words).
BAND_MARK_TEXT = ("a vertical bar on a median's line: a year whose median is shown only as a range (too few, or "
                  "too alike, other districts for a figure), the line passing through the range's middle")


def trend_note(report: DistrictReport, lines: pd.DataFrame) -> str:
    """Whose median the trend panels follow when the report compares with a custom group: that group has
    only this year's figures, so the trends follow the stored group the report would otherwise use. "" for a
    report without a custom group. A district on record in another county some year is told so first
    (county_moves)."""
    moved = county_moves(report)
    if not report.custom_named:
        return moved
    kinds = [k for k in FALLBACK_ORDER if k in set(lines.loc[lines["series"] == "reference", "group_kind"])]
    kinds = kinds or ["state"]
    whose = " or ".join(f"{PEER_GROUPS[k].phrase}" for k in kinds)
    return (f"{moved} " if moved else "") + (f"Trend: the median of {whose}"
            + (" (the first of them with figures for each measure)" if len(kinds) > 1 else "")
            + "; the custom group has no history, only this year's figures.")


def county_moves(report: DistrictReport) -> str:
    """The sentence for a district whose county changed over the school years on record (a resubmission that moved
    it): which county each year's county median is of, since each year compares with that year's own county.
    "" when the county stayed the same."""
    h = report.history
    if h.empty or "group_label" not in h.columns:
        return ""
    county = (h.loc[h["group_kind"] == "county", ["school_year", "group_label"]].drop_duplicates("school_year")
              .sort_values("school_year"))
    if county["group_label"].nunique() < 2:
        return ""
    runs: list[tuple[str, list[str]]] = []
    for year, label in zip(county["school_year"], county["group_label"]):
        if runs and runs[-1][0] == label:
            runs[-1][1].append(year)
        else:
            runs.append((label, [year]))
    said = "; ".join(f"{label} in {years[0]}" + (f" to {years[-1]}" if len(years) > 1 else "")
                     for label, years in runs)
    return (f"Your district is on record in more than one county ({said}): each year's county median is that "
            "year's own county's.")


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
    series = _series_of(lines) if several_years else {}
    fig = peer_band_figure(displayable(report.stats), names, kinds, lines if several_years else None)
    alt = (f"{AREA_TITLES[area]} chart: for each metric, the middle half and median of each peer group, "
           "with your district's value marked" + (", and beside it the figures over the years. " if several_years
                                                   else ". ")
           + (f"{note} " if note else "")
           + (f"On the figures over the years, {BAND_MARK_TEXT}. " if bands else "")
           + " ".join(
               f"{card.at[n, 'label']}: you {card.at[n, 'value_text']}; "
               + "; ".join(f"{PEER_GROUPS[k].label.lower()} median {card.at[n, f'{k}_text']}" for k in kinds)
               + ". " + (_trend_alt(series.get(n, [])) if several_years else "") for n in names))
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
