"""The initiative check: planned values against the stored peer statistics, and the rendered page."""

import re

import duckdb
import numpy as np
import pytest
from click.testing import CliRunner
from conftest import shown_band, shown_median

from benchmarks.cli import main
from benchmarks.reports.initiative import load_initiative_check, parse_plan
from benchmarks.formats import display_value
from benchmarks.registry.metrics import METRIC_BY_NAME


def test_parse_plan_errors_name_the_problem():
    assert parse_plan(["devices_per_student=1.0", "refresh_share = 0.25"]) == {
        "devices_per_student": 1.0, "refresh_share": 0.25}
    with pytest.raises(ValueError, match="unknown metric 'laptops'"):
        parse_plan(["laptops=1"])
    with pytest.raises(ValueError, match="should read metric=value"):
        parse_plan(["refresh_share"])
    with pytest.raises(ValueError, match="not a number"):
        parse_plan({"refresh_share": "a quarter"})
    with pytest.raises(ValueError, match="outside the valid range 0 to 1"):
        parse_plan({"refresh_share": 25})


@pytest.fixture(scope="module")
def district(demo_project):
    con = duckdb.connect(str(demo_project.warehouse), read_only=True)
    me = con.execute("SELECT min(pseudonym) FROM district_metrics WHERE school_year = '2025-26' "
                     "AND county = 'Kestrel County'").fetchone()[0]
    dm = con.execute("SELECT * FROM district_metrics").df()
    con.close()
    cw = duckdb.connect(str(demo_project.crosswalk), read_only=True)  # IDs live in the private crosswalk
    row = cw.execute("SELECT pseudonym, district_id FROM crosswalk WHERE pseudonym = ? LIMIT 1", [me]).fetchone()
    cw.close()
    return row, dm


def test_plan_lines_match_stored_and_direct_figures(demo_project, district):
    (me, _), dm = district
    plan = {"devices_per_student": 1.0, "refresh_share": 0.25, "bandwidth_kbps_per_student": 1000.0,
            "tickets_per_100_devices": 20.0}
    check = load_initiative_check(demo_project.warehouse, me, plan, "2027-28")
    lines = check.lines.set_index("metric")
    own = dm[(dm.pseudonym == me)].set_index("school_year").loc["2025-26"]
    for name, planned in plan.items():
        kind = lines.at[name, "group_kind"]
        assert kind == "county"  # 8 others in Kestrel County
        others = dm[(dm.county == own.county) & (dm.pseudonym != me)]
        now = others[others.school_year == "2025-26"][name].dropna()
        # the median the report may show (docs/privacy.md): smoothed, or NaN where a band stands in
        assert lines.at[name, "median"] == pytest.approx(shown_median(now, name), nan_ok=True)
        # placed against the shown figures only, compared as displayed (worked out here from them)
        shown = lines.loc[name]
        r = lambda x: display_value(METRIC_BY_NAME[name], x)  # noqa: E731
        if shown["median_stat"] == "median":
            # about the median within 5% of it (at least one display unit), else its side
            med = r(shown["median"])
            unit = 10.0 ** -(METRIC_BY_NAME[name].decimals - (2 if METRIC_BY_NAME[name].unit == "%" else 0))
            about = abs(r(planned) - med) <= max(0.05 * abs(med), unit) + 1e-9
            side = "about" if about else "above" if r(planned) > med else "below"
            quartiles = np.isfinite(shown["p75"])
            inside = quartiles and r(shown["p25"]) <= r(planned) <= r(shown["p75"])
            expected = (("above" if r(planned) > r(shown["p75"]) else "below") + " the middle half"
                        if quartiles and not inside else
                        f"in the middle half, {side} the median" if quartiles else f"{side} the median")
            assert shown["standing"] == expected
        # projection: least-squares line through the others' yearly medians, read at 2027
        years = sorted(others.school_year.unique())
        xs = [int(y[:4]) for y in years]
        # ... through the medians the reports could show: a figure, or the middle of the band shown instead
        ys = [shown_median(others[others.school_year == y][name], name) for y in years]
        ys = [v if np.isfinite(v) else np.mean(shown_band(others[others.school_year == y][name], name))
              for y, v in zip(years, ys)]
        xs, ys = [x for x, y in zip(xs, ys) if np.isfinite(y)], [y for y in ys if np.isfinite(y)]
        if len(ys) < 2:  # no trend from fewer than two yearly medians
            assert np.isnan(lines.at[name, "projected_median"])
            continue
        slope, intercept = np.polyfit(xs, ys, 1)
        assert lines.at[name, "projected_median"] == pytest.approx(intercept + slope * 2027)
        assert lines.at[name, "trend_years"] == len(ys)
    assert lines.at["bandwidth_kbps_per_student", "goal0_meets"] and lines.at["bandwidth_kbps_per_student", "goal1_meets"]
    assert "Meets the 100 kbps and 1 Mbps goals." in lines.at["bandwidth_kbps_per_student", "sentence"]
    assert "By 2027-28 their median is projected at" in lines.at["devices_per_student", "sentence"]
    with pytest.raises(ValueError, match="before the report's year"):
        load_initiative_check(demo_project.warehouse, me, plan, "2024-25")


