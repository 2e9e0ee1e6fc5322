"""The submission schema, derived from the metric registry and checked with pandera, row by row and cell by cell."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd

from benchmarks.intake.identifiers import CODES, YearsOnRecord, add_note, normalize, odd_codes
from benchmarks.intake.units import Context, parse_column
from benchmarks.registry.metrics import (
    CHOICES,
    FIELD_BY_NAME,
    FIELDS,
    ID_FIELDS,
    LOCALE_ALIASES,
    MEASURE_FIELDS,
    METRIC_BY_NAME,
    METRICS,
    Field,
    Metric,
)

#: First data row as the person sees it in a spreadsheet (row 1 is the header).
FIRST_DATA_ROW = 2
#: NCES district identifiers have 7 digits; spreadsheets drop the leading zero of states 01-09.
NCES_ID_DIGITS = 7
_YEAR = re.compile(r"^([0-9]{4})-([0-9]{2})$")
KEY = ["district_id", "school_year"]
#: A confirmation sheet's column (benchmarks confirmations) and the words in it that confirm a row's flagged values
CONFIRM_COLUMN, CONFIRM_WORDS = "confirmed", ("yes", "y", "x", "confirmed", "true")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one cell (or a whole file when row is None)."""

    file: str
    row: int | None
    column: str
    value: str
    expected: str
    #: What kind of problem, in words that hold no submitted value (the data-quality report counts these).
    reason: str = "not readable"
    #: The row as a person finds it when "row N" is not enough ("sheet 'Lake', row 4"); "" otherwise.
    place: str = ""

    def __str__(self) -> str:
        return f"{self.file}, {self.where()}" if self.row is not None or self.column != "(file)" else \
            f"{self.file}: {self.where()}"

    def where(self) -> str:
        """The problem without the file name: row, column(s), value and what was expected."""
        parts = [self.place or f"row {self.row}"] if self.row is not None else []
        if not self.column.startswith("("):  # "(row)" and "(file)": the whole row or file
            parts.append(f"{'columns' if ', ' in self.column else 'column'} {self.column}")
        at = ", ".join(parts)
        shown = f" value {self.value!r}:" if self.value != "" else ""
        return f"{at}:{shown} expected {self.expected}" if at else f"expected {self.expected}"

    def plain(self) -> str:
        """The problem in words that hold nothing submitted (no value, no ID, no header text): where and what
        kind, as the warehouse keeps it."""
        column = plain_column(self.column)
        where = ("the file" if column == "(file)" else "the row" if column == "(row)"
                 else f"{'columns' if ', ' in column else 'column'} {column}")
        return f"{where}: {self.reason}"


def plain_column(column: str) -> str:
    """A problem's column as the warehouse may keep it: a template field (or several), '(file)', '(row)',
    '(column 3)'; anything else came from a file's header row and is not repeated."""
    if column.startswith("(") or all(c in FIELD_BY_NAME for c in column.split(", ")):
        return column
    return "(a column not in the template)"


@dataclass
class Validation:
    """What validating one table gave: the rows that passed (typed), the problems, the values converted."""

    accepted: pd.DataFrame
    problems: list[Problem]
    conversions: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CONVERSION_COLUMNS))


CONVERSION_COLUMNS = ["source_row", "column", "submitted", "stored", "rule"]


def normalize_header(name: str) -> str:
    """Header as a field name: case, spaces, punctuation and a byte-order mark do not matter."""
    text = str(name).strip().lstrip("\ufeff").strip().lower()
    return re.sub(r"[^0-9a-z]+", "_", text).strip("_")


@cache
def header_aliases() -> dict[str, str]:
    """Every accepted spelling of a column (its name or its label, normalized) -> field name."""
    aliases = {}
    for f in FIELDS:
        aliases[normalize_header(f.name)] = f.name
        aliases[normalize_header(f.label)] = f.name
    return aliases


