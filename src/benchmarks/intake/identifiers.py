"""Identifiers as text: district IDs, school years and codes normalized (NFKC, invisible characters removed), then
held to their ASCII pattern, naming the character that does not belong; school years held to those on record."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import pandas as pd

#: Text fields that identify or code (held to ASCII after normalizing); the other text fields are names.
CODES = ("school_year", "district_id", "state", "locale")
#: Characters nobody sees in a cell and that only split one value into two: the zero-width space, joiners and
#: non-joiners, word joiner, byte-order mark, soft hyphen, direction marks (Unicode category Cf, "format").
_INVISIBLE_NAMES = {"\u00ad": "soft hyphen", "\u200b": "zero-width space", "\u200c": "zero-width non-joiner",
                    "\u200d": "zero-width joiner", "\u2060": "word joiner", "\ufeff": "byte-order mark",
                    "\u200e": "left-to-right mark", "\u200f": "right-to-left mark"}


def invisible(ch: str) -> bool:
    return unicodedata.category(ch) == "Cf"


def normalize(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Each cell normalized (normalize_text) and stripped, and the rule applied to it, "" where it was unchanged."""
    pairs = [("", "") if t is None else normalize_text(str(t)) for t in text]
    return (pd.Series([p[0].strip() for p in pairs], index=text.index, dtype=object),
            pd.Series([p[1] for p in pairs], index=text.index, dtype=object))


def add_note(notes: pd.Series, mask: pd.Series, rule) -> None:
    """Add a rule to the notes of the cells in mask, after the rules already noted there."""
    notes[mask] = notes[mask].where(notes[mask] == "", notes[mask] + "; ") + rule


def normalize_text(text: str) -> tuple[str, str]:
    """The text as compared and stored (invisible characters removed, then Unicode NFKC, which turns full-width
    digits and letters and a no-break space into their plain forms), and the rule applied ("" when unchanged)."""
    if text.isascii():
        return text, ""
    removed = [ch for ch in text if invisible(ch)]
    plain = "".join(ch for ch in text if not invisible(ch))
    out = unicodedata.normalize("NFKC", plain)
    rules = []
    if removed:
        names = dict.fromkeys(_INVISIBLE_NAMES.get(ch, f"U+{ord(ch):04X}") for ch in removed)
        rules.append("invisible characters removed (" + ", ".join(names) + ")")
    if out != plain:
        rules.append("Unicode NFKC (full-width or compatibility characters as plain ones)")
    return out, "; ".join(rules)


def describe_character(ch: str) -> str:
    """One character in words a person can act on: "an Arabic-Indic digit ('٧', U+0667)", "a Cyrillic letter
    'О' (U+041E)"."""
    name = unicodedata.name(ch, "")
    code = f"U+{ord(ch):04X}"
    if unicodedata.category(ch) == "Nd":
        script = name.split(" DIGIT")[0].title().replace("Fullwidth", "full-width")
        return f"{_a(script)} {script} digit ('{ch}', {code})"
    if ch.isalpha():
        script = name.split(" ")[0].title()
        if ch.isascii():
            return f"the letter '{ch}' ({code})"
        return f"{_a(script)} {script} letter '{ch}' ({code})"
    if ch.isspace():
        return f"a space ({code})" if ch == " " else f"a space ({name.lower()}, {code})"
    if not ch.isprintable():
        return f"an unprintable character ({code}{', ' + name.lower() if name else ''})"
    return f"the character '{ch}' ({name.lower() or 'unnamed'}, {code})"


def _a(word: str) -> str:
    return "an" if word[:1].upper() in "AEIOU" else "a"


#: What each code looks like in ASCII, and in words.
PATTERNS = {"district_id": (re.compile(r"[0-9]{7}"), "a 7-digit NCES district ID written in the digits 0-9, "
                                                     "such as 1700001"),
            "school_year": (re.compile(r"[0-9]{4}-[0-9]{2}"), "a school year written YYYY-YY, such as 2025-26"),
            "state": (re.compile(r"[A-Z]{2}"), "a two-letter state code such as IL"),
            "locale": (re.compile(r"[A-Za-z ]+"), "a locale written in the letters A-Z")}


def odd_character(column: str, text: str) -> str | None:
    """Why a normalized code does not match its ASCII pattern, naming the first character that does not belong;
    None when it matches (or when its only fault is left to the schema's own checks: a year's order, a state
    that does not exist)."""
    pattern, words = PATTERNS[column]
    if pattern.fullmatch(text):
        return None
    allowed = {"district_id": "0123456789".__contains__, "school_year": "0123456789-".__contains__}.get(
        column, str.isascii)  # a state or locale in plain ASCII letters is left to the list of choices
    bad = next((ch for ch in text if not allowed(ch)), None)
    if bad is None:
        # only ASCII that belongs: a wrong length or order, said by the schema (district IDs: here)
        return f"{words}; it has {len(text)} digits" if column == "district_id" else None
    return f"{words}; it contains {describe_character(bad)}"


def odd_codes(column: str, values: pd.Series) -> list[tuple[int, str, str]]:
    """(row, what was expected naming the odd character, reason) for each normalized code that does not match
    its ASCII pattern."""
    out = []
    for row, value in values.dropna().items():
        if (words := odd_character(column, value)) is not None:
            out.append((int(row), words, "not a district ID" if value.isascii() else "a character outside its "
                        "ASCII pattern"))
    return out


# ---- school years on record -----------------------------------------------------------------------------

@dataclass(frozen=True)
class YearsOnRecord:
    """The school years a warehouse holds: those with submissions, and those known from public data only."""

    submitted: tuple[str, ...] = ()
    public: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.submitted)  # before any submission, any valid school year opens the warehouse

    def outside(self, years: pd.Series) -> pd.Series:
        """Which valid school years lie outside the years submitted, the one after them and the public years."""
        window = year_window(list(self.submitted))
        valid = years.astype(str).str.fullmatch(r"[0-9]{4}-[0-9]{2}", na=False)
        if window is None:
            return pd.Series(False, index=years.index)
        start = pd.to_numeric(years.astype(str).str[:4].where(valid), errors="coerce")
        return valid & ((start < window[0]) | (start > window[1])) & ~years.isin(self.public)

    def words(self) -> str:
        """What a school year must be, in words."""
        first, nxt = year_window(list(self.submitted))
        held = sorted(self.submitted)
        span = held[0] if len(held) == 1 else f"{held[0]} to {held[-1]}"
        public = f", or a year of the public data on record ({', '.join(sorted(self.public))})" if self.public else ""
        return (f"a school year from {_label(first)} to {_label(nxt)}: the years on record ({span}) or the one "
                f"after them{public} (a year further off is most often a typing slip)")


def year_window(on_record: list[str]) -> tuple[int, int] | None:
    """The first calendar years of the earliest school year on record and of the year after the latest; None
    when nothing is on record (a first ingest takes any valid school year)."""
    starts = sorted(int(y[:4]) for y in on_record if re.fullmatch(r"[0-9]{4}-[0-9]{2}", str(y)))
    return (starts[0], starts[-1] + 1) if starts else None


def _label(start: int) -> str:
    return f"{start}-{(start + 1) % 100:02d}"
