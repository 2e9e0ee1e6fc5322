"""Running one report: papermill executes its notebook, nbconvert turns it into a self-contained HTML page."""

from __future__ import annotations

import functools
import json
import os
import re
import sys
import time
from pathlib import Path

import nbformat
from markupsafe import Markup

from benchmarks.config import Paths, executed_folder, executed_record, failed_record, page
from benchmarks.files import private_folder, write_atomic
from benchmarks.render.kernel import KERNEL_ARGUMENTS
from benchmarks.render.tasks import Outcome, ReportTask
from benchmarks.reports.html import TEMPLATES, page_head, with_contents
from benchmarks.reports.kinds import REPORT_KINDS

KERNEL_NAME = "district-benchmarks"
#: The tag of a notebook's markdown cells that say what the section below is: shown in JupyterLab, not on pages.
ANALYST_TAG = "analyst"


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


def portable(parameters: dict, home: Path | None) -> dict:
    """Parameters as a notebook receives them: a path (the warehouse) relative to the project home, where the
    notebook runs, so that no executed record says where the project lives."""
    if home is None:
        return dict(parameters)
    return {k: os.path.relpath(v, home) if isinstance(v, str) and os.path.isabs(v) else v
            for k, v in parameters.items()}


def _prefixes(home: Path | None) -> list[tuple[re.Pattern, str]]:
    """Absolute paths a run's outputs may quote (a traceback names the library's files), longest first, and what
    they become: the project home '.', the library '<library>', Python '<python>', the user's home '~'."""
    import benchmarks

    places = [(Path(benchmarks.__file__).resolve().parent.parent, "<library>"), (Path(sys.prefix), "<python>"),
              (Path(sys.base_prefix), "<python>"), (Path.home(), "~")]
    if home is not None:
        places.append((Path(home).resolve(), "."))
    seen, out = set(), []
    for path, label in sorted(places, key=lambda p: -len(str(p[0]))):
        for text in {str(path), str(path.resolve())} - seen:
            if text not in ("/", "") and len(text) > 1:
                seen.add(text)
                out.append((re.compile(re.escape(text) + r"(?![\w.-])"), label))
    return out


def _scrub(value, prefixes):
    if isinstance(value, str):
        for pattern, label in prefixes:
            value = pattern.sub(label, value)
        return value
    if isinstance(value, list):
        return [_scrub(v, prefixes) for v in value]
    if isinstance(value, dict):
        return type(value)({k: _scrub(v, prefixes) for k, v in value.items()})
    return value


def record_of_run(nb: nbformat.NotebookNode, notebook: Path, output: Path, home: Path | None) -> nbformat.NotebookNode:
    """The executed notebook as it is kept: papermill's paths relative to the project home, and every absolute
    path in sources, outputs (tracebacks) and metadata written relative or as a placeholder."""
    nb = nbformat.from_dict(nb)
    meta = nb.metadata.get("papermill")
    if meta is not None and home is not None:
        # a notebook of the folder's own, relative to it; the package's (outside the folder) as <library>/...
        inside = Path(notebook).resolve().is_relative_to(Path(home).resolve())
        meta["input_path"] = os.path.relpath(notebook, home) if inside else str(Path(notebook).resolve())
        meta["output_path"] = os.path.relpath(output, home)
    return nbformat.from_dict(_scrub(nb, _prefixes(home)))


def _keep(nb: nbformat.NotebookNode, target: Path) -> None:
    write_atomic(target, nbformat.writes(nb).encode("utf-8"), private=True)


def execute(notebook: Path, output: Path, parameters: dict, kernel_name: str | None = None,
            engine: str | None = None, home: Path | None = None) -> nbformat.NotebookNode:
    """Run a notebook with papermill, keeping the executed copy as the record of what was computed.

    engine None runs it in a fresh Jupyter kernel; benchmarks.render.engine.ENGINE_NAME runs it in this process
    (only in a throw-away forked process: see benchmarks.render.worker). A failed run's notebook, with the
    error, is kept as `<name>.failed.ipynb`; the record of the last good run is never half-written. With home
    (the project folder) the notebook runs there with paths relative to it, and the record (owner-only, in an
    owner-only folder) holds no absolute path.
    """
    import papermill as pm

    notebook, output = Path(notebook), Path(output)
    private_folder(output.parent)
    tmp = output.with_name(f".{output.name}.tmp.ipynb")
    # a fresh kernel is told not to warn that it listens on localhost over TCP (benchmarks.render.kernel)
    options = {"kernel_name": kernel_name or ensure_kernel(), "extra_arguments": KERNEL_ARGUMENTS} if engine is None \
        else {"engine_name": engine, "request_save_on_cell_execute": False}
    cwd = notebook.parent if home is None else Path(home)
    try:
        nb = pm.execute_notebook(str(notebook), str(tmp), parameters=portable(parameters, home), progress_bar=False,
                                 cwd=str(cwd), **options)
        nb = record_of_run(nb, notebook, output, home)
        _keep(nb, output)
        failed_record(output).unlink(missing_ok=True)
    except BaseException:
        if tmp.exists():
            try:
                _keep(record_of_run(nbformat.read(tmp, as_version=4), notebook, output, home), failed_record(output))
            except Exception:  # noqa: BLE001 - an unreadable half-written notebook is no record
                pass
        raise
    finally:
        tmp.unlink(missing_ok=True)
    return nb


