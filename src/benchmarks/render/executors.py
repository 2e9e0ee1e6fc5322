"""Where a batch's reports run: warm workers on this machine, or the same tasks on a Dask cluster.

Every executor takes ReportTasks and yields one Outcome per task as reports finish, in any order;
stop() ends the work at once (Ctrl-C). Both render through benchmarks.render.worker, so a report runs the
same way whether on a laptop or on a cluster node.
"""

from __future__ import annotations

import atexit
import itertools
import os
import queue
import selectors
import threading
import uuid
from dataclasses import asdict
from typing import Iterable, Iterator

from benchmarks.render.detached import keep_files, portable_task, render_here
from benchmarks.render.tasks import Outcome, ReportTask
from benchmarks.render.worker import DEFAULT_TIMEOUT, WarmWorker, WorkerDied, outcome


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class _Lookahead:
    """An iterator that can say whether anything is left, without a list of it all; it takes the next item only
    when asked (so a slow source holds up no report already handed out)."""

    _END = object()
    _UNREAD = object()

    def __init__(self, items: Iterable):
        self._items = iter(items)
        self._next = self._UNREAD

    def __bool__(self) -> bool:
        if self._next is self._UNREAD:
            self._next = next(self._items, self._END)
        return self._next is not self._END

    def pop(self):
        if not self:
            raise IndexError("nothing left")
        item, self._next = self._next, self._UNREAD
        return item


class LocalExecutor:
    """N warm workers on this machine, each rendering one report at a time in a fork of itself."""

    def __init__(self, workers: int | None = None, timeout: float = DEFAULT_TIMEOUT, **_):
        self.workers = max(1, workers or default_workers())
        self.timeout = timeout
        self._pool: list[WarmWorker] = []
        self._started: list[WarmWorker] = []  # started ahead of run(), warming up

    def describe(self) -> str:
        return f"{self.workers} local worker{'s' * (self.workers != 1)}"

    def start(self) -> None:
        """Start the workers now: they import the libraries while the batch plans its tasks (several seconds
        each, spent otherwise before the first report). run() takes them; stop() ends any it did not need."""
        while len(self._started) < self.workers:
            self._started.append(WarmWorker(self.timeout, name=f"local-{len(self._started)}"))

    def run(self, tasks: Iterable[ReportTask]) -> Iterator[Outcome]:
        # taken one at a time as workers free up: a batch's tasks are filled with their data as they go
        queue = _Lookahead(tasks)
        selector = selectors.DefaultSelector()
        try:
            for i in range(self.workers):
                if not queue:
                    break
                self._start(selector, f"local-{i}")
            self._close_started()  # started ahead but not needed: fewer tasks than workers
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
                        worker.submit(queue.pop())
                    else:
                        selector.unregister(worker)
                        self._pool.remove(worker)
                        worker.close()
        finally:
            self.stop()
            selector.close()

    def _start(self, selector, name: str) -> None:
        worker = self._started.pop(0) if self._started else WarmWorker(self.timeout, name=name)
        self._pool.append(worker)
        selector.register(worker, selectors.EVENT_READ)

    def _close_started(self) -> None:
        while self._started:
            self._started.pop().close(kill=True)

    def stop(self) -> None:
        self._close_started()
        while self._pool:
            self._pool.pop().close(kill=True)


# ---- Dask ---------------------------------------------------------------------------------------------

_DASK_WORKERS: dict[int, WarmWorker] = {}
_DASK_LOCK = threading.Lock()


def _close_dask_workers() -> None:
    for worker in list(_DASK_WORKERS.values()):
        worker.close(kill=True)
    _DASK_WORKERS.clear()


def render_on_dask_worker(sent: dict, timeout: float = DEFAULT_TIMEOUT) -> dict:
    """Runs on a Dask worker: render a sent task (render.detached) with this thread's own warm worker, started on
    first use and kept; returns the outcome with the page and the executed notebook."""
    ident = threading.get_ident()
    with _DASK_LOCK:
        worker = _DASK_WORKERS.get(ident)
        if worker is None or worker.proc.poll() is not None:
            if not _DASK_WORKERS:
                atexit.register(_close_dask_workers)
            worker = _DASK_WORKERS[ident] = WarmWorker(timeout, name=f"dask-{ident}")
    try:
        return render_here(sent, worker.render)
    except WorkerDied as exc:
        with _DASK_LOCK:
            _DASK_WORKERS.pop(ident, None)
        worker.close(kill=True)
        return asdict(Outcome(sent["task"]["stem"], False, error=f"WorkerDied: {exc}"))


