"""Staging a large intake run beside the warehouse: rows and derived tables are written a part at a time to a
DuckDB file of their own (each part committed, so DuckDB may spill it to disk), then copied into the warehouse's
transaction one statement per table, which DuckDB writes straight to the file instead of holding in memory.

Inside one transaction DuckDB keeps every uncommitted row in memory, whatever its memory limit: 500,000 submitted
rows (24 million peer-statistics rows) passed 14 GB that way. The staging file is under data/processed/staging/,
owner-only like the rest of data/; it holds pseudonyms and figures, no names, and is removed when the run ends
(a run killed midway leaves it for the next run to remove)."""

from __future__ import annotations

import contextlib
import gc
import itertools
import shutil
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pandas as pd

from benchmarks.files import private_folder

#: DuckDB's memory during an intake run: past it, committed data spills to a temporary folder beside the file
#: (removed when it closes). Without a cap DuckDB takes up to 80% of the machine's memory.
INTAKE_MEMORY_LIMIT = "500MB"
#: Rows put into the warehouse's transaction directly; a file with more is staged (STAGE_ROWS at a time).
STAGE_ROWS = 50_000
STAGING_FOLDER = "staging"
_ALIAS = "staging"
_USES = itertools.count(1)


def cap_memory(con: duckdb.DuckDBPyConnection, limit: str = INTAKE_MEMORY_LIMIT) -> None:
    """Hold DuckDB to limit for the rest of this connection (an intake run's)."""
    con.execute(f"SET memory_limit = '{limit}'")


def staging_folder(con: duckdb.DuckDBPyConnection) -> Path:
    """data/processed/staging/ beside the warehouse con has open."""
    path = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()[0][0]
    return Path(path).parent / STAGING_FOLDER


def clear_staging(folder: Path) -> None:
    """Remove what a run left in the staging folder (a run killed midway: nothing of it was committed)."""
    shutil.rmtree(folder, ignore_errors=True)


def store_parts(con: duckdb.DuckDBPyConnection, parts: Iterable[dict[str, pd.DataFrame]], insert: str | None = None) -> None:
    """Fill each table named in parts with the rows of all parts, inside con's transaction: each part's frames
    are committed to the staging file as they come (the caller computes the next part once this one is stored),
    then each table is copied over in one statement, types unified by column name (a column empty in one part
    takes the type of the parts that have values). insert: add the rows to the existing tables (columns by
    name, in row order, with the extra columns insert selects, e.g. a sequence's next value) instead of
    replacing them."""
    folder = staging_folder(con)
    private_folder(folder)
    # a database detached inside a transaction stays known to it until the commit: each use has a name of its own
    alias = f"{_ALIAS}_{next(_USES)}"
    file = folder / f"{alias}.duckdb"
    counts: dict[str, int] = {}
    try:
        with duckdb.connect(str(file)) as stage:
            cap_memory(stage)
            for part in parts:
                for name, frame in part.items():
                    counts[name] = counts.get(name, 0) + 1
                    stage.register("_part", frame)
                    try:
                        stage.execute(f"CREATE TABLE {name}_{counts[name]} AS SELECT * FROM _part")
                    finally:
                        stage.unregister("_part")
                del part, frame
                gc.collect()  # a frame handed to DuckDB is held in a reference cycle: free it before the next part
        con.execute(f"ATTACH '{file}' AS {alias} (READ_ONLY)")
        try:
            for name, count in counts.items():
                union = " UNION ALL BY NAME ".join(f"SELECT * FROM {alias}.{name}_{i}" for i in range(1, count + 1))
                con.execute(f"INSERT INTO {name} BY NAME SELECT *{insert} FROM ({union}) ORDER BY source_row"
                            if insert is not None else f"CREATE OR REPLACE TABLE {name} AS {union}")
        finally:
            con.execute(f"DETACH {alias}")
    finally:
        file.unlink(missing_ok=True)
        Path(f"{file}.wal").unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # the folder goes once empty (raw copies may wait in it for the commit)
            folder.rmdir()
