"""The county round-table page on the demo: its combined purchasing worked out again from the submissions in
data/demo, the audit acting as every member, and a county too small for the rules getting no page."""

from __future__ import annotations

import dataclasses
import html
import re

import numpy as np
import pandas as pd
import pytest
from conftest import REPO, notebook_page, run_cli, smoothed

from benchmarks.privacy.audit import Truth, audit_artifacts, read_html
from benchmarks.reports import roundtable
from benchmarks.reports.roundtable import TooFewMembers, load_roundtable

YEAR, COUNTY = "2025-26", "Kestrel County"


def words(page: str) -> str:
    page = re.sub(r"<(svg|style|script).*?</\1>", " ", page, flags=re.DOTALL)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))).replace(" )", ")").replace("( ", "(")


@pytest.fixture(scope="module")
def kestrel(demo_project):
    rt = load_roundtable(demo_project.warehouse, YEAR, COUNTY)
    return rt, notebook_page("roundtable.ipynb", "load_roundtable", roundtable, rt=rt)


@pytest.fixture(scope="module")
def submitted():
    """The demo's 2025-26 submissions as sent, read a second way (pandas on the CSV)."""
    return pd.read_csv(REPO.demo / f"submissions_{YEAR}.csv")


def test_combined_device_spend_and_the_saving_at_the_state_25th_percentile(kestrel, submitted):
    _rt, page = kestrel
    k = submitted[(submitted["county"] == COUNTY)]
    bought = k[k["devices_replaced"].fillna(0) > 0].dropna(subset=["device_spend_usd"])
    devices, spend = int(bought["devices_replaced"].sum()), float(bought["device_spend_usd"].sum())
    assert (len(k), len(bought), devices) == (9, 9, 5147) and round(spend / 1e4) == 166
    # the state's 25th-percentile price as published: smoothed over every district of the state that bought devices
    state = submitted[(submitted["state"] == k["state"].iloc[0]) & (submitted["devices_replaced"].fillna(0) > 0)]
    p25 = round(smoothed((state["device_spend_usd"] / state["devices_replaced"]).dropna(), 0.25))
    saving = spend - devices * p25
    assert p25 == 279 and 224_000 <= saving < 224_500
    text = words(page)
    assert (f"Kestrel County's 9 districts that bought devices replaced {devices:,} devices in {YEAR} for "
            f"${spend / 1e6:.2f} million (${spend / devices:.0f} on average") in text
    assert (f"At the state's 25th-percentile price (${p25}) the same devices would have cost "
            f"${float(f'{saving:.3g}'):,.0f} less.") in text
    # the internet, over the members that reported both bandwidth and cost (all 9 in the demo)
    net = k.dropna(subset=["bandwidth_mbps", "internet_monthly_cost_usd"])
    mbps, monthly = net["bandwidth_mbps"].sum(), net["internet_monthly_cost_usd"].sum()
    assert (mbps, round(monthly)) == (19_200, 29_570)
    assert (f"Their internet: {mbps:,.0f} Mbps for ${float(f'{monthly:.3g}'):,.0f} a month "
            f"(${monthly / mbps:.2f}/Mbps).") in text


def test_sentences_come_first_and_name_no_district(kestrel, submitted):
    _, page = kestrel
    text = words(page)
    assert text.index("replaced 5,147 devices") < text.index("Buying together") < text.index("metric by metric")
    names = submitted["district_name"]
    assert not [n for n in names if n in text]
    assert "Topics for the meeting" in text and "Who is one-to-one" in text


def test_the_audit_acting_as_each_member_finds_nothing(kestrel, demo_project):
    rt, page = kestrel
    truth = Truth.load(demo_project)
    members = set(rt.members["pseudonym"])
    assert len(members) == 9 and members <= set(truth.year(YEAR).index)
    a = read_html("roundtable_kestrel-county.html", page)
    totals = [f for f in a.figures if f.get("stat") in ("total", "mean")]
    assert len(totals) >= 8  # devices, spend, average, savings; bandwidth, cost, per Mbps, saving
    # every member reads the page as its own, knowing its own spend and volume
    own = {p: [read_html("roundtable_kestrel-county.html", page, owner=p)] for p in members}
    assert audit_artifacts(truth, YEAR, own, []) == []
    assert audit_artifacts(truth, YEAR, {}, [a]) == []


