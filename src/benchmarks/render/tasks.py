"""Render tasks: one report to render as plain values (it travels as JSON to workers), and what became of it."""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path

from benchmarks.config import EXECUTED_FOLDER, executed_record, page


@dataclass(frozen=True)
class ReportTask:
    """One report to render: everything a worker needs, as plain values (it travels as JSON)."""

    kind: str
    stem: str
    notebook: str
    out_dir: str
    parameters: dict
    title: str
    fingerprint: str = ""
    label: str = ""  # how the run summary and the index name it (a district's name, or the title)
    #: the owner-only folder of its executed notebook (config.executed_folder: data/private/executed/<year>/);
    #: a task made by hand without one keeps it in out_dir/executed/
    records: str = ""
    #: the project home: the notebook runs there, and no record of the run holds a path above it
    home: str = ""
    #: the report's data as it carries it (reports.district.payload), so the worker needs no warehouse; the
    #: notebook receives it as its `report_data` parameter. Empty: the notebook reads the warehouse itself.
    report_data: str = ""

    @property
    def notebook_parameters(self) -> dict:
        return {**self.parameters, "report_data": self.report_data} if self.report_data else dict(self.parameters)

    @property
    def page(self) -> Path:
        return page(Path(self.out_dir), self.stem)

    @property
    def record(self) -> Path:
        return executed_record(Path(self.records) if self.records else Path(self.out_dir) / EXECUTED_FOLDER, self.stem)


@dataclass
class Outcome:
    """What became of one task: ok, or failed with where (cell) and why (error)."""

    stem: str
    ok: bool
    seconds: float = 0.0
    cell: int | None = None  # execution count of the failing cell (In [n]), when a cell failed
    error: str = ""
    worker: str = ""

    def describe(self) -> str:
        where = f"cell In [{self.cell}]: " if self.cell is not None else ""
        return f"{where}{self.error}"


class ReportFailed(RuntimeError):
    """A report rendered on request failed: the message names the cell and the error, and where the failed run is
    kept with its traceback (when it got as far as running). ename and evalue as papermill's own error carries them,
    so a damaged warehouse is still told as such (pipeline.faults.plain_fault)."""

    def __init__(self, outcome: Outcome, kept: str = ""):
        self.ename, self.evalue = "ReportFailed", outcome.error
        where = f"; the run, with its traceback, is kept in {kept}" if kept else ""
        super().__init__(f"the report failed: {outcome.describe()}{where}")


def temp_files(task: ReportTask) -> list[Path]:
    """Temporary files a render of `task` leaves if it is killed mid-write (by write_atomic and execute)."""
    stem = glob.escape(task.stem)
    return [*task.page.parent.glob(f".{stem}.html.*.tmp"), *task.record.parent.glob(f".{stem}.ipynb.*")]
