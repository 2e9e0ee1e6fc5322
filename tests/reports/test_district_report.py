"""The district report's sentences and sections read the stored statistics and say what they mean."""

import re

import duckdb
import numpy as np
import pandas as pd
import pytest
from conftest import shown_band, shown_median

from benchmarks.reports.district import load_district_report, peer_groups, peer_groups_html, purchasing_html, scorecard
from benchmarks.privacy.disclosure import GroupFigures
from benchmarks.privacy.rules import Rules
from benchmarks.registry.metrics import METRIC_BY_NAME
from benchmarks.reports.wording import standing_of

nan = float("nan")


def _fig(metric="devices_per_student", status="quartiles", n=12, p25=1.0, median=1.1, p75=1.2, low=nan, high=nan):
    return GroupFigures(METRIC_BY_NAME[metric], status, n, p25, median, p75, low, high, Rules())


def test_standing_is_placed_against_the_shown_figures_only():
    m = METRIC_BY_NAME["devices_per_student"]
    # outside the shown middle half (1.00-1.20): better than most, with the figures it rests on
    assert standing_of(m, _fig(), "county", 1.25) == (
        "better", "above the middle half",
        "Higher devices per student than most districts in your county: above their middle half (1.00–1.20 devices).")
    # inside it, on either side of the median: typical
    key, words, sentence = standing_of(m, _fig(), "county", 1.03)
    assert (key, words) == ("typical", "in the middle half, below the median")
    assert sentence == ("Lower devices per student than the median of districts in your county (1.10 devices), "
                        "within their middle half (1.00–1.20 devices).")
    # compared as displayed: 1.204 shows as 1.20, the 75th percentile, so it is not beyond it
    assert standing_of(m, _fig(), "county", 1.204)[0] == "typical"
    assert standing_of(m, _fig(), "county", 1.096)[:2] == ("typical", "in the middle half, about the median")
    # within 5% of the shown median (0.055 devices of 1.10): about it, never on a side the plain median may not be
    assert standing_of(m, _fig(), "county", 1.15)[:2] == ("typical", "in the middle half, about the median")
    assert standing_of(m, _fig(), "county", 1.16)[:2] == ("typical", "in the middle half, above the median")
    # lower is better: fewer tickets than the middle half is better
    t = METRIC_BY_NAME["tickets_per_100_devices"]
    assert standing_of(t, _fig("tickets_per_100_devices", p25=10, median=14, p75=20), "state", 8)[0] == "better"
    assert standing_of(t, _fig("tickets_per_100_devices", p25=10, median=14, p75=20), "state", 25)[0] == "behind"
    # a small group shows only its median: the verdict says which side of it, never "most"
    small = _fig(status="centre", n=7, p25=nan, p75=nan)
    key, words, sentence = standing_of(m, small, "county", 0.9)
    assert (key, words) == ("behind_median", "below the median")
    assert sentence == ("Lower devices per student than the median of districts in your county (1.10 devices); "
                        "with 7 of them, too few to show their middle half.")
    # a band: inside it, or which side of it
    band = _fig(status="band", n=6, p25=nan, median=nan, p75=nan, low=1.1, high=1.2)
    assert standing_of(m, band, "county", 1.15)[:2] == ("at_median", "within the band")
    assert standing_of(m, band, "county", 1.3)[0] == "better_median"
    # neutral metrics describe, never judge
    r = METRIC_BY_NAME["refresh_cycle_years"]
    assert standing_of(r, _fig("refresh_cycle_years", p25=3, median=4, p75=5), "county", 6)[0] == "above"
    assert standing_of(r, _fig("refresh_cycle_years", status="centre", median=4), "county", 3)[0] == "below_median"
    # nothing shown, or no own figure
    assert standing_of(m, _fig(status="none"), "county", 1.0)[0] == "missing"
    assert standing_of(m, _fig(), None, 1.0)[1] == "too few others reported this"
    assert standing_of(m, _fig(), "county", nan)[2] == "Not reported this year."


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
    from benchmarks.reports.wording import VERDICTS, takeaway

    # every verdict has a symbol besides its words, so no reader depends on colour; "most" and "median" differ
    symbols = {key: symbol for key, (symbol, _) in VERDICTS.items()}
    assert len({symbols[k] for k in ("better", "typical", "behind", "above", "below", "better_median",
                                     "behind_median")}) == 7
    card = pd.DataFrame({"metric": ["devices_per_student", "device_price_usd", "refresh_share",
                                    "bandwidth_kbps_per_student"],
                         "verdict": ["better", "behind", "above", "better"]})
    assert takeaway(card) == "better than most on 2 of 3 measures, behind most on 1"
    assert takeaway(card.assign(verdict="typical")) == "typical of your peers"
    assert takeaway(card.assign(verdict=["behind", "typical", "below", "typical"])) == "behind most on 1 of 3 measures"
    small = card.assign(verdict=["better_median", "behind_median", "above_median", "behind_median"])
    assert takeaway(small) == "better than the median on 1 of 3 measures, behind the median on 2"
    # only the sides that occur, "most" before "median"
    mixed = card.assign(verdict=["behind", "behind_median", "above", "behind"])
    assert takeaway(mixed) == "behind most on 2 of 3 measures, behind the median on 1"
    # measures left blank, or with too few peers, are not counted among those compared
    partial = card.assign(verdict=["better", "unreported", "above", "missing"])
    assert takeaway(partial) == "better than most on 1 of 1 measure"
    assert takeaway(card.assign(verdict="unreported")) == "not reported this year"


