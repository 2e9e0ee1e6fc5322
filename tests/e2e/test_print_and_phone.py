"""Every page kind as a board member meets it: on a phone (390 px), on a desktop (1280 px) and printed on Letter
paper (Debian's Chromium driven by Playwright). Screenshots of all three go to build/screenshots/."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import SCREENSHOTS

from benchmarks.files import write_atomic

pytestmark = pytest.mark.slow

# Letter paper less the stylesheet's @page margins (0.6in top, 0.7in bottom, 0.55in each side), in CSS px
PRINT_WIDTH, PRINT_HEIGHT = round((8.5 - 1.1) * 96), round((11 - 1.3) * 96)


@pytest.fixture(scope="module")
def every_kind(county_pages, initiative_page) -> dict[str, Path]:
    """One page of each kind: the index, the board summary, a district report, the data-quality page and an
    initiative check."""
    pick = {"index": county_pages.index, "initiative": initiative_page,
            "district": next(p for p in county_pages.pages if p.name.startswith("district_")),
            "board": next(p for p in county_pages.pages if p.name.startswith("board_summary")),
            "quality": next(p for p in county_pages.pages if p.name.startswith("data_quality"))}
    return pick


def print_layout(browser, path: Path):
    """A page opened at the printable size of a Letter sheet and laid out as it prints."""
    page = browser.new_page(viewport={"width": PRINT_WIDTH, "height": PRINT_HEIGHT})
    page.goto(path.as_uri(), wait_until="load")
    page.emulate_media(media="print")
    return page


@pytest.fixture(scope="module")
def printed(browser, every_kind, tmp_path_factory):
    """kind -> the page printed on Letter paper, once for all the tests that read it. The PDF is read from this
    worker's tmp folder and copied whole to build/screenshots/<kind>_print.pdf: two pytest-xdist workers may
    each print the same kind."""
    folder = tmp_path_factory.mktemp("printed")
    pdfs: dict[str, Path] = {}

    def pdf(kind: str) -> Path:
        if kind not in pdfs:
            page = print_layout(browser, every_kind[kind])
            data = page.pdf(format="Letter", prefer_css_page_size=True)
            page.close()
            pdfs[kind] = folder / f"{kind}_print.pdf"
            pdfs[kind].write_bytes(data)
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            write_atomic(SCREENSHOTS / pdfs[kind].name, data)
        return pdfs[kind]

    return pdf


KINDS = ["index", "board", "district", "quality", "initiative"]


@pytest.mark.parametrize("kind", KINDS)
def test_no_page_kind_scrolls_sideways_on_a_phone(browser, every_kind, kind):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in (390, 1280):
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(every_kind[kind].as_uri(), wait_until="load")
        assert page.evaluate("document.querySelector('meta[name=viewport]')?.content") == \
            "width=device-width, initial-scale=1.0"
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (kind, width)
        page.screenshot(path=str(SCREENSHOTS / f"{kind}_{width}px.png"), full_page=True)
        page.close()


@pytest.mark.parametrize("kind", KINDS)
def test_on_paper_charts_stay_whole_and_collapsed_sections_print_open(browser, every_kind, printed, kind):
    """In print layout every chart fits inside one page box and may not be broken, so Chromium moves it whole;
    every <details> lays its content out; each sheet carries the page's title and number."""
    page = print_layout(browser, every_kind[kind])
    charts = page.eval_on_selector_all("img", """els => els.map(e => {
        const box = e.getBoundingClientRect(), holder = e.closest('figure') || e;
        return {w: box.width, h: box.height, breaks: getComputedStyle(holder).breakInside}; })""")
    for chart in charts:
        assert 0 < chart["h"] <= PRINT_HEIGHT and chart["w"] <= PRINT_WIDTH, (kind, chart)
        assert chart["breaks"] == "avoid", (kind, chart)
    unprinted = page.eval_on_selector_all("details", """els => els.flatMap(d =>
        [...d.children].filter(c => c.tagName !== 'SUMMARY' && c.getClientRects().length === 0)
                       .map(c => d.querySelector('summary')?.textContent))""")
    assert unprinted == [], kind
    title = page.title()
    page.close()
    pdf = printed(kind)
    if shutil.which("pdftotext") and shutil.which("pdftoppm"):
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        sheets = text.split("\f")[:-1]
        assert sheets and all(f"Page {i} of {len(sheets)}" in s for i, s in enumerate(sheets, 1)), kind
        assert all(" ".join(title.split()[:3]) in s for s in sheets), (kind, title)
        subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(SCREENSHOTS / f"{kind}_print")], check=True)


