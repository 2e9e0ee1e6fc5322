"""Checks a submission table against the template's fields, row by row, and says what was expected."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .metrics import FIELDS, ID_FIELDS, LOCALES, MEASURE_FIELDS, Field

#: First data row as the person sees it in a spreadsheet (row 1 is the header).
FIRST_DATA_ROW = 2
_YEAR = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one cell (or a whole file when row is None)."""

    file: str
    row: int | None
    column: str
    value: str
    expected: str

    def __str__(self) -> str:
        where = f"{self.file}, row {self.row}" if self.row is not None else self.file
        shown = f" value {self.value!r}:" if self.value != "" else ""
        return f"{where}, column {self.column}:{shown} expected {self.expected}"


def normalize_header(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lstrip("\ufeff").lower())


def missing_columns(columns: list[str]) -> list[str]:
    present = set(columns)
    return [f.name for f in FIELDS if f.required and f.name not in present]


def _expected(f: Field) -> str:
    kind = "a whole number" if f.dtype == "integer" else "a number"
    return f"{kind} from {f.min:g} to {f.max:g}"


def _check_measure(f: Field, text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parsed values and a boolean mask of bad cells."""
    stripped = text.str.strip()
    values = pd.to_numeric(stripped, errors="coerce").astype("float64")
    bad = values.isna() | ~np.isfinite(values) | (values < f.min) | (values > f.max)
    if f.dtype == "integer":
        bad |= values.notna() & (values != np.round(values))
    bad &= ~((stripped == "") & (not f.required))
    return values, bad


def _check_id(f: Field, text: pd.Series) -> pd.Series:
    stripped = text.str.strip()
    bad = stripped == ""
    if f.name == "locale":
        bad |= ~stripped.isin(LOCALES)
    elif f.name == "state":
        bad |= ~stripped.str.fullmatch(r"[A-Z]{2}")
    elif f.name == "school_year":
        parts = stripped.str.extract(_YEAR).astype("float64")
        bad |= parts[0].isna() | (((parts[0] + 1) % 100) != parts[1])
    return bad


_ID_EXPECTED = {
    "locale": "one of " + ", ".join(LOCALES),
    "state": "a two-letter state code such as IL",
    "school_year": "a school year written YYYY-YY, such as 2025-26",
}


def validate_rows(frame: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Typed rows that passed and the problems of those that did not.

    frame holds the file's cells as text with normalized headers; its index is the spreadsheet row number.
    The returned frame keeps only rows without any problem, measure columns parsed to numbers.
    """
    problems: list[Problem] = []
    typed = pd.DataFrame(index=frame.index)
    for f in ID_FIELDS:
        text = frame[f.name].astype(str)
        bad = _check_id(f, text)
        for row in frame.index[bad.to_numpy()]:
            problems.append(Problem(file, int(row), f.name, frame.at[row, f.name],
                                    _ID_EXPECTED.get(f.name, "a non-empty text")))
        typed[f.name] = text.str.strip()
    for f in MEASURE_FIELDS:
        values, bad = _check_measure(f, frame[f.name].astype(str))
        for row in frame.index[bad.to_numpy()]:
            problems.append(Problem(file, int(row), f.name, frame.at[row, f.name], _expected(f)))
        typed[f.name] = values
    dup = typed.duplicated(["district_id", "school_year"], keep=False)
    for row in typed.index[dup.to_numpy()]:
        problems.append(Problem(file, int(row), "district_id", typed.at[row, "district_id"],
                                f"one row per district and school year (district appears more than once for "
                                f"{typed.at[row, 'school_year']})"))
    bad_rows = {p.row for p in problems}
    return typed.loc[[r not in bad_rows for r in typed.index]], problems
