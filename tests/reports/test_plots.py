"""Charts draw only what disclosure allows: checked on the drawn objects (bars, lines), not on pixels, and on
the SVG as the audit reads it back."""

import duckdb
import numpy as np
import pandas as pd

from benchmarks.formats import display_value, scale
from benchmarks.privacy.disclosure import displayable
from benchmarks.registry.groups import STORED_GROUPS
from benchmarks.registry.metrics import METRIC_BY_NAME, METRICS
from benchmarks.reports.district import iter_district_reports
from benchmarks.reports.plots import peer_band_figure


def drawn_x(ax) -> list[float]:
    """Every x position a panel draws data at: bar edges and line points."""
    xs = []
    for bar in ax.bars:
        xs += [bar.left, bar.left + bar.width]
    for line in ax.lines:
        xs += line.xs
    return xs


def allowed_x(stats: pd.DataFrame, metric: str) -> set[float]:
    """What a chart may draw for a metric: the shown statistics and bands, the district's own figure and the
    goals, each exactly as the page's text shows it (rounded, shares in percent)."""
    m = METRIC_BY_NAME[metric]
    rows = stats[stats["metric"] == metric]
    values = pd.concat([rows[c] for c in ("p25", "median", "p75", "band_low", "band_high", "value")])
    return {display_value(m, v) for v in values.dropna()} | {display_value(m, g.value) for g in m.goals}


def undeclared(fig, stats, metrics) -> list[tuple[str, float]]:
    """Drawn positions that are not a shown figure as the text rounds it (1e-9: float noise of the drawing)."""
    out = []
    for ax, metric in zip(fig.panels, metrics):
        ok = allowed_x(stats, metric)
        out += [(metric, x) for x in drawn_x(ax) if not any(abs(x - a) < 1e-9 for a in ok)]
    return out


def test_band_chart_draws_no_peer_figure(demo_project):
    con = duckdb.connect(str(demo_project.warehouse), read_only=True)
    district = con.execute("SELECT min(pseudonym) FROM district_metrics WHERE school_year = '2025-26' "
                           "AND county = 'Kestrel County'").fetchone()[0]
    con.close()
    rep = next(iter_district_reports(demo_project.warehouse, "2025-26", [district]))
    names = [m.name for m in METRICS]
    shown = displayable(rep.stats)
    fig = peer_band_figure(shown, names)
    assert undeclared(fig, shown, names) == []
    # the county (8 others) gets no quartile bar: only its median tick or a hatched range
    for ax, name in zip(fig.panels, names):
        status = shown.set_index(["metric", "group_kind"]).at[(name, "county"), "status"]
        county_y = len(STORED_GROUPS) - 1  # rows from the top: county first
        bars = [b for b in ax.bars if abs(b.y - county_y) < 1e-9]
        assert (len(bars) == 1 and bars[0].hatch == "///") if status == "band" else bars == []
    # drawing the exact statistics instead would put the county's middle neighbours on the chart
    exact = rep.stats.assign(status=shown["status"].to_numpy())
    fig = peer_band_figure(exact, names)
    assert undeclared(fig, shown, names)


def test_chart_coordinates_are_as_precise_as_the_text(demo_project, monkeypatch):
    """Reading a chart's coordinates gives the shown figures as rounded on the page, nothing finer: the
    smoothed median 1.1333… is drawn at 1.13 like the text says."""
    from benchmarks.reports import plots

    con = duckdb.connect(str(demo_project.warehouse), read_only=True)
    districts = [r[0] for r in con.execute("SELECT pseudonym FROM district_metrics WHERE school_year = '2025-26' "
                                           "AND county = 'Kestrel County' ORDER BY pseudonym").fetchall()]
    con.close()
    names = [m.name for m in METRICS]
    for rep in iter_district_reports(demo_project.warehouse, "2025-26", districts[:3]):
        shown = displayable(rep.stats)
        assert undeclared(peer_band_figure(shown, names), shown, names) == []
    # the guard off: drawn unrounded (display units only), the chart carries finer figures than the text
    monkeypatch.setattr(plots, "display_value", lambda m, x: np.asarray(x, dtype="float64") * scale(m) + 0.0)
    leaks = undeclared(peer_band_figure(shown, names), shown, names)
    assert len(leaks) > 10