@pytest.mark.parametrize("kind", ["board", "district", "quality", "initiative"])
def test_long_pages_lead_back_to_the_index_and_list_their_sections(browser, every_kind, kind):
    page = browser.new_page(viewport={"width": 390, "height": 900})
    page.goto(every_kind[kind].as_uri(), wait_until="load")
    headings = page.eval_on_selector_all("h2", "els => els.map(e => [e.id, e.textContent.split(': ')[0]])")
    listed = page.eval_on_selector_all("nav.contents ol a", "els => els.map(e => [e.hash.slice(1), e.textContent])")
    if len(headings) >= 4:
        assert listed == headings, kind  # every section, in the page's order
    # a metric's label leads to its definition on the same page
    targets = page.eval_on_selector_all("a.def-link", "els => els.map(e => !!document.getElementById(e.hash.slice(1)))")
    assert all(targets) and (len(targets) >= 10 if kind in ("board", "district") else True), kind
    page.click("a.back-to-index")
    page.wait_for_load_state("load")
    assert page.url.endswith("/index.html") and page.inner_text("h1").startswith("Reports for")
    page.close()


#: Below this share of a sheet's printable height, a page other than the last is "mostly blank".
MIN_FILL = 0.4


def sheet_fills(pdf: Path, dpi: int = 40) -> list[float]:
    """How far down its printable area (the @page margins left out, where the title and page number sit)
    each sheet of a PDF carries ink: the last non-white pixel row over the area's height (pdftoppm, grey)."""
    stem = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", str(pdf), str(stem) + "_fill"], check=True)
    out = []
    for f in sorted(pdf.parent.glob(stem.name + "_fill-*.pgm"), key=lambda f: int(f.stem.rsplit("-", 1)[1])):
        data = f.read_bytes()
        _, width, height, _ = data.split(maxsplit=4)[:4]
        w, h = int(width), int(height)
        pixels = np.frombuffer(data[-w * h:], np.uint8).reshape(h, w)
        top, bottom = round(0.6 * dpi), h - round(0.7 * dpi)
        inked = np.flatnonzero((pixels[top:bottom] < 200).any(axis=1))
        out.append(float(inked.max() + 1) / (bottom - top) if len(inked) else 0.0)
        f.unlink()
    return out


@pytest.mark.parametrize("kind", ["board", "district"])
def test_no_printed_page_is_mostly_blank(printed, kind):
    """Printed on Letter paper, every sheet but the last is filled at least 40% of the way down: no chart or
    long block that may not break is pushed to the next sheet after a short paragraph."""
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    fills = sheet_fills(printed(kind))
    assert len(fills) >= 2, (kind, fills)
    blank = [(i, round(f, 2)) for i, f in enumerate(fills[:-1], 1) if f < MIN_FILL]
    assert not blank, (kind, "sheets filled less than 40%", blank, [round(f, 2) for f in fills])


def test_the_breakdown_tables_keep_each_label_on_one_line_on_paper(browser, every_kind):
    """In print layout the first cell of each row of the board's size-band and locale tables is one line:
    the metric's label is not broken across lines."""
    page = print_layout(browser, every_kind["board"])
    lines = page.eval_on_selector_all("table.breakdown tbody th[scope=row]", """els => els.map(th => {
        const r = document.createRange(); r.selectNodeContents(th);
        const tops = new Set([...r.getClientRects()].map(b => Math.round(b.top)));
        return [th.textContent, tops.size, th.getBoundingClientRect().right <= innerWidth]; })""")
    page.close()
    assert len(lines) >= 2 * 12, lines
    assert [x for x in lines if x[1] != 1 or not x[2]] == []
