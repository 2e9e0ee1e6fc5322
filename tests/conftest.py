"""Shared fixtures: a project folder in tmp with the demo submissions ingested once per session."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from benchmarks.config import PACKAGE_NOTEBOOKS, Paths, paths
from benchmarks.pipeline.ingest import ingest_files
from benchmarks.privacy.keys import DEMO_KEY

if TYPE_CHECKING:
    import pandas as pd

REPO = paths()
REAL_DATA = REPO.root.parent / "shared" / "data" / "real"


_VOLATILE = re.compile(r"[Gg]enerated \d{4}-\d\d-\d\d \d\d:\d\d UTC|cell-id=[0-9a-f-]+")


def comparable(page: str) -> str:
    """A page without what differs between two renders of the same inputs: the generated-at stamp and the
    random id papermill gives its injected-parameters cell."""
    return _VOLATILE.sub("", page)


#: The environment a test's command runs in: the public demo key.
#: Debian's Chromium, which Playwright drives for the page tests (its own browser download does not work offline).
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: Where the page tests leave what they saw, to look at: screenshots at each width and printed PDF pages.
SCREENSHOTS = REPO.root / "build" / "screenshots"


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium for one test module, started with the flags this closed network needs."""
    api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        yield b
        b.close()


DEMO_ENV = {"BENCHMARKS_KEY": DEMO_KEY.decode() if isinstance(DEMO_KEY, bytes) else DEMO_KEY}


def run_cli(root: Path, *args, env: dict | None = None) -> tuple[int, str]:
    """A command as the analyst types it, in the project at root with the demo key (env adds to or replaces
    it): (exit status, everything it printed); never a traceback."""
    from click.testing import CliRunner

    from benchmarks.cli import main

    result = CliRunner().invoke(main, ["--root", str(root), *map(str, args)], env={**DEMO_ENV, **(env or {})})
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.output


def rows_counted(out: str) -> tuple[int, int, int]:
    """(read, accepted, quarantined) from a file's line of intake output; read = accepted + quarantined always."""
    read, accepted, quarantined = map(int, re.search(r"(\d+) rows read = (\d+) accepted \+ (\d+) quarantined",
                                                     out).groups())
    assert read == accepted + quarantined, out
    return read, accepted, quarantined


def make_project(root: Path) -> Paths:
    """A project folder with its own copy of the package's notebooks (tests change them), the repository's demo
    data, and nothing generated yet."""
    (root / "data").mkdir(parents=True)
    shutil.copytree(PACKAGE_NOTEBOOKS, root / "notebooks")
    shutil.copytree(REPO.demo, root / "data" / "demo")
    shutil.copytree(REPO.template, root / "data" / "template")
    (root / "pyproject.toml").write_text("")
    return Paths(root)


def notebook_page(name: str, loader: str, module, **values) -> str:
    """A page built by a report notebook's own page-building expressions (every code cell after the one that
    loads the data), with `module` under the name the notebook imports its report module as, so building a
    page here stays the same as the notebook's."""
    nb = json.loads(REPO.notebook(name).read_text())
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"
            and "parameters" not in c["metadata"].get("tags", [])]
    found = next(m for m in (re.search(r"from benchmarks[\w.]* import (\w+)(?: as (\w+))?", c) for c in code) if m)
    alias = found.group(2) or found.group(1)
    ns = {"HTML": str, alias: module, **values}
    return "".join(eval(c.strip(), ns) for c in code if c.strip().startswith("HTML(") and loader not in c)


@pytest.fixture(scope="session")
def demo_project(tmp_path_factory) -> Paths:
    """The whole demo state ingested with the demo key (shared, read-only for tests)."""
    p = make_project(tmp_path_factory.mktemp("demo"))
    ingest_files(sorted(p.demo.glob("submissions_*.csv")), p, DEMO_KEY)
    return p


@pytest.fixture
def project(tmp_path) -> Paths:
    return make_project(tmp_path / "project")


