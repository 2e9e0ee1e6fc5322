"""The district report's sentences and sections read the stored statistics and say what they mean."""

import re

import duckdb
import pandas as pd
import pytest
from conftest import shown_median

from benchmarks.reports.district import load_district_report, peer_groups, peer_groups_html, purchasing_html, scorecard
from benchmarks.reports.wording import noise_phrase, standing_sentence


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
    with pytest.raises(LookupError, match="not among the participating districts of 2025-26") as err:
        load_district_report(project.warehouse, me, "2025-26", custom_peers=ids + ["nope"])
    assert "nope" not in str(err.value)  # which entry is not said


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


def test_summary_verdicts_use_symbols_and_words_and_the_metric_direction():
    from benchmarks.reports.wording import VERDICTS, standing_short, takeaway, verdict_of

    assert verdict_of("devices_per_student", _row(median_vs="above")) == "better"
    assert verdict_of("devices_per_student", _row(median_vs="below")) == "behind"
    assert verdict_of("tickets_per_100_devices", _row(median_vs="below")) == "better"  # fewer tickets
    assert verdict_of("devices_per_student", _row(median_vs="within")) == "typical"
    assert verdict_of("devices_per_student", _row(median_vs="undetermined")) == "unclear"
    assert verdict_of("refresh_cycle_years", _row(median_vs="above")) == "above"  # no better direction
    assert verdict_of("devices_per_student", None) == "missing"
    assert verdict_of("devices_per_student", _row(value=float("nan"))) == "missing"
    # every verdict has a symbol of its own besides its words, so no reader depends on colour
    assert len({symbol for symbol, _ in VERDICTS.values() if symbol != "\u2013"}) == 5
    # the ends say "nearly all", never "10 in 10" (which would say first or last)
    assert standing_short("devices_per_student", _row(pct_better=96.0)) == "higher than nearly all"
    assert standing_short("devices_per_student", _row(pct_better=30.0)) == "lower than 7 in 10"
    assert standing_short("tickets_per_100_devices", _row(pct_better=80.0)) == "lower than 8 in 10"
    card = pd.DataFrame({"metric": ["devices_per_student", "device_price_usd", "refresh_share",
                                    "bandwidth_kbps_per_student"],
                         "verdict": ["better", "behind", "above", "better"]})
    assert takeaway(card) == "better than most on 2 of 3 measures, behind most on 1"
    assert takeaway(card.assign(verdict="typical")) == "typical of your peers"
    assert takeaway(card.assign(verdict=["behind", "typical", "below", "typical"])) == "behind most on 1 of 3 measures"


def test_summary_is_one_row_per_metric_against_the_reference_group(kestrel):
    from benchmarks.registry.metrics import METRICS
    from benchmarks.reports.district import scorecard_html

    project, rows, dm, _ = kestrel
    rep = load_district_report(project.warehouse, rows[0][0], "2025-26")
    page = scorecard_html(rep)
    assert page.count("<tr><th scope='row'>") == len(METRICS)
    assert "the <span data-metric='' data-group='county' data-stat='count'>8</span> other districts" in page
    # county, size band and state medians on every row; the one the verdict is against is marked
    assert page.count("data-group='size_band'") == len(METRICS) and page.count("class='num ref'") == len(METRICS)
    own = dm.set_index("pseudonym").loc[rows[0][0]]
    county = dm[(dm.county == own.county) & (dm.pseudonym != rows[0][0])]
    shown = shown_median(county["devices_per_student"], "devices_per_student")
    card = scorecard(rep).set_index("metric")
    assert card.at["devices_per_student", "reference"] == "county"
    assert re.search(r"data-metric='devices_per_student' data-group='county' data-stat='median'>"
                     + re.escape(card.at['devices_per_student', 'county_text']) + "</td>", page)
    assert card.at["devices_per_student", "county_median"] == pytest.approx(shown)


def test_trend_lines_follow_each_year_of_the_warehouse(kestrel):
    """Own figures year by year, and each year's state median over the other districts of that year, worked
    out here from district_metrics with the smoothed-median rule."""
    from benchmarks.formats import figure_text
    from benchmarks.registry.metrics import METRIC_BY_NAME
    from benchmarks.reports.district import trend_lines

    project, rows, _, _ = kestrel
    me = rows[0][0]
    rep = load_district_report(project.warehouse, me, "2025-26")
    lines = trend_lines(rep)
    con = duckdb.connect(str(project.warehouse), read_only=True)
    every = con.execute("SELECT * FROM district_metrics WHERE state = 'PS'").df()
    con.close()
    assert sorted(lines["school_year"].unique()) == sorted(every["school_year"].unique())
    name = "bandwidth_kbps_per_student"
    m = METRIC_BY_NAME[name]
    mine = lines[lines["metric"] == name]
    for year, frame in every.groupby("school_year"):
        own = frame.loc[frame["pseudonym"] == me, name].iloc[0]
        you = mine[(mine["series"] == "you") & (mine["school_year"] == year)]
        assert you["value"].iloc[0] == pytest.approx(own) and you["text"].iloc[0] == figure_text(m, own)
        state = mine[(mine["series"] == "state") & (mine["school_year"] == year)]
        expected = shown_median(frame.loc[frame["pseudonym"] != me, name], name)
        assert state["value"].iloc[0] == pytest.approx(expected)
    # the reference series is the scorecard's reference group (the county here), one point per year shown
    assert set(mine.loc[mine["series"] == "reference", "group_kind"]) == {"county"}
    # nothing in the lines is another district's own figure: only "you" rows carry a value stat
    assert set(lines.loc[lines["series"] != "you", "stat"]) <= {"median", "band"}


def test_goal_shares_come_from_groups_large_enough(kestrel):
    """Kestrel County has 8 other districts: too few for a share meeting a goal (all of them meeting 100 kbps
    would be said of each), so the sentence quotes the size band's share, worked out here."""
    project, rows, dm, _ = kestrel
    rep = load_district_report(project.warehouse, rows[0][0], "2025-26")
    detail = scorecard(rep).set_index("metric").at["bandwidth_kbps_per_student", "detail"]
    assert "districts in your county meet it" not in detail
    own = dm.set_index("pseudonym").loc[rows[0][0]]
    band = dm[(dm.size_band == own.size_band) & (dm.pseudonym != rows[0][0])]["bandwidth_kbps_per_student"].dropna()
    assert f"goal 100 kbps: met; {(band >= 100).mean() * 100:.0f}% of districts of your size in the state meet it" \
        in detail
