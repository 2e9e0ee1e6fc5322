"""The attack: acting as each district in turn, try to learn other districts' figures from every artifact it
could receive (its own report and tables, the board summary and its tables, the index). It must find nothing
in the real output and find each rule when that rule is broken on purpose."""

from __future__ import annotations

import io
import re

import duckdb
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import notebook_page

from benchmarks.cli import main
from benchmarks.config import INDEX_PAGE, Paths, owner_of
from benchmarks.formats import figure_text
from benchmarks.pipeline.ingest import ingest_files
from benchmarks.privacy.audit import (
    Audit,
    Truth,
    audit_artifacts,
    audit_files,
    read_file,
    read_html,
    read_table,
    read_xlsx,
    received_files,
    summary,
)
from benchmarks.privacy.keys import DEMO_KEY
from benchmarks.privacy.rules import Rules
from benchmarks.registry.groups import SIZE_BANDS, STORED_GROUPS
from benchmarks.registry.metrics import METRIC_BY_NAME, METRICS
from benchmarks.reports.html import tagged

# The page builders (benchmarks.reports) are imported in the tests that build pages, so that the checks of
# hand-written pages below need only the audit and the warehouse.


YEAR = "2025-26"


def district_page(rep) -> str:
    from benchmarks.reports import district

    return notebook_page("district_report.ipynb", "load_district_report", district, rep=rep)


def board_page(summary_) -> str:
    from benchmarks.reports import board

    return notebook_page("board_summary.ipynb", "load_board_summary", board, summary=summary_)


@pytest.fixture
def no_png(monkeypatch):
    """Charts as their alt text only: the attack reads alt text, and drawing 2,580 PNGs takes minutes."""
    import html

    from benchmarks.reports.district import sections

    monkeypatch.setattr(sections, "peer_band_figure", lambda *a, **k: None)
    monkeypatch.setattr(sections, "figure_html",
                        lambda fig, alt, caption="": f"<figure><img alt=\"{html.escape(alt)}\"></figure>")


def own_artifacts(paths, pseudonyms, xlsx: bool = False) -> dict[str, list]:
    """Each district's own report page (built by the notebook's cells) and its own table, read as files."""
    from benchmarks.reports.district import iter_district_reports
    from benchmarks.reports.export import csv_bytes, district_table, xlsx_bytes

    out = {}
    for rep in iter_district_reports(paths.warehouse, YEAR, list(pseudonyms)):
        table = district_table(rep)
        arts = [read_html(f"district_{rep.pseudonym}.html", district_page(rep), rep.pseudonym),
                read_table(f"district_{rep.pseudonym}.csv",
                           pd.read_csv(io.BytesIO(csv_bytes(table)), dtype=str, keep_default_na=False), rep.pseudonym)]
        if xlsx:
            path = paths.root / f"district_{rep.pseudonym}.xlsx"
            path.write_bytes(xlsx_bytes(table))
            arts.append(read_xlsx(path, rep.pseudonym))
        out[rep.pseudonym] = arts
    return out


def districts_of(paths, sizes=(1, 2, 3, 4, 5, 6, 9)) -> list[str]:
    """Districts of the demo county and of one county of each small size."""
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    dm = con.execute("SELECT pseudonym, county FROM district_metrics WHERE school_year = ?", [YEAR]).df()
    con.close()
    size = dm.groupby("county")["pseudonym"].transform("size")
    counties = {dm.loc[size == s, "county"].min() for s in sizes if (size == s).any()} | {"Kestrel County"}
    return dm.loc[dm["county"].isin(counties), "pseudonym"].tolist()


def fresh(project, min_peers=5):
    ingest_files(sorted(project.demo.glob("submissions_*.csv")), project, DEMO_KEY, min_peers=min_peers)
    return project


def rules_found(findings) -> set[str]:
    return {f.rule for f in findings}


