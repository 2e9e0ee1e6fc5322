"""The initiative check: where a district's planned values would stand against its peers, and the goals they meet."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.config import DEFAULT_MIN_PEERS
from benchmarks.formats import amount_text, display_value, figure_text, rough_dollars
from benchmarks.privacy.disclosure import BAND, CENTRE, NONE, GroupFigures, group_figures
from benchmarks.registry.groups import PEER_GROUPS
from benchmarks.registry.metrics import METRIC_BY_NAME, goals_sentence
from benchmarks.registry.years import school_year_label, target_year_of, year_start
from benchmarks.reports.district.data import DistrictReport, load_district_report, reference_row, rows_by_metric
from benchmarks.reports.district.sections import footer_html as district_footer
from benchmarks.reports.html import tagged
from benchmarks.reports.plots import figure_html, initiative_figure
from benchmarks.reports.wording import PLAN_VERDICTS, TARGET_VERDICTS, standing_of, verdict_key
from benchmarks.stats.goals import goal_gap, meets_goal
from benchmarks.stats.trends import projected_median

#: The notebook's default plan: a four-year device refresh at one-to-one, and the FCC's long-term bandwidth goal.
DEFAULT_PLAN = {"devices_per_student": 1.0, "refresh_share": 0.25, "bandwidth_kbps_per_student": 1000.0}
#: Years ahead of the report's year when no target year is given.
DEFAULT_YEARS_AHEAD = 2


def parse_plan(plan) -> dict[str, float]:
    """Planned values by metric from a dict or from "metric=value" strings; a clear error for an unknown
    metric, a value that is not a number, or one outside the metric's valid range."""
    items = plan.items() if isinstance(plan, dict) else [_split(text) for text in plan]
    out: dict[str, float] = {}
    for name, raw in items:
        name = str(name).strip()
        if name not in METRIC_BY_NAME:
            raise ValueError(f"plan: unknown metric {name!r}; known: {', '.join(METRIC_BY_NAME)}")
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise ValueError(f"plan: {name}={raw!r} is not a number") from None
        lo, hi = METRIC_BY_NAME[name].valid_range
        if not (lo <= value <= hi):
            raise ValueError(f"plan: {name}={value:g} is outside the valid range {lo:g} to {hi:g}")
        out[name] = value
    if not out:
        raise ValueError("plan: give at least one planned value, e.g. devices_per_student=1.0")
    return out


def _split(text: str) -> tuple[str, str]:
    name, sep, value = str(text).partition("=")
    if not sep:
        raise ValueError(f"plan: {text!r} should read metric=value, e.g. refresh_share=0.25")
    return name, value


@dataclass
class InitiativeCheck:
    """A district's plan against its peers, with every figure taken from the stored peer statistics."""

    report: DistrictReport
    plan: dict[str, float]
    target_year: int
    #: One row per planned metric (see plan_lines).
    lines: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def target_label(self) -> str:
        return school_year_label(self.target_year)


def load_initiative_check(warehouse: str | Path = "", district: str = "", plan=None, target_year: str | int = "",
                          school_year: str = "", county: str = "",
                          min_peers: int = DEFAULT_MIN_PEERS) -> InitiativeCheck:
    """The check for one district (pseudonym; empty: the first district of `county`). Target year empty:
    DEFAULT_YEARS_AHEAD after the report's school year."""
    plan = parse_plan(DEFAULT_PLAN if plan is None else plan)
    rep = load_district_report(warehouse, district, school_year, county, min_peers=min_peers)
    target = target_year_of(rep.school_year, target_year, DEFAULT_YEARS_AHEAD)
    rep.parameters.update(plan=", ".join(f"{k}={v:g}" for k, v in plan.items()),
                          target_year=school_year_label(target))
    check = InitiativeCheck(rep, plan, target)
    check.lines = plan_lines(check)
    return check


