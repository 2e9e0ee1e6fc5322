"""Charts for the reports: peer quartile bands with the district's marker and goal lines, never a single peer.

The charts drawn for every district (the peer bands, the initiative check) are reports.svg Charts of
reports.panels, written as SVG directly; the board's state trends, drawn once per state, are a plain matplotlib Figure (no backend, no
global figure state). Every value is drawn as the text shows it (formats.display_value: rounded, shares in
percent), so a chart's coordinates are exactly as precise as the figures beside it.
"""

from __future__ import annotations

import base64
import html
import io

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from benchmarks.formats import display_value, missing
from benchmarks.registry.groups import PEER_GROUPS, STORED_GROUPS
from benchmarks.registry.metrics import METRIC_BY_NAME
from benchmarks.reports.panels import Panel, nice_ticks
from benchmarks.reports.svg import PT, Chart, text_width

# Okabe–Ito: distinguishable with the common colour-vision deficiencies and in greyscale by lightness.
PALETTE = {
    "band": "#56B4E9",
    "median": "#0072B2",
    "district": "#D55E00",
    "goal": "#009E73",
    "muted": "#999999",
    "text": "#222222",
}


def _style(ax) -> None:
    ax.spines[["top", "right", "left"]].set_visible(False)
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)


def _pad_limits(span: list[float]) -> tuple[float, float]:
    """Axis limits around the drawn values with some air; never below zero when every value is positive."""
    lo, hi = min(span), max(span)
    pad = (hi - lo) * 0.15 or abs(hi) * 0.2 or 1.0
    return (max(0.0, lo - pad) if lo >= 0 else lo - pad), hi + pad


#: How each line of a trend panel is drawn: told apart by marker and line style, not by colour alone.
TREND_STYLES = {
    "you": dict(color=PALETTE["district"], linestyle="-", marker="D", linewidth=2.2, markersize=6, zorder=4),
    "reference": dict(color=PALETTE["median"], linestyle="--", marker="o", linewidth=1.6, markersize=5,
                      markerfacecolor="white", zorder=3),
    "state": dict(color=PALETTE["text"], linestyle=":", marker="s", linewidth=1.6, markersize=4, zorder=2),
}


def _panel_title(ax: Panel, text: str, size: float, color: str) -> None:
    """A left-aligned title just above the panel."""
    ax.text(0, 1.04, text, coords=("axes", "axes"), va="bottom", size=size, color=color)


def _goal_lines(ax: Panel, metric_name: str, span: list[float], vertical: bool, label_at: float) -> None:
    """The metric's goal lines, drawn when they fall near the data (a far goal would squash the chart)."""
    for goal in METRIC_BY_NAME[metric_name].goals:
        gv = display_value(METRIC_BY_NAME[metric_name], goal.value)
        if span and gv > max(span) * 1.6:
            continue
        line = ax.axvline if vertical else ax.axhline
        line(gv, color=PALETTE["goal"], linestyle="--", linewidth=1.3, label=f"Goal: {goal.label}")
        xy = (gv, label_at) if vertical else (label_at, gv)
        ax.text(*xy, f" {goal.label}", color=PALETTE["goal"], size=8, va="bottom",
                coords=("data", "data") if vertical else ("axes", "data"))
        span.append(gv)


def _value_axis(ax: Panel, which: str, span: list[float], nbins: int, size: float = 10.0) -> None:
    """Limits around the drawn values (0 to 1 when nothing is drawn) and a few round ticks inside them."""
    lim = _pad_limits(span) if span else (0.0, 1.0)
    ticks = nice_ticks(*lim, nbins)
    if which == "x":
        ax.xlim = lim
        ax.set_xticks(ticks, size=size)
    else:
        ax.ylim = lim
        ax.set_yticks(ticks, size=size)