def test_summary_is_one_row_per_metric_against_the_reference_group(kestrel):
    from benchmarks.registry.metrics import METRICS
    from benchmarks.reports.district import scorecard_html

    project, rows, dm, _ = kestrel
    rep = load_district_report(project.warehouse, rows[0][0], "2025-26")
    page = scorecard_html(rep)
    assert page.count("<tr><th scope='row'>") == len(METRICS)
    assert "the <span data-metric='' data-group='county' data-stat='count'>8</span> other districts" in page
    # county, size band and state medians on every row; the one the verdict is against is marked
    assert page.count("data-group='size_band'") == len(METRICS)
    assert page.count("class='num glance ref'") == len(METRICS)
    # all eight others' verdicts are rough (a median only): the county's head says so once, no cell repeats it
    assert page.count("rough: <span data-metric='' data-group='county' data-stat='count'>8</span> others") == 1
    assert "class='rough'" not in page
    own = dm.set_index("pseudonym").loc[rows[0][0]]
    county = dm[(dm.county == own.county) & (dm.pseudonym != rows[0][0])]
    shown = shown_median(county["devices_per_student"], "devices_per_student")
    card = scorecard(rep).set_index("metric")
    assert card.at["devices_per_student", "reference"] == "county"
    assert re.search(r"data-metric='devices_per_student' data-group='county' data-stat='median'>"
                     + re.escape(card.at['devices_per_student', 'county_text']) + "</span>", page)
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


def _outside_kestrel(project, count=7):
    """District IDs and pseudonyms of the first `count` districts outside Kestrel County (by pseudonym): a
    custom group that is no stored group give or take a few districts."""
    cw = duckdb.connect(str(project.crosswalk), read_only=True)
    ids = dict(cw.execute("SELECT pseudonym, district_id FROM crosswalk").fetchall())
    cw.close()
    con = duckdb.connect(str(project.warehouse), read_only=True)
    picked = [p for (p,) in con.execute("SELECT pseudonym FROM district_metrics WHERE school_year = '2025-26' "
                                        f"AND county <> 'Kestrel County' ORDER BY 1 LIMIT {count}").fetchall()]
    con.close()
    return [ids[p] for p in picked], picked


def test_a_custom_report_prices_devices_against_the_custom_group(kestrel):
    """The custom group is the report's first comparison: the purchasing section prices the replacements at
    its median, the one the scorecard shows (worked out here from district_metrics)."""
    project, rows, dm, cur = kestrel
    me = rows[0][0]
    ids, members = _outside_kestrel(project)
    rep = load_district_report(project.warehouse, me, "2025-26", custom_peers=ids)
    prices = dm.set_index("pseudonym").loc[members, "device_price_usd"]
    median = shown_median(prices, "device_price_usd")
    assert np.isfinite(median)  # the case: the custom group shows a median price
    assert scorecard(rep).set_index("metric").at["device_price_usd", "custom_median"] == pytest.approx(median)
    mine = cur.set_index("pseudonym").loc[me]
    at_median = mine.devices_replaced * median
    assert rep.purchasing["reference_kind"] == "custom"
    assert rep.purchasing["spend_at_reference"] == pytest.approx(at_median)
    assert rep.purchasing["difference"] == pytest.approx(mine.device_spend_usd - at_median)
    text = purchasing_html(rep)
    assert "data-purchasing='custom'" in text and "At the median price of districts in your chosen group" in text
    assert re.search(r"custom group median <span data-metric='device_price_usd' data-group='custom' "
                     rf"data-stat='median'>\${median:,.0f}</span>", text)
    assert f"${at_median:,.0f}" in text
    assert f"${abs(mine.device_spend_usd - at_median):,.0f} {'more' if mine.device_spend_usd > at_median else 'less'}" \
        in text
    # the same district's own report still prices against its county
    plain = load_district_report(project.warehouse, me, "2025-26")
    assert plain.purchasing["reference_kind"] == "county" and "custom group" not in purchasing_html(plain)