# --- the real output ------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_the_real_files_reveal_nothing(county_pages, demo_project, initiative_page):
    """The demo county rendered by papermill, the board summary, the index and every export, as real files, with
    a custom report and an initiative check one district asked for: every file a district could be sent."""
    from benchmarks.render.on_request import render_district
    from benchmarks.reports.export import export_tables

    export_tables(demo_project, YEAR, county="Kestrel County", progress=False)
    folder = demo_project.reports / YEAR
    con = duckdb.connect(str(demo_project.warehouse), read_only=True)
    dm = con.execute("SELECT pseudonym, county FROM district_metrics WHERE school_year = ?", [YEAR]).df()
    con.close()
    me = min(dm.loc[dm["county"] == "Kestrel County", "pseudonym"])
    elsewhere = sorted(dm.loc[dm["county"] == min(set(dm["county"]) - {"Kestrel County"}), "pseudonym"])
    render_district(demo_project, me, custom_peers=elsewhere[:6])
    assert initiative_page.name == f"initiative_{me}.html"  # the session's, asked for by the same district
    assert len(list(folder.glob("district_*.html"))) == 10 and len(list(folder.glob("district_*.xlsx"))) == 9
    assert (folder / f"initiative_{me}.html").exists()
    # every file is read, its charts decoded (and found as precise as the text)
    assert all(read_file(p, o).charts for p, o in received_files(folder) if p.name.startswith("district_")
               and p.suffix == ".html")
    # `benchmarks audit` is audit_files(demo_project, YEAR) and prints its summary: the attack runs once
    result = CliRunner().invoke(main, ["--root", str(demo_project.root), "audit", "--year", YEAR])
    assert result.exit_code == 0 and "No findings" in result.output, result.output


@pytest.mark.slow
def test_the_whole_state_reveals_nothing(county_pages, demo_project, no_png):
    """A quarter of the state's counties, every small size among them, each district as reader, with its own
    page built by the notebook's cells and its own table, plus the real board summary, board tables and index
    every district may receive (all 860 took most of the suite's time; the counties are chosen by name)."""
    truth = Truth.load(demo_project)
    year = truth.year(YEAR)
    counties = sorted(year["county"].unique())
    chosen = set(counties[::4]) | set(year.loc[year.index.isin(districts_of(demo_project)), "county"])
    readers = year.index[year["county"].isin(chosen)]
    own = own_artifacts(demo_project, readers)
    assert len(own) == len(readers) > 200
    folder = demo_project.reports / YEAR
    # what every district may receive (a district's own files, e.g. an initiative check another test asked
    # for, are not shared)
    shared = [read_file(p) for p in sorted(folder.iterdir()) if p.is_file() and owner_of(p.stem) is None
              and p.suffix in (".html", ".csv", ".xlsx")]
    assert {p.name for p in shared} >= {"index.html", f"board_summary_{YEAR}.html", f"board_summary_{YEAR}.csv",
                                        f"board_summary_{YEAR}.xlsx"}
    # the audit reads what it must: every report declares each metric's figure for every peer group (and the
    # purchasing medians), and the counts
    figures = own[next(iter(own))][0].figures
    assert sum(f["group"] in STORED_GROUPS and f["stat"] != "count" for f in figures) >= 12 * len(STORED_GROUPS)
    assert sum(f["stat"] == "count" for f in figures) >= len(STORED_GROUPS)
    findings = audit_artifacts(truth, YEAR, own, shared)
    assert findings == [], summary(findings)


# --- every rule broken on purpose is found ------------------------------------------------------------------

def test_lowering_min_peers_is_caught(project, monkeypatch, no_png):
    import benchmarks.privacy.rules as rules_module

    monkeypatch.setattr(rules_module, "FLOOR_MIN_PEERS", 1)
    p = fresh(project, min_peers=1)
    own = own_artifacts(p, districts_of(p))
    findings = audit_artifacts(Truth.load(p, Rules()), YEAR, own, [])
    assert "statistic of a group with fewer than 5 others" in rules_found(findings)
    hits = [f for f in findings if "fewer than 5" in f.rule]
    assert any("(n=1)" in f.detail for f in hits) and any("(n=4)" in f.detail for f in hits)


