"""Charts decoded as a reader can decode them: the text of an SVG, and the values its marks are drawn at.

A matplotlib SVG keeps every tick as a tick mark at a pixel position with its label as text, so the linear
map from data to pixels of each axis can be read back from the ticks, and every drawn mark (a median tick,
the ends of a quartile bar, a trend point) turned back into the value it was drawn at. A chart must be
exactly as precise as the text beside it (reports.plots draws every figure at its displayed, rounded value):
a mark drawn off the display grid at another district's exact figure, or at a group statistic's exact value,
tells a reader more than the page says. Only findings with confidence are reported: an axis is read only when
at least two numeric ticks fit one straight line, and a mark counts only when it is off the display grid by
far more than the file's coordinate precision and on the exact value within that precision.
"""

from __future__ import annotations

import base64
import re
import urllib.parse
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import numpy as np

from benchmarks.formats import decimals
from benchmarks.registry.metrics import METRICS

SVG_NS = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
#: SVG coordinates as matplotlib writes them: six decimals of a pixel at most.
PIXEL_PRECISION = 1e-6
_DATA_URI = re.compile(r"data:image/svg\+xml(;base64)?,([^\"'\s)]+)", re.I)
_INLINE_SVG = re.compile(r"<svg\b.*?</svg>", re.S | re.I)
_PATH_NUMBER = re.compile(r"-?\d+(?:\.\d*)?(?:e-?\d+)?|-?\.\d+", re.I)
_TICK_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?|-?\.\d+")
_TITLES = {f"{m.label} ({m.unit})": m for m in METRICS}


@dataclass(frozen=True)
class Mark:
    """A value a chart draws: its metric (None when the panel does not say), the axis, the value read back
    (display units), and how far a value can be trusted (data units per pixel times the file's precision)."""

    chart: int
    metric: object
    axis: str
    value: float
    tolerance: float


def embedded_svgs(text: str) -> list[str]:
    """SVG documents in a page or file: data: URIs (base64 or percent-encoded) and inline <svg> elements."""
    out = []
    for b64, data in _DATA_URI.findall(text):
        try:
            raw = base64.b64decode(data) if b64 else urllib.parse.unquote(data).encode()
            out.append(raw.decode("utf-8", "replace"))
        except ValueError:
            continue
    return out + _INLINE_SVG.findall(_DATA_URI.sub("", text))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _points(el: ET.Element) -> list[tuple[float, float]]:
    """The drawn points of a path (every coordinate pair of its absolute commands) or a marker's position."""
    if _local(el.tag) == "use":
        try:
            return [(float(el.get("x", 0)), float(el.get("y", 0)))]
        except ValueError:
            return []
    nums = [float(x) for x in _PATH_NUMBER.findall(el.get("d", ""))]
    return list(zip(nums[0::2], nums[1::2]))


def _tick_number(label: str) -> float | None:
    label = label.strip().replace("\u2212", "-").replace("$", "").replace("%", "")
    return float(label.replace(",", "")) if re.fullmatch(_TICK_NUMBER, label) else None


def _axis_map(ticks: list[tuple[float, float]]) -> tuple[float, float] | None:
    """(slope, intercept) from pixel to data when the ticks fit one line; None otherwise."""
    if len({p for p, _ in ticks}) < 2:
        return None
    px, val = np.array(ticks).T
    slope, intercept = np.polyfit(px, val, 1)
    spread = np.ptp(val) or 1.0
    if np.abs(slope * px + intercept - val).max() > 1e-6 * spread:
        return None
    return float(slope), float(intercept)


def _skipped(el: ET.Element) -> bool:
    gid = el.get("id", "")
    return _local(el.tag) in ("defs", "clipPath", "pattern", "text", "metadata", "style") or gid.startswith(
        ("xtick_", "ytick_", "matplotlib.axis", "legend_"))


def _marks_of(el: ET.Element, out: list[ET.Element]) -> None:
    for child in el:
        if _skipped(child):
            continue
        if _local(child.tag) in ("path", "use"):
            out.append(child)
        _marks_of(child, out)