def plan_lines(check: InitiativeCheck) -> pd.DataFrame:
    """Per planned metric: the stored reference group's shown figures today, where the planned value stands
    against them (GroupFigures.place: never a count against the others' exact values, which repeated checks
    would turn into an oracle), the peers' median projected to the target year, and each goal."""
    rep = check.report
    by_metric = rows_by_metric(rep.stats)
    out = []
    for name, planned in check.plan.items():
        m = METRIC_BY_NAME[name]
        rows = by_metric.get(name, {})
        ref = reference_row(rows, rep.fallback_order)
        rec = {"metric": name, "label": m.label, "planned": planned, "current": next(iter(rows.values()))["value"],
               "group_kind": None, "n": 0, "p25": np.nan, "median": np.nan, "p75": np.nan,
               "band_low": np.nan, "band_high": np.nan, "median_text": "–", "median_stat": "none",
               "verdict_key": "missing", "standing": "", "trend_slope": np.nan, "trend_years": 0,
               "projected_median": np.nan, "target_key": "missing"}
        if ref is not None:
            # Only what disclosure lets the report show: the smoothed figures, or a band, of the reference group.
            fig = group_figures(ref, rep.rules, name)
            key, words, _ = standing_of(m, fig, ref["group_kind"], planned)
            rec.update(group_kind=ref["group_kind"], n=int(ref["n"]), p25=fig.p25, median=fig.median,
                       p75=fig.p75, band_low=fig.low, band_high=fig.high, median_text=fig.centre_text,
                       median_stat=fig.stat, middle_text=fig.middle_text, verdict_key=key, standing=words,
                       trend_slope=ref["trend_slope"], trend_years=int(ref["trend_years"]))
            if np.isfinite(ref["trend_slope"]):
                rec["projected_median"] = projected_median(ref["trend_level"], ref["trend_slope"], rep.school_year,
                                                           check.target_year)
                # the target year's verdict: the plan against the projected median, by the same rule as today's
                # (GroupFigures.place, "about" within the tolerance); a projection has no middle half
                projected = GroupFigures(m, CENTRE, int(ref["n"]), np.nan, rec["projected_median"], np.nan, np.nan,
                                         np.nan, rep.rules)
                rec["target_key"] = verdict_key(m.direction, projected.place(planned))
        for i, goal in enumerate(m.goals):
            rec[f"goal{i}"] = goal.label
            rec[f"goal{i}_meets"] = bool(meets_goal(m, goal, [planned])[0])
            rec[f"goal{i}_gap"] = float(goal_gap(m, goal, [planned])[0])
        rec["verdict"] = PLAN_VERDICTS[rec["verdict_key"]]
        rec["target_verdict"] = TARGET_VERDICTS[rec["target_key"]]
        rec["backwards"] = goes_backwards(m, planned, rec["current"])
        rec["sentence"] = plan_sentence(check, rec)
        out.append(rec)
    return pd.DataFrame(out)


def plan_sentence(check: InitiativeCheck, rec: dict) -> str:
    """The plain-language verdict of one planned metric."""
    m = METRIC_BY_NAME[rec["metric"]]
    noun = m.noun or m.label.lower()
    parts = [f"Planned {figure_text(m, rec['planned'])}."]
    if rec["group_kind"] is None:
        parts.append(f"Too few other districts reported {noun} to compare.")
    else:
        group = PEER_GROUPS[rec["group_kind"]].phrase
        shown = rec["median_text"] + (f", middle half {rec['middle_text']}" if rec.get("middle_text") else "")
        parts.append(f"Today that would be {rec['standing']} of {group} ({shown}): "
                     f"{PLAN_VERDICTS[rec['verdict_key']].lower()}.")
        if np.isfinite(rec["projected_median"]):
            proj = rec["projected_median"]
            side = "above" if rec["planned"] > proj else "below" if rec["planned"] < proj else "at"
            gap = "" if side == "at" else f"{amount_text(m, rec['planned'] - proj)} "
            move = (f"{'rising' if rec['trend_slope'] > 0 else 'falling'} {amount_text(m, rec['trend_slope'])} a year"
                    if rec["trend_slope"] else "flat")
            parts.append(f"By {check.target_label} their median is projected at {figure_text(m, proj)} (a straight line "
                         f"through {rec['trend_years']} yearly medians, {move}), so the plan would be {gap}{side} it: "
                         f"{TARGET_VERDICTS[rec['target_key']].lower()}.")
        elif rec.get("trend_years", 0) < 2:
            parts.append("Their median has no trend yet (fewer than two yearly medians on record), so no "
                         "projection.")
        else:
            parts.append("Their median has no trend to project.")
    if rec.get("backwards"):
        parts.append(f"The plan lowers your figure: {figure_text(m, rec['current'])} today."
                     if rec["planned"] < rec["current"] else
                     f"The plan raises your figure: {figure_text(m, rec['current'])} today.")
    met = [g.label for i, g in enumerate(m.goals) if rec[f"goal{i}_meets"]]
    missed = [f"{amount_text(m, rec[f'goal{i}_gap'])} short of the {g.label} goal"
              for i, g in enumerate(m.goals) if not rec[f"goal{i}_meets"]]
    if met:
        parts.append(f"Meets the {' and '.join(met)} goal{'s' if len(met) > 1 else ''}.")
    if missed:
        parts.append(f"Falls {' and '.join(missed)}.")
    return " ".join(parts)


