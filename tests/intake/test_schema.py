"""The submission schema: derived from the registry, one clear problem per bad cell, absurd metrics caught."""

import pandas as pd
import pytest
from conftest import csv_text, row

from benchmarks.intake.reader import read_submission
from benchmarks.intake.schema import expectations, submission_schema, validate_rows
from benchmarks.intake.units import Context
from benchmarks.registry.metrics import CHOICES, FIELDS, MEASURE_FIELDS, METRICS


def check(*rows, ctx=Context()):
    table = read_submission(csv_text(list(rows)).encode(), "s.csv")
    assert not table.problems
    return validate_rows(table.frame, "s.csv", ctx)


def only(result, **kw):
    """The single problem of a validation, checked against the given attributes."""
    [p] = result.problems
    for key, want in kw.items():
        assert getattr(p, key) == want, (key, getattr(p, key))
    return p


def test_schema_is_derived_from_the_registry():
    schema = submission_schema()
    assert list(schema.columns) == [f.name for f in FIELDS]
    for f in MEASURE_FIELDS:
        col = schema.columns[f.name]
        assert col.nullable == (not f.required)
        rng = [c for c in col.checks if c.error == f"range:{f.name}"][0]
        assert (rng.statistics["min_value"], rng.statistics["max_value"]) == (f.min, f.max)
    assert {c.error for c in schema.checks} == {f"metric:{m.name}" for m in METRICS} | {"example"}
    assert schema.unique == ["district_id", "school_year"]
    [isin] = [c for c in schema.columns["locale"].checks if c.error == "locale"]
    assert tuple(isin.statistics["allowed_values"]) == CHOICES["locale"]


def test_a_good_row_passes_with_typed_values():
    result = check(row())
    assert not result.problems and len(result.accepted) == 1
    got = result.accepted.iloc[0]
    assert got["enrollment"] == 1200 and got["erate_discount"] == 0.8 and got["district_id"] == "9900001"


@pytest.mark.parametrize("column,value,reason,expected", [
    ("enrollment", "-5", "outside the valid range", "a whole number from 1 to 1,500,000"),
    ("enrollment", "0", "outside the valid range", "a whole number from 1 to 1,500,000"),
    ("classrooms", "60.5", "not a whole number", "a whole number from 1 to 100,000"),
    ("student_devices", "NaN", "a placeholder (NA, NaN, inf) instead of a number", None),
    ("helpdesk_tickets", "inf", "a placeholder (NA, NaN, inf) instead of a number", None),
    ("tech_staff_fte", "-Infinity", "a placeholder (NA, NaN, inf) instead of a number", None),
    ("bandwidth_mbps", "2000000", "outside the valid range", "a number from 0 to 1,000,000 Mbps"),
    ("enrollment", "", "empty but required", "a value (this column must be filled in)"),
    ("erate_discount", "80", "outside the valid range", "a share from 0 to 0.9 (90%), written as 0.8 or 80%"),
    ("locale", "Moon", "not a listed locale", "one of City, Suburb, Town, Rural"),
    ("state", "Illinois", "not a state code", "a two-letter state code such as IL"),
    ("school_year", "2025-27", "not a school year", "a school year written YYYY-YY, such as 2025-26"),
    ("school_year", "2025", "not a school year", "a school year written YYYY-YY, such as 2025-26"),
    ("county", " ", "empty but required", "a value (this column must be filled in)"),
    ("device_spend_usd", "=1+1", "a formula instead of a number", None),
    ("district_name", "Alpha\x00SD", "control characters in text", None),
    ("county", "Kane\x1b[31m", "control characters in text", None),
])
def test_each_bad_cell_gets_one_clear_problem(column, value, reason, expected):
    result = check(row(n=1), row(n=2, **{column: value}))
    p = only(result, row=3, column=column, value=value, reason=reason)
    if expected:
        assert p.expected == expected
    assert str(p).startswith(f"s.csv, row 3, column {column}: ")
    assert list(result.accepted.index) == [2]


def test_an_optional_field_may_be_empty():
    result = check(row(erate_discount=""))
    assert not result.problems and pd.isna(result.accepted.iloc[0]["erate_discount"])


def test_absurd_values_are_quarantined_naming_the_metric_and_its_columns():
    result = check(row(enrollment="1000", student_devices="60000", devices_replaced="12000",
                       device_spend_usd="3600000", access_points="600", helpdesk_tickets="30000",
                       tech_staff_fte="60"))
    p = only(result, row=2, column="student_devices, enrollment", reason="devices per student outside its valid range")
    assert "devices per student (student_devices / enrollment) from 0 to 20" in p.expected
    assert p.expected.endswith("these give 60") and p.value == "student_devices 60000, enrollment 1000"