def _trend_case(demo_project):
    from benchmarks.reports.district import load_district_report, trend_lines

    con = duckdb.connect(str(demo_project.warehouse), read_only=True)
    district = con.execute("SELECT min(pseudonym) FROM district_metrics WHERE school_year = '2025-26' "
                           "AND county = 'Kestrel County'").fetchone()[0]
    own = con.execute("SELECT * FROM district_metrics WHERE pseudonym = ?", [district]).df()
    con.close()
    rep = load_district_report(demo_project.warehouse, district, "2025-26")
    return rep, own, trend_lines(rep)


def test_trend_panels_draw_own_figures_and_shown_medians_only(demo_project):
    rep, own, lines = _trend_case(demo_project)
    names = [m.name for m in METRICS]
    fig = peer_band_figure(displayable(rep.stats), names, rep.group_kinds, lines)
    trend_axes = fig.panels[len(names):]
    assert len(trend_axes) == len(names)
    h = rep.history
    for ax, name in zip(trend_axes, names):
        m = METRIC_BY_NAME[name]
        # allowed: the district's own figures (from district_metrics), the stored shown medians of its groups
        # in each year, the goals, each as the text rounds it; the drawn y values must all be among them
        # (a year shown as a band: its two ends, and the line goes through the band's middle)
        mine = h[h["metric"] == name]
        ok = ({display_value(m, v) for v in own[name].dropna()}
              | {display_value(m, v) for v in mine["show_median"].dropna()}
              | {display_value(m, v) for v in pd.concat([mine["band_low"], mine["band_high"]]).dropna()}
              | {display_value(m, (lo + hi) / 2) for lo, hi in zip(mine["band_low"], mine["band_high"])
                 if np.isfinite(lo)}
              | {display_value(m, g.value) for g in m.goals})
        ys = [y for line in ax.lines for y in line.ys]
        assert ys and all(any(abs(y - a) < 1e-9 for a in ok) for y in ys), name
        # the district's line has one point per year it submitted
        you = [line for line in ax.lines if line.label == "Your district"]
        assert len(you) == 1 and len(you[0].ys) == own[name].notna().sum()


def _greyscale_signature(handle) -> tuple:
    """What is left of a legend entry on a greyscale print: lightness, line style, marker, hatch."""
    from matplotlib.colors import to_rgba

    from benchmarks.reports.panels import Line, Range

    def lightness(c, alpha=1.0):
        r, g, b, a = to_rgba(c, None if c == "none" else alpha)
        return round((0.299 * r + 0.587 * g + 0.114 * b) * a + (1 - a), 1)  # on white paper

    if isinstance(handle, Line):
        return ("line", handle.linestyle, handle.marker, lightness(handle.color))
    if isinstance(handle, Range):  # an error bar's entry: a vertical bar with caps
        return ("bar", lightness(handle.color))
    return ("patch", handle.hatch, lightness(handle.color, handle.alpha))


def test_chart_legends_survive_greyscale_printing(demo_project):
    """Every kind of mark differs in more than hue: two entries of a legend look alike in greyscale only
    when they are the same kind (goal lines, labelled on the chart; a reference group's median)."""
    rep, _, lines = _trend_case(demo_project)
    names = [m.name for m in METRICS]
    fig = peer_band_figure(displayable(rep.stats), names, rep.group_kinds, lines)
    entries = dict(fig.legend)
    assert {"Your district", "Peers' median", "State median", "County median"} <= set(entries)

    def kind(label):
        if label.startswith("Goal:"):
            return "goal"
        return "reference" if label.endswith(" median") and label not in ("State median", "Peers' median") else label

    seen: dict = {}
    for label, handle in entries.items():
        seen.setdefault(_greyscale_signature(handle), set()).add(kind(label))
    assert all(len(kinds) == 1 for kinds in seen.values()), seen


