"""Peer statistics checked against a direct, row-by-row numpy/scipy computation."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from benchmarks.privacy.disclosure import protect_custom, publish
from benchmarks.privacy.rules import Rules, check_min_peers
from benchmarks.registry.groups import FALLBACK_ORDER, PEER_GROUPS, STORED_GROUPS, first_shown, size_band
from benchmarks.registry.metrics import METRICS
from benchmarks.stats.loo import leave_one_out, median_interval_rank
from benchmarks.stats.peers import compute_peer_stats, custom_peer_stats, median_verdict


def gated(dm, min_peers):
    """Peer statistics as stored: exact, then published by the gate's min_peers."""
    return publish(compute_peer_stats(dm), Rules.for_min_peers(min_peers))


def scipy_interval(others):
    """scipy's distribution-free 95% interval on the median (order statistics), NaN when it has none."""
    if len(others) == 0:
        return np.nan, np.nan
    ci = sps.quantile_test(others, q=float(np.median(others)), p=0.5).confidence_interval(0.95)
    return float(ci.low), float(ci.high)


def direct(group, values):
    """The slow, obvious way: for each row, take the others of its group and ask numpy/scipy."""
    out = {"n": [], "p25": [], "median": [], "p75": [], "below": [], "ci_low": [], "ci_high": []}
    for i in range(len(values)):
        others = np.array([values[j] for j in range(len(values))
                           if j != i and group[j] == group[i] and not np.isnan(values[j])])
        out["n"].append(len(others))
        for name, q in (("p25", .25), ("median", .5), ("p75", .75)):
            out[name].append(np.quantile(others, q) if len(others) else np.nan)
        ok = len(others) and not np.isnan(values[i])
        out["below"].append(sps.percentileofscore(others, values[i], kind="mean") / 100 if ok else np.nan)
        lo, hi = scipy_interval(others)
        out["ci_low"].append(lo)
        out["ci_high"].append(hi)
    return {k: np.array(v, dtype=float) for k, v in out.items()}


def test_median_interval_rank_matches_scipy_quantile_test():
    for n in range(1, 400):
        x = np.arange(1.0, n + 1)
        k = median_interval_rank(np.array([n]))[0]
        lo, hi = scipy_interval(x)
        if k == 0:
            assert np.isnan(lo) and n < 6, n
        else:
            assert (x[k - 1], x[n - k]) == (lo, hi), n
    # 8 others (a 9-district county): the interval is their lowest and highest value
    assert median_interval_rank(np.array([5, 6, 8, 9]))[:].tolist() == [0, 1, 1, 2]


def test_median_verdict_against_the_interval():
    group = np.zeros(10, int)
    values = np.array([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10.0])
    stats = leave_one_out(group, values)
    verdict = median_verdict(values, stats)
    # others of row 0 are 2..10 (n=9, k=2): interval [3, 9]; 1 is below it, 10 (others 1..9: [2, 8]) above
    assert verdict[0] == "below" and verdict[9] == "above" and verdict[4] == "within"
    # too few others for an interval: undetermined; no own value: no verdict
    small = leave_one_out(np.zeros(5, int), np.array([1.0, 2, 3, 4, np.nan]))
    assert list(median_verdict(np.array([1.0, 2, 3, 4, np.nan]), small)) == ["undetermined"] * 4 + [None]


def test_leave_one_out_matches_direct_computation_with_ties_and_missing():
    group = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 0, 1])
    values = np.array([3.0, 1.0, 3.0, np.nan, 7.0, 2.0, 5.0, 5.0, 5.0, 9.0, 3.0, np.nan])
    got = leave_one_out(group, values)
    want = direct(group, values)
    for key in want:
        np.testing.assert_allclose(got[key], want[key], equal_nan=True, err_msg=key)
    # spot values worked by hand: row 0 (value 3) among others [1, 3, 2, 7, 3] -> sorted 1 2 3 3 7
    assert got["n"][0] == 5 and got["median"][0] == 3.0 and got["p25"][0] == 2.0
    assert got["below"][0] == pytest.approx((2 + 0.5 * 2) / 5)
    # a missing own value removes nothing: all six group-0 values count
    assert got["n"][3] == 6
    # alone in its group: no others, no statistics
    assert got["n"][9] == 0 and np.isnan(got["median"][9])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.one_of(st.none(), st.integers(0, 6).map(float),
                                                        st.floats(-1e6, 1e6))), min_size=1, max_size=40))