def test_unusual_values_are_accepted_and_flagged_to_confirm():
    # Alaska's satellite links: $3,000 per Mbps is rare, not impossible; 4 devices per student likewise
    from benchmarks.intake.validate import check_file

    text = csv_text([row(n=1, bandwidth_mbps="50", internet_monthly_cost_usd="150000"),
                     row(n=2, student_devices="4800", devices_replaced="1200", device_spend_usd="360000"), row(n=3)])
    result = check_file(text.encode(), "s.csv")
    assert result.problems == [] and list(result.accepted.index) == [2, 3, 4]
    assert [(f.row, f.column, f.reason) for f in result.flags] == [
        (2, "internet_monthly_cost_usd, bandwidth_mbps", "monthly internet cost per mbps unusual, to confirm"),
        (3, "student_devices, enrollment", "devices per student unusual, to confirm")]
    assert result.flags[0].expected == ("monthly internet cost per mbps usually from 0.05 to 1,000 $/Mbps; "
                                        "these give 3,000: please confirm")


def test_a_wrong_input_is_reported_once_not_again_through_its_metrics():
    result = check(row(student_devices="-1"))
    only(result, column="student_devices", reason="outside the valid range")


def test_more_wifi6_than_access_points_is_caught_by_the_share_metric():
    result = check(row(access_points="40", wifi6_access_points="70"))
    only(result, column="wifi6_access_points, access_points")


def test_duplicated_district_year_rows_in_one_file_are_all_quarantined():
    result = check(row(n=1), row(n=2), row(n=1, district_name="Again"), row(n=1, school_year="2024-25"))
    assert [(p.row, p.reason) for p in result.problems] == [(2, "the same district and school year twice"),
                                                            (4, "the same district and school year twice")]
    assert "appears again for 2025-26 in row 4" in result.problems[0].expected
    assert list(result.accepted.index) == [3, 5]


def test_leading_zero_dropped_by_a_spreadsheet_is_restored_and_recorded():
    result = check(row(district_id="990001"))
    assert result.accepted.iloc[0]["district_id"] == "0990001"
    conv = result.conversions.iloc[0]
    assert (conv["column"], conv["submitted"], conv["stored"]) == ("district_id", "990001", "0990001")


def test_conversions_are_recorded_for_accepted_rows():
    result = check(row(bandwidth_mbps="1 Gbps", erate_discount="80%", enrollment="1,200", locale="rural",
                       state="ps", device_spend_usd="$90,000"))
    assert not result.problems
    got = result.accepted.iloc[0]
    assert (got["bandwidth_mbps"], got["erate_discount"], got["enrollment"]) == (1000, 0.8, 1200)
    assert (got["locale"], got["state"], got["device_spend_usd"]) == ("Rural", "PS", 90000)
    conv = result.conversions.set_index("column")
    assert conv.at["bandwidth_mbps", "rule"] == "Gbps converted to Mbps"
    assert conv.at["bandwidth_mbps", "stored"] == "1000"
    assert conv.at["erate_discount", "submitted"] == "80%" and conv.at["erate_discount", "stored"] == "0.8"
    assert set(conv.index) == {"bandwidth_mbps", "erate_discount", "enrollment", "locale", "state", "device_spend_usd"}


def test_older_nces_locale_names_map_to_the_current_ones():
    result = check(row(n=1, locale="Suburban"), row(n=2, locale="Small Town"), row(n=3, locale="urban"))
    assert list(result.accepted["locale"]) == ["Suburb", "Town", "City"]


def test_text_that_looks_like_a_formula_or_markup_is_kept_as_text():
    names = ["=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "<script>alert(1)</script> SD"]
    result = check(*[row(n=i, district_name=name) for i, name in enumerate(names)])
    assert not result.problems
    assert list(result.accepted["district_name"]) == names


def test_the_template_example_row_left_in_is_refused():
    from benchmarks.registry.metrics import FIELD_BY_NAME
    example = {f.name: f.example for f in FIELDS}
    result = check(row(n=1), example)
    p = only(result, row=3, reason="the template's example row")
    assert FIELD_BY_NAME["district_name"].example in p.value


def test_every_check_has_words():
    words = expectations()
    schema = submission_schema()
    for col in schema.columns.values():
        for c in col.checks:
            assert c.error in words, c.error
    for c in schema.checks:
        assert c.error in words