def test_charts_are_drawn_without_pyplot_or_a_backend():
    """Importing the reports and drawing a chart selects no backend and starts no pyplot state (a fresh
    interpreter, so no other test's import of pyplot counts)."""
    import os
    import subprocess
    import sys

    code = """
import sys
import pandas as pd
import benchmarks.reports.board, benchmarks.reports.district, benchmarks.reports.initiative
from benchmarks.reports.plots import figure_html, state_trend_figure
trend = pd.DataFrame({"metric": "wifi6_share", "school_year": ["2024-25", "2025-26"], "p25": [0.2, 0.3],
                      "median": [0.3, 0.4], "p75": [0.4, 0.5]})
page = figure_html(state_trend_figure(trend, ["wifi6_share"]), "alt")
assert page.startswith('<figure class="chart"><img src="data:image/svg+xml;base64,'), page[:80]
assert "matplotlib.pyplot" not in sys.modules
"""
    env = {**os.environ, "MPLBACKEND": "module://no_such_backend"}  # any backend lookup would fail
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_a_band_year_is_a_range_marker_on_an_unbroken_trend(demo_project):
    """Kestrel County's refresh cycle is shown only as a band in some years: the county's dashed line goes
    through every year (at a band's middle), each band year is drawn as a vertical bar from the band's low to
    its high end, and only the figure years get the line's circles."""
    from benchmarks.reports.plots import BAND_MARK_LABEL

    rep, _, lines = _trend_case(demo_project)
    name = "refresh_cycle_years"
    names = [m.name for m in METRICS]
    fig = peer_band_figure(displayable(rep.stats), names, rep.group_kinds, lines)
    ax = fig.panels[len(names) + names.index(name)]
    ref = lines[(lines["metric"] == name) & (lines["series"] == "reference")].sort_values("school_year")
    years = sorted(lines["school_year"].unique())
    banded = ref[ref["stat"] == "band"]
    assert len(banded) >= 2 and len(ref) == len(years)
    m = METRIC_BY_NAME[name]
    # the county's line: one point per year, a band year at the middle of its band
    county = [line for line in ax.lines if line.linestyle == "--" and len(line.xs) > 0]
    assert len(county) == 1
    expected = [(lo + hi) / 2 if stat == "band" else v for lo, hi, v, stat in
                zip(ref["low"], ref["high"], ref["value"], ref["stat"])]
    assert county[0].xs == list(range(len(years)))
    assert np.allclose(county[0].ys, [display_value(m, y) for y in expected])
    figure_years = [i for i, stat in enumerate(ref["stat"]) if stat != "band"]
    marks = county[0].markevery
    assert (list(range(len(years))) if marks is None else list(marks)) == figure_years
    # a vertical bar per band year, from its shown low to its shown high, in the county's colour
    bars = [r for r in ax.ranges if r.label == BAND_MARK_LABEL]
    assert len(bars) == len(banded) and {r.color for r in bars} == {county[0].color}
    drawn = sorted((round(r.low, 9), round(r.high, 9), r.x) for r in bars)
    want = sorted((display_value(m, lo), display_value(m, hi), float(years.index(y)))
                  for lo, hi, y in zip(banded["low"], banded["high"], banded["school_year"]))
    assert drawn == want
    assert BAND_MARK_LABEL in [label for label, _ in fig.legend]
    # before: a band year had no value, so the dashed line broke into lone points (here: none at all)
    broken = peer_band_figure(displayable(rep.stats), names, rep.group_kinds,
                              lines.assign(low=np.nan, high=np.nan))
    ax = broken.panels[len(names) + names.index(name)]
    assert [len(line.xs) for line in ax.lines if line.linestyle == "--"] \
        == [len(figure_years)] * bool(figure_years)


def _svg_texts(chart) -> list[tuple[str, float, float, str, float]]:
    """Every text the chart's SVG writes: (text, x, y, anchor, size in points), read from the file."""
    import re
    import xml.etree.ElementTree as ET

    root = ET.fromstring(chart.svg())
    out = []
    for t in root.iter("{http://www.w3.org/2000/svg}text"):
        style = dict(part.split(": ") for part in t.get("style").split("; "))
        out.append(("".join(t.itertext()), float(t.get("x")), float(t.get("y")), style.get("text-anchor", "start"),
                    float(re.sub("px$", "", style["font-size"]))))
    return out


