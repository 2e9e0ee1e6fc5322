"""The notebooks as the analyst opens them in JupyterLab: each runs top to bottom from its defaults in the
project's kernel, each report section has a markdown cell saying what it is, and pages leave those cells out."""

from __future__ import annotations

import os
import re

import nbformat
import pytest

from benchmarks.config import PACKAGE_NOTEBOOKS
from benchmarks.render.notebook import ANALYST_TAG, KERNEL_NAME, ensure_kernel, to_html
from benchmarks.reports.kinds import REPORT_KINDS
from conftest import DEMO_ENV

NOTEBOOKS = sorted(PACKAGE_NOTEBOOKS.glob("*.ipynb"))
#: A report section: a cell that shows one fragment of the page.
SECTION = re.compile(r"^\s*HTML\(")


def test_every_notebook_is_found_and_the_report_kinds_are_among_them():
    names = {p.name for p in NOTEBOOKS}
    assert {k.notebook for k in REPORT_KINDS.values()} <= names and "explore_state.ipynb" in names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_a_markdown_cell_says_what_each_section_is(path):
    cells = nbformat.read(path, as_version=4).cells
    sections = [i for i, c in enumerate(cells) if c.cell_type == "code" and SECTION.match(c.source)]
    if path.name in {k.notebook for k in REPORT_KINDS.values()}:
        assert sections, f"{path.name}: a report notebook shows its page in sections"
    for i in sections:
        above = cells[i - 1]
        assert above.cell_type == "markdown" and above.source.strip(), f"{path.name}: no words above cell {i}"
        assert ANALYST_TAG in above.metadata.get("tags", []), f"{path.name}: cell {i - 1} would show on the page"


def test_the_explore_notebook_says_first_that_it_is_the_analysts_own():
    first = nbformat.read(PACKAGE_NOTEBOOKS / "explore_state.ipynb", as_version=4).cells[0]
    assert first.cell_type == "markdown"
    assert first.source.splitlines()[0].startswith("**The analyst's own notebook: never sent to districts or the "
                                                   "board, never rendered by the batch.**")
    assert "explore_state.ipynb" not in {k.notebook for k in REPORT_KINDS.values()}


def test_the_page_leaves_out_the_analysts_cells():
    nb = nbformat.v4.new_notebook()
    words = nbformat.v4.new_markdown_cell("Scorecard: what this section is, for the analyst.")
    words.metadata["tags"] = [ANALYST_TAG]
    shown = nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output(
        "display_data", data={"text/html": "<p>the section itself</p>"})])
    table = nbformat.v4.new_code_cell("frame", outputs=[nbformat.v4.new_output(
        "execute_result", data={"text/html": "<table class='dataframe'><td>every row as a DataFrame</td></table>"},
        execution_count=1)])
    table.metadata["tags"] = [ANALYST_TAG]
    nb.cells = [words, shown, table]
    page = to_html(nb, "t")
    assert "the section itself" in page and "for the analyst" not in page and "as a DataFrame" not in page


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_runs_from_its_defaults_in_the_project_kernel(path, demo_project, tmp_path, monkeypatch):
    import papermill

    for name, value in {**DEMO_ENV, "BENCHMARKS_HOME": str(demo_project.root)}.items():
        monkeypatch.setenv(name, value)
    out = tmp_path / path.name
    papermill.execute_notebook(str(path), str(out), kernel_name=ensure_kernel(), cwd=str(tmp_path),
                               progress_bar=False)
    done = nbformat.read(out, as_version=4)
    assert done.metadata["papermill"]["exception"] is None
    code = [c for c in done.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "a cell was not run"
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    assert KERNEL_NAME == done.metadata["kernelspec"]["name"]
    # the analyst's table of a report notebook shows in JupyterLab as a DataFrame, not as a finished fragment
    views = [c for c in code if ANALYST_TAG in c.metadata.get("tags", [])]
    if path.name in {k.notebook for k in REPORT_KINDS.values()}:
        assert views, f"{path.name}: no table for the analyst to sort and filter"
    for c in views:
        shown = "".join(o.get("data", {}).get("text/html", "") for o in c.outputs if o.output_type == "execute_result")
        assert 'class="dataframe' in shown, f"{path.name}: {c.source!r}"
    assert os.environ["BENCHMARKS_HOME"] == str(demo_project.root)
