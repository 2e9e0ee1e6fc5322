"""Reading numbers as people type them: what is converted, and what is refused rather than guessed."""

import math

import pandas as pd
import pytest

from benchmarks.intake.units import PARSERS, Context, Unreadable, parse_column, parse_number
from benchmarks.registry.metrics import FIELD_BY_NAME

COMMA = Context(decimal_comma_possible=False)
SEMI = Context(decimal_comma_possible=True)


@pytest.mark.parametrize("text,value,rule", [
    ("1200", 1200, ""), (" 1200 ", 1200, ""), ("+5", 5, ""), ("-5", -5, ""), ("2.5", 2.5, ""), (".5", 0.5, ""),
    ("1e3", 1000, ""), ("1,200", 1200, "thousands separator"), ("1,234,567.5", 1234567.5, "thousands separator"),
    ("1 200", 1200, "thousands separator"), ("1\u00a0200", 1200, "thousands separator"),
])
def test_numbers_in_a_comma_separated_file(text, value, rule):
    assert parse_number(text, COMMA) == (pytest.approx(value), rule)


@pytest.mark.parametrize("text,value,rule", [
    ("2,5", 2.5, "decimal comma"), ("1.234,5", 1234.5, "thousands separator and decimal comma"),
    ("1.234.567", 1234567, "thousands separator and decimal comma"), ("1,234,567", 1234567, "thousands separator"),
    ("1200", 1200, ""), ("1.5", 1.5, ""), ("1 200,5", 1200.5, "thousands separator"),
])
def test_numbers_in_a_semicolon_separated_file(text, value, rule):
    assert parse_number(text, SEMI) == (pytest.approx(value), rule)


@pytest.mark.parametrize("text", ["1,200", "1.200", "12,500", "999.000"])
def test_one_group_of_three_digits_is_ambiguous_where_a_comma_may_be_decimal(text):
    with pytest.raises(Unreadable, match="could mean") as info:
        parse_number(text, SEMI)
    assert info.value.reason == "ambiguous thousands separator"


PLACEHOLDER = "a placeholder (NA, NaN, inf) instead of a number"


@pytest.mark.parametrize("text,reason", [
    ("NaN", PLACEHOLDER), ("inf", PLACEHOLDER), ("-Infinity", PLACEHOLDER), ("NA", PLACEHOLDER),
    ("=1+1", "a formula instead of a number"), ("abc", "not a number"), ("2,5", "not a number"),
    ("1,20", "not a number"), ("(500)", "not a number"), ("12-3", "not a number"), ("1,2,3", "not a number"),
])
def test_unreadable_cells_are_refused(text, reason):
    with pytest.raises(Unreadable) as info:
        parse_number(text, COMMA)
    assert info.value.reason == reason


@pytest.mark.parametrize("text,value,rule", [
    ("25%", 0.25, "percentage divided by 100"), ("0.25", 0.25, ""), ("80 %", 0.8, "percentage divided by 100"),
    ("12.5%", 0.125, "percentage divided by 100"),
])
def test_shares_as_fractions_or_percentages(text, value, rule):
    assert PARSERS["%"](text, COMMA) == (pytest.approx(value), rule)


@pytest.mark.parametrize("text,mbps,rule", [
    ("1 Gbps", 1000, "Gbps converted to Mbps"), ("1Gbps", 1000, "Gbps converted to Mbps"),
    ("1.5 Gb/s", 1500, "Gbps converted to Mbps"), ("10 Gbit/s", 10000, "Gbps converted to Mbps"),
    ("500 Mbps", 500, "unit Mbps removed"), ("500 mbps", 500, "unit Mbps removed"),
    ("500 MBPS", 500, "unit Mbps removed"), ("100000 kbps", 100, "kbps converted to Mbps"),
    ("1,000 Mbps", 1000, "unit Mbps removed, thousands separator"), ("750", 750, ""),
])
def test_bandwidth_units_are_converted_to_mbps(text, mbps, rule):
    assert PARSERS["Mbps"](text, COMMA) == (pytest.approx(mbps), rule)


@pytest.mark.parametrize("text", ["1 GB", "1 GBps", "500 MB/s", "1 gig", "fast", "1 Gbps plus"])
def test_bandwidth_in_bytes_or_without_a_known_unit_is_refused(text):
    with pytest.raises(Unreadable, match="in bits, not bytes"):
        PARSERS["Mbps"](text, COMMA)


def test_money_may_carry_a_dollar_sign():
    assert PARSERS["USD"]("$2,500.00", COMMA) == (2500.0, "currency sign removed, thousands separator")
    assert PARSERS["USD"]("2500 USD", COMMA) == (2500.0, "currency sign removed")


def test_parse_column_marks_unreadable_cells_and_records_conversions():
    text = pd.Series(["1 Gbps", "", "abc", "500", "9" * 400], index=[2, 3, 4, 5, 6])
    col = parse_column(FIELD_BY_NAME["bandwidth_mbps"], text, COMMA)
    assert col.values[2] == 1000 and math.isnan(col.values[3]) and col.values[5] == 500
    assert list(col.unreadable) == [False, False, True, False, True]  # empty is not unreadable; 9...9 overflows
    assert col.notes[2] == "Gbps converted to Mbps" and col.notes[5] == ""
    assert col.reasons[6] == "absurdly large"
