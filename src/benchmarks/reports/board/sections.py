"""The board summary's page sections: the state's picture, its changes and participation, no district identifiable."""

from __future__ import annotations

import html

import numpy as np

from benchmarks.formats import change_text, points_text, share_text
from benchmarks.privacy.disclosure import BAND, CENTRE, NONE, QUARTILES, total
from benchmarks.registry.metrics import METRIC_BY_NAME, METRICS, goals_sentence
from benchmarks.registry.sources import PUBLIC_SOURCE
from benchmarks.reports.board.data import (
    LITTLE_CHANGE,
    BoardSummary,
    goal_changes,
    goal_shares,
    judged_changes,
    participation_by_band,
    participation_by_county,
    participation_years,
    state_changes,
    state_figures,
    state_quartiles,
)
from benchmarks.reports.definitions import metric_link
from benchmarks.reports.html import footer_html as provenance_footer
from benchmarks.reports.html import tagged
from benchmarks.reports.plots import figure_html, state_trend_figure
from benchmarks.reports.wording import GOAL_READINGS, direction_text


def _whole_state(summary: BoardSummary, stat: str, metric: str, text: str, tag: str = "span", css: str = "",
                 colspan: int = 1, nation: bool = False) -> str:
    """A figure about all the state's districts, or (nation) all the year's districts of every state: the
    board's reader is in no group of its own."""
    return tagged(text, metric, "state", stat, tag=tag, css=css, colspan=colspan, members="all",
                  year=summary.school_year, state="" if nation else summary.state)


def _nation_words(summary: BoardSummary) -> str:
    return "All districts in the data"


def _reading(movement: str, verdict: str) -> str:
    """Two cells: what the move means in words (Reading) and which way the figure went (Direction)."""
    if not movement:
        return "<td>–</td><td>–</td>"
    words = "neither better nor worse" if verdict in ("up", "down") else verdict
    return f"<td class='verdict'>{html.escape(words)}</td><td class='direction'>{direction_text(movement)}</td>"


def _change_cell(summary: BoardSummary, text: str, metric: str, movement: str, **goal: str) -> str:
    """A change since last year: the difference of two shown figures of the whole state, declared as such."""
    if not movement:
        return "<td class='num'>–</td>"
    return tagged(text, metric, "state", "change", members="all", year=summary.school_year,
                  since=summary.previous_year, state=summary.state, **goal)


def _year_figure(summary: BoardSummary, row, metric: str, year: str) -> str:
    """A year's state median cell (or its band, or a dash), declared for that year."""
    fig = state_figures(row, summary, metric)
    return tagged("–" if fig.status == NONE else fig.centre_text, metric, "state", fig.stat, members="all",
                  year=year, state=summary.state)


def overview_html(summary: BoardSummary) -> str:
    year = summary.metrics[summary.metrics["school_year"] == summary.school_year]
    e = html.escape
    students = total(year["enrollment"], summary.rules)
    served = ("" if students is None else " serving "
              + _whole_state(summary, "total", "enrollment", f"{students:,.0f}") + " students")
    return (f"<header class='report-header'><p class='kicker'>District technology benchmarks · "
            f"{e(summary.school_year)}</p><h1>Board summary: {e(summary.state)}</h1>"
            "<p class='meta'>" + _whole_state(summary, "count", "districts", str(len(year))) + " districts in "
            + _whole_state(summary, "count", "counties", str(year["county"].nunique())) + " counties"
            + f"{served} reported figures for {e(summary.school_year)}. Every figure below describes groups of "
            f"at least {summary.min_peers} districts; no district can be identified. Percentiles are smoothed "
            f"(each averaged with its neighbouring ranks), so none is any one district's figure.{_sources(summary)}"
            + (f" Columns headed “{_nation_words(summary)}” compare with every district of the {summary.states} "
               "states in the data."
               if summary.nation_stats is not None else "") + "</p></header>")


def _sources(summary: BoardSummary) -> str:
    """Where the figures came from, when public data stands in for districts that did not submit."""
    year = summary.metrics[summary.metrics["school_year"] == summary.school_year]
    public = year.get("network_source")
    if public is None or not (public == "public").any():
        return ""
    funding = int(year.loc[public == "public", "network_funding_year"].dropna().iloc[0])
    return (" Figures are the districts' own submissions; where a district did not submit, its internet bandwidth "
            f"and cost per Mbps are {html.escape(PUBLIC_SOURCE.format(funding_year=funding))} (rows the publisher "
            "flagged as unreliable are left out).")


