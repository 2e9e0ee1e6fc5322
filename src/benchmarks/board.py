"""The board summary: the state's picture and participation, with no district identifiable."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

import numpy as np

from .disclosure import (BAND, CENTRE, QUARTILES, GroupFigures, Rules, group_figures, rules_of, tagged,
                         total)
from .metrics import METRIC_BY_NAME, METRICS
from .plots import figure_html, participation_figure, state_trend_figure
from .privacy import is_demo_key
from .report import data_snapshot, resolve_warehouse
from .store import connect, read_meta


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
    group_stats at ingest by benchmarks.disclosure: status, smoothed p25/median/p75 or a band (NaN where
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
    """Share of the state's districts meeting each goal line, by school year."""
    g = goal_shares(summary)
    years = sorted(g["school_year"].unique())
    e = html.escape
    head = "".join(f"<th scope='col'>{e(y)}</th>" for y in years)
    body = []
    for (metric, goal), rows in g.groupby(["metric", "goal"], sort=False):
        m = METRIC_BY_NAME[metric]
        by_year = rows.set_index("school_year")
        cells = "".join(
            tagged(share_text(by_year.at[y, "share_meeting"]), metric, "state", "share", members="all", year=y,
                   state=summary.state, goal=f"{goal:g}")
            if y in by_year.index and np.isfinite(by_year.at[y, "share_meeting"]) else "<td class='num'>–</td>"
            for y in years)
        label = rows["goal_label"].iloc[0]
        body.append(f"<tr><th scope='row'>{e(m.label)}: {e(label)}</th>{cells}</tr>")
    return ("<section><h2>Goals: share of districts meeting each one</h2>"
            "<p>Goal lines: 100 kbps and 1 Mbps of internet bandwidth per student (FCC, 2014), one device per "
            "student, one wireless access point per classroom. Shares are of the districts that reported the "
            "figure.</p><table class='scorecard-table'><thead><tr><th scope='col'>Goal</th>"
            f"{head}</tr></thead><tbody>{''.join(body)}</tbody></table></section>")


def _figures(row: pd.Series, summary: BoardSummary, metric: str) -> GroupFigures:
    return group_figures({"status": row["status"], "n": row["n"], "show_p25": row["p25"],
                          "show_median": row["median"], "show_p75": row["p75"], "band_low": row["band_low"],
                          "band_high": row["band_high"]}, summary.rules, metric)


def participation(summary: BoardSummary) -> pd.DataFrame:
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
            "<th scope='col'>Metric</th><th scope='col'>Districts</th><th scope='col'>25th percentile</th>"
            "<th scope='col'>Median</th><th scope='col'>75th percentile</th></tr></thead>"
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


def participation_html(summary: BoardSummary) -> str:
    p = participation(summary)
    fig = participation_figure(p)
    alt = "Districts that submitted, by county: " + "; ".join(
        f"{label}: {n}" for label, n in zip(p["label"], p["districts"])) + "."
    rows = "".join(
        f"<tr><th scope='row'>{html.escape(r.label)}</th>"
        + tagged(str(r.districts), "districts", "pooled" if r.pooled else "county", "count", members="all",
                 year=summary.school_year, **({} if r.pooled else {"county": r.label}))
        + "</tr>" for r in p.itertuples(index=False))
    return ("<section><h2>Participation by county</h2>"
            + figure_html(fig, alt, f"Counties with fewer than {summary.min_peers} submitting districts are "
                                    "pooled so that none can be singled out.")
            + "<details><summary>Participation as a table</summary><table class='scorecard-table'><thead><tr>"
              "<th scope='col'>County</th><th scope='col'>Districts</th></tr></thead>"
              f"<tbody>{rows}</tbody></table></details></section>")


def footer_html(summary: BoardSummary) -> str:
    from . import __version__
    demo = "Fictional demo data, pseudonymized with the public demo key · " if summary.demo else ""
    return (f"<footer class='provenance'>{demo}Data snapshot {html.escape(summary.snapshot)} · parameters: "
            f"school_year={html.escape(summary.school_year)}, state={html.escape(summary.state)}, "
            f"min_peers={summary.min_peers} · district-benchmarks {html.escape(__version__)} · generated "
            f"{pd.Timestamp.now(tz='UTC').strftime('%Y-%m-%d %H:%M UTC')}</footer>")
