"""Validating submission files before anything is stored: every row accepted or listed with its problems."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from benchmarks.intake.chunks import validate_in_chunks
from benchmarks.intake.limits import TEXT_LIMITED, Limits, OverLimit, check_size, is_refused
from benchmarks.intake.plausibility import changed_from_last_year, unusual_values
from benchmarks.intake.reader import SourceTable, read_submission
from benchmarks.intake.schema import CONFIRM_COLUMN, CONFIRM_WORDS, CONVERSION_COLUMNS, Problem
from benchmarks.intake.identifiers import YearsOnRecord
from benchmarks.warehouse.store import WarehouseProblem, connect, has_table


@dataclass
class Checked:
    """One file read and validated: every row it holds is either accepted or has at least one problem."""

    file: str
    table: SourceTable
    accepted: pd.DataFrame
    problems: list[Problem]
    conversions: pd.DataFrame
    #: Accepted values to confirm with the district (unusual, not impossible).
    flags: list[Problem] = field(default_factory=list)
    #: Flagged values the district confirmed as sent (a confirmation sheet's `confirmed` column): no longer flags.
    confirmed: list[Problem] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return len(self.table.frame)

    @property
    def quarantined_rows(self) -> list[int]:
        if self.table.file_problems:
            return list(self.table.frame.index)
        return sorted({p.row for p in self.problems if p.row is not None})

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def refused(self) -> bool:
        """Over a limit (intake/limits.py): refused before its rows were built, nothing of it stored."""
        return is_refused(self.table.file_problems)

    def release_rows(self) -> None:
        """Drop the rows' cells once they are stored, keeping their row numbers (the counts), the problems and
        the notes: a large file's cells are not held while the run goes on."""
        self.table.frame = self.table.frame.iloc[:, :0]
        self.accepted = self.accepted.iloc[:, :0]

    def summary(self) -> str:
        if self.refused:
            reason = self.table.file_problems[0].reason
            return f"{self.file}: refused ({reason}): nothing of it is read or stored"
        return (f"{self.file}: {self.rows_read} rows read = {len(self.accepted)} accepted "
                f"+ {len(self.quarantined_rows)} quarantined")

    def kinds(self) -> list[str]:
        """How many problems of each kind (by reason), most frequent first: one line for a long list."""
        counts = Counter(p.reason for p in self.problems)
        return [f"{n:,} {reason}" for reason, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]

    def lines(self, limit: int | None = None) -> list[str]:
        """What a person needs to read: notes on how the file was read, then each problem."""
        read_as = self.table.describe
        out = [f"{self.file}: note: read as {read_as}"] if read_as not in ("", "UTF-8, comma-separated") else []
        out += [f"{self.file}: note: {n}" for n in self.table.notes]
        if len(self.conversions):
            rules = self.conversions["rule"].value_counts()
            out.append(f"{self.file}: note: {len(self.conversions)} values converted on reading ("
                       + ", ".join(f"{rule}: {n}" for rule, n in rules.items()) + ")")
        if self.confirmed:
            out.append(f"{self.file}: note: {len(self.confirmed)} flagged values confirmed by the district as sent")
        for items, what in ((self.problems, "problems"), (self.flags, "values to confirm")):
            shown = items if limit is None else items[:limit]
            prefix = "" if what == "problems" else "to confirm: "
            out += [prefix + str(p) for p in shown]
            if len(shown) < len(items):
                out.append(f"{self.file}: ... and {len(items) - len(shown)} more {what}")
        return out


def check_file(data: bytes, file: str, school_years: YearsOnRecord | None = None,
               limits: Limits | None = None, earlier: Callable[[pd.DataFrame], pd.DataFrame] | None = None) -> Checked:
    """Read and validate one file's bytes under the limits (default: intake/limits.py); never raises on bad
    content. school_years: the years on record (a school year outside them and the one after them is
    refused); none: any valid school year. earlier: given the accepted rows, the rows on record before them
    (district_id, school_year and the fields), for the change from last year (earlier_rows)."""
    table = read_submission(data, file, limits)
    if table.file_problems:
        return Checked(file, table, table.frame.iloc[:0], table.problems, pd.DataFrame(columns=CONVERSION_COLUMNS))
    table.problems += long_text(table.frame, file, limits or Limits())
    broken = {p.row for p in table.problems}
    result = validate_in_chunks(table.frame.drop(index=list(broken)), file, table.context, school_years)
    problems = _placed(table, sorted(table.problems + result.problems, key=lambda p: p.row or 0))
    previous = earlier(result.accepted) if earlier is not None and len(result.accepted) else None
    flags = _placed(table, unusual_values(result.accepted, table.frame, file, previous))
    flags, confirmed = _confirmed(table, flags)
    checked = Checked(file, table, result.accepted, problems, result.conversions, flags, confirmed)
    if checked.rows_read != len(checked.accepted) + len(checked.quarantined_rows):
        raise AssertionError(f"{file}: rows read != accepted + quarantined")  # an invariant, not bad input
    return checked