def test_exact_medians_of_small_groups_are_caught(project, monkeypatch, no_png):
    """Without smoothing and the guard, a county of six shows each reader the middle neighbour's own figure."""
    from benchmarks.stats.loo import Others

    monkeypatch.setattr(Others, "smoothed", lambda self, q: self.at(q * (self.n - 1)))
    monkeypatch.setattr(Others, "count_equal", lambda self, shown, query, own: np.zeros(len(query)))
    p = fresh(project)
    findings = audit_artifacts(Truth.load(p), YEAR, own_artifacts(p, districts_of(p, sizes=(6,))), [])
    hits = [f for f in findings if f.rule == "a small group's statistic equals one neighbour's figure"]
    assert len(hits) > 20 and any(f.artifact.endswith(".csv") for f in hits)


def test_medians_dragged_by_one_neighbour_are_caught(demo_project, project, monkeypatch, no_png):
    """With the old smoothing (a whole rank either side) and no truthfulness guard, small counties show medians
    far from their districts' plain median; the audit finds them, and the real rules leave none."""
    from benchmarks.privacy import disclosure
    from benchmarks.stats.loo import Others

    rule = "figure more than 5% from the plain median"
    readers = districts_of(demo_project, sizes=(6, 7, 8, 9))  # the demo state under the real rules
    assert rule not in rules_found(audit_artifacts(Truth.load(demo_project), YEAR, own_artifacts(demo_project,
                                                                                                  readers), []))
    monkeypatch.setattr(Others, "smoothed", lambda self, q: (self.at(q * (self.n - 1) - 1) + self.at(q * (self.n - 1))
                                                             + self.at(q * (self.n - 1) + 1)) / 3)
    monkeypatch.setattr(disclosure, "truthful", lambda m, shown, plain, rules: np.ones(np.shape(shown), bool))
    p = fresh(project)
    findings = audit_artifacts(Truth.load(p), YEAR, own_artifacts(p, readers), [])
    assert len([f for f in findings if f.rule == rule]) > 5


def test_a_page_builder_leaking_a_neighbours_figure_is_caught(demo_project, monkeypatch, no_png):
    """A builder that adds the county's lowest figure: in the text, or unrounded in a data attribute."""
    from benchmarks.reports import district as report_module

    p = demo_project  # the warehouse as ingested; only the page builder is broken
    con = duckdb.connect(str(p.warehouse), read_only=True)
    dm = con.execute("SELECT * FROM district_metrics WHERE school_year = ?", [YEAR]).df()
    con.close()
    real = report_module.scorecard_html

    def leaky(rep):
        others = dm[(dm["county"] == rep.county) & (dm["pseudonym"] != rep.pseudonym)]
        m = METRIC_BY_NAME["devices_per_student"]
        low = others[m.name].min()
        text = figure_text(m, low)
        return real(rep) + f"<p>Lowest in your county: {text}</p><div data-x='{text.split()[0]}'></div>"

    monkeypatch.setattr(report_module, "scorecard_html", leaky)
    findings = audit_artifacts(Truth.load(p), YEAR, own_artifacts(p, districts_of(p, sizes=(9,))), [])
    hits = [f for f in findings if f.rule == "another district's figure appears in the text"]
    # every reader of the county learns a neighbour's figure; the audit cannot tell it apart only where the
    # reader's own page rightly shows the same text (its own figure of an earlier year, "over the years")
    con = duckdb.connect(str(p.warehouse), read_only=True)
    history = con.execute("SELECT pseudonym, devices_per_student FROM district_metrics WHERE school_year < ?",
                          [YEAR]).df()
    con.close()
    m = METRIC_BY_NAME["devices_per_student"]
    county = dm[dm["county"] == "Kestrel County"]
    masked = {r for r in county["pseudonym"]
              if figure_text(m, county.loc[county["pseudonym"] != r, m.name].min())
              in {figure_text(m, v) for v in history.loc[history["pseudonym"] == r, m.name]}}
    assert len(masked) <= 2
    assert {f.reader for f in hits} == set(county["pseudonym"]) - masked

    # the unrounded figure hidden in a data attribute, as a careless builder would write it, is found too
    def hidden(rep):
        others = dm[(dm["county"] == rep.county) & (dm["pseudonym"] != rep.pseudonym)]
        return real(rep) + f"<div data-value='{others['devices_per_student'].min()!r}'></div>"

    monkeypatch.setattr(report_module, "scorecard_html", hidden)
    findings = audit_artifacts(Truth.load(p), YEAR, own_artifacts(p, districts_of(p, sizes=(9,))), [])
    assert len({f.reader for f in findings if f.rule == "another district's figure appears in the text"}) == 9


