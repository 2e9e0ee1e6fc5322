"""Public district connectivity data (Connect K-12 / EducationSuperHighway district files): import and read back."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.config import quarantine_file
from benchmarks.intake.archive import IntakeRun, sha256
from benchmarks.intake.quarantine import store_quarantine, write_quarantine
from benchmarks.intake.reader import decode
from benchmarks.intake.schema import NCES_ID_DIGITS
from benchmarks.privacy.keys import pseudonym
from benchmarks.registry.metrics import LOCALE_ALIASES, LOCALES
from benchmarks.registry.years import funding_school_year
from benchmarks.warehouse.store import insert_frame, query

#: Our column <- the publisher's column. Everything else in the file stays in the raw copy only.
COLUMNS = {
    "district_id": "nces_cd",
    "district_name": "name",
    "state": "postal_cd",
    "county": "county",
    "locale": "locale",
    "enrollment": "num_students",
    "exclude_from_analysis": "exclude_from_analysis",
    "bandwidth_kbps_per_student": "ia_bandwidth_per_student",
    "cost_per_mbps_usd": "monthly_ia_cost_per_mbps",
    "total_bandwidth_mbps": "total_ia_bw_mbps",
}
NUMBERS = ("enrollment", "bandwidth_kbps_per_student", "cost_per_mbps_usd", "total_bandwidth_mbps")
#: How the publisher writes a missing value (R's NA) besides an empty cell.
MISSING = ("", "NA", "N/A")
_FLAGS = {"TRUE": True, "FALSE": False}
_LOCALE = {**{v: v for v in LOCALES}, **LOCALE_ALIASES}
STORED = ["pseudonym", "funding_year", "school_year", "state", "county", "locale", "enrollment",
          "bandwidth_kbps_per_student", "cost_per_mbps_usd", "total_bandwidth_mbps", "exclude_from_analysis",
          "source_sha256", "source_row"]


class PublicFileError(ValueError):
    """The file is not in the publisher's format; the message names the file and what was expected."""


@dataclass
class ImportResult:
    file: str
    sha256: str
    funding_year: int | None
    rows_read: int
    rows_imported: int
    rows_rejected: int
    rows_flagged: int
    already_imported: bool = False
    school_year: str = ""

    def __str__(self) -> str:
        if self.already_imported:
            return f"{self.file}: already imported (sha256 {self.sha256[:12]}), nothing changed"
        return (f"{self.file}: {self.rows_read} rows read = {self.rows_imported} imported + {self.rows_rejected} "
                f"rejected (funding year {self.funding_year}, school year {self.school_year}; "
                f"{self.rows_flagged} flagged by the publisher as unreliable: kept, left out of every statistic)")


def funding_year_from_name(name: str) -> int | None:
    m = re.search(r"fy[_-]?(\d{4})", name, re.I)
    return int(m.group(1)) if m else None


def read_public_bandwidth(data: bytes, file: str) -> tuple[pd.DataFrame, list[tuple[int, str]], list[list[str]]]:
    """Rows in our columns (index: the row number a spreadsheet shows), rejected rows with reasons, and the
    header plus raw cells of every row (for the quarantine)."""
    text, _, problem = decode(data)
    if problem:
        raise PublicFileError(f"{file}: expected {problem}")
    records = [r for r in csv.reader(io.StringIO(text, newline="")) if any(c.strip() for c in r)]
    if not records:
        raise PublicFileError(f"{file}: expected a header row and data rows (the file is empty)")
    header = [h.strip().lstrip("\ufeff") for h in records[0]]
    missing = [c for c in COLUMNS.values() if c not in header]
    if missing:
        raise PublicFileError(f"{file}: expected the Connect K-12 / EducationSuperHighway district columns; "
                              f"missing: {', '.join(missing)}")
    rows = records[1:]
    raw = pd.DataFrame([r[:len(header)] + [""] * (len(header) - len(r)) for r in rows], columns=header,
                       index=pd.RangeIndex(2, 2 + len(rows)), dtype=object)
    out = pd.DataFrame(index=raw.index)
    reasons: dict[int, list[str]] = {}

    def reject(mask: pd.Series, words: str) -> None:
        for row in raw.index[mask.to_numpy()]:
            reasons.setdefault(int(row), []).append(words)

    reject(pd.Series([len(r) != len(header) for r in rows], index=raw.index), f"{len(header)} cells like the header")
    ids = raw["nces_cd"].str.strip()
    reject(~ids.str.fullmatch(r"\d{1,%d}" % NCES_ID_DIGITS), "column nces_cd: an NCES district id of up to 7 digits")
    out["district_id"] = ids.str.zfill(NCES_ID_DIGITS)
    reject(out["district_id"].duplicated(), "column nces_cd: each district once (this id appears on an earlier row)")
    for col in ("district_name", "county"):
        out[col] = raw[COLUMNS[col]].str.strip()
    reject(out["district_name"] == "", "column name: the district's name")
    out["state"] = raw["postal_cd"].str.strip().str.upper()
    reject(~out["state"].str.fullmatch(r"[A-Z]{2}"), "column postal_cd: a two-letter state code")
    out["locale"] = raw["locale"].str.strip().map(_LOCALE)
    reject(out["locale"].isna(), "column locale: one of " + ", ".join(_LOCALE))
    flags = raw["exclude_from_analysis"].str.strip().str.upper()
    reject(~flags.isin(list(_FLAGS)), "column exclude_from_analysis: TRUE or FALSE")
    out["exclude_from_analysis"] = flags.map(_FLAGS).fillna(True).astype(bool)
    for col in NUMBERS:
        cells = raw[COLUMNS[col]].str.strip()
        absent = cells.isin(MISSING)
        values = pd.to_numeric(cells.where(~absent), errors="coerce").astype("float64")
        reject((values.isna() & ~absent) | ~np.isfinite(values.fillna(0)) | (values < 0),
               f"column {COLUMNS[col]}: a number of zero or more, or NA")
        out[col] = values
    rejected = sorted((row, "; ".join(words)) for row, words in reasons.items())
    return out.drop(index=[r for r, _ in rejected]), rejected, [header] + rows


