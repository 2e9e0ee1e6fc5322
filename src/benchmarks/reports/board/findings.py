"""What the board should know: findings worked out from the summary's shown figures (no district named), and
the medians by size band and by locale."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from benchmarks.formats import change_text, figure_text, points_text, share_text
from benchmarks.privacy.disclosure import CENTRE, NONE, QUARTILES
from benchmarks.registry.metrics import METRIC_BY_NAME, METRICS
from benchmarks.reports.board.data import (
    BoardSummary,
    breakdown_figures,
    goal_changes,
    goal_shares,
    judged_changes,
    state_changes,
    state_figures,
    state_quartiles,
)
from benchmarks.reports.definitions import metric_link
from benchmarks.reports.html import tagged

MAX_FINDINGS = 5


def _plain(text: str, *_, **__) -> str:
    return text


def _marked(summary: BoardSummary):
    """Each figure of a finding as a declared whole-state figure (like the tables' cells), so the audit
    checks it against what the page may show."""
    def mark(text: str, metric: str, stat: str, year: str, nation: bool = False, **extra: str) -> str:
        return tagged(text, metric, "state", stat, tag="span", css="", members="all", year=year,
                      state="" if nation else summary.state, **extra)
    return mark


def _relative(changes: pd.DataFrame) -> pd.Series:
    """How far each median moved against where it stood, so a move in dollars and one in devices compare."""
    before = changes["median_prev"].abs().replace(0, np.nan)
    return (changes["median"] - changes["median_prev"]).abs() / before


def _change_finding(summary: BoardSummary, row, verb: str, mark) -> str:
    m, e, prev, year = METRIC_BY_NAME[row.metric], html.escape, summary.previous_year, summary.school_year
    went = "rose" if row.movement == "up" else "fell"
    return (f"{e(m.label)} {verb}: the state's median {went} from "
            f"{mark(figure_text(m, row.median_prev), m.name, 'median', prev)} in {e(prev)} to "
            f"{mark(figure_text(m, row.median), m.name, 'median', year)} "
            f"({mark(change_text(m, row.change), m.name, 'change', year, since=prev)}).")


def change_findings(summary: BoardSummary, mark=_plain) -> list[str]:
    """The largest improvement and the largest decline since last year among the shown state medians (by the
    share of last year's median they moved), or that nothing worsened."""
    judged = judged_changes(state_changes(summary))
    judged = judged.assign(relative=_relative(judged))
    out = []
    for verdict, verb in (("improved", "improved"), ("worsened", "worsened")):
        moved = judged[judged["verdict"] == verdict].sort_values("relative", ascending=False, kind="stable")
        if len(moved):
            out.append(_change_finding(summary, next(moved.itertuples(index=False)),
                                       f"{verb} most" if len(moved) > 1 else verb, mark))
        elif verdict == "worsened" and len(judged):
            out.append(f"No measure worsened since {summary.previous_year}: every median moved the better way or "
                       "changed little.")
    return out


def goal_findings(summary: BoardSummary, mark=_plain) -> list[str]:
    """The goal whose share of districts grew most since last year, and the goal the fewest districts meet."""
    out, e, year = [], html.escape, summary.school_year
    changes = goal_changes(summary)
    grown = changes[changes["movement"] == "up"].sort_values("change_points", ascending=False, kind="stable")
    if len(grown):
        g = next(grown.itertuples(index=False))
        goal = f"{g.goal:g}"
        out.append(f"{mark(share_text(g.share), g.metric, 'share', year, goal=goal)} of districts now meet the goal "
                   f"“{e(g.goal_label)}” for {e(METRIC_BY_NAME[g.metric].label.lower())}, "
                   f"{mark(points_text(g.change_points), g.metric, 'change', year, since=summary.previous_year, goal=goal)}"
                   f" since {e(summary.previous_year)}: the goal that gained most.")
    shares = goal_shares(summary)
    now = shares[(shares["school_year"] == summary.school_year) & np.isfinite(shares["share_meeting"])]
    if len(now):
        low = now.sort_values("share_meeting", kind="stable").iloc[0]
        m = METRIC_BY_NAME[low["metric"]]
        share = mark(share_text(low["share_meeting"]), m.name, "share", year, goal=f"{low['goal']:g}")
        out.append(f"The goal furthest from reach: {share} of districts meet “{e(low['goal_label'])}” for "
                   f"{e(m.label.lower())}.")
    return out


def nation_findings(summary: BoardSummary, mark=_plain) -> list[str]:
    """With other states in the data: where the state's median is furthest ahead of all districts', and
    furthest behind (direction-aware, shown medians only)."""
    if summary.nation_stats is None:
        return []
    mine = state_quartiles(summary).query("school_year == @summary.school_year").set_index("metric")
    all_ = state_quartiles(summary, nation=True).query("school_year == @summary.school_year").set_index("metric")
    gaps = {}
    for name in mine.index.intersection(all_.index):
        m = METRIC_BY_NAME[name]
        a, b = state_figures(mine.loc[name], summary, name), state_figures(all_.loc[name], summary, name)
        if m.direction == "neutral" or a.status not in (QUARTILES, CENTRE) or b.status not in (QUARTILES, CENTRE):
            continue
        here, there = a.median, b.median
        if not there:
            continue
        gaps[name] = (here - there) / abs(there) * (1 if m.direction == "higher" else -1)
    if not gaps:
        return []
    out, year = [], summary.school_year
    lead, lag = max(gaps, key=gaps.get), min(gaps, key=gaps.get)
    for name, word in ((lead, "leads"), (lag, "lags")):
        if (gaps[name] > 0) == (word == "leads") and gaps[name] != 0:
            m = METRIC_BY_NAME[name]
            here = figure_text(m, state_figures(mine.loc[name], summary, name).median)
            there = figure_text(m, state_figures(all_.loc[name], summary, name).median)
            out.append(f"The state {word} all districts in the data most on {html.escape(m.label.lower())}: a "
                       f"median of {mark(here, name, 'median', year)} against "
                       f"{mark(there, name, 'median', year, nation=True)}.")
    return out


def key_findings(summary: BoardSummary, mark=_plain) -> list[str]:
    """Three to five plain sentences from the figures the page shows (state medians and goal shares, gated
    and rounded), never from a district's own figures; fewer when the data has no earlier year. mark: how
    a figure is written into its sentence (plain text; findings_html declares each one)."""
    found = change_findings(summary, mark) + goal_findings(summary, mark) + nation_findings(summary, mark)
    return found[:MAX_FINDINGS]


def findings_html(summary: BoardSummary) -> str:
    """The block the board reads first."""
    items = "".join(f"<li class='finding'>{f}</li>" for f in key_findings(summary, _marked(summary)))
    if not items:
        return ""
    return ("<section class='findings'><h2>What the board should know</h2>"
            f"<ul>{items}</ul><p class='note'>Worked out from the state's medians and goal shares below; "
            "no district's own figures.</p></section>")


#: Each breakdown table's heading, what its parts are, the column head and what a dash there means.
_BREAKDOWN_WORDS = {
    "size_band": ("By district size: the median of each size band",
                  "Districts of similar enrollment compared with each other"),
    "locale": ("By locale: the median of city, suburban, town and rural districts",
               "Districts of the same NCES locale (city, suburb, town or rural) compared with each other"),
}


def breakdown_html(summary: BoardSummary, kind: str) -> str:
    """The state's median of each metric by size band or by locale (data.breakdown_figures: the stored, gated
    figures of each part, gated against the state): a part of too few districts, or one the state exceeds by
    fewer than min_peers districts, shows "–"; one shown only as a range shows the range. Each figure is
    declared with its part (data-size-band, data-locale), so the audit checks it against that part."""
    parts = breakdown_figures(summary, kind)
    if not parts:
        return ""
    e = html.escape
    attr = {"size_band": "size_band", "locale": "locale"}[kind]
    body, dashed = [], False
    for m in METRICS:
        cells = []
        for part, figures in parts.items():
            fig = figures.get(m.name)
            if fig is None or fig.status == NONE:
                dashed = dashed or fig is not None and fig.n > 0
                cells.append("<td class='num'>–</td>")
                continue
            cells.append(tagged(fig.centre_text, m.name, kind, fig.stat, members="all", year=summary.school_year,
                                state=summary.state, **{attr: part}))
        body.append(f"<tr><th scope='row'>{metric_link(m.name, e(m.label))}</th>{''.join(cells)}</tr>")
    title, what = _BREAKDOWN_WORDS[kind]
    head = "".join(f"<th scope='col' class='num'>{e(part)}</th>" for part in parts)
    few = summary.min_peers
    note = (f"<p class='note'>–: fewer than {few} of its districts reported the figure, or all but fewer than "
            f"{few} of the state's did, so that the figure beside the state's would single them out.</p>"
            if dashed else "")
    return (f"<section><h2>{e(title)}</h2><p>{e(what)}; a figure is shown only when at least {few} of the "
            "group's districts reported it.</p><div class='table-scroll'><table class='scorecard-table breakdown'>"
            f"<thead><tr><th scope='col'>Median of districts</th>{head}</tr></thead><tbody>{''.join(body)}</tbody>"
            f"</table></div>{note}</section>")


def size_band_html(summary: BoardSummary) -> str:
    """The state's median of each metric by size band (breakdown_html)."""
    return breakdown_html(summary, "size_band")


def locale_html(summary: BoardSummary) -> str:
    """The state's median of each metric by NCES locale (breakdown_html)."""
    return breakdown_html(summary, "locale")
