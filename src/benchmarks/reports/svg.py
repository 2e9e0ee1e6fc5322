"""A chart written as SVG directly: reports.panels laid out in points, and one legend under them.

The district report draws one chart per area for every district, and matplotlib spent about a second on each
(laying out and measuring every tick label to write a few hundred lines of SVG). This writer keeps what a page
needs and nothing else: fixed layouts, text placed by its anchor, only the legend's labels measured (once,
cached). The SVG keeps the structure matplotlib writes and `privacy.audit.charts` decodes: an `axes_N` group per
panel whose first `patch_N` is its frame, `xtick_N`/`ytick_N` groups holding a tick's grid line or mark and its
label, the legend in `legend_1`, coordinates to six decimals of a point.
"""

from __future__ import annotations

import html
import math
from functools import lru_cache

from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextToPath

from benchmarks.reports.panels import Bar, Line, Panel, Range, Text

#: Points per inch: the SVG's user unit is the point, as in matplotlib's SVGs.
PT = 72.0
FONT_FAMILY = "'DejaVu Sans', 'Arial', 'Helvetica', sans-serif"
#: Where a text's baseline sits from its anchor, in font sizes (DejaVu Sans): centred, or hanging below.
_CENTRE_BASELINE, _CAP_HEIGHT, _DESCENT = 0.364, 0.76, 0.236
TICK_LENGTH, TICK_PAD, SPINE_WIDTH = 3.5, 3.5, 0.8
HATCH_ID = "hatch"
#: Marker outlines around (0, 0), for a marker size in points (matplotlib's 'D', 'o', 's' at the same size).
_MARKER_PATHS = {
    "D": lambda s: f"M 0 {-s * 0.7071:.6f} L {s * 0.7071:.6f} 0 L 0 {s * 0.7071:.6f} L {-s * 0.7071:.6f} 0 z",
    "o": lambda s: (f"M {-s / 2:.6f} 0 A {s / 2:.6f} {s / 2:.6f} 0 1 0 {s / 2:.6f} 0 "
                    f"A {s / 2:.6f} {s / 2:.6f} 0 1 0 {-s / 2:.6f} 0 z"),
    "X": lambda s: _cross(s / 2, s / 6),
    "s": lambda s: f"M {-s / 2:.6f} {-s / 2:.6f} L {s / 2:.6f} {-s / 2:.6f} L {s / 2:.6f} {s / 2:.6f} "
                   f"L {-s / 2:.6f} {s / 2:.6f} z",
}
def _cross(r: float, t: float) -> str:
    """An 'X' of arms reaching r from the centre, t thick: a plus sign's outline turned by 45 degrees."""
    plus = [(t, t), (t, r), (-t, r), (-t, t), (-r, t), (-r, -t), (-t, -t), (-t, -r), (t, -r), (t, -t), (r, -t), (r, t)]
    c = math.sqrt(0.5)
    return "M " + " L ".join(f"{(x - y) * c:.6f} {(x + y) * c:.6f}" for x, y in plus) + " z"


_DASHES = {"-": None, "--": (3.7, 1.6), ":": (1, 1.65), "-.": (6.4, 1.6, 1, 1.6)}


@lru_cache(maxsize=4096)
def text_width(text: str, size: float) -> float:
    """How wide the default font draws a text at a size in points (cached: labels repeat on every page)."""
    return TextToPath().get_text_width_height_descent(text, FontProperties(size=size), ismath=False)[0]


def _n(v: float) -> str:
    """A coordinate as matplotlib writes it: six decimals at most, no trailing zeros."""
    s = f"{v:.6f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _style(**props) -> str:
    return "; ".join(f"{k.replace('_', '-')}: {v}" for k, v in props.items() if v is not None)


def _dash(linestyle: str, width: float) -> str | None:
    pattern = _DASHES.get(linestyle)
    return None if pattern is None else ", ".join(_n(p * width) for p in pattern)


def _text_svg(x: float, y: float, t: Text | str, size: float, color: str, anchor: str, va: str) -> str:
    text = t if isinstance(t, str) else t.text
    shift = {"center": _CENTRE_BASELINE, "top": _CAP_HEIGHT, "bottom": -_DESCENT, "baseline": 0.0}[va] * size
    anchor = {"left": "start", "center": "middle", "right": "end"}.get(anchor, anchor)
    keep = ' xml:space="preserve"' if text != text.strip() else ""
    style = _style(font_size=f"{_n(size)}px", fill=color, text_anchor=anchor)
    return (f'<text x="{_n(x)}" y="{_n(y + shift)}"{keep} style="{style}">'
            f"{html.escape(text, quote=False)}</text>")


