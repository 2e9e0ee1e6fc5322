"""Every figure as every output shows it: one rounding, one unit style, shares as percentages.

Figures are computed unrounded and rounded once, here, for display; comparisons of what a reader sees
(a band guard, a change between two shown figures) use display_value, and charts draw in display units.
"""

from __future__ import annotations

import numpy as np

from benchmarks.registry.metrics import Metric


def scale(m: Metric) -> float:
    """Display units per stored unit: shares are stored as 0.25 and shown as 25%."""
    return 100.0 if m.unit == "%" else 1.0


def decimals(m: Metric) -> int:
    """Decimals shown, in display units."""
    return max(m.decimals - 2, 0) if m.unit == "%" else m.decimals


def display_value(m: Metric, x) -> np.ndarray | float:
    """The figure as displayed, as a number in display units (percent for shares). Comparisons use this."""
    out = np.round(np.asarray(x, dtype="float64") * scale(m), decimals(m)) + 0.0
    return float(out) if out.ndim == 0 else out


def with_unit(m: Metric, number: str) -> str:
    """A displayed number with the metric's unit, as every output writes it: "1.13 devices", "25.3%", "$315"."""
    if m.unit == "%":
        return f"{number}%"
    if m.unit.startswith("$"):
        return f"${number}{m.unit[1:]}"
    return f"{number} {m.unit}".strip()


def missing(x) -> bool:
    """No figure to show: None, NaN or infinite."""
    return x is None or not np.isfinite(x)


def figure_text(m: Metric, x) -> str:
    """A figure as every output shows it, e.g. "1.13 devices", "25.3%", "$315", "$1.84/Mbps"."""
    if missing(x):
        return "–"
    return with_unit(m, f"{display_value(m, x):,.{decimals(m)}f}")


def band_decimals(m: Metric) -> int:
    """Decimals of a band's bounds: one fewer than the figures' (bands are at least ten display units wide)."""
    return max(decimals(m) - 1, 0)


def range_parts(m: Metric, low: float, high: float, digits: int | None = None) -> tuple[str, str]:
    """A range's two ends as shown, the unit written once: ("1.03", "1.21 devices"), ("$1.11", "$2.48/Mbps"),
    ("21.9", "28.9%"); at the figures' decimals unless given."""
    d = decimals(m) if digits is None else digits
    lo, hi = (f"{np.round(v * scale(m), d) + 0.0:,.{d}f}" for v in (low, high))  # rounded as display_value does
    first = with_unit(m, lo).removesuffix(m.unit[1:]) if m.unit.startswith("$") else lo
    return first, with_unit(m, hi)


def band_text(m: Metric, low: float, high: float) -> str:
    """A band as shown, e.g. "1.0–1.1 devices", "24–25%", "$310–$320"."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return "–"
    return "–".join(range_parts(m, low, high, band_decimals(m)))


def amount_text(m: Metric, d: float) -> str:
    """A distance or change in the metric's unit, without sign: "0.04 devices", "$42"; shares move in points
    ("3.5 points")."""
    if m.unit == "%":
        return f"{abs(d) * 100:,.1f} points"
    return figure_text(m, abs(d))


def _signed(number: str, change: float) -> str:
    return ("+" if change > 0 else "−" if change < 0 else "") + number


def change_text(m: Metric, change: float) -> str:
    """A change already in display units, as shown: "+0.04 devices", "−$0.39/Mbps", "+20.7 points"."""
    if missing(change):
        return "–"
    if m.unit == "%":
        number = f"{abs(change):,.{decimals(m)}f}"
        return _signed(f"{number} point" + ("" if float(number) == 1 else "s"), change)
    return _signed(figure_text(m, abs(change)), change)


def rough_dollars(x: float) -> str:
    """An estimate in dollars to two significant figures, as a rough cost is said: "$240,000", "$5,400"."""
    if missing(x):
        return "–"
    return f"${float(f'{x:.2g}'):,.0f}"


def total_dollars(x: float) -> str:
    """A published total in dollars, to three significant figures: "$1.66 million", "$224,000", "$29,600"; a
    round total is as much as a meeting needs, and a member subtracting its own spend learns no exact sum."""
    if missing(x):
        return "–"
    if abs(x) >= 1e6:
        return f"${float(f'{x / 1e6:.3g}'):,g} million"
    return f"${float(f'{x:.3g}'):,.0f}"


def share_text(share: float) -> str:
    """A share of districts as a whole percentage that never rounds to "all" or "none" when it is not."""
    pct = share * 100
    if 0 < pct < 0.5:
        return "under 1%"
    if 99.5 <= pct < 100:
        return "over 99%"
    return f"{pct:.0f}%"


def share_points(share: float) -> float:
    """A share in whole percentage points, rounded as it is shown ("37%" -> 37.0)."""
    return float(f"{share * 100:.0f}") if np.isfinite(share) else np.nan


def points_text(change: float) -> str:
    """A change of a share in whole points: "+7 points", "−1 point", "0 points"."""
    if missing(change):
        return "–"
    return _signed(f"{abs(change):.0f} point" + ("" if abs(change) == 1 else "s"), change)
