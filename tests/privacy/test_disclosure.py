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
from conftest import smoothed, truthful

DEVICES = METRIC_BY_NAME["devices_per_student"]
WIFI6 = METRIC_BY_NAME["wifi6_share"]
RULES = Rules()


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
            true = {q: truthful(m, smoothed(others, q), np.percentile(others, q * 100), rules)
                    for q in (0.25, 0.5, 0.75)}
            if near_equal or (n < rules.quartile_min_peers and lone_match) or not true[0.5]:
                rec["status"] = BAND
                # a band holds the plain median (or, when all are alike, every other's figure)
                sc = 100 if m.unit == "%" else 1
                rec["holds"] = (others.min(), others.max()) if near_equal else (np.median(others),) * 2
                rec["holds"] = tuple(x * sc for x in rec["holds"])
            elif n < rules.quartile_min_peers or not (true[0.25] and true[0.75]):
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
            sc = 100 if m.unit == "%" else 1
            low, high = got["band_low"][i] * sc, got["band_high"][i] * sc
            assert low - 1e-9 <= want["holds"][0] and want["holds"][1] <= high + 1e-9, (i, want, low, high)


def test_statuses_by_group_size_worked_by_hand():
    # groups of 5 (4 others: nothing), 6 (5 others: centre only) and 12 (11 others: quartiles)
    group = np.array([0] * 5 + [1] * 6 + [2] * 12)
    values = np.concatenate([np.linspace(0.8, 1.4, 5), [0.80, 0.95, 1.07, 1.21, 1.33, 1.52],
                             np.linspace(0.7, 1.8, 12)])
    got = shown_arrays(group, values, DEVICES, RULES)
    assert list(got["status"][:5]) == [NONE] * 5
    assert np.isnan(got["show_median"][:5]).all() and np.isnan(got["band_low"][:5]).all()
    assert set(got["status"][5:11]) <= {CENTRE, BAND} and np.isnan(got["show_p25"][5:11]).all()
    # reader 0.80: others 0.95 1.07 1.21 1.33 1.52; centre = mean of interp at ranks 1.5, 2, 2.5
    # = (1.14 + 1.21 + 1.27) / 3 = 1.2067, shown as 1.21: the middle neighbour's figure, so a band holds it
    assert got["status"][5] == BAND and np.isnan(got["show_median"][5])
    assert (got["band_low"][5], got["band_high"][5]) == pytest.approx((1.2, 1.3))
    # reader 1.52: others 0.80 0.95 1.07 1.21 1.33: (1.01 + 1.07 + 1.14) / 3 = 1.0733, shown 1.07 = a neighbour's
    # reader 0.95: others 0.80 1.07 1.21 1.33 1.52: (1.14 + 1.21 + 1.27) / 3 -> 1.21 = a neighbour's: band
    # reader 1.07: others 0.80 0.95 1.21 1.33 1.52: (1.08 + 1.21 + 1.27) / 3 = 1.1867, shown 1.19: a figure
    assert got["status"][7] == CENTRE and got["show_median"][7] == pytest.approx((1.08 + 1.21 + 1.27) / 3)
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


COST = METRIC_BY_NAME["cost_per_mbps_usd"]


def test_a_median_dragged_by_one_neighbour_becomes_a_band_that_holds_the_plain_median():
    # Bureau County's shape: five others, one far above the median's neighbour. Plain median $7.00; the
    # smoothed one, (6.50 + 7.00 + 23.50) / 3 = $12.33, would sit 76% above it: the page shows $7.00–$7.10.
    values = np.array([9.0, 5.0, 6.0, 7.0, 40.0, 45.0])
    got = shown_arrays(np.zeros(6, int), values, COST, RULES)
    assert got["status"][0] == BAND and np.isnan(got["show_median"][0])
    assert (got["band_low"][0], got["band_high"][0]) == pytest.approx((7.0, 7.1))
    assert band_text(COST, got["band_low"][0], got["band_high"][0]) == "$7.0–$7.1/Mbps"
    # others 5, 6, 7, 8, 9: evenly spaced, the smoothed median is the plain one and matches the neighbour at
    # $7.00, so a band too; with 7.3 in the middle the centre (6.65 + 7.3 + 7.65) / 3 = 7.20 is shown
    got = shown_arrays(np.zeros(6, int), np.array([1.0, 5.0, 6.0, 7.3, 8.0, 9.0]), COST, RULES)
    assert got["status"][0] == CENTRE and got["show_median"][0] == pytest.approx((6.65 + 7.3 + 7.65) / 3)


def test_quartiles_dragged_away_from_the_plain_ones_are_dropped_not_shown():
    # 10 others whose 75th percentile sits next to a jump: the plain p75 (rank 6.75) is 1.77, the smoothed one
    # (ranks 6.25, 6.75, 7.25) (1.39 + 1.77 + 2.72) / 3 = 1.96, 11% off; the median is true, so only the centre
    others = np.array([1.0, 1.02, 1.05, 1.1, 1.12, 1.15, 1.2, 1.96, 5.0, 5.1])
    got = shown_arrays(np.zeros(11, int), np.r_[1.3, others], DEVICES, RULES)
    assert np.percentile(others, 75) == pytest.approx(1.77) and smoothed(others, 0.75) == pytest.approx(1.96)
    assert got["status"][0] == CENTRE and np.isnan(got["show_p75"][0])
    assert got["show_median"][0] == pytest.approx(smoothed(others, 0.5))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.floats(1.0, 200.0), min_size=5, max_size=14), st.floats(0.5, 250.0),
       st.sampled_from([DEVICES, COST, METRIC_BY_NAME["bandwidth_kbps_per_student"]]))
def test_the_shown_median_never_puts_a_reader_on_the_wrong_side_of_the_plain_median(others, own, m):
    """Whatever the neighbours' figures and the reader's own: the side the page gives (above, below; "about"
    within the tolerance) agrees with the side of the others' plain median, as displayed."""
    others = np.array(others) * (m.valid_range[1] / 400 if np.isfinite(m.valid_range[1]) else 1)
    got = shown_arrays(np.zeros(len(others) + 1, int), np.r_[own, others], m, RULES)
    row = {k: (v[0].item() if hasattr(v[0], "item") else v[0]) for k, v in got.items()}
    place = group_figures(row, RULES, m.name).place(own)
    plain, v = display_value(m, np.median(others)), display_value(m, own)
    assert place.side in ("above", "below", "at")
    if place.against != "quartiles" or not place.beyond:
        assert not (place.side == "above" and v <= plain) and not (place.side == "below" and v >= plain), (
            row, plain, v)
