"""Faults the analyst can mend, each told in one sentence: a warehouse in use or damaged, a folder that cannot be
written (read-only, not ours, full)."""

from __future__ import annotations

import errno
from pathlib import Path

#: errno values that mean "this folder cannot be written" and what to do about it.
_CANNOT_WRITE = {
    errno.EACCES: "permission denied (a read-only folder, or not yours): make it writable and run this again",
    errno.EPERM: "permission denied (a read-only folder, or not yours): make it writable and run this again",
    errno.EROFS: "the file system is read-only: use a project folder on a writable disk (--root DIR)",
    errno.ENOSPC: "the disk is full: free some space and run this again",
    errno.EDQUOT: "the disk quota is used up: free some space and run this again",
}


def plain_fault(err: BaseException) -> str | None:
    """The one sentence for a fault the analyst can mend, or None for anything else (a bug: let it show)."""
    import duckdb

    from benchmarks.warehouse.store import WarehouseProblem, is_damage

    if isinstance(err, WarehouseProblem):
        return str(err)
    if isinstance(err, duckdb.Error):
        if is_damage(err):
            return ("the warehouse is damaged (a read ran past its end: truncated?); run `benchmarks rebuild` to "
                    "recreate it from the raw files kept in data/raw/")
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
