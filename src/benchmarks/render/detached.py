"""Reports rendered on a machine that cannot see the project: a cluster node with the package installed, nothing else.

The client sends a task that carries its data (render.task_data) and its notebook's text. The node lays out a
scratch copy of the project's folders, renders there exactly as a local worker would (so the executed record
names the same relative paths), and sends back the page and the executed notebook as text. The client writes
them atomically where a local run would have. The node keeps nothing: the scratch folder goes when the report
is done, and no warehouse, crosswalk or shared folder is needed or touched.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from pathlib import Path

import benchmarks
from benchmarks.config import failed_record
from benchmarks.files import private_folder, write_atomic
from benchmarks.render.tasks import Outcome, ReportTask
from benchmarks.render.worker import WorkerDied

#: Where the package's own notebooks are, on this machine.
PACKAGE_NOTEBOOKS = Path(benchmarks.__file__).resolve().parent / "notebooks"


def portable_task(task: ReportTask) -> dict:
    """What travels to the node: the task's fields, the notebook's text, and the client's library version."""
    return {"task": dataclasses.asdict(task), "notebook_text": Path(task.notebook).read_text(encoding="utf-8"),
            "version": benchmarks.__version__}


def _inside(path: str, home: str) -> str | None:
    """path relative to home, when it lies inside it."""
    rel = os.path.relpath(path, home)
    return None if rel == ".." or rel.startswith(".." + os.sep) else rel


def _notebook_here(notebook: str, text: str, home: str, scratch: Path) -> str:
    """The task's notebook on this node: a project's own is written into the scratch copy, the package's is this
    node's installed one, which must be the same text as the client's."""
    rel = _inside(notebook, home)
    if rel is not None:
        target = scratch / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return str(target)
    mine = PACKAGE_NOTEBOOKS / Path(notebook).name
    if not mine.is_file() or mine.read_text(encoding="utf-8") != text:
        raise RuntimeError(f"this worker's benchmarks package has another {Path(notebook).name} than the machine "
                           "running the batch: install the same version of benchmarks on every worker")
    return str(mine)


def render_here(sent: dict, render) -> dict:
    """On the node: render one sent task with `render` (task -> Outcome) in a scratch folder; returns the outcome
    as a dict, with the page and the executed notebook (or the failed run's) as text under "files"."""
    task = ReportTask(**sent["task"])
    if sent["version"] != benchmarks.__version__:
        return dataclasses.asdict(Outcome(task.stem, False, error=(
            f"this worker has benchmarks {benchmarks.__version__} and the machine running the batch "
            f"{sent['version']}: install the same version on every worker")))
    scratch = Path(tempfile.mkdtemp(prefix="benchmarks-report-"))
    try:
        home = task.home or str(Path(task.out_dir).parent)
        def here(path: str, fallback: str) -> str:
            rel = _inside(path, home)
            return str(scratch / (rel if rel is not None else fallback))

        local = dataclasses.replace(
            task, notebook=_notebook_here(task.notebook, sent["notebook_text"], home, scratch),
            out_dir=here(task.out_dir, "reports"), records=here(task.records, "executed") if task.records else "",
            home=str(scratch) if task.home else "")
        Path(local.out_dir).mkdir(parents=True, exist_ok=True)
        result = dataclasses.asdict(render(local))
        files = {"page": local.page, "record": local.record, "failed_record": failed_record(local.record)}
        result["files"] = {k: p.read_text(encoding="utf-8") for k, p in files.items() if p.is_file()}
        return result
    except WorkerDied:
        raise  # the renderer itself is gone: its owner replaces it (executors.render_on_dask_worker)
    except Exception as exc:  # noqa: BLE001 - a node's trouble is this report's failure, not the batch's
        return dataclasses.asdict(Outcome(task.stem, False, error=f"{type(exc).__name__}: {exc}"))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def keep_files(task: ReportTask, message: dict) -> dict:
    """On the client: write what a node sent back for `task` where a local run writes it (atomically; the
    records owner-only); returns the message without the files."""
    files = message.pop("files", {})
    targets = {"page": (task.page, False), "record": (task.record, True),
               "failed_record": (failed_record(task.record), True)}
    for key, text in files.items():
        path, private = targets[key]
        if private:
            private_folder(path.parent)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text.encode("utf-8"), private=private)
    if message.get("ok"):
        failed_record(task.record).unlink(missing_ok=True)  # as a local run clears the last failure's
    return message
