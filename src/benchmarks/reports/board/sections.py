"""The board summary: the state's picture and participation, with no district identifiable."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.privacy.disclosure import (BAND, CENTRE, NONE, QUARTILES, GroupFigures, Rules, decimals, display_value, figure_text,
                         group_figures, rules_of, tagged, total)
from benchmarks.registry.metrics import METRIC_BY_NAME, METRICS, Metric
from benchmarks.stats.peers import SIZE_BANDS
from benchmarks.reports.plots import figure_html, state_trend_figure
from benchmarks.privacy.keys import is_demo_key
from benchmarks.reports.district.sections import data_snapshot, resolve_warehouse
from benchmarks.warehouse.store import connect, read_meta
from benchmarks.stats.trends import school_year_label, year_start


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


def load_board_summary(warehouse: str | Path = "", school_year: str = "", state: str = "",
                       min_peers: int | None = None) -> BoardSummary:
    """The state's rows and the warehouse's disclosure rules (tightened to min_peers if that is stricter)."""
    wh = resolve_warehouse(warehouse)
    with connect(wh, read_only=True) as con:
        if not school_year:
            school_year = con.execute("SELECT max(school_year) FROM district_metrics").fetchone()[0]
        if not state:
            state = con.execute("SELECT mode(state) FROM district_metrics WHERE school_year = ?",
                                [school_year]).fetchone()[0]
        frame = con.execute("SELECT * FROM district_metrics WHERE state = ? AND school_year <= ?",
                            [state, school_year]).df()
        stored = {t: con.execute(f"SELECT * FROM {t} WHERE group_kind = 'state' AND group_label = ? "
                                 "AND school_year <= ? ORDER BY school_year", [state, school_year]).df()
                  for t in ("group_stats", "group_goals")}
        snapshot = data_snapshot(con)
        rules = rules_of(con).at_least(min_peers)
        demo = is_demo_key(read_meta(con).get("key_fingerprint", ""))
    return BoardSummary(school_year, state, frame, rules.min_peers, snapshot, stored["group_stats"],
                        stored["group_goals"], rules, demo)


def state_quartiles(summary: BoardSummary) -> pd.DataFrame:
    """Per metric and school year: districts with a value and what may be shown of them, as stored in
    group_stats at ingest by benchmarks.privacy.disclosure: status, smoothed p25/median/p75 or a band (NaN where
    nothing may be shown)."""
    q = summary.group_stats[["metric", "school_year", "n", "status", "show_p25", "show_median", "show_p75",
                             "band_low", "band_high"]]
    q = q.rename(columns={"show_p25": "p25", "show_median": "median", "show_p75": "p75"})
    return q.reset_index(drop=True)


def goal_shares(summary: BoardSummary) -> pd.DataFrame:
    """Per metric goal and school year: districts with a value and the share meeting the goal (stored)."""
    g = summary.group_goals[["metric", "goal", "goal_label", "school_year", "n", "share_meeting"]].copy()
    g.loc[g["n"] < summary.min_peers, "share_meeting"] = np.nan
    return g.reset_index(drop=True)


def share_text(share: float) -> str:
    """A share as a whole percentage that never rounds to "all" or "none" when it is not."""
    pct = share * 100
    if 0 < pct < 0.5:
        return "under 1%"
    if 99.5 <= pct < 100:
        return "over 99%"
    return f"{pct:.0f}%"


def goals_html(summary: BoardSummary) -> str:
    """Share of the state's districts meeting each goal line, by school year, and the change since last year
    in points; the title says for how many goals the share grew."""
    g = goal_shares(summary)
    years = sorted(g["school_year"].unique())
    prev = previous_year(summary)
    changes = goal_changes(summary).set_index(["metric", "goal"])
    e = html.escape
    head = "".join(f"<th scope='col' class='num'>{e(y)}</th>" for y in years)
    if len(changes):
        head += f"<th scope='col' class='num'>Change since {e(prev)}</th><th scope='col'>Reading</th>"
    body = []
    for (metric, goal), rows in g.groupby(["metric", "goal"], sort=False):
        m = METRIC_BY_NAME[metric]
        by_year = rows.set_index("school_year")
        cells = "".join(
            tagged(share_text(by_year.at[y, "share_meeting"]), metric, "state", "share", members="all", year=y,
                   state=summary.state, goal=f"{goal:g}")
            if y in by_year.index and np.isfinite(by_year.at[y, "share_meeting"]) else "<td class='num'>–</td>"
            for y in years)
        if (metric, goal) in changes.index:
            c = changes.loc[(metric, goal)]
            verdict = {"up": "more districts", "down": "fewer districts", "little": "no change"}.get(c["movement"], "")
            cells += (_change_cell(summary, points_text(c["change_points"]), metric, c["movement"], goal=f"{goal:g}")
                      + _reading(c["movement"], verdict))
        elif len(changes):
            cells += "<td class='num'>–</td><td></td>"
        label = rows["goal_label"].iloc[0]
        body.append(f"<tr><th scope='row'>{e(m.label)}: {e(label)}</th>{cells}</tr>")
    more = int((changes["movement"] == "up").sum()) if len(changes) else 0
    title = (f"Goals met: a larger share of districts meets {more} of {len(changes)} goals than in {prev}"
             if len(changes) else "Goals met: share of districts meeting each one")
    return (f"<section><h2>{e(title)}</h2>"
            "<p>Goal lines: 100 kbps and 1 Mbps of internet bandwidth per student (FCC, 2014), one device per "
            "student, one wireless access point per classroom. Shares are of the districts that reported the "
            "figure; changes are in percentage points.</p><table class='scorecard-table'><thead><tr>"
            f"<th scope='col'>Goal</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></section>")


#: A median that moved by less than this share of last year's figure "changed little": smaller moves of a
#: smoothed state median are within the year-to-year wobble of which districts submitted.
LITTLE_CHANGE = 0.02
#: How a move reads, by the metric's direction: better, worse, or (neutral metrics) only which way it went.
VERDICTS = {("higher", "up"): "improved", ("higher", "down"): "worsened", ("lower", "up"): "worsened",
            ("lower", "down"): "improved", ("neutral", "up"): "up", ("neutral", "down"): "down"}
#: Which way a figure moved, in a shape as well as a word (the page never relies on colour).
SYMBOLS = {"up": "▲", "down": "▼", "little": "●"}
CHANGE_COLUMNS = ["metric", "median_prev", "median", "change", "movement", "verdict"]
GOAL_CHANGE_COLUMNS = ["metric", "goal", "goal_label", "share_prev", "share", "change_points", "movement"]


def previous_year(summary: BoardSummary) -> str:
    """The school year before the summary's: "2025-26" -> "2024-25"."""
    return school_year_label(int(year_start([summary.school_year])[0]) - 1)


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
    prev = previous_year(summary)
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
        verdict = {"": "", "little": "little change"}.get(movement) or VERDICTS[(m.direction, movement)]
        rows.append({"metric": m.name, "median_prev": before, "median": now, "change": change,
                     "movement": movement, "verdict": verdict})
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS)


