"""Warm workers: a process that imports the libraries once, then renders each report in a fresh fork of itself.

Starting a Jupyter kernel and importing pandas, matplotlib, papermill and nbconvert costs several
times more than a report's own work. A warm worker pays that once: it imports everything, compiles
the HTML templates, then for every report forks a child that runs the notebook in-process (papermill
with benchmarks.render.engine) and writes the executed notebook and the page. The worker itself never runs
a report, so each child starts from the same state: nothing of one district (variables, figures,
module state) can reach the next one's report.

The parent talks to a worker over its stdin/stdout, one JSON line per message: it sends a ReportTask
and reads back an Outcome. Workers run in their own session, so Ctrl-C in a terminal reaches only the
parent, which then stops them (and the reports in progress) with close(kill=True).
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from dataclasses import asdict

from benchmarks.render.tasks import Outcome, ReportTask

#: A report still running after this many seconds is stopped and reported as failed.
DEFAULT_TIMEOUT = 600.0
#: One thread per worker: the reports run side by side in separate processes, not inside one.
_ONE_THREAD = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                      "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")}


class WorkerDied(RuntimeError):
    """The worker process ended unexpectedly."""


class WarmWorker:
    """The parent's handle on one warm worker process."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT, name: str = ""):
        self.name = name
        self.task: ReportTask | None = None
        self.ready = False
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.render.worker", str(timeout)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env={**os.environ, **_ONE_THREAD},
            start_new_session=True, bufsize=0)
        self._buffer = b""

    def fileno(self) -> int:
        return self.proc.stdout.fileno()

    def submit(self, task: ReportTask) -> None:
        self.task = task
        try:
            self.proc.stdin.write(json.dumps(asdict(task)).encode() + b"\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise WorkerDied(f"worker {self.name} stopped: {exc}") from exc

    def read_message(self) -> dict | None:
        """Read what is available; returns one whole message, or None when it is not complete yet."""
        chunk = os.read(self.fileno(), 65536)
        if not chunk:
            raise WorkerDied(f"worker {self.name} ended (exit status {self.proc.wait()})")
        self._buffer += chunk
        if b"\n" not in self._buffer:
            return None
        line, self._buffer = self._buffer.split(b"\n", 1)
        message = json.loads(line)
        if message.get("ready"):
            self.ready = True
        return message

    def wait_message(self) -> dict:
        while True:
            if b"\n" in self._buffer:
                line, self._buffer = self._buffer.split(b"\n", 1)
                return json.loads(line)
            message = self.read_message()
            if message is not None:
                return message

    def render(self, task: ReportTask) -> Outcome:
        """Render one report and wait for it (for callers that run one report at a time per worker)."""
        while not self.ready:
            self.wait_message()
        self.submit(task)
        return outcome(self.wait_message())

    def close(self, kill: bool = False) -> None:
        """Stop the worker: gently (it finishes nothing new), or at once with the report it is running."""
        if kill and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)  # the worker and its report child
            except ProcessLookupError:
                pass
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc.stdout.close()


def render_alone(task: ReportTask, timeout: float = DEFAULT_TIMEOUT) -> Outcome:
    """One report on request, in a warm worker started for it alone: no Jupyter kernel, the same page and record
    as a batch writes. Ctrl-C stops the worker and the report at once."""
    worker = WarmWorker(timeout, name="on-request")
    try:
        result = worker.render(task)
    except BaseException:
        worker.close(kill=True)
        raise
    worker.close()
    return result


def skip_iri_checker() -> None:
    """Keep jsonschema from loading rfc3987_syntax, its checker of the "iri" format, in this process: that import
    compiles some 35 Earley parsers (about 1 s of every start-up here, python-jsonschema/jsonschema#1428), and no
    notebook schema uses the format. Only takes effect before jsonschema is first imported."""
    sys.modules.setdefault("rfc3987_syntax", None)


def outcome(message: dict) -> Outcome:
    return Outcome(**{k: v for k, v in message.items() if k in Outcome.__dataclass_fields__})


# ---- inside the worker process -------------------------------------------------------------------------


