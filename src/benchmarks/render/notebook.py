"""Running one report: papermill executes its notebook, nbconvert turns it into a self-contained HTML page."""

from __future__ import annotations

import functools
import json
import sys
import time
from pathlib import Path

import nbformat
from markupsafe import Markup

from benchmarks.config import Paths, executed_record, failed_record, page
from benchmarks.files import write_atomic
from benchmarks.render.tasks import Outcome, ReportTask
from benchmarks.reports.html import TEMPLATES, page_head
from benchmarks.reports.kinds import REPORT_KINDS

KERNEL_NAME = "district-benchmarks"


def ensure_kernel() -> str:
    """Install (once) a kernelspec that runs this very interpreter, so papermill never picks another Python."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec_dir = Path(sys.prefix) / "share" / "jupyter" / "kernels" / KERNEL_NAME
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec_file = spec_dir / "kernel.json"
    wanted = {"argv": argv, "display_name": "District benchmarks", "language": "python",
              "metadata": {"debugger": False}}
    if not spec_file.exists() or json.loads(spec_file.read_text()).get("argv") != argv:
        write_atomic(spec_file, json.dumps(wanted, indent=1).encode())
    names = KernelSpecManager().find_kernel_specs()
    if KERNEL_NAME not in names:
        raise RuntimeError(f"kernel {KERNEL_NAME!r} not found after installing it in {spec_dir}")
    return KERNEL_NAME


def execute(notebook: Path, output: Path, parameters: dict, kernel_name: str | None = None,
            engine: str | None = None) -> nbformat.NotebookNode:
    """Run a notebook with papermill, keeping the executed copy as the record of what was computed.

    engine None runs it in a fresh Jupyter kernel; benchmarks.render.engine.ENGINE_NAME runs it in this process
    (only in a throw-away forked process: see benchmarks.render.worker). A failed run's notebook, with the
    error, is kept as `<name>.failed.ipynb`; the record of the last good run is never half-written.
    """
    import papermill as pm

    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp.ipynb")
    options = {"kernel_name": kernel_name or ensure_kernel()} if engine is None else {
        "engine_name": engine, "request_save_on_cell_execute": False}
    try:
        nb = pm.execute_notebook(str(notebook), str(tmp), parameters=parameters, progress_bar=False,
                                 cwd=str(notebook.parent), **options)
        tmp.replace(output)
        failed_record(output).unlink(missing_ok=True)
    except BaseException:
        if tmp.exists():
            tmp.replace(failed_record(output))
        raise
    finally:
        tmp.unlink(missing_ok=True)
    return nb


@functools.cache
def _exporter():
    """One HTML exporter per process: its templates compile once (a forked worker inherits them warm)."""
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="offline", extra_template_basedirs=[str(TEMPLATES)],
                        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)


def to_html(nb: nbformat.NotebookNode, title: str) -> str:
    """Export an executed notebook with the offline template: code hidden, nothing loaded from the network."""
    nb = nbformat.from_dict(nb)
    nb.metadata["title"] = title
    body, _ = _exporter().from_notebook_node(nb, resources={"page_head": Markup(page_head(title))})
    return body


def render_one(kind: str, paths: Paths, out_dir: Path, stem: str, parameters: dict, title: str,
               engine: str | None = None) -> Path:
    """Execute one report notebook and write its HTML page atomically; returns the page's path.

    The reference path: a fresh Jupyter kernel per report. Batches go through benchmarks.render.batch.
    """
    spec = REPORT_KINDS[kind]
    executed = execute(paths.notebooks / spec.notebook, executed_record(out_dir, stem), parameters, engine=engine)
    target = page(out_dir, stem)
    write_atomic(target, to_html(executed, title).encode("utf-8"))
    return target


def render_task(task: ReportTask, engine: str | None = None) -> Outcome:
    """Render one task, turning any failure into a failed Outcome (pages are written atomically: a failure
    never leaves a partial one)."""
    from papermill.exceptions import PapermillExecutionError

    start = time.perf_counter()
    try:
        nb = execute(Path(task.notebook), task.record, task.parameters, engine=engine)
        write_atomic(task.page, to_html(nb, task.title).encode("utf-8"))
        return Outcome(task.stem, True, time.perf_counter() - start)
    except Exception as exc:  # one report's failure must not stop the batch
        seconds = time.perf_counter() - start
        if isinstance(exc, PapermillExecutionError):
            return Outcome(task.stem, False, seconds, cell=exc.exec_count, error=f"{exc.ename}: {exc.evalue}")
        return Outcome(task.stem, False, seconds, error=f"{type(exc).__name__}: {exc}")