def state_table_html(summary: BoardSummary) -> str:
    q = state_quartiles(summary)
    q = q[q["school_year"] == summary.school_year].set_index("metric")
    nation = state_quartiles(summary, nation=True).set_index("metric") if summary.nation_stats is not None else None
    body = []
    for m in METRICS:
        r = q.loc[m.name]
        fig = state_figures(r, summary, m.name)
        if fig.status in (QUARTILES, CENTRE):
            cells = "".join(
                _whole_state(summary, stat, m.name, fig.text(stat), tag="td", css="num")
                if fig.status == QUARTILES or stat == "median"
                else _whole_state(summary, "none", m.name, "–", tag="td", css="num")
                for stat in ("p25", "median", "p75"))
        else:
            cells = _whole_state(summary, fig.stat, m.name, fig.centre_text, tag="td", css="num", colspan=3)
        if nation is not None:
            cells += _nation_median(summary, nation.loc[m.name], m.name)
        body.append(f"<tr><th scope='row'>{metric_link(m.name, html.escape(m.label))}</th>"
                    + _whole_state(summary, "count", m.name, str(int(r["n"])), tag="td", css="num")
                    + f"{cells}</tr>")
    beside = (f"<th scope='col' class='num'>{html.escape(_nation_words(summary))}: median</th>"
              if nation is not None else "")
    return ("<section><h2>The state at a glance</h2><table class='scorecard-table'><thead><tr>"
            "<th scope='col'>Metric</th><th scope='col' class='num'>Districts</th><th scope='col' class='num'>25th percentile</th>"
            f"<th scope='col' class='num'>Median</th><th scope='col' class='num'>75th percentile</th>{beside}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></section>")


def _nation_median(summary: BoardSummary, row, metric: str) -> str:
    fig = state_figures(row, summary, metric)
    if fig.status in (QUARTILES, CENTRE):
        return _whole_state(summary, "median", metric, fig.text("median"), tag="td", css="num", nation=True)
    return _whole_state(summary, fig.stat, metric, fig.centre_text, tag="td", css="num", nation=True)


def changes_title(summary: BoardSummary, changes) -> str:
    """The section's takeaway: how many measures with a better direction improved since last year."""
    judged = judged_changes(changes)
    improved = int((judged["verdict"] == "improved").sum())
    title = f"Changes since {summary.previous_year}"
    return f"{title}: {improved} of {len(judged)} measures improved" if len(judged) else title


def _changes_lead(summary: BoardSummary, changes) -> str:
    """The sentence under the title: how the measures moved, and how to read the table."""
    prev, e = summary.previous_year, html.escape
    judged = judged_changes(changes)
    counts = judged["verdict"].value_counts()
    neutral = [f"the {m.noun}" for m in METRICS if m.direction == "neutral"]
    names = " and ".join(neutral)
    neutral_text = (f" {names[:1].upper()}{names[1:]} {'is' if len(neutral) == 1 else 'are'} neither better nor "
                    "worse when higher: they read only up or down." if neutral else "")
    return (f"<p>The state's median district in {e(prev)} and in {e(summary.school_year)}. Of the {len(judged)} "
            f"measures where higher or lower is better, {counts.get('improved', 0)} improved, "
            f"{counts.get('worsened', 0)} worsened and {counts.get('little change', 0)} changed little (by less "
            f"than {LITTLE_CHANGE:.0%} of the {e(prev)} median).{e(neutral_text)} Reading says what a move means; Direction, which way the figure went.</p>")


