"""A district report's data as one JSON text: what a render task carries, so its worker needs no warehouse.

The batch reads every district's report data in one pass (data.iter_district_reports) and puts each one's
payload in its task; the notebook rebuilds the report from it (load_district_report(report_data=...)) instead
of opening the warehouse. A payload holds the district's own rows and its groups' figures as the disclosure gate
left them: the stored statistics' plain percentiles, which the gate replaced with the shown ones, stay behind,
so a cluster node that renders a district's page holds none of the group figures the gate withheld.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd

from benchmarks.privacy.rules import Rules

#: Columns of the stored statistics that no page reads (the shown figures stand for them): never sent.
UNSHOWN_COLUMNS = ("p25", "median", "p75")
_FRAMES = ("stats", "goals", "history", "nation_stats", "nation_goals")
FORMAT = 2


def _frame(df: pd.DataFrame | None):
    """A frame column by column (tolist turns numpy values into Python ones; missing floats stay NaN)."""
    if df is None:
        return None
    columns = [c for c in df.columns if c not in UNSHOWN_COLUMNS]
    return {"columns": columns, "dtypes": [str(df[c].dtype) for c in columns],
            "values": [_column(df[c]) for c in columns]}


def _column(series: pd.Series) -> list:
    values = series.tolist()
    if isinstance(series.dtype, np.dtype) and series.dtype.kind in "fiub":  # numpy numbers: no pd.NA among them
        return values
    return [_plain(v) for v in values]


def _unframe(spec) -> pd.DataFrame | None:
    if spec is None:
        return None
    df = pd.DataFrame(dict(zip(spec["columns"], spec["values"])), columns=spec["columns"])
    for column, dtype in zip(spec["columns"], spec["dtypes"]):
        if str(df[column].dtype) != dtype:
            df[column] = df[column].astype(dtype)
    return df


def _plain(value):
    """A single value as JSON holds it (numpy scalars as Python ones, pd.NA as null)."""
    if value is pd.NA or value is pd.NaT:
        return None
    return value.item() if isinstance(value, np.generic) else value


def to_payload(report) -> str:
    """A DistrictReport's data as JSON text."""
    out = {"format": FORMAT}
    for f in dataclasses.fields(report):
        if not f.init:
            continue
        value = getattr(report, f.name)
        if f.name == "history":  # its rows of the report's year are `stats` again: only the earlier years travel
            out[f.name] = _frame(value[value["school_year"] != report.school_year]
                                 if "school_year" in value.columns else value)
        elif f.name in _FRAMES:
            out[f.name] = _frame(value)
        elif f.name == "rules":
            out[f.name] = value.as_meta()
        elif f.name == "purchasing":
            out[f.name] = {k: _plain(v) for k, v in value.items()}
        else:
            out[f.name] = _plain(value)
    return json.dumps(out, separators=(",", ":"))


def from_payload(text: str) -> dict:
    """The fields of the DistrictReport a payload of to_payload holds (data.load_district_report builds it)."""
    spec = json.loads(text)
    if spec.pop("format", None) != FORMAT:
        raise ValueError("this report data was written by another version of benchmarks: render it again")
    for name in _FRAMES:
        spec[name] = _unframe(spec[name])
    earlier, stats = spec["history"], spec["stats"]
    if earlier is not None and stats is not None and "school_year" in earlier.columns:
        spec["history"] = pd.concat([earlier, stats.astype(earlier.dtypes.to_dict())], ignore_index=True) \
            if len(earlier) else stats.copy()
    spec["rules"] = Rules.from_meta(spec["rules"])
    return spec
