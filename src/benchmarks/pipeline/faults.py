"""Faults the analyst can mend, each told in one sentence: a warehouse in use or damaged, a folder that cannot be
written (read-only, not ours, full)."""

from __future__ import annotations

import errno
import os
import re
import tempfile
from pathlib import Path

#: A school year as typed: 2025-26, 2025-2026 or 2025 (nothing path-like ever reaches a file name).
_YEAR_TYPED = re.compile(r"\d{4}(?:[-/\u2013](?:\d{2}|\d{4}))?")

#: errno values that mean "this folder cannot be written" and what to do about it.
_CANNOT_WRITE = {
    errno.EACCES: "permission denied (a read-only folder, or not yours): make it writable and run this again",
    errno.EPERM: "permission denied (a read-only folder, or not yours): make it writable and run this again",
    errno.EROFS: "the file system is read-only: use a project folder on a writable disk (--root DIR)",
    errno.ENOSPC: "the disk is full: free some space and run this again",
    errno.EDQUOT: "the disk quota is used up: free some space and run this again",
}


_DAMAGED = ("the warehouse is damaged (a read ran past its end: truncated?); run `benchmarks rebuild` to recreate "
            "it from the raw files kept in data/raw/")


def plain_fault(err: BaseException) -> str | None:
    """The one sentence for a fault the analyst can mend, or None for anything else (a bug: let it show)."""
    import duckdb

    from benchmarks.render.tasks import ReportFailed
    from benchmarks.warehouse.store import _DAMAGE, WarehouseProblem, is_damage

    if isinstance(err, WarehouseProblem):
        return str(err)
    if getattr(err, "ename", None) and getattr(err, "evalue", None):  # a notebook's cell failed (papermill)
        if any(d in str(err.evalue).lower() for d in _DAMAGE):
            return _DAMAGED
        return str(err) if isinstance(err, ReportFailed) else None  # it names the cell and the kept record
    if isinstance(err, duckdb.Error):
        if is_damage(err):
            return _DAMAGED
        if isinstance(err, duckdb.IOException) and "no space left" in str(err).lower():
            return "the disk is full: DuckDB could not write the warehouse; free some space and run this again"
        if isinstance(err, duckdb.IOException) and "permission denied" in str(err).lower():
            return ("cannot write the warehouse: permission denied (a read-only folder, or not yours); make "
                    "data/processed/ writable and run this again")
        return None
    if isinstance(err, OSError) and err.errno in _CANNOT_WRITE:
        target = Path(err.filename) if err.filename else None
        if target is not None and target.name.startswith(".") and target.suffix == ".tmp":
            target = target.parent  # write_atomic's temporary file: the folder is what could not be written
        return f"cannot write {target or 'a file'}: {_CANNOT_WRITE[err.errno]}"
    return None


def check_reports_writable(paths, school_year: str | None = None) -> None:
    """Before a render: the school year's reports folder can be written (a probe file made and removed in it, or
    in the nearest folder above it that exists: a refused request leaves no folder behind), else the OSError
    that plain_fault tells in one sentence, before any worker starts. NotOnRecord for a year the warehouse
    does not hold."""
    from benchmarks.warehouse.queries import resolve_year

    target = folder = Path(paths.reports) / resolve_year(paths.warehouse, school_year)
    while not folder.is_dir() and folder.parent != folder:
        folder = folder.parent
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".write-check-", suffix=".tmp")
    except OSError as err:  # said of the folder the reports go to
        raise OSError(err.errno, err.strerror, str(target)) from err
    os.close(fd)
    os.unlink(probe)


def year_typed(option: str, value: str | None) -> str | None:
    """The year given to `option` as typed, when it is written like a school year (2025-26, 2025-2026, 2025) or
    empty; a ValueError in one sentence otherwise (a path such as ../../x never reaches a file name)."""
    if value is None or not str(value).strip() or _YEAR_TYPED.fullmatch(re.sub(r"\s+", "", str(value))):
        return value
    raise ValueError(f"{option} {value!r} is not a school year: give it as 2025-26, 2025-2026 or 2025")
