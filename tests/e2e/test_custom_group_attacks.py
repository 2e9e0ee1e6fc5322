"""The custom-group attacks through the public command (`benchmarks report --peers`), on a project built here.

Each attack is shown failing with its guard and succeeding with the guard switched off, so the test is known
to bite. The round-table project (conftest.round_table_project): the reader n=1, eleven neighbours in its
county (n=2..12), ten districts in the next county (n=20..29), n=40..43 submitted only the year before.

With the differencing guard off, the first of the six pages comes from the command's worker; the other five
are built in this process by the notebook's cells (the command still checks and records each list), once the
first page built that way is seen to show the worker's medians.
"""

from __future__ import annotations

import re

import duckdb
import pytest
from click.testing import CliRunner
from conftest import notebook_page, round_table_project

from benchmarks.cli import main
from benchmarks.config import custom_groups_path, district_stem, executed_folder, executed_record
from benchmarks.formats import display_value
from benchmarks.privacy import custom_groups
from benchmarks.privacy.audit.artifacts import read_html
from benchmarks.render import on_request
from benchmarks.registry.metrics import METRIC_BY_NAME

pytestmark = pytest.mark.slow
YEAR = "2025-26"
NEIGHBOURS = range(2, 8)  # the six neighbours the attacker leaves out one at a time


def _id(n: int) -> str:
    return f"99{n:05d}"


