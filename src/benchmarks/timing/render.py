"""The rendering benchmark: the naive per-district papermill + nbconvert loop and the papermill API loop
against the batch renderer.

All three render the same sample of demo districts in one run on this machine, into a scratch project
(the demo state ingested afresh), so the user's own reports are never touched. The naive way is what
a user would script: for each district, the papermill CLI, then the jupyter nbconvert CLI, one after
the other. The API loop is what a careful user would write in Python instead: one process, one HTML
exporter, and per district `papermill.execute_notebook` in a fresh kernel, then the page exported in that
same process with the CLI's options. Peak memory is the largest total resident memory of the whole process tree seen while
each side runs (sampled every 50 ms; an upper bound for the batch, whose forked processes share pages).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from benchmarks.config import Paths, district_stem
from benchmarks.pipeline.ingest import ingest_files
from benchmarks.privacy.keys import DEMO_KEY
from benchmarks.render.batch import render_batch
from benchmarks.render.executors import default_workers
from benchmarks.render.notebook import KERNEL_NAME, ensure_kernel
from benchmarks.reports.html import TEMPLATES
from benchmarks.reports.kinds import REPORT_KINDS
from benchmarks.warehouse.queries import latest_year
from benchmarks.warehouse.store import query

#: The demo state's size, shaped like Illinois.
STATE_DISTRICTS = 860


class PeakMemory:
    """Samples the resident memory of this process and all its descendants until stopped."""

    def __init__(self, interval: float = 0.05):
        import psutil

        self._psutil, self.interval, self.peak = psutil, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _total(self) -> int:
        me = self._psutil.Process()
        total = 0
        for proc in [me, *me.children(recursive=True)]:
            try:
                total += proc.memory_info().rss
            except (self._psutil.NoSuchProcess, self._psutil.AccessDenied):
                pass
        return total

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, self._total())

    def __enter__(self) -> Self:
        self.peak = self._total()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Timing:
    label: str
    seconds: float
    reports: int
    peak_bytes: int

    @property
    def per_report(self) -> float:
        return self.seconds / self.reports

    def line(self) -> str:
        return (f"{self.label}: {self.seconds:.1f} s for {self.reports} reports = {self.per_report:.2f} s per report, "
                f"peak memory {self.peak_bytes / 2**30:.2f} GB")


def scratch_project(paths: Paths, root: Path) -> Paths:
    """A project folder under `root` with this project's own notebooks (if it has any) and the demo state
    ingested."""
    scratch = Paths(root)
    if paths.notebooks.is_dir():
        shutil.copytree(paths.notebooks, scratch.notebooks)
    ingest_files(sorted(paths.demo.glob("submissions_*.csv")), scratch, DEMO_KEY)
    return scratch


def sample_districts(paths: Paths, year: str, size: int) -> list[str]:
    """`size` districts spread evenly over the year's districts in pseudonym order (so over all counties)."""
    everyone = query(paths.warehouse, "SELECT pseudonym FROM district_metrics WHERE school_year = ? "
                                      "ORDER BY pseudonym", [year])["pseudonym"].tolist()
    if size >= len(everyone):
        return everyone
    step = len(everyone) / size
    return [everyone[int(i * step)] for i in range(size)]


def naive_commands(paths: Paths, year: str, district: str, out: Path) -> list[list[str]]:
    """The two CLI calls a user would script per district: papermill, then jupyter nbconvert."""
    bin_dir = Path(sys.executable).parent
    executed = out / f"{district_stem('district', district)}.ipynb"
    notebook = paths.notebook(REPORT_KINDS["district"].notebook)
    return [
        [str(bin_dir / "papermill"), "--no-progress-bar", "-k", KERNEL_NAME, "--cwd", str(notebook.parent),
         str(notebook), str(executed),
         "-p", "warehouse", str(paths.warehouse), "-p", "school_year", year, "-p", "district", district],
        [str(bin_dir / "jupyter"), "nbconvert", "--to", "html", "--template", "offline",
         f"--TemplateExporter.extra_template_basedirs={TEMPLATES}", "--no-input", "--output-dir", str(out),
         str(executed)],
    ]


def nbconvert_exporter():
    """nbconvert's HTMLExporter set as the naive loop's CLI call sets it (--template offline, the project's
    templates, --no-input), so the API loop's pages are the naive loop's."""
    from nbconvert import HTMLExporter
    from nbconvert.nbconvertapp import nbconvert_flags

    no_input = nbconvert_flags["no-input"][0]["TemplateExporter"]
    return HTMLExporter(template_name="offline", extra_template_basedirs=[str(TEMPLATES)], **no_input)


def run_api(paths: Paths, year: str, districts: list[str], out: Path) -> None:
    """Per district, papermill.execute_notebook in a fresh kernel (the naive loop's kernel, parameters and
    working folder), then the executed notebook exported to HTML in this process; one exporter for all."""
    import papermill as pm

    out.mkdir(parents=True, exist_ok=True)
    notebook = paths.notebook(REPORT_KINDS["district"].notebook)
    exporter = nbconvert_exporter()
    for district in districts:
        stem = district_stem("district", district)
        nb = pm.execute_notebook(str(notebook), str(out / f"{stem}.ipynb"), kernel_name=KERNEL_NAME,
                                 parameters={"warehouse": str(paths.warehouse), "school_year": year,
                                             "district": district},
                                 cwd=str(notebook.parent), progress_bar=False)
        # the CLI names the page's resources after the notebook file; the same here
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": stem}})
        (out / f"{stem}.html").write_text(body, encoding="utf-8")