def goes_backwards(m, planned: float, current: float) -> bool:
    """Whether a plan takes a figure back from today's: lower where higher is better, higher where lower is
    better, lower for a measure without a better direction (a plan that shrinks today's share), as displayed."""
    if not np.isfinite(current):
        return False
    p, c = display_value(m, planned), display_value(m, current)
    return p > c if m.direction == "lower" else p < c


def header_html(check: InitiativeCheck) -> str:
    rep = check.report
    e = html.escape
    return (f"<header class='report-header'><p class='kicker'>Initiative check · {e(rep.school_year)} data, "
            f"target {e(check.target_label)}</p><h1>{e(rep.name)}: does the plan match the peers?</h1>"
            f"<p class='meta'>{e(rep.county)}, {e(rep.state)} · {e(rep.locale)} · {rep.enrollment:,} students "
            f"({e(rep.size_band)})</p></header>")


def plan_table_html(check: InitiativeCheck) -> str:
    """The summary: one row per planned metric with the target year's verdict (today's beneath it), the peers'
    median now (which group, how many) and projected, and the goals."""
    e = html.escape
    body = []
    for _, r in check.lines.iterrows():
        m = METRIC_BY_NAME[r["metric"]]
        goals = "; ".join(f"{r[f'goal{i}']}: {'met' if r[f'goal{i}_meets'] else 'not met'}"
                          for i in range(len(m.goals))) or "no goal line"
        kind = r["group_kind"] or "none"
        if r["group_kind"]:
            n = tagged(str(int(r["n"])), r["metric"], kind, "count", tag="span", css="")
            peers = (tagged(r["median_text"], r["metric"], kind, r["median_stat"], tag="span", css="")
                     + f"<span class='note'>{e(PEER_GROUPS[kind].label.lower())}, n = {n}</span>")
        else:
            peers = "–"
        projected = (tagged(figure_text(m, r["projected_median"]), r["metric"], kind, "projection")
                     if np.isfinite(r["projected_median"]) else "<td class='num'>–</td>")
        body.append(
            f"<tr data-metric='{e(r['metric'])}'><th scope='row'>{e(r['label'])}</th>"
            + tagged(figure_text(m, r["current"]), r["metric"], "own", "value")
            + tagged(figure_text(m, r["planned"]), r["metric"], "own", "plan", css="num own")
            + f"<td class='num peers'>{peers}</td>{projected}"
            f"<td class='plan-verdict'><strong>{e(r['target_verdict'])}</strong>"
            f"<span class='note'>today: {e(r['verdict'][0].lower() + r['verdict'][1:])}</span></td>"
            f"<td>{e(goals)}</td></tr>")
    return ("<section class='plan'><h2>The plan at a glance</h2><div class='table-scroll'>"
            "<table class='scorecard-table'><thead><tr><th scope='col'>Metric</th><th scope='col' class='num'>Now</th>"
            "<th scope='col' class='num'>Planned</th><th scope='col' class='num'>Peers' median now</th>"
            f"<th scope='col' class='num'>Projected {e(check.target_label)}</th>"
            f"<th scope='col'>Verdict in {e(check.target_label)}</th><th scope='col'>Goals</th></tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div></section>")


