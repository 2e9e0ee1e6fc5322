"""The in-process papermill engine records the outputs a Jupyter kernel would have sent."""

import re

import nbformat
import pytest

from benchmarks.render.notebook import execute
from benchmarks.render.tasks import ReportTask
from benchmarks.render.worker import WarmWorker

pytestmark = pytest.mark.slow
ANSI = re.compile(r"\x1b\[[0-9;]*m")

CELLS = [
    ("x = 1", ["parameters"]),
    ("import sys\nprint('to stdout')\nprint('more', end='')\nsys.stderr.write('to stderr\\n')", []),
    ("from IPython.display import HTML, display\ndisplay(HTML('<b>shown</b>'))\nx * 21", []),
    ("x = x + 1\nx;", []),  # a trailing semicolon hides the result, as in a kernel
    ("1 / 0", []),
    ("print('never runs')", []),
]


def comparable_outputs(nb):
    out = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for o in cell.outputs:
            item = {"type": o.output_type, "count": cell.execution_count}
            if o.output_type == "stream":
                item.update(name=o.name, text=o.text)
            elif o.output_type == "error":
                # the same text; colours may differ (the kernel does not highlight the failing expression)
                item.update(ename=o.ename, evalue=o.evalue, traceback=[ANSI.sub("", line) for line in o.traceback])
            else:
                item.update(data=dict(o.data), execution_count=o.get("execution_count"))
            out.append(item)
        out.append(("status", cell.metadata.papermill.status))
    return out


def test_outputs_match_a_kernels(demo_project, tmp_path):
    template = nbformat.read(demo_project.notebooks / "district_report.ipynb", as_version=4)
    template.cells = [nbformat.v4.new_code_cell(src, metadata={"tags": tags}) for src, tags in CELLS]
    nbformat.write(template, tmp_path / "outputs.ipynb")

    with pytest.raises(Exception):
        execute(tmp_path / "outputs.ipynb", tmp_path / "kernel" / "outputs.ipynb", {"x": 2})
    kernel = nbformat.read(tmp_path / "kernel" / "outputs.failed.ipynb", as_version=4)

    worker = WarmWorker(timeout=60)
    try:
        task = ReportTask("test", "outputs", str(tmp_path / "outputs.ipynb"), str(tmp_path / "warm"), {"x": 2}, "t")
        outcome = worker.render(task)
    finally:
        worker.close()
    assert not outcome.ok and outcome.cell == 6 and outcome.error == "ZeroDivisionError: division by zero"
    warm = nbformat.read(tmp_path / "warm" / "executed" / "outputs.failed.ipynb", as_version=4)
    assert comparable_outputs(warm) == comparable_outputs(kernel)
    # and what they are: x was injected as 2
    results = [o for c in warm.cells for o in c.get("outputs", []) if o.output_type == "execute_result"]
    assert [r.data["text/plain"] for r in results] == ["10", "42"]  # stderr.write returns 10
