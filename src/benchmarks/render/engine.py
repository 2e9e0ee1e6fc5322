"""A papermill engine that runs a notebook's cells in this process's own IPython shell, without a kernel.

Meant for a freshly forked, throw-away process (see benchmarks.render.worker): starting a Jupyter kernel and
importing pandas, matplotlib and the library costs several times more than a report's own work, and a
forked child already holds those imports. Papermill still injects the parameters cell, records the
cells' timing and status, and writes the executed notebook; the outputs are the ones a kernel would
send (streams, display data, execute results, errors with ename/evalue/traceback).
"""

from __future__ import annotations

import platform
import sys

import nbformat
from IPython.core.displayhook import DisplayHook
from IPython.core.displaypub import DisplayPublisher
from IPython.core.interactiveshell import InteractiveShell
from papermill.engines import Engine, papermill_engines
from traitlets.config import Config

ENGINE_NAME = "benchmarks-inprocess"


def _bundle(data: dict, metadata: dict | None) -> tuple[dict, dict]:
    """A mime bundle as a kernel would put it on the wire: binary images base64-encoded, JSON-safe."""
    from ipykernel.jsonutil import encode_images, json_clean

    return json_clean(encode_images(dict(data))), json_clean(dict(metadata or {}))


class _Sink:
    """Where the shell's outputs go while one cell runs (set by the engine before each cell)."""

    outputs: list | None = None
    execution_count: int | None = None

    def add(self, output) -> None:
        if self.outputs is not None:
            self.outputs.append(output)

    def stream(self, name: str, text: str) -> None:
        if self.outputs is None or not text:
            return
        last = self.outputs[-1] if self.outputs else None
        if last is not None and last.output_type == "stream" and last.name == name:
            last.text += text  # consecutive writes form one stream output, as nbclient merges them
        else:
            self.outputs.append(nbformat.v4.new_output("stream", name=name, text=text))


class _Stream:
    """A text file object that turns writes into the current cell's stream output."""

    def __init__(self, sink: _Sink, name: str):
        self.sink, self.name, self.encoding = sink, name, "utf-8"

    def write(self, text: str) -> int:
        self.sink.stream(self.name, text)
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


class _RecordingDisplayHook(DisplayHook):
    """The value of a cell's last expression becomes an execute_result output."""

    sink: _Sink

    def write_output_prompt(self):
        pass

    def write_format_data(self, format_dict, md_dict=None):
        data, metadata = _bundle(format_dict, md_dict)
        self.sink.add(nbformat.v4.new_output("execute_result", data=data, metadata=metadata,
                                             execution_count=self.sink.execution_count))

    def finish_displayhook(self):
        pass


class _RecordingDisplayPublisher(DisplayPublisher):
    """display(...) calls become display_data outputs."""

    sink: _Sink

    def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs):
        data, metadata = _bundle(data, metadata)
        self.sink.add(nbformat.v4.new_output("display_data", data=data, metadata=metadata))

    def clear_output(self, wait=False):
        if self.sink.outputs is not None:
            self.sink.outputs.clear()


class _Shell(InteractiveShell):
    """An IPython shell whose tracebacks become error outputs, as ipykernel's shell sends them."""

    sink: _Sink

    def _showtraceback(self, etype, evalue, stb):
        self.sink.add(nbformat.v4.new_output("error", ename=getattr(etype, "__name__", str(etype)),
                                             evalue=str(evalue), traceback=list(stb)))


def new_shell() -> _Shell:
    """A fresh shell with its outputs recorded; no history file, no profile, no startup scripts."""
    if _Shell.initialized():
        raise RuntimeError("an in-process shell already ran in this process: render each report in a fresh one")
    config = Config()
    config.HistoryManager.enabled = False  # no SQLite file, no history thread
    sink = _Sink()
    shell = _Shell.instance(config=config, displayhook_class=_RecordingDisplayHook,
                            display_pub_class=_RecordingDisplayPublisher)
    shell.sink = shell.displayhook.sink = shell.display_pub.sink = sink
    return shell


class InProcessEngine(Engine):
    """Papermill engine: execute each code cell in a fresh in-process shell, stopping at the first error."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
        shell = new_shell()
        sink = shell.sink
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = _Stream(sink, "stdout"), _Stream(sink, "stderr")
        try:
            for index, cell in enumerate(nb_man.nb.cells):
                nb_man.cell_start(cell, index)
                try:
                    if cell.cell_type != "code":
                        continue
                    cell.outputs = sink.outputs = []
                    cell.execution_count = sink.execution_count = shell.execution_count
                    result = shell.run_cell(cell.source, store_history=True)
                    if not result.success:
                        nb_man.cell_exception(cell, cell_index=index)
                        break
                finally:
                    sink.outputs = None
                    nb_man.cell_complete(cell, cell_index=index)
        finally:
            sys.stdout, sys.stderr = saved
        nb_man.nb.metadata["language_info"] = {
            "name": "python", "version": platform.python_version(), "mimetype": "text/x-python",
            "file_extension": ".py", "pygments_lexer": "ipython3", "nbconvert_exporter": "python",
            "codemirror_mode": {"name": "ipython", "version": 3}}
        return nb_man.nb


def register() -> str:
    """Make the engine known to papermill by name (idempotent); returns the name."""
    papermill_engines.register(ENGINE_NAME, InProcessEngine)
    return ENGINE_NAME
