"""A neighbour bisecting planned values through `benchmarks initiative` learns nothing beyond the page.

The attack of privacy issue 12: a district renders its initiative check again and again, every metric planned
at once, halving an interval each time, and watches where the page's words about a planned value change. When
those words came from a rank among the others' exact values, every change was a neighbour's figure; now the
words follow from the shown figures only, so every change sits at a figure the page already prints.

The guard switched off: code the command's worker process runs as it starts (a sitecustomize module on its
PYTHONPATH) puts back the old words, a rank among the county's exact values, and the same bisection then
recovers the neighbours' figures.

The pages between the first and the last are built here, by the notebook's own cells (conftest.notebook_page),
as the command's worker builds them; the last interval of every metric is then asked through the command itself
(with the guard-off code, when the guard is off): the command's page says what the bisection found on each side of it,
so the change the attack chased is the command's.
"""

from __future__ import annotations

import html
import os
import re
import textwrap

import duckdb
import numpy as np
import pytest
from click.testing import CliRunner
from conftest import notebook_page

from benchmarks.cli import main
from benchmarks.formats import display_value
from benchmarks.registry.metrics import METRIC_BY_NAME, METRICS
from benchmarks.reports import initiative
from benchmarks.reports.district import load_district_report
from benchmarks.reports.initiative import load_initiative_check, parse_plan

pytestmark = pytest.mark.slow
YEAR, COUNTY = "2025-26", "Kestrel County"
STEPS = 12  # narrows a quarter to four times the shown state median to its display precision

#: The rank words of the old initiative check, from the county's exact values: the guard switched off.
GUARD_OFF = '''
import os
import duckdb
from benchmarks.reports import initiative

_con = duckdb.connect(os.environ["ATTACK_WAREHOUSE"], read_only=True)
_dm = _con.execute("SELECT * FROM district_metrics WHERE school_year = ?", [os.environ["ATTACK_YEAR"]]).df()
_con.close()
_me = os.environ["ATTACK_DISTRICT"]
_others = _dm[(_dm.county == _dm.loc[_dm.pseudonym == _me, "county"].iloc[0]) & (_dm.pseudonym != _me)]

def _exact_rank(m, fig, kind, value):
    v = _others[m.name].dropna().to_numpy()
    below = ((v < value).sum() + 0.5 * (v == value).sum()) / len(v)
    word, share = ("higher", below) if below >= 0.5 else ("lower", 1 - below)
    tenths = int(round(share * 10))
    return "typical", f"{word} than {'nearly all' if tenths >= 10 else f'{tenths} in 10'}", ""

initiative.standing_of = _exact_rank
'''


@pytest.fixture(scope="module")
def victim_county(demo_project):
    con = duckdb.connect(str(demo_project.warehouse), read_only=True)
    dm = con.execute("SELECT * FROM district_metrics WHERE school_year = ? AND county = ?", [YEAR, COUNTY]).df()
    con.close()
    me = sorted(dm["pseudonym"])[0]
    return me, dm[dm["pseudonym"] != me]


def _statements(page: str) -> dict[str, str]:
    """What the page says about each planned value today: "<placement> of <group> (<figures>): <verdict>"."""
    out = {}
    for metric, item in re.findall(r"""<li data-metric=["']([a-z0-9_]+)["']>(.*?)</li>""", page, flags=re.S):
        found = re.search(r"Today that would be ([^:]*): ([^.]*)\.", html.unescape(re.sub("<[^>]+>", "", item)))
        out[metric] = found.group(0) if found else ""
    return out


def _args(plan: dict[str, float]) -> list[str]:
    """The plan as the attacker types it: --plan metric=value, every metric at once."""
    return [arg for name, value in plan.items() for arg in ("--plan", f"{name}={value!r}")]


def _ask_command(project, me: str):
    """Ask through `benchmarks initiative` (a worker process per page): what its page says."""
    runner = CliRunner()

    def ask(plan: dict[str, float]) -> dict[str, str]:
        args = ["--root", str(project.root), "initiative", "--district", me, "--target-year", "2027-28", *_args(plan)]
        result = runner.invoke(main, args)
        assert result.exit_code == 0, result.output
        return _statements((project.reports / YEAR / f"initiative_{me}.html").read_text())

    return ask


def _ask_here(project, me: str):
    """Ask as the command does, the page built in this process by the notebook's cells: what it says."""
    def ask(plan: dict[str, float]) -> dict[str, str]:
        parsed = parse_plan([arg for arg in _args(plan) if arg != "--plan"])  # as the command reads them
        check = load_initiative_check(str(project.warehouse), me, parsed, "2027-28", YEAR)
        return _statements(notebook_page("initiative_check.ipynb", "load_initiative_check", initiative, check=check))

    return ask


