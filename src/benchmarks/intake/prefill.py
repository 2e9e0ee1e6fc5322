"""The submission template pre-filled from the imported public data: each district's identity and public figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.config import Paths, prefilled_folder, prefilled_stem
from benchmarks.files import private_folder, write_atomic
from benchmarks.intake.template import PREFILLED_HEADING, Filled, submission_csv, submission_workbook
from benchmarks.privacy import crosswalk
from benchmarks.privacy.keys import key_fingerprint
from benchmarks.registry.metrics import FIELD_BY_NAME, FIELDS, METRICS
from benchmarks.registry.sources import NETWORK_FIELDS, PUBLIC_SOURCE
from benchmarks.registry.years import funding_school_year, parse_school_year, school_year_label
from benchmarks.warehouse.queries import NotOnRecord
from benchmarks.warehouse.store import connect, has_table

NO_PUBLIC_DATA = "no public data imported yet: run `benchmarks import-bandwidth FILE` first"
#: The measured fields filled in from the public data besides the enrollment; the others stay blank.
NETWORK = NETWORK_FIELDS
#: Why a district's network cells are blank, as the note on each says (None: filled in).
FLAGGED, OUT_OF_RANGE, NOT_PUBLISHED = "flagged", "out of range", "not published"


@dataclass(frozen=True)
class Prefill:
    """The districts of one school year known from the public data, as rows of the submission template."""

    school_year: str
    funding_year: int
    #: FIELDS as columns, one row per district (ordered by state, county, name); NaN is a blank cell
    rows: pd.DataFrame
    #: per row and network field: why the cell is blank (FLAGGED, OUT_OF_RANGE, NOT_PUBLISHED), or None
    blank: pd.DataFrame
    states: tuple[str, ...] = field(default=())

    def summary(self) -> str:
        filled = {name: int(self.blank[name].isna().sum()) for name in NETWORK}
        why = self.blank["bandwidth_mbps"].value_counts()
        unpublished = {name: int((self.blank[name] == NOT_PUBLISHED).sum()) for name in NETWORK}
        states = ", ".join(self.states) if len(self.states) <= 5 else f"{len(self.states)} states"
        return (f"{len(self.rows)} districts of {states}, school year {self.school_year} (E-rate funding year "
                f"{self.funding_year}): bandwidth filled in for {filled['bandwidth_mbps']}, monthly cost for "
                f"{filled['internet_monthly_cost_usd']}; both left blank for {why.get(FLAGGED, 0)} the publisher "
                f"flagged as unreliable and {why.get(OUT_OF_RANGE, 0)} outside the accepted ranges; not published: "
                f"bandwidth for {unpublished['bandwidth_mbps']}, cost for {unpublished['internet_monthly_cost_usd']}")


def _school_year(asked: str | None, on_record: list[str]) -> str:
    """The school year asked for as stored (the latest on record when none), or a plain error."""
    if not str(asked or "").strip():
        return on_record[-1]
    try:
        year = school_year_label(parse_school_year(asked, "school year"))
    except ValueError:
        raise ValueError(f"school year {asked!r}: expected e.g. 2015-16 or its first year 2015") from None
    if year not in on_record:
        raise NotOnRecord(f"no public data imported for school year {year}; school years imported: "
                          + ", ".join(on_record))
    return year


def _public_rows(paths: Paths, key: bytes, school_year: str | None, state: str | None) -> tuple[str, int, pd.DataFrame]:
    """The school year, its funding year and the public rows with each district's ID and name (from the crosswalk)."""
    if not paths.warehouse.exists() or not paths.crosswalk.exists():
        raise NotOnRecord(NO_PUBLIC_DATA)
    with connect(paths.warehouse, read_only=True) as con:
        crosswalk.check_key(con, paths, key, key_fingerprint(key))  # names of another key's pseudonyms would mismatch
        if not has_table(con, "public_bandwidth"):
            raise NotOnRecord(NO_PUBLIC_DATA)
        # source_sha256 ties each row to the name recorded from its own file in the crosswalk
        public = con.execute("SELECT pseudonym, source_sha256, funding_year, school_year, state, county, locale, "
                             "enrollment, total_bandwidth_mbps, cost_per_mbps_usd, exclude_from_analysis "
                             "FROM public_bandwidth").df()
    if public.empty:
        raise NotOnRecord(NO_PUBLIC_DATA)
    # rows imported before the school year was stored stand for the one their funding year pays for
    missing = public["school_year"].isna()
    public.loc[missing, "school_year"] = public.loc[missing, "funding_year"].map(funding_school_year)
    year = _school_year(school_year, sorted(set(public["school_year"])))
    public = public[public["school_year"] == year]
    funding_year = int(public["funding_year"].max())  # two funding years imported as one school year: the later
    public = public[public["funding_year"] == funding_year]
    if state:
        wanted = state.strip().upper()
        if wanted not in set(public["state"]):
            raise NotOnRecord(f"no public data for state {state!r} in school year {year}; states imported: "
                              + ", ".join(sorted(set(public["state"]))))
        public = public[public["state"] == wanted]
    named = crosswalk.names(paths.crosswalk, public)
    if named["district_name"].isna().any():
        raise NotOnRecord(f"the crosswalk {paths.crosswalk} has no name for {int(named['district_name'].isna().sum())} "
                          "districts of the public data: import the public file again")
    return year, funding_year, named.sort_values(["state", "county", "district_name", "district_id"],
                                                 ignore_index=True)


