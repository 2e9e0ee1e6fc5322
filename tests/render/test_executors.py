"""The same batch on a Dask cluster (a LocalCluster here) gives the same reports as on local workers."""

import dataclasses
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import comparable

from benchmarks.render.batch import render_batch
from benchmarks.render.detached import portable_task
from benchmarks.render.executors import EXECUTORS, DaskExecutor, LocalExecutor, executor, render_on_dask_worker
from benchmarks.reports.kinds import REPORT_KINDS

pytestmark = pytest.mark.slow


def test_executor_is_chosen_by_scheduler_address():
    assert set(EXECUTORS) == {"local", "dask"}
    assert isinstance(executor(workers=3), LocalExecutor) and executor(workers=3).workers == 3
    dask = executor(scheduler="tcp://127.0.0.1:8786")
    assert isinstance(dask, DaskExecutor) and dask.scheduler == "tcp://127.0.0.1:8786"


def _hidden_workers(scheduler: str, hidden: Path, elsewhere: Path, n: int) -> subprocess.Popen:
    """`dask worker` processes that run in `elsewhere` and cannot see `hidden`: an empty tmpfs is mounted over it in
    their own mount namespace (unshare), so for them the project, its warehouse and crosswalk do not exist."""
    command = (f'mount -t tmpfs tmpfs {shlex.quote(str(hidden))} && cd {shlex.quote(str(elsewhere))} && '
               f'exec {shlex.quote(sys.executable)} -m distributed.cli.dask_worker {scheduler} --nworkers {n} '
               f'--nthreads 1 --no-dashboard --local-directory {shlex.quote(str(elsewhere))}')
    return subprocess.Popen(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", command],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def test_dask_workers_that_cannot_see_the_project_render_the_same_pages(demo_project, county_pages, tmp_path,
                                                                         tmp_path_factory):
    from distributed import Client, LocalCluster

    if subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "true"], capture_output=True).returncode:
        pytest.skip("this machine does not let a test hide a folder from its workers (unshare --user --mount)")
    local = county_pages  # Kestrel County on this machine's warm workers, rendered once for the session
    hidden = tmp_path_factory.getbasetemp()  # the project, the local pages and the cluster run's output folder
    elsewhere = Path(tempfile.mkdtemp(prefix="dask-worker-"))
    with LocalCluster(n_workers=0, dashboard_address=None) as cluster, Client(cluster) as client:
        workers = _hidden_workers(cluster.scheduler_address, hidden, elsewhere, 2)
        try:
            client.wait_for_workers(2, timeout=120)
            # the workers are where we think: the warehouse is not there for them, the package is
            assert client.run(os.path.exists, str(demo_project.warehouse)) == {w: False for w in client.nthreads()}
            assert set(client.run(os.getcwd).values()) == {str(elsewhere)}
            remote = render_batch(demo_project, "2025-26", county="Kestrel County", progress=False,
                                  scheduler=cluster.scheduler_address, out_dir=tmp_path / "dask")
            # guard off: a district report's task without its data needs the warehouse, and fails there
            task = next(t for t in remote.tasks if t.kind == "district")
            bare = client.submit(render_on_dask_worker, portable_task(dataclasses.replace(task, report_data="")),
                                 pure=False).result()
        finally:
            os.killpg(workers.pid, signal.SIGTERM)
            workers.wait(timeout=60)
            shutil.rmtree(elsewhere, ignore_errors=True)
    assert not bare["ok"] and "warehouse" in bare["error"].lower() and "page" not in bare.get("files", {}), bare
    assert local.ok and remote.ok and remote.where.startswith("Dask cluster at tcp://127.0.0.1")
    assert "local worker" in local.where
    # board summary, data quality, and the county's round-table page (a county's batch renders it with its districts)
    year_wide = sum(k.scope in ("year", "county") for k in REPORT_KINDS.values())
    assert len(remote.rendered) == len(local.rendered) == 9 + year_wide  # and Kestrel County's nine
    # the district reports rendered on the hidden workers; the year-wide ones (they read the warehouse) here
    hosts = {o.stem: o.worker.split(":")[1] for o in remote.rendered}
    cluster_pids = {hosts[t.stem] for t in remote.tasks if t.kind == "district"}
    here_pids = {hosts[t.stem] for t in remote.tasks if t.kind != "district"}
    assert cluster_pids and here_pids and cluster_pids.isdisjoint(here_pids)
    assert cluster_pids.isdisjoint({o.worker.split(":")[1] for o in local.rendered})
    # the session's reports folder may hold more (reports other tests asked for): the local run's own pages
    names = sorted(p.name for p in [*local.pages, local.index])
    assert names == sorted(p.name for p in (tmp_path / "dask").glob("*.html")) and len(names) == 9 + year_wide + 1  # index
    for name in names:
        a = comparable((local.index.parent / name).read_text())
        b = comparable((tmp_path / "dask" / name).read_text())
        assert a == b, name
    # the executed notebooks came back too, owner-only, naming no folder of the node's
    for t in remote.tasks:
        record = t.record.read_text()
        assert t.record.stat().st_mode & 0o077 == 0 and "benchmarks-report-" not in record and str(elsewhere) not in record


def test_a_warm_worker_that_dies_under_a_dask_thread_is_dropped_and_closed(tmp_path, monkeypatch):
    """The report it was rendering fails saying so, and the thread's next report starts a new worker rather than
    finding the dead one (whose pipes are closed, not leaked)."""
    import threading

    from benchmarks.render import executors
    from benchmarks.render.tasks import ReportTask
    from benchmarks.render.worker import WarmWorker

    notebook = tmp_path / "notebooks" / "district_report.ipynb"
    notebook.parent.mkdir()
    notebook.write_text("{}")
    task = ReportTask("district", "district_Dx", str(notebook), str(tmp_path / "reports"), {}, "x", home=str(tmp_path))
    render = WarmWorker.render

    def dying(self, task):
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        return render(self, task)

    monkeypatch.setattr(WarmWorker, "render", dying)
    ident = threading.get_ident()
    message = render_on_dask_worker(portable_task(task))
    started = executors._DASK_WORKERS.pop(ident, None)
    assert not message["ok"] and message["error"].startswith("WorkerDied"), message
    assert started is None  # dropped: the next report on this thread starts a new worker
