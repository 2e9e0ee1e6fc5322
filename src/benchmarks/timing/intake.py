"""How long validating and ingesting the whole demo state takes, against validating one row at a time."""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.config import Paths
from benchmarks.intake.reader import read_submission
from benchmarks.intake.schema import validate_rows
from benchmarks.intake.validate import validate_files
from benchmarks.pipeline.ingest import ingest_files
from benchmarks.privacy.keys import DEMO_KEY


@dataclass
class IntakeTiming:
    files: int
    rows: int
    validate_seconds: float
    ingest_seconds: float
    naive_seconds_per_row: float
    naive_sample: int

    @property
    def naive_seconds(self) -> float:
        return self.naive_seconds_per_row * self.rows

    def lines(self) -> list[str]:
        return [
            f"demo state: {self.files} files, {self.rows:,} rows",
            f"validate (read + schema, every row): {self.validate_seconds:.2f} s "
            f"({self.rows / self.validate_seconds:,.0f} rows/s)",
            f"ingest into a fresh warehouse (validate, store, quarantine, rebuild peer statistics): "
            f"{self.ingest_seconds:.2f} s ({self.rows / self.ingest_seconds:,.0f} rows/s)",
            f"naive way, the schema run on one row at a time: {self.naive_seconds_per_row * 1000:.1f} ms per row "
            f"(measured on {self.naive_sample} rows) = {self.naive_seconds:.1f} s for the state",
            f"ratio naive / whole-table validation: {self.naive_seconds / self.validate_seconds:,.0f}x",
        ]


def measure_intake(paths: Paths, naive_sample: int = 100) -> IntakeTiming:
    """Time validate_files and ingest_files on the committed demo submissions (in a scratch project)."""
    files = sorted(paths.demo.glob("submissions_*.csv"))
    if not files:
        raise FileNotFoundError(f"no demo submissions in {paths.demo}: run `benchmarks demo-data` first")
    validate_files(files[:1])  # warm up: imports and the schema are built once per process
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        checked = validate_files(files)
        best = min(best, time.perf_counter() - start)
    rows = sum(c.rows_read for c in checked)
    with tempfile.TemporaryDirectory(prefix="intake-timing-") as tmp:
        scratch = Paths(Path(tmp))
        start = time.perf_counter()
        ingest_files(files, scratch, DEMO_KEY)
        ingest = time.perf_counter() - start
        shutil.rmtree(scratch.data, ignore_errors=True)
    table = read_submission(files[-1].read_bytes(), files[-1].name)
    sample = table.frame.iloc[:naive_sample]
    start = time.perf_counter()
    for row in sample.index:
        validate_rows(sample.loc[[row]], files[-1].name, table.context)
    per_row = (time.perf_counter() - start) / len(sample)
    return IntakeTiming(len(files), rows, best, ingest, per_row, len(sample))