def _outside_ranges(rows: pd.DataFrame) -> pd.Series:
    """Rows whose filled-in network figures break a valid range of the registry (a field's, or a metric's computed
    from the fields filled in): the validator would refuse the file."""
    filled = {"enrollment", *NETWORK}
    bad = pd.Series(False, index=rows.index)
    for name in NETWORK:
        f = FIELD_BY_NAME[name]
        bad |= (rows[name] < f.min) | (rows[name] > f.max)
    for m in METRICS:
        if set(m.inputs) <= filled and set(m.inputs) & set(NETWORK):
            lo, hi = m.valid_range
            values = m.compute(rows)
            bad |= values.notna() & ~values.between(lo, hi)
    return bad


def prefill(paths: Paths, key: bytes, school_year: str | None = None, state: str | None = None) -> Prefill:
    """The districts of the public data of a school year (default: the latest imported; the school year an E-rate
    funding year pays for, registry.years.funding_school_year, unless the import said otherwise), one state or all, as
    template rows: identity and enrollment, bandwidth_mbps = the total bandwidth, internet_monthly_cost_usd = the
    cost per Mbps times it, rounded to cents; every other measured field blank. A district the publisher flagged as
    unreliable keeps its identity but gets no network figures, as does one whose figures the validator would refuse."""
    label, year, public = _public_rows(paths, key, school_year, state)
    rows = pd.DataFrame({f.name: pd.Series(np.nan, index=public.index, dtype=object) for f in FIELDS})
    rows["school_year"] = label
    for name in ("district_id", "district_name", "state", "county", "locale"):
        rows[name] = public[name].astype(object)
    rows["enrollment"] = public["enrollment"].astype("Int64").astype(object).where(public["enrollment"].notna())
    bandwidth = public["total_bandwidth_mbps"].astype("float64")
    cost = (public["cost_per_mbps_usd"].astype("float64") * bandwidth).round(2)
    rows["bandwidth_mbps"], rows["internet_monthly_cost_usd"] = bandwidth, cost
    flagged = public["exclude_from_analysis"].astype(bool)
    outside = _outside_ranges(rows.assign(enrollment=public["enrollment"].astype("float64"))) & ~flagged
    blank = pd.DataFrame(index=rows.index)
    for name in NETWORK:
        why = pd.Series(None, index=rows.index, dtype=object)
        why[rows[name].isna()] = NOT_PUBLISHED
        why[outside] = OUT_OF_RANGE
        why[flagged] = FLAGGED  # the publisher judged them unreliable: not ours to pass on as the district's
        rows[name] = rows[name].astype(object).where(why.isna())
        blank[name] = why
    return Prefill(label, year, rows, blank, tuple(sorted(set(rows["state"]))))