def run_naive(paths: Paths, year: str, districts: list[str], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for district in districts:
        for command in naive_commands(paths, year, district, out):
            done = subprocess.run(command, check=False, capture_output=True, text=True)
            if done.returncode:
                raise RuntimeError(f"naive render of {district} failed: {' '.join(command[:2])}\n{done.stderr[-2000:]}")


#: The initiative asked of each district on request: a planned value for one metric.
ON_REQUEST_PLAN = "devices_per_student=1.0"


def run_on_request(paths: Paths, districts: list[str]) -> dict[str, list[float]]:
    """Seconds of `benchmarks report --district` and `benchmarks initiative` for each district, each typed as a
    user types it: a fresh process, start-up included (the pages go to the scratch project's reports/)."""
    script = Path(sys.executable).parent / "benchmarks"
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "benchmarks.cli"]
    asks = {"report": ["report"], "initiative": ["initiative", "--plan", ON_REQUEST_PLAN]}
    seconds: dict[str, list[float]] = {name: [] for name in asks}
    for district in districts:
        for name, ask in asks.items():
            start = time.perf_counter()
            done = subprocess.run([*command, "--root", str(paths.root), *ask, "--district", district],
                                  check=False, capture_output=True, text=True)
            seconds[name].append(time.perf_counter() - start)
            if done.returncode:
                raise RuntimeError(f"benchmarks {name} --district {district} failed:\n{done.stderr[-2000:]}")
    return seconds


def timed(run) -> tuple[object, float, int]:
    """What run() returns, its seconds and the peak memory of the whole process tree while it ran."""
    with PeakMemory() as memory:
        start = time.perf_counter()
        value = run()
        seconds = time.perf_counter() - start
    return value, seconds, memory.peak


def run_benchmark(paths: Paths, sample: int = 50, workers: int | None = None, echo=print) -> float:
    """Render the same sample three ways (naive CLIs, papermill API loop, batch), print seconds per report, peak
    memory and the projection for the whole state of each, `speedup vs API loop: <ratio>x`, and
    `speedup: <ratio>x` (naive / batch) last; returns that ratio."""
    with tempfile.TemporaryDirectory(prefix="benchmarks-bench-") as tmp:
        root = Path(tmp)
        echo("Preparing a scratch project with the demo state ...")
        scratch = scratch_project(paths, root / "project")
        year = latest_year(scratch.warehouse)
        districts = sample_districts(scratch, year, sample)
        ensure_kernel()
        echo(f"Sample: {len(districts)} demo districts of {year}; this machine has {default_workers()} cores.")
        # One untimed naive render first, so every way finds the files in the OS cache.
        run_naive(scratch, year, districts[:1], root / "warm-up")

        naive_dir, api_dir, batch_dir = root / "naive", root / "api", root / "batch"
        n = len(districts)
        echo("Naive: papermill then jupyter nbconvert per district, one after the other ...")
        _, seconds, peak = timed(lambda: run_naive(scratch, year, districts, naive_dir))
        naive = Timing("naive (papermill + nbconvert CLIs per district)", seconds, n, peak)
        echo(naive.line())

        echo("API loop: papermill.execute_notebook then nbconvert's HTMLExporter per district, in one process ...")
        _, seconds, peak = timed(lambda: run_api(scratch, year, districts, api_dir))
        api = Timing("API loop (papermill.execute_notebook + HTMLExporter per district)", seconds, n, peak)
        echo(api.line())

        echo("Batch: benchmarks' batch renderer ...")
        result, seconds, peak = timed(lambda: render_batch(
            scratch, year, districts=districts, kinds=["district"], workers=workers, force=True, progress=False,
            out_dir=batch_dir, echo=lambda _: None))
        batch = Timing(f"batch ({result.where})", seconds, n, peak)
        wanted = {f"{district_stem('district', d)}.html" for d in districts}
        if result.failed or any({p.name for p in folder.glob("*.html")} != wanted for folder in (naive_dir, api_dir)):
            raise RuntimeError("the three ways did not render every report of the sample: "
                               + "; ".join(result.summary()))
        echo(batch.line())
        echo("On request: `benchmarks report --district` and `benchmarks initiative`, a fresh process each ...")
        for name, times in run_on_request(scratch, districts[:3]).items():
            each = sum(times) / len(times)
            echo(f"on request, benchmarks {name}: {each:.1f} s per page, start-up included (mean of {len(times)}); "
                 f"the naive CLIs take {naive.per_report:.1f} s per page: {naive.per_report / each:.1f}x")
        for t in (naive, api, batch):
            echo(f"projected for the whole state ({STATE_DISTRICTS} districts), {t.label.split(' (')[0]}: "
                 f"{t.per_report * STATE_DISTRICTS / 60:.1f} min")
        echo(f"speedup vs API loop: {api.per_report / batch.per_report:.1f}x")
        ratio = naive.per_report / batch.per_report
        echo(f"speedup: {ratio:.1f}x")
        return ratio
