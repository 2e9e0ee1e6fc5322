"""The road an association starts on: the real public Illinois file imported, without a single submission, and
network-only reports rendered through the public commands (shared/data/real/SOURCE.md; never copied here)."""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import REAL_DATA, csv_text, make_project, row

from benchmarks.cli import main
from benchmarks.privacy.keys import DEMO_KEY

ILLINOIS = REAL_DATA / "esh_districts_fy2015_IL.csv"
pytestmark = pytest.mark.skipif(not ILLINOIS.exists(),
                                reason=f"real ESH FY2015 Illinois file not present at {ILLINOIS} (shared/data/real)")
ENV = {"BENCHMARKS_KEY": DEMO_KEY.decode() if isinstance(DEMO_KEY, bytes) else DEMO_KEY}


def run(root, *args) -> str:
    result = CliRunner().invoke(main, ["--root", str(root), *map(str, args)], env=ENV)
    assert "Traceback" not in result.output and result.exit_code == 0, result.output
    return result.output


def text_of(page: str) -> str:
    """A page's words as a reader sees them (no markup, styles or charts)."""
    page = re.sub(r"<(svg|style|script).*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


@pytest.fixture(scope="module")
def kane(tmp_path_factory):
    """Kane County rendered for 2015-16 from the public file alone."""
    p = make_project(tmp_path_factory.mktemp("public"))
    said = run(p.root, "import-bandwidth", ILLINOIS)
    rendered = run(p.root, "render", "--year", "2015-16", "--county", "Kane County")  # the file writes KANE COUNTY
    raw = pd.read_csv(ILLINOIS, dtype=str, keep_default_na=False)
    return p, said, rendered, raw


def test_the_import_says_which_school_year_the_funding_year_pays_for(kane):
    _, said, _, raw = kane
    flagged = int((raw["exclude_from_analysis"] == "TRUE").sum())
    assert f"{len(raw)} rows read = {len(raw)} imported + 0 rejected (funding year 2015, school year 2015-16; " \
           f"{flagged} flagged" in said


def test_every_clean_kane_district_gets_a_network_only_report(kane):
    p, _, rendered, raw = kane
    clean = raw[(raw["county"] == "KANE COUNTY") & (raw["exclude_from_analysis"] == "FALSE")]
    pages = sorted((p.reports / "2015-16").glob("district_*.html"))
    assert len(pages) == len(clean) == 7 and "0 failed" in rendered
    for page in pages:
        words = text_of(page.read_text())
        assert "Internet bandwidth per student" in words and "Devices: not reported" in words
        assert "public data: EducationSuperHighway (Connect K-12) public data, E-rate funding year 2015" in words


def test_sd_u46_is_behind_its_county_size_band_state_and_the_fcc_goals(kane):
    p, _, _, raw = kane
    u46 = raw[raw["nces_cd"] == "1713710"].iloc[0]
    assert u46["name"] == "SD U-46" and u46["num_students"] == "39246"
    [page] = [f for f in (p.reports / "2015-16").glob("district_*.html") if "<title>SD U-46" in f.read_text()]
    words = text_of(page.read_text())
    assert "Kane County, IL" in words and "39,246 students" in words
    others = pd.to_numeric(raw.loc[(raw["county"] == "KANE COUNTY") & (raw["exclude_from_analysis"] == "FALSE")
                                   & (raw["nces_cd"] != "1713710"), "ia_bandwidth_per_student"])
    assert len(others) == 6 and (others > 53.51).sum() == 5  # five of its six clean neighbours have more
    said = re.search(r"Lower bandwidth per student than the median of districts in your county \((\d+) kbps\)", words)
    assert "54 kbps" in words and said
    assert abs(int(said.group(1)) - others.median()) <= 0.05 * others.median()  # the plain median: 145.3 kbps
    assert "Goal 100 kbps: 46 kbps short" in words
    # At a glance, every group: behind the county's median (six others: only a median, so "rough"), behind
    # most of its size band and of Illinois (below their middle half), and short of both FCC goals
    clean = raw[raw["exclude_from_analysis"] == "FALSE"].assign(
        kbps=lambda d: pd.to_numeric(d["ia_bandwidth_per_student"], errors="coerce"),
        students=lambda d: pd.to_numeric(d["num_students"], errors="coerce"))
    big = clean.loc[(clean["students"] >= 10_000) & (clean["nces_cd"] != "1713710"), "kbps"].dropna()
    state = clean.loc[clean["nces_cd"] != "1713710", "kbps"].dropna()
    assert len(big) == 16 and 53.51 < big.quantile(0.25) and 53.51 < state.quantile(0.25)
    assert "Measure You County rough: 6 others Size band State Goal" in words  # every county verdict is rough
    glance = re.search(r"Internet bandwidth per student 54 kbps (\d+) kbps ↘ Behind the median "
                       r"(\d+) kbps ! Behind most (\d+) kbps ! Behind most FCC 100 kbps: 46 kbps short; "
                       r"FCC 1 Mbps: 946 kbps short", words)
    assert glance, words[:3000]
    for shown, plain in zip(map(int, glance.groups()), (others.median(), big.median(), state.median())):
        assert abs(shown - plain) <= 0.05 * plain


def test_the_board_summary_shows_the_illinois_median_and_the_share_meeting_100_kbps(kane):
    p, _, _, raw = kane
    clean = raw[raw["exclude_from_analysis"] == "FALSE"]
    kbps = pd.to_numeric(clean["ia_bandwidth_per_student"], errors="coerce").dropna()
    assert kbps.median() == pytest.approx(168.4, abs=0.1)
    words = text_of((p.reports / "2015-16" / "board_summary_2015-16.html").read_text())
    assert f"Internet bandwidth per student {len(kbps)} " in words
    median = re.search(r"Internet bandwidth per student \d+ \d+ kbps (\d+) kbps", words)
    assert median and abs(int(median.group(1)) - kbps.median()) <= 2  # smoothed, within rounding
    assert f"Internet bandwidth per student: 100 kbps {round((kbps >= 100).mean() * 100)}%" in words


def test_a_submission_keeps_its_own_figures_and_fills_the_rest_from_public_data(tmp_path):
    """A district that submits for 2015-16 with its network figures blank: public data fills them, its own
    device figures stay, and it is one district, not two."""
    p = make_project(tmp_path / "project")
    run(p.root, "import-bandwidth", ILLINOIS)
    sub = tmp_path / "u46.csv"
    sub.write_text(csv_text([row(school_year="2015-16", district_id="1713710", district_name="School District U-46",
                                 state="IL", county="Kane County", locale="Suburb", enrollment="39246",
                                 bandwidth_mbps="", internet_monthly_cost_usd="", erate_discount="")]))
    run(p.root, "ingest", sub)
    import duckdb
    con = duckdb.connect(str(p.warehouse), read_only=True)
    rows = con.execute("SELECT county, network_source, bandwidth_kbps_per_student, devices_per_student "
                       "FROM district_metrics WHERE school_year = '2015-16' AND county ILIKE 'kane%'").df()
    assert len(rows) == 7 and set(rows["county"]) == {"Kane County"}
    own = rows[rows["devices_per_student"].notna()]
    assert len(own) == 1 and own.iloc[0]["network_source"] == "public"
    assert own.iloc[0]["bandwidth_kbps_per_student"] == pytest.approx(53.51, abs=0.01)


NATIONAL = REAL_DATA / "esh_districts_fy2015.csv"


@pytest.mark.skipif(not NATIONAL.exists(), reason=f"real ESH FY2015 national file not present at {NATIONAL}")
def test_the_national_file_gives_the_publishers_shares_beside_each_state(tmp_path):
    """EducationSuperHighway published that 76.4% of clean US districts met 100 kbps per student in FY2015 and
    9.9% met 1 Mbps; the board summary shows those shares beside its state's, and the national median."""
    from benchmarks.reports.board import load_board_summary
    from benchmarks.reports.board.sections import goals_html, state_table_html

    p = make_project(tmp_path / "project")
    run(p.root, "import-bandwidth", NATIONAL)
    raw = pd.read_csv(NATIONAL, encoding="cp1252", dtype=str, keep_default_na=False)
    kbps = pd.to_numeric(raw.loc[raw["exclude_from_analysis"] == "FALSE", "ia_bandwidth_per_student"],
                         errors="coerce").dropna()
    assert len(kbps) == 10_119
    assert round((kbps >= 100).mean() * 100, 1) == 76.4 and round((kbps >= 1000).mean() * 100, 1) == 9.9
    board = load_board_summary(p.warehouse, "2015-16", "IL")
    assert board.states == 51
    goals = text_of(goals_html(board))
    assert "All districts in the data, 2015-16" in goals
    assert re.search(r"Internet bandwidth per student: 100 kbps 72% 76%", goals)
    assert re.search(r"Internet bandwidth per student: 1 Mbps 4% 10%", goals)
    table = text_of(state_table_html(board))
    national = re.search(r"Internet bandwidth per student \d+ \d+ kbps 168 kbps \d+ kbps (\d+) kbps", table)
    assert national and abs(int(national.group(1)) - kbps.median()) <= 2
    # SD U-46's report: its county, its size band, Illinois, and every district in the data
    from benchmarks.privacy.crosswalk import find
    from benchmarks.reports.district import load_district_report
    from benchmarks.reports.district.sections import area_section_html

    u46, _ = find(p.crosswalk, "1713710")
    network = text_of(area_section_html(load_district_report(p.warehouse, u46, "2015-16"), "network"))
    assert f"Every district in the data, all states imported: internet bandwidth per student: median " \
           f"{national.group(1)} kbps" in network
    assert "76% meet 100 kbps; 10% meet 1 Mbps" in network