class Chart:
    """A chart of panels and one legend under them, `width` by `height` inches, written by `svg()`."""

    def __init__(self, width: float, height: float):
        self.width, self.height = width * PT, height * PT
        self.panels: list[Panel] = []
        self.legend: list[tuple[str, object]] = []
        self.legend_ncol, self.legend_size = 2, 8.0
        self._ids: dict[str, int] = {}

    def add_panel(self, left: float, top: float, width: float, height: float, **opts) -> Panel:
        """A panel at `left`, `top` (points from the chart's top left), `width` by `height` points."""
        panel = Panel(left, top, width, height, **opts)
        self.panels.append(panel)
        return panel

    def set_legend(self, ncol: int, size: float = 8.0) -> None:
        """One legend for all panels, each label once, in the order the panels first draw them."""
        seen: dict[str, object] = {}
        for panel in self.panels:
            for label, mark in panel.legend_items():
                seen.setdefault(label, mark)
        self.legend, self.legend_ncol, self.legend_size = list(seen.items()), ncol, size
        # the chart grows to fit the legend under the lowest panel's tick labels, however many rows it has
        lowest = max((p.y0 + p.h + TICK_LENGTH + TICK_PAD + 1.2 * p.xtick_size for p in self.panels), default=0.0)
        self.height = max(self.height, lowest + size + self._legend_height())

    def _legend_height(self) -> float:
        return (math.ceil(len(self.legend) / self.legend_ncol) * 1.5 + 0.9) * self.legend_size if self.legend else 0.0

    def _id(self, kind: str) -> str:
        self._ids[kind] = self._ids.get(kind, 0) + 1
        return f"{kind}_{self._ids[kind]}"

    def svg(self) -> str:
        self._ids = {}
        w, h = _n(self.width), _n(self.height)
        head = (f'<svg xmlns:xlink="http://www.w3.org/1999/xlink" width="{w}pt" height="{h}pt" '
                f'viewBox="0 0 {w} {h}" xmlns="http://www.w3.org/2000/svg" version="1.1">'
                f"<defs><style type=\"text/css\">*{{stroke-linejoin: round; stroke-linecap: butt}} "
                f"text{{font-family: {FONT_FAMILY}}}</style>{self._defs()}</defs>")
        body = [(f'<g id="figure_1"><g id="{self._id("patch")}"><path d="M 0 {h} L {w} {h} L {w} 0 L 0 0 z" '
                 'style="fill: #ffffff"/></g>')]
        body += [self._panel_svg(i + 1, p) for i, p in enumerate(self.panels)]
        body.append(self._legend_svg())
        return head + "".join(body) + "</g></svg>\n"

    def _defs(self) -> str:
        """Marker shapes by kind and size, and the hatch of a range drawn instead of a figure."""
        shapes = {(m.marker, m.markersize) for p in self.panels for m in p.lines if m.marker}
        shapes |= {(m.marker, m.markersize) for _, m in self.legend if isinstance(m, Line) and m.marker}
        defs = "".join(f'<path id="m{kind}{_n(size).replace(".", "_")}" d="{_MARKER_PATHS[kind](size)}"/>'
                       for kind, size in sorted(shapes))
        hatch = next((b.edgecolor for p in self.panels for b in p.bars if b.hatch), None)
        if hatch:
            defs += (f'<pattern id="{HATCH_ID}" patternUnits="userSpaceOnUse" width="4.5" height="4.5">'
                     f'<path d="M -1 1 L 1 -1 M 0 4.5 L 4.5 0 M 3.5 5.5 L 5.5 3.5" '
                     f'style="stroke: {hatch}; stroke-width: 1"/></pattern>')
        return defs

    def _panel_svg(self, n: int, p: Panel) -> str:
        x1, y1 = p.x0 + p.w, p.y0 + p.h
        out = [(f'<g id="axes_{n}"><g id="{self._id("patch")}"><path d="M {_n(p.x0)} {_n(y1)} L {_n(x1)} '
                f'{_n(y1)} L {_n(x1)} {_n(p.y0)} L {_n(p.x0)} {_n(p.y0)} z" style="fill: #ffffff"/></g>')]
        out.append(self._ticks_svg(p, "x"))
        out.append(self._ticks_svg(p, "y"))
        for bar in p.bars:
            out.append(self._bar_svg(p, bar))
        for line in sorted(p.lines, key=lambda m: m.zorder):
            out.append(self._line_svg(p, line))
        for r in p.ranges:
            out.append(self._range_svg(p, r))
        for side in p.spines:
            xa, ya, xb, yb = {"bottom": (p.x0, y1, x1, y1), "left": (p.x0, y1, p.x0, p.y0),
                              "top": (p.x0, p.y0, x1, p.y0), "right": (x1, y1, x1, p.y0)}[side]
            out.append(f'<g id="{self._id("patch")}"><path d="M {_n(xa)} {_n(ya)} L {_n(xb)} {_n(yb)}" '
                       f'style="fill: none; stroke: #000000; stroke-width: {SPINE_WIDTH}; '
                       'stroke-linecap: square"/></g>')
        for t in p.texts:
            x, y = p.px(t.x, t.coords[0]), p.py(t.y, t.coords[1])
            out.append(f'<g id="{self._id("text")}">{_text_svg(x, y, t, t.size, t.color, t.ha, t.va)}</g>')
        return "".join(out) + "</g>"

    def _ticks_svg(self, p: Panel, which: str) -> str:
        x_axis = which == "x"
        ticks, mark, size = (p.xticks, p.tick_marks[0], p.xtick_size) if x_axis else \
            (p.yticks, p.tick_marks[1], p.ytick_size)
        room = (TICK_LENGTH if mark else 0.0) + TICK_PAD
        # across the axis: where its line is (base), the panel's far side, and the way tick marks point
        base, far, outward = (p.y0 + p.h, p.y0, 1.0) if x_axis else (p.x0, p.x0 + p.w, -1.0)

        def across(at: float, a: float, b: float) -> str:
            return f"M {_n(at)} {_n(a)} L {_n(at)} {_n(b)}" if x_axis else f"M {_n(a)} {_n(at)} L {_n(b)} {_n(at)}"

        out = [f'<g id="matplotlib.axis_{self._id("axis")}">']
        for value, label in ticks:
            at = p.px(value) if x_axis else p.py(value)
            parts = []
            if p.grid == which:
                parts.append(f'<path d="{across(at, base, far)}" style="fill: none; stroke: #e5e5e5; '
                             'stroke-width: 0.8; stroke-linecap: square"/>')
            if mark:
                parts.append(f'<path d="{across(at, base, base + outward * TICK_LENGTH)}" '
                             'style="stroke: #000000; stroke-width: 0.8"/>')
            parts.append(_text_svg(at, base + room, label, size, "#000000", "center", "top") if x_axis else
                         _text_svg(base - room, at, label, size, "#000000", "right", "center"))
            out.append(f'<g id="{self._id(which + "tick")}">{"".join(parts)}</g>')
        return "".join(out) + "</g>"

    def _bar_svg(self, p: Panel, bar: Bar) -> str:
        xa, xb = p.px(bar.left), p.px(bar.left + bar.width)
        ya, yb = p.py(bar.y - bar.height / 2), p.py(bar.y + bar.height / 2)
        fill = f"url(#{HATCH_ID})" if bar.hatch else bar.color
        style = _style(fill=fill, opacity=_n(bar.alpha) if bar.alpha != 1 else None, stroke=bar.edgecolor,
                       stroke_width="1" if bar.edgecolor else None)
        return (f'<g id="{self._id("patch")}"><path d="M {_n(xa)} {_n(ya)} L {_n(xb)} {_n(ya)} L {_n(xb)} {_n(yb)} '
                f'L {_n(xa)} {_n(yb)} z" style="{style}"/></g>')

    def _line_svg(self, p: Panel, line: Line) -> str:
        pts = [(p.px(x, line.coords[0]), p.py(y, line.coords[1])) for x, y in zip(line.xs, line.ys)]
        out = [f'<g id="{self._id("line2d")}">']
        if line.linestyle not in ("none", "") and len(pts) > 1:
            d = " L ".join(f"{_n(x)} {_n(y)}" for x, y in pts)
            out.append(f'<path d="M {d}" style="{_line_style(line)}"/>')
        if line.marker:
            for i in (range(len(pts)) if line.markevery is None else line.markevery):
                out.append(_marker_svg(line, *pts[i]))
        return "".join(out) + "</g>"

    def _range_svg(self, p: Panel, r: Range) -> str:
        x, lo, hi = p.px(r.x), p.py(r.low), p.py(r.high)
        cap = r.capsize
        return (f'<g id="{self._id("line2d")}"><path d="M {_n(x)} {_n(lo)} L {_n(x)} {_n(hi)}" '
                f'style="fill: none; stroke: {r.color}; stroke-width: {_n(r.linewidth)}"/>'
                + "".join(f'<path d="M {_n(x - cap)} {_n(y)} L {_n(x + cap)} {_n(y)}" style="fill: none; '
                          f'stroke: {r.color}; stroke-width: {_n(r.capthick)}"/>' for y in (lo, hi)) + "</g>")

    def _legend_svg(self) -> str:
        """Entries fill the columns top to bottom, as matplotlib's legend does, centred under the panels."""
        if not self.legend:
            return ""
        size, ncol = self.legend_size, self.legend_ncol
        rows = math.ceil(len(self.legend) / ncol)
        columns = [self.legend[c * rows:(c + 1) * rows] for c in range(ncol)]
        columns = [c for c in columns if c]
        handle, pad, gap, step = 2.0 * size, 0.8 * size, 2.0 * size, size * 1.5
        widths = [handle + pad + max(text_width(label, size) for label, _ in col) for col in columns]
        x = (self.width - (sum(widths) + gap * (len(widths) - 1))) / 2
        top = self.height - self._legend_height()
        out = ['<g id="legend_1">']
        for col, width in zip(columns, widths):
            for i, (label, mark) in enumerate(col):
                y = top + (i + 0.5) * step
                out.append(_handle_svg(mark, x, y, handle, size))
                out.append(_text_svg(x + handle + pad, y, label, size, "#000000", "left", "center"))
            x += width + gap
        return "".join(out) + "</g>"


