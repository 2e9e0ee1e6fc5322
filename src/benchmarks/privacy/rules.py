"""The disclosure rules in force (thresholds stored with the warehouse) and the one way to pool small groups."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from benchmarks.config import (DEFAULT_DOMINANCE, DEFAULT_MIN_PEERS, DEFAULT_QUARTILE_MIN_PEERS, DEFAULT_TOLERANCE,
                               FLOOR_MIN_PEERS)
from benchmarks.formats import decimals
from benchmarks.registry.metrics import Metric
from benchmarks.warehouse.store import read_meta


def check_min_peers(min_peers: int) -> int:
    """A minimum group size a user asked for, refused below the floor of the disclosure rule."""
    if int(min_peers) < FLOOR_MIN_PEERS:
        raise ValueError(f"min_peers must be at least {FLOOR_MIN_PEERS} (disclosure rule); got {min_peers}")
    return int(min_peers)


@dataclass(frozen=True)
class Rules:
    """The disclosure thresholds in force; stored with the warehouse so every output states the same ones."""

    min_peers: int = DEFAULT_MIN_PEERS
    quartile_min_peers: int = DEFAULT_QUARTILE_MIN_PEERS
    dominance: float = DEFAULT_DOMINANCE
    #: Bands lie on a grid this many times coarser than the figures' display rounding.
    band_factor: int = 10
    #: How far a shown (smoothed) percentile may lie from the plain one, as a share of it (see tolerance_of).
    tolerance: float = DEFAULT_TOLERANCE

    def __post_init__(self):
        check_min_peers(self.min_peers)
        if self.quartile_min_peers < self.min_peers:
            raise ValueError(f"quartile_min_peers ({self.quartile_min_peers}) must be at least min_peers "
                             f"({self.min_peers})")
        if not 0.5 <= self.dominance < 1:
            raise ValueError(f"dominance must be a share between 0.5 and 1; got {self.dominance}")
        if self.band_factor not in (10, 100, 1000):
            raise ValueError(f"band_factor must be 10, 100 or 1000 (bands are shown one decimal coarser than "
                             f"figures); got {self.band_factor}")
        if not 0 < self.tolerance <= 0.25:
            raise ValueError(f"tolerance must be a share above 0 and at most 0.25; got {self.tolerance}")

    @classmethod
    def for_min_peers(cls, min_peers: int = DEFAULT_MIN_PEERS) -> "Rules":
        """The default rules with a stricter (or equal) minimum group size."""
        return cls(int(min_peers), max(DEFAULT_QUARTILE_MIN_PEERS, int(min_peers)))

    def as_meta(self) -> dict[str, str]:
        return {"min_peers": str(self.min_peers), "quartile_min_peers": str(self.quartile_min_peers),
                "dominance": repr(self.dominance), "band_factor": str(self.band_factor),
                "tolerance": repr(self.tolerance)}

    @classmethod
    def from_meta(cls, meta: Mapping[str, str]) -> "Rules":
        d = cls()
        return cls(int(meta.get("min_peers", d.min_peers)),
                   int(meta.get("quartile_min_peers", d.quartile_min_peers)),
                   float(meta.get("dominance", d.dominance)), int(meta.get("band_factor", d.band_factor)),
                   float(meta.get("tolerance", d.tolerance)))

    def may_show(self, n: int) -> bool:
        """Whether a group of n districts (n others, for a district's own peers) may be shown or named."""
        return int(n) >= self.min_peers

    def may_meet(self, n: int) -> bool:
        """Whether n of a whole group's districts (a county's members) may be shown a figure of them all, their
        round-table page included: each member, setting its own figures aside, must still see min_peers others."""
        return int(n) >= self.min_peers + 1

    def at_least(self, min_peers: int | None) -> "Rules":
        """These rules, tightened to min_peers if that is stricter; never loosened."""
        if min_peers is None or int(min_peers) <= self.min_peers:
            return self
        return Rules(int(min_peers), max(self.quartile_min_peers, int(min_peers)), self.dominance, self.band_factor,
                     self.tolerance)


def rules_of(con) -> Rules:
    """The rules a warehouse's peer statistics were protected with."""
    return Rules.from_meta(read_meta(con))


def band_step(m: Metric, rules: Rules) -> float:
    """Width of a band, in display units."""
    return rules.band_factor * 10.0 ** -decimals(m)


def tolerance_of(m: Metric, shown, rules: Rules):
    """How far, in display units, a figure shown as `shown` (display units) may lie from the plain one and
    still be called the same: the rules' share of it, and never less than one display unit (rounding)."""
    return np.maximum(rules.tolerance * np.abs(shown), 10.0 ** -decimals(m))


def pool_small(counts: Mapping[str, int], rules: Rules) -> tuple[list[tuple[str, int]], int, int]:
    """Districts per group of a breakdown (counties) as a page may name them: the groups of at least
    min_peers districts, largest first, and the rest pooled as (how many groups, how many districts)."""
    import pandas as pd

    # pandas' descending sort, as the pages have always listed counties (ties in its order)
    ordered = pd.Series(dict(counts), dtype="int64").sort_values(ascending=False)
    named = [(str(k), int(n)) for k, n in ordered.items() if rules.may_show(n)]
    small = [int(n) for n in ordered if not rules.may_show(n)]
    return named, len(small), sum(small)