def changes_html(summary: BoardSummary) -> str:
    """Changes since last year: each metric's state median then and now, and the share meeting each goal."""
    prev, year, e = summary.previous_year, summary.school_year, html.escape
    changes = state_changes(summary)
    if changes.empty:
        earlier = (summary.group_stats["school_year"] < year).any()
        why = (f"No figures for {e(prev)} are on record for {e(summary.state)}, so there is no change since last "
               "year to show." if earlier else f"{e(year)} is the first school year on record for "
               f"{e(summary.state)}, so there is no earlier year to compare with yet.")
        return f"<section><h2>Changes since last year</h2><p>{why}</p></section>"
    q = state_quartiles(summary).set_index(["school_year", "metric"])
    body = []
    for r in changes.itertuples(index=False):
        m = METRIC_BY_NAME[r.metric]
        body.append(f"<tr><th scope='row'>{e(m.label)}</th>"
                    + "".join(_year_figure(summary, q.loc[(y, m.name)], m.name, y) for y in (prev, year))
                    + _change_cell(summary, change_text(m, r.change), m.name, r.movement)
                    + _reading(r.movement, r.verdict) + "</tr>")
    head = (f"<thead><tr><th scope='col'>Median of the state</th><th scope='col' class='num'>{e(prev)}</th>"
            f"<th scope='col' class='num'>{e(year)}</th><th scope='col' class='num'>Change</th><th scope='col'>Reading</th>"
            "<th scope='col'>Direction</th></tr></thead>")
    return (f"<section><h2>{e(changes_title(summary, changes))}</h2>{_changes_lead(summary, changes)}"
            f"<table class='scorecard-table'>{head}<tbody>{''.join(body)}</tbody></table></section>")


def goals_html(summary: BoardSummary) -> str:
    """Share of the state's districts meeting each goal line, by school year, and the change since last year
    in points; the title says for how many goals the share grew."""
    g = goal_shares(summary)
    years = sorted(g["school_year"].unique())
    prev = summary.previous_year
    changes = goal_changes(summary).set_index(["metric", "goal"])
    e = html.escape
    head = "".join(f"<th scope='col' class='num'>{e(y)}</th>" for y in years)
    nation = (goal_shares(summary, nation=True).set_index(["metric", "goal"])["share_meeting"]
              if summary.nation_goals is not None else None)
    if nation is not None:
        head += f"<th scope='col' class='num'>{e(_nation_words(summary))}, {e(summary.school_year)}</th>"
    if len(changes):
        head += (f"<th scope='col' class='num'>Change since {e(prev)}</th><th scope='col'>Reading</th>"
                 "<th scope='col'>Direction</th>")
    body = []
    for (metric, goal), rows in g.groupby(["metric", "goal"], sort=False):
        m = METRIC_BY_NAME[metric]
        by_year = rows.set_index("school_year")
        cells = "".join(
            tagged(share_text(by_year.at[y, "share_meeting"]), metric, "state", "share", members="all", year=y,
                   state=summary.state, goal=f"{goal:g}")
            if y in by_year.index and np.isfinite(by_year.at[y, "share_meeting"]) else "<td class='num'>–</td>"
            for y in years)
        if nation is not None:
            share = float(nation.get((metric, goal), np.nan))
            cells += (tagged(share_text(share), metric, "state", "share", members="all", year=summary.school_year,
                             state="", goal=f"{goal:g}") if np.isfinite(share) else "<td class='num'>–</td>")
        if (metric, goal) in changes.index:
            c = changes.loc[(metric, goal)]
            cells += (_change_cell(summary, points_text(c["change_points"]), metric, c["movement"], goal=f"{goal:g}")
                      + _reading(c["movement"], GOAL_READINGS.get(c["movement"], "")))
        elif len(changes):
            cells += "<td class='num'>–</td><td></td><td></td>"
        label = rows["goal_label"].iloc[0]
        body.append(f"<tr><th scope='row'>{e(m.label)}: {e(label)}</th>{cells}</tr>")
    moved = changes[changes["movement"] != ""] if len(changes) else changes  # goals with both shares shown
    more = int((moved["movement"] == "up").sum())
    title = (f"Goals met: a larger share of districts meets {more} of {len(moved)} goals than in {prev}"
             if len(moved) else "Goals met: share of districts meeting each one")
    withheld = bool((~np.isfinite(g["share_meeting"].to_numpy(dtype="float64")) & (g["n"] > 0)).any())
    few = summary.rules.quartile_min_peers
    note = (f"<p class='note'>–: fewer than {few} districts reported the figure that year; a share of so few "
            "would say on which side of the goal nearly every one of them is.</p>" if withheld else "")
    return (f"<section><h2>{e(title)}</h2>"
            f"<p>Goal lines: {e(goals_sentence())} Shares are of the districts that reported the "
            "figure; changes are in percentage points.</p><table class='scorecard-table'><thead><tr>"
            f"<th scope='col'>Goal</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{note}</section>")


