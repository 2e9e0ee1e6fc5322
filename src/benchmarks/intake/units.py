"""Reading numbers as people type them: separators, percentages and units, converted to the registry's unit."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from benchmarks.registry.metrics import Field

_NUM = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_PLAIN = re.compile(rf"^{_NUM}$")
#: 1,234 / 1,234,567.5: commas grouping thousands, optional decimal point.
_US_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
#: 1.234.567 / 1.234,5: points grouping thousands, optional decimal comma (continental Europe).
_EU_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?$")
#: 1 234 567 with spaces (or no-break spaces) grouping thousands.
_SPACE_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d+)?$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
#: One group of three digits after a single separator: 1,200 or 1.200 (a thousand and two hundred, or 1.2).
_ONE_GROUP = re.compile(r"^[+-]?\d{1,3}[.,]\d{3}$")
_PERCENT = re.compile(r"^(?P<num>.+?)\s*%$")
#: Bandwidth with a unit. A capital B followed by lower-case "ps" or "/s" means bytes, which nobody contracts in.
_BANDWIDTH = re.compile(r"^(?P<num>.+?)\s*(?P<prefix>[kKmMgGtT])(?P<rest>bps|BPS|bit/s|Bit/s|b/s|bits/s)$")
_BANDWIDTH_SCALE = {"k": 1e-3, "m": 1.0, "g": 1e3, "t": 1e6}
_BANDWIDTH_UNIT = {"k": "kbps", "m": "Mbps", "g": "Gbps", "t": "Tbps"}
_CURRENCY = re.compile(r"^\$\s*(?P<num>.+)$|^(?P<num2>.+?)\s*(?:\$|USD|usd)$")


class Unreadable(ValueError):
    """A cell that cannot be read as a number without guessing; the message says what was expected.

    An empty message means "not a number at all": the caller says what the field expects. reason names
    the kind of problem without repeating the value.
    """

    def __init__(self, expected: str, reason: str = "not a number"):
        super().__init__(expected)
        self.reason = reason


@dataclass(frozen=True)
class Context:
    """What the file tells about how numbers were written.

    decimal_comma_possible: the file was not comma-separated, so a comma may be a decimal mark (1,5) and
    "1,200" or "1.200" cannot be told apart from 1.2 and is rejected rather than guessed.
    """

    decimal_comma_possible: bool = False


def parse_number(text: str, ctx: Context) -> tuple[float, str]:
    """The number in text and the rule used to read it ("" when it was written plainly)."""
    t = text.strip().replace("\u00a0", " ").replace("\u202f", " ").strip()
    if _PLAIN.match(t):
        if ctx.decimal_comma_possible and _ONE_GROUP.match(t) and "." in t:
            raise Unreadable(f"a number written without a thousands separator: {t} could mean "
                             f"{t.replace('.', '')} or {float(t):g}", "ambiguous thousands separator")
        return float(t), ""
    if _ONE_GROUP.match(t) and ctx.decimal_comma_possible:
        raise Unreadable(f"a number written without a thousands separator: {t} could mean "
                         f"{t.replace(',', '')} or {float(t.replace(',', '.')):g}", "ambiguous thousands separator")
    if _US_GROUPED.match(t):
        return float(t.replace(",", "")), "thousands separator"
    if _SPACE_GROUPED.match(t):
        if "," in t and not ctx.decimal_comma_possible:
            raise Unreadable("a number with a decimal point, such as 2.5")
        return float(re.sub(r"\s", "", t).replace(",", ".")), "thousands separator"
    if ctx.decimal_comma_possible:
        if _EU_GROUPED.match(t):
            return float(t.replace(".", "").replace(",", ".")), "thousands separator and decimal comma"
        if _DECIMAL_COMMA.match(t):
            return float(t.replace(",", ".")), "decimal comma"
    if t.startswith("="):
        raise Unreadable("a number, not a formula (formulas are never evaluated)", "a formula instead of a number")
    if t.lower().lstrip("+-") in ("nan", "inf", "infinity", "na", "n/a", "none", "null"):
        raise Unreadable("a number (leave the cell empty if the figure is unknown and the field is optional)",
                         "a placeholder (NA, NaN, inf) instead of a number")
    if _DECIMAL_COMMA.match(t):
        raise Unreadable("a number with a decimal point, such as 2.5")
    raise Unreadable("")  # the caller names the field's own expectation


def _plain(text: str, ctx: Context) -> tuple[float, str]:
    return parse_number(text, ctx)


def _money(text: str, ctx: Context) -> tuple[float, str]:
    m = _CURRENCY.match(text.strip())
    if m:
        value, rule = parse_number(m.group("num") or m.group("num2"), ctx)
        return value, "currency sign removed" + (f", {rule}" if rule else "")
    return parse_number(text, ctx)


def _share(text: str, ctx: Context) -> tuple[float, str]:
    m = _PERCENT.match(text.strip())
    if m:
        value, rule = parse_number(m.group("num"), ctx)
        return value / 100.0, "percentage divided by 100" + (f", {rule}" if rule else "")
    return parse_number(text, ctx)


def _bandwidth(text: str, ctx: Context) -> tuple[float, str]:
    m = _BANDWIDTH.match(text.strip())
    if m:
        prefix = m.group("prefix").lower()
        value, rule = parse_number(m.group("num"), ctx)
        converted = value * _BANDWIDTH_SCALE[prefix]
        note = f"{_BANDWIDTH_UNIT[prefix]} converted to Mbps" if prefix != "m" else "unit Mbps removed"
        return converted, note + (f", {rule}" if rule else "")
    try:
        return parse_number(text, ctx)
    except Unreadable:
        raise Unreadable("a bandwidth in Mbps, such as 500, 500 Mbps or 1 Gbps (in bits, not bytes)",
                         "not a bandwidth") from None


#: How a value of each registry unit is read; units not listed are plain numbers.
PARSERS: dict[str, Callable[[str, Context], tuple[float, str]]] = {
    "": _plain,
    "USD": _money,
    "%": _share,
    "Mbps": _bandwidth,
}


@dataclass
class ParsedColumn:
    """One column read as numbers: values (NaN where empty or unreadable), what was wrong, what was converted."""

    values: pd.Series
    unreadable: pd.Series  # True where a cell holds something that is not a number
    errors: pd.Series  # what was expected where a cell was unreadable ("" means: the field's own words)
    reasons: pd.Series  # the kind of problem, without the value
    notes: pd.Series  # rule used where a cell was converted, else ""


def parse_column(f: Field, text: pd.Series, ctx: Context) -> ParsedColumn:
    """Read a column of cells typed by people; plainly written numbers take a vectorized fast path."""
    stripped = text.astype(str).str.strip()
    n = len(stripped)
    values = np.full(n, np.nan)
    unreadable = np.zeros(n, dtype=bool)
    errors, reasons, notes = [""] * n, [""] * n, [""] * n
    plain = stripped.str.fullmatch(_NUM).to_numpy(dtype=bool)
    if ctx.decimal_comma_possible:  # 1.200 could be 1200 there: leave it to the careful path
        plain = plain & ~stripped.str.fullmatch(r"[+-]?\d{1,3}\.\d{3}").to_numpy(dtype=bool)
    cells = stripped.to_numpy(dtype=object)
    if plain.any():
        values[plain] = cells[plain].astype("float64")  # float() of each text: 1e400 gives inf, caught below
    parser = PARSERS.get(f.unit, _plain)
    for i in np.flatnonzero(~plain & (cells != "")):
        try:
            values[i], notes[i] = parser(cells[i], ctx)
        except Unreadable as exc:
            unreadable[i], errors[i], reasons[i] = True, str(exc), exc.reason
    # Absurdly long digit strings overflow to inf; a number that big was never a real figure.
    for i in np.flatnonzero(np.isinf(values)):
        unreadable[i], errors[i], reasons[i] = True, "a number of realistic size", "absurdly large"
        values[i] = np.nan
    index = text.index
    return ParsedColumn(pd.Series(values, index=index), pd.Series(unreadable, index=index),
                        pd.Series(errors, index=index, dtype=object), pd.Series(reasons, index=index, dtype=object),
                        pd.Series(notes, index=index, dtype=object))