def _price(check: InitiativeCheck, name: str) -> tuple[GroupFigures | None, str, float]:
    """The peers' price a plan is costed at: the reference group's shown median of `name` (a band's middle,
    said as "about"), with the group's kind; None where no group shows one."""
    rep = check.report
    ref = reference_row(rows_by_metric(rep.stats).get(name, {}), rep.fallback_order)
    if ref is None:
        return None, "", np.nan
    fig = group_figures(ref, rep.rules, name)
    if fig.status == NONE:
        return None, "", np.nan
    return fig, ref["group_kind"], (fig.low + fig.high) / 2 if fig.status == BAND else fig.median


def plan_costs(check: InitiativeCheck) -> list[dict]:
    """The plan's rough yearly cost, from the district's own enrollment and figures and the peers' shown
    prices only: devices to buy a year (growth to the planned devices per student spread over the years to the
    target, and replacements at the planned refresh share) at the median device price, and the planned
    bandwidth at the median cost per Mbps. Each: what, how many, the price, the group, the yearly cost."""
    rep, plan = check.report, check.plan
    now = {r["metric"]: r["value"] for r in rep.stats.drop_duplicates("metric").to_dict("records")}
    students = float(rep.enrollment)
    years = max(check.target_year - int(year_start([rep.school_year])[0]), 1)
    out = []
    if "devices_per_student" in plan or "refresh_share" in plan:
        per_student = plan.get("devices_per_student", now.get("devices_per_student", np.nan))
        growth = max(per_student - now.get("devices_per_student", np.nan), 0.0) * students / years
        share = plan.get("refresh_share", now.get("refresh_share", np.nan))
        replaced = share * per_student * students
        buy = np.nansum([growth, replaced]) if np.isfinite(growth) or np.isfinite(replaced) else np.nan
        fig, kind, price = _price(check, "device_price_usd")
        out.append({"what": "devices", "metric": "device_price_usd", "growth": growth, "replaced": replaced,
                    "share": share, "per_student": per_student, "years": years, "count": buy, "fig": fig,
                    "group_kind": kind, "price": price, "yearly": buy * price})
    if "bandwidth_kbps_per_student" in plan:
        mbps = plan["bandwidth_kbps_per_student"] * students / 1000.0
        fig, kind, price = _price(check, "cost_per_mbps_usd")
        out.append({"what": "bandwidth", "metric": "cost_per_mbps_usd", "count": mbps, "fig": fig,
                    "group_kind": kind, "price": price, "yearly": mbps * price * 12})
    return out


def cost_html(check: InitiativeCheck) -> str:
    """What the plan would cost a year, roughly, at the peers' shown prices."""
    e = html.escape
    items = []
    for c in plan_costs(check):
        m = METRIC_BY_NAME[c["metric"]]
        if c["fig"] is None or not np.isfinite(c["yearly"]):
            why = ("no peer group shows a median price" if c["fig"] is None
                   else "your figures today are missing")
            items.append(f"<li><strong>{e(c['what'].capitalize())}:</strong> not costed: {e(why)}.</li>")
            continue
        group = PEER_GROUPS[c["group_kind"]].phrase
        price = tagged(c["fig"].centre_text, m.name, c["group_kind"], c["fig"].stat, tag="span", css="")
        about = "the middle of " if c["fig"].status == BAND else ""
        if c["what"] == "devices":
            parts = []
            if np.isfinite(c["growth"]) and c["growth"] >= 0.5:
                parts.append(f"{c['growth']:,.0f} to reach {c['per_student']:.2f} per student over "
                             f"{c['years']} year{'s' if c['years'] > 1 else ''}")
            if np.isfinite(c["replaced"]):
                parts.append(f"{c['replaced']:,.0f} replacements at {c['share']:.0%} of the fleet")
            how = f" ({'; '.join(parts)})" if parts else ""
            text = (f"{c['count']:,.0f} devices a year{how}, at {about}the median price of {group} "
                    f"({price}): roughly {rough_dollars(c['yearly'])} a year.")
        else:
            text = (f"{c['count']:,.0f} Mbps for {check.report.enrollment:,} students, at {about}the median cost of "
                    f"{group} ({price} a month): roughly {rough_dollars(c['yearly'] / 12)} a month, "
                    f"{rough_dollars(c['yearly'])} a year.")
        items.append(f"<li data-cost='{e(c['what'])}'><strong>{e(c['what'].capitalize())}:</strong> {text}</li>")
    if not items:
        return ""
    return ("<section class='cost'><h2>What it would cost, roughly</h2><ul>" + "".join(items) + "</ul>"
            "<p class='note'>At the peers' median prices this page shows, before discounts, installation and "
            "staff time; a first estimate to set beside quotes, not a budget.</p></section>")