def _confirmed(table: SourceTable, flags: list[Problem]) -> tuple[list[Problem], list[Problem]]:
    """The flags split into those still to confirm and those of rows the district marked confirmed."""
    if CONFIRM_COLUMN not in table.frame or not flags:
        return flags, []
    said = table.frame[CONFIRM_COLUMN].astype(str).str.strip().str.lower().isin(CONFIRM_WORDS)
    rows = set(table.frame.index[said.to_numpy()])
    return [f for f in flags if f.row not in rows], [f for f in flags if f.row in rows]


_ROWS_NAMED = re.compile(r"in row ([0-9]+(?:, [0-9]+)*)\)$")


def _placed(table: SourceTable, items: list[Problem]) -> list[Problem]:
    """Problems naming the sheet of each row they mention when a workbook's sheets were read together."""
    if len(table.sheets) < 2:
        return items

    def rows(m: re.Match) -> str:
        return "in " + ", ".join(table.place(int(r)) for r in m.group(1).split(", ")) + ")"

    return [replace(p, place=table.place(p.row), expected=_ROWS_NAMED.sub(rows, p.expected))
            if p.row is not None else p for p in items]


def long_text(frame, file: str, limits: Limits) -> Iterator[Problem]:
    """Problems for text cells over max_text_chars in the fields a report shows (the row is quarantined)."""
    for name in TEXT_LIMITED:
        if name not in frame:
            continue
        lengths = frame[name].astype(str).str.strip().str.len()
        for row in frame.index[(lengths > limits.max_text_chars).to_numpy()]:
            text = str(frame.at[row, name])
            yield Problem(file, int(row), name, text[:40] + "…", f"at most {limits.max_text_chars:,} characters "
                          f"(this one has {len(text.strip()):,})", "text over the length limit")


def read_bytes(file: Path, limits: Limits | None = None) -> tuple[bytes, Problem | None]:
    """The file's bytes, or the problem: unreadable, or over the size limit (then it is not read at all)."""
    try:
        check_size(file.stat().st_size, limits or Limits())
        return file.read_bytes(), None
    except OverLimit as over:
        return b"", Problem(str(file), None, "(file)", "", over.expected, over.reason)
    except OSError as exc:
        return b"", Problem(str(file), None, "(file)", "", f"a file that can be read ({exc.strerror})",
                            "unreadable file")


def unreadable(file: Path, problem: Problem) -> Checked:
    """A file that could not be read at all: one file-level problem, no rows."""
    table = SourceTable(str(file), pd.DataFrame(), [problem])
    return Checked(str(file), table, pd.DataFrame(), [problem], pd.DataFrame())


def validate_files(files: list[Path], limits: Limits | None = None, warehouse: Path | None = None,
                   key: bytes | None = None) -> list[Checked]:
    """Check every row of every file without storing anything (what a director runs before submitting), each
    under the limits (default: intake/limits.py). With the project's warehouse, school years are held to its
    years on record as ingest holds them, and (with the key) a change from last year is checked against its
    rows as well as against the other files given."""
    school_years = years_of_warehouse(warehouse) if warehouse is not None else YearsOnRecord()
    results = []
    for file in map(Path, files):
        data, problem = read_bytes(file, limits)
        if problem:
            results.append(unreadable(file, problem))
        else:
            results.append(check_file(data, str(file), school_years, limits, _warehouse_rows(warehouse, key)))
    together = [r.accepted.assign(_file=r.file) for r in results if len(r.accepted)]
    if len(together) > 1:  # the years of one district in several files: each checked against the year before
        pool = pd.concat(together)
        for r in results:
            if len(r.accepted):
                more = changed_from_last_year(r.accepted, r.table.frame, r.file, pool[pool["_file"] != r.file])
                flags, confirmed = _confirmed(r.table, _placed(r.table, more))
                r.flags, r.confirmed = sorted(r.flags + flags, key=lambda p: p.row), r.confirmed + confirmed
    return results