def _ticks(axes: ET.Element, which: str) -> list[tuple[float, float]]:
    """(pixel, value) of each numeric tick of an axis: the tick mark's position, else its grid line's."""
    out = []
    for tick in axes.iter(f"{SVG_NS}g"):
        if not tick.get("id", "").startswith(f"{which}tick_"):
            continue
        label = "".join("".join(t.itertext()) for t in tick.iter(f"{SVG_NS}text"))
        value = _tick_number(label)
        spots = [pt for el in tick.iter() if _local(el.tag) in ("use", "path") and not _in_defs(tick, el)
                 for pt in _points(el)[:1]]
        if value is not None and spots:
            out.append((spots[0][0] if which == "x" else spots[0][1], value))
    return out


def _in_defs(root: ET.Element, el: ET.Element) -> bool:
    return any(el in list(d.iter()) for d in root.iter(f"{SVG_NS}defs"))


def read_svg(svg: str, chart: int = 0) -> tuple[list[str], list[Mark]]:
    """The text of an SVG (text elements but numeric tick labels, titles, descriptions, metadata) and the
    marks read back from its axes; an SVG that does not parse gives its bare text only."""
    try:
        root = ET.fromstring(svg.encode("utf-8") if isinstance(svg, str) else svg)
    except ET.ParseError:
        return [re.sub(r"<[^>]+>", " ", svg)], []
    # numeric tick labels are the axis' scale, read below (and a coincidence when they equal a figure)
    scale_labels = {id(t) for g in root.iter(f"{SVG_NS}g") if g.get("id", "").startswith(("xtick_", "ytick_"))
                    for t in g.iter(f"{SVG_NS}text") if _tick_number("".join(t.itertext())) is not None}
    texts = [t for el in root.iter() if (_local(el.tag) in ("text", "title", "desc") or "dc" in el.tag)
             and id(el) not in scale_labels for t in [("".join(el.itertext())).strip()] if t]
    panels = []
    for axes in root.iter(f"{SVG_NS}g"):
        if not axes.get("id", "").startswith("axes_"):
            continue
        box = [pt for el in axes if _local(el.tag) == "g" and el.get("id", "").startswith("patch_")
               for p in el for pt in _points(p)][:4]
        titles = [("".join(t.itertext())).strip() for t in axes.iter(f"{SVG_NS}text")]
        metric = next((_TITLES[t] for t in titles if t in _TITLES), None)
        ys = (min(y for _, y in box), max(y for _, y in box)) if box else None
        panels.append((axes, box, ys, metric))
    marks = []
    for axes, box, ys, metric in panels:
        if metric is None and ys:  # a panel beside a titled one, on the same row (a trend panel)
            metric = next((m for _, _, ys2, m in panels if m and ys2 and np.allclose(ys, ys2, atol=0.5)), None)
        elements: list[ET.Element] = []
        _marks_of(axes, elements)
        if box:
            background = next(el for el in axes if _local(el.tag) == "g" and el.get("id", "").startswith("patch_"))
            elements = [e for e in elements if e not in list(background.iter())]
        edges = {"x": {round(x, 3) for x, _ in box}, "y": {round(y, 3) for _, y in box}}
        for which in ("x", "y"):
            fit = _axis_map(_ticks(axes, which))
            if fit is None:
                continue
            slope, intercept = fit
            tol = abs(slope) * PIXEL_PRECISION * 4 + 1e-12
            for el in elements:
                for x, y in _points(el):
                    px = x if which == "x" else y
                    if round(px, 3) in edges[which]:
                        continue  # the frame of the panel (spines, full-height lines end there)
                    marks.append(Mark(chart, metric, which, slope * px + intercept, tol))
    return texts, marks


def precise_marks(marks: list[Mark], targets) -> list[tuple[Mark, float]]:
    """Marks drawn off their metric's display grid at a target's exact value (targets(metric) -> sorted
    array of exact values in display units): each with the value it matches."""
    out = []
    for mark in marks:
        if mark.metric is None:
            continue
        step = 10.0 ** -decimals(mark.metric)
        slack = 10 * mark.tolerance + 1e-9 * abs(mark.value)
        if slack * 20 >= step:
            continue  # the chart is too coarse to tell a rounded figure from an exact one
        if abs(mark.value - round(mark.value / step) * step) <= slack:
            continue  # on the grid the text rounds to
        values = targets(mark.metric)
        if not len(values):
            continue
        i = int(np.clip(np.searchsorted(values, mark.value), 1, len(values) - 1)) if len(values) > 1 else 0
        near = min(values[max(i - 1, 0):i + 1], key=lambda t: abs(t - mark.value))
        if abs(near - mark.value) <= slack and abs(near - round(near / step) * step) > slack:
            out.append((mark, float(near)))
    return out
