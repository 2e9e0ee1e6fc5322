"""The metric registry: every submitted field and every derived metric, declared once.

Ingest, validation, peer statistics, charts, tables and the data dictionary all read these
declarations; adding a metric is one entry here plus its test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Literal

import numpy as np
import pandas as pd

Direction = Literal["higher", "lower", "neutral"]
Area = Literal["devices", "network", "support"]
#: The report's areas, in page order, with their section titles: each metric belongs to one.
AREA_TITLES: dict[str, str] = {"devices": "Devices", "network": "Network", "support": "Support"}


@dataclass(frozen=True)
class Field:
    """One column of the submission template."""

    name: str
    label: str
    dtype: Literal["text", "integer", "number"]
    description: str
    required: bool = True
    min: float | None = None
    max: float | None = None
    example: str = ""
    #: The registry's unit: values sent in another unit (or as a percentage) are converted to it on reading.
    unit: str = ""


@dataclass(frozen=True)
class Goal:
    value: float
    label: str
    source: str


@dataclass(frozen=True)
class Metric:
    """A benchmark computed from submitted fields."""

    name: str
    label: str
    unit: str
    area: Area
    direction: Direction
    inputs: tuple[str, ...]
    formula_text: str
    compute: Callable[[pd.DataFrame], pd.Series] = field(repr=False, compare=False)
    #: Outside it the figure is impossible (a share over 100%, more Wi-Fi 6 access points than access points):
    #: the row is quarantined.
    valid_range: tuple[float, float] = (0.0, np.inf)
    goals: tuple[Goal, ...] = ()
    decimals: int = 2
    #: Plain words for "more"/"less" of this metric, for sentences such as "more devices per student".
    noun: str = ""

    #: The goals in words for a page's list of goal lines, e.g. "one device per student" (empty: no goals).
    goal_words: str = ""
    #: Outside it the figure is unusual, not impossible (Alaska's satellite links cost over $1,000 per Mbps): the
    #: row is accepted and the value flagged for the district to confirm. None: the valid range.
    plausible: tuple[float, float] | None = None
    #: What the figure counts, in plain words with its period (per year, as of the count day), for the pages'
    #: definitions (benchmarks.reports.definitions).
    meaning: str = ""

    @property
    def usual_range(self) -> tuple[float, float]:
        return self.plausible or self.valid_range


ID_FIELDS: tuple[Field, ...] = (
    Field("school_year", "School year", "text", "School year the figures describe, as YYYY-YY.", example="2025-26"),
    Field("district_id", "District ID", "text",
          "NCES district identifier: 7 digits 0-9 (a leading zero a spreadsheet dropped is restored).",
          example="1700001"),
    Field("district_name", "District name", "text", "Name of the district as it should appear on its own report.",
          example="Prairie View CUSD 4"),
    Field("state", "State", "text", "Two-letter postal code of the state.", example="IL"),
    Field("county", "County", "text", "County of the district office.", example="Harlan County"),
    Field("locale", "Locale", "text", "NCES locale: City, Suburb, Town or Rural.", example="Rural"),
)

LOCALES = ("City", "Suburb", "Town", "Rural")
#: Older NCES locale names (still used by E-rate and Connect K-12 data) and the current name each maps to.
LOCALE_ALIASES = {"Urban": "City", "Suburban": "Suburb", "Small Town": "Town"}
#: US postal codes of the states, DC and the territories that take part in E-rate; "PS" is the demo's
#: fictional Prairie State, listed so the demo goes through the same validation as real submissions.
STATES = ("AK", "AL", "AR", "AS", "AZ", "CA", "CO", "CT", "DC", "DE", "FL", "GA", "GU", "HI", "IA", "ID", "IL",
          "IN", "KS", "KY", "LA", "MA", "MD", "ME", "MI", "MN", "MO", "MP", "MS", "MT", "NC", "ND", "NE", "NH",
          "NJ", "NM", "NV", "NY", "OH", "OK", "OR", "PA", "PR", "RI", "SC", "SD", "TN", "TX", "UT", "VA", "VI",
          "VT", "WA", "WI", "WV", "WY", "PS")
#: Text fields whose values come from a fixed list (the template offers them as a drop-down).
CHOICES: dict[str, tuple[str, ...]] = {"state": STATES, "locale": LOCALES}

#: A blank measured field means "not reported" (a real district does not know every figure every year): only
#: the enrollment, which places a district in its size band, is required with the identity fields.
MEASURE_FIELDS: tuple[Field, ...] = (
    Field("enrollment", "Enrollment", "integer", "Students enrolled on the official count day.", min=1, max=1_500_000,
          example="1200"),
    Field("classrooms", "Classrooms", "integer", "Instructional classrooms in use.",
          required=False, min=1, max=100_000, example="60"),
    Field("student_devices", "Student devices", "integer",
          "District-owned computing devices assigned to or available for students.",
          required=False, min=0, max=2_000_000, example="1250"),
    Field("devices_replaced", "Devices replaced this year", "integer",
          "Student devices bought this school year to replace older ones.",
          required=False, min=0, max=2_000_000, example="300"),
    Field("device_spend_usd", "Spend on replacement devices (USD)", "number",
          "Total purchase price of the devices replaced this year, in US dollars.", required=False, min=0, max=1e10,
          example="90000", unit="USD"),
    Field("bandwidth_mbps", "Internet bandwidth (Mbps)", "number",
          "Contracted internet access bandwidth for the whole district, in megabits per second "
          "(500 Mbps or 1 Gbps are read too).", required=False, min=0, max=1e6, example="1000", unit="Mbps"),
    Field("internet_monthly_cost_usd", "Internet monthly cost (USD)", "number",
          "Monthly recurring cost of internet access before E-rate discount, in US dollars.",
          required=False, min=0, max=1e8, example="2500", unit="USD"),
    Field("erate_discount", "E-rate discount", "number",
          "Category One E-rate discount rate on the district's internet access (Form 471), as a share: "
          "0.8 or 80%. Leave empty if the district does not apply for E-rate.", required=False, min=0, max=0.9,
          example="0.8", unit="%"),
    Field("access_points", "Wireless access points", "integer", "Wireless access points in service.",
          required=False, min=0, max=1_000_000, example="70"),
    Field("wifi6_access_points", "Wi-Fi 6 or newer access points", "integer",
          "Access points that support Wi-Fi 6 (802.11ax) or newer.",
          required=False, min=0, max=1_000_000, example="40"),
    Field("helpdesk_tickets", "Help-desk tickets", "integer", "Help-desk tickets opened during the school year.",
          required=False, min=0, max=10_000_000, example="700"),
    Field("median_resolution_hours", "Median hours to resolve", "number",
          "Median time from opening to closing a help-desk ticket, in hours.",
          required=False, min=0, max=10_000, example="18"),
    Field("tech_staff_fte", "Technology staff (FTE)", "number",
          "Full-time equivalent staff who support technology.", required=False, min=0, max=10_000, example="2.5"),
)

FIELDS: tuple[Field, ...] = ID_FIELDS + MEASURE_FIELDS
FIELD_BY_NAME = {f.name: f for f in FIELDS}


def _ratio(num: pd.Series, den: pd.Series, scale: float = 1.0) -> pd.Series:
    """num / den * scale, with a zero or missing denominator giving a missing value, not inf."""
    num = pd.to_numeric(num, errors="coerce").astype("float64")
    den = pd.to_numeric(den, errors="coerce").astype("float64")
    return (num * scale / den.where(den > 0)).astype("float64")


FCC_2014 = "FCC E-rate Modernization Order, 2014 (short-term goal)"
FCC_LONG = "FCC E-rate Modernization Order, 2014 (long-term goal)"

METRICS: tuple[Metric, ...] = (
    Metric("devices_per_student", "Devices per student", "devices", "devices", "higher",
           ("student_devices", "enrollment"), "student_devices / enrollment",
           lambda d: _ratio(d["student_devices"], d["enrollment"]), (0.0, 20.0),
           (Goal(1.0, "one-to-one", "One device per student (one-to-one programs)"),), noun="devices per student",
           goal_words="one device per student", plausible=(0.1, 3.0),
           meaning="Student computing devices the district owns, for each enrolled student, in the school year submitted; 1.0 means one device per student."),
    Metric("refresh_share", "Share of fleet replaced this year", "%", "devices", "neutral",
           ("devices_replaced", "student_devices"), "devices_replaced / student_devices",
           lambda d: _ratio(d["devices_replaced"], d["student_devices"]), (0.0, 1.0), decimals=3,
           noun="share of the fleet replaced", plausible=(0.0, 0.6),
           meaning="The share of the student devices that were bought this school year to replace older ones."),
    Metric("refresh_cycle_years", "Implied refresh cycle", "years", "devices", "neutral",
           ("student_devices", "devices_replaced"), "student_devices / devices_replaced",
           lambda d: _ratio(d["student_devices"], d["devices_replaced"]), (1.0, np.inf), decimals=1,
           noun="refresh cycle", plausible=(1.5, 15.0),
           meaning="How many years replacing the whole fleet takes at this year's pace (all devices divided by those replaced this year): a shorter cycle means newer devices."),
    Metric("device_price_usd", "Average price per student device", "$", "devices", "lower",
           ("device_spend_usd", "devices_replaced"), "device_spend_usd / devices_replaced",
           lambda d: _ratio(d["device_spend_usd"], d["devices_replaced"]), (1.0, 50_000.0), decimals=0,
           noun="price per device", plausible=(50.0, 3000.0),
           meaning="What the district paid, on average, for each student device it bought this school year to replace an older one (total purchase price divided by devices bought; jointly purchased devices included)."),
    Metric("bandwidth_kbps_per_student", "Internet bandwidth per student", "kbps", "network", "higher",
           ("bandwidth_mbps", "enrollment"), "bandwidth_mbps × 1000 / enrollment",
           lambda d: _ratio(d["bandwidth_mbps"], d["enrollment"], 1000.0), (0.0, np.inf),
           (Goal(100.0, "100 kbps", FCC_2014), Goal(1000.0, "1 Mbps", FCC_LONG)), decimals=0,
           noun="bandwidth per student", goal_words="100 kbps and 1 Mbps of internet bandwidth per student (FCC, 2014)",
           plausible=(5.0, 10_000.0),
           meaning="The district's contracted internet bandwidth, in kilobits per second for each enrolled student (1,000 kbps = 1 Mbps)."),
    Metric("cost_per_mbps_usd", "Monthly internet cost per Mbps", "$/Mbps", "network", "lower",
           ("internet_monthly_cost_usd", "bandwidth_mbps"), "internet_monthly_cost_usd / bandwidth_mbps",
           lambda d: _ratio(d["internet_monthly_cost_usd"], d["bandwidth_mbps"]), (0.0, np.inf),
           noun="cost per Mbps", plausible=(0.05, 1000.0),
           meaning="The monthly recurring cost of internet access for each Mbps of bandwidth, before the E-rate discount (the full price, not what the district pays after E-rate)."),
    Metric("aps_per_classroom", "Wireless access points per classroom", "APs", "network", "higher",
           ("access_points", "classrooms"), "access_points / classrooms",
           lambda d: _ratio(d["access_points"], d["classrooms"]), (0.0, 50.0),
           (Goal(1.0, "one per classroom", "One access point per classroom for one-to-one density"),),
           noun="access points per classroom", goal_words="one wireless access point per classroom",
           plausible=(0.1, 5.0),
           meaning="Wireless access points in service for each instructional classroom."),
    Metric("devices_per_ap", "Devices per access point", "devices", "network", "lower",
           ("student_devices", "access_points"), "student_devices / access_points",
           lambda d: _ratio(d["student_devices"], d["access_points"]), (0.0, np.inf), decimals=1,
           noun="devices per access point", plausible=(1.0, 200.0),
           meaning="Student devices for each wireless access point in service: the load each access point carries."),
    Metric("wifi6_share", "Access points on Wi-Fi 6 or newer", "%", "network", "higher",
           ("wifi6_access_points", "access_points"), "wifi6_access_points / access_points",
           lambda d: _ratio(d["wifi6_access_points"], d["access_points"]), (0.0, 1.0), decimals=3,
           noun="share of access points on Wi-Fi 6",
           meaning="The share of wireless access points that support Wi-Fi 6 (802.11ax) or newer."),
    Metric("tickets_per_100_devices", "Help-desk tickets per 100 devices", "tickets", "support", "lower",
           ("helpdesk_tickets", "student_devices"), "helpdesk_tickets × 100 / student_devices",
           lambda d: _ratio(d["helpdesk_tickets"], d["student_devices"], 100.0), (0.0, np.inf), decimals=1,
           noun="tickets per 100 devices", plausible=(0.0, 300.0),
           meaning="Help-desk tickets opened during the school year (a whole year), for every 100 student devices."),
    Metric("resolution_hours", "Median hours to resolve a ticket", "hours", "support", "lower",
           ("median_resolution_hours",), "median_resolution_hours",
           lambda d: pd.to_numeric(d["median_resolution_hours"], errors="coerce").astype("float64"),
           (0.0, 10_000.0), decimals=1, noun="time to resolve tickets", plausible=(0.1, 500.0),
           meaning="The median time from opening to closing a help-desk ticket during the school year, in hours."),
    Metric("staff_per_1000_devices", "Technology staff per 1,000 devices", "FTE", "support", "higher",
           ("tech_staff_fte", "student_devices"), "tech_staff_fte × 1000 / student_devices",
           lambda d: _ratio(d["tech_staff_fte"], d["student_devices"], 1000.0), (0.0, np.inf),
           noun="staff per 1,000 devices", plausible=(0.1, 20.0),
           meaning="Full-time-equivalent staff supporting technology, for every 1,000 student devices."),
)

METRIC_BY_NAME = {m.name: m for m in METRICS}
AREAS: tuple[Area, ...] = tuple(AREA_TITLES)


def area_metrics(area: str) -> list[Metric]:
    """The metrics of one area, in registry order."""
    return [m for m in METRICS if m.area == area]


def goals_sentence() -> str:
    """Every goal line of the registry in one list, for the pages that explain them."""
    return ", ".join(m.goal_words for m in METRICS if m.goals) + "."


def metric(name: str) -> Metric:
    try:
        return METRIC_BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown metric {name!r}; known: {', '.join(METRIC_BY_NAME)}") from None


def compute_metrics(submissions: pd.DataFrame) -> pd.DataFrame:
    """One column per metric, computed from the submitted fields; values outside the valid range (impossible) are
    missing, unusual ones are kept.

    Ingest quarantines rows whose metric falls outside its valid range (benchmarks.intake.schema), so this blanking
    is only a guard for rows stored by earlier versions and for public data.
    """
    out = pd.DataFrame(index=submissions.index)
    for m in METRICS:
        values = m.compute(submissions)
        lo, hi = m.valid_range
        out[m.name] = values.where((values >= lo) & (values <= hi))
    return out


def data_dictionary() -> pd.DataFrame:
    """The data dictionary: submitted fields, then derived metrics, as one table."""
    rows = []
    for f in FIELDS:
        rng = "" if f.min is None else f"{f.min:g} to {f.max:g}"
        kind = f"{f.dtype}, {f.unit}" if f.unit else f.dtype
        rows.append({"kind": "submitted field", "name": f.name, "label": f.label, "unit_or_type": kind,
                     "definition": f.description, "valid_range": rng, "direction": "", "goals": "",
                     "required": "yes" if f.required else "no"})
    for m in METRICS:
        goals = "; ".join(f"{g.label} = {g.value:g} ({g.source})" for g in m.goals)
        lo, hi = m.valid_range
        rows.append({"kind": "metric", "name": m.name, "label": m.label, "unit_or_type": m.unit,
                     "definition": m.formula_text, "valid_range": f"{lo:g} to {hi:g}",
                     "direction": {"higher": "higher is better", "lower": "lower is better",
                                   "neutral": "neither (context)"}[m.direction],
                     "goals": goals, "required": "", "usual_range": "{:g} to {:g}".format(*m.usual_range)})
    return pd.DataFrame(rows)