def test_the_audit_sees_a_total_over_too_few_members(kestrel, demo_project):
    """The same page with its devices total claimed for a four-district subset: the audit must object."""
    _, page = kestrel
    truth = Truth.load(demo_project)
    small = truth.year(YEAR).groupby("county").size()
    county = small[small == 4].index[0]
    bad = page.replace(f"data-county='{COUNTY}'", f"data-county='{county}'", 1)
    bad = re.sub(r"data-metric='devices_replaced' data-group='county' data-stat='total'([^>]*)data-county='[^']*'",
                 rf"data-metric='devices_replaced' data-group='county' data-stat='total'\1data-county='{county}'",
                 bad, count=1)
    found = audit_artifacts(truth, YEAR, {}, [read_html("x.html", bad)])
    assert any("over fewer than 5 districts" in f.rule for f in found)


def test_a_county_below_the_threshold_gets_no_page(demo_project, tmp_path):
    with pytest.raises(TooFewMembers, match=r"fewer than 6 reporting districts for 2025-26, so it gets no "
                                            "round-table page"):
        load_roundtable(demo_project.warehouse, YEAR, "Bramford County")
    code, out = run_cli(demo_project.root, "roundtable", "--county", "Bramford County")
    assert code == 1 and "Error: Bramford County has fewer than 6 reporting districts" in out
    assert not (demo_project.reports / YEAR / "roundtable_bramford-county.html").exists()
    from benchmarks.render.batch import plan_tasks

    tasks, districts = plan_tasks(demo_project, YEAR, tmp_path)
    counts = districts.groupby("county").size()
    pages = sorted(t.stem for t in tasks if t.kind == "roundtable")
    expected = sorted("roundtable_" + c.lower().replace(" ", "-") for c, n in counts.items() if n >= 6)
    assert pages == expected and "roundtable_kestrel-county" in pages
    assert "roundtable_bramford-county" not in pages


def test_every_member_figure_is_of_the_whole_county(kestrel):
    """No figure on the page is tagged as one district's, and every county figure names the county."""
    _, page = kestrel
    a = read_html("p.html", page)
    county = [f for f in a.figures if f.get("group") == "county"]
    assert county and all(f.get("members") == "all" and f.get("county") == COUNTY for f in county)
    assert not [f for f in a.figures if f.get("group") in ("own",)]
    assert np.all([f.get("group") in ("county", "state") for f in a.figures])


def test_members_reporting_only_one_of_the_two_are_left_out_and_said(kestrel):
    """Two members report bandwidth without its cost: the combined internet counts the seven that reported both
    (one member set for every internet total, so no two totals subtract to the two), and the page says so."""
    rt, _ = kestrel
    vol = rt.volumes.copy()
    dropped = vol.index[:2]
    vol.loc[dropped, "internet_monthly_cost_usd"] = np.nan
    partial = dataclasses.replace(rt, volumes=vol)
    p = roundtable.purchase(partial, "internet")
    kept = vol.drop(index=dropped)
    assert (p.members, p.counted, p.only_one) == (9, 7, 2)
    assert p.volume == pytest.approx(kept["bandwidth_mbps"].sum())
    assert p.spend == pytest.approx(kept["internet_monthly_cost_usd"].sum())
    text = words(roundtable.header_html(partial))
    assert (f"Their internet: {kept['bandwidth_mbps'].sum():,.0f} Mbps for "
            f"${float(f'{kept.internet_monthly_cost_usd.sum():.3g}'):,.0f} a month") in text
    assert ("These figures count the 7 members that reported both; 2 did not report their bandwidth or its monthly "
            "cost; 2 of them reported only one of the two.") in text
    # with four left that report both, every member could not see five others: no combined internet at all
    vol.loc[vol.index[:5], "internet_monthly_cost_usd"] = np.nan
    few = dataclasses.replace(rt, volumes=vol)
    assert not roundtable.purchase(few, "internet").shown
    assert "fewer than 6 members reported both the volume and its cost" in words(roundtable.header_html(few))


def test_the_index_says_why_small_counties_get_no_page(county_pages, submitted):
    index = words(county_pages.index.read_text())
    small = int((submitted.groupby("county").size() < 6).sum())
    assert small > 1
    assert (f"{small} counties have fewer than 6 reporting districts and no round-table page: each member, setting "
            "its own figures aside, must still see 5 others.") in index
    assert "For the county round-tables" in index and "Kestrel County round-table 2025-26" in index