def test_leave_one_out_property(rows):
    group = np.array([g for g, _ in rows])
    values = np.array([np.nan if v is None else v for _, v in rows])
    got = leave_one_out(group, values)
    want = direct(group, values)
    for key in want:
        np.testing.assert_allclose(got[key], want[key], equal_nan=True, rtol=1e-9, atol=1e-9, err_msg=key)


def _fixture():
    """Two counties in one state: 'Big' with 7 districts (6 others each) and 'Small' with 5 (4 others)."""
    rows = []
    for i in range(12):
        county = "Big" if i < 7 else "Small"
        rows.append({"school_year": "2025-26", "pseudonym": f"D{i:02d}", "state": "PS", "county": county,
                     "locale": "Rural", "enrollment": 300 + 100 * i})
    dm = pd.DataFrame(rows)
    dm["size_band"] = size_band(dm["enrollment"])
    rng = np.random.default_rng(7)
    for m in METRICS:
        dm[m.name] = rng.uniform(1, 10, len(dm)).round(1)
    dm.loc[3, "devices_per_student"] = np.nan
    return dm


def test_every_stored_group_matches_a_direct_computation_with_direction():
    dm = _fixture()
    dm.loc[[1, 2], "tickets_per_100_devices"] = dm.loc[0, "tickets_per_100_devices"]  # ties
    ps = gated(dm, 5)
    assert set(ps["group_kind"]) == set(STORED_GROUPS) == {"county", "locale", "size_band", "state"}
    for kind in STORED_GROUPS:
        keys = list(PEER_GROUPS[kind].keys)
        codes = dm.groupby(keys).ngroup().to_numpy()
        for m in METRICS:
            got = ps[(ps.group_kind == kind) & (ps.metric == m.name)].set_index("pseudonym").loc[dm["pseudonym"]]
            want = direct(codes, dm[m.name].to_numpy(dtype=float))
            pub = want["n"] >= 5
            np.testing.assert_array_equal(got["n"], want["n"])
            np.testing.assert_array_equal(got["published"], pub)
            np.testing.assert_allclose(got["median"], np.where(pub, want["median"], np.nan), equal_nan=True)
            better = 1 - want["below"] if m.direction == "lower" else want["below"]
            np.testing.assert_allclose(got["pct_better"], np.where(pub, better * 100, np.nan), atol=1e-9,
                                       equal_nan=True)
            v = dm[m.name].to_numpy(dtype=float)
            expected = np.where(~pub | np.isnan(v), None, np.where(
                np.isnan(want["ci_low"]), "undetermined",
                np.where(v > want["ci_high"], "above", np.where(v < want["ci_low"], "below", "within"))))
            assert [None if pd.isna(x) else x for x in got["median_vs"]] == list(expected), (kind, m.name)


def test_locale_group_is_within_the_state():
    dm = pd.concat([_fixture(), _fixture().assign(state="QS", pseudonym=lambda d: "Q" + d["pseudonym"])],
                   ignore_index=True)
    dm.loc[:5, "locale"] = "Town"
    ps = gated(dm, 3)
    loc = ps[(ps.group_kind == "locale") & (ps.metric == "wifi6_share")].set_index("pseudonym")
    assert loc.loc["D00", "n"] == 5 and loc.loc["D00", "group_label"] == "Town, PS"
    assert loc.loc["D08", "n"] == 5 and loc.loc["QD08", "n"] == 11  # Rural PS: D06-D11 ; Rural QS: all 12
    assert PEER_GROUPS["locale"].describe(dm.iloc[0]) == "same NCES locale within the state: Town districts of PS"