def _band_panel(ax: Panel, rows: dict[str, dict], name: str, kinds: list[str]) -> None:
    """Where the district stands now: each peer group's quartile band and median, the district's marker.

    rows: the metric's peer_stats row of each group kind, as a dict (a kind not in it: nothing to show)."""
    m = METRIC_BY_NAME[name]
    ys = list(range(len(kinds)))[::-1]
    own = next((r["value"] for r in rows.values() if not missing(r.get("value"))), None)
    span = []
    ax.ylim = (-0.6, len(ys) - 0.2)
    for y, kind in zip(ys, kinds):
        row = rows.get(kind, {})
        # Only what disclosure allows is drawn: quartile band and median, a small group's median alone,
        # or a range standing in for a figure. Never a single peer.
        status = row.get("status") if "status" in row else ("quartiles" if row.get("published") else "none")
        if status == "band" and not missing(row.get("band_low")):
            lo, hi = (display_value(m, row[c]) for c in ("band_low", "band_high"))
            ax.barh(y, hi - lo, left=lo, height=0.5, color="none", edgecolor=PALETTE["median"], hatch="///",
                    label="Range shown instead of a figure")
            span += [lo, hi]
        elif status in ("quartiles", "centre") and not missing(row.get("median")):
            med = display_value(m, row["median"])
            if status == "quartiles":
                p25, p75 = (display_value(m, row[c]) for c in ("p25", "p75"))
                ax.barh(y, p75 - p25, left=p25, height=0.5, color=PALETTE["band"], alpha=0.55,
                        label="Peers' middle half (25th–75th percentile)")
                span += [p25, p75]
            ax.plot([med, med], [y - 0.25, y + 0.25], color=PALETTE["median"], linewidth=2.5,
                    label="Peers' median")
            span.append(med)
        else:
            ax.text(0.01, y, "not enough peers to show", coords=("axes", "data"), va="center", size=8,
                    color=PALETTE["muted"])
    if own is not None:
        own_v = display_value(m, float(own))
        ax.axvline(own_v, color=PALETTE["district"], linewidth=2, linestyle="-")
        ax.plot([own_v] * len(ys), ys, marker="D", linestyle="none", color=PALETTE["district"], markersize=6)
        ax.plot([], [], **TREND_STYLES["you"], label="Your district")  # legend: the line with its diamonds
        span.append(own_v)
    _goal_lines(ax, name, span, vertical=True, label_at=ys[0] + 0.45)
    ax.set_yticks(ys, [PEER_GROUPS[k].label for k in kinds])
    _panel_title(ax, f"{m.label} ({m.unit})", size=10, color=PALETTE["text"])
    _value_axis(ax, "x", span, nbins=6)


#: The label of a trend year whose median is shown only as a band: drawn as a vertical bar over the band.
BAND_MARK_LABEL = "Median shown as a range (that year)"


def _trend_panel(ax: Panel, rows: list[dict], name: str, years: list[str]) -> None:
    """How the district and its peers' medians moved over the school years on record.

    rows: the metric's trend rows (school_year, series, label, value, low, high) as dicts; series "you",
    "reference" or "state"; every value is already what the report may show (the district's own figure, a
    group's shown median). A year whose median is shown only as a band (low and high, no value) is drawn as a
    vertical bar from low to high, and the line goes on through the band's middle, so it does not break; only
    the years with a figure get the line's marker."""
    m = METRIC_BY_NAME[name]
    x_of = {y: i for i, y in enumerate(years)}
    span = []
    for series in ("state", "reference", "you"):
        line = sorted((r for r in rows if r["series"] == series and (
            not missing(r["value"]) or (not missing(r.get("low")) and not missing(r.get("high"))))),
            key=lambda r: r["school_year"])
        if not line:
            continue
        xs, ys, marked = [], [], []
        for i, r in enumerate(line):
            xs.append(x_of[r["school_year"]])
            if missing(r["value"]):  # a year shown only as a band
                lo, hi = display_value(m, r["low"]), display_value(m, r["high"])
                ax.errorbar(xs[-1], lo, hi, color=TREND_STYLES[series]["color"], label=BAND_MARK_LABEL)
                ys.append(display_value(m, (r["low"] + r["high"]) / 2))  # the band's middle, on the display grid
                span += [lo, hi]
            else:
                ys.append(display_value(m, r["value"]))
                marked.append(i)
                span.append(ys[-1])
        # markers at the figures only; the legend's entry is the plain style
        ax.plot(xs, ys, **TREND_STYLES[series], markevery=None if len(marked) == len(xs) else marked,
                label=line[0]["label"])
    ax.xlim = (-0.3, len(years) - 0.7)
    ax.set_xticks(list(range(len(years))), years, size=8)
    _goal_lines(ax, name, span, vertical=False, label_at=0.0)
    _value_axis(ax, "y", span, nbins=4, size=8)
    _panel_title(ax, "Over the years", size=9, color=PALETTE["muted"])


