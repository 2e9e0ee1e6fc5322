"""The peer-group registry: ways of choosing a district's peers, size bands, and the fallback order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

#: Enrollment bands used for "districts of your size" (lower bound inclusive).
SIZE_BANDS: tuple[tuple[int, str], ...] = (
    (0, "under 500 students"),
    (500, "500–1,999 students"),
    (2_000, "2,000–4,999 students"),
    (5_000, "5,000–9,999 students"),
    (10_000, "10,000 students or more"),
)


def size_band(enrollment: pd.Series) -> pd.Series:
    """The enrollment band label of each district."""
    bounds = [b for b, _ in SIZE_BANDS][1:]
    idx = np.searchsorted(bounds, pd.to_numeric(enrollment).to_numpy(dtype="float64"), side="right")
    return pd.Series(np.array([label for _, label in SIZE_BANDS], dtype=object)[idx], index=enrollment.index)


@dataclass(frozen=True)
class PeerGroup:
    """A way of choosing a district's peers."""

    name: str
    label: str
    #: Columns of district_metrics that districts of one group share (the school year is always added).
    keys: tuple[str, ...]
    #: How the report refers to the group in a sentence ("Higher ... than the median of <phrase>").
    phrase: str
    #: How the peers were chosen, filled in from the district's own row (str.format with its columns).
    how: str
    #: Stored at ingest for every district; the custom group is computed on demand for one report.
    stored: bool = True

    def group_label(self, frame: pd.DataFrame) -> pd.Series:
        """A name for each row's group, unique within a school year and kind (e.g. "Kestrel County, PS")."""
        if not self.keys:
            return pd.Series(self.label.lower(), index=frame.index, dtype=object)
        parts = [frame[k].astype(str) for k in reversed(self.keys)]
        out = parts[0]
        for part in parts[1:]:
            out = out + ", " + part
        return out

    def describe(self, row) -> str:
        """How this district's peers in the group were chosen, in words."""
        return self.how.format(**{k: row[k] for k in ("state", "county", "locale", "size_band") if k in row})


PEER_GROUPS: dict[str, PeerGroup] = {
    "county": PeerGroup("county", "County", ("state", "county"), "districts in your county",
                        "same county: {county}, {state}"),
    "locale": PeerGroup("locale", "Locale", ("state", "locale"), "districts of your locale in the state",
                        "same NCES locale within the state: {locale} districts of {state}"),
    "size_band": PeerGroup("size_band", "Size band", ("state", "size_band"), "districts of your size in the state",
                           "same enrollment band within the state: {size_band} in {state}"),
    "state": PeerGroup("state", "State", ("state",), "districts in the state", "same state: all of {state}"),
    "custom": PeerGroup("custom", "Custom group", (), "districts in your chosen group",
                        "a list of districts named for this report", stored=False),
}
#: Groups stored for every district at ingest, in the order reports show them.
STORED_GROUPS: tuple[str, ...] = tuple(k for k, g in PEER_GROUPS.items() if g.stored)
#: All the districts of a school year, as one group (the board's national or multi-state view).
ALL_DISTRICTS = PeerGroup("all", "All districts", (), "all districts in the data", "every district in the data set")
#: Whole groups whose distribution is stored for readers outside them (the board summary), by kind.
WHOLE_GROUPS: dict[str, PeerGroup] = {"all": ALL_DISTRICTS, **{k: PEER_GROUPS[k] for k in STORED_GROUPS}}
#: When a group is too small to publish, a report falls back along this order.
FALLBACK_ORDER: tuple[str, ...] = ("county", "size_band", "state")
#: The district report's summary columns (DESIGN: where we stand vs county, size band and state); a custom
#: group, when given, comes first.
SCORECARD_GROUPS: tuple[str, ...] = ("custom", "county", "size_band", "state")


def first_shown(shown: Mapping[str, object], order: tuple[str, ...] = FALLBACK_ORDER):
    """The first group kind along `order` whose entry in `shown` is true: None where no group is shown.

    shown: group kind -> bool, or -> a boolean array (one entry per row, answered for every row at once);
    kinds missing from `shown` count as not shown.
    """
    kinds = [k for k in order if k in shown]
    flags = [np.asarray(shown[k], dtype=bool) for k in kinds]
    if not flags or flags[0].ndim == 0:
        return next((k for k, f in zip(kinds, flags) if f), None)
    choices = [np.full(flags[0].shape, k, dtype=object) for k in kinds]
    return np.select(flags, choices, default=None)


def group_codes(district_metrics: pd.DataFrame, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Integer group code (school year and the group's keys) and group label of every row."""
    group = PEER_GROUPS[kind]
    codes = district_metrics.groupby(["school_year", *group.keys], sort=True, dropna=False).ngroup().to_numpy()
    return codes, group.group_label(district_metrics).to_numpy()