def missing_columns(columns: list[str]) -> list[str]:
    present = set(columns)
    return [f.name for f in FIELDS if f.required and f.name not in present]


def number_text(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,g}"


def _number_words(f: Field) -> str:
    if f.unit == "%":
        example = float(f.example or f.max)
        return (f"a share from {number_text(f.min)} to {number_text(f.max)} ({f.max * 100:g}%), "
                f"written as {example:g} or "
                f"{example * 100:g}%")
    kind = "a whole number" if f.dtype == "integer" else "a number"
    unit = f" {f.unit}" if f.unit and f.unit != "USD" else ""
    return f"{kind} from {number_text(f.min)} to {number_text(f.max)}{unit}"


def _metric_words(m: Metric) -> str:
    lo, hi = m.valid_range
    unit = f" {m.unit}" if m.unit and m.unit not in ("%", "$") else ""
    return f"{m.label.lower()} ({m.formula_text}) from {number_text(lo)} to {number_text(hi)}{unit}"


# ---- pandera schema -------------------------------------------------------------------------------------

def _school_year_ok(s: pd.Series) -> pd.Series:
    parts = s.astype(str).str.extract(_YEAR).astype("float64")
    return parts[0].notna() & (((parts[0] + 1) % 100) == parts[1])


def _metric_ok(m: Metric):
    lo, hi = m.valid_range

    def check(frame: pd.DataFrame) -> pd.Series:
        values = m.compute(frame)
        return values.isna() | values.between(lo, hi)

    return check


_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"


def _no_control_characters(s: pd.Series) -> pd.Series:
    return ~s.astype(str).str.contains(_CONTROL, regex=True)


def _not_example(frame: pd.DataFrame) -> pd.Series:
    """The template's example row, left in a filled-in template, is not a district's submission."""
    example = FIELD_BY_NAME["district_id"].example, FIELD_BY_NAME["district_name"].example
    return ~((frame["district_id"] == example[0]) & (frame["district_name"] == example[1]))


def _is_whole(s: pd.Series) -> pd.Series:
    return s == np.floor(s)


#: What each check expects, in words a district's director understands, by the check's error key.
@cache
def expectations() -> dict[str, str]:
    words = {"not_nullable": "a value (this column must be filled in)",
             "school_year": "a school year written YYYY-YY, such as 2025-26",
             "state": "a two-letter state code such as IL",
             "locale": "one of " + ", ".join(CHOICES["locale"]),
             "unique": "one row per district and school year",
             "control": "text without control characters (a NUL or escape byte, as left by a broken export)",
             "example": "your district's own figures: this is the template's example row (delete it)"}
    for f in MEASURE_FIELDS:
        words[f"range:{f.name}"] = _number_words(f)
        words[f"whole:{f.name}"] = _number_words(f)
    for m in METRICS:
        words[f"metric:{m.name}"] = _metric_words(m)
    return words


@cache
def submission_schema():
    """One pandera schema for a submission table, derived from the registry (fields, choices, metric ranges)."""
    import pandera.pandas as pa

    columns = {}
    for f in ID_FIELDS:
        checks = [pa.Check(_no_control_characters, error="control")]
        if f.name == "school_year":
            checks.append(pa.Check(_school_year_ok, error="school_year"))
        if f.name in CHOICES:
            checks.append(pa.Check.isin(CHOICES[f.name], error=f.name))
        columns[f.name] = pa.Column(None, checks, nullable=not f.required)
    for f in MEASURE_FIELDS:
        checks = [pa.Check.in_range(f.min, f.max, error=f"range:{f.name}")]
        if f.dtype == "integer":
            checks.append(pa.Check(_is_whole, error=f"whole:{f.name}"))
        columns[f.name] = pa.Column("float64", checks, nullable=not f.required)
    wide = [pa.Check(_metric_ok(m), error=f"metric:{m.name}") for m in METRICS]
    wide.append(pa.Check(_not_example, error="example"))
    return pa.DataFrameSchema(columns, checks=wide, unique=KEY, report_duplicates="all", strict=False)