@pytest.fixture(scope="session")
def county_pages(demo_project):
    """The board summary, the demo county's nine district reports and the index, rendered once."""
    from benchmarks.render.batch import render_batch

    return render_batch(demo_project, "2025-26", county="Kestrel County", progress=False)


#: The plan of the initiative check the demo county's first district asks for (conftest.initiative_page).
DEMO_PLAN = {"devices_per_student": 1.0, "bandwidth_kbps_per_student": 1000}


@pytest.fixture(scope="session")
def initiative_page(demo_project, county_pages) -> Path:
    """The initiative check the demo county's first district (by pseudonym) asks for, with DEMO_PLAN, rendered
    once beside county_pages."""
    from benchmarks.render.on_request import render_initiative

    first = min(p.stem.removeprefix("district_") for p in county_pages.pages if p.name.startswith("district_"))
    return render_initiative(demo_project, first, DEMO_PLAN)


def multi_year_metrics(seed: int = 11) -> pd.DataFrame:
    """A small district_metrics frame over three school years: two states, counties of 9 and 4, a district
    missing one year, one that changes size band, missing values and ties."""
    import numpy as np
    import pandas as pd

    from benchmarks.registry.groups import size_band
    from benchmarks.registry.metrics import METRICS

    rng = np.random.default_rng(seed)
    rows = []
    for y, year in enumerate(("2023-24", "2024-25", "2025-26")):
        for i in range(16):
            if i == 3 and year == "2024-25":
                continue  # did not submit that year
            state = "PS" if i < 13 else "QS"
            county = "Nine" if i < 9 else "Four" if i < 13 else "Other"
            enrollment = 400 + 150 * i + (1200 if i == 5 and y == 2 else 0)  # D05 grows into the next band
            rows.append({"school_year": year, "pseudonym": f"D{i:02d}", "state": state, "county": county,
                         "locale": "Rural" if i % 3 else "Town", "enrollment": enrollment})
    dm = pd.DataFrame(rows)
    dm["size_band"] = size_band(dm["enrollment"])
    for m in METRICS:
        dm[m.name] = (rng.uniform(0.5, 1.5, len(dm)) * (1 + 0.1 * dm["school_year"].str[3].astype(int))).round(2)
    dm.loc[dm.index[::7], "devices_per_student"] = np.nan
    dm.loc[dm.pseudonym.isin(["D01", "D02"]), "aps_per_classroom"] = 1.0
    return dm


@pytest.fixture
def multi_year():
    return multi_year_metrics()


#: A plausible submission row (not the template's example, which validation rejects as left-over).
GOOD_ROW = {"school_year": "2025-26", "district_id": "9900001", "district_name": "Alpha SD 1", "state": "PS",
            "county": "Test County", "locale": "Rural", "enrollment": "1200", "classrooms": "60",
            "student_devices": "1250", "devices_replaced": "300", "device_spend_usd": "90000",
            "bandwidth_mbps": "1000", "internet_monthly_cost_usd": "2500", "erate_discount": "0.8",
            "access_points": "70", "wifi6_access_points": "40", "helpdesk_tickets": "700",
            "median_resolution_hours": "18", "tech_staff_fte": "2.5"}


def row(**changes) -> dict:
    """GOOD_ROW with some cells changed; district n gets id 99000nn and name 'District n'."""
    out = dict(GOOD_ROW)
    if "n" in changes:
        n = changes.pop("n")
        out.update(district_id=f"99{n:05d}", district_name=f"District {n}")
    out.update(changes)
    return out


def csv_text(rows: list[dict], delimiter: str = ",", header: list[str] | None = None) -> str:
    """Rows as CSV text (cells quoted where they must be), header from the first row or given."""
    import csv
    import io

    header = header or list(GOOD_ROW)
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")  # as Excel writes it; quotes a lone \r
    writer.writerow(header)
    for r in rows:
        writer.writerow([r.get(h, "") for h in header])
    return buf.getvalue()