def test_the_target_year_verdict_the_backwards_remark_and_the_rough_cost(demo_project, district):
    """A plan judged where it is meant to be (the target year, against the peers' projected median) with
    today beside it; a plan below today's figure says so; the cost is worked out here from the district's own
    enrollment and figures and the shown median prices."""
    from benchmarks.reports.initiative import cost_html, plan_costs

    (me, _), dm = district
    check = load_initiative_check(demo_project.warehouse, me, {"devices_per_student": 1.0, "refresh_share": 0.25,
                                                               "bandwidth_kbps_per_student": 1000.0}, "2027-28")
    lines = check.lines.set_index("metric")
    own = dm[(dm.pseudonym == me) & (dm.school_year == "2025-26")].iloc[0]
    devices = lines.loc["devices_per_student"]
    proj = devices["projected_median"]
    assert np.isfinite(proj) and devices["trend_years"] == 3
    # 1.00 planned against a projected median above 1.05: behind it (more than 5% off)
    expected = ("behind_median" if 1.0 < proj * 0.95 else "at_median" if abs(1.0 - proj) <= 0.05 * proj
                else "better_median")
    assert devices["target_key"] == expected and devices["target_verdict"].startswith(
        {"behind_median": "Behind", "at_median": "About", "better_median": "Ahead"}[expected])
    assert f"so the plan would be {abs(1.0 - proj):.2f} devices" in devices["sentence"]
    # today the district has more than 1.00 devices per student: the plan lowers its figure, and says so
    assert own.devices_per_student > 1.0
    assert f"The plan lowers your figure: {own.devices_per_student:.2f} devices today." in devices["sentence"]
    assert "lowers" not in lines.at["bandwidth_kbps_per_student", "sentence"] or own.bandwidth_kbps_per_student > 1000
    # the rough cost: replacements at 25% of a fleet of 1.00 per student (no growth: the plan is below today),
    # at the county's shown median price; the planned bandwidth at the county's shown median cost per Mbps
    county = dm[(dm.county == own.county) & (dm.pseudonym != me) & (dm.school_year == "2025-26")]
    price = shown_median(county["device_price_usd"], "device_price_usd")
    per_mbps = shown_median(county["cost_per_mbps_usd"], "cost_per_mbps_usd")
    costs = {c["what"]: c for c in plan_costs(check)}
    assert costs["devices"]["count"] == pytest.approx(0.25 * 1.0 * own.enrollment)
    assert costs["devices"]["yearly"] == pytest.approx(0.25 * own.enrollment * price)
    assert costs["bandwidth"]["yearly"] == pytest.approx(own.enrollment * 1000 / 1000 * per_mbps * 12)
    page = cost_html(check)
    assert f"{0.25 * own.enrollment:,.0f} devices a year" in page
    assert f"${float(f'{0.25 * own.enrollment * price:.2g}'):,.0f} a year" in page
    # growth to a plan above today is spread over the two years to 2027-28
    more = load_initiative_check(demo_project.warehouse, me, {"devices_per_student": 1.5}, "2027-28")
    [c] = plan_costs(more)
    assert c["growth"] == pytest.approx((1.5 - own.devices_per_student) * own.enrollment / 2)
    assert c["replaced"] == pytest.approx(own.refresh_share * 1.5 * own.enrollment)


@pytest.mark.slow
def test_cli_renders_the_initiative_check(demo_project, district):
    (me, district_id), _ = district
    result = CliRunner().invoke(main, ["--root", str(demo_project.root), "initiative", "--district", district_id,
                                       "--plan", "devices_per_student=1.0", "--plan", "refresh_share=0.25",
                                       "--plan", "bandwidth_kbps_per_student=1000", "--target-year", "2027-28"])
    assert result.exit_code == 0, result.output
    page = demo_project.reports / "2025-26" / f"initiative_{me}.html"
    assert str(page) in result.output
    text = page.read_text()
    check = load_initiative_check(demo_project.warehouse, me, {"devices_per_student": 1.0, "refresh_share": 0.25,
                                                               "bandwidth_kbps_per_student": 1000}, "2027-28")
    import html as h

    # compare what a reader sees: the page may write an apostrophe as &#x27;
    shown = h.unescape(text)
    for sentence in check.lines["sentence"]:
        assert sentence in shown
    assert "Projected 2027-28" in text and "Verdict in 2027-28" in text and "straight line" in text
    assert not re.search(r"(?i)(src|href)=['\"]?(https?:)?//", text)
    assert "load_initiative_check" not in text  # code hidden
    bad = CliRunner().invoke(main, ["--root", str(demo_project.root), "initiative", "--district", district_id,
                                    "--plan", "laptops=1"])
    assert bad.exit_code == 1 and "Error: plan: unknown metric 'laptops'" in bad.output


def test_a_band_year_counts_among_the_trend_years(demo_project, district):
    """Kestrel County's refresh cycle is shown only as a band (its eight others too alike, or their median one
    district's figure) in some years: those years count in the projection, taken at the band's middle (worked
    out here from district_metrics), and the sentence says how many yearly medians the line went through
    instead of "fewer than two years on record"."""
    (me, _), dm = district
    name = "refresh_cycle_years"
    check = load_initiative_check(demo_project.warehouse, me, {name: 4.0}, "2027-28")
    line = check.lines.set_index("metric").loc[name]
    own = dm[(dm.pseudonym == me) & (dm.school_year == "2025-26")].iloc[0]
    others = dm[(dm.county == own.county) & (dm.pseudonym != me)]
    years = sorted(others.school_year.unique())
    bands = [shown_band(others[others.school_year == y][name], name) for y in years]
    assert sum(np.isfinite(lo) for lo, _ in bands) >= 2  # the case: most years shown as a band
    ys = [np.mean(b) if np.isfinite(b[0]) else shown_median(others[others.school_year == y][name], name)
          for y, b in zip(years, bands)]
    assert all(np.isfinite(ys)) and len(ys) == 3
    slope, intercept = np.polyfit([int(y[:4]) for y in years], ys, 1)
    assert line["trend_years"] == 3
    assert line["projected_median"] == pytest.approx(intercept + slope * 2027)
    assert "a straight line through 3 yearly medians" in line["sentence"]
    assert "fewer than two years" not in line["sentence"]