def state_trend_html(summary: BoardSummary) -> str:
    q = state_quartiles(summary)
    names = [m.name for m in METRICS]
    # A band standing in for figures is drawn as the shaded band, without a median line.
    band = q["status"] == BAND
    drawn = q.assign(p25=q["p25"].where(~band, q["band_low"]), p75=q["p75"].where(~band, q["band_high"]))
    fig = state_trend_figure(drawn, names)
    latest = q[q["school_year"] == summary.school_year].set_index("metric")
    alt = "State distribution of each metric by school year (middle half and median of districts). " + " ".join(
        f"{m.label}: median {state_figures(latest.loc[m.name], summary, m.name).centre_text} in {summary.school_year}."
        for m in METRICS)
    return ("<section><h2>How the state has moved</h2>"
            + figure_html(fig, alt, "Shaded band: the middle half of districts; line: the median; "
                                    "dashed and dotted lines: goals, each named at its line.") + "</section>")


def participation_title(p: dict, prev: str) -> str:
    """The section's takeaway: this year's districts against last year's."""
    title = f"Participation: {p['districts']} districts"
    if p["districts_prev"] is None:
        return title
    diff = p["districts"] - p["districts_prev"]
    if diff == 0:
        return f"{title}, as many as in {prev}"
    return f"{title}, {abs(diff)} {'more' if diff > 0 else 'fewer'} than in {prev}"


def participation_html(summary: BoardSummary) -> str:
    """Participation in a sentence, districts by size band per school year, and by county in a fold-out."""
    p, prev, year, e = participation_years(summary), summary.previous_year, summary.school_year, html.escape

    def count(n: int, y: str = year, **where) -> str:
        return tagged(str(n), "districts", "state", "count", tag="span", css="", members="all", year=y,
                      state=summary.state, **where)

    sentence = f"{count(p['districts'])} districts reported figures for {e(year)}"
    if p["districts_prev"] is None:
        earlier = (summary.metrics["school_year"] < year).any()
        sentence += f"; none submitted for {e(prev)}." if earlier else ", the first school year on record."
    else:
        new = "none are new" if not p["new"] else f"{count(p['new'])} are new since then"
        gone = (f"every district of {e(prev)} submitted again" if not p["gone"]
                else f"{count(p['gone'])} of {e(prev)}'s districts did not resubmit")
        sentence += f", against {count(p['districts_prev'], prev)} for {e(prev)}: {new} and {gone}."
    bands = participation_by_band(summary)
    head = "".join(f"<th scope='col' class='num'>{e(y)}</th>" for y in bands.columns)
    small = not all(summary.rules.may_show(n) for n in bands.to_numpy().ravel())
    rows = "".join(
        f"<tr><th scope='row'>{e(band)}</th>" + "".join(
            tagged(str(n), "districts", "size_band", "count", members="all", year=y, state=summary.state,
                   size_band=band) if summary.rules.may_show(n) else "<td class='num'>–</td>"
            for y, n in counts.items()) + "</tr>"
        for band, counts in bands.iterrows())
    by_county = participation_by_county(summary)
    county_rows = "".join(
        f"<tr><th scope='row'>{e(r.label)}</th>"
        + tagged(str(r.districts), "districts", "pooled" if r.pooled else "county", "count", members="all",
                 year=year, **({} if r.pooled else {"county": r.label}))
        + "</tr>" for r in by_county.itertuples(index=False))
    return (f"<section><h2>{e(participation_title(p, prev))}</h2><p>{sentence}</p>"
            "<table class='scorecard-table'><thead><tr><th scope='col'>Districts by size</th>"
            f"{head}</tr></thead><tbody>{rows}</tbody></table>"
            + (f"<p class='note'>–: fewer than {summary.min_peers} districts of that size submitted that year.</p>"
               if small else "")
            + f"<details><summary>Districts by county, {e(year)}</summary><table class='scorecard-table'><thead>"
              "<tr><th scope='col'>County</th><th scope='col' class='num'>Districts</th></tr></thead>"
              f"<tbody>{county_rows}</tbody></table><p class='note'>Counties with fewer than {summary.min_peers} "
              "submitting districts are pooled so that none can be singled out.</p></details></section>")


def footer_html(summary: BoardSummary) -> str:
    """The provenance footer (benchmarks.reports.html.footer_html) with the summary's parameters."""
    return provenance_footer(summary.snapshot, {"school_year": summary.school_year, "state": summary.state,
                                                "min_peers": summary.min_peers}, summary.demo)
