"""Where a batch's reports run: warm workers on this machine, or the same tasks on a Dask cluster.

Every executor takes ReportTasks and yields one Outcome per task as reports finish, in any order;
stop() ends the work at once (Ctrl-C). Both render through benchmarks.render.worker, so a report runs the
same way whether on a laptop or on a cluster node.
"""

from __future__ import annotations

import atexit
import os
import selectors
import threading
import uuid
from collections import deque
from dataclasses import asdict
from typing import Iterable, Iterator

from benchmarks.render.tasks import Outcome, ReportTask
from benchmarks.render.worker import DEFAULT_TIMEOUT, WarmWorker, WorkerDied, outcome


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class LocalExecutor:
    """N warm workers on this machine, each rendering one report at a time in a fork of itself."""

    def __init__(self, workers: int | None = None, timeout: float = DEFAULT_TIMEOUT, **_):
        self.workers = max(1, workers or default_workers())
        self.timeout = timeout
        self._pool: list[WarmWorker] = []

    def describe(self) -> str:
        return f"{self.workers} local worker{'s' * (self.workers != 1)}"

    def run(self, tasks: Iterable[ReportTask]) -> Iterator[Outcome]:
        queue = deque(tasks)
        selector = selectors.DefaultSelector()
        try:
            for i in range(min(self.workers, len(queue))):
                self._start(selector, f"local-{i}")
            while self._pool:
                for key, _ in selector.select():
                    worker: WarmWorker = key.fileobj
                    try:
                        message = worker.read_message()
                    except WorkerDied as exc:
                        selector.unregister(worker)
                        self._pool.remove(worker)
                        worker.close(kill=True)
                        if worker.task is None:
                            raise  # it died before its first report: starting it again would not help
                        yield Outcome(worker.task.stem, False, error=f"WorkerDied: {exc}")
                        if queue:
                            self._start(selector, worker.name)
                        continue
                    if message is None:
                        continue  # part of a line; the rest follows
                    if not message.get("ready"):
                        worker.task = None
                        yield outcome(message)
                    if queue:
                        worker.submit(queue.popleft())
                    else:
                        selector.unregister(worker)
                        self._pool.remove(worker)
                        worker.close()
        finally:
            self.stop()
            selector.close()

    def _start(self, selector, name: str) -> None:
        worker = WarmWorker(self.timeout, name=name)
        self._pool.append(worker)
        selector.register(worker, selectors.EVENT_READ)

    def stop(self) -> None:
        while self._pool:
            self._pool.pop().close(kill=True)


# ---- Dask ---------------------------------------------------------------------------------------------

_DASK_WORKERS: dict[int, WarmWorker] = {}
_DASK_LOCK = threading.Lock()


def _close_dask_workers() -> None:
    for worker in list(_DASK_WORKERS.values()):
        worker.close(kill=True)
    _DASK_WORKERS.clear()


def render_on_dask_worker(task: dict, timeout: float = DEFAULT_TIMEOUT) -> dict:
    """Runs on a Dask worker: render with this thread's own warm worker, started on first use and kept."""
    ident = threading.get_ident()
    with _DASK_LOCK:
        worker = _DASK_WORKERS.get(ident)
        if worker is None or worker.proc.poll() is not None:
            if not _DASK_WORKERS:
                atexit.register(_close_dask_workers)
            worker = _DASK_WORKERS[ident] = WarmWorker(timeout, name=f"dask-{ident}")
    try:
        return asdict(worker.render(ReportTask(**task)))
    except WorkerDied as exc:
        with _DASK_LOCK:
            _DASK_WORKERS.pop(ident, None)
        worker.close(kill=True)
        return asdict(Outcome(task["stem"], False, error=f"WorkerDied: {exc}"))


class DaskExecutor:
    """The same tasks on a dask.distributed cluster; reports and warehouse must be on a shared filesystem."""

    def __init__(self, scheduler: str, timeout: float = DEFAULT_TIMEOUT, **_):
        self.scheduler = scheduler
        self.timeout = timeout
        self._client = None
        self._futures: dict = {}

    def describe(self) -> str:
        return f"Dask cluster at {self.scheduler}"

    def run(self, tasks: Iterable[ReportTask]) -> Iterator[Outcome]:
        from distributed import Client, as_completed

        self._client = Client(self.scheduler, set_as_default=False)
        batch = uuid.uuid4().hex[:8]
        try:
            self._futures = {
                self._client.submit(render_on_dask_worker, asdict(t), self.timeout, key=f"report-{t.stem}-{batch}",
                                    pure=False): t for t in tasks}
            for future in as_completed(list(self._futures), loop=self._client.loop):
                task = self._futures.pop(future)
                try:
                    yield outcome(future.result())
                except Exception as exc:  # the task itself failed on the cluster (e.g. its worker was lost)
                    yield Outcome(task.stem, False, error=f"{type(exc).__name__}: {exc}")
                future.release()
        finally:
            self.stop()

    def stop(self) -> None:
        if self._client is not None:
            if self._futures:
                self._client.cancel(list(self._futures))
                self._futures = {}
            self._client.close()
            self._client = None


#: Executors by name; `executor()` picks Dask when given a scheduler address, else the local one.
EXECUTORS = {"local": LocalExecutor, "dask": DaskExecutor}


def executor(workers: int | None = None, scheduler: str | None = None, timeout: float = DEFAULT_TIMEOUT):
    name = "dask" if scheduler else "local"
    return EXECUTORS[name](workers=workers, scheduler=scheduler, timeout=timeout)
