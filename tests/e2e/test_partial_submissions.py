"""Partial submissions through the commands: real districts do not know every figure every year. Blanks are
"not reported", never 0, and every page copes with a measure nobody in a county reported."""

from __future__ import annotations

import html
import re

import duckdb
import pandas as pd
from click.testing import CliRunner
from conftest import make_project

from benchmarks.cli import main
from benchmarks.privacy.keys import DEMO_KEY, pseudonym

ENV = {"BENCHMARKS_KEY": DEMO_KEY.decode() if isinstance(DEMO_KEY, bytes) else DEMO_KEY}
YEAR = "2025-26"
BLANKS = ["median_resolution_hours", "wifi6_access_points", "tech_staff_fte"]


def run(root, *args) -> str:
    result = CliRunner().invoke(main, ["--root", str(root), *map(str, args)], env=ENV)
    assert "Traceback" not in result.output and result.exit_code == 0, result.output
    return result.output


def test_three_blank_fields_validate_ingest_and_render_as_not_reported(tmp_path):
    p = make_project(tmp_path / "project")
    sent = pd.read_csv(p.demo / f"submissions_{YEAR}.csv", dtype=str, keep_default_na=False)
    kestrel = sent.index[sent["county"] == "Kestrel County"]
    sent.loc[kestrel[:3], BLANKS] = ""  # three districts leave three fields blank
    sent.loc[kestrel, "wifi6_access_points"] = ""  # nobody in the county counts Wi-Fi 6 access points
    partial = tmp_path / "partial.csv"
    sent.to_csv(partial, index=False)
    assert "0 quarantined" in run(p.root, "validate", partial)
    assert f"{len(sent)} rows read = {len(sent)} accepted + 0 quarantined" in run(p.root, "ingest", partial)

    con = duckdb.connect(str(p.warehouse), read_only=True)
    blank = [pseudonym(DEMO_KEY, d) for d in sent.loc[kestrel[:3], "district_id"]]
    stored = con.execute("SELECT pseudonym, tech_staff_fte, median_resolution_hours FROM submissions "
                         "WHERE list_contains(?, pseudonym)", [blank]).df()
    assert len(stored) == 3 and stored[["tech_staff_fte", "median_resolution_hours"]].isna().all().all()
    metrics = con.execute("SELECT staff_per_1000_devices, resolution_hours, wifi6_share FROM district_metrics "
                          "WHERE list_contains(?, pseudonym)", [blank]).df()
    assert metrics.isna().all().all()  # a blank never becomes 0
    con.close()

    rendered = run(p.root, "render", "--county", "Kestrel County")
    assert "0 failed" in rendered
    pages = {f.stem.removeprefix("district_"): f.read_text() for f in (p.reports / YEAR).glob("district_*.html")}
    assert len(pages) == len(kestrel)
    for d, page in pages.items():
        words = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<(svg|style).*?</\1>", " ", page, flags=re.S)))
        row = re.search(r"Median hours to resolve a ticket\s+(\S+)", words)
        if d in blank:
            assert "Not reported" in words and row and row.group(1) == "–"
        # the county's Wi-Fi 6 share: no district of it reported one, so the page falls back to a wider group
        assert "Access points on Wi-Fi 6 or newer" in words
    board = (p.reports / YEAR / f"board_summary_{YEAR}.html").read_text()
    assert "Traceback" not in board and "Wi-Fi 6" in board