def _bisect(project, me: str, ask) -> tuple[dict[str, float], dict, dict, dict]:
    """Every metric planned at once on each page; returns, per metric, where its statement changes, and the last
    interval (plans lo and hi) with what the first page at lo said."""
    # the attacker starts from what it may see: a quarter and four times the state's median on its own report
    state = load_district_report(project.warehouse, me, YEAR).stats.query("group_kind == 'state'")
    centre = dict(zip(state["metric"], state["show_median"]))
    lo = {n: max(c / 4, METRIC_BY_NAME[n].valid_range[0]) for n, c in centre.items()}
    hi = {n: min(c * 4, METRIC_BY_NAME[n].valid_range[1]) for n, c in centre.items()}
    at_lo, at_hi = ask(lo), ask(hi)
    live = [n for n in lo if at_lo[n] != at_hi[n]]
    for _ in range(STEPS):
        mid = {n: (lo[n] + hi[n]) / 2 for n in lo}
        said = ask(mid)
        for n in live:
            if said[n] == at_lo[n]:
                lo[n] = mid[n]
            else:
                hi[n] = mid[n]
    return {n: (lo[n] + hi[n]) / 2 for n in live}, lo, hi, at_lo


def _command_confirms(project, me: str, boundaries, lo, hi, at_lo, here) -> None:
    """The command's own pages at both ends of the last interval: the same words as the pages built here, the
    first page's words at lo and others at hi for every bisected metric (so the change is inside the interval)."""
    command = _ask_command(project, me)
    said_lo, said_hi = command(lo), command(hi)
    assert said_lo == here(lo) and said_hi == here(hi)
    for n in boundaries:
        assert said_lo[n] == at_lo[n] and said_hi[n] != at_lo[n], n


def _near(m, x: float, figures) -> bool:
    """Within one display unit of any of the figures, as displayed."""
    step = 10.0 ** -METRIC_BY_NAME[m].decimals * (100 if METRIC_BY_NAME[m].unit == "%" else 1)
    return any(abs(display_value(METRIC_BY_NAME[m], x) - display_value(METRIC_BY_NAME[m], f)) <= step * 1.01
               for f in figures if np.isfinite(f))


def _learned(boundaries: dict[str, float], others, shown) -> dict[str, float]:
    """Boundaries that sit on a neighbour's exact figure and on no figure the page shows."""
    return {n: b for n, b in boundaries.items()
            if _near(n, b, others[n].dropna()) and not _near(n, b, shown[n])}


def _shown(project, me: str) -> dict[str, list[float]]:
    """Every peer figure the initiative page prints, per metric (middle half, median, band edges), and the
    edges of "about the median" the page states (5% of the shown median, at least one display unit)."""
    plan = {m.name: float(m.valid_range[0]) for m in METRICS}
    lines = load_initiative_check(project.warehouse, me, plan, "2027-28").lines.set_index("metric")
    out = {}
    for n in lines.index:
        m = METRIC_BY_NAME[n]
        scale = 100.0 if m.unit == "%" else 1.0
        median = display_value(m, lines.at[n, "median"])
        about = max(0.05 * abs(median), 10.0 ** -(m.decimals - (2 if m.unit == "%" else 0))) / scale
        out[n] = [lines.at[n, c] for c in ("p25", "median", "p75", "band_low", "band_high")]
        out[n] += [median / scale - about, median / scale + about]
    return out


def test_bisecting_planned_values_finds_only_the_shown_figures(demo_project, victim_county):
    me, others = victim_county
    here = _ask_here(demo_project, me)
    boundaries, lo, hi, at_lo = _bisect(demo_project, me, here)
    _command_confirms(demo_project, me, boundaries, lo, hi, at_lo, here)
    shown = _shown(demo_project, me)
    assert len(boundaries) >= 10  # the attacker did get a change to chase on nearly every metric ...
    for name, b in boundaries.items():  # ... and every change is at a figure the page prints
        assert _near(name, b, shown[name]), (name, b, shown[name])
    learned = _learned(boundaries, others, shown)
    print(f"\nguard on: {len(boundaries)} metrics bisected over {STEPS + 2} pages, {len(learned)} neighbour figures learned")
    assert learned == {}


def test_the_same_bisection_recovers_neighbours_figures_with_the_guard_off(demo_project, victim_county,
                                                                            tmp_path, monkeypatch):
    me, others = victim_county
    # the command's worker process runs the guard-off code as it starts (Python imports sitecustomize)
    (tmp_path / "sitecustomize.py").write_text(textwrap.dedent(GUARD_OFF))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("ATTACK_WAREHOUSE", str(demo_project.warehouse))
    monkeypatch.setenv("ATTACK_YEAR", YEAR)
    monkeypatch.setenv("ATTACK_DISTRICT", me)
    shown = _shown(demo_project, me)
    # the same words in this process: the guard-off code run here (undone after the test)
    monkeypatch.setattr(initiative, "standing_of", initiative.standing_of)
    exec(textwrap.dedent(GUARD_OFF), {})
    assert initiative.standing_of.__name__ == "_exact_rank"
    here = _ask_here(demo_project, me)
    boundaries, lo, hi, at_lo = _bisect(demo_project, me, here)
    _command_confirms(demo_project, me, boundaries, lo, hi, at_lo, here)  # a worker with the guard-off code
    learned = _learned(boundaries, others, shown)
    print(f"\nguard off: {len(boundaries)} metrics bisected over {STEPS + 2} pages, {len(learned)} neighbour figures "
          f"learned: {learned}")
    # each learned figure is a neighbour's exact value to display precision, for most of the 12 metrics
    assert len(learned) >= 8, learned