#: An <img> without alt text; nbconvert's own pass gives it one (the page's charts always carry theirs).
_IMG_WITHOUT_ALT = re.compile(r"<img(?![^>]*\balt=)", re.IGNORECASE)


def _page_exporter_class():
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class PageExporter(HTMLExporter):
        """nbconvert's HTML exporter without its closing BeautifulSoup pass where that pass changes nothing: it
        gives <img>s without alt text one and makes .jp-Notebook cells focusable, and the offline template has
        neither (no .jp-Notebook body, every chart with its alt text). Parsing and re-serialising the page is
        a sixth of a district report's cost; a page that does have an <img> without alt goes through it."""

        def from_notebook_node(self, nb, resources=None, **kw):
            # HTMLExporter.from_notebook_node up to its soup pass
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            self.register_filter("highlight_code",
                                 self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
            resources = self._init_resources(resources)
            self.register_filter("filter_data_type", WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            if _IMG_WITHOUT_ALT.search(html) or 'class="jp-Notebook' in html:
                return super().from_notebook_node(nb, resources, **kw)
            return html, resources

    return PageExporter


@functools.cache
def _exporter():
    """One HTML exporter per process: its templates compile once (a forked worker inherits them warm)."""
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = _page_exporter_class()(template_name="offline", extra_template_basedirs=[str(TEMPLATES)],
                                      exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    # the cells saying what each section is are for the analyst reading the notebook, not for the page
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags={ANALYST_TAG}), enabled=True)
    return exporter


def to_html(nb: nbformat.NotebookNode, title: str) -> str:
    """Export an executed notebook with the offline template: code hidden, nothing loaded from the network."""
    nb = nbformat.from_dict(nb)
    nb.metadata["title"] = title
    body, _ = _exporter().from_notebook_node(nb, resources={"page_head": Markup(page_head(title))})
    return with_contents(body)


def render_one(kind: str, paths: Paths, out_dir: Path, stem: str, parameters: dict, title: str,
               engine: str | None = None) -> Path:
    """Execute one report notebook and write its HTML page atomically; returns the page's path. Its executed
    notebook goes to the owner-only data/private/executed/<year>/ (config.executed_folder), not beside the page.

    The reference path: a fresh Jupyter kernel per report, as JupyterLab runs the notebook; the tests compare the
    warm workers' pages with it. Batches go through benchmarks.render.batch, a page on request through
    benchmarks.render.on_request.
    """
    spec = REPORT_KINDS[kind]
    record = executed_record(executed_folder(paths, out_dir), stem)
    executed = execute(paths.notebook(spec.notebook), record, parameters, engine=engine, home=paths.root)
    target = page(out_dir, stem)
    write_atomic(target, to_html(executed, title).encode("utf-8"))
    return target


def render_task(task: ReportTask, engine: str | None = None) -> Outcome:
    """Render one task, turning any failure into a failed Outcome (pages are written atomically: a failure
    never leaves a partial one)."""
    from papermill.exceptions import PapermillExecutionError

    start = time.perf_counter()
    try:
        nb = execute(Path(task.notebook), task.record, task.notebook_parameters, engine=engine,
                     home=Path(task.home) if task.home else None)
        write_atomic(task.page, to_html(nb, task.title).encode("utf-8"))
        return Outcome(task.stem, True, time.perf_counter() - start)
    except Exception as exc:  # one report's failure must not stop the batch
        seconds = time.perf_counter() - start
        # the error reaches the manifest and, for a year-wide report, the index: no absolute path in it
        prefixes = _prefixes(Path(task.home) if task.home else None)
        if isinstance(exc, PapermillExecutionError):
            return Outcome(task.stem, False, seconds, cell=exc.exec_count,
                           error=_scrub(f"{exc.ename}: {exc.evalue}", prefixes))
        return Outcome(task.stem, False, seconds, error=_scrub(f"{type(exc).__name__}: {exc}", prefixes))