def verdicts_html(check: InitiativeCheck) -> str:
    items = "".join(f"<li data-metric='{html.escape(r['metric'])}'><strong>{html.escape(r['label'])}:</strong> "
                    f"{html.escape(r['sentence'])}</li>" for _, r in check.lines.iterrows())
    return f"<section class='verdicts'><h2>What it means, metric by metric</h2><ul>{items}</ul></section>"


def chart_html(check: InitiativeCheck) -> str:
    lines = check.lines
    fig = initiative_figure(lines, check.target_label)
    alt = "Planned values against peers: " + " ".join(
        f"{r['label']}: planned {figure_text(METRIC_BY_NAME[r['metric']], r['planned'])}, now "
        f"{figure_text(METRIC_BY_NAME[r['metric']], r['current'])}, peers' median {r['median_text']}, projected "
        f"{figure_text(METRIC_BY_NAME[r['metric']], r['projected_median'])} in {check.target_label}."
        for _, r in lines.iterrows())
    return ("<section><h2>Today and the target year</h2>"
            + figure_html(fig, alt, "Bar: the middle half of the peers today (25th to 75th percentile) with "
                                    "their median; hollow circle: their median projected to "
                                    f"{check.target_label}; diamond: your plan; cross: your figure now; "
                                    "dashed lines: goals.") + "</section>")


def method_html(check: InitiativeCheck) -> str:
    rep = check.report
    return ("<section class='method'><h2>How this was worked out</h2><ul>"
            "<li>Peers are the <em>other</em> districts of your county; when fewer than "
            f"{rep.min_peers} of them reported a figure, districts of your size in the state, then the whole "
            "state. The group used is named in the table.</li>"
            "<li>Where a planned value would stand today: against the figures of the peers this page shows, "
            "their middle half (25th to 75th percentile) and median, or for a small group only the median or a "
            "band around it. It is called ahead of or behind most peers only outside their middle half. It is "
            "never ranked among the peers' own figures, so that trying plan after plan teaches nothing about a "
            "neighbour beyond what the page prints.</li>"
            "<li>Projection: a straight line fitted by least squares through the peers' median of each school "
            f"year on record up to {rep.school_year}, extended to {check.target_label}. It assumes the past pace "
            "continues; it is not a forecast and carries no interval. The verdict for "
            f"{check.target_label} says which side of that projected median the plan lies, or about it within "
            f"{rep.rules.tolerance:.0%}; today's verdict is beside it.</li>"
            "<li>Cost: devices to buy a year (the growth to the planned devices per student, spread over the years "
            "to the target, and replacements at the planned refresh share) at the peers' median device price, and "
            "the planned bandwidth at their median monthly cost per Mbps, both as this page shows them; your "
            "enrollment and figures of this year.</li>"
            f"<li>Goals: {html.escape(goals_sentence())}</li></ul></section>")


def footer_html(check: InitiativeCheck) -> str:
    """The district report's provenance footer, with the plan among its parameters."""
    return district_footer(check.report)


__all__ = ["DEFAULT_PLAN", "InitiativeCheck", "parse_plan", "load_initiative_check", "plan_lines", "plan_sentence",
           "header_html", "plan_table_html", "verdicts_html", "plan_costs", "cost_html", "chart_html", "method_html",
           "footer_html"]