def smoothed(values, q: float = 0.5) -> float:
    """The published (smoothed) percentile, the slow way: numpy's linear percentiles half a rank below, at and
    half a rank above q's position, averaged (docs/privacy.md)."""
    import numpy as np

    s = np.sort(np.asarray(values, dtype=float))
    n = len(s)
    h = q * (n - 1)
    return float(np.mean([np.interp(min(max(x, 0), n - 1), np.arange(n), s) for x in (h - 0.5, h, h + 0.5)]))


def truthful(m, shown: float, plain: float, rules=None) -> bool:
    """The truthfulness rule the slow way: as displayed, the shown figure lies within the tolerance (5% of the
    smaller of the two, at least one display unit) of the plain one (docs/privacy.md)."""
    from benchmarks.formats import display_value
    from benchmarks.privacy.rules import Rules

    rules = rules or Rules()
    s, p = display_value(m, shown), display_value(m, plain)
    unit = 10.0 ** -(m.decimals - 2 if m.unit == "%" else m.decimals)
    return abs(s - p) <= max(rules.tolerance * min(abs(s), abs(p)), unit) + 1e-9


def shown_median(others, metric_name: str, rules=None) -> float:
    """The median a report may show of a group of `others`, by the rules of docs/privacy.md worked out
    directly; NaN where the report shows a band or nothing."""
    import numpy as np

    from benchmarks.formats import display_value
    from benchmarks.privacy.rules import Rules
    from benchmarks.registry.metrics import METRIC_BY_NAME

    rules = rules or Rules()
    m = METRIC_BY_NAME[metric_name]
    v = np.asarray(others, dtype=float)
    v = v[~np.isnan(v)]
    if len(v) < rules.min_peers:
        return float("nan")
    centre = smoothed(v)
    percent = m.unit == "%"
    step = rules.band_factor * 10.0 ** -(m.decimals - 2 if percent else m.decimals)
    if (v.max() - v.min()) * (100 if percent else 1) < step - 1e-9:
        return float("nan")
    if len(v) < rules.quartile_min_peers and (display_value(m, v) == display_value(m, centre)).sum() == 1:
        return float("nan")
    if not truthful(m, centre, np.median(v), rules):
        return float("nan")
    return centre


def shown_band(others, metric_name: str, rules=None) -> tuple[float, float]:
    """The band a report shows instead of a group's median (low, high, in stored units), by the rules of
    docs/privacy.md worked out directly: the others all within one band step (the step's grid around their
    lowest and highest), or a small group whose displayed median matches one district's figure (the step of
    the grid holding the median); (NaN, NaN) where the report shows a figure or nothing."""
    import math

    import numpy as np

    from benchmarks.formats import display_value
    from benchmarks.privacy.rules import Rules
    from benchmarks.registry.metrics import METRIC_BY_NAME

    rules = rules or Rules()
    m = METRIC_BY_NAME[metric_name]
    v = np.asarray(others, dtype=float)
    v = v[~np.isnan(v)]
    none = (float("nan"), float("nan"))
    if len(v) < rules.min_peers:
        return none
    sc = 100.0 if m.unit == "%" else 1.0
    step = rules.band_factor * 10.0 ** -(max(m.decimals - 2, 0) if m.unit == "%" else m.decimals)
    centre = smoothed(v)
    alike = (v.max() - v.min()) * sc < step - 1e-9
    one_match = len(v) < rules.quartile_min_peers and (display_value(m, v) == display_value(m, centre)).sum() == 1
    if not (alike or one_match):
        return none
    if alike:
        lo, hi = math.floor(v.min() * sc / step + 1e-9) * step, math.ceil(v.max() * sc / step - 1e-9) * step
    else:
        lo = math.floor(centre * sc / step + 1e-9) * step
        hi = lo + step
    hi = max(hi, lo + step)
    vmin, vmax = (x * sc for x in m.valid_range)
    if hi > vmax:
        lo, hi = min(lo, vmax - step), vmax
    if lo < vmin:
        lo, hi = vmin, max(hi, vmin + step)
    return lo / sc, hi / sc


