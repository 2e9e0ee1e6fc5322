"""Validating a large file a slice of rows at a time, so the schema's work takes bounded memory; the one rule that
spans slices (one row per district and school year) is checked over the whole file, as on a small one."""

from __future__ import annotations

import pandas as pd

from benchmarks.intake.schema import (
    FIELD_BY_NAME,
    KEY,
    Problem,
    Validation,
    _type_text,
    validate_rows,
)
from benchmarks.intake.units import Context

#: Rows validated at once: pandera's work and the typed copies grow with this, not with the file.
CHUNK_ROWS = 50_000
DUPLICATE = "the same district and school year twice"


def validate_in_chunks(frame: pd.DataFrame, file: str, ctx: Context | None = None, school_years=None,
                       chunk_rows: int = CHUNK_ROWS) -> Validation:
    """validate_rows over slices of chunk_rows rows, with the same result as over the whole frame (problems of a
    row may come in another order within the row). school_years: as validate_rows takes them."""
    if len(frame) <= chunk_rows:
        return validate_rows(frame, file, ctx, school_years)
    parts = [validate_rows(frame.iloc[i:i + chunk_rows], file, ctx, school_years)
             for i in range(0, len(frame), chunk_rows)]
    twice = _duplicates(frame, file)
    problems = [p for part in parts for p in part.problems if not (p.row in twice and p.reason == DUPLICATE)]
    problems += twice.values()
    problems.sort(key=lambda p: p.row or 0)
    bad = {p.row for p in problems}
    accepted = pd.concat([part.accepted for part in parts])
    accepted = accepted.loc[[r not in bad for r in accepted.index]]
    conversions = pd.concat([part.conversions for part in parts if len(part.conversions)] or [parts[0].conversions],
                            ignore_index=True)
    conversions = conversions[~conversions["source_row"].isin(bad)].reset_index(drop=True)
    return Validation(accepted, problems, conversions)


def _duplicates(frame: pd.DataFrame, file: str) -> dict[int, Problem]:
    """The rows of the whole frame that share a district and school year (the schema's own typing of both),
    each with the problem validate_rows gives it, naming every other row."""
    key = pd.DataFrame({name: _type_text(FIELD_BY_NAME[name], frame[name].astype(str))[0] if name in frame
                        else pd.Series(float("nan"), index=frame.index) for name in KEY}, index=frame.index)
    key = key.dropna()
    dup = key[key.duplicated(keep=False)]
    out = {}
    for (district, year), rows in dup.groupby(KEY, sort=False).groups.items():
        for r in rows:
            others = ", ".join(str(o) for o in rows if o != r)
            out[int(r)] = Problem(file, int(r), "district_id", str(district),
                                  f"one row per district and school year (district {district} appears again for "
                                  f"{year} in row {others})", DUPLICATE)
    return out
