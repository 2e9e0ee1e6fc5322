"""The board's findings: worked out from the data (changed data, changed findings), from shown figures only,
naming no district."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from conftest import make_project, smoothed

from benchmarks.pipeline.ingest import ingest_files
from benchmarks.privacy.keys import DEMO_KEY
from benchmarks.registry.metrics import METRICS
from benchmarks.reports.board import findings_html, key_findings, load_board_summary

YEAR, PREV = "2025-26", "2024-25"


def district_rows(warehouse) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("SELECT * FROM district_metrics WHERE state = 'PS'").df()


def expected_extremes(dm: pd.DataFrame) -> dict[str, str]:
    """The labels of the measures whose state median improved and worsened most (relative to last year's),
    worked out again from the districts' rows with numpy's percentiles, ignoring moves under 2%."""
    moved = {}
    for m in METRICS:
        if m.direction == "neutral":
            continue
        before, now = (smoothed(dm.loc[dm.school_year == y, m.name].dropna()) for y in (PREV, YEAR))
        rel = (now - before) / abs(before)
        if abs(rel) >= 0.02:
            better = (rel > 0) == (m.direction == "higher")
            moved[m.label] = abs(rel) if better else -abs(rel)
    improved = {k: v for k, v in moved.items() if v > 0}
    worsened = {k: -v for k, v in moved.items() if v < 0}
    return {"improved": max(improved, key=improved.get) if improved else "",
            "worsened": max(worsened, key=worsened.get) if worsened else ""}


def names_of(dm: pd.DataFrame, project) -> list[str]:
    with duckdb.connect(str(project.warehouse), read_only=True) as con:
        tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    names = list(dm["pseudonym"].unique())
    for f in project.demo.glob("submissions_*.csv") if project.demo.exists() else []:
        raw = pd.read_csv(f, dtype=str)
        names += list(raw["district_name"].unique()) + list(raw["district_id"].unique())
    assert tables and len(names) > 860
    return names


@pytest.fixture(scope="module")
def slower_network(tmp_path_factory):
    """The demo state again, with every district's 2025-26 bandwidth and internet bill halved."""
    p = make_project(tmp_path_factory.mktemp("slower"))
    files = []
    for f in sorted(p.demo.glob("submissions_*.csv")):
        raw = pd.read_csv(f, dtype=str, keep_default_na=False)
        if YEAR in f.name:
            # half the bandwidth for half the bill: cost per Mbps stays, bandwidth per student halves
            raw["bandwidth_mbps"] = (pd.to_numeric(raw["bandwidth_mbps"]) / 2).round(1).astype(str)
            raw["internet_monthly_cost_usd"] = (pd.to_numeric(raw["internet_monthly_cost_usd"]) / 2).round(2).astype(str)
        out = tmp_path_factory.mktemp("changed") / f.name
        raw.to_csv(out, index=False)
        files.append(out)
    ingest_files(files, p, DEMO_KEY)
    return p


def test_findings_follow_the_data_and_name_no_district(demo_project, slower_network):
    found = {}
    for label, project in (("demo", demo_project), ("slower", slower_network)):
        dm = district_rows(project.warehouse)
        findings = key_findings(load_board_summary(project.warehouse, YEAR, "PS"))
        assert 3 <= len(findings) <= 5, findings
        expected = expected_extremes(dm)
        assert findings[0].startswith(f"{expected['improved']} improved"), (findings, expected)
        assert findings[1].startswith(f"{expected['worsened']} worsened"), (findings, expected)
        page = findings_html(load_board_summary(project.warehouse, YEAR, "PS"))
        assert not [n for n in names_of(dm, project) if n in page]
        found[label] = findings
    # halving the bandwidth turns the state's network into its largest decline, and the findings say so
    assert found["slower"] != found["demo"]
    assert not found["demo"][1].startswith("Internet bandwidth per student")
    assert found["slower"][1].startswith("Internet bandwidth per student worsened")
    assert "1 Mbps" in " ".join(found["demo"]) and "1 Mbps" not in " ".join(found["slower"][:3])


def test_medians_by_size_band_are_each_bands_smoothed_median(demo_project):
    """Each size band's median as shown: the smoothed median of the band's districts, worked out again with
    numpy, at the metric's display precision, and declared for the audit with its band."""
    import re

    from benchmarks.formats import figure_text
    from benchmarks.registry.groups import SIZE_BANDS
    from benchmarks.registry.metrics import METRIC_BY_NAME
    from benchmarks.reports.board import size_band_html

    dm = district_rows(demo_project.warehouse)
    page = size_band_html(load_board_summary(demo_project.warehouse, YEAR, "PS"))
    heads = re.findall(r"<th scope='col' class='num'>(.*?)</th>", page)
    assert heads == [label for _, label in SIZE_BANDS]
    for name in ("devices_per_student", "bandwidth_kbps_per_student", "cost_per_mbps_usd"):
        m = METRIC_BY_NAME[name]
        for band in heads:
            values = dm.loc[(dm.school_year == YEAR) & (dm.size_band == band), name].dropna()
            assert len(values) >= 5
            shown = figure_text(m, smoothed(values))
            assert (f"data-metric='{name}' data-group='size_band' data-stat='median' data-members='all' "
                    f"data-year='{YEAR}' data-state='PS' data-size-band='{band}'>{shown}</td>") in page, (name, band)


def test_a_locale_median_is_the_smoothed_median_of_its_districts(demo_project):
    """The town districts' median of devices per student, worked out again from their rows: the mean of
    numpy's linear percentiles half a rank below, at and half a rank above the middle, to two decimals."""
    import re

    import numpy as np

    from benchmarks.reports.board import locale_html

    dm = district_rows(demo_project.warehouse)
    values = np.sort(dm.loc[(dm.school_year == YEAR) & (dm.locale == "Town"), "devices_per_student"].dropna())
    n = len(values)
    assert n >= 10 and n < (dm.school_year == YEAR).sum() - 5
    h = (n - 1) / 2
    expected = np.mean([np.interp(x, np.arange(n), values) for x in (h - 0.5, h, h + 0.5)])
    page = locale_html(load_board_summary(demo_project.warehouse, YEAR, "PS"))
    assert ("data-metric='devices_per_student' data-group='locale' data-stat='median' data-members='all' "
            f"data-year='{YEAR}' data-state='PS' data-locale='Town'>{expected:.2f} devices</td>") in page
    assert re.findall(r"<th scope='col' class='num'>(.*?)</th>", page) == ["City", "Suburb", "Town", "Rural"]