def peer_band_figure(stats: pd.DataFrame, metrics: list[str], kinds: list[str] | None = None,
                     trends: pd.DataFrame | None = None) -> Chart:
    """One row per metric: the quartile band (25th–75th) and median of each shown peer group, the
    district's own value as a marker and the metric's goal lines; with `trends`, a second panel beside it
    with the district's value and its peers' medians over the school years.

    stats: the district's peer_stats rows (columns metric, group_kind, value, p25, median, p75, status);
    kinds: the peer groups to draw, top to bottom (default: the stored ones). The band panels are the
    chart's first panels, in metric order; the trend panels follow.
    """
    kinds = list(kinds or STORED_GROUPS)
    with_trends = trends is not None and not trends.empty
    width = 8.6 if with_trends else 7.5
    axes_h, gap, top, legend_h = 0.4 * len(kinds), 0.62, 0.3, 0.95
    height = len(metrics) * (axes_h + gap) - gap + top + legend_h
    # room on the left for the longest group label ("Custom group")
    left = max(0.95, max(text_width(PEER_GROUPS[k].label, 10.0) for k in kinds) / PT * 1.1 + 0.15)
    chart = Chart(width, height)
    # the panels' columns as a 3:2 grid with 0.16 of a column between them (matplotlib's gridspec rule)
    room = width - left - 0.12
    cell = room / (2 + 0.16) if with_trends else room
    band_w, trend_w = (cell * 2 * 3 / 5, cell * 2 * 2 / 5) if with_trends else (room, 0.0)
    tops = [(top + i * (axes_h + gap)) * PT for i in range(len(metrics))]
    # plain records, read once: pandas lookups per mark cost more than writing the whole SVG
    by_metric: dict[str, dict[str, dict]] = {}
    for r in stats.to_dict("records"):
        by_metric.setdefault(r["metric"], {}).setdefault(r["group_kind"], r)
    for y, name in zip(tops, metrics):
        _band_panel(chart.add_panel(left * PT, y, band_w * PT, axes_h * PT, tick_marks=(True, False), grid="x",
                                    spines=("bottom",)), by_metric.get(name, {}), name, kinds)
    if with_trends:
        years = sorted(trends["school_year"].unique())
        x = (left + band_w + 0.16 * cell) * PT
        trend_rows: dict[str, list[dict]] = {}
        for r in trends.to_dict("records"):
            trend_rows.setdefault(r["metric"], []).append(r)
        for y, name in zip(tops, metrics):
            _trend_panel(chart.add_panel(x, y, trend_w * PT, axes_h * PT, grid="y"), trend_rows.get(name, []),
                         name, years)
    chart.set_legend(ncol=3 if with_trends else 2)
    return chart


def initiative_figure(lines: pd.DataFrame, target_label: str) -> Chart:
    """One panel per planned metric: today's peer band and median, the median projected to the target
    year, the planned value, the district's value now and the goal lines.

    lines: initiative.plan_lines rows (metric, planned, current, p25, median, p75, projected_median).
    """
    panel_h, gap, top, ticks_h = 0.6, 0.65, 0.3, 0.35  # the legend adds its own rows below
    height = len(lines) * (panel_h + gap) - gap + top + ticks_h
    chart = Chart(7.5, height)
    for i, (_, r) in enumerate(lines.iterrows()):
        ax = chart.add_panel(0.25 * PT, (top + i * (panel_h + gap)) * PT, 7.1 * PT, panel_h * PT, grid="x",
                             spines=("bottom",))
        m = METRIC_BY_NAME[r["metric"]]
        keys = ("planned", "current", "p25", "median", "p75", "projected_median", "band_low", "band_high")
        v = {k: display_value(m, r[k]) if np.isfinite(r.get(k, np.nan)) else np.nan for k in keys}
        span = [x for x in v.values() if np.isfinite(x)]
        ax.ylim = (-0.6, 0.9)
        # Only what disclosure allows: the middle half when shown, the median, or a band instead of a figure.
        if np.isfinite(v["band_low"]):
            ax.barh(0, v["band_high"] - v["band_low"], left=v["band_low"], height=0.5, color="none",
                    edgecolor=PALETTE["median"], hatch="///", label="Peers: range shown instead of a figure")
        elif np.isfinite(v["median"]):
            if np.isfinite(v["p25"]) and np.isfinite(v["p75"]):
                ax.barh(0, v["p75"] - v["p25"], left=v["p25"], height=0.5, color=PALETTE["band"], alpha=0.55,
                        label="Peers' middle half today")
            ax.plot([v["median"]] * 2, [-0.25, 0.25], color=PALETTE["median"], linewidth=2.5,
                    label="Peers' median today")
        else:
            ax.text(0.01, 0, "not enough peers to show", coords=("axes", "data"), va="center", size=8,
                    color=PALETTE["muted"])
        if np.isfinite(v["projected_median"]):
            ax.plot([v["projected_median"]], [0], marker="o", markersize=9, markerfacecolor="white",
                    markeredgecolor=PALETTE["median"], markeredgewidth=2, linestyle="none",
                    color=PALETTE["median"], label=f"Peers' median projected to {target_label}")
        if np.isfinite(v["current"]):
            ax.plot([v["current"]], [0], marker="X", markersize=8, color=PALETTE["muted"], linestyle="none",
                    label="Your figure now")
        ax.plot([v["planned"]], [0], marker="D", markersize=9, color=PALETTE["district"], linestyle="none",
                label="Your plan")
        _goal_lines(ax, r["metric"], span, vertical=True, label_at=0.42)
        _value_axis(ax, "x", span, nbins=6)
        _panel_title(ax, f"{m.label} ({m.unit})", size=10, color=PALETTE["text"])
    chart.set_legend(ncol=3)
    return chart


