"""The rendered pages in a real browser (Debian's Chromium driven by Playwright), opened from file://."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.pipeline.ingest import ingest_files
from benchmarks.privacy.keys import DEMO_KEY, pseudonym
from benchmarks.registry.metrics import FIELDS
from benchmarks.render.notebook import render_one

from conftest import SCREENSHOTS

pytestmark = pytest.mark.slow

HOSTILE_NAME = "<img src=x onerror=alert(1)> & Sons $x$"


def visit(browser, path: Path, screenshot: str | None = None) -> dict:
    """Open a page from disk and record what a reader's browser did: console errors, requests, dialogs, images."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    seen = {"errors": [], "requests": [], "dialogs": []}
    page.on("console", lambda m: m.type == "error" and seen["errors"].append(m.text))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
    page.goto(path.as_uri(), wait_until="load")
    seen["images"] = page.eval_on_selector_all(
        "img", "els => els.map(e => ({alt: e.getAttribute('alt'), w: e.naturalWidth, done: e.complete}))")
    seen["h1"] = page.inner_text("h1")
    seen["headings"] = page.eval_on_selector_all("h1, h2", "els => els.map(e => e.tagName)")
    seen["summary_bottom"] = page.evaluate(
        "() => { const t = document.querySelector('table.summary-table');"
        " return t ? t.getBoundingClientRect().bottom : null; }")
    if screenshot:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / screenshot), full_page=True)
        # the page as a greyscale print shows it, to look at the charts without colour
        page.add_style_tag(content="html { filter: grayscale(1); }")
        page.screenshot(path=str(SCREENSHOTS / screenshot.replace(".png", "_greyscale.png")), full_page=True)
    seen["pdf"] = page.pdf(format="Letter")
    page.close()
    return seen


def check_offline_and_accessible(seen: dict) -> None:
    assert seen["errors"] == []
    assert seen["dialogs"] == []
    assert all(u.startswith(("file:", "data:")) for u in seen["requests"]), seen["requests"]
    assert all(img["done"] and img["w"] > 0 for img in seen["images"])
    assert all(img["alt"] and img["alt"].strip() for img in seen["images"])
    assert seen["headings"][0] == "H1" and seen["headings"].count("H1") == 1
    assert seen["pdf"][:5] == b"%PDF-" and len(seen["pdf"]) > 10_000


def test_index_board_and_district_report_work_offline(browser, county_pages):
    index = visit(browser, county_pages.index, "index.png")
    check_offline_and_accessible(index)
    board_page = next(p for p in county_pages.pages if "board" in p.name)
    board = visit(browser, board_page, "board_summary.png")
    check_offline_and_accessible(board)
    assert len(board["images"]) == 1  # the state trend; participation is tables
    district_page = next(p for p in county_pages.pages if p.name.startswith("district_"))
    district = visit(browser, district_page, "district_report.png")
    check_offline_and_accessible(district)
    assert len(district["images"]) == 3  # devices, network, support
    # the summary (every metric, your value, the peers' median, a verdict) fits the first screen
    assert district["summary_bottom"] is not None and district["summary_bottom"] <= 900


@pytest.mark.parametrize("width, media", [(390, "screen"), (720, "print")])
def test_the_summary_is_whole_on_a_phone_and_on_paper(browser, county_pages, width, media):
    """On a phone the page never widens past the screen (wide tables scroll inside it); on paper, which cannot
    scroll, every column of At a glance lies on the page."""
    district_page = next(p for p in county_pages.pages if p.name.startswith("district_"))
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(district_page.as_uri(), wait_until="load")
    page.emulate_media(media=media)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    right = page.evaluate("() => document.querySelector('table.summary-table').getBoundingClientRect().right")
    scroll = page.evaluate("() => document.querySelector('.table-scroll').scrollWidth")
    if media == "print":
        assert right <= width and scroll <= width
    page.close()


def test_no_page_scrolls_sideways_on_a_phone(browser, county_pages):
    """Every page of a batch, the index too, at 390 px: a viewport tag, and the page no wider than the screen
    (a wide table scrolls inside its own box)."""
    kinds = set()
    for path in [county_pages.index, *county_pages.pages]:
        page = browser.new_page(viewport={"width": 390, "height": 900})
        page.goto(path.as_uri(), wait_until="load")
        assert page.evaluate("!!document.querySelector('meta[name=viewport]')"), path.name
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path.name
        kinds.add(path.name.split("_")[0])
        page.close()
    assert {"index.html", "board", "district", "data"} <= kinds


def test_hostile_district_name_renders_as_text(browser, project, tmp_path):
    header = ",".join(f.name for f in FIELDS)
    rows = [header]
    for i in range(6):
        name = HOSTILE_NAME if i == 0 else f"Plain District {i}"
        rows.append(f'2025-26,98000{i:02d},"{name}",PS,Test County,Rural,{1000 + 50 * i},50,1100,250,'
                    f"75000,1000,2000,0.8,50,20,600,18,1.2")
    src = tmp_path / "hostile.csv"
    src.write_text("\n".join(rows) + "\n", encoding="utf-8")
    ingest_files([src], project, DEMO_KEY)
    target = pseudonym(DEMO_KEY, "9800000")
    page = render_one("district", project, project.reports / "x", "hostile",
                      {"warehouse": str(project.warehouse), "school_year": "2025-26", "district": target},
                      f"{HOSTILE_NAME} — report")
    seen = visit(browser, page)
    assert seen["dialogs"] == []
    assert seen["h1"] == HOSTILE_NAME
    assert not [i for i in seen["images"] if i["w"] == 0]  # no broken <img src=x> injected


def test_index_works_from_a_zip_opened_offline(browser, county_pages, tmp_path):
    """The board receives the folder as a zip: unpacked anywhere, the index's links open their pages."""
    import zipfile

    folder = county_pages.index.parent
    archive = tmp_path / "reports.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in folder.iterdir():
            if f.name == "index.html" or f.name.startswith("board_summary"):
                z.write(f, f"reports/{f.name}")
    unpacked = tmp_path / "elsewhere"
    zipfile.ZipFile(archive).extractall(unpacked)
    page = browser.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto((unpacked / "reports" / "index.html").as_uri())
    headings = page.eval_on_selector_all("h2", "els => els.map(e => e.textContent)")
    assert headings[:2] == ["For the board", "For the analyst"]  # the board's pages first
    page.click("text=Board summary 2025-26")
    page.wait_for_load_state("load")
    assert page.url.startswith((unpacked / "reports").as_uri())
    assert page.inner_text("h1").startswith("Board summary")
    assert page.eval_on_selector_all("img", "els => els.every(e => e.complete && e.naturalWidth > 0)")
    assert all(u.startswith(("file:", "data:")) for u in requests), requests
    page.close()