def store_public_file(run: IntakeRun, file: Path, funding_year: int | None = None,
                      school_year: str | None = None) -> ImportResult:
    """Import one public district file inside an intake run: raw copy kept, rows pseudonymized.

    Rows of the same funding year and states as the file replace the earlier import of those; rows the
    publisher flagged as unreliable are kept with their flag (statistics leave them out). school_year: the
    school year the figures stand for (default: the one the funding year pays for, registry.years).
    """
    file = Path(file)
    data = file.read_bytes()
    sha = sha256(data)
    year = funding_year or funding_year_from_name(file.name)
    if year is None:
        raise PublicFileError(f"{file}: give the E-rate funding year (--year 2015): the file name does not say it")
    frame, rejected, records = read_public_bandwidth(data, str(file))
    if run.already_archived(sha):
        return ImportResult(str(file), sha, year, 0, 0, 0, 0, already_imported=True)
    key, con = run.key, run.con
    rows = frame.copy()
    rows["pseudonym"] = [pseudonym(key, d) for d in rows["district_id"]]
    rows["funding_year"] = year
    rows["school_year"] = school_year or funding_school_year(year)
    rows["source_sha256"] = sha
    rows["source_row"] = rows.index.astype("int64")
    header = records[0]
    states = sorted(rows["state"].unique())
    con.execute("DELETE FROM public_bandwidth WHERE funding_year = ? AND list_contains(?, state)", [year, states])
    insert_frame(con, "public_bandwidth", rows[STORED])
    if rejected:
        # the warehouse keeps row and reasons (the reasons quote nothing); the cells as sent go to the
        # analyst's owner-only quarantine file
        by_row = {i + 2: r for i, r in enumerate(records[1:])}
        store_quarantine(con, sha, [r for r, _ in rejected], [w for _, w in rejected])
        cells = pd.DataFrame([by_row[r][:len(header)] + [""] * (len(header) - len(by_row[r])) for r, _ in rejected],
                             columns=header, dtype=str)
        quarantined = pd.concat([pd.DataFrame({"source_row": [r for r, _ in rejected],
                                               "problems": [w for _, w in rejected]}), cells], axis=1)
        target = quarantine_file(run.paths, sha, file.name)
        run.after_commit.append(lambda: write_quarantine(target, quarantined, as_xlsx_too=False))
    run.archive(file, data, sha, "public_bandwidth", len(records) - 1, len(rows), len(rejected),
                f"public bandwidth data, funding year {year}")
    # Names and NCES ids go to the private crosswalk, tied to this file; a report uses the name its
    # district submitted, so a district's own name wins over the publisher's capitals.
    run.names.append(rows.assign(source_sha256=sha)[["pseudonym", "source_sha256", "district_id", "district_name"]])
    return ImportResult(str(file), sha, year, len(records) - 1, len(rows), len(rejected),
                        int(rows["exclude_from_analysis"].sum()), school_year=rows["school_year"].iat[0])


def load_public_bandwidth(warehouse: Path | str, funding_year: int | None = None, state: str | None = None,
                          include_excluded: bool = True) -> pd.DataFrame:
    """The imported public bandwidth table (pseudonymized), optionally one funding year, one state, or only the
    rows the publisher considered reliable (include_excluded=False)."""
    return query(Path(warehouse), f"""
        SELECT {', '.join(STORED[:-2])} FROM public_bandwidth
        WHERE (? IS NULL OR funding_year = ?) AND (? IS NULL OR state = ?)
          AND (? OR NOT exclude_from_analysis)
        ORDER BY funding_year, state, pseudonym""",
                 [funding_year, funding_year, state, state, include_excluded])

