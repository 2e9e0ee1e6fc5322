"""Plausibility: accepted values that are possible but unusual, listed for the district to confirm."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from benchmarks.intake.schema import Problem, number_text
from benchmarks.registry.groups import size_band
from benchmarks.registry.metrics import METRICS, Metric
from benchmarks.registry.years import previous_year

#: The reason a flag is counted under (words that hold no submitted value).
UNUSUAL = "unusual, to confirm"
#: A metric more than this many times (or less than 1/this) its district's figure of the previous school year.
YEAR_FACTOR = 3.0
#: A figure more than this many robust standard deviations (log scale: median and 1.4826 x MAD) from the values
#: of its state's size band that year ...
BAND_SDS = 3.5
#: ... the spread taken as at least a factor 1.5, so that a band of near-equal values does not flag the ordinary ...
BAND_SPREAD_FLOOR = float(np.log(1.5))
#: ... and only in a band with at least this many values of the metric.
BAND_MIN_VALUES = 5
#: What the district is asked when a value is flagged (the confirmation sheet repeats it).
CONFIRM = "please confirm"


@dataclass(frozen=True)
class Disagreement:
    """Two submitted fields that contradict each other though each is possible alone."""

    name: str
    columns: tuple[str, str]
    test: Callable[[pd.Series, pd.Series], pd.Series] = None
    words: str = ""


def _num(frame: pd.DataFrame, name: str) -> pd.Series:
    return pd.to_numeric(frame[name], errors="coerce") if name in frame else pd.Series(np.nan, index=frame.index)


#: The fields that should agree: a flag when `test(first, second)` holds.
DISAGREEMENTS: tuple[Disagreement, ...] = (
    Disagreement("students per classroom", ("enrollment", "classrooms"),
                 lambda e, c: ~(e / c.where(c > 0)).between(3, 60) & c.gt(0),
                 "3 to 60 students per classroom"),
    Disagreement("Wi-Fi 6 access points without access points", ("wifi6_access_points", "access_points"),
                 lambda w, a: w.gt(0) & a.eq(0), "no Wi-Fi 6 access points when there are no access points"),
    Disagreement("tickets without devices", ("helpdesk_tickets", "student_devices"),
                 lambda t, d: t.gt(0) & d.eq(0), "help-desk tickets only where there are student devices"),
    Disagreement("device spend without devices replaced", ("device_spend_usd", "devices_replaced"),
                 lambda s, r: s.gt(0) & r.eq(0), "spend on replacement devices only when devices were replaced"),
    Disagreement("internet cost without bandwidth", ("internet_monthly_cost_usd", "bandwidth_mbps"),
                 lambda c, b: c.gt(0) & b.eq(0), "an internet cost only with some bandwidth"),
)


def _sent(frame: pd.DataFrame, row, columns) -> str:
    return ", ".join(f"{c} {frame.at[row, c] if c in frame else ''}".strip() for c in columns)


def _unit(m: Metric) -> str:
    return f" {m.unit}" if m.unit and m.unit not in ("%", "$") else ""


def out_of_range(accepted: pd.DataFrame, frame: pd.DataFrame, file: str) -> list[Problem]:
    """Each accepted row's metrics outside their usual range (Metric.plausible)."""
    flags = []
    for m in METRICS:
        lo, hi = m.usual_range
        values = m.compute(accepted)
        for row in accepted.index[(values.notna() & ~values.between(lo, hi)).to_numpy()]:
            usual = f"{m.label.lower()} usually from {number_text(lo)} to {number_text(hi)}{_unit(m)}"
            flags.append(Problem(file, int(row), ", ".join(m.inputs), _sent(frame, row, m.inputs),
                                 f"{usual}; these give {values[row]:,.4g}: {CONFIRM}", f"{m.label.lower()} {UNUSUAL}"))
    return flags