def test_the_longest_group_label_fits_in_the_figure(demo_project):
    """A custom report's band panels name the custom group: its label, measured with the font's own advance
    widths (Pillow, apart from the chart's measure), lies inside the chart (it was drawn from left of the
    page, "ustom group")."""
    from matplotlib import font_manager
    from PIL import ImageFont

    font = font_manager.findfont("DejaVu Sans")
    rep, _, lines = _trend_case(demo_project)
    stats = displayable(rep.stats)
    custom = stats[stats["group_kind"] == "state"].assign(group_kind="custom")  # a stand-in row per metric
    names = [m.name for m in METRICS][:3]
    for trends in (None, lines):
        chart = peer_band_figure(pd.concat([stats, custom]), names, [*rep.group_kinds, "custom"], trends)
        texts = _svg_texts(chart)
        assert [t for t in texts if t[0] == "Custom group"]
        for text, x, _, anchor, size in texts:
            width = ImageFont.truetype(font, 100).getlength(text) * size / 100
            left = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
            assert 0 <= left and left + width <= chart.width, (text, left, width)


def test_the_svg_reads_back_as_the_audit_reads_it(demo_project):
    """What the audit decodes from the written SVG is what the chart drew: every panel's title, and from the
    ticks' positions each band's ends and each median back to within the file's precision. An SVG the audit
    could not read would pass every chart check unseen."""
    from benchmarks.privacy.audit import read_svg

    rep, _, lines = _trend_case(demo_project)
    names = [m.name for m in METRICS]
    shown = displayable(rep.stats)
    chart = peer_band_figure(shown, names, rep.group_kinds, lines)
    texts, marks = read_svg(chart.svg())
    assert {f"{METRIC_BY_NAME[n].label} ({METRIC_BY_NAME[n].unit})" for n in names} <= set(texts)
    for ax, name in zip(chart.panels, names):
        read = [mk.value for mk in marks if mk.metric is METRIC_BY_NAME[name] and mk.axis == "x"]
        drawn = drawn_x(ax)
        assert drawn and read
        assert all(any(abs(v - r) <= 1e-4 * max(1.0, abs(v)) for r in read) for v in drawn), name
        assert all(any(abs(v - r) <= 1e-4 * max(1.0, abs(v)) for v in drawn) for r in read), name
    for ax, name in zip(chart.panels[len(names):], names):  # trend panels: the y values, matched by row
        read = [mk.value for mk in marks if mk.metric is METRIC_BY_NAME[name] and mk.axis == "y"]
        drawn = [y for line in ax.lines if line.coords[1] == "data" for y in line.ys]
        assert drawn and all(any(abs(v - r) <= 1e-4 * max(1.0, abs(v)) for r in read) for v in drawn), name


def test_board_goal_lines_are_labelled_and_told_apart_by_dash():
    """Bandwidth has two goals on one panel (FCC 2014: 100 kbps; long term: 1 Mbps): each is drawn at its value
    in its own dash and labelled at the line, and the legend is legible (10 pt)."""
    import pandas as pd

    from benchmarks.reports.plots import state_trend_figure

    trend = pd.DataFrame({"metric": "bandwidth_kbps_per_student", "school_year": ["2024-25", "2025-26"],
                          "p25": [500.0, 600.0], "median": [900.0, 1100.0], "p75": [1500.0, 1800.0]})
    fig = state_trend_figure(trend, ["bandwidth_kbps_per_student"])
    ax = fig.axes[0]
    goals = {line.get_label(): (line.get_linestyle(), line.get_ydata()[0]) for line in ax.get_lines()
             if line.get_label().startswith("Goal")}
    assert goals == {"Goal: 100 kbps": ("--", 100.0), "Goal: 1 Mbps": (":", 1000.0)}
    labels = {t.get_text().strip(): t.get_position()[1] for t in ax.texts}
    assert labels == {"100 kbps": 100.0, "1 Mbps": 1000.0}
    [legend] = fig.legends
    assert {t.get_text() for t in legend.get_texts()} >= {"Goal: 100 kbps", "Goal: 1 Mbps", "Median"}
    assert min(t.get_fontsize() for t in legend.get_texts()) >= 10
