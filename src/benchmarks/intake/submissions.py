"""Submissions: a validated file's accepted rows stored under pseudonyms, its problems and its history."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from benchmarks.config import Paths, quarantine_file
from benchmarks.intake.archive import IntakeRun, original_name, sha256
from benchmarks.intake.identifiers import normalize_text
from benchmarks.intake.limits import Limits
from benchmarks.intake.quarantine import plain_reasons, quarantine_rows, store_quarantine, write_quarantine
from benchmarks.intake.schema import NCES_ID_DIGITS, Problem, plain_column
from benchmarks.intake.validate import Checked, check_file, earlier_rows, read_bytes, unreadable, years_on_record
from benchmarks.privacy import crosswalk
from benchmarks.privacy.keys import key_fingerprint, pseudonym
from benchmarks.registry.metrics import MEASURE_FIELDS
from benchmarks.warehouse.queries import county_key, name_key
from benchmarks.warehouse.staging import STAGE_ROWS, store_parts
from benchmarks.warehouse.store import connect, has_table, insert_frame

#: Fields that say who a district is: their values go to the crosswalk only, never to the warehouse.
IDENTIFYING = ("district_id", "district_name")


@dataclass
class FileResult:
    file: str
    sha256: str
    rows_read: int
    rows_accepted: int
    rows_quarantined: int
    already_ingested: bool = False
    #: over a limit of a submission file: nothing of it stored, not even the raw copy
    refused: bool = False
    checked: Checked | None = field(default=None, repr=False)
    quarantine_file: Path | None = None
    #: warnings about accepted rows (a district whose county, name or state changed), printed after the counts
    notices: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[Problem]:
        return self.checked.problems if self.checked else []

    def __str__(self) -> str:
        if self.already_ingested:
            return f"{self.file}: already ingested (sha256 {self.sha256[:12]}), nothing changed"
        if self.refused:
            return self.checked.summary() if self.checked else f"{self.file}: refused: nothing of it is stored"
        return (f"{self.file}: {self.rows_read} rows read = {self.rows_accepted} accepted "
                f"+ {self.rows_quarantined} quarantined")

    def lines(self, limit: int = 10) -> list[str]:
        """The per-file line, notes, the first problems and where the quarantined rows are."""
        out = [str(self)]
        if self.checked:
            out += self.checked.lines(limit)
        if self.quarantine_file:
            out.append(f"{self.file}: quarantined rows with their reasons: {self.quarantine_file}")
        return out + self.notices


def move_legacy_crosswalk(con) -> pd.DataFrame:
    """Warehouses built before the crosswalk moved out held it as a table: carry its names over, drop it."""
    columns = ["pseudonym", "source_sha256", "district_id", "district_name"]
    if not has_table(con, "crosswalk"):
        return pd.DataFrame(columns=columns)
    rows = con.execute("SELECT pseudonym, '' AS source_sha256, district_id, district_name FROM crosswalk").df()
    con.execute("DROP TABLE crosswalk")
    return rows[columns]


def store_submission_file(run: IntakeRun, file: Path, limits: Limits | None = None) -> FileResult:
    """Validate one submission file and store it inside the run: raw copy, accepted rows, problems,
    conversions, quarantined rows (their file is written after the commit). A file over a limit (limits) is
    refused: nothing of it is stored."""
    data, problem = read_bytes(file, limits)
    if problem:
        checked = unreadable(file, problem)
        return FileResult(str(file), "", 0, 0, 0, checked=checked, refused=checked.refused)
    sha = sha256(data)
    if run.already_archived(sha):
        return FileResult(str(file), sha, 0, 0, 0, already_ingested=True)
    con = run.con
    # district_metrics is rebuilt just before the commit: it holds the years on record when this run began
    checked = check_file(data, str(file), years_on_record(con), limits, earlier_rows(con, run.key))
    if checked.refused:
        return FileResult(str(file), sha, 0, 0, 0, checked=checked, refused=True)
    quarantined = quarantine_rows(checked)
    # The warehouse keeps where and why; the cells as sent (names, IDs, wrong values) only the quarantine file.
    if len(quarantined):
        rows = quarantined["source_row"].tolist()
        store_quarantine(con, sha, rows, plain_reasons(checked, rows))
    if checked.problems:
        insert_frame(con, "problems", pd.DataFrame({
            "source_sha256": sha, "source_row": pd.Series([p.row for p in checked.problems], dtype="Int64"),
            "column_name": [plain_column(p.column) for p in checked.problems],
            "reason": [p.reason for p in checked.problems]}))
    if checked.flags:  # kept with the row; the data-quality page lists them for the district to confirm
        insert_frame(con, "flags", pd.DataFrame({
            "source_sha256": sha, "source_row": [p.row for p in checked.flags],
            "column_name": [p.column for p in checked.flags], "reason": [p.reason for p in checked.flags]}))
    if len(checked.conversions):
        conv = checked.conversions.rename(columns={"column": "column_name"})
        who = conv["column_name"].isin(IDENTIFYING)  # a district ID with its leading zero restored: the rule only
        conv.loc[who, ["submitted", "stored"]] = ""
        insert_frame(con, "conversions", conv.assign(source_sha256=sha))
    if len(checked.accepted):
        run.names.append(_insert_accepted(con, checked.accepted, sha, run.key))
    run.archive(file, data, sha, "submission", checked.rows_read, len(checked.accepted),
                len(checked.quarantined_rows), checked.table.plain_describe, "; ".join(checked.table.plain_notes),
                "; ".join(p.plain() for p in checked.table.file_problems))
    result = FileResult(str(file), sha, checked.rows_read, len(checked.accepted), len(checked.quarantined_rows),
                        checked=checked)
    checked.release_rows()  # stored: the rest of the run (the statistics) reads them from the warehouse
    if len(quarantined):
        target = quarantine_file(run.paths, sha, file.name)
        result.quarantine_file = target
        run.after_commit.append(lambda: write_quarantine(target, quarantined, checked.table.sheet != ""))
    return result


def _insert_accepted(con, accepted: pd.DataFrame, sha: str, key: bytes) -> pd.DataFrame:
    """Store accepted rows under pseudonyms, a large file's through the staging file (STAGE_ROWS at a time);
    returns their crosswalk rows (names stay out of the warehouse)."""
    cols = ["pseudonym", "school_year", "state", "county", "locale", *[f.name for f in MEASURE_FIELDS],
            "source_sha256", "source_row"]
    names: list[pd.DataFrame] = []

    def parts():
        for at in range(0, len(accepted), STAGE_ROWS):
            rows = accepted.iloc[at:at + STAGE_ROWS].copy()
            rows["pseudonym"] = [pseudonym(key, d) for d in rows["district_id"]]
            rows["source_sha256"] = sha
            rows["source_row"] = rows.index.astype("int64")
            names.append(rows[["pseudonym", "source_sha256", "district_id", "district_name"]])
            yield {"submissions": rows[cols]}

    if len(accepted) > STAGE_ROWS:
        store_parts(con, parts(), insert=", nextval('received_seq') AS received_seq")
    else:
        for part in parts():
            con.register("_rows", part["submissions"])
            con.execute(f"INSERT INTO submissions ({', '.join(cols)}, received_seq) SELECT {', '.join(cols)}, "
                        "nextval('received_seq') FROM _rows ORDER BY source_row")
            con.unregister("_rows")
    return pd.concat(names, ignore_index=True).drop_duplicates("pseudonym", keep="last")


#: What says who a district is besides its ID: a change of any is told at ingest and shown in its history.
_IDENTITY = (("county", county_key), ("district_name", name_key), ("state", lambda s: str(s).strip().upper()))
_IDENTITY_WORDS = {"county": "county", "district_name": "name", "state": "state"}


def identity_changes(con, paths: Paths, names: pd.DataFrame, shas: list[str] | None = None,
                     who: str | None = None) -> pd.DataFrame:
    """Accepted rows whose county, name or state differ from their district's previous accepted row (the one
    received just before it, whatever its year): pseudonym, school_year, source_sha256, source_row, district_id,
    changes ("county from 'A' to 'B', name from ..."), before_sha256 and before_year. Only rows of the files
    `shas`, or of the district `who`, when given. County and name are compared as people write them (case and
    spacing aside). `names`: crosswalk rows not yet recorded (those of a run in progress)."""
    rows = con.execute("""
        SELECT * FROM (
            SELECT pseudonym, school_year, county, state, source_sha256, source_row, received_seq,
                   lag(county) OVER w AS before_county, lag(state) OVER w AS before_state,
                   lag(source_sha256) OVER w AS before_sha256, lag(school_year) OVER w AS before_year
            FROM submissions WINDOW w AS (PARTITION BY pseudonym ORDER BY received_seq))
        WHERE before_sha256 IS NOT NULL AND (?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], source_sha256))
          AND (?::VARCHAR IS NULL OR pseudonym = ?::VARCHAR)
        ORDER BY received_seq""", [shas, shas, who, who]).df()
    out = ["pseudonym", "school_year", "source_sha256", "source_row", "district_id", "changes", "before_sha256",
           "before_year"]
    if rows.empty:
        return pd.DataFrame(columns=out)
    want = pd.concat([rows[["pseudonym", "source_sha256"]],
                      rows[["pseudonym", "before_sha256"]].rename(columns={"before_sha256": "source_sha256"})])
    known = names[["pseudonym", "source_sha256", "district_id", "district_name"]]
    if paths.crosswalk.exists():
        known = pd.concat([known, crosswalk.names(paths.crosswalk, want.drop_duplicates())
                          .dropna(subset=["district_id"])], ignore_index=True)
    lookup = known.drop_duplicates(["pseudonym", "source_sha256"]).set_index(["pseudonym", "source_sha256"])
    now = lookup.reindex(pd.MultiIndex.from_frame(rows[["pseudonym", "source_sha256"]]))
    before = lookup.reindex(pd.MultiIndex.from_frame(rows[["pseudonym", "before_sha256"]]))
    rows["district_id"] = now["district_id"].fillna(pd.Series(rows["pseudonym"].values, index=now.index)).values
    rows["district_name"], rows["before_district_name"] = now["district_name"].values, before["district_name"].values
    changes = []
    for rec in rows.to_dict("records"):
        said = [f"{_IDENTITY_WORDS[col]} from {rec['before_' + col]!r} to {rec[col]!r}" for col, same in _IDENTITY
                if not pd.isna(rec["before_" + col]) and not pd.isna(rec[col])
                and same(rec["before_" + col]) != same(rec[col])]
        changes.append(", ".join(said))
    rows["changes"] = changes
    return rows.loc[rows["changes"] != "", out].reset_index(drop=True)


def submission_history(paths: Paths, key: bytes, district_id: str) -> pd.DataFrame:
    """Every accepted submission of one district, oldest first, saying which one counts in the benchmarks and
    what it changed of the district's county, name or state. A key other than the warehouse's is refused
    (KeyProblem), as ingest refuses it: its pseudonyms would find nothing."""
    did = normalize_text(district_id)[0].strip()  # as a submitted ID is read: full-width digits are digits
    if did.isdigit() and len(did) == NCES_ID_DIGITS - 1:
        did = did.zfill(NCES_ID_DIGITS)
    who = pseudonym(key, did)
    with connect(paths.warehouse, read_only=True) as con:
        crosswalk.check_key(con, paths, key, key_fingerprint(key))
        history = con.execute("""
            SELECT s.school_year, r.ingested_at, r.sha256 AS file, s.source_row AS row,
                   CASE WHEN row_number() OVER (PARTITION BY s.school_year ORDER BY s.received_seq DESC) = 1
                        THEN 'current' ELSE 'replaced' END AS status
            FROM submissions s JOIN raw_files r ON r.sha256 = s.source_sha256
            WHERE s.pseudonym = ? ORDER BY s.school_year, s.received_seq""", [who]).df()
        empty = pd.DataFrame(columns=["pseudonym", "source_sha256", "district_id", "district_name"])
        changed = identity_changes(con, paths, empty, who=who)
    history = history.merge(changed[["source_sha256", "source_row", "changes"]].rename(
        columns={"source_sha256": "file", "source_row": "row"}), on=["file", "row"], how="left")
    history["changes"] = history["changes"].fillna("")
    # the file's own name is in the archive's owner-only manifest, not in the warehouse
    history["file"] = [original_name(paths, sha) for sha in history["file"]]
    return history
