"""The attack: acting as each district in turn, try to learn other districts' figures from every artifact it
could receive (its own report and tables, the board summary and its tables, the index). It must find nothing
in the real output and find each rule when that rule is broken on purpose."""

from __future__ import annotations

import io
import json

import duckdb
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import benchmarks.reports.board.sections as board_module
import benchmarks.privacy.disclosure as disclosure_module
import benchmarks.stats.peers as peers_module
import benchmarks.reports.district.sections as report_module
from benchmarks.privacy.audit.checks import Audit, Truth, audit_artifacts, audit_files, read_html, read_table, summary
from benchmarks.cli import main
from benchmarks.config import paths
from benchmarks.privacy.disclosure import Rules, figure_text, tagged
from benchmarks.reports.export import csv_bytes, district_table, export_tables, xlsx_bytes
from benchmarks.pipeline.ingest import ingest_files
from benchmarks.registry.metrics import METRIC_BY_NAME, METRICS
from benchmarks.stats.peers import STORED_GROUPS
from benchmarks.privacy.keys import DEMO_KEY
from benchmarks.reports.district.sections import iter_district_reports


YEAR = "2025-26"
REPO = paths()


def notebook_cells(name: str, loader: str) -> list[str]:
    """The page-building expressions of a report notebook: every code cell after the one that loads the data,
    so building a page here stays the same as the notebook's."""
    nb = json.loads((REPO.notebooks / name).read_text())
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"
            and "parameters" not in c["metadata"].get("tags", [])]
    return [c.strip() for c in code if c.strip().startswith("HTML(") and loader not in c]


def district_page(rep) -> str:
    ns = {"HTML": str, "report": report_module, "rep": rep}
    return "".join(eval(expr, ns) for expr in notebook_cells("district_report.ipynb", "load_district_report"))


def board_page(summary_) -> str:
    ns = {"HTML": str, "board": board_module, "summary": summary_}
    return "".join(eval(expr, ns) for expr in notebook_cells("board_summary.ipynb", "load_board_summary"))


@pytest.fixture
def no_png(monkeypatch):
    """Charts as their alt text only: the attack reads alt text, and drawing 2,580 PNGs takes minutes."""
    import html

    monkeypatch.setattr(report_module, "peer_band_figure", lambda *a, **k: None)
    monkeypatch.setattr(report_module, "figure_html",
                        lambda fig, alt, caption="": f"<figure><img alt=\"{html.escape(alt)}\"></figure>")


def own_artifacts(paths, pseudonyms, xlsx: bool = False) -> dict[str, list]:
    """Each district's own report page (built by the notebook's cells) and its own table, read as files."""
    out = {}
    for rep in iter_district_reports(paths.warehouse, YEAR, list(pseudonyms)):
        table = district_table(rep)
        arts = [read_html(f"district_{rep.pseudonym}.html", district_page(rep), rep.pseudonym),
                read_table(f"district_{rep.pseudonym}.csv",
                           pd.read_csv(io.BytesIO(csv_bytes(table)), dtype=str, keep_default_na=False), rep.pseudonym)]
        if xlsx:
            from benchmarks.privacy.audit.checks import read_xlsx

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
def test_the_real_files_reveal_nothing(county_pages, demo_project):
    """The demo county rendered by papermill, the board summary, the index and every export, as real files."""
    export_tables(demo_project, YEAR, county="Kestrel County", progress=False)
    folder = demo_project.reports / YEAR
    assert len(list(folder.glob("district_*.html"))) == 9 and len(list(folder.glob("district_*.xlsx"))) == 9
    findings = audit_files(demo_project, YEAR)
    assert findings == [], summary(findings)
    result = CliRunner().invoke(main, ["--root", str(demo_project.root), "audit", "--year", YEAR])
    assert result.exit_code == 0 and "No findings" in result.output


@pytest.mark.slow
def test_the_whole_state_reveals_nothing(county_pages, demo_project, no_png):
    """Every one of the 860 districts as reader, with its own page built by the notebook's cells and its own
    table, plus the real board summary, board tables and index every district may receive."""
    truth = Truth.load(demo_project)
    own = own_artifacts(demo_project, truth.year(YEAR).index)
    assert len(own) == 860
    folder = demo_project.reports / YEAR
    from benchmarks.privacy.audit.checks import read_file

    shared = [read_file(p) for p in sorted(folder.iterdir()) if p.is_file() and not p.name.startswith("district_")
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
    monkeypatch.setattr(disclosure_module, "FLOOR_MIN_PEERS", 1)
    monkeypatch.setattr(peers_module, "FLOOR_MIN_PEERS", 1)
    p = fresh(project, min_peers=1)
    own = own_artifacts(p, districts_of(p))
    findings = audit_artifacts(Truth.load(p, Rules()), YEAR, own, [])
    assert "statistic of a group with fewer than 5 others" in rules_found(findings)
    hits = [f for f in findings if "fewer than 5" in f.rule]
    assert any("(n=1)" in f.detail for f in hits) and any("(n=4)" in f.detail for f in hits)


def test_exact_medians_of_small_groups_are_caught(project, monkeypatch, no_png):
    """Without smoothing and the guard, a county of six shows each reader the middle neighbour's own figure."""
    monkeypatch.setattr(disclosure_module._Others, "smoothed", lambda self, q: self.at(q * (self.n - 1)))
    monkeypatch.setattr(disclosure_module._Others, "count_equal", lambda self, shown, query, own: np.zeros(len(query)))
    p = fresh(project)
    findings = audit_artifacts(Truth.load(p), YEAR, own_artifacts(p, districts_of(p, sizes=(6,))), [])
    hits = [f for f in findings if f.rule == "a small group's statistic equals one neighbour's figure"]
    assert len(hits) > 20 and any(f.artifact.endswith(".csv") for f in hits)


def test_a_page_builder_leaking_a_neighbours_figure_is_caught(project, monkeypatch, no_png):
    """A builder that adds the county's lowest figure: in the text, or unrounded in a data attribute."""
    p = fresh(project)
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


def test_totals_that_give_a_neighbour_away_are_caught(project, monkeypatch):
    """A board summary adding enrollment by county: small counties' totals give a neighbour away (total minus
    own); and leaving out one two-district county does not help, as the state total minus all the others
    is that county's total (no complementary suppression)."""
    p = fresh(project)
    real = board_module.overview_html

    def by_county(s, keep):
        year = s.metrics[s.metrics["school_year"] == s.school_year]
        return real(s) + "<p>" + "".join(
            disclosure_module.tagged(f"{g['enrollment'].sum():,.0f}", "enrollment", "county", "total", tag="span",
                                     members="all", county=c, year=s.school_year, state=s.state)
            for c, g in year.groupby("county") if keep(c, len(g))) + "</p>"

    def attack(keep):
        monkeypatch.setattr(board_module, "overview_html", lambda s: by_county(s, keep))
        page = board_page(board_module.load_board_summary(p.warehouse, YEAR))
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
    shared = [read_html("board.html", board_page(board_module.load_board_summary(p.warehouse, YEAR)), kind="board")]
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
    by_size = dict(members="all", year=YEAR, state="PS")
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

    from benchmarks.privacy.audit.checks import read_xlsx
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
        for rep in iter_district_reports(demo_project.warehouse, YEAR, members):
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
                assert page.count("\u00b7 vs ") == len(METRICS)  # every row names the wider group it is against
    assert {1, 2, 3, 4, 5, 9} <= seen