def _points(share: float) -> float:
    """A share in whole percentage points, rounded as share_text shows it."""
    return float(f"{share * 100:.0f}") if np.isfinite(share) else np.nan


def goal_changes(summary: BoardSummary) -> pd.DataFrame:
    """Per goal: the share of the state's districts meeting it last school year and this one (stored
    group_goals share_meeting), and the change in whole percentage points between the shares as shown.
    Empty without a previous year."""
    prev = previous_year(summary)
    g = goal_shares(summary)
    if not (g["school_year"] == prev).any():
        return pd.DataFrame(columns=GOAL_CHANGE_COLUMNS)
    by = g.set_index(["metric", "goal", "school_year"])["share_meeting"]
    rows = []
    for (metric, goal), label in g.groupby(["metric", "goal"], sort=False)["goal_label"].first().items():
        before, now = (float(by.get((metric, goal, y), np.nan)) for y in (prev, summary.school_year))
        change = _points(now) - _points(before)
        rows.append({"metric": metric, "goal": goal, "goal_label": label, "share_prev": before, "share": now,
                     "change_points": change, "movement": "" if np.isnan(change) else
                     "little" if change == 0 else "up" if change > 0 else "down"})
    return pd.DataFrame(rows, columns=GOAL_CHANGE_COLUMNS)


def _signed(number: str, change: float) -> str:
    return ("+" if change > 0 else "−" if change < 0 else "") + number


def change_text(m: Metric, change: float) -> str:
    """A change as shown: "+0.04 devices", "−$0.39/Mbps", "+20.7 points" (shares change in points)."""
    if not np.isfinite(change):
        return "–"
    if m.unit == "%":
        number = f"{abs(change):,.{decimals(m)}f}"
        return _signed(f"{number} point" + ("" if float(number) == 1 else "s"), change)
    return _signed(figure_text(m, abs(change)), change)


