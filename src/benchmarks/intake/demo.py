"""Fictional demo data: a deterministic "Prairie State" shaped like Illinois, written as yearly submission files;
and a nation of such states (fictional districts under the 50 states' postal codes) for runs at national scale."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.registry.metrics import FIELDS, STATES

DEMO_STATE = "PS"
DEMO_SEED = 2026
SCHOOL_YEARS = ("2023-24", "2024-25", "2025-26")
#: The only county with exactly 9 districts; its name is fixed so tests and docs can point at it.
DEMO_COUNTY = "Kestrel County"

N_DISTRICTS = 860
N_COUNTIES = 101
METRO_SIZE = 140
#: Small counties that must exist: the privacy rules are tested on them.
_FIXED_SIZES = (METRO_SIZE, 9, 1, 2, 3, 4, 5)
_MAX_OTHER_COUNTY = 48
#: The national set: about as many districts as the United States has, in 50 states of skewed sizes (like
#: the real ones); the smallest still holds the demo's small counties and enough peers for every group.
NATION_DISTRICTS = 13_000
NATION_STATES = 50
_MIN_STATE = 100
_MAX_STATE = 2_500  # its counties still get distinct invented names
#: DC and the territories take part in E-rate, but the nation's 50 are the states.
_NOT_STATES = ("AS", "DC", "GU", "MP", "PR", "VI", DEMO_STATE)

# Invented name parts. Tuples, never sets, so the draws do not depend on hash ordering.
_COUNTY_STEMS = ("Bram", "Cald", "Corv", "Dunn", "Elk", "Fenn", "Garr", "Hazel", "Ivel", "Jen", "Kell",
                 "Lark", "Marl", "Norv", "Orr", "Pell", "Quill", "Rusk", "Sable", "Tamm", "Umber", "Vell",
                 "Wrenn", "Yarr", "Zell", "Asher", "Birch", "Cobb", "Drey", "Ember")
_COUNTY_ENDS = ("wick", "ford", "mere", "dale", "ton", "ley", "brook", "stead", "holm", "ridge")
_PLACE_STEMS = ("Alder", "Amberly", "Bexley", "Brackett", "Brindle", "Calder", "Carrow", "Corwin", "Dunmore",
                "Ellery", "Elmsworth", "Fenwick", "Foxhollow", "Garrow", "Greyfield", "Halvern", "Harlan",
                "Hesketh", "Ivers", "Jessup", "Kellan", "Larkin", "Lindell", "Marlow", "Merritt", "Norcross",
                "Oakhurst", "Orrin", "Pellston", "Quarry", "Radley", "Rowan", "Sablewood", "Selby", "Tamsin",
                "Thorne", "Varden", "Wexley", "Wyndmoor", "Wrenfield", "Yardley", "Ashcombe", "Birchard",
                "Copperton", "Dorrance", "Emberly", "Fallow", "Gilroy", "Hartwell", "Ingram", "Juniper",
                "Kingsley", "Lowden", "Millbury", "Nettlefold", "Ormsby", "Penrose", "Quimby", "Redvale", "Stillwell")
_PLACE_PREFIXES = ("North", "South", "East", "West", "New", "Mount", "Lake", "Port")
_PLACE_SUFFIXES = ("Bend", "Grove", "Prairie", "Springs", "Valley", "Heights", "Ridge", "Creek", "Falls",
                   "Hills", "Point", "Crossing", "Meadows", "Park")
#: District kinds as the state abbreviates them, with how common each is.
_KINDS = ("CUSD", "SD", "CCSD", "CHSD", "UD")
_KIND_P = (0.42, 0.26, 0.14, 0.12, 0.06)
#: Contracted internet tiers in Mbps; districts buy circuits in these steps, not arbitrary figures.
_TIERS = np.array([10, 20, 50, 100, 150, 200, 250, 300, 400, 500, 750, 1000, 1500, 2000, 3000, 4000, 5000,
                   10000, 20000, 30000, 40000, 50000, 100000], dtype=float)
#: Bandwidth per student in each year relative to the latest (upgrades over time).
_BANDWIDTH_GROWTH = (0.56, 0.77, 1.0)
#: Log-shift of bandwidth per student by locale: rural districts buy minimum circuits for few students.
_LOCALE_BANDWIDTH = {"City": -0.35, "Suburb": -0.2, "Town": 0.05, "Rural": 0.35}
#: E-rate Category One discount bands and how common each is among the demo's districts.
_ERATE_BANDS = np.array([0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
_ERATE_P = (0.05, 0.15, 0.2, 0.2, 0.2, 0.12, 0.08)
#: Text written for money (fixed cents) and other numbers (rounded, trailing zeros dropped as typed).
_MONEY = ("device_spend_usd", "internet_monthly_cost_usd")


def _county_sizes(rng: np.random.Generator, districts: int = N_DISTRICTS, counties: int = N_COUNTIES) -> np.ndarray:
    """Districts per county: the fixed anchors (the metro county first, scaled to the state) plus a
    right-skewed rest, summing to `districts`."""
    fixed = (max(10, round(districts * METRO_SIZE / N_DISTRICTS)), *_FIXED_SIZES[1:])
    n_rest = counties - len(fixed)
    cap = min(_MAX_OTHER_COUNTY, fixed[0] - 1)  # the metro county stays the biggest, even in a small state
    rest = np.clip(np.rint(rng.lognormal(np.log(5.5), 0.8, n_rest)), 1, cap).astype(int)
    rest[rest == 9] = np.where(rng.random(int((rest == 9).sum())) < 0.5, 8, 10)  # 9 is DEMO_COUNTY's alone
    target = districts - sum(fixed)
    while (gap := target - int(rest.sum())) != 0:
        # Nudge in proportion to size so the small counties keep their shape.
        i = int(rng.choice(n_rest, p=rest / rest.sum()))
        step = 1 if gap > 0 else -1
        new = rest[i] + step
        if new == 9 and not np.isin(rest + step, np.r_[1:9, 10:cap + 1]).any():
            new += step  # a small state's counties can all stall at 8: only then step over 9
        if 1 <= new <= cap and new != 9:
            rest[i] = new
    return np.concatenate([np.array(fixed), rest])


def _county_names(rng: np.random.Generator, counties: int = N_COUNTIES) -> list[str]:
    # Drop a doubled joining letter ("Kell" + "ley" -> "Kelley", not "Kellley").
    pool = [f"{s}{e[1:] if s[-1] == e[0] else e} County" for s in _COUNTY_STEMS for e in _COUNTY_ENDS]
    pool = [p for p in pool if p != DEMO_COUNTY]
    picked = [pool[i] for i in rng.choice(len(pool), counties - 1, replace=False)]
    return [picked[0], DEMO_COUNTY] + picked[1:]  # position 1 is the 9-district county


def _district_names(rng: np.random.Generator, n: int) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()  # membership only; order comes from the list
    while len(names) < n:
        place = str(rng.choice(_PLACE_STEMS))
        if rng.random() < 0.25:
            place = f"{rng.choice(_PLACE_PREFIXES)} {place}"
        if rng.random() < 0.45:
            place = f"{place} {rng.choice(_PLACE_SUFFIXES)}"
        name = f"{place} {_KINDS[int(rng.choice(len(_KINDS), p=_KIND_P))]} {int(rng.integers(1, 400))}"
        if name not in seen:
            seen.add(name)
            names.append(name)
    # One name with an ampersand, so every report's escaping is exercised by the demo.
    i = int(rng.integers(n))
    names[i] = f"{_PLACE_STEMS[0]} & {_PLACE_STEMS[-1]} CCSD 5"
    return names


def _locales(rng: np.random.Generator, tier: np.ndarray, enroll: np.ndarray) -> np.ndarray:
    """Locale from county tier (3 metro, 2 collar, 1 regional, 0 small) and district size."""
    u = rng.random(len(tier))
    out = np.where(enroll > 1500, np.where(u < 0.65, "Town", "Rural"), np.where(u < 0.15, "Town", "Rural"))
    out = np.where(enroll > 20000, "City", out)  # a county-seat city
    regional = np.where(enroll > 15000, "City", np.where(
        enroll > 1200, np.select([u < 0.55, u < 0.8], ["Town", "Suburb"], "Rural"),
        np.where(u < 0.7, "Rural", "Town")))
    collar = np.where((enroll > 12000) & (u < 0.6), "City", np.select(
        [u < 0.72, (u < 0.86) | (enroll > 3000)], ["Suburb", "Town"], "Rural"))
    # In the metro county the biggest tenth are cities, the rest suburbs.
    metro = np.full(len(tier), "Suburb", dtype=object)
    m = np.flatnonzero(tier == 3)
    metro[m[enroll[m] >= np.quantile(enroll[m], 0.91)]] = "City"
    out = np.select([tier == 3, tier == 2, tier == 1], [metro, collar, regional], out)
    return out.astype(object)


def _snap(mbps: np.ndarray) -> np.ndarray:
    """The contracted tier nearest on a log scale."""
    idx = np.abs(np.log(_TIERS)[None, :] - np.log(np.maximum(mbps, 1.0))[:, None]).argmin(axis=1)
    return _TIERS[idx]


def generate(seed: int = DEMO_SEED, state: str = DEMO_STATE, districts: int = N_DISTRICTS) -> pd.DataFrame:
    """One row per district per school year, columns in template order, values as a district types them.

    The defaults are the demo's Prairie State; another `districts` scales its counties (about 8.5 districts
    each, the metro county a sixth of the state) and keeps its small anchor counties."""
    if not _MIN_STATE <= districts <= _MAX_STATE:
        raise ValueError(f"a demo state has {_MIN_STATE} to {_MAX_STATE} districts, not {districts}")
    rng = np.random.default_rng(seed)
    n_counties = round(districts * N_COUNTIES / N_DISTRICTS)
    sizes = _county_sizes(rng, districts, n_counties)
    counties = np.repeat(np.array(_county_names(rng, n_counties), dtype=object), sizes)
    n = int(sizes.sum())
    size_of = np.repeat(sizes, sizes)
    metro = np.repeat(np.arange(len(sizes)) == 0, sizes)
    tier = np.select([metro, size_of >= 20, size_of >= 8], [3, 2, 1], 0)

    # Enrollment: a lognormal sample (quartiles ~400/1,100/3,000) handed out by rank of a propensity
    # that favours metro and collar counties, so the marginal shape stays exact while size follows place.
    z = np.clip(rng.standard_normal(n), -2.6, 2.6)
    sample = np.sort(np.maximum(np.exp(np.log(1100) + 1.49 * z), 40.0))
    propensity = np.array([-0.5, 0.0, 0.4, 0.6])[tier] + rng.standard_normal(n)
    enroll_latest = sample[np.argsort(np.argsort(propensity, kind="stable"), kind="stable")]
    locale = _locales(rng, tier, enroll_latest)

    ids = np.array([f"99{v:05d}" for v in rng.choice(100_000, n, replace=False)], dtype=object)
    names = np.array(_district_names(rng, n), dtype=object)

    # Per-district traits that persist across years.
    growth = rng.normal(-0.004, 0.02, n)
    pupils_per_room = 20 * np.exp(rng.normal(0, 0.1, n))
    dps = np.clip(rng.normal(1.13, 0.115, n), 0.7, 1.7)
    refresh = rng.normal(0.25, 0.045, n)
    price = np.clip(rng.normal(315, 50, n), 205, 445)
    loc_shift = np.array([_LOCALE_BANDWIDTH[v] for v in locale])
    kbps = np.exp(np.log(1150) + loc_shift - 0.08 * (np.log(enroll_latest) - np.log(1100))
                  + rng.normal(0, 0.7, n))
    cpm = np.exp(np.log(2.0) + rng.normal(0, 0.4, n))
    apc = np.clip(rng.normal(0.92, 0.14, n), 0.5, 1.25)
    wifi6_logit = rng.normal(0.0, 1.0, n)
    tickets = np.exp(np.log(55) + rng.normal(0, 0.3, n))
    hours = np.exp(np.log(20) + rng.normal(0, 0.5, n))
    staff = np.exp(np.log(0.85) + rng.normal(0, 0.35, n))
    # E-rate discount bands (Category One, by poverty and locale), drawn from a stream of their own so that
    # adding this field left every other demo value unchanged.
    erate_rng = np.random.default_rng([seed, 1])
    discount = erate_rng.choice(_ERATE_BANDS, n, p=_ERATE_P)
    discount = np.minimum(0.9, discount + 0.1 * ((locale == "Rural") & (discount < 0.9)))

    # Enrollment and contracted bandwidth first: contracts rarely shrink, so an earlier year never has
    # more bandwidth than the next one.
    enroll, mbps = [], []
    for k in range(len(SCHOOL_YEARS)):
        back = len(SCHOOL_YEARS) - 1 - k  # years before the latest
        e = np.maximum(20, np.rint(enroll_latest * np.exp(-growth * back + rng.normal(0, 0.006, n) * (back > 0))))
        want = kbps * _BANDWIDTH_GROWTH[k] * np.exp(rng.normal(0, 0.15, n))
        enroll.append(e)
        mbps.append(_snap(want * e / 1000))
    for k in range(len(SCHOOL_YEARS) - 2, -1, -1):
        mbps[k] = np.minimum(mbps[k], mbps[k + 1])

    years = []
    for k, year in enumerate(SCHOOL_YEARS):
        back = len(SCHOOL_YEARS) - 1 - k
        e, bw = enroll[k], mbps[k]
        rooms = np.maximum(1, np.rint(e / pupils_per_room))
        dev = np.maximum(1, np.rint(e * (dps - 0.035 * back + rng.normal(0, 0.02, n))))
        rep = np.maximum(1, np.rint(dev * np.clip(refresh + rng.normal(0, 0.03, n), 0.1, 0.45)))
        unit = np.round(np.clip(price * 1.025 ** -back * np.exp(rng.normal(0, 0.04, n)), 201, 449), 2)
        # Bigger circuits cost less per Mbps; prices fall about 10% a year.
        per_mbps = cpm * (bw / 1000) ** -0.35 * 1.12 ** back * np.exp(rng.normal(0, 0.05, n))
        aps = np.maximum(1, np.rint(rooms * np.clip(apc - 0.03 * back + rng.normal(0, 0.02, n), 0.45, 1.3)))
        w6 = np.rint(aps / (1 + np.exp(-(wifi6_logit - 0.9 * back))))
        tick = np.rint(dev / 100 * tickets * np.exp(rng.normal(0, 0.1, n)))
        hrs = np.round(np.clip(hours * np.exp(rng.normal(0, 0.15, n)), 1, 400), 1)
        fte = np.maximum(0.1, np.round(dev / 1000 * staff * np.exp(rng.normal(0, 0.05, n)), 1))
        years.append({
            "school_year": np.full(n, year, dtype=object), "district_id": ids, "district_name": names,
            "state": np.full(n, state, dtype=object), "county": counties, "locale": locale,
            "enrollment": e, "classrooms": rooms, "student_devices": dev, "devices_replaced": rep,
            "device_spend_usd": np.round(rep * unit, 2), "bandwidth_mbps": bw,
            "internet_monthly_cost_usd": np.round(per_mbps * bw, 2), "erate_discount": discount,
            "access_points": aps,
            "wifi6_access_points": w6, "helpdesk_tickets": tick, "median_resolution_hours": hrs,
            "tech_staff_fte": fte,
        })

    frame = pd.concat([pd.DataFrame(y) for y in years], ignore_index=True)
    for f in FIELDS:
        if f.dtype == "integer":
            frame[f.name] = frame[f.name].astype("int64")
        elif f.dtype == "number":
            frame[f.name] = frame[f.name].astype("float64")
        else:
            frame[f.name] = frame[f.name].astype(str)
    frame = frame.sort_values(["school_year", "district_id"], kind="stable", ignore_index=True)
    return frame[[f.name for f in FIELDS]]


def generate_nation(seed: int = DEMO_SEED, states: int = NATION_STATES,
                    districts: int = NATION_DISTRICTS) -> pd.DataFrame:
    """`states` demo states (each the generator with a seed of its own) of skewed sizes summing to `districts`,
    under the real states' postal codes; district ids unique across the nation, still in the demo's 99 range."""
    codes = [s for s in STATES if s not in _NOT_STATES]
    if not 1 <= states <= len(codes) or not states * _MIN_STATE <= districts <= min(states * _MAX_STATE, 100_000):
        raise ValueError(f"a demo nation has 1 to {len(codes)} states of {_MIN_STATE} to {_MAX_STATE} districts "
                         f"each, at most 100,000 districts in all; not {districts} districts in {states} states")
    rng = np.random.default_rng([seed, 2])
    share = rng.lognormal(0, 0.8, states)
    sizes = np.clip(np.rint(share / share.sum() * districts), _MIN_STATE, _MAX_STATE).astype(int)
    while (gap := districts - int(sizes.sum())) != 0:  # the largest state that has room takes the rest
        room = np.flatnonzero(sizes < _MAX_STATE if gap > 0 else sizes > _MIN_STATE)
        i = int(room[np.argmax(sizes[room])])
        sizes[i] += int(np.clip(gap, _MIN_STATE - sizes[i], _MAX_STATE - sizes[i]))
    ids = iter(f"99{v:05d}" for v in rng.choice(100_000, districts, replace=False))
    parts = []
    for i, (code, size) in enumerate(zip(codes[:states], sizes)):
        state = generate(seed * 1000 + i + 1, code, int(size))
        own = {old: next(ids) for old in dict.fromkeys(state["district_id"])}
        parts.append(state.assign(district_id=state["district_id"].map(own)))
    frame = pd.concat(parts, ignore_index=True)
    return frame.sort_values(["school_year", "state", "district_id"], kind="stable", ignore_index=True)


def _cell(name: str, dtype: str, value) -> str:
    """Explicit text for one cell, independent of float repr."""
    if dtype == "text":
        return str(value)
    if dtype == "integer":
        return str(int(value))
    if name in _MONEY:
        return f"{value:.2f}"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def _csv_bytes(rows: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([f.name for f in FIELDS])
    columns = [(f.name, f.dtype, rows[f.name].tolist()) for f in FIELDS]
    for i in range(len(rows)):
        writer.writerow([_cell(name, dtype, values[i]) for name, dtype, values in columns])
    return buf.getvalue().encode("utf-8")


def write_demo(folder: Path, seed: int = DEMO_SEED, frame: pd.DataFrame | None = None) -> list[Path]:
    """Write submissions_<year>.csv for each school year, atomically; returns the paths in year order.
    frame: the rows to write (e.g. generate_nation()); the demo state by default."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    frame = generate(seed) if frame is None else frame
    written = []
    for year in SCHOOL_YEARS:
        target = folder / f"submissions_{year}.csv"
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(_csv_bytes(frame[frame["school_year"] == year].reset_index(drop=True)))
            os.chmod(tmp, 0o644)  # mkstemp makes it private; these are ordinary shared files
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written.append(target)
    return written