def _guide(pre: Prefill, districts: int) -> tuple[str, ...]:
    fy, sy = pre.funding_year, pre.school_year
    year = f"so school year {sy}" if sy == funding_school_year(fy) else f"imported as the figures of school year {sy}"
    lines = (
        PREFILLED_HEADING,
        f"Each row is a district as the public data records it: {PUBLIC_SOURCE.format(funding_year=fy)}",
        f"(July {fy} to June {fy + 1}, {year}). From it come the district's identity (school year, district ID,",
        "name, state, county, locale), its enrollment, bandwidth_mbps (its total internet bandwidth) and",
        "internet_monthly_cost_usd (the published cost per Mbps times that bandwidth, before the E-rate discount,",
        "rounded to cents).",
        "Check these against your own records and correct what differs; add the figures you have in the other",
        "columns, and leave blank what you do not measure (a blank means 'not reported').",
        "Bandwidth and cost are left blank where the publisher flagged the district's figures as unreliable",
        "(exclude_from_analysis), where they fall outside the ranges the benchmarks accept, or where none were",
        "published: a note on the cell says which. Type your own figures there.",
    )
    if districts > 1:
        lines += (f"This file lists {districts} districts: it is the association's copy. Each district should receive "
                  "and return", "only its own row (benchmarks template --prefill --split writes one file per district).")
    return lines


_NOTES = {
    FLAGGED: "Left blank: the publisher flagged this district's funding year {fy} figures as unreliable "
             "(exclude_from_analysis). Type your own figure.",
    OUT_OF_RANGE: "Left blank: the published funding year {fy} figures fall outside the ranges the benchmarks "
                  "accept. Type your own figure.",
    NOT_PUBLISHED: "Left blank: no figure was published for this district for funding year {fy}. Type yours if "
                   "you know it.",
}


def filled(pre: Prefill, positions: list[int] | None = None) -> Filled:
    """The rows at `positions` (default: all) as the template holds them, with the instructions and notes."""
    positions = list(range(len(pre.rows))) if positions is None else positions
    fy = pre.funding_year
    source = f"Filled in from {PUBLIC_SOURCE.format(funding_year=fy)}: "
    column_notes = {
        "bandwidth_mbps": source + "the district's total internet bandwidth. Correct it if your records differ.",
        "internet_monthly_cost_usd": source + "the published cost per Mbps times the bandwidth, before the E-rate "
                                              "discount, rounded to cents. Correct it if your records differ.",
    }
    cell_notes = {(i, name): _NOTES[why].format(fy=fy) for i, p in enumerate(positions) for name in NETWORK
                  if isinstance(why := pre.blank[name].iloc[p], str)}
    return Filled(pre.rows.iloc[positions].reset_index(drop=True), _guide(pre, len(positions)), column_notes,
                  cell_notes)


@dataclass
class Written:
    prefill: Prefill
    files: list[Path]
    folder: Path


def write_prefilled(paths: Paths, key: bytes, school_year: str | None = None, state: str | None = None,
                    out: Path | None = None, split: bool = False) -> Written:
    """Write the pre-filled template (XLSX and CSV) into `out`, default data/private/prefilled/<year>/, owner-only
    (it names districts); with split, one pair of files per district, named by its ID, for sending to each."""
    pre = prefill(paths, key, school_year=school_year, state=state)
    folder = Path(out) if out else private_folder(prefilled_folder(paths, pre.school_year))
    parts = [([i], district) for i, district in enumerate(pre.rows["district_id"])] if split else \
        [(None, pre.states[0] if len(pre.states) == 1 else "")]
    written = []
    for positions, part in parts:
        rows = filled(pre, positions)
        stem = prefilled_stem(pre.school_year, part)
        for suffix, data in ((".xlsx", submission_workbook(rows)), (".csv", submission_csv(rows))):
            write_atomic(folder / f"{stem}{suffix}", data, private=True)
            written.append(folder / f"{stem}{suffix}")
    return Written(pre, written, folder)