def points_text(change: float) -> str:
    """A change of a share in whole points: "+7 points", "−1 point", "0 points"."""
    if not np.isfinite(change):
        return "–"
    return _signed(f"{abs(change):.0f} point" + ("" if abs(change) == 1 else "s"), change)


def _judged(changes: pd.DataFrame) -> pd.DataFrame:
    """The changes of metrics where higher or lower is better, where both years' medians are shown."""
    better = changes["metric"].map(lambda n: METRIC_BY_NAME[n].direction != "neutral")
    return changes[better & (changes["movement"] != "")]


def changes_title(summary: BoardSummary, changes: pd.DataFrame) -> str:
    """The section's takeaway: how many measures with a better direction improved since last year."""
    judged = _judged(changes)
    improved = int((judged["verdict"] == "improved").sum())
    title = f"Changes since {previous_year(summary)}"
    return f"{title}: {improved} of {len(judged)} measures improved" if len(judged) else title


def _reading(movement: str, verdict: str) -> str:
    return f"<td class='verdict'>{SYMBOLS[movement]} {html.escape(verdict)}</td>" if movement else "<td>–</td>"


def _year_figure(summary: BoardSummary, row: pd.Series, metric: str, year: str) -> str:
    """A year's state median cell (or its band, or a dash), declared for that year."""
    fig = _figures(row, summary, metric)
    return tagged("–" if fig.status == NONE else fig.centre_text, metric, "state", fig.stat, members="all",
                  year=year, state=summary.state)


def _change_cell(summary: BoardSummary, text: str, metric: str, movement: str, **goal: str) -> str:
    """A change since last year: the difference of two shown figures of the whole state, declared as such."""
    if not movement:
        return "<td class='num'>–</td>"
    return tagged(text, metric, "state", "change", members="all", year=summary.school_year,
                  since=previous_year(summary), state=summary.state, **goal)


def _changes_lead(summary: BoardSummary, changes: pd.DataFrame) -> str:
    """The sentence under the title: how the measures moved, and how to read the table."""
    prev, e = previous_year(summary), html.escape
    judged = _judged(changes)
    counts = judged["verdict"].value_counts()
    neutral = [f"the {m.noun}" for m in METRICS if m.direction == "neutral"]
    names = " and ".join(neutral)
    neutral_text = (f" {names[:1].upper()}{names[1:]} {'is' if len(neutral) == 1 else 'are'} neither better nor "
                    "worse when higher: they read only up or down." if neutral else "")
    return (f"<p>The state's median district in {e(prev)} and in {e(summary.school_year)}. Of the {len(judged)} "
            f"measures where higher or lower is better, {counts.get('improved', 0)} improved, "
            f"{counts.get('worsened', 0)} worsened and {counts.get('little change', 0)} changed little (by less "
            f"than {LITTLE_CHANGE:.0%} of the {e(prev)} median).{e(neutral_text)} ▲ up, ▼ down, ● little change.</p>")


def changes_html(summary: BoardSummary) -> str:
    """Changes since last year: each metric's state median then and now, and the share meeting each goal."""
    prev, year, e = previous_year(summary), summary.school_year, html.escape
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
            f"<th scope='col' class='num'>{e(year)}</th><th scope='col' class='num'>Change</th><th scope='col'>Reading</th></tr></thead>")
    return (f"<section><h2>{e(changes_title(summary, changes))}</h2>{_changes_lead(summary, changes)}"
            f"<table class='scorecard-table'>{head}<tbody>{''.join(body)}</tbody></table></section>")


def _figures(row: pd.Series, summary: BoardSummary, metric: str) -> GroupFigures:
    return group_figures({"status": row["status"], "n": row["n"], "show_p25": row["p25"],
                          "show_median": row["median"], "show_p75": row["p75"], "band_low": row["band_low"],
                          "band_high": row["band_high"]}, summary.rules, metric)


def _whole_state(summary: BoardSummary, stat: str, metric: str, text: str, tag: str = "span", css: str = "",
                 colspan: int = 1) -> str:
    """A figure about all the state's districts (the board's reader is in no group of its own)."""
    return tagged(text, metric, "state", stat, tag=tag, css=css, colspan=colspan, members="all",
                  year=summary.school_year, state=summary.state)


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
            + f"{served} submitted figures for {e(summary.school_year)}. Every figure below describes groups of "
            f"at least {summary.min_peers} districts; no district can be identified. Percentiles are smoothed "
            "(each averaged with its neighbouring ranks), so none is any one district's figure.</p></header>")


