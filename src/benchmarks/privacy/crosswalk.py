"""The crosswalk (pseudonym -> district ID and name), kept apart from the metrics in an owner-only file.

The warehouse holds only pseudonyms. The crosswalk lives in data/private/crosswalk.duckdb (folder 0700,
file 0600) and is read for one purpose: putting a district's own name on its own report, and telling the
analyst which report goes to which district. DuckDB cannot write two database files in one transaction, so
each name is recorded against the raw file it came from (source_sha256) and written before the warehouse
commits; a name counts only for a submission the warehouse holds, so a failed ingest leaves nothing in use.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb
import pandas as pd

from benchmarks.files import lock_down, private_folder
from benchmarks.privacy.keys import KeyProblem, pseudonym
from benchmarks.warehouse.queries import NotOnRecord, name_key
from benchmarks.warehouse.store import has_table, read_meta

SCHEMA = """
CREATE TABLE IF NOT EXISTS crosswalk (
    pseudonym VARCHAR NOT NULL,
    -- the raw file the name was submitted in; '' for names carried over from an older warehouse
    source_sha256 VARCHAR NOT NULL,
    district_id VARCHAR NOT NULL,
    district_name VARCHAR NOT NULL,
    PRIMARY KEY (pseudonym, source_sha256)
);
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
"""


def _lock_down(path: Path) -> None:
    """Owner-only folder and files: the crosswalk is the one table that says who a district is."""
    private_folder(path.parent)
    lock_down(path, path.with_name(path.name + ".wal"))


@contextmanager
def connect(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    path = Path(path)
    if read_only and not path.exists():
        raise FileNotFoundError(f"no crosswalk at {path}: run `benchmarks ingest` first")
    if not read_only:
        _lock_down(path)
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        if not read_only:
            con.execute(SCHEMA)
            _lock_down(path)
        yield con
    finally:
        con.close()
        if not read_only:
            _lock_down(path)


def _fingerprint(path: Path) -> str | None:
    """The key fingerprint the crosswalk was written under, if any."""
    if not Path(path).exists():
        return None
    with connect(path, read_only=True) as con:
        row = con.execute("SELECT value FROM meta WHERE key = 'key_fingerprint'").fetchone()
    return row[0] if row else None


def record(path: Path, rows: pd.DataFrame, key_fingerprint: str) -> None:
    """Store pseudonym, source_sha256, district_id, district_name rows (one transaction, replacing equal keys)."""
    with connect(path) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute("INSERT OR REPLACE INTO meta VALUES ('key_fingerprint', ?)", [key_fingerprint])
            if len(rows):
                con.register("_cw", rows[["pseudonym", "source_sha256", "district_id", "district_name"]])
                con.execute("INSERT OR REPLACE INTO crosswalk SELECT pseudonym, source_sha256, district_id, "
                            "district_name FROM _cw")
                con.unregister("_cw")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise


def names(path: Path, submissions: pd.DataFrame) -> pd.DataFrame:
    """district_id and district_name for each (pseudonym, source_sha256) row: the name given in that very file,
    else a carried-over name. Rows without an entry get no name (the caller decides what that means)."""
    with connect(path, read_only=True) as con:
        con.register("_want", submissions[["pseudonym", "source_sha256"]].drop_duplicates())
        out = con.execute(
            "SELECT w.pseudonym, w.source_sha256, coalesce(a.district_id, b.district_id) AS district_id, "
            "coalesce(a.district_name, b.district_name) AS district_name FROM _want w "
            "LEFT JOIN crosswalk a ON a.pseudonym = w.pseudonym AND a.source_sha256 = w.source_sha256 "
            "LEFT JOIN crosswalk b ON b.pseudonym = w.pseudonym AND b.source_sha256 = ''").df()
    return submissions.merge(out, on=["pseudonym", "source_sha256"], how="left")


def name_of(path: Path, pseudonym: str, source_sha256: str) -> str:
    """The name a district gave in the submission being reported on."""
    # one query rather than names()'s join of a registered frame: every report asks it once
    with connect(path, read_only=True) as con:
        row = con.execute("SELECT district_name FROM crosswalk WHERE pseudonym = ? AND source_sha256 IN (?, '') "
                          "ORDER BY district_name IS NULL, source_sha256 = '' LIMIT 1",
                          [pseudonym, source_sha256]).fetchone()
    if row is None or row[0] is None:
        raise LookupError(f"the crosswalk {path} has no name for district {pseudonym}: was it ingested with "
                          "this project's warehouse?")
    return str(row[0])


def identities(path: Path) -> pd.DataFrame:
    """Every (pseudonym, district_id) pair on record: for resolving districts the analyst names by ID."""
    with connect(path, read_only=True) as con:
        return con.execute("SELECT DISTINCT pseudonym, district_id FROM crosswalk").df()


def find(path: Path, district: str) -> tuple[str, str]:
    """(pseudonym, latest name) of a district given as a person types it: its submitted ID, its pseudonym or
    its name (case and spacing aside). A name two districts share is refused, listing those districts' IDs
    only (the analyst then gives one), never another district's name."""
    text = str(district).strip()
    with connect(path, read_only=True) as con:
        row = con.execute("SELECT pseudonym FROM crosswalk WHERE lower(district_id) = lower(?) "
                          "OR lower(pseudonym) = lower(?) LIMIT 1", [text, text]).fetchone()
        if row is None:
            every = con.execute("SELECT DISTINCT pseudonym, district_id, district_name FROM crosswalk").df()
            hits = every[every["district_name"].map(name_key) == name_key(text)]
            if hits["pseudonym"].nunique() > 1:
                ids = hits.drop_duplicates("pseudonym").sort_values("district_id")
                raise NotOnRecord(
                    f"{len(ids)} districts are named {text!r}: give the district's ID instead, one of "
                    + ", ".join(f"{i} ({n})" for i, n in zip(ids["district_id"], ids["district_name"])))
            row = (hits["pseudonym"].iloc[0],) if len(hits) else None
        if row is None:
            raise NotOnRecord(f"no district with ID, pseudonym or name {text!r} has submitted")
        return con.execute("SELECT pseudonym, district_name FROM crosswalk WHERE pseudonym = ? "
                           "ORDER BY source_sha256 = '' LIMIT 1", [row[0]]).fetchone()


def check_key(con, paths, key: bytes, fingerprint: str) -> None:
    """Refuse to mix pseudonyms of two keys: one district would appear as two, and names would go missing."""
    stored = {str(paths.warehouse): read_meta(con).get("key_fingerprint"),
              str(paths.crosswalk): _fingerprint(paths.crosswalk)}
    for where, fp in stored.items():
        if fp is not None and fp != fingerprint:
            raise KeyProblem(
                f"{where} was built with a different pseudonym key (fingerprint {fp}; the key in use has "
                f"{fingerprint}). Set $BENCHMARKS_KEY or $BENCHMARKS_KEY_FILE to the key it was built with, "
                "or start a new project folder: pseudonyms of two keys cannot be mixed.")
    if stored[str(paths.warehouse)] is None and has_table(con, "crosswalk"):
        row = con.execute("SELECT pseudonym, district_id FROM crosswalk LIMIT 1").fetchone()
        if row and pseudonym(key, row[1]) != row[0]:
            raise KeyProblem(f"{paths.warehouse} was built with a different pseudonym key than the one in use "
                             "(its pseudonyms do not match this key); use the key it was built with.")