class DaskExecutor:
    """District reports on a dask.distributed cluster whose workers need only the installed package.

    Tasks that carry their data (render.task_data) go to the cluster, a window of them at a time; the pages and
    executed notebooks come back and are written here. The year-wide reports read the whole year's warehouse,
    which never leaves this machine: they render here, on local warm workers, while the cluster works."""

    #: Tasks in flight per cluster thread: enough to keep every worker busy, few enough to hold little memory.
    WINDOW_PER_THREAD = 4

    def __init__(self, scheduler: str, workers: int | None = None, timeout: float = DEFAULT_TIMEOUT, **_):
        self.scheduler = scheduler
        self.timeout = timeout
        self.local = LocalExecutor(workers or 1, timeout)
        self._client = None
        self._futures: dict = {}

    def describe(self) -> str:
        return f"Dask cluster at {self.scheduler}"

    def start(self) -> None:
        """Nothing to start ahead: the cluster's workers are up, and most batches send it every report."""

    def run(self, tasks: Iterable[ReportTask]) -> Iterator[Outcome]:
        from distributed import Client, as_completed

        here: queue.Queue = queue.Queue()  # the tasks to render on this machine, as they turn up
        done: queue.Queue = queue.Queue()  # what became of them
        local = threading.Thread(target=self._render_here, args=(here, done), name="year-wide reports", daemon=True)
        local.start()
        carried = (t for t in tasks if t.report_data or here.put(t))
        self._client = Client(self.scheduler, set_as_default=False)
        batch = uuid.uuid4().hex[:8]
        try:
            window = max(1, sum(self._client.nthreads().values())) * self.WINDOW_PER_THREAD
            pending = as_completed(loop=self._client.loop)
            for task in itertools.islice(carried, window):
                pending.add(self._submit(task, batch))
            if not pending.count():
                here.put(None)  # every task was a local one (or there were none)
            for future in pending:
                task = self._futures.pop(future)
                try:
                    yield outcome(keep_files(task, future.result()))
                except Exception as exc:  # the task itself failed on the cluster (e.g. its worker was lost)
                    yield Outcome(task.stem, False, error=f"{type(exc).__name__}: {exc}")
                future.release()
                for nxt in itertools.islice(carried, 1):
                    pending.add(self._submit(nxt, batch))
                if not self._futures:
                    here.put(None)  # the task list is used up
                yield from _finished(done)
            while local.is_alive() or not done.empty():
                yield from _finished(done, wait=True)
        finally:
            here.put(None)
            self.stop()

    def _submit(self, task: ReportTask, batch: str):
        future = self._client.submit(render_on_dask_worker, portable_task(task), self.timeout,
                                     key=f"report-{task.stem}-{batch}", pure=False)
        self._futures[future] = task
        return future

    def _render_here(self, here: queue.Queue, done: queue.Queue) -> None:
        """In a thread: the tasks put on `here` (until None) rendered on local warm workers."""
        try:
            for result in self.local.run(iter(here.get, None)):
                done.put(result)
        except BaseException as exc:  # noqa: BLE001 - raised again on the batch's thread
            done.put(exc)

    def stop(self) -> None:
        self.local.stop()
        if self._client is not None:
            if self._futures:
                self._client.cancel(list(self._futures))
                self._futures = {}
            self._client.close()
            self._client = None


def _finished(done: queue.Queue, wait: bool = False) -> Iterator[Outcome]:
    """What the local reports' thread has finished; with wait, waiting a moment for the first."""
    while True:
        try:
            item = done.get(timeout=0.2) if wait else done.get_nowait()
        except queue.Empty:
            return
        if isinstance(item, BaseException):
            raise item
        yield item
        wait = False


#: Executors by name; `executor()` picks Dask when given a scheduler address, else the local one.
EXECUTORS = {"local": LocalExecutor, "dask": DaskExecutor}


def executor(workers: int | None = None, scheduler: str | None = None, timeout: float = DEFAULT_TIMEOUT):
    name = "dask" if scheduler else "local"
    return EXECUTORS[name](workers=workers, scheduler=scheduler, timeout=timeout)
