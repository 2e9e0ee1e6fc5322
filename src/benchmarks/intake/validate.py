"""Validating submission files before anything is stored: every row accepted or listed with its problems."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from benchmarks.intake.plausibility import unusual_values
from benchmarks.intake.reader import SourceTable, read_submission
from benchmarks.intake.schema import CONVERSION_COLUMNS, Problem, validate_rows
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

    def summary(self) -> str:
        return (f"{self.file}: {self.rows_read} rows read = {len(self.accepted)} accepted "
                f"+ {len(self.quarantined_rows)} quarantined")

    def lines(self, limit: int | None = None) -> list[str]:
        """What a person needs to read: notes on how the file was read, then each problem."""
        read_as = self.table.describe
        out = [f"{self.file}: note: read as {read_as}"] if read_as not in ("", "UTF-8, comma-separated") else []
        out += [f"{self.file}: note: {n}" for n in self.table.notes]
        if len(self.conversions):
            rules = self.conversions["rule"].value_counts()
            out.append(f"{self.file}: note: {len(self.conversions)} values converted on reading ("
                       + ", ".join(f"{rule}: {n}" for rule, n in rules.items()) + ")")
        for items, what in ((self.problems, "problems"), (self.flags, "values to confirm")):
            shown = items if limit is None else items[:limit]
            prefix = "" if what == "problems" else "to confirm: "
            out += [prefix + str(p) for p in shown]
            if len(shown) < len(items):
                out.append(f"{self.file}: ... and {len(items) - len(shown)} more {what}")
        return out


def check_file(data: bytes, file: str, school_years: YearsOnRecord | None = None) -> Checked:
    """Read and validate one file's bytes; never raises on bad content. school_years: the years on record (a
    school year outside them and the one after them is refused); none: any valid school year."""
    table = read_submission(data, file)
    if table.file_problems:
        return Checked(file, table, table.frame.iloc[:0], table.problems, pd.DataFrame(columns=CONVERSION_COLUMNS))
    broken = {p.row for p in table.problems}
    result = validate_rows(table.frame.drop(index=list(broken)), file, table.context, school_years)
    problems = _placed(table, sorted(table.problems + result.problems, key=lambda p: p.row or 0))
    flags = _placed(table, unusual_values(result.accepted, table.frame, file))
    checked = Checked(file, table, result.accepted, problems, result.conversions, flags)
    if checked.rows_read != len(checked.accepted) + len(checked.quarantined_rows):
        raise AssertionError(f"{file}: rows read != accepted + quarantined")  # an invariant, not bad input
    return checked


_ROWS_NAMED = re.compile(r"in row ([0-9]+(?:, [0-9]+)*)\)$")


def _placed(table: SourceTable, items: list[Problem]) -> list[Problem]:
    """Problems naming the sheet of each row they mention when a workbook's sheets were read together."""
    if len(table.sheets) < 2:
        return items

    def rows(m: re.Match) -> str:
        return "in " + ", ".join(table.place(int(r)) for r in m.group(1).split(", ")) + ")"

    return [replace(p, place=table.place(p.row), expected=_ROWS_NAMED.sub(rows, p.expected))
            if p.row is not None else p for p in items]


def read_bytes(file: Path) -> tuple[bytes, Problem | None]:
    try:
        return file.read_bytes(), None
    except OSError as exc:
        return b"", Problem(str(file), None, "(file)", "", f"a file that can be read ({exc.strerror})",
                            "unreadable file")


def unreadable(file: Path, problem: Problem) -> Checked:
    """A file that could not be read at all: one file-level problem, no rows."""
    table = SourceTable(str(file), pd.DataFrame(), [problem])
    return Checked(str(file), table, pd.DataFrame(), [problem], pd.DataFrame())


def validate_files(files: list[Path], warehouse: Path | None = None) -> list[Checked]:
    """Check every row of every file without storing anything (what a director runs before submitting). With
    the project's warehouse, school years are held to its years on record as ingest holds them."""
    school_years = years_of_warehouse(warehouse) if warehouse is not None else YearsOnRecord()
    results = []
    for file in map(Path, files):
        data, problem = read_bytes(file)
        if problem:
            results.append(unreadable(file, problem))
        else:
            results.append(check_file(data, str(file), school_years))
    return results


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