def state_table_html(summary: BoardSummary) -> str:
    q = state_quartiles(summary)
    q = q[q["school_year"] == summary.school_year].set_index("metric")
    body = []
    for m in METRICS:
        r = q.loc[m.name]
        fig = _figures(r, summary, m.name)
        if fig.status in (QUARTILES, CENTRE):
            cells = "".join(
                _whole_state(summary, stat, m.name, fig.text(stat), tag="td", css="num")
                if fig.status == QUARTILES or stat == "median"
                else _whole_state(summary, "none", m.name, "–", tag="td", css="num")
                for stat in ("p25", "median", "p75"))
        else:
            cells = _whole_state(summary, fig.stat, m.name, fig.centre_text, tag="td", css="num", colspan=3)
        body.append(f"<tr><th scope='row'>{html.escape(m.label)}</th>"
                    + _whole_state(summary, "count", m.name, str(int(r["n"])), tag="td", css="num")
                    + f"{cells}</tr>")
    return ("<section><h2>The state at a glance</h2><table class='scorecard-table'><thead><tr>"
            "<th scope='col'>Metric</th><th scope='col' class='num'>Districts</th><th scope='col' class='num'>25th percentile</th>"
            "<th scope='col' class='num'>Median</th><th scope='col' class='num'>75th percentile</th></tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></section>")


def state_trend_html(summary: BoardSummary) -> str:
    q = state_quartiles(summary)
    names = [m.name for m in METRICS]
    # A band standing in for figures is drawn as the shaded band, without a median line.
    band = q["status"] == BAND
    drawn = q.assign(p25=q["p25"].where(~band, q["band_low"]), p75=q["p75"].where(~band, q["band_high"]))
    fig = state_trend_figure(drawn, names)
    latest = q[q["school_year"] == summary.school_year].set_index("metric")
    alt = "State distribution of each metric by school year (middle half and median of districts). " + " ".join(
        f"{m.label}: median {_figures(latest.loc[m.name], summary, m.name).centre_text} in {summary.school_year}."
        for m in METRICS)
    return ("<section><h2>How the state has moved</h2>"
            + figure_html(fig, alt, "Shaded band: the middle half of districts; line: the median; "
                                    "dashed lines: goals.") + "</section>")


def participation_years(summary: BoardSummary) -> dict:
    """Districts that submitted this school year and last, how many are new since last year and how many
    did not resubmit (None for last year's figures when the state has no submissions that year)."""
    prev = previous_year(summary)
    seen = summary.metrics.groupby("school_year")["pseudonym"].agg(set)
    now, before = seen.get(summary.school_year, set()), seen.get(prev)
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
    """Districts that submitted per county; counties below the disclosure threshold are pooled."""
    year = summary.metrics[summary.metrics["school_year"] == summary.school_year]
    counts = year.groupby("county").size().sort_values(ascending=False)
    big = counts[counts >= summary.min_peers]
    small = counts[counts < summary.min_peers]
    out = pd.DataFrame({"label": big.index.astype(str), "districts": big.to_numpy(), "pooled": False})
    if len(small):
        out.loc[len(out)] = {"label": f"{len(small)} counties with fewer than {summary.min_peers} districts",
                             "districts": int(small.sum()), "pooled": True}
    return out


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
    p, prev, year, e = participation_years(summary), previous_year(summary), summary.school_year, html.escape

    def count(n: int, y: str = year, **where) -> str:
        return tagged(str(n), "districts", "state", "count", tag="span", css="", members="all", year=y,
                      state=summary.state, **where)

    sentence = f"{count(p['districts'])} districts submitted figures for {e(year)}"
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
    small = (bands < summary.min_peers).to_numpy().any()
    rows = "".join(
        f"<tr><th scope='row'>{e(band)}</th>" + "".join(
            tagged(str(n), "districts", "size_band", "count", members="all", year=y, state=summary.state,
                   size_band=band) if n >= summary.min_peers else "<td class='num'>–</td>"
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
    from benchmarks._version import __version__
    demo = "Fictional demo data, pseudonymized with the public demo key · " if summary.demo else ""
    return (f"<footer class='provenance'>{demo}Data snapshot {html.escape(summary.snapshot)} · parameters: "
            f"school_year={html.escape(summary.school_year)}, state={html.escape(summary.state)}, "
            f"min_peers={summary.min_peers} · district-benchmarks {html.escape(__version__)} · generated "
            f"{pd.Timestamp.now(tz='UTC').strftime('%Y-%m-%d %H:%M UTC')}</footer>")
