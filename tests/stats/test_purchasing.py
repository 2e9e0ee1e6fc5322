"""Device purchasing against the county median price, checked by hand."""

import numpy as np
import pytest

from benchmarks.privacy.disclosure import publish
from benchmarks.privacy.rules import Rules
from benchmarks.stats.peers import compute_peer_stats
from benchmarks.stats.purchasing import compute_purchasing


def test_spend_at_the_county_median_price(multi_year):
    dm = multi_year
    dm["device_price_usd"] = 300.0 + 10 * np.arange(len(dm)) % 170
    current = dm[["school_year", "pseudonym"]].assign(devices_replaced=100 + np.arange(len(dm)))
    current["device_spend_usd"] = current["devices_replaced"] * dm["device_price_usd"]
    ps = publish(compute_peer_stats(dm), Rules.for_min_peers(5))
    buy = compute_purchasing(current, ps).set_index(["school_year", "pseudonym"])
    row = buy.loc[("2025-26", "D00")]
    own = dm[(dm.school_year == "2025-26") & (dm.pseudonym == "D00")].iloc[0]
    county = dm[(dm.school_year == "2025-26") & (dm.county == "Nine") & (dm.pseudonym != "D00")]["device_price_usd"]
    state = dm[(dm.school_year == "2025-26") & (dm.state == "PS") & (dm.pseudonym != "D00")]["device_price_usd"]
    replaced = current[(current.school_year == "2025-26") & (current.pseudonym == "D00")]["devices_replaced"].iloc[0]
    assert row.county_median == pytest.approx(np.median(county))
    assert row.state_median == pytest.approx(np.median(state))
    assert row.reference_kind == "county"
    assert row.spend_at_reference == pytest.approx(replaced * np.median(county))
    assert row.difference == pytest.approx(replaced * own.device_price_usd - replaced * np.median(county))
    # a county of 4 has 3 others: below the rule, so the comparison falls back and says which group
    small = buy.loc[("2025-26", "D10")]
    assert np.isnan(small.county_median) and small.reference_kind in ("size_band", "state")
    assert small.spend_at_reference == pytest.approx(
        current.set_index(["school_year", "pseudonym"]).at[("2025-26", "D10"), "devices_replaced"]
        * small.reference_median)


def test_no_submissions_gives_an_empty_table(multi_year):
    out = compute_purchasing(None, publish(compute_peer_stats(multi_year), Rules.for_min_peers(5)))
    assert out.empty and "spend_at_reference" in out.columns