def _shared_legend(fig, axes, ncol: int, fontsize: float = 8) -> None:
    """One legend under the figure for all panels, each label once."""
    handles: dict = {}
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(lab, h)
    fig.legend(list(handles.values()), list(handles), loc="lower center", ncol=ncol, frameon=False,
               fontsize=fontsize)


#: A metric's goal lines, in the order of its goals: each its own dash, so two goals on one panel (100 kbps and
#: 1 Mbps) are told apart in greyscale as well as by the label at the line's end.
GOAL_DASHES = ("--", ":", "-.")


def state_trend_figure(trend: pd.DataFrame, metrics: list[str]):
    """State quartile band per school year for each metric (trend: metric, school_year, p25, median, p75); each
    goal line in its own dash and labelled at its end."""
    cols = 3
    rows_n = int(np.ceil(len(metrics) / cols))
    fig = Figure(figsize=(10, 2.5 * rows_n))
    axes = fig.subplots(rows_n, cols, squeeze=False)
    for ax, name in zip(axes.flat, metrics):
        m = METRIC_BY_NAME[name]
        t = trend[trend["metric"] == name].sort_values("school_year")
        x = np.arange(len(t))
        ax.fill_between(x, display_value(m, t["p25"]), display_value(m, t["p75"]), color=PALETTE["band"], alpha=0.5,
                        label="Middle half of districts")
        ax.plot(x, display_value(m, t["median"]), color=PALETTE["median"], marker="o", linewidth=2, label="Median")
        for goal, dash in zip(m.goals, GOAL_DASHES):
            gv = display_value(m, goal.value)
            ax.axhline(gv, color=PALETTE["goal"], linestyle=dash, linewidth=1.6, label=f"Goal: {goal.label}")
            ax.text(1.0, gv, f"{goal.label} ", color=PALETTE["goal"], fontsize=9, ha="right", va="bottom",
                    transform=ax.get_yaxis_transform(), parse_math=False)
        ax.set_xticks(x, t["school_year"])
        ax.tick_params(labelsize=9)
        ax.set_title(f"{m.label} ({m.unit})", loc="left", fontsize=10, parse_math=False)
        ax.set_ylim(bottom=0)
        _style(ax)
        ax.grid(axis="y", color="#e5e5e5")
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_visible(False)
    _shared_legend(fig, axes.flat, ncol=3, fontsize=10)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


#: Charts are SVG with real text: crisp when printed or zoomed, smaller than a PNG, and quicker to write (no
#: glyph rasterizing). The text falls back to the reader's sans-serif font where DejaVu Sans is missing.
SVG_STYLE = {"svg.fonttype": "none", "svg.hashsalt": "district-benchmarks", "font.family": "sans-serif",
             "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica", "sans-serif"]}


def figure_svg(fig: Chart | Figure) -> bytes:
    """A chart's SVG: written directly, or by matplotlib for a Figure."""
    if isinstance(fig, Chart):
        return fig.svg().encode("utf-8")
    buf = io.BytesIO()
    with matplotlib.rc_context(SVG_STYLE):
        # the panels are already laid out: a "tight" bounding box would lay the figure out again
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


def figure_html(fig: Chart | Figure, alt: str, caption: str = "") -> str:
    """The chart as an embedded SVG image inside <figure>, with escaped alt text and caption (an SVG shown
    through <img> runs no script and loads nothing)."""
    data = base64.b64encode(figure_svg(fig)).decode("ascii")
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return (f'<figure class="chart"><img src="data:image/svg+xml;base64,{data}" '
            f'alt="{html.escape(alt, quote=True)}">{cap}</figure>')