def _report(p, peers, reader: int = 1):
    """`benchmarks report` as the analyst runs it on a district's request: (exit code, output)."""
    args = ["--root", str(p.root), "report", "--district", _id(reader), "--year", YEAR]
    for peer in peers:
        args += ["--peers", peer]
    result = CliRunner().invoke(main, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def _page(p, pseudonym: str) -> str:
    return (p.reports / YEAR / f"{district_stem('district', pseudonym, custom=True)}.html").read_text()


def _custom_medians(page: str) -> dict[str, float]:
    """The custom group's medians the page shows, as numbers in display units (bands are not figures)."""
    out = {}
    for f in read_html("page", page).figures:
        if f.get("group") == "custom" and f.get("stat") == "median" and f.get("metric"):
            out[f["metric"]] = float(re.search(r"-?[\d,]*\.?\d+", f["text"]).group().replace(",", ""))
    return out


def _true_figures(p) -> dict[tuple[str, str], float]:
    con = duckdb.connect(str(p.warehouse), read_only=True)
    dm = con.execute("SELECT * FROM district_metrics WHERE school_year = ?", [YEAR]).df().set_index("pseudonym")
    con.close()
    return {(metric, d): display_value(METRIC_BY_NAME[metric], dm.at[d, metric])
            for metric in METRIC_BY_NAME for d in dm.index}


def _differenced(medians: dict[str, dict[str, float]]) -> dict[tuple[str, str], float]:
    """What differencing the shown medians of "the six neighbours but one" gives, worked out independently of
    the toolkit: with v1 <= ... <= v6 the neighbours' figures, the smoothed median of five w1..w5 is
    (w2 + 4 w3 + w4) / 6 (half a rank either side), so the six lists' medians, sorted, are A, A, B, C, D, D with
    6A = v3 + 4v4 + v5, 6B = v2 + 4v4 + v5, 6C = v2 + 4v3 + v5, 6D = v2 + 4v3 + v4. Solved: the district left out
    of the list with median B has v3 = A - 5B/4 + C/4 + D, the one left out of C's has v4 = A + B/4 - 5C/4 + D.
    medians: left-out pseudonym -> metric -> shown median; needs all six lists."""
    if len(medians) < 6:
        return {}
    out = {}
    for metric in set.intersection(*(set(m) for m in medians.values())):
        ranked = sorted(medians, key=lambda d: -medians[d][metric])
        a, b, c, d = ((medians[ranked[0]][metric] + medians[ranked[1]][metric]) / 2, medians[ranked[2]][metric],
                      medians[ranked[3]][metric], (medians[ranked[4]][metric] + medians[ranked[5]][metric]) / 2)
        m = METRIC_BY_NAME[metric]
        scale = 100.0 if m.unit == "%" else 1.0
        out[(metric, ranked[2])] = display_value(m, (a - 1.25 * b + 0.25 * c + d) / scale)
        out[(metric, ranked[3])] = display_value(m, (a + 0.25 * b - 1.25 * c + d) / scale)
    return out


def _page_here(p, pseudonym: str, group: int) -> str:
    """The custom report's page built in this process by the notebook's cells (conftest.notebook_page)."""
    from benchmarks.reports import district

    rep = district.load_district_report(str(p.warehouse), pseudonym, YEAR, custom_group=group)
    return notebook_page("district_report.ipynb", "load_district_report", district, rep=rep)


def _render_here(kind, paths, out_dir, stem, parameters, title):
    """on_request.render_on_request for a custom report, in this process: the command still finds the district and
    checks and records the list (admit); only the page is built here, from the group's number as the worker is."""
    from benchmarks.config import page
    from benchmarks.files import write_atomic
    from benchmarks.reports import district

    assert kind == "district" and parameters.get("custom_group"), parameters
    rep = district.load_district_report(parameters["warehouse"], parameters["district"], parameters["school_year"],
                                        min_peers=parameters["min_peers"], custom_group=parameters["custom_group"])
    target = page(out_dir, stem)
    write_atomic(target, notebook_page("district_report.ipynb", "load_district_report", district, rep=rep).encode())
    return target


def _six_lists_attack(p, ps, monkeypatch=None):
    """Render the six lists; returns the outputs and the recovered figures that are exact. With monkeypatch, the
    first page comes from the command's worker and the other five are built in this process, once the first
    one built here is seen to show the worker's medians."""
    outputs, medians = [], {}
    for left_out in NEIGHBOURS:
        if monkeypatch is not None and medians:
            [(first, shown)] = medians.items()
            assert shown and _custom_medians(_page_here(p, ps[1], 1)) == shown, first
            monkeypatch.setattr(on_request, "render_on_request", _render_here)
            monkeypatch = None
        code, output = _report(p, [_id(n) for n in NEIGHBOURS if n != left_out])
        outputs.append((code, output))
        if code == 0:
            medians[ps[left_out]] = _custom_medians(_page(p, ps[1]))
    truth = _true_figures(p)
    exact = {k: v for k, v in _differenced(medians).items() if v == truth[k]}
    return outputs, exact


def test_six_lists_each_leaving_out_one_neighbour(tmp_path):
    p, ps = round_table_project(tmp_path / "project")
    outputs, exact = _six_lists_attack(p, ps)
    assert outputs[0][0] == 0  # the first list cuts the county 5 / 6: allowed
    for code, output in outputs[1:]:
        assert code == 1
        lines = output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: the custom peer list is refused")
        assert "Traceback" not in output and not any(ps[n] in output or _id(n) in output for n in ps)
    assert exact == {}
    assert len(custom_groups.read_groups(custom_groups_path(p.warehouse, YEAR))) == 1


def test_six_lists_succeed_without_the_differencing_guard(tmp_path, monkeypatch):
    monkeypatch.setattr(custom_groups, "check_no_differencing", lambda *a, **k: None)
    p, ps = round_table_project(tmp_path / "project")
    outputs, exact = _six_lists_attack(p, ps, monkeypatch)  # five of the six pages built in this process
    assert [code for code, _ in outputs] == [0] * 6
    print(f"\nguard off: six lists recovered {len(exact)} exact neighbour figures")
    assert exact, "differencing the six medians recovers a neighbour's figure"
    assert {d for _, d in exact} <= {ps[n] for n in NEIGHBOURS}


BAD_LISTS = {
    "made-up IDs": [_id(90), _id(91), _id(92), _id(93)],
    "real districts that did not submit this year": [_id(40), _id(41), _id(42), _id(43)],
    "a mix, one a made-up pseudonym": [_id(90), _id(40), "D0123456789abcde", _id(41)],
}


def test_made_up_or_absent_districts_plus_one_neighbour_are_refused_alike(tmp_path):
    p, ps = round_table_project(tmp_path / "project")
    outputs = {what: _report(p, [*bad, _id(2)]) for what, bad in BAD_LISTS.items()}
    outputs["one bad among good"] = _report(p, [_id(n) for n in range(20, 25)] + [_id(42)])
    assert {code for code, _ in outputs.values()} == {1}
    assert {out for _, out in outputs.values()} == {f"Error: {custom_groups.not_participating(YEAR)}\n"}, outputs
    assert not custom_groups_path(p.warehouse, YEAR).exists()
    assert not (p.reports / YEAR).exists()


def test_made_up_districts_succeed_without_the_participants_guard(tmp_path, monkeypatch):
    # the differencing guard refuses such a list too (it singles out the one real neighbour): both off
    monkeypatch.setattr(custom_groups, "require_participants", lambda *a, **k: None)
    monkeypatch.setattr(custom_groups, "check_no_differencing", lambda *a, **k: None)
    p, ps = round_table_project(tmp_path / "project")
    code, output = _report(p, [*BAD_LISTS["real districts that did not submit this year"], _id(2)])
    assert code == 0, output
    counts = [f["text"] for f in read_html("page", _page(p, ps[1])).figures
              if f.get("group") == "custom" and f.get("stat") == "count"]
    # a "group of five" that is one district: the page tells the reader the four others did not take part
    assert counts and set(counts) == {"1"}


def test_the_executed_notebook_names_no_member(tmp_path):
    p, ps = round_table_project(tmp_path / "project")
    members = range(20, 25)  # half the next county: both halves and the county hold at least 5
    code, output = _report(p, [_id(n) for n in range(20, 24)] + [ps[24]])  # by ID and by pseudonym
    assert code == 0, output
    stem = district_stem("district", ps[1], custom=True)
    record = executed_record(executed_folder(p, p.reports / YEAR), stem)
    notebooks = {record, *(f for f in p.root.rglob("*.ipynb") if p.notebooks not in f.parents)}
    assert record.exists()
    for path in [*notebooks, *p.reports.rglob("*.html")]:
        text = path.read_text()
        for n in members:
            assert _id(n) not in text and ps[n] not in text, (path.name, n)
    text = record.read_text()
    assert '"custom_group": 1' in text and "a custom group of 5 districts" in text
    assert "a custom group of 5 districts" in _page(p, ps[1])
    # the members are in the analyst's owner-only record only
    assert custom_groups.members_of(custom_groups_path(p.warehouse, YEAR), ps[1], 1) == sorted(
        ps[n] for n in members)
