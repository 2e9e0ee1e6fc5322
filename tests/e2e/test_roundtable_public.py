"""Kane County's round-table page from the real public Illinois file alone (shared/data/real/SOURCE.md; never
copied here): its combined internet worked out again from the raw CSV, and devices said to be not reported."""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest
from conftest import REAL_DATA, make_project, notebook_page, run_cli

from benchmarks.privacy.audit import Truth, audit_artifacts, read_html
from benchmarks.reports import roundtable

ILLINOIS = REAL_DATA / "esh_districts_fy2015_IL.csv"
pytestmark = pytest.mark.skipif(not ILLINOIS.exists(),
                                reason=f"real ESH FY2015 Illinois file not present at {ILLINOIS} (shared/data/real)")
YEAR = "2015-16"


def words(page: str) -> str:
    page = re.sub(r"<(svg|style|script).*?</\1>", " ", page, flags=re.DOTALL)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))).replace(" )", ")").replace("( ", "(")


@pytest.fixture(scope="module")
def kane(tmp_path_factory):
    p = make_project(tmp_path_factory.mktemp("public"))
    code, out = run_cli(p.root, "import-bandwidth", ILLINOIS)
    assert code == 0, out
    rt = roundtable.load_roundtable(p.warehouse, YEAR, "Kane County")  # the file writes KANE COUNTY
    return p, rt, notebook_page("roundtable.ipynb", "load_roundtable", roundtable, rt=rt)


def test_kane_combined_internet_as_the_raw_file_adds_up(kane):
    _, rt, page = kane
    raw = pd.read_csv(ILLINOIS, dtype=str, keep_default_na=False)
    # the publisher's flag and the import's cleaning: clean rows with students; NA is not reported; the monthly
    # cost is cost per Mbps x bandwidth (warehouse.queries.public_rows)
    k = raw[(raw["county"] == "KANE COUNTY") & (raw["exclude_from_analysis"] == "FALSE")]
    k = k[pd.to_numeric(k["num_students"], errors="coerce") > 0]
    mbps = pd.to_numeric(k["total_ia_bw_mbps"].replace("NA", ""), errors="coerce")
    cost = pd.to_numeric(k["monthly_ia_cost_per_mbps"].replace("NA", ""), errors="coerce") * mbps
    both = mbps.notna() & cost.notna() & (mbps > 0)
    assert len(k) == len(rt.members) == 7 and both.sum() == 7
    total_mbps, total_cost = mbps[both].sum(), cost[both].sum()
    # the dominance rule: the two largest hold at most 85% of each total
    assert mbps[both].nlargest(2).sum() <= 0.85 * total_mbps and cost[both].nlargest(2).sum() <= 0.85 * total_cost
    text = words(page)
    assert (f"Their internet: {total_mbps:,.0f} Mbps for ${float(f'{total_cost:.3g}'):,.0f} a month "
            f"(${total_cost / total_mbps:.2f}/Mbps).") in text
    # the public file has no devices: the page says nobody reported them rather than hiding a reason
    assert f"No member reported its device purchases for {YEAR}, so there is nothing to add up." in text


def test_the_audit_acting_as_each_kane_member_finds_nothing(kane):
    p, rt, page = kane
    truth = Truth.load(p)
    own = {m: [read_html("roundtable_kane-county.html", page, owner=m)] for m in rt.members["pseudonym"]}
    assert audit_artifacts(truth, YEAR, own, []) == []
