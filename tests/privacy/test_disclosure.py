"""Disclosure control: what may be shown of a group, checked against a direct, row-by-row computation."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.formats import band_text, display_value, figure_text
from benchmarks.privacy.disclosure import (
    BAND,
    CENTRE,
    NONE,
    QUARTILES,
    group_figures,
    protect,
    shown_arrays,
    summarize,
    total,
)
from benchmarks.privacy.rules import Rules
from benchmarks.registry.groups import STORED_GROUPS, size_band
from benchmarks.registry.metrics import METRIC_BY_NAME, METRICS
from benchmarks.stats.peers import compute_peer_stats

DEVICES = METRIC_BY_NAME["devices_per_student"]
WIFI6 = METRIC_BY_NAME["wifi6_share"]
RULES = Rules()


def smoothed(others: np.ndarray, q: float) -> float:
    """The rule, the slow way: average numpy's linear percentiles one rank below, at and above q's position."""
    s = np.sort(others)
    n = len(s)
    h = q * (n - 1)
    at = [np.interp(min(max(x, 0), n - 1), np.arange(n), s) for x in (h - 1, h, h + 1)]
    return float(np.mean(at))


def direct(group, values, m, rules):
    """Row by row: the others of the row's group, then the rules as docs/privacy.md states them."""
    out = []
    for i in range(len(values)):
        others = np.array([values[j] for j in range(len(values))
                           if j != i and group[j] == group[i] and not np.isnan(values[j])])
        n = len(others)
        rec = {"n": n, "status": NONE, "median": np.nan, "p25": np.nan, "p75": np.nan}
        if n >= rules.min_peers:
            centre = smoothed(others, 0.5)
            shown_others = display_value(m, others)
            step = rules.band_factor * 10.0 ** -(1 if m.unit == "%" else m.decimals)
            near_equal = (others.max() - others.min()) * (100 if m.unit == "%" else 1) < step - 1e-9
            lone_match = (shown_others == display_value(m, centre)).sum() == 1
            if near_equal or (n < rules.quartile_min_peers and lone_match):
                rec["status"] = BAND
            elif n < rules.quartile_min_peers:
                rec.update(status=CENTRE, median=centre)
            else:
                rec.update(status=QUARTILES, median=centre, p25=smoothed(others, 0.25), p75=smoothed(others, 0.75))
        out.append(rec)
    return out


def check_against_direct(group, values, m=DEVICES, rules=RULES):
    got = shown_arrays(np.asarray(group), np.asarray(values, dtype=float), m, rules)
    for i, want in enumerate(direct(group, values, m, rules)):
        assert got["n"][i] == want["n"]
        assert got["status"][i] == want["status"], (i, want)
        for key in ("median", "p25", "p75"):
            np.testing.assert_allclose(got[f"show_{key}"][i], want[key], rtol=1e-12, equal_nan=True)
        if want["status"] == BAND:
            assert np.isfinite(got["band_low"][i]) and got["band_high"][i] > got["band_low"][i]


def test_statuses_by_group_size_worked_by_hand():
    # groups of 5 (4 others: nothing), 6 (5 others: centre only) and 12 (11 others: quartiles)
    group = np.array([0] * 5 + [1] * 6 + [2] * 12)
    values = np.concatenate([np.linspace(0.8, 1.4, 5), [0.80, 0.95, 1.07, 1.21, 1.33, 1.52],
                             np.linspace(0.7, 1.8, 12)])
    got = shown_arrays(group, values, DEVICES, RULES)
    assert list(got["status"][:5]) == [NONE] * 5
    assert np.isnan(got["show_median"][:5]).all() and np.isnan(got["band_low"][:5]).all()
    assert set(got["status"][5:11]) <= {CENTRE, BAND} and np.isnan(got["show_p25"][5:11]).all()
    # reader 0.80: others 0.95 1.07 1.21 1.33 1.52; centre = mean of interp at ranks 1, 2, 3 = (1.07+1.21+1.33)/3
    assert got["show_median"][5] == pytest.approx((1.07 + 1.21 + 1.33) / 3)
    assert got["status"][5] == CENTRE  # 1.2033 shows as 1.20, which is no neighbour's 1.21 or 1.07
    assert list(got["status"][11:]) == [QUARTILES] * 12
    check_against_direct(group, values)


def test_centre_that_reads_like_one_neighbour_becomes_a_band():
    # others 1.00 1.10 1.20 1.30 1.40: the smoothed centre is exactly 1.20, the middle neighbour's figure
    group = np.zeros(6, int)
    values = np.array([2.0, 1.0, 1.1, 1.2, 1.3, 1.4])
    got = shown_arrays(group, values, DEVICES, RULES)
    assert got["status"][0] == BAND and np.isnan(got["show_median"][0])
    assert (got["band_low"][0], got["band_high"][0]) == pytest.approx((1.2, 1.3))
    assert band_text(DEVICES, got["band_low"][0], got["band_high"][0]) == "1.2–1.3 devices"