def earlier_rows(con, key: bytes) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """For accepted rows, the current row of each of their districts' earlier years on record in an open
    warehouse, under the rows' own district_id (found by its pseudonym with the key)."""
    from benchmarks.privacy.keys import pseudonym

    def earlier(accepted: pd.DataFrame) -> pd.DataFrame:
        if not has_table(con, "submissions"):
            return pd.DataFrame(columns=["district_id", "school_year"])
        ids = {pseudonym(key, d): d for d in accepted["district_id"].unique()}
        rows = con.execute("""SELECT * FROM submissions WHERE list_contains(?::VARCHAR[], pseudonym)
            QUALIFY row_number() OVER (PARTITION BY pseudonym, school_year ORDER BY received_seq DESC) = 1""",
                           [list(ids)]).df()
        return rows.assign(district_id=rows["pseudonym"].map(ids))

    return earlier


def _warehouse_rows(warehouse: Path | None, key: bytes | None) -> Callable[[pd.DataFrame], pd.DataFrame] | None:
    """earlier_rows of the project's warehouse, opened only for the query (none without warehouse or key)."""
    import duckdb

    if warehouse is None or key is None or not Path(warehouse).exists():
        return None

    def earlier(accepted: pd.DataFrame) -> pd.DataFrame | None:
        try:
            with connect(Path(warehouse), read_only=True, wait=0) as con:
                return earlier_rows(con, key)(accepted)
        except (duckdb.Error, WarehouseProblem):  # held by a running ingest: ingest checks it
            return None

    return earlier


def years_of_warehouse(warehouse: Path) -> YearsOnRecord:
    """The school years a project's warehouse holds (none when it has no warehouse yet)."""
    import duckdb

    if not Path(warehouse).exists():
        return YearsOnRecord()
    try:  # no wait: a running ingest holding it does not hold up validate
        with connect(Path(warehouse), read_only=True, wait=0) as con:
            return years_on_record(con)
    except (duckdb.Error, WarehouseProblem):  # held by a running ingest (or damaged): the form is checked, the
        return YearsOnRecord()               # years are checked on ingest


def years_on_record(con) -> YearsOnRecord:
    """The school years of an open warehouse's district_metrics (as it stood when the intake run began: it is
    rebuilt just before the commit), split into years with submissions and years of public data only."""
    if not (has_table(con, "district_metrics") and has_table(con, "submissions")):
        return YearsOnRecord()
    rows = con.execute("""
        SELECT school_year, bool_or(EXISTS (SELECT 1 FROM submissions s WHERE s.pseudonym = d.pseudonym
                                            AND s.school_year = d.school_year)) AS submitted
        FROM district_metrics d GROUP BY school_year ORDER BY school_year""").fetchall()
    return YearsOnRecord(tuple(y for y, sub in rows if sub), tuple(y for y, sub in rows if not sub))


#: Problems printed per file by `benchmarks validate`; the full list goes to a file (problems_file).
SHOWN_PROBLEMS = 20


def problems_file(folder: Path, checked: Checked) -> Path:
    """Where validate writes a file's full list of problems: <folder>/<file stem>-problems.csv (the project's
    data/validate/, owner-only like all of data/: the list quotes the file's cells)."""
    stem = re.sub(r"[^\w.-]+", "_", Path(checked.file).stem)[:60] or "file"
    return folder / f"{stem}-problems.csv"


def write_problems(target: Path, checked: Checked) -> None:
    """Every problem of a file as a spreadsheet-safe CSV: file, row, column, value, expected, reason."""
    from benchmarks.files import private_folder, write_atomic
    from benchmarks.privacy.sheets import csv_bytes

    private_folder(target.parent)
    frame = pd.DataFrame([(p.file, p.row, p.column, p.value, p.expected, p.reason) for p in checked.problems],
                         columns=["file", "row", "column", "value", "expected", "reason"])
    write_atomic(target, csv_bytes(frame.astype({"row": "Int64"})), private=True)


def validation_report(results: list[Checked], folder: Path, shown: int = SHOWN_PROBLEMS) -> list[str]:
    """What `benchmarks validate` prints: per file the summary, the notes and the first problems; for a file with
    more, a count per kind and where the full list was written (folder)."""
    out = []
    for r in results:
        out += [r.summary(), *r.lines(shown)]
        if len(r.problems) > shown:
            target = problems_file(folder, r)
            write_problems(target, r)
            out.append(f"{r.file}: {len(r.problems):,} problems: " + ", ".join(r.kinds()))
            out.append(f"{r.file}: every problem, with its row, column, value and what was expected: {target}")
    return out