def test_totals_that_give_a_neighbour_away_are_caught(demo_project, monkeypatch):
    """A board summary adding enrollment by county: small counties' totals give a neighbour away (total minus
    own); and leaving out one two-district county does not help, as the state total minus all the others
    is that county's total (no complementary suppression)."""
    from benchmarks.reports import board as board_module

    p = demo_project  # the warehouse as ingested; only the board summary's builder is broken
    real = board_module.overview_html

    def by_county(s, keep):
        year = s.metrics[s.metrics["school_year"] == s.school_year]
        return real(s) + "<p>" + "".join(
            tagged(f"{g['enrollment'].sum():,.0f}", "enrollment", "county", "total", tag="span",
                                     members="all", county=c, year=s.school_year, state=s.state)
            for c, g in year.groupby("county") if keep(c, len(g))) + "</p>"

    board = board_module.load_board_summary(p.warehouse, YEAR)  # the figures; each attack builds its own page

    def attack(keep):
        monkeypatch.setattr(board_module, "overview_html", lambda s: by_county(s, keep))
        page = board_page(board)
        return Audit(truth, YEAR).run({}, [read_html("board.html", page, kind="board")])

    monkeypatch.setattr(board_module, "state_trend_html", lambda s: "")
    monkeypatch.setattr(board_module, "participation_html", lambda s: "")
    truth = Truth.load(p)
    found = rules_found(attack(lambda county, size: size < 5))
    assert "total over fewer than 5 districts" in found
    assert "total x n minus own figure isolates fewer than 5 districts" in found
    small = min(c for c, n in truth.year(YEAR).groupby("county").size().items() if n == 2)
    findings = attack(lambda county, size: size >= 5)
    assert not [f for f in findings if "nested" in f.rule]  # the big counties' totals leave >= 5 districts out
    findings = attack(lambda county, size: county != small)
    nested = [f for f in findings if "nested" in f.rule]
    # every district can work out the two districts' total; each of the two then has the other's figure
    assert {f.reader for f in nested} >= set(truth.group("county", YEAR, county=small).index) | {""}
    # and the real board summary, with its one state total, passes
    monkeypatch.setattr(board_module, "overview_html", real)
    shared = [read_html("board.html", board_page(board), kind="board")]
    assert Audit(truth, YEAR).run({}, shared) == []


def test_a_board_change_is_checked_against_its_group_in_both_years(demo_project):
    """A change since last year is the difference of two shown medians: over the whole state it passes; over a
    county of fewer than min_peers districts, or from a year the group had too few, it is flagged. The board's
    districts-by-size counts follow the county breakdown's rule."""
    truth = Truth.load(demo_project)
    small = min(c for c, n in truth.year(YEAR).groupby("county").size().items() if n < 5)

    def found(*cells):
        page = read_html("board.html", "<table><tr>" + "".join(cells) + "</tr></table>", kind="board")
        return rules_found(Audit(truth, YEAR).run({}, [page]))

    def change(group, since="2024-25", **where):
        return tagged("+0.03 devices", "devices_per_student", group, "change", members="all", year=YEAR,
                      since=since, **where)

    assert found(change("state", state="PS"), change("state", state="PS", goal="1")) == set()
    small_group = {"statistic of a group with fewer than 5 others"}
    assert found(change("county", county=small)) == small_group
    assert found(change("state", since="2019-20", state="PS")) == small_group  # nobody submitted that year
    band = truth.year(YEAR)["size_band"].mode()[0]
    count = (truth.year(YEAR)["size_band"] == band).sum()
    by_size = {"members": "all", "year": YEAR, "state": "PS"}
    assert found(tagged(str(count), "districts", "size_band", "count", size_band=band, **by_size)) == set()
    assert found(tagged("3", "districts", "size_band", "count", size_band="over 1,000,000 students", **by_size)) == {
        "size band breakdown below 5 districts"}