def test_a_span_of_time_is_longer_or_shorter_not_higher_or_lower(kestrel):
    """The refresh cycle and the hours to resolve a ticket are spans of time: the county's is longer or shorter
    than the state's. Which side is read from the two figures the page shows in that row."""
    _, page = kestrel
    rows = {m: re.search(rf"<tr><th[^>]*>{label}</th>(.*?)</tr>", page, flags=re.DOTALL)
            for m, label in [("refresh", "Implied refresh cycle"), ("hours", "Median hours to resolve a ticket")]}
    for name, row in rows.items():
        cells = [words(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), flags=re.DOTALL)]
        county, state, against = cells[0], cells[1], cells[2]
        high = float(re.findall(r"[\d.]+", county)[-1])  # a range "3–4 years": its upper end
        low = float(re.findall(r"[\d.]+", county)[0])
        st = float(re.findall(r"[\d.]+", state)[0])
        # a county at or below the state's figure is never called longer, at or above it never shorter
        expected = {"about the same", "shorter"} if high <= st else {"about the same", "longer"} if low >= st else {
            "about the same", "shorter", "longer"}
        assert against in expected, (name, cells)
        assert against not in ("higher", "lower")
    assert "Refresh cycle is higher" not in words(page) and "Refresh cycle is lower" not in words(page)


def test_no_combined_price_where_two_members_own_prices_dominate_it(kestrel):
    """The combined $/Mbps is also a mean of the members' own prices: where two members pay so much more per Mbps
    that their prices outweigh everyone else's (the rule for totals), the page shows no combined internet, even
    though the bandwidth and the bill, each summed, pass the rule (as Bureau and McLean counties did in the public
    Illinois file)."""
    rt, _ = kestrel
    vol = rt.volumes.copy()
    two = vol.index[:2]
    vol.loc[two, "bandwidth_mbps"] = 1.0  # tiny lines
    vol.loc[two, "internet_monthly_cost_usd"] = vol["internet_monthly_cost_usd"].median()  # at a typical bill
    priced = dataclasses.replace(rt, volumes=vol)
    counted = vol.dropna(subset=["bandwidth_mbps", "internet_monthly_cost_usd"])
    prices = np.sort((counted["internet_monthly_cost_usd"] / counted["bandwidth_mbps"]).to_numpy())
    assert prices[-2:].sum() > 0.85 * prices.sum()  # the two prices dominate, worked out again here
    mbps, bill = np.sort(counted["bandwidth_mbps"]), np.sort(counted["internet_monthly_cost_usd"])
    assert mbps[-2:].sum() <= 0.85 * mbps.sum() and bill[-2:].sum() <= 0.85 * bill.sum()  # each sum passes
    assert not roundtable.purchase(priced, "internet").shown
    assert "Their internet:" not in words(roundtable.header_html(priced))


def test_a_county_is_a_states_county_where_several_states_share_its_name(project, tmp_path):
    """Seven districts of Twin County, OR and four of Twin County, WA: together they would be enough for a page,
    but each state's county is its own; only Oregon's gets one, named with its state, of its own members."""
    from conftest import csv_text, row

    from benchmarks.pipeline.ingest import ingest_files
    from benchmarks.privacy.keys import DEMO_KEY
    from benchmarks.render.batch import plan_tasks
    from benchmarks.warehouse.queries import NotOnRecord

    rows = ([row(n=n, state="OR", county="Twin County") for n in range(1, 8)]
            + [row(n=n, state="WA", county="Twin County") for n in range(11, 15)]
            + [row(n=n, state="WA", county="Other County") for n in range(21, 28)])
    src = tmp_path / "two_states.csv"
    src.write_text(csv_text(rows))
    ingest_files([src], project, DEMO_KEY)
    tasks, _ = plan_tasks(project, YEAR, tmp_path / "out")
    tables = {t.stem: t.parameters for t in tasks if t.kind == "roundtable"}
    assert {s: (p["county"], p["state"]) for s, p in tables.items()} == {
        "roundtable_twin-county-or": ("Twin County", "OR"), "roundtable_other-county": ("Other County", "WA")}
    with pytest.raises(NotOnRecord, match=r"Twin County is a county of OR, WA in 2025-26: give its state"):
        load_roundtable(project.warehouse, YEAR, "twin county")
    with pytest.raises(TooFewMembers):
        load_roundtable(project.warehouse, YEAR, "Twin County", state="wa")
    assert len(load_roundtable(project.warehouse, YEAR, "Twin County", state="OR").members) == 7
    code, out = run_cli(project.root, "roundtable", "--county", "twin county")
    assert code == 1 and "give its state, e.g. --state OR" in out
    code, out = run_cli(project.root, "roundtable", "--county", "twin county", "--state", "or")
    page = project.reports / YEAR / "roundtable_twin-county-or.html"
    assert code == 0 and out.strip() == str(page), out
    assert "Twin County, OR" in page.read_text()
