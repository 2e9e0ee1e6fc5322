"""What a batch's tasks carry: every district report's data, read from the warehouse in one pass per chunk.

A district report's task carries its page's data (reports.district.payload), so its worker, here or on a
cluster node, opens no warehouse and reads no crosswalk: the batch reads them once for many districts instead
of once per report. Tasks are filled a chunk at a time as the executor takes them, so a nation's batch never
holds every district's data at once.
"""

from __future__ import annotations

import dataclasses
from itertools import islice
from typing import Iterable, Iterator

from benchmarks.config import Paths
from benchmarks.reports.district.data import iter_district_reports
from benchmarks.reports.district.payload import to_payload
from benchmarks.render.tasks import ReportTask

#: The report kinds whose tasks carry their data (the others read the warehouse on the machine running the batch).
CARRY_DATA = frozenset({"district"})
#: Districts read from the warehouse in one pass.
CHUNK = 500


def with_report_data(paths: Paths, year: str, tasks: Iterable[ReportTask], chunk: int = CHUNK) -> Iterator[ReportTask]:
    """The tasks in the same order, each district report's with its data."""
    tasks = iter(tasks)
    while batch := list(islice(tasks, chunk)):
        wanted = [t.parameters["district"] for t in batch if t.kind in CARRY_DATA]
        data = {r.pseudonym: to_payload(r) for r in iter_district_reports(paths.warehouse, year, wanted)} \
            if wanted else {}
        for task in batch:
            yield dataclasses.replace(task, report_data=data[task.parameters["district"]]) \
                if task.kind in CARRY_DATA else task
