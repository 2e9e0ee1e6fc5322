"""The district report's sentences and sections read the stored statistics and say what they mean."""

import duckdb
import pandas as pd
import pytest

from conftest import shown_median
from scipy import stats as sps

from benchmarks.report import (load_district_report, noise_phrase, peer_groups, peer_groups_html, purchasing_html,
                               scorecard, standing_sentence)


def _row(**kw):
    base = {"value": 5.0, "pct_better": 80.0, "group_kind": "county", "n": 8, "median_vs": "above"}
    return pd.Series({**base, **kw})


def test_standing_sentence_calls_a_difference_only_outside_the_noise():
    # higher is better: above the interval is better than most
    assert standing_sentence("devices_per_student", _row()) == (
        "Higher devices per student than 8 in 10 districts in your county (better than most).")
    # same rank, but inside the interval on the median: typical, not "better"
    assert standing_sentence("devices_per_student", _row(median_vs="within")).endswith(
        "(typical: within noise of their median).")
    # lower is better: fewer tickets (value below the interval) is better; pct_better is already direction-aware
    s = standing_sentence("tickets_per_100_devices", _row(pct_better=90.0, median_vs="below"))
    assert s == "Lower tickets per 100 devices than 9 in 10 districts in your county (better than most)."
    s = standing_sentence("tickets_per_100_devices", _row(pct_better=10.0, median_vs="above"))
    assert s.startswith("Higher tickets per 100 devices than 9 in 10") and s.endswith("(behind most).")
    assert "too few others, 5," in standing_sentence("devices_per_student", _row(n=5, median_vs="undetermined"))
    # neutral metrics describe, never judge
    assert noise_phrase("neutral", "above", 40) == ""
    assert standing_sentence("devices_per_student", None).startswith("Too few")


@pytest.fixture(scope="module")
def kestrel(demo_project):
    cw = duckdb.connect(str(demo_project.crosswalk), read_only=True)  # IDs live in the private crosswalk
    ids = dict(cw.execute("SELECT pseudonym, district_id FROM crosswalk").fetchall())
    cw.close()
    con = duckdb.connect(str(demo_project.warehouse), read_only=True)
    rows = [(p, ids[p]) for (p,) in con.execute("SELECT pseudonym FROM district_metrics WHERE school_year = "
                                                "'2025-26' AND county = 'Kestrel County' ORDER BY 1").fetchall()]
    dm = con.execute("SELECT * FROM district_metrics WHERE school_year = '2025-26'").df()
    cur = con.execute("SELECT * FROM current_submissions WHERE school_year = '2025-26'").df()
    con.close()
    return demo_project, rows, dm, cur


def test_scorecard_and_peer_groups_use_every_stored_group(kestrel):
    project, rows, dm, _ = kestrel
    rep = load_district_report(project.warehouse, rows[0][0], "2025-26")
    card = scorecard(rep).set_index("metric")
    assert rep.group_kinds == ["county", "locale", "size_band", "state"]
    own = dm.set_index("pseudonym").loc[rows[0][0]]
    others = dm[(dm.locale == own.locale) & (dm.pseudonym != rows[0][0])]["wifi6_share"].dropna()
    assert card.at["wifi6_share", "locale_median"] == pytest.approx(shown_median(others, "wifi6_share"))
    groups = peer_groups(rep).set_index("group_kind")
    assert groups.at["county", "n_max"] == 8 and groups.at["state", "n_max"] == 859
    assert groups.at["locale", "how"] == f"same NCES locale within the state: {own.locale} districts of PS"
    html = peer_groups_html(rep)
    assert "How the peers were chosen" in html and "Kestrel County, PS" in html


def test_custom_group_on_the_report(kestrel):
    project, rows, dm, _ = kestrel
    me, ids = rows[0][0], [r[1] for r in rows[1:7]]  # six other Kestrel districts, by district ID
    rep = load_district_report(project.warehouse, me, "2025-26", custom_peers=ids)
    assert rep.group_kinds[-1] == "custom" and rep.custom_named == 6
    card = scorecard(rep).set_index("metric")
    members = [r[0] for r in rows[1:7]]
    v = dm.set_index("pseudonym").loc[members, "bandwidth_kbps_per_student"]
    assert card.at["bandwidth_kbps_per_student", "custom_median"] == pytest.approx(
        shown_median(v, "bandwidth_kbps_per_student"), nan_ok=True)
    assert card.at["bandwidth_kbps_per_student", "custom_stat"] in ("median", "band")  # 6 others: no quartiles
    assert card.at["bandwidth_kbps_per_student", "reference"] == "custom"  # the chosen group comes first
    text = peer_groups_html(rep)
    assert "6 districts named for this report" in text and "never which" in text
    for pseudonym, district_id in rows[1:7]:  # nobody in the list is named on the page
        assert pseudonym not in text and district_id not in text
    with pytest.raises(ValueError, match="at least 5 districts other than"):
        load_district_report(project.warehouse, me, "2025-26", custom_peers=ids[:4] + [rows[0][1]])
    with pytest.raises(LookupError, match="'nope'"):
        load_district_report(project.warehouse, me, "2025-26", custom_peers=ids + ["nope"])


def test_purchasing_against_the_county_median(kestrel):
    project, rows, dm, cur = kestrel
    me = rows[2][0]
    rep = load_district_report(project.warehouse, me, "2025-26")
    mine = cur.set_index("pseudonym").loc[me]
    county = dm[(dm.county == "Kestrel County") & (dm.pseudonym != me)]["device_price_usd"].dropna()
    assert rep.purchasing["reference_kind"] == "county"
    at_median = mine.devices_replaced * shown_median(county, "device_price_usd")  # the median the page shows
    assert rep.purchasing["spend_at_reference"] == pytest.approx(at_median)
    text = purchasing_html(rep)
    assert f"${at_median:,.0f}" in text and f"${mine.device_spend_usd:,.0f}" in text
    assert f"${abs(mine.device_spend_usd - at_median):,.0f} {'more' if mine.device_spend_usd > at_median else 'less'}" in text
