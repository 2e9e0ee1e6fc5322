"""Plausibility: accepted values that are possible but unusual, listed for the district to confirm."""

from __future__ import annotations

import pandas as pd

from benchmarks.intake.schema import Problem, number_text
from benchmarks.registry.metrics import METRICS

#: The reason a flag is counted under (words that hold no submitted value).
UNUSUAL = "unusual, to confirm"


def unusual_values(accepted: pd.DataFrame, frame: pd.DataFrame, file: str) -> list[Problem]:
    """Each accepted row's metrics outside their usual range (Metric.plausible): possible but rare, so the row is
    kept and the value listed for the district to confirm, as the public data's publisher does."""
    flags = []
    for m in METRICS:
        lo, hi = m.usual_range
        values = m.compute(accepted)
        for row in accepted.index[(values.notna() & ~values.between(lo, hi)).to_numpy()]:
            sent = ", ".join(f"{c} {frame.at[row, c] if c in frame else ''}".strip() for c in m.inputs)
            unit = f" {m.unit}" if m.unit and m.unit not in ("%", "$") else ""
            usual = f"{m.label.lower()} usually from {number_text(lo)} to {number_text(hi)}{unit}"
            flags.append(Problem(file, int(row), ", ".join(m.inputs), sent,
                                 f"{usual}; these give {values[row]:,.4g}: please confirm",
                                 f"{m.label.lower()} {UNUSUAL}"))
    return sorted(flags, key=lambda p: p.row)
