"""The same batch on a Dask cluster (a LocalCluster here) gives the same reports as on local workers."""

import pytest
from conftest import comparable

from benchmarks.render.batch import render_batch
from benchmarks.render.executors import EXECUTORS, DaskExecutor, LocalExecutor, executor
from benchmarks.reports.kinds import REPORT_KINDS

pytestmark = pytest.mark.slow


def test_executor_is_chosen_by_scheduler_address():
    assert set(EXECUTORS) == {"local", "dask"}
    assert isinstance(executor(workers=3), LocalExecutor) and executor(workers=3).workers == 3
    dask = executor(scheduler="tcp://127.0.0.1:8786")
    assert isinstance(dask, DaskExecutor) and dask.scheduler == "tcp://127.0.0.1:8786"


def test_dask_cluster_renders_the_same_reports_as_local_workers(demo_project, county_pages, tmp_path):
    from distributed import LocalCluster

    local = county_pages  # Kestrel County on this machine's warm workers, rendered once for the session
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        remote = render_batch(demo_project, "2025-26", county="Kestrel County", progress=False,
                              scheduler=cluster.scheduler_address, out_dir=tmp_path / "dask")
    assert local.ok and remote.ok and remote.where.startswith("Dask cluster at tcp://127.0.0.1")
    assert "local worker" in local.where
    # board summary, data quality, and the county's round-table page (a county's batch renders it with its districts)
    year_wide = sum(k.scope in ("year", "county") for k in REPORT_KINDS.values())
    assert len(remote.rendered) == len(local.rendered) == 9 + year_wide  # and Kestrel County's nine
    # rendered on the cluster's workers, not in this process's own workers
    assert {o.worker.split(":")[1] for o in remote.rendered}.isdisjoint({o.worker.split(":")[1] for o in local.rendered})
    # the session's reports folder may hold more (reports other tests asked for): the local run's own pages
    names = sorted(p.name for p in [*local.pages, local.index])
    assert names == sorted(p.name for p in (tmp_path / "dask").glob("*.html")) and len(names) == 9 + year_wide + 1  # index
    for name in names:
        a = comparable((local.index.parent / name).read_text())
        b = comparable((tmp_path / "dask" / name).read_text())
        assert a == b, name
