"""Rendering end to end: papermill runs the notebooks, pages are self-contained and show the library's numbers."""

import csv
import html
import re
from html.parser import HTMLParser

import duckdb
import pytest

from benchmarks.registry.metrics import METRICS
from benchmarks.render.notebook import ensure_kernel, render_one
from benchmarks.reports.district import load_district_report, scorecard

pytestmark = pytest.mark.slow


class Resources(HTMLParser):
    """Every URL a page would load or link to, and the scorecard cells by (metric, group)."""

    def __init__(self):
        super().__init__()
        self.urls, self.cells, self.imgs = [], {}, []
        self._cell = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("src", "href", "data", "poster", "action"):
            if a.get(key):
                self.urls.append(a[key])
        if tag == "img":
            self.imgs.append(a)
        # the first figure of each (metric, group): the At a glance table's, a cell or a span in one
        if tag in ("td", "span") and "data-metric" in a and a.get("data-stat") != "count":
            key = (a["data-metric"], a.get("data-group", "own"))
            if key not in self.cells:
                self._cell, self._tag = key, tag
                self.cells[key] = ""

    def handle_data(self, data):
        if self._cell:
            self.cells[self._cell] += data

    def handle_endtag(self, tag):
        if self._cell and tag == self._tag:
            self._cell = None


def parse(path):
    p = Resources()
    text = path.read_text(encoding="utf-8")
    p.feed(text)
    return p, text


@pytest.fixture(scope="module")
def rendered(demo_project):
    con = duckdb.connect(str(demo_project.warehouse), read_only=True)
    district = con.execute("SELECT pseudonym FROM district_metrics WHERE school_year = '2025-26' "
                           "AND county = 'Kestrel County' ORDER BY pseudonym LIMIT 1").fetchone()[0]
    con.close()
    out = demo_project.reports / "test"
    params = {"warehouse": str(demo_project.warehouse), "school_year": "2025-26"}
    page = render_one("district", demo_project, out, "district", dict(params, district=district), "District")
    board = render_one("board", demo_project, out, "board_summary", params, "Board summary")
    return demo_project, district, page, board


def test_kernel_is_this_environment():
    import sys

    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec(ensure_kernel())
    assert spec.argv[0] == sys.executable


def test_scorecard_shows_the_values_the_library_computed(rendered):
    project, district, page, _ = rendered
    parser, _ = parse(page)
    card = scorecard(load_district_report(project.warehouse, district, "2025-26")).set_index("metric")
    assert len(card) == len(METRICS)
    for m in METRICS:
        assert parser.cells[(m.name, "own")].strip() == card.at[m.name, "value_text"]
        for group in ("county", "size_band", "state"):
            assert parser.cells[(m.name, group)].strip() == card.at[m.name, f"{group}_text"]
    # and the library's median is the median of the other districts, computed here directly
    con = duckdb.connect(str(project.warehouse), read_only=True)
    others = con.execute("SELECT bandwidth_kbps_per_student FROM district_metrics WHERE school_year = '2025-26' "
                         "AND state = 'PS' AND pseudonym <> ?", [district]).fetchnumpy()
    import numpy as np

    # the smoothed median (docs/privacy.md): numpy's percentiles half a rank below, at and above the middle, averaged
    values = np.sort(others["bandwidth_kbps_per_student"])
    h = 0.5 * (len(values) - 1)
    state_median = np.mean([np.interp(x, np.arange(len(values)), values) for x in (h - 0.5, h, h + 0.5)])
    assert card.at["bandwidth_kbps_per_student", "state_median"] == pytest.approx(state_median)
    assert abs(state_median - np.median(values)) < 0.01 * np.median(values)  # a hair from the plain median


def test_pages_load_nothing_from_the_network_and_hide_code(rendered):
    _, _, page, board = rendered
    for path in (page, board):
        parser, text = parse(path)
        assert parser.imgs and all(i["src"].startswith("data:image/svg+xml;base64,") for i in parser.imgs)
        assert all(i.get("alt") for i in parser.imgs)
        assert not [u for u in parser.urls if re.match(r"(?i)(https?:)?//", u)]
        assert not re.search(r"(?i)<script[^>]*\bsrc=", text)
        assert not re.search(r"(?i)@import|url\(\s*['\"]?(https?:)?//", text)
        assert "require.js" not in text and "mathjax" not in text.lower()
        assert "load_district_report" not in text and "load_board_summary" not in text  # code hidden
        assert "Content-Security-Policy" in text


def test_board_summary_names_no_district(rendered):
    project, _, _, board = rendered
    _, text = parse(board)
    con = duckdb.connect(str(project.crosswalk), read_only=True)
    names = [r[0] for r in con.execute("SELECT district_name FROM crosswalk").fetchall()]
    pseudonyms = [r[0] for r in con.execute("SELECT pseudonym FROM crosswalk").fetchall()]
    assert not [n for n in names if n in text or n.replace("&", "&amp;") in text]
    assert not [p for p in pseudonyms if p in text]


def test_render_reports_for_a_county_writes_an_index_that_names_no_district(county_pages, demo_project):
    result = county_pages
    pages = {p.name for p in result.pages}
    # board summary, data quality, 9 district reports and the county's round-table page
    assert len(pages) == 12 and any("board" in p for p in pages) and "data_quality_2025-26.html" in pages
    assert "roundtable_kestrel-county.html" in pages and "href='roundtable_kestrel-county.html'" in result.index.read_text()
    index = result.index.read_text()
    board = next(p for p in pages if "board" in p)
    assert f"href='{board}'" in index
    assert "href='board_summary_2025-26.csv'" in index and "href='board_summary_2025-26.xlsx'" in index
    assert "9 district reports" in index
    assert not re.search(r"(?i)(src|href)=['\"]?(https?:)?//", index)
    # no district's name, ID or pseudonym: a district may be sent this page
    delivery = demo_project.private / "delivery_2025-26.csv"
    rows = list(csv.DictReader(delivery.open()))
    assert len(rows) == 9 and delivery.stat().st_mode & 0o077 == 0
    for row in rows:
        assert row["district_id"] not in index and row["pseudonym"] not in index
        assert html.escape(row["district_name"]) not in index and row["district_name"] not in index
