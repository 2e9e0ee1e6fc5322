"""A district's figures over the school years: its own line, its reference group's and the state's shown
medians, and those lines as a table and in words."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from benchmarks.formats import figure_text
from benchmarks.privacy.disclosure import group_figures
from benchmarks.registry.groups import FALLBACK_ORDER, PEER_GROUPS
from benchmarks.registry.metrics import METRIC_BY_NAME, METRICS
from benchmarks.reports.district.data import DistrictReport, reference_row, rows_by_metric
from benchmarks.reports.html import tagged

TREND_COLUMNS = ["metric", "school_year", "series", "group_kind", "label", "value", "low", "high", "text", "stat"]


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


def series_of(lines: pd.DataFrame) -> dict[str, list[list[dict]]]:
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
    series = series_of(lines)
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


def trend_alt(series: list[list[dict]]) -> str:
    """A metric's lines over the years in words (the chart's alt text); series: its lines (series_of)."""
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