def _line_style(line: Line) -> str:
    return _style(fill="none", stroke=line.color, stroke_width=_n(line.linewidth),
                  stroke_dasharray=_dash(line.linestyle, line.linewidth), stroke_linecap="square"
                  if line.linestyle == "-" else "butt")


def _marker_svg(line: Line, x: float, y: float) -> str:
    face, edge = line.markerfacecolor or line.color, line.markeredgecolor or line.color
    return (f'<use xlink:href="#m{line.marker}{_n(line.markersize).replace(".", "_")}" x="{_n(x)}" y="{_n(y)}" '
            f'style="fill: {face}; stroke: {edge}; stroke-width: {_n(line.markeredgewidth)}"/>')


def _handle_svg(mark, x: float, y: float, length: float, size: float) -> str:
    """A legend entry's sample: the line with one marker in its middle, the bar, or the capped range."""
    if isinstance(mark, Line):
        sample = Line([0, 1], [0, 0], **{k: getattr(mark, k) for k in
                                          ("color", "linestyle", "linewidth", "marker", "markersize",
                                           "markerfacecolor", "markeredgecolor", "markeredgewidth")})
        out = "" if mark.linestyle in ("none", "") else (
            f'<path d="M {_n(x)} {_n(y)} L {_n(x + length)} {_n(y)}" style="{_line_style(sample)}"/>')
        return out + (_marker_svg(sample, x + length / 2, y) if mark.marker else "")
    if isinstance(mark, Range):
        mid = x + length / 2
        return (f'<path d="M {_n(mid)} {_n(y + size * 0.45)} L {_n(mid)} {_n(y - size * 0.45)}" '
                f'style="stroke: {mark.color}; stroke-width: {_n(mark.linewidth)}"/>'
                + "".join(f'<path d="M {_n(mid - mark.capsize)} {_n(v)} L {_n(mid + mark.capsize)} {_n(v)}" '
                          f'style="stroke: {mark.color}; stroke-width: {_n(mark.capthick)}"/>'
                          for v in (y + size * 0.45, y - size * 0.45)))
    fill = f"url(#{HATCH_ID})" if mark.hatch else mark.color
    style = _style(fill=fill, opacity=_n(mark.alpha) if mark.alpha != 1 else None, stroke=mark.edgecolor)
    return (f'<path d="M {_n(x)} {_n(y - size * 0.35)} L {_n(x + length)} {_n(y - size * 0.35)} L {_n(x + length)} '
            f'{_n(y + size * 0.35)} L {_n(x)} {_n(y + size * 0.35)} z" style="{style}"/>')
