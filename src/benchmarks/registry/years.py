"""School years: "2025-26" and the calendar year it starts in, the year before, and a target year given by a user."""

from __future__ import annotations

import numpy as np


def year_start(school_year) -> np.ndarray:
    """The calendar year each school year starts in: "2025-26" -> 2025."""
    return np.array([int(str(y)[:4]) for y in np.atleast_1d(np.asarray(school_year, dtype=object))], dtype=np.int64)


def school_year_label(start: int) -> str:
    """The school year starting in `start`: 2025 -> "2025-26"."""
    return f"{start}-{(start + 1) % 100:02d}"


def previous_year(school_year: str) -> str:
    """The school year before: "2025-26" -> "2024-25"."""
    return school_year_label(int(year_start([school_year])[0]) - 1)


def parse_school_year(text: str | int, what: str = "target year") -> int:
    """A school year given as "2027-28" or 2027, as its start year; a clear error (naming `what`) otherwise."""
    s = str(text).strip()
    if len(s) == 4 and s.isdigit():
        return int(s)
    if len(s) == 7 and s[:4].isdigit() and s[4] == "-" and s[5:].isdigit() and int(s[5:]) == (int(s[:4]) + 1) % 100:
        return int(s[:4])
    raise ValueError(f"{what} {text!r}: expected a school year such as 2027-28, or its first year 2027")


#: A plan's target year lies at most this many school years after the data's: a trend projected further says
#: nothing (a target year of 9999 once projected "-579.6 hours" to resolve a ticket).
MAX_YEARS_AHEAD = 10


def target_year_of(school_year: str, target_year: str | int = "", default_ahead: int = 2) -> int:
    """The start year of a target year given for data of school_year: empty is default_ahead years after it; a
    ValueError in one sentence for one before it or more than MAX_YEARS_AHEAD after it."""
    now = int(year_start([school_year])[0])
    target = now + default_ahead if str(target_year).strip() == "" else parse_school_year(target_year)
    if target < now:
        raise ValueError(f"target year {school_year_label(target)} is before the report's year {school_year}")
    if target > now + MAX_YEARS_AHEAD:
        raise ValueError(f"target year {school_year_label(target)} is more than {MAX_YEARS_AHEAD} years after the "
                         f"report's year {school_year}: give one up to {school_year_label(now + MAX_YEARS_AHEAD)}")
    return target


def funding_school_year(funding_year: int) -> str:
    """The school year an E-rate funding year pays for: funding year Y runs from July Y to June Y+1, so
    funding year 2015 is school year 2015-16."""
    return school_year_label(int(funding_year))
