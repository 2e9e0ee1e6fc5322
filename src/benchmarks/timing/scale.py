"""Validating and ingesting one large generated file (`benchmarks intake-timing --rows 500000`): rows per second
and peak memory of each, each run in a process of its own, as `benchmarks validate` and `ingest` run it; with
--previous, also the way before chunks (the whole file validated at once, every table stored at once, unstaged)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.registry.metrics import STATES

#: A plausible row; districts, states, counties, sizes and school years vary (see write_national).
ROW = {"school_year": "2025-26", "district_id": "", "district_name": "", "state": "", "county": "",
       "locale": "Rural", "enrollment": "", "classrooms": "60", "student_devices": "", "devices_replaced": "300",
       "device_spend_usd": "90000", "bandwidth_mbps": "1000", "internet_monthly_cost_usd": "2500",
       "erate_discount": "0.8", "access_points": "70", "wifi6_access_points": "40", "helpdesk_tickets": "700",
       "median_resolution_hours": "18", "tech_staff_fte": "2.5"}
YEARS = 10
N_STATES = 50


def write_national(path: Path, rows: int) -> Path:
    """rows rows shaped like a national data set over ten school years: each year the same districts, spread
    over 50 states (1,000 districts a state at 500,000 rows), 37 counties a state."""
    states = [s for s in STATES if s != "PS"][:N_STATES]
    per_year = max(1, -(-rows // YEARS))
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(list(ROW))
        for i in range(rows):
            y, d = divmod(i, per_year)
            w.writerow(list({**ROW, "school_year": f"{2016 + y}-{(17 + y) % 100:02d}", "district_id": f"{1000000 + d}",
                             "district_name": f"District {d}", "state": states[d % N_STATES],
                             "county": f"County {d // N_STATES % 37}", "enrollment": str(800 + d * 7919 % 5000),
                             "student_devices": str(900 + d * 104729 % 4000)}.values()))
    return path


_CHILD = """
import sys
from pathlib import Path
from benchmarks.config import Paths
from benchmarks.privacy.keys import DEMO_KEY
step, file, root, previous = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4] == "1"
if previous:  # the way before chunks: the whole file at once, every derived table at once
    import benchmarks.intake.chunks as chunks
    import benchmarks.intake.submissions as submissions
    import benchmarks.pipeline.derive as derive
    chunks.CHUNK_ROWS = derive.PARTITION_ROWS = submissions.STAGE_ROWS = 10**12
    chunks.validate_in_chunks.__defaults__ = (None, 10**12)
    derive.rebuild_derived.__defaults__ = (10**12,)
if step == "validate":
    from benchmarks.intake.validate import validate_files
    [checked] = validate_files([file])
    print(checked.rows_read, len(checked.accepted), end=" ")
else:
    from benchmarks.pipeline.ingest import ingest_files
    [result] = ingest_files([file], Paths(root), DEMO_KEY)
    print(result.rows_read, result.rows_accepted, end=" ")
import resource
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # peak resident memory, MB
"""


@dataclass
class Step:
    name: str
    rows: int
    accepted: int
    seconds: float
    peak_mb: float
    warehouse_mb: float = 0.0

    def line(self) -> str:
        stored = f", warehouse {self.warehouse_mb:,.0f} MB" if self.warehouse_mb else ""
        return (f"{self.name}: {self.rows:,} rows ({self.accepted:,} accepted) in {self.seconds:,.1f} s = "
                f"{self.rows / self.seconds:,.0f} rows/s, peak memory {self.peak_mb:,.0f} MB{stored}")


def _run(step: str, file: Path, root: Path, previous: bool, timeout: float) -> tuple[str, float, float]:
    """(output, seconds, peak resident memory in MB) of one step in a child process."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, step, str(file), str(root), "1" if previous else "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return f"stopped after {timeout:,.0f} s", time.perf_counter() - start, float("nan")
    seconds = time.perf_counter() - start
    if proc.returncode:
        why = err.strip().splitlines()[-1] if err.strip() else f"exit status {proc.returncode} (out of memory?)"
        return f"failed: {why}", seconds, float("nan")
    last = out.strip().splitlines()[-1] if out.strip() else ""  # DuckDB may draw a progress bar above it
    return last, seconds, float(last.split()[-1]) if last else float("nan")


def measure_scale(rows: int, previous: bool = False, timeout: float = 1800, echo=print) -> list[str]:
    """Generate a rows-row file, validate and ingest it (and the previous way, with previous); the lines said."""
    lines = []
    with tempfile.TemporaryDirectory(prefix="intake-scale-") as tmp:
        file = write_national(Path(tmp) / f"national_{rows}.csv", rows)
        lines.append(f"generated {file.name}: {rows:,} rows, {file.stat().st_size / 1e6:,.1f} MB, {N_STATES} states, "
                     f"{YEARS} school years")
        echo(lines[-1])
        for way in [False, True] if previous else [False]:
            for step in ("validate", "ingest"):
                root = Path(tmp) / f"{step}-{int(way)}"
                root.mkdir()
                out, seconds, peak = _run(step, file, root, way, timeout)
                label = f"{step} ({'previous: whole file and tables at once' if way else 'in chunks'})"
                if not out.split() or not out.split()[0].isdigit():
                    lines.append(f"{label}: {out} after {seconds:,.1f} s")
                else:
                    read, accepted = map(int, out.split()[:2])
                    db = root / "data" / "processed" / "warehouse.duckdb"
                    size = db.stat().st_size / 1e6 if db.exists() else 0.0
                    lines.append(Step(label, read, accepted, seconds, peak, size).line())
                echo(lines[-1])
    return lines