def test_against_group_reprices_only_with_a_median_to_show():
    from benchmarks.stats.purchasing import against_group

    row = {"devices_replaced": 100.0, "device_spend_usd": 31000.0, "price": 310.0, "reference_kind": "county",
           "reference_median": 300.0, "spend_at_reference": 30000.0, "difference": 1000.0}
    got = against_group(row, "custom", 320.0)
    assert (got["reference_kind"], got["reference_median"], got["custom_median"]) == ("custom", 320.0, 320.0)
    assert (got["spend_at_reference"], got["difference"]) == (32000.0, -1000.0)
    kept = against_group(row, "custom", nan)  # a band or nothing shown: the stored reference stays
    assert kept["reference_kind"] == "county" and kept["spend_at_reference"] == 30000.0
    assert np.isnan(kept["custom_median"])
    assert against_group({}, "custom", 320.0) == {}


def test_a_band_year_stays_on_the_trend_as_its_band(kestrel):
    """Kestrel County's refresh cycle is shown as a band in some years: each such year is a row of the trend
    with the band's ends (worked out here from district_metrics) and no value; figure rows have no band."""
    from benchmarks.reports.district import trend_lines

    project, rows, _, _ = kestrel
    me = rows[0][0]
    rep = load_district_report(project.warehouse, me, "2025-26")
    lines = trend_lines(rep)
    assert {"low", "high"} <= set(lines.columns)
    con = duckdb.connect(str(project.warehouse), read_only=True)
    every = con.execute("SELECT * FROM district_metrics WHERE county = 'Kestrel County'").df()
    con.close()
    name = "refresh_cycle_years"
    ref = lines[(lines["metric"] == name) & (lines["series"] == "reference")].set_index("school_year")
    assert list(ref.index) == sorted(every["school_year"].unique())  # every year on record, none dropped
    bands = 0
    for year, frame in every.groupby("school_year"):
        lo, hi = shown_band(frame.loc[frame["pseudonym"] != me, name], name)
        r = ref.loc[year]
        if np.isfinite(lo):
            bands += 1
            assert (r["stat"], r["low"], r["high"]) == ("band", pytest.approx(lo), pytest.approx(hi))
            assert np.isnan(r["value"]) and r["text"] == f"{lo:g}–{hi:g} years"
        else:
            assert r["stat"] == "median" and np.isnan(r["low"]) and np.isnan(r["high"])
    assert bands >= 2
    figures = lines[lines["stat"] != "band"]
    assert figures["low"].isna().all() and figures["high"].isna().all()


def test_the_trend_table_alt_text_and_caption_say_what_a_band_year_is(kestrel):
    from benchmarks.reports.district import (
        area_section_html,
        trend_lines,
        trend_table_html,
    )

    project, rows, _, _ = kestrel
    rep = load_district_report(project.warehouse, rows[0][0], "2025-26")
    lines = trend_lines(rep)
    band = lines[(lines["metric"] == "refresh_cycle_years") & (lines["stat"] == "band")].iloc[0]
    table = trend_table_html(lines, ["refresh_cycle_years"])
    assert (f"data-metric='refresh_cycle_years' data-group='county' data-stat='band' "
            f"data-year='{band['school_year']}'>{band['text']}<") in table
    page = area_section_html(rep, "devices")
    alt = re.search(r'alt="([^"]*)"', page).group(1)
    assert f"shown only as the range {band['text']} ({band['school_year']}, a vertical bar)" in alt
    assert "a vertical bar on a median&#x27;s line: a year whose median is shown only as a range" in alt
    caption = re.search(r"<figcaption>(.*?)</figcaption>", page).group(1)
    assert "the line passing through the range&#x27;s middle" in caption
    assert "custom group" not in caption  # no custom group on this report


def test_a_custom_report_says_whose_median_the_trend_follows(kestrel):
    """Only this year has custom figures: the trend follows the county (the stored reference) and says so."""
    from benchmarks.reports.district import area_section_html, trend_lines

    project, rows, _, _ = kestrel
    ids, _ = _outside_kestrel(project)
    rep = load_district_report(project.warehouse, rows[0][0], "2025-26", custom_peers=ids)
    lines = trend_lines(rep)
    assert set(lines.loc[lines["series"] == "reference", "group_kind"]) == {"county"}
    page = area_section_html(rep, "devices")
    note = "Trend: the median of districts in your county; the custom group has no history, only this year&#x27;s figures."
    assert note in re.search(r"<figcaption>(.*?)</figcaption>", page).group(1)
    assert note in re.search(r'alt="([^"]*)"', page).group(1)


def test_the_trend_is_said_in_words_and_its_method_once(kestrel):
    """A board member reads "rising 0.04 devices a year" in each sentence; how a trend is fitted is said once, in
    How to read this report, not repeated in every metric's sentence."""
    from benchmarks.reports.district import areas_html, methods_html

    project, rows, _, _ = kestrel
    rep = load_district_report(project.warehouse, rows[0][0], "2025-26")
    areas = areas_html(rep)
    assert re.search(r"is (rising|falling) [^<]* a year", areas)
    assert "straight line" not in areas and "yearly medians)" not in areas
    assert "the slope of a straight line fitted through the group's yearly medians" in methods_html(rep)
