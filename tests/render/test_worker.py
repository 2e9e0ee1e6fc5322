"""Warm workers: reports rendered in forks of one pre-imported process match a kernel's and share nothing."""

import json
import shutil

import nbformat
import pytest
from conftest import comparable

from benchmarks.render.delivery import select_districts
from benchmarks.render.notebook import render_one
from benchmarks.render.tasks import ReportTask
from benchmarks.render.worker import WarmWorker
from benchmarks.reports.kinds import REPORT_KINDS

pytestmark = pytest.mark.slow



def district_task(project, out_dir, district, name="") -> ReportTask:
    params = {"warehouse": str(project.warehouse), "school_year": "2025-26", "district": district}
    return ReportTask("district", f"district_{district}", str(project.notebooks / "district_report.ipynb"),
                      str(out_dir), params, f"{name} — technology benchmarks 2025-26", "", name)


@pytest.fixture(scope="module")
def two_districts(demo_project):
    """Two districts of different counties, with their names."""
    first, last = (select_districts(demo_project, "2025-26", county).sort_values("pseudonym")
                   for county in ("Kestrel County", "Marlstead County"))
    return tuple(first.iloc[0][["pseudonym", "district_name"]]), tuple(last.iloc[-1][["pseudonym", "district_name"]])


@pytest.fixture
def worker():
    w = WarmWorker(timeout=120, name="test")
    yield w
    w.close(kill=True)


def test_warm_worker_page_matches_a_fresh_kernels(demo_project, two_districts, worker, tmp_path):
    (district, name), _ = two_districts
    task = district_task(demo_project, tmp_path / "warm", district, name)
    outcome = worker.render(task)
    assert outcome.ok, outcome.error
    reference = render_one("district", demo_project, tmp_path / "kernel", task.stem, task.parameters, task.title)
    assert comparable(task.page.read_text()) == comparable(reference.read_text())
    # papermill's record: the injected parameters cell and the parameters in the metadata
    nb = nbformat.read(task.record, as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and f'district = "{district}"' in injected[0].source
    assert nb.metadata.papermill.parameters["district"] == district
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1))
    assert all(o.get("execution_count", c.execution_count) == c.execution_count
               for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def test_second_district_on_the_same_worker_sees_nothing_of_the_first(demo_project, two_districts, worker, tmp_path):
    (a, a_name), (b, b_name) = two_districts
    first = district_task(demo_project, tmp_path / "shared", a, a_name)
    second = district_task(demo_project, tmp_path / "shared", b, b_name)
    assert worker.render(first).ok and worker.render(second).ok
    alone = WarmWorker(timeout=120, name="alone")
    try:
        solo = district_task(demo_project, tmp_path / "alone", b, b_name)
        assert alone.render(solo).ok
    finally:
        alone.close()
    page = second.page.read_text()
    record = second.record.read_text()
    for text in (page, record):
        assert a not in text and a_name not in text and a_name.replace("&", "&amp;") not in text
    # B's page after A is the very page B gets on a worker that never rendered anything
    assert comparable(page) == comparable(solo.page.read_text())


PROBE = [
    ("code", "district = ''", ["parameters"]),
    ("code", "import json, os\nimport matplotlib.pyplot as plt\nfrom benchmarks.reports import district as report\n"
             "print(json.dumps({'names': sorted(k for k in globals() if not k.startswith('_')),\n"
             "                  'figures': plt.get_fignums(), 'module': getattr(report, 'probe', None),\n"
             "                  'env': os.environ.get('BENCHMARKS_PROBE')}))",
     []),
    ("code", "secret = district\nreport.probe = district\nos.environ['BENCHMARKS_PROBE'] = district\n"
             "figure = plt.figure(); plt.plot([1, 2])\nsecret", []),
]


def test_variables_figures_and_module_state_do_not_carry_over(demo_project, worker, tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    shutil.copy(demo_project.notebooks / REPORT_KINDS["district"].notebook, notebooks / "probe_src.ipynb")
    nb = nbformat.read(notebooks / "probe_src.ipynb", as_version=4)
    nb.cells = [nbformat.v4.new_code_cell(src, metadata={"tags": tags}) for _, src, tags in PROBE]
    nbformat.write(nb, notebooks / "probe.ipynb")
    seen = {}
    for district in ("DISTRICT-A", "DISTRICT-B"):
        task = ReportTask("probe", f"probe_{district}", str(notebooks / "probe.ipynb"), str(tmp_path / "out"),
                          {"district": district}, district)
        outcome = worker.render(task)
        assert outcome.ok, outcome.error
        executed = nbformat.read(task.record, as_version=4)
        seen[district] = json.loads(executed.cells[2].outputs[0].text)
        assert executed.cells[3].outputs[0].data["text/plain"] == repr(district)  # A really did leave things
    assert seen["DISTRICT-B"] == seen["DISTRICT-A"]
    assert seen["DISTRICT-B"]["figures"] == [] and seen["DISTRICT-B"]["module"] is None
    assert seen["DISTRICT-B"]["env"] is None and "secret" not in seen["DISTRICT-B"]["names"]
    assert "district" in seen["DISTRICT-B"]["names"]


def test_a_failing_cell_is_reported_with_its_cell_and_a_crash_does_not_kill_the_worker(demo_project, worker,
                                                                                         tmp_path):
    bad = district_task(demo_project, tmp_path, "no-such-district")
    outcome = worker.render(bad)
    assert not outcome.ok and outcome.cell == 4 and outcome.error.startswith("LookupError: no submission")
    assert not bad.page.exists() and (tmp_path / "executed" / "district_no-such-district.failed.ipynb").exists()
    assert not [p for p in tmp_path.rglob(".*") if p.is_file()]
    # a report whose process dies outright (here: os._exit in a cell) is a failure, and the worker goes on
    notebooks = tmp_path / "nb"
    notebooks.mkdir()
    nb = nbformat.read(demo_project.notebooks / "district_report.ipynb", as_version=4)
    nb.cells.insert(2, nbformat.v4.new_code_cell("import os\nos._exit(3)"))
    nbformat.write(nb, notebooks / "crash.ipynb")
    crash = ReportTask("district", "crash", str(notebooks / "crash.ipynb"), str(tmp_path), {"district": "x"}, "x")
    outcome = worker.render(crash)
    assert not outcome.ok and "status 3" in outcome.error
    assert worker.proc.poll() is None