def test_an_index_naming_districts_is_caught(demo_project):
    """The index as it was first written (names as link text, pseudonyms in file names) fails the attack."""
    con = duckdb.connect(str(demo_project.crosswalk), read_only=True)
    rows = con.execute("SELECT pseudonym, district_name FROM crosswalk LIMIT 5").fetchall()
    con.close()
    links = "".join(f"<li><a href='district_{p}.html'>{n}</a></li>" for p, n in rows)
    index = read_html("index.html", f"<html><body><h1>Reports</h1><ul>{links}</ul></body></html>", kind="index")
    findings = Audit(Truth.load(demo_project), YEAR).run({}, [index])
    assert {"a district's name in an artifact that is not its own",
            "a district's pseudonym in an artifact that is not its own"} <= rules_found(findings)
    # and a district's own report naming a neighbour
    own = read_html(f"district_{rows[0][0]}.html", f"<h1>{rows[0][1]}</h1><p>see also {rows[1][1]}</p>", rows[0][0])
    findings = Audit(Truth.load(demo_project), YEAR).run({rows[0][0]: [own]}, [])
    assert [f.detail for f in findings] == [rows[1][1]]


def test_unsafe_exports_are_caught(demo_project, tmp_path):
    """A table with a minimum column, one with more decimals than the pages show, an XLSX with unrounded
    numbers behind rounded formats, and a count that includes the reader."""
    from benchmarks.reports.district import iter_district_reports
    from benchmarks.reports.export import csv_bytes, district_table, xlsx_bytes

    rep = next(iter_district_reports(demo_project.warehouse, YEAR, districts_of(demo_project, sizes=(9,))[:1]))
    table = district_table(rep)
    truth = Truth.load(demo_project)

    def attack(frame, name="t.csv"):
        art = read_table(name, frame.fillna("").astype(str), rep.pseudonym)
        return rules_found(Audit(truth, YEAR).run({rep.pseudonym: [art]}, []))

    base = pd.read_csv(io.BytesIO(csv_bytes(table)), dtype=str, keep_default_na=False)
    assert attack(base) == set()
    with_min = base.assign(county_min=lambda d: d["median"])
    assert "a single district's figure (minimum, maximum, rank or value)" in attack(with_min)
    precise = base.copy()
    precise.loc[precise["median"] != "", "median"] += "7"
    assert "figure shown more precisely than the pages round" in attack(precise)
    counted = base.copy()
    counted["other_districts_reporting"] = (counted["other_districts_reporting"].astype(int) + 1).astype(str)
    assert "count is not the number of other districts with a figure" in attack(counted)

    from openpyxl import load_workbook

    path = tmp_path / "t.xlsx"
    path.write_bytes(xlsx_bytes(table))
    wb = load_workbook(path)
    ws = wb["Table"]
    col = [c.value for c in ws[1]].index("median") + 1
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, col).value is not None)
    ws.cell(row, col).value += 0.00123
    wb.save(path)
    art = read_xlsx(path, rep.pseudonym)
    assert "figure stored more precisely than shown" in rules_found(Audit(truth, YEAR).run({rep.pseudonym: [art]}, []))


# --- small counties behave as the rules say ---------------------------------------------------------------