def workbook_content(data: bytes) -> dict:
    """What a person and Excel see in a workbook: cells, validations, number formats, frozen panes."""
    import io

    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data))
    out = {"sheets": wb.sheetnames, "active": wb.active.title}
    for ws in wb.worksheets:
        out[ws.title] = {
            "cells": [list(r) for r in ws.iter_rows(values_only=True)],
            "validations": sorted((str(v.sqref), v.type, v.operator, v.formula1, v.formula2, v.error, v.prompt,
                                   v.allow_blank, v.showErrorMessage) for v in ws.data_validations.dataValidation),
            "formats": [c.number_format for c in ws[2]] if ws.max_row >= 2 else [],
            "freeze": ws.freeze_panes,
        }
    return out


#: The columns of a Connect K-12 / EducationSuperHighway district file, plus one the importer ignores.
ESH_HEADER = ["esh_id", "nces_cd", "name", "locale", "num_students", "county", "postal_cd", "exclude_from_analysis",
              "ia_bandwidth_per_student", "monthly_ia_cost_per_mbps", "total_ia_bw_mbps", "extra"]


def public_csv(tmp_path, rows, name="esh_fy2015.csv", encoding="cp1252"):
    """A public bandwidth file in the publisher's format, written to tmp_path."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(ESH_HEADER)
    w.writerows(rows)
    path = tmp_path / name
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def round_table_project(root: Path) -> tuple[Paths, dict[int, str]]:
    """A small project ingested with the demo key, for custom peer groups: in 2025-26 the reader (n=1) and
    eleven neighbours in Test County (n=2..12), ten districts in Other County (n=20..29), all of one locale
    and size band (so the stored groups cut the others into two parts only: the county and the rest). Six
    neighbours (n=2..7) report resolution hours on a 0.6-hour grid, so a smoothed median of five of them,
    (w2 + 4 w3 + w4) / 6, is shown exactly, within 5% of the plain median and equal to none of them.
    Districts n=40..43 submitted in 2024-25 only. Returns the paths and {n: pseudonym}."""
    from benchmarks.privacy import crosswalk

    p = make_project(root)
    hours = {2: "12.0", 3: "13.2", 4: "15.6", 5: "18.6", 6: "21.0", 7: "24.0"}
    files = []
    for year, ns in (("2024-25", [*range(1, 13), *range(20, 30), *range(40, 44)]),
                     ("2025-26", [*range(1, 13), *range(20, 30)])):
        rows = []
        for n in ns:
            replaced = 200 + 11 * n
            rows.append(row(n=n, school_year=year, county="Other County" if 20 <= n < 30 else "Test County",
                            enrollment=str(1100 + 13 * n), student_devices=str(1000 + 17 * n),
                            devices_replaced=str(replaced), device_spend_usd=str(replaced * (300 + 7 * n)),
                            bandwidth_mbps=str(800 + 37 * n), internet_monthly_cost_usd=str(2000 + 53 * n),
                            access_points=str(60 + 3 * n), wifi6_access_points=str(20 + 2 * n),
                            helpdesk_tickets=str(500 + 23 * n), tech_staff_fte=f"{2 + 0.1 * n:.1f}",
                            median_resolution_hours=hours.get(n, f"{10 + 0.7 * n:.1f}")))
        path = root / f"submissions_{year}.csv"
        path.write_text(csv_text(rows))
        files.append(path)
    ingest_files(files, p, DEMO_KEY)
    ids = crosswalk.identities(p.crosswalk)
    pseudonyms = {int(i[2:]): ps for i, ps in zip(ids["district_id"], ids["pseudonym"])}
    return p, pseudonyms