def test_nearly_equal_peers_show_a_band_clipped_to_the_valid_range():
    group = np.zeros(7, int)
    values = np.array([0.5, 1.0, 1.0, 1.0, 0.997, 1.0, 1.0])  # six others all (nearly) at 100%
    got = shown_arrays(group, values, WIFI6, RULES)
    assert got["status"][0] == BAND
    assert (got["band_low"][0], got["band_high"][0]) == pytest.approx((0.99, 1.0))
    assert band_text(WIFI6, got["band_low"][0], got["band_high"][0]) == "99–100%"
    # in a large group too: all 12 others within 0.02 devices
    got = shown_arrays(np.zeros(13, int), np.r_[3.0, np.linspace(1.00, 1.02, 12)], DEVICES, RULES)
    assert got["status"][0] == BAND and got["band_high"][0] - got["band_low"][0] == pytest.approx(0.1)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.one_of(st.none(), st.integers(60, 160).map(lambda v: v / 100),
                                                        st.floats(0.5, 2.0))), min_size=1, max_size=45))
def test_shown_arrays_match_the_direct_computation(rows):
    group = np.array([g for g, _ in rows])
    values = np.array([np.nan if v is None else v for _, v in rows])
    check_against_direct(group, values)
    check_against_direct(group, values, rules=Rules(3, 4))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(0.5, 1.6), min_size=6, max_size=10), st.sampled_from(METRICS))
def test_no_small_group_figure_shows_as_exactly_one_neighbours(values, m):
    """The property the attack test checks on real files, here on arbitrary small groups and every metric."""
    values = np.array(values) * (m.valid_range[1] / 4 if np.isfinite(m.valid_range[1]) else 100)
    got = shown_arrays(np.zeros(len(values), int), values, m, RULES)
    for i in range(len(values)):
        shown_others = display_value(m, np.delete(values, i))
        for key in ("show_median", "show_p25", "show_p75"):
            if np.isfinite(got[key][i]):
                assert (shown_others == display_value(m, got[key][i])).sum() != 1


def test_protect_adds_shown_columns_for_every_row_and_gates_the_standing():
    rows = [{"school_year": "2025-26", "pseudonym": f"D{i:02d}", "state": "PS",
             "county": "Big" if i < 8 else "Small", "locale": "Rural", "enrollment": 300 + 50 * i} for i in range(11)]
    dm = pd.DataFrame(rows)
    dm["size_band"] = size_band(dm["enrollment"])
    rng = np.random.default_rng(3)
    for m in METRICS:
        dm[m.name] = rng.uniform(0.5, 0.9, len(dm)) * min(m.valid_range[1], 10)
    ps = protect(compute_peer_stats(dm), dm, RULES)
    assert len(ps) == len(dm) * len(METRICS) * len(STORED_GROUPS) and ps["status"].notna().all()
    small = ps[(ps["group_kind"] == "county") & (ps["pseudonym"] == "D09")]
    assert (small["status"] == NONE).all() and small["pct_better"].isna().all()  # 2 others in "Small"
    big = ps[(ps["group_kind"] == "county") & (ps["pseudonym"] == "D00")]
    assert set(big["status"]) <= {CENTRE, BAND}  # 7 others: no quartiles
    state = ps[(ps["group_kind"] == "state") & (ps["pseudonym"] == "D00")]
    assert set(state["status"]) <= {QUARTILES, BAND}  # 10 others
    one = state[state["metric"] == "devices_per_student"].iloc[0]
    others = dm.loc[dm["pseudonym"] != "D00", "devices_per_student"].to_numpy()
    if one["status"] == QUARTILES:
        assert one["show_median"] == pytest.approx(smoothed(others, 0.5))
        assert one["show_p25"] == pytest.approx(smoothed(others, 0.25))


def test_summarize_a_whole_group_is_the_same_rule_seen_from_outside():
    values = np.linspace(0.9, 1.3, 15)
    s = summarize(values, DEVICES, RULES)
    assert s["n"] == 15 and s["status"] == QUARTILES
    assert s["show_median"] == pytest.approx(smoothed(values, 0.5))
    assert summarize(values[:4], DEVICES, RULES)["status"] == NONE


def test_totals_need_enough_districts_and_no_dominant_pair():
    assert total([10, 10, 10, 10], RULES) is None  # fewer than 5
    assert total([10, 10, 10, 10, 10], RULES) == 50
    assert total([1000, 900, 50, 50, 50, 50], RULES) is None  # two largest hold 1900/2100 > 85%
    assert total([400, 300, 100, 100, 100, 100], RULES) == 1100  # 700/1100 = 64%


def test_rules_floor_and_validation():
    with pytest.raises(ValueError, match="at least 3"):
        Rules(2)
    with pytest.raises(ValueError, match="quartile_min_peers"):
        Rules(6, 5)
    assert Rules.for_min_peers(12).quartile_min_peers == 12
    assert Rules().at_least(4) == Rules() and Rules().at_least(7).min_peers == 7
    assert Rules.from_meta(Rules(6, 12).as_meta()) == Rules(6, 12)


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 1e5, allow_nan=False), st.sampled_from(METRICS))
def test_every_format_rounds_the_same_way(x, m):
    """One rounding for all outputs: the text shown and the number written to CSV/XLSX agree."""
    text = figure_text(m, x)
    number = float(text.replace("$", "").replace(",", "").replace("%", "").split()[0].split("/")[0])
    assert number == display_value(m, x)


def test_group_figures_texts():
    row = {"status": CENTRE, "n": 6, "show_median": 1.1234}
    fig = group_figures(row, RULES, "devices_per_student")
    assert (fig.stat, fig.centre_text) == ("median", "1.12 devices")
    assert group_figures({}, RULES, "devices_per_student").centre_text == "fewer than 5 others"
    band = group_figures({"status": BAND, "band_low": 0.24, "band_high": 0.25}, RULES, "refresh_share")
    assert (band.stat, band.centre_text) == ("band", "24–25%")