def warm_up() -> None:
    """Import what reports use and compile the page templates, touching no data at all."""
    import importlib
    import pkgutil

    import matplotlib

    matplotlib.use("Agg")
    import nbformat
    import papermill as pm

    import benchmarks
    from benchmarks.render import engine
    from benchmarks.render.notebook import to_html

    for module in pkgutil.walk_packages(benchmarks.__path__, "benchmarks."):  # whatever the notebooks call into
        if module.name.split(".")[1] not in ("cli", "timing"):
            importlib.import_module(module.name)

    engine.register()
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {
        "name": "python3", "language": "python", "display_name": "Python 3"}}, cells=[
        nbformat.v4.new_markdown_cell("warm-up"),
        nbformat.v4.new_code_cell("x = ''", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("x", execution_count=1, outputs=[
            nbformat.v4.new_output("execute_result", data={"text/html": "<p>x</p>", "text/plain": "x"},
                                   execution_count=1),
            nbformat.v4.new_output("stream", name="stderr", text="x"),
            nbformat.v4.new_output("error", ename="E", evalue="x", traceback=["x"])])])
    # papermill's parameter injection and the exporter's templates, without executing anything
    prepared = pm.execute_notebook(nb, None, parameters={"x": "y"}, prepare_only=True, progress_bar=False,
                                   engine_name=engine.ENGINE_NAME)
    to_html(prepared, "warm-up")


def _run_child(task: ReportTask, out_fd: int) -> None:
    """In the forked child: render the report, write the outcome to the pipe, and exit without running
    the worker's exit handlers (they belong to the worker)."""
    status = 0
    try:
        from benchmarks.render.engine import ENGINE_NAME
        from benchmarks.render.notebook import render_task
        from benchmarks.render.tasks import temp_files

        def abandon(*_):
            # Stopped (Ctrl-C in the parent, or a timeout): remove half-written files, leave the rest as it was.
            for path in temp_files(task):
                path.unlink(missing_ok=True)
            os._exit(143)

        signal.signal(signal.SIGTERM, abandon)
        for fd in _PROTOCOL_FDS:
            os.close(fd)

        result = render_task(task, engine=ENGINE_NAME)
        os.write(out_fd, json.dumps(asdict(result)).encode())
    except BaseException:  # noqa: BLE001 - the worker reports a child that wrote nothing as failed
        status = 1
    finally:
        os._exit(status)


def _stop(pid: int, grace: float = 5.0) -> int:
    """SIGTERM, then SIGKILL if the child has not ended after `grace` seconds; returns its wait status."""
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    return os.waitpid(pid, 0)[1]


def _render_in_fork(task: ReportTask, timeout: float) -> dict:
    read_fd, write_fd = os.pipe()
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _run_child(task, write_fd)
    os.close(write_fd)
    data, deadline, status = b"", time.monotonic() + timeout, None
    while True:
        ready, _, _ = select.select([read_fd], [], [], max(deadline - time.monotonic(), 0))
        if not ready:
            status = _stop(pid)
            break
        chunk = os.read(read_fd, 65536)
        if not chunk:
            break
        data += chunk
    os.close(read_fd)
    timed_out = status is not None
    if not timed_out:
        status = os.waitpid(pid, 0)[1]
    seconds = time.perf_counter() - start
    if data and not timed_out:
        message = json.loads(data)
        message["seconds"] = seconds
        return message
    if timed_out:
        error = f"TimeoutError: the report took longer than {timeout:g} s and was stopped"
    elif os.WIFSIGNALED(status):
        error = f"the report's process was killed by signal {os.WTERMSIG(status)} (out of memory?)"
    else:
        error = f"the report's process ended with status {os.WEXITSTATUS(status)} without a result"
    return asdict(Outcome(task.stem, False, seconds, error=error))


_PROTOCOL_FDS: list[int] = []


def main(argv: list[str]) -> None:
    timeout = float(argv[0]) if argv else DEFAULT_TIMEOUT
    # Messages travel on the original stdin/stdout; anything else written to stdout goes to stderr.
    proto_in = os.fdopen(os.dup(0), "rb")
    proto_out = os.fdopen(os.dup(1), "wb", buffering=0)
    _PROTOCOL_FDS[:] = [proto_in.fileno(), proto_out.fileno()]
    os.dup2(2, 1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    start = time.perf_counter()
    skip_iri_checker()
    warm_up()
    try:
        proto_out.write(json.dumps({"ready": True, "pid": os.getpid(),
                                    "seconds": time.perf_counter() - start}).encode() + b"\n")
        for line in proto_in:
            task = ReportTask(**json.loads(line))
            result = _render_in_fork(task, timeout)
            result["worker"] = f"{os.uname().nodename}:{os.getpid()}"
            proto_out.write(json.dumps(result).encode() + b"\n")
    except BrokenPipeError:
        pass  # the parent went away (stopped, or its process ended): so do we


if __name__ == "__main__":
    main(sys.argv[1:])