# ---- from text cells to typed values --------------------------------------------------------------------

def _type_text(f: Field, text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Normalized, stripped text (NaN where empty) and the rules used where a value was normalized."""
    stripped, notes = normalize(text)  # invisible characters removed, NFKC, stripped
    if f.name in CHOICES:
        canon = {c.lower(): c for c in CHOICES[f.name]}
        if f.name == "locale":
            canon.update({alias.lower(): c for alias, c in LOCALE_ALIASES.items()})
        mapped = stripped.str.lower().map(canon)
        changed = mapped.notna() & (mapped != stripped)
        known = stripped[changed].str.lower().isin([c.lower() for c in CHOICES[f.name]])
        add_note(notes, changed, np.where(known, "capitalization", "NCES locale name"))
        stripped = stripped.where(~changed, mapped)
    if f.name == "district_id":
        short = stripped.str.fullmatch(r"[0-9]{%d}" % (NCES_ID_DIGITS - 1))
        add_note(notes, short, "leading zero restored (7-digit NCES id)")
        stripped = stripped.where(~short, stripped.str.zfill(NCES_ID_DIGITS))
    return stripped.where(stripped != "", np.nan), notes


def type_cells(frame: pd.DataFrame, file: str, ctx: Context) -> tuple[pd.DataFrame, list[Problem], pd.DataFrame]:
    """Typed columns for every field, the cells that could not be read, and the conversions made."""
    typed = pd.DataFrame(index=frame.index)
    problems: list[Problem] = []
    conversions = []
    for f in FIELDS:
        text = frame[f.name].astype(str) if f.name in frame else pd.Series("", index=frame.index, dtype=object)
        if f.dtype == "text":
            typed[f.name], notes = _type_text(f, text)
            stored = typed[f.name]
            if f.name in CODES:
                problems += [Problem(file, int(r), f.name, text[r], words, reason)
                             for r, words, reason in odd_codes(f.name, typed[f.name])]
        else:
            parsed = parse_column(f, text, ctx)
            typed[f.name], notes, stored = parsed.values, parsed.notes, parsed.values
            for row in parsed.unreadable.index[parsed.unreadable]:
                problems.append(Problem(file, int(row), f.name, text[row], parsed.errors[row] or _number_words(f),
                                        parsed.reasons[row]))
        changed = notes != ""
        if changed.any():
            conversions.append(pd.DataFrame({
                "source_row": frame.index[changed].astype("int64"), "column": f.name,
                "submitted": text[changed].astype(str).to_numpy(),
                "stored": [v if isinstance(v, str) else f"{v:.15g}" for v in stored[changed]],
                "rule": notes[changed].to_numpy()}))
    conv = pd.concat(conversions, ignore_index=True) if conversions else pd.DataFrame(columns=CONVERSION_COLUMNS)
    return typed, problems, conv


# ---- running the schema and saying what was wrong -------------------------------------------------------

def _schema_failures(typed: pd.DataFrame) -> pd.DataFrame:
    import pandera.errors

    try:
        submission_schema().validate(typed, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        cases = cases[cases["index"].notna()]
        # Cell checks first, so that a metric of an input already reported is recognized and skipped.
        return cases.sort_values("schema_context", key=lambda c: c != "Column", kind="stable")
    return pd.DataFrame(columns=["column", "check", "index"])


def _duplicate_words(typed: pd.DataFrame, row: int) -> str:
    same = typed.index[(typed["district_id"] == typed.at[row, "district_id"])
                       & (typed["school_year"] == typed.at[row, "school_year"])]
    others = ", ".join(str(r) for r in same if r != row)
    return (f"one row per district and school year (district {typed.at[row, 'district_id']} appears again "
            f"for {typed.at[row, 'school_year']} in row {others})")


@dataclass(frozen=True)
class _Failure:
    """One pandera failure case with what is needed to say it in words."""

    file: str
    frame: pd.DataFrame  # cells as sent
    typed: pd.DataFrame
    row: int
    check: str
    column: str


def _metric_problem(f: _Failure) -> tuple[tuple, Problem]:
    m = METRIC_BY_NAME[f.check.split(":", 1)[1]]
    value = ", ".join(f"{c} {f.frame.at[f.row, c] if c in f.frame else ''}".strip() for c in m.inputs)
    got = m.compute(f.typed.loc[[f.row]]).iloc[0]
    return (f.row, m.name), Problem(f.file, f.row, ", ".join(m.inputs), value,
                                    f"{expectations()[f.check]}; these give {got:,.4g}",
                                    f"{m.label.lower()} outside its valid range")


def _example_problem(f: _Failure) -> tuple[tuple, Problem]:
    shown = f"{f.frame.at[f.row, 'district_id']}, {f.frame.at[f.row, 'district_name']}"
    return (f.row, "example"), Problem(f.file, f.row, "district_id, district_name", shown, expectations()["example"],
                                       "the template's example row")


def _duplicate_problem(f: _Failure) -> tuple[tuple, Problem]:
    return (f.row, "unique"), Problem(f.file, f.row, "district_id", str(f.typed.at[f.row, "district_id"]),
                                      _duplicate_words(f.typed, f.row), "the same district and school year twice")


def _cell_problem(f: _Failure) -> tuple[tuple, Problem]:
    shown = str(f.frame.at[f.row, f.column]) if f.column in f.frame else ""
    expected = expectations().get(f.check, f"to pass the check {f.check}")
    return (f.row, f.column), Problem(f.file, f.row, str(f.column), shown, expected,
                                      _REASONS.get(f.check.split(":")[0], f.check))


#: How each kind of failed check is put into words (by the check's error key before ":"); cells otherwise.
_DESCRIBE = {"metric": _metric_problem, "example": _example_problem, "multiple_fields_uniqueness": _duplicate_problem}


def validate_rows(frame: pd.DataFrame, file: str, ctx: Context | None = None,
                  school_years: YearsOnRecord | None = None) -> Validation:
    """Typed rows that passed, the problems of those that did not, and the values converted on reading.

    frame holds the file's cells as text under field-name headers; its index is the spreadsheet row number.
    school_years: the years on record; a school year outside them and the one after them is refused.
    Each cell or rule is reported once; a metric whose input is already reported is not reported again.
    """
    typed, problems, conversions = type_cells(frame, file, ctx or Context())
    if school_years:
        far = school_years.outside(typed["school_year"])
        problems += [Problem(file, int(r), "school_year", str(frame.at[r, "school_year"]), school_years.words(),
                             "school year not on record") for r in typed.index[far]]
    seen = {(p.row, p.column) for p in problems}
    for case in _schema_failures(typed).itertuples(index=False):
        f = _Failure(file, frame, typed, int(case.index), str(case.check), case.column)
        kind = f.check.split(":", 1)[0]
        if kind == "metric" and any((f.row, c) in seen for c in METRIC_BY_NAME[f.check.split(":")[1]].inputs):
            continue  # the metric of a wrong input says nothing new
        key, problem = _DESCRIBE.get(kind, _cell_problem)(f)
        if key not in seen:
            seen.add(key)
            problems.append(problem)
    bad = {p.row for p in problems}
    accepted = typed.loc[[r not in bad for r in typed.index]]
    conversions = conversions[~conversions["source_row"].isin(bad)].reset_index(drop=True)
    problems.sort(key=lambda p: (p.row or 0, _FIELD_ORDER.get(p.column.split(", ")[0], 99)))
    return Validation(accepted, problems, conversions)


_FIELD_ORDER = {f.name: i for i, f in enumerate(FIELDS)}
_REASONS = {"not_nullable": "empty but required", "range": "outside the valid range", "whole": "not a whole number",
            "school_year": "not a school year", "state": "not a state code", "locale": "not a listed locale",
            "control": "control characters in text"}
