"""What one group shows, as text: its status (nothing, a band, the centre, quartiles), its figures as displayed,
and where a value stands against them. The gate that decides the status is benchmarks.privacy.disclosure."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from benchmarks.formats import band_text, display_value, figure_text, range_parts
from benchmarks.privacy.rules import Rules, tolerance_of
from benchmarks.registry.metrics import METRIC_BY_NAME, Metric

NONE, BAND, CENTRE, QUARTILES = "none", "band", "centre", "quartiles"


@dataclass(frozen=True)
class GroupFigures:
    """The displayable figures of one group for one metric (from a protected peer_stats row or summarize)."""

    metric: Metric
    status: str
    n: int
    p25: float
    median: float
    p75: float
    low: float
    high: float
    rules: Rules

    @property
    def min_peers(self) -> int:
        return self.rules.min_peers

    @property
    def published(self) -> bool:
        return self.status != NONE

    @property
    def stat(self) -> str:
        """What the centre cell shows, for data-stat: none, band or median."""
        return {NONE: "none", BAND: "band"}.get(self.status, "median")

    @property
    def centre_text(self) -> str:
        if self.status == NONE:
            return f"fewer than {self.min_peers} others"
        if self.status == BAND:
            return band_text(self.metric, self.low, self.high)
        return figure_text(self.metric, self.median)

    def text(self, stat: str) -> str:
        return {"p25": figure_text(self.metric, self.p25), "p75": figure_text(self.metric, self.p75),
                "median": self.centre_text}[stat]

    @property
    def middle_text(self) -> str:
        """The middle half as shown, "1.05–1.31 devices" ("" without quartiles)."""
        if self.status != QUARTILES:
            return ""
        return "–".join(range_parts(self.metric, self.p25, self.p75))

    def place(self, value: float) -> "Placement":
        """Where a value (the reader's own, or a planned one) stands against these figures, as displayed.

        A function of the shown figures and the value only, never of the others' exact values, so that any
        number of questions (plans tried one after another, figures resubmitted) teaches nothing beyond
        what the page shows: against the middle half when quartiles are shown, else the median or band. A
        value within the rules' tolerance of the shown median (tolerance_of) is "at" it: about the median, as
        close as the shown median is to the true one, so the page never puts it on the wrong side."""
        if value is None or not np.isfinite(value):
            return Placement("missing", "", False)
        if self.status == NONE:
            return Placement("none", "", False)
        d = functools.partial(display_value, self.metric)
        v = d(value)
        if self.status == BAND:
            lo, hi = d(self.low), d(self.high)
            return Placement("band", "above" if v > hi else "below" if v < lo else "at", False)
        med = d(self.median)
        about = abs(v - med) <= tolerance_of(self.metric, abs(med), self.rules) + 1e-9
        side = "at" if about else "above" if v > med else "below"
        if self.status == QUARTILES:
            beyond = bool(v > d(self.p75) or v < d(self.p25))
            if beyond:  # outside the middle half is said first, however near the median
                side = "above" if v > d(self.p75) else "below"
            return Placement("quartiles", side, beyond)
        return Placement("median", side, False)


@dataclass(frozen=True)
class Placement:
    """A value against a group's shown figures: what they are (quartiles, median, band; "none": nothing
    shown, "missing": no value), which side of the median (or band) it lies ("above", "below", "at"), and
    whether it lies outside the middle half (only when quartiles are shown)."""

    against: str
    side: str
    beyond: bool


def group_figures(row: Mapping, rules: Rules, metric: str | None = None) -> GroupFigures:
    """GroupFigures of a protected peer_stats row (or a summarize() result with metric given)."""
    m = METRIC_BY_NAME[metric or row["metric"]]

    def f(key):
        v = row.get(key)
        return float(v) if v is not None and pd.notna(v) else np.nan

    status = row.get("status")
    status = NONE if status is None or (isinstance(status, float) and np.isnan(status)) else str(status)
    return GroupFigures(m, status, int(row.get("n", 0) or 0), f("show_p25"), f("show_median"), f("show_p75"),
                        f("band_low"), f("band_high"), rules)
