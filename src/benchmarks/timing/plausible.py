"""How many values each plausibility rule flags, on the demo state and on public files (python -m
benchmarks.timing.plausible [ESH district CSV ...])."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pandas as pd

from benchmarks.config import paths
from benchmarks.intake.plausibility import (
    BAND_SDS,
    YEAR_FACTOR,
    changed_from_last_year,
    disagreeing,
    far_from_band,
    out_of_range,
)
from benchmarks.intake.validate import check_file

RULES = {"range": "outside the usual range (Metric.plausible)",
         "band": f"over {BAND_SDS} robust SDs (log) from the size band",
         "year": f"changed from last year beyond a factor {YEAR_FACTOR:g}", "fields": "fields disagree"}


def _counts(accepted: pd.DataFrame, previous: pd.DataFrame | None) -> Counter:
    out = Counter()
    for rule, flags in (("range", out_of_range(accepted, accepted, "")), ("band", far_from_band(accepted, accepted, "")),
                        ("fields", disagreeing(accepted, accepted, "")),
                        ("year", changed_from_last_year(accepted, accepted, "", previous))):
        out[rule] += len(flags)
        for f in flags:
            out[(rule, f.reason)] += 1
    return out


def demo_counts() -> tuple[Counter, int]:
    """Flags per rule over the demo's yearly files, each year against the one before; and the values checked."""
    total, values, before = Counter(), 0, None
    for file in sorted(paths().demo.glob("submissions_*.csv")):
        accepted = check_file(file.read_bytes(), file.name).accepted
        total += _counts(accepted, before)
        values += len(accepted)
        before = accepted if before is None else pd.concat([before, accepted])
    return total, values


def public_counts(file: Path) -> tuple[Counter, int]:
    """Flags per rule over a public file's clean rows (bandwidth per student and cost per Mbps; one year)."""
    from benchmarks.intake.connectivity import read_public_bandwidth

    rows = read_public_bandwidth(Path(file).read_bytes(), str(file))[0]
    rows = rows[~rows["exclude_from_analysis"] & rows["enrollment"].gt(0)]
    mbps = rows["bandwidth_kbps_per_student"] * rows["enrollment"] / 1000
    frame = pd.DataFrame({"school_year": "2015-16", "district_id": range(len(rows)), "state": rows["state"].values,
                          "enrollment": rows["enrollment"].values, "bandwidth_mbps": mbps.values,
                          "internet_monthly_cost_usd": (rows["cost_per_mbps_usd"] * mbps).values})
    from benchmarks.registry.metrics import MEASURE_FIELDS

    for f in MEASURE_FIELDS:
        frame[f.name] = frame.get(f.name, pd.Series(float("nan"), index=frame.index))
    return _counts(frame, None), int(rows["bandwidth_kbps_per_student"].notna().sum())


def lines(counts: Counter, values: int, what: str) -> list[str]:
    out = [f"{what}: {sum(counts[r] for r in RULES)} flags over {values:,} district rows"]
    for rule, words in RULES.items():
        out.append(f"  {counts[rule]:>4} {words}")
        out += [f"       {n:>4} {reason}" for (r, reason), n in sorted(
            ((k, v) for k, v in counts.items() if isinstance(k, tuple) and k[0] == rule), key=lambda kv: -kv[1])]
    return out


def main(files: list[str]) -> None:
    print("\n".join(lines(*demo_counts(), "demo state")))
    for file in files:
        print("\n".join(lines(*public_counts(Path(file)), Path(file).name)))


if __name__ == "__main__":
    main(sys.argv[1:])