def test_counties_of_one_to_nine_districts_follow_the_rules(demo_project):
    from benchmarks.reports import district as report_module
    from benchmarks.reports.export import district_table

    con = duckdb.connect(str(demo_project.warehouse), read_only=True)
    dm = con.execute("SELECT pseudonym, county FROM district_metrics WHERE school_year = ?", [YEAR]).df()
    con.close()
    size = dm.groupby("county")["pseudonym"].transform("size")
    seen = set()
    for s in (1, 2, 3, 4, 5, 6, 9, 12):
        if not (size == s).any():
            continue
        seen.add(s)
        county = dm.loc[size == s, "county"].min()
        members = dm.loc[dm["county"] == county, "pseudonym"].tolist()
        for rep in report_module.iter_district_reports(demo_project.warehouse, YEAR, members):
            card = report_module.scorecard(rep).set_index("metric")
            page = report_module.scorecard_html(rep)
            table = district_table(rep).frame.set_index(["metric", "group"])
            for m in METRICS:
                n = card.at[m.name, "county_n"]
                assert n == s - 1  # others only: the reader is never counted
                stat = card.at[m.name, "county_stat"]
                shown = table.loc[(m.name, "county"), "shown"]
                if s - 1 < 5:
                    assert stat == "none" and card.at[m.name, "county_text"] == "fewer than 5 others"
                    assert card.at[m.name, "fell_back"] and card.at[m.name, "reference"] in ("size_band", "state")
                    assert shown.startswith("not shown") and np.isnan(table.loc[(m.name, "county"), "median"])
                elif s - 1 < 10:
                    assert stat in ("median", "band") and not card.at[m.name, "fell_back"]
                    assert np.isnan(table.loc[(m.name, "county"), "p25"])  # no quartiles of a small group
                else:
                    assert stat in ("median", "band")
                    assert shown in ("quartiles", "range instead of a figure")
            if s - 1 < 5:
                assert "fewer than 5 other districts of your county reported" in page
                # every row underlines the wider group it is against
                against = re.findall(r"class='num glance ref'><span data-metric='[a-z0-9_]+' data-group='(\w+)'", page)
                assert len(against) == len(METRICS) and set(against) <= {"size_band", "state"}
    assert {1, 2, 3, 4, 5, 9} <= seen


# --- the index counts district reports by county ------------------------------------------------------------

def index_page(named: dict[str, int], pooled: tuple[int, int] | None = None,
               untagged: dict[str, str] | None = None, **where) -> str:
    """An index page's district-report section as the index writes it: each named county's count tagged as a
    count of the whole county, the small counties pooled in one tagged row; untagged: rows whose count is
    plain text (a header -> cells)."""
    def count(n, group, **county):
        return tagged(str(n), "districts", group, "count", members="all", year=YEAR, **county, **where)

    rows = [f"<tr><th scope='row'>{c}</th>{count(n, 'county', county=c)}</tr>" for c, n in named.items()]
    rows += [f"<tr><th scope='row'>{c}</th>{cells}</tr>" for c, cells in (untagged or {}).items()]
    if pooled:
        rows.append(f"<tr><th scope='row'>{pooled[0]} counties with fewer than 5 reports</th>"
                    f"{count(pooled[1], 'pooled')}</tr>")
    return (f"<html><body><h1>Reports for {YEAR}</h1><h2>District reports</h2><table><thead><tr>"
            f"<th scope='col'>County</th><th scope='col'>Reports</th></tr></thead><tbody>{''.join(rows)}</tbody>"
            "</table></body></html>")


def county_sizes(truth: Truth) -> pd.Series:
    return truth.year(YEAR).groupby("county").size()


def test_an_index_naming_a_small_county_is_caught(demo_project):
    """The index names a county with its report count only for counties of at least min_peers districts: a
    county of 1 to 4 named with its count is a finding, a county of 5 is not, and the small ones pooled in one
    row pass."""
    truth = Truth.load(demo_project)
    sizes = county_sizes(truth)
    small = {sizes[sizes == n].index.min(): n for n in range(1, truth.rules.min_peers)}
    assert sorted(small.values()) == [1, 2, 3, 4]  # the demo state has a county of each small size
    big = {c: int(n) for c, n in sizes[sizes >= truth.rules.min_peers].nsmallest(3).items()}
    assert min(big.values()) == truth.rules.min_peers

    def audit(page: str):
        return audit_artifacts(truth, YEAR, {}, [read_html(INDEX_PAGE, page, kind="index")])

    findings = audit(index_page(big | small))
    assert {(f.reader, f.artifact, f.rule) for f in findings} == {("", INDEX_PAGE, "county breakdown below 5 districts")}
    assert sorted(f.detail for f in findings) == sorted(f"{c}: {n}" for c, n in small.items())
    assert audit(index_page(big, pooled=(len(small), sum(small.values())))) == []


