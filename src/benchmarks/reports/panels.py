"""The drawn objects of a chart: panels of bars, lines, ranges and texts in data units, as a page shows them.

A panel keeps what it draws (the values, styles and legend labels), so tests inspect the marks themselves, not
pixels; reports.svg writes it. The drawing calls take matplotlib's names (barh, plot, axvline, errorbar).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from matplotlib.ticker import MaxNLocator


@dataclass
class Line:
    """A polyline in a panel, with markers at the points in `markevery` (all when None); `coords` says which
    of x and y are data values and which are fractions of the panel (an axis-wide goal line)."""

    xs: list[float]
    ys: list[float]
    color: str
    linestyle: str = "-"
    linewidth: float = 1.5
    marker: str | None = None
    markersize: float = 6.0
    markerfacecolor: str | None = None
    markeredgecolor: str | None = None
    markeredgewidth: float = 1.0
    markevery: list[int] | None = None
    label: str | None = None
    coords: tuple[str, str] = ("data", "data")
    zorder: float = 2.0


@dataclass
class Bar:
    """A horizontal bar from `left` to `left + width`, centred on y: filled, or hatched with no fill."""

    y: float
    left: float
    width: float
    height: float
    color: str = "none"
    alpha: float = 1.0
    edgecolor: str | None = None
    hatch: str | None = None
    label: str | None = None


@dataclass
class Range:
    """A vertical bar with caps from low to high at x (a value shown only as a range)."""

    x: float
    low: float
    high: float
    color: str
    linewidth: float = 2.2
    capsize: float = 4.0
    capthick: float = 1.6
    label: str | None = None


@dataclass
class Text:
    x: float
    y: float
    text: str
    size: float = 10.0
    color: str = "#222222"
    ha: str = "left"
    va: str = "baseline"
    coords: tuple[str, str] = ("data", "data")


def nice_ticks(lo: float, hi: float, nbins: int) -> list[float]:
    """Round tick values inside [lo, hi], as matplotlib's MaxNLocator picks them for an axis."""
    eps = (hi - lo) * 1e-9
    ticks = MaxNLocator(nbins=nbins, steps=[1, 2, 2.5, 5, 10]).tick_values(lo, hi)
    return [float(t) for t in ticks if lo - eps <= t <= hi + eps]


def tick_labels(values: list[float]) -> list[str]:
    """Labels with as many decimals as the finest tick needs, the same for all (0.80, 0.85 … 1.00)."""
    places = next((d for d in range(7) if all(abs(v - round(v, d)) < 1e-9 * max(1.0, abs(v)) for v in values)), 6)
    return [f"{v:.{places}f}".replace("-", "\u2212") if round(v, places) != 0 else f"{0:.{places}f}"
            for v in values]


@dataclass
class Panel:
    """One plotting area at (x0, y0) from the top left, w by h points, with its data limits and marks."""

    x0: float
    y0: float
    w: float
    h: float
    xlim: tuple[float, float] = (0.0, 1.0)
    ylim: tuple[float, float] = (0.0, 1.0)
    xticks: list[tuple[float, str]] = field(default_factory=list)
    yticks: list[tuple[float, str]] = field(default_factory=list)
    #: tick marks drawn on each axis (a band panel's group names stand without one), and its grid lines
    tick_marks: tuple[bool, bool] = (True, True)
    grid: str | None = None
    spines: tuple[str, ...] = ("bottom", "left")
    ytick_size: float = 10.0
    xtick_size: float = 10.0
    bars: list[Bar] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    ranges: list[Range] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    #: every mark in the order drawn: the legend lists labels in this order, as matplotlib's does
    drawn: list = field(default_factory=list)

    # drawing, in the words of matplotlib's Axes
    def barh(self, y, width, left, height, **style) -> None:
        self.bars.append(Bar(y, left, width, height, **style))
        self.drawn.append(self.bars[-1])

    def plot(self, xs, ys, **style) -> None:
        self.lines.append(Line([float(x) for x in xs], [float(y) for y in ys], **style))
        self.drawn.append(self.lines[-1])

    def axvline(self, x, **style) -> None:
        self.lines.append(Line([float(x)] * 2, [0.0, 1.0], coords=("data", "axes"), **style))
        self.drawn.append(self.lines[-1])

    def axhline(self, y, **style) -> None:
        self.lines.append(Line([0.0, 1.0], [float(y)] * 2, coords=("axes", "data"), **style))
        self.drawn.append(self.lines[-1])

    def errorbar(self, x, low, high, **style) -> None:
        self.ranges.append(Range(float(x), float(low), float(high), **style))
        self.drawn.append(self.ranges[-1])

    def text(self, x, y, text, **style) -> None:
        self.texts.append(Text(float(x), float(y), text, **style))

    def set_xticks(self, values, labels=None, size=None) -> None:
        self.xticks = list(zip(values, labels if labels is not None else tick_labels(list(values))))
        self.xtick_size = size or self.xtick_size

    def set_yticks(self, values, labels=None, size=None) -> None:
        self.yticks = list(zip(values, labels if labels is not None else tick_labels(list(values))))
        self.ytick_size = size or self.ytick_size

    # pixels: points from the chart's top left
    def px(self, v: float, coords: str = "data") -> float:
        frac = v if coords == "axes" else (v - self.xlim[0]) / ((self.xlim[1] - self.xlim[0]) or 1.0)
        return self.x0 + frac * self.w

    def py(self, v: float, coords: str = "data") -> float:
        frac = v if coords == "axes" else (v - self.ylim[0]) / ((self.ylim[1] - self.ylim[0]) or 1.0)
        return self.y0 + self.h - frac * self.h

    def legend_items(self) -> list[tuple[str, object]]:
        return [(m.label, m) for m in self.drawn if m.label and not m.label.startswith("_")]