def test_custom_group_uses_the_same_rule_and_needs_min_peers_others():
    dm = _fixture()
    members = ["D01", "D02", "D08", "D09", "D10"]
    rows = custom_peer_stats(dm, "D00", "2025-26", members + ["D00"]).set_index("metric")
    for m in METRICS:
        others = dm.set_index("pseudonym").loc[members, m.name].dropna().to_numpy()
        own = dm.set_index("pseudonym").at["D00", m.name]
        assert rows.at[m.name, "n"] == len(others)
        assert rows.at[m.name, "median"] == pytest.approx(np.median(others))
        below = sps.percentileofscore(others, own, kind="mean")
        assert rows.at[m.name, "pct_better"] == pytest.approx(100 - below if m.direction == "lower" else below)
        assert rows.at[m.name, "median_vs"] == "undetermined"  # 5 others: too few for a 95% interval
    assert set(rows["group_kind"]) == {"custom"}
    assert rows["group_label"].iloc[0] == "custom list of 5 districts"  # how many were named, not who
    # at the threshold: one member without a value leaves 4 reporting -> suppressed
    dm.loc[dm.pseudonym == "D08", "wifi6_share"] = np.nan
    rows = protect_custom(custom_peer_stats(dm, "D00", "2025-26", members), dm, "D00", members, Rules())
    rows = rows.set_index("metric")
    assert rows.at["wifi6_share", "n"] == 4 and not rows.at["wifi6_share", "published"]
    assert np.isnan(rows.at["wifi6_share", "median"]) and pd.isna(rows.at["wifi6_share", "median_vs"])
    short = ["D00", "D01", "D02", "D03", "D04"]
    with pytest.raises(ValueError, match="at least 5 districts other than"):
        protect_custom(custom_peer_stats(dm, "D00", "2025-26", short), dm, "D00", short, Rules())


def test_compute_peer_stats_direction_threshold_and_exclusion_of_self():
    dm = _fixture()
    ps = gated(dm, 5)
    tickets = ps[(ps.metric == "tickets_per_100_devices") & (ps.group_kind == "county")].set_index("pseudonym")
    # Big county: 6 others >= 5, published; Small: 4 others, suppressed with no statistics at all
    assert tickets.loc["D00", "published"] and tickets.loc["D00", "n"] == 6
    assert not tickets.loc["D08", "published"] and tickets.loc["D08", "n"] == 4
    assert np.isnan(tickets.loc["D08", "median"]) and np.isnan(tickets.loc["D08", "pct_better"])
    # lower is better for tickets: better than the share of others with MORE tickets
    big = dm[dm.county == "Big"].set_index("pseudonym")["tickets_per_100_devices"]
    others = big.drop("D00")
    assert tickets.loc["D00", "median"] == pytest.approx(np.median(others))
    expected = 100 - sps.percentileofscore(others, big["D00"], kind="mean")
    assert tickets.loc["D00", "pct_better"] == pytest.approx(expected)
    # higher is better for devices: the mid-rank share of others below
    dev = ps[(ps.metric == "aps_per_classroom") & (ps.group_kind == "state")].set_index("pseudonym")
    allv = dm.set_index("pseudonym")["aps_per_classroom"]
    assert dev.loc["D05", "n"] == 11
    assert dev.loc["D05", "pct_better"] == pytest.approx(
        sps.percentileofscore(allv.drop("D05"), allv["D05"], kind="mean"))
    # a district with no value still sees its peers, and its own missing value is not counted
    d3 = ps[(ps.metric == "devices_per_student") & (ps.pseudonym == "D03") & (ps.group_kind == "county")].iloc[0]
    assert d3["n"] == 6 and np.isnan(d3["pct_better"])
    d0 = ps[(ps.metric == "devices_per_student") & (ps.pseudonym == "D00") & (ps.group_kind == "county")].iloc[0]
    assert d0["n"] == 5


def test_fallback_order_county_then_size_band_then_state():
    dm = _fixture()
    ps = gated(dm, 5)
    shown = {kind: rows.set_index(["pseudonym", "metric"])["published"]
             for kind, rows in ps.groupby("group_kind")}
    keys = shown["county"].index
    ref = pd.Series(first_shown({k: v.reindex(keys).to_numpy(dtype=bool) for k, v in shown.items()}), index=keys)
    assert ref.loc[("D00", "wifi6_share")] == "county"
    # Small county is suppressed; its districts fall back past the size band when that is small too
    assert ref.loc[("D08", "wifi6_share")] in FALLBACK_ORDER[1:]
    # one metric's rows answered as scalars give the same answer
    one = {k: bool(v.loc[("D08", "wifi6_share")]) for k, v in shown.items()}
    assert first_shown(one) == ref.loc[("D08", "wifi6_share")]
    assert first_shown({"county": False, "state": False}) is None


def test_min_peers_never_below_three():
    with pytest.raises(ValueError, match="at least 3"):
        check_min_peers(2)
    assert check_min_peers(3) == 3


def test_size_bands():
    bands = size_band(pd.Series([1, 499, 500, 1999, 2000, 9999, 10000, 250000]))
    assert list(bands) == ["under 500 students", "under 500 students", "500–1,999 students",
                           "500–1,999 students", "2,000–4,999 students", "5,000–9,999 students",
                           "10,000 students or more", "10,000 students or more"]
