"""Speed of the statistics pass: every derived table for the demo state and for a national dataset,
against the naive way (one district at a time: select its peers, ask numpy)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.config import DEFAULT_MIN_PEERS, Paths
from benchmarks.intake.archive import sha256
from benchmarks.intake.demo import NATION_DISTRICTS, NATION_STATES, generate_nation
from benchmarks.intake.validate import check_file
from benchmarks.pipeline.derive import (
    current_rows,
    derived_tables,
    district_metrics_frame,
)
from benchmarks.privacy.keys import DEMO_KEY, pseudonym
from benchmarks.registry.groups import PEER_GROUPS, STORED_GROUPS, size_band
from benchmarks.registry.metrics import METRICS

def demo_frames(paths: Paths) -> tuple[pd.DataFrame, pd.DataFrame]:
    """district_metrics and the submissions behind it for the committed demo state, as ingest builds them."""
    frames = [check_file(data, file.name).accepted.assign(source_sha256=sha256(data))
              for file in sorted(paths.demo.glob("submissions_*.csv")) for data in [file.read_bytes()]]
    current = pd.concat(frames, ignore_index=True)
    current["pseudonym"] = [pseudonym(DEMO_KEY, d) for d in current["district_id"]]
    current = current_rows(current, pd.DataFrame(columns=["pseudonym", "school_year", "funding_year"]))
    return district_metrics_frame(current), current


def synthetic_national() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The demo nation (intake.demo.generate_nation: 13,000 districts in 50 states, three years each)."""
    current = generate_nation()
    current["pseudonym"] = "P" + current["district_id"]
    return district_metrics_frame(current), current


def esh_frame(path: Path) -> pd.DataFrame:
    """An ESH-format district CSV (cp1252, "NA" for missing) shaped like district_metrics, one school year: the
    rows the publisher kept (exclude_from_analysis FALSE), as every statistic of the toolkit counts them; the
    index is the row's position in the file."""
    raw = pd.read_csv(path, encoding="cp1252", na_values="NA", dtype={"nces_cd": str, "exclude_from_analysis": str})
    raw = raw[raw["exclude_from_analysis"].str.strip().str.upper() == "FALSE"]
    dm = pd.DataFrame({
        "pseudonym": "N" + raw["nces_cd"].str.zfill(7), "school_year": "2015-16", "state": raw["postal_cd"],
        "county": raw["county"], "locale": raw["locale"], "enrollment": raw["num_students"]})
    dm["size_band"] = size_band(dm["enrollment"])
    for m in METRICS:
        dm[m.name] = np.nan
    dm["bandwidth_kbps_per_student"] = raw["ia_bandwidth_per_student"]
    dm["cost_per_mbps_usd"] = raw["monthly_ia_cost_per_mbps"]
    return dm


def naive_seconds_per_district(dm: pd.DataFrame, sample: int = 200, seed: int = 0) -> float:
    """Seconds per district the obvious way: for each stored group and metric, mask the others and call
    np.quantile and a rank count. Timed on a sample of districts."""
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(dm), size=min(sample, len(dm)), replace=False)
    keys = {k: dm[["school_year", *PEER_GROUPS[k].keys]].astype(str).agg("|".join, axis=1).to_numpy()
            for k in STORED_GROUPS}
    values = {m.name: dm[m.name].to_numpy(dtype="float64", na_value=np.nan) for m in METRICS}
    start = time.perf_counter()
    for i in picks:
        for kind in STORED_GROUPS:
            mask = keys[kind] == keys[kind][i]
            mask[i] = False
            for m in METRICS:
                others = values[m.name][mask]
                others = others[~np.isnan(others)]
                if len(others):
                    np.quantile(others, [0.25, 0.5, 0.75])
                    v = values[m.name][i]
                    ((others < v).sum() + 0.5 * (others == v).sum()) / len(others)
    return (time.perf_counter() - start) / len(picks)


def time_tables(dm: pd.DataFrame, current: pd.DataFrame | None, repeat: int = 3) -> float:
    """Best of `repeat` wall-clock seconds for derived_tables."""
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        derived_tables(dm, current, DEFAULT_MIN_PEERS)
        best = min(best, time.perf_counter() - t)
    return best


def bench_stats(paths: Paths, national: Path | None = None, echo=print) -> dict[str, float]:
    """Print and return the timings: all statistics tables for the demo state and a national dataset,
    with the naive per-district way extrapolated from a sample."""
    results = {}
    cases = [("demo state", *demo_frames(paths))]
    if national is not None:
        cases.append((f"national file {Path(national).name} (rows the publisher kept)", esh_frame(Path(national)),
                      None))
    else:
        cases.append((f"demo nation ({NATION_STATES} states, {NATION_DISTRICTS:,} districts)", *synthetic_national()))
    for label, dm, current in cases:
        districts = dm["pseudonym"].nunique()
        seconds = time_tables(dm, current)
        naive = naive_seconds_per_district(dm) * len(dm)
        echo(f"{label}: {districts:,} districts, {len(dm):,} district-years, {len(STORED_GROUPS)} peer groups x "
             f"{len(METRICS)} metrics: all statistics tables in {seconds:.2f} s (best of 3); naive per-district "
             f"loop, peer stats only, about {naive:.1f} s (extrapolated from 200 districts): {naive / seconds:.0f}x")
        results[label] = seconds
    return results
