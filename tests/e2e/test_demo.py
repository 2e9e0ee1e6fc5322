"""The fictional demo state: shape like Illinois, realistic metric distributions, byte-stable files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks.config import paths
from benchmarks.intake import demo
from benchmarks.intake.demo import DEMO_COUNTY, DEMO_SEED, DEMO_STATE, SCHOOL_YEARS, generate, write_demo
from benchmarks.registry.metrics import FIELDS, LOCALES, METRICS, compute_metrics

LATEST = SCHOOL_YEARS[-1]


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return generate()


@pytest.fixture(scope="module")
def metrics(frame: pd.DataFrame) -> pd.DataFrame:
    return compute_metrics(frame)


@pytest.fixture(scope="module")
def latest(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["school_year"] == LATEST]


def by_year(frame: pd.DataFrame, metrics: pd.DataFrame, name: str) -> list[pd.Series]:
    return [metrics.loc[frame["school_year"] == y, name] for y in SCHOOL_YEARS]


def test_constants():
    assert DEMO_STATE == "PS" and DEMO_SEED == 2026
    assert SCHOOL_YEARS == ("2023-24", "2024-25", "2025-26")


def test_rows_and_columns(frame):
    assert list(frame.columns) == [f.name for f in FIELDS]
    n = frame["district_id"].nunique()
    assert 840 <= n <= 880
    assert len(frame) == 3 * n
    assert (frame["state"] == DEMO_STATE).all()
    assert not frame.duplicated(["district_id", "school_year"]).any()
    for f in FIELDS:
        if f.dtype == "integer":
            assert frame[f.name].dtype == np.int64, f.name


def test_every_district_in_every_year_with_stable_identity(frame):
    years = frame.groupby("district_id")["school_year"].apply(lambda s: tuple(sorted(s)))
    assert (years == SCHOOL_YEARS).all()
    identity = frame.groupby("district_id")[["district_name", "county", "locale"]].nunique()
    assert (identity == 1).all().all()
    assert frame["district_id"].str.fullmatch(r"99\d{5}").all()


def test_names_are_unique_and_one_has_an_ampersand(latest):
    assert latest["district_name"].is_unique
    assert latest["district_name"].str.contains("&", regex=False).sum() == 1
    assert latest["county"].str.endswith(" County").all()


def test_county_shape(latest):
    sizes = latest.groupby("county")["district_id"].nunique()
    assert 90 <= len(sizes) <= 110
    assert list(sizes[sizes == 9].index) == [DEMO_COUNTY]
    assert sizes.max() >= 120
    assert (sizes >= 120).sum() == 1
    for k in (1, 2, 3, 4, 5):
        assert (sizes == k).any(), f"no county with {k} districts"
    assert 4 <= sizes.median() <= 6
    assert (sizes <= 4).sum() >= 30  # many small counties


def test_enrollment_quartiles(latest):
    q25, q50, q75 = latest["enrollment"].quantile([0.25, 0.5, 0.75])
    assert 320 <= q25 <= 480
    assert 900 <= q50 <= 1300
    assert 2500 <= q75 <= 3600
    assert 20_000 <= latest["enrollment"].max() <= 100_000
    ratio = latest["enrollment"] / latest["classrooms"]
    assert 17 <= ratio.median() <= 23


def test_enrollment_drifts_a_few_percent(frame):
    wide = frame.pivot(index="district_id", columns="school_year", values="enrollment")
    change = (wide[list(SCHOOL_YEARS[1:])].to_numpy() / wide[list(SCHOOL_YEARS[:-1])].to_numpy()) - 1
    assert np.median(np.abs(change)) < 0.04
    assert np.quantile(np.abs(change), 0.95) < 0.10


def test_locales_follow_place_and_size(latest):
    assert set(latest["locale"]) == set(LOCALES)
    sizes = latest.groupby("county")["district_id"].transform("nunique")
    metro = latest[sizes >= 120]
    assert metro["locale"].isin(["Suburb", "City"]).mean() >= 0.9
    assert (metro["locale"] == "Suburb").mean() >= 0.75
    small = latest[sizes <= 4]
    assert small["locale"].isin(["Rural", "Town"]).mean() >= 0.9
    med = latest.groupby("locale")["enrollment"].median()
    assert med["City"] > med["Suburb"] > med["Rural"]


def test_values_inside_field_and_metric_ranges(frame, metrics):
    for f in FIELDS:
        if f.min is not None:
            assert frame[f.name].between(f.min, f.max).all(), f.name
    raw = pd.DataFrame({m.name: m.compute(frame) for m in METRICS})
    for m in METRICS:
        lo, hi = m.valid_range
        assert raw[m.name].between(lo, hi).all(), m.name
    assert metrics.notna().all().all()  # compute_metrics blanks out-of-range values; none are
    assert (frame["wifi6_access_points"] <= frame["access_points"]).all()


def test_devices(frame, metrics):
    dps = by_year(frame, metrics, "devices_per_student")
    assert 0.78 <= (dps[-1] >= 1.0).mean() <= 0.92
    assert dps[-1].between(0.85, 1.4).mean() >= 0.9
    assert dps[0].median() < dps[1].median() < dps[2].median()
    refresh = metrics["refresh_share"]
    assert 0.2 <= refresh.median() <= 0.3
    assert refresh.between(0.15, 0.35).mean() >= 0.85
    assert metrics["device_price_usd"].between(200, 450).all()
    assert 280 <= metrics["device_price_usd"].median() <= 340


def test_bandwidth(frame, latest, metrics):
    bw = by_year(frame, metrics, "bandwidth_kbps_per_student")
    medians = [s.median() for s in bw]
    assert 1000 <= medians[2] <= 1400
    assert 550 <= medians[0] <= 850 and 800 <= medians[1] <= 1100
    assert medians[0] < medians[1] < medians[2]
    assert bw[2].quantile(0.95) / medians[2] > 2.5  # long right tail
    by_locale = bw[2].groupby(latest["locale"]).median()
    assert by_locale["Rural"] > by_locale["Suburb"]
    # Contracted tiers, never shrinking from one year to the next.
    assert (frame["bandwidth_mbps"] % 10 == 0).all()
    wide = frame.pivot(index="district_id", columns="school_year", values="bandwidth_mbps")
    assert (wide[list(SCHOOL_YEARS)].diff(axis=1).iloc[:, 1:] >= 0).all().all()


def test_cost_per_mbps(frame, latest, metrics):
    cost = by_year(frame, metrics, "cost_per_mbps_usd")
    assert 1.0 <= cost[2].median() <= 3.0
    assert cost[0].median() > cost[2].median()  # prices fall
    assert cost[2].corr(latest["bandwidth_mbps"], method="spearman") < -0.3  # bigger contracts, cheaper Mbps


def test_wireless(frame, metrics):
    aps = metrics.loc[frame["school_year"] == LATEST, "aps_per_classroom"]
    assert 0.75 <= aps.median() <= 1.05
    assert aps.between(0.5, 1.2).mean() >= 0.9
    wifi6 = [s.median() for s in by_year(frame, metrics, "wifi6_share")]
    assert wifi6[0] < wifi6[1] < wifi6[2]
    assert 0.05 <= wifi6[0] and wifi6[2] <= 0.8


def test_support(frame, metrics):
    tickets = metrics["tickets_per_100_devices"]
    assert 40 <= tickets.median() <= 75
    assert tickets.between(30, 100).mean() >= 0.85
    hours = metrics["resolution_hours"]
    assert 16 <= hours.median() <= 24
    assert hours.mean() > hours.median()  # right-skewed
    staff = metrics["staff_per_1000_devices"]
    assert 0.6 <= staff.median() <= 1.2
    assert staff.between(0.3, 2.0).mean() >= 0.85


def test_deterministic_from_seed(frame):
    pd.testing.assert_frame_equal(generate(), frame)
    other = generate(DEMO_SEED + 1)
    assert not other.equals(frame)
    assert len(other) == len(frame)  # same shape, different draws


def test_write_demo_matches_committed_files(tmp_path):
    written = write_demo(tmp_path)
    assert [p.name for p in written] == [f"submissions_{y}.csv" for y in SCHOOL_YEARS]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written)  # no temp leftovers
    committed = paths().demo
    for p in written:
        target = committed / p.name
        assert target.exists(), f"{target} missing: run write_demo(paths().demo)"
        assert p.read_bytes() == target.read_bytes(), f"{p.name} differs from the committed demo file"


def test_written_files_are_plain_csv_that_round_trip(tmp_path, frame):
    for year, p in zip(SCHOOL_YEARS, write_demo(tmp_path)):
        data = p.read_bytes()
        assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data and data.endswith(b"\n")
        assert data.split(b"\n", 1)[0].decode() == ",".join(f.name for f in FIELDS)
        back = pd.read_csv(p, dtype={"district_id": str})
        want = frame[frame["school_year"] == year].reset_index(drop=True)
        assert list(back["district_id"]) == list(want["district_id"])
        assert list(back["district_name"]) == list(want["district_name"])
        for f in FIELDS:
            if f.dtype != "text":
                np.testing.assert_allclose(back[f.name].to_numpy(float), want[f.name].to_numpy(float), rtol=0,
                                           atol=0.005, err_msg=f.name)
    text = (tmp_path / f"submissions_{LATEST}.csv").read_text(encoding="utf-8")
    assert "&" in text and ".00," in text  # the ampersand name and money with cents


def test_files_identical_in_another_process(tmp_path):
    here = write_demo(tmp_path / "here")
    src = Path(demo.__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(src)}
    code = "import sys; from pathlib import Path; from benchmarks.intake.demo import write_demo; write_demo(Path(sys.argv[1]))"
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "there")], check=True, env=env)
    for p in here:
        assert p.read_bytes() == (tmp_path / "there" / p.name).read_bytes()