def test_an_untagged_count_in_the_index_is_caught(demo_project):
    """A county's report count written as plain text (in a cell, or as a row header of only a number) cannot
    be checked against the rules: it is a finding whatever the county's size."""
    truth = Truth.load(demo_project)
    sizes = county_sizes(truth)
    small = sizes[sizes < truth.rules.min_peers].index.min()
    big = sizes[sizes >= truth.rules.min_peers].index.min()

    def audit(page: str):
        return audit_artifacts(truth, YEAR, {}, [read_html(INDEX_PAGE, page, kind="index")])

    assert audit(index_page({big: int(sizes[big])})) == []
    for cells in (f"<td class='num'>{sizes[small]}</td>", f"<td>{sizes[small]} reports</td>",
                  f"<th>{sizes[small]}</th>", f"<td>{sizes[small]}"):  # the last one never closed
        findings = audit(index_page({big: int(sizes[big])}, untagged={small: cells}))
        assert [(f.rule, f.detail) for f in findings] == [("untagged figure in the index",
                                                           cells.split(">")[1].split("<")[0])], cells
    findings = audit(index_page({}, untagged={big: f"<td class='num'>{sizes[big]}</td>"}))
    assert rules_found(findings) == {"untagged figure in the index"}


def hand_made_truth() -> Truth:
    """Eleven districts of one school year: a Lake County of six in PS and one of two in QS (counties are
    unique by state and name), and a Pine County of three in PS."""
    places = [("PS", "Lake County")] * 6 + [("QS", "Lake County")] * 2 + [("PS", "Pine County")] * 3
    dm = pd.DataFrame([{"school_year": YEAR, "pseudonym": f"D{i:015x}", "state": state, "county": county,
                        "locale": "Rural", "size_band": SIZE_BANDS[1][1], "enrollment": 800 + 10 * i}
                       | {m.name: 1.0 + 0.01 * i for m in METRICS}
                       for i, (state, county) in enumerate(places)])
    names = pd.DataFrame({"pseudonym": dm["pseudonym"], "district_id": [f"99{i:05d}" for i in range(len(dm))],
                          "district_name": [f"District {i}" for i in range(len(dm))]})
    return Truth(dm, names, Rules())


def test_index_counts_are_checked_against_the_county_of_that_name():
    """Without the warehouse: a county count is checked against the year's districts of that county (within
    its state when the tag names one), a count that names no county is a finding, a pooled row is not."""
    truth = hand_made_truth()

    def found(page: str) -> set[tuple[str, str]]:
        findings = audit_artifacts(truth, YEAR, {}, [read_html(INDEX_PAGE, page, kind="index")])
        return {(f.rule, f.detail) for f in findings}

    below = "county breakdown below 5 districts"
    assert found(index_page({"Lake County": 8})) == set()  # one state's index: the county by its name
    assert found(index_page({"Pine County": 3})) == {(below, "Pine County: 3")}
    assert found(index_page({"Lake County": 8}, pooled=(1, 3))) == set()
    assert found(index_page({"Lake County": 6}, state="PS")) == set()
    assert found(index_page({"Lake County": 2}, state="QS")) == {(below, "Lake County: 2")}
    assert found(index_page({"Lake County": 8}, state="RS")) == {(below, "Lake County: 8")}  # no such county
    nameless = tagged("3", "districts", "county", "count", members="all", year=YEAR)
    assert found(index_page({}, untagged={"Pine County": nameless})) == {
        ("county breakdown count names no county", "3")}
    assert found(index_page({"Lake County": 8}, untagged={"Pine County": "<td class='num'>3</td>"})) == {
        ("untagged figure in the index", "3")}