def far_from_band(accepted: pd.DataFrame, frame: pd.DataFrame, file: str) -> list[Problem]:
    """Each positive metric value more than BAND_SDS robust standard deviations (log scale) from the median of
    its state's size band that year, in the rows given (a band of fewer than BAND_MIN_VALUES values: none)."""
    if accepted.empty:
        return []
    band = [accepted["state"], size_band(accepted["enrollment"]), accepted["school_year"]]
    flags = []
    for m in METRICS:
        logs = np.log(m.compute(accepted).where(lambda v: v > 0))
        grouped = logs.groupby(band)
        median = grouped.transform("median")
        spread = (logs - median).abs().groupby(band).transform("median") * 1.4826
        far = ((logs - median).abs() > BAND_SDS * np.maximum(spread, BAND_SPREAD_FLOOR)) & \
            (grouped.transform("count") >= BAND_MIN_VALUES)
        for row in accepted.index[far.fillna(False).to_numpy()]:
            flags.append(Problem(file, int(row), ", ".join(m.inputs), _sent(frame, row, m.inputs),
                                 f"{m.label.lower()} near the {np.exp(median[row]):,.4g}{_unit(m)} of districts of its "
                                 f"size in the state; these give {np.exp(logs[row]):,.4g}: {CONFIRM}",
                                 f"{m.label.lower()} far from its size band"))
    return flags


def disagreeing(accepted: pd.DataFrame, frame: pd.DataFrame, file: str) -> list[Problem]:
    """Each accepted row whose fields contradict each other (DISAGREEMENTS)."""
    flags = []
    for d in DISAGREEMENTS:
        first, second = (_num(accepted, c) for c in d.columns)
        for row in accepted.index[d.test(first, second).fillna(False).to_numpy()]:
            flags.append(Problem(file, int(row), ", ".join(d.columns), _sent(frame, row, d.columns),
                                 f"{d.words}: {CONFIRM}", f"fields disagree: {d.name}"))
    return flags


def changed_from_last_year(accepted: pd.DataFrame, frame: pd.DataFrame, file: str,
                           previous: pd.DataFrame | None) -> list[Problem]:
    """Each metric more than YEAR_FACTOR times (or under 1/YEAR_FACTOR of) its district's figure of the school
    year before. previous: earlier rows under the same district_id and school_year columns (other files, or the
    warehouse's)."""
    if previous is None or previous.empty or accepted.empty:
        return []
    before_year = accepted["school_year"].map(previous_year)
    last = previous.drop_duplicates(["district_id", "school_year"], keep="last").set_index(
        ["district_id", "school_year"])
    at = pd.MultiIndex.from_arrays([accepted["district_id"], before_year])
    flags = []
    for m in METRICS:
        before = pd.Series(m.compute(last.reset_index()).to_numpy(), index=last.index).reindex(at)
        before.index = accepted.index
        now = m.compute(accepted)
        ratio = now / before.where(before > 0)
        jump = ((ratio > YEAR_FACTOR) | (ratio < 1 / YEAR_FACTOR)) & now.gt(0)
        for row in accepted.index[jump.fillna(False).to_numpy()]:
            flags.append(Problem(file, int(row), ", ".join(m.inputs), _sent(frame, row, m.inputs),
                                 f"{m.label.lower()} within a factor {number_text(YEAR_FACTOR)} of last year's "
                                 f"{before[row]:,.4g}{_unit(m)} ({before_year[row]}); these give {now[row]:,.4g}: "
                                 f"{CONFIRM}", f"{m.label.lower()} changed from last year beyond a factor "
                                 f"{number_text(YEAR_FACTOR)}"))
    return flags


def unusual_values(accepted: pd.DataFrame, frame: pd.DataFrame, file: str,
                   previous: pd.DataFrame | None = None) -> list[Problem]:
    """Every accepted value that is possible but unusual, by row: outside its usual range, far from its size
    band, fields that disagree, and (with previous) a change from last year beyond YEAR_FACTOR. The row is kept
    and the value listed for the district to confirm, as the public data's publisher does."""
    flags = (out_of_range(accepted, frame, file) + far_from_band(accepted, frame, file)
             + disagreeing(accepted, frame, file) + changed_from_last_year(accepted, frame, file, previous))
    return sorted(flags, key=lambda p: p.row)
