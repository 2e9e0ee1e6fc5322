"""Charts draw only what disclosure allows: checked on the drawn objects (bars, lines), not on pixels."""

import duckdb
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from benchmarks.disclosure import displayable  # noqa: E402
from benchmarks.metrics import METRIC_BY_NAME, METRICS  # noqa: E402
from benchmarks.peers import STORED_GROUPS  # noqa: E402
from benchmarks.plots import peer_band_figure  # noqa: E402
from benchmarks.report import iter_district_reports  # noqa: E402


def drawn_x(ax) -> list[float]:
    """Every x position the axes draw data at: bar edges and line points."""
    xs = []
    for patch in ax.patches:
        xs += [patch.get_x(), patch.get_x() + patch.get_width()]
    for line in ax.get_lines():
        xs += [float(x) for x in np.atleast_1d(line.get_xdata())]
    return xs


def allowed_x(stats: pd.DataFrame, metric: str) -> set[float]:
    """What a chart may draw for a metric: the shown statistics and bands, the district's own figure, goals."""
    m = METRIC_BY_NAME[metric]
    scale = 100 if m.unit == "%" else 1
    rows = stats[stats["metric"] == metric]
    values = pd.concat([rows[c] for c in ("p25", "median", "p75", "band_low", "band_high", "value")])
    return {round(v * scale, 9) for v in values.dropna()} | {round(g.value * scale, 9) for g in m.goals}


def undeclared(fig, stats, metrics) -> list[tuple[str, float]]:
    out = []
    for ax, metric in zip(fig.axes, metrics):
        ok = allowed_x(stats, metric)
        out += [(metric, x) for x in drawn_x(ax) if not any(abs(x - a) < 1e-6 for a in ok)]
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
    for ax, name in zip(fig.axes, names):
        status = shown.set_index(["metric", "group_kind"]).at[(name, "county"), "status"]
        county_y = len(STORED_GROUPS) - 1  # rows from the top: county first
        bars = [p for p in ax.patches if abs(p.get_y() + p.get_height() / 2 - county_y) < 1e-9]
        assert (len(bars) == 1 and bars[0].get_hatch() == "///") if status == "band" else bars == []
    plt.close(fig)
    # drawing the exact statistics instead would put the county's middle neighbours on the chart
    exact = rep.stats.assign(status=shown["status"].to_numpy())
    fig = peer_band_figure(exact, names)
    assert undeclared(fig, shown, names)
    plt.close(fig)
