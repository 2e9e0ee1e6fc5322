"""Verdicts a director can trust: every page's standing agrees with the figures beside it, with the chart and
the purchasing sentence, and with the plain median of the neighbours, checked on every demo district against
the others' figures worked out here from district_metrics."""

import duckdb
import numpy as np
import pytest

from benchmarks.formats import display_value
from benchmarks.registry.groups import PEER_GROUPS
from benchmarks.registry.metrics import METRICS
from benchmarks.reports.district import scorecard
from benchmarks.reports.district.data import iter_district_reports

BEYOND = {"better", "behind", "above", "below"}
SIDE = {"better": 1, "behind": -1, "better_median": 1, "behind_median": -1}


@pytest.fixture(scope="module")
def pages(demo_project):
    con = duckdb.connect(str(demo_project.warehouse), read_only=True)
    dm = con.execute("SELECT * FROM district_metrics WHERE school_year = '2025-26'").df()
    con.close()
    # every fifth district of the demo state: all its counties and size bands, in a fraction of the time
    readers = sorted(dm["pseudonym"])[::5]
    reports = list(iter_district_reports(demo_project.warehouse, "2025-26", readers))
    dm = dm.set_index("pseudonym", drop=False)
    members = {kind: dm.groupby(by(kind)).groups for kind in ("county", "size_band", "state")}
    return dm, members, [(rep, scorecard(rep).set_index("metric")) for rep in reports]


def by(kind: str):
    """A group's columns as pandas groups by them: one column by name, several as a list."""
    keys = PEER_GROUPS[kind].keys
    return keys[0] if len(keys) == 1 else list(keys)


def _others(dm, members, me: str, kind: str, metric: str) -> np.ndarray:
    own = dm.loc[me]
    keys = tuple(own[k] for k in PEER_GROUPS[kind].keys)
    v = dm.loc[members[kind][keys[0] if len(keys) == 1 else keys].drop(me), metric].to_numpy(dtype=float)
    return v[~np.isnan(v)]


def test_no_verdict_contradicts_the_figures_beside_it(pages):
    """Outside the shown middle half is never "typical"; beyond nine in ten neighbours never "typical" or
    "about the median"; the side a verdict gives is the side of the neighbours' plain median."""
    dm, members, cards = pages
    checked = beyond_nine = 0
    for rep, card in cards:
        for m in METRICS:
            value = card.at[m.name, "value"]
            if not np.isfinite(value):
                continue
            v = display_value(m, value)
            for kind in ("county", "size_band", "state"):
                verdict = card.at[m.name, f"{kind}_verdict"]
                if verdict in ("missing", "unreported"):
                    continue
                checked += 1
                p25, p75 = card.at[m.name, f"{kind}_p25"], card.at[m.name, f"{kind}_p75"]
                if np.isfinite(p25) and not display_value(m, p25) <= v <= display_value(m, p75):
                    assert verdict in BEYOND, (rep.pseudonym, m.name, kind, verdict)
                others = _others(dm, members, rep.pseudonym, kind, m.name)
                plain = display_value(m, np.median(others))
                higher = 1 if m.direction != "lower" else -1
                if verdict in SIDE:
                    assert np.sign(v - plain) * higher == SIDE[verdict], (rep.pseudonym, m.name, kind, verdict)
                below = np.mean(display_value(m, others) < v)
                if m.direction != "neutral" and np.isfinite(p25) and max(below, 1 - below) > 0.9:
                    beyond_nine += 1
                    assert verdict in BEYOND, (rep.pseudonym, m.name, kind, verdict, below)
    assert checked > 3000 and beyond_nine > 300  # the whole demo state, every group: not a vacuous pass


def test_the_glance_standing_agrees_with_the_purchasing_sentence(pages):
    """"$42,560 more than at the county median" beside "better than the median" would contradict itself: the
    device price's verdict against the purchasing section's group takes the purchasing sentence's side."""
    *_, cards = pages
    compared = 0
    for rep, card in cards:
        b = rep.purchasing
        if not b or not np.isfinite(b.get("difference", np.nan)) or abs(b["difference"]) < 0.5:
            continue
        kind = b["reference_kind"]
        verdict = card.at["device_price_usd", f"{kind}_verdict"]
        paid_more = b["device_spend_usd"] > b["spend_at_reference"]
        assert verdict not in (("better", "better_median") if paid_more else ("behind", "behind_median")), (
            rep.pseudonym, verdict, b["difference"])
        compared += 1
    assert compared > 50


def test_every_group_shows_its_standing_and_each_goal_is_met_or_short(pages):
    *_, cards = pages
    rep, card = cards[0]
    row = card.loc["bandwidth_kbps_per_student"]
    for kind in ("county", "size_band", "state"):
        assert row[f"{kind}_verdict"] in {"better", "behind", "typical", "better_median", "behind_median",
                                          "at_median", "missing"}
    v = row["value"]
    words = [("met" if v >= 100 else f"{100 - v:,.0f} kbps short"), ("met" if v >= 1000 else f"{1000 - v:,.0f} kbps short")]
    assert row["goal_text"] == f"FCC 100 kbps: {words[0]}; FCC 1 Mbps: {words[1]}"
    assert card.loc["refresh_cycle_years", "goal_text"] == ""  # no goal line for the refresh cycle