def test_audit_files_reads_the_index_and_each_districts_own_files(demo_project, tmp_path):
    """As `benchmarks audit` reads reports/<year>/: index.html as the index every district may receive (its
    small county and its untagged count found), a district's own page as that district's (its own name is
    no finding), and a file of a district the warehouse does not hold for the year."""
    truth = Truth.load(demo_project)
    sizes = county_sizes(truth)
    small = sizes[sizes < truth.rules.min_peers].index.min()
    big = sizes[sizes >= truth.rules.min_peers].index.min()
    p = Paths(tmp_path / "project")
    p.root.mkdir()
    p.data.symlink_to(demo_project.data)  # the demo warehouse and crosswalk, with reports of its own
    folder = p.reports / YEAR
    folder.mkdir(parents=True)
    (folder / INDEX_PAGE).write_text(index_page({small: int(sizes[small])},
                                                untagged={big: f"<td class='num'>{sizes[big]}</td>"}))
    reader = truth.group("county", YEAR, county=small).index[0]
    (folder / f"district_{reader}.html").write_text(f"<h1>{truth.name_of[reader]}</h1>")
    (folder / f"district_{reader}_custom.html").write_text(f"<h1>{truth.name_of[reader]}</h1>")
    stranger = "D" + "f" * 15
    assert stranger not in truth.pseudonyms
    (folder / f"initiative_{stranger}.html").write_text("<h1>Initiative check</h1>")
    assert read_file(folder / INDEX_PAGE).kind == "index"
    findings = audit_files(p, YEAR)
    assert {(f.artifact, f.rule, f.detail) for f in findings} == {
        (INDEX_PAGE, "county breakdown below 5 districts", f"{small}: {sizes[small]}"),
        (INDEX_PAGE, "untagged figure in the index", str(sizes[big])),
        (f"*_{stranger}.*", "file for a district not in the warehouse for this year", stranger)}


def few_in_one_locale(project, min_peers=5):
    """The demo state with three districts in the city and every other one rural: a locale of too few
    districts, and a locale that is the state but for those three."""
    city = sorted(pd.read_csv(next(project.demo.glob("submissions_*.csv")), dtype=str)["district_id"])[:3]
    files = []
    for f in sorted(project.demo.glob("submissions_*.csv")):
        raw = pd.read_csv(f, dtype=str, keep_default_na=False)
        raw["locale"] = np.where(raw["district_id"].isin(city), "City", "Rural")
        out = project.root / "relocated" / f.name
        out.parent.mkdir(exist_ok=True)
        raw.to_csv(out, index=False)
        files.append(out)
    ingest_files(files, project, DEMO_KEY, min_peers=min_peers)
    return project


def test_locale_medians_that_single_out_a_few_districts_are_caught(project, monkeypatch):
    """The board's medians by locale beside the state's: a locale of three districts, or one holding all but
    three of the state's, shows nothing under the rules; with the threshold lowered the audit finds both."""
    import benchmarks.privacy.rules as rules_module
    from benchmarks.reports.board import load_board_summary, locale_html

    def audited(p, rules=None):
        page = locale_html(load_board_summary(p.warehouse, YEAR, "PS"))
        return page, Audit(Truth.load(p, rules), YEAR).run({}, [read_html("board.html", page, kind="board")])

    p = few_in_one_locale(project)
    page, findings = audited(p)
    assert findings == [], summary(findings)
    assert "data-locale" not in page and page.count("<td class='num'>–</td>") == 2 * len(METRICS)
    monkeypatch.setattr(rules_module, "FLOOR_MIN_PEERS", 1)
    p = few_in_one_locale(p, min_peers=1)
    page, findings = audited(p, Rules())
    assert "data-locale='City'" in page and "data-locale='Rural'" in page
    small = [f for f in findings if f.rule == "statistic of a group with fewer than 5 others"]
    assert len(small) == len(METRICS) and all(" locale " in f.detail and "(n=3)" in f.detail for f in small)
    parted = [f for f in findings if f.rule == "a part of the state differs from the state by fewer than 5 districts"]
    assert parted and all(" Rural " in f.detail and "(the state has 3 more)" in f.detail for f in parted)
