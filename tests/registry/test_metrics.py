"""The metric registry: formulas on a hand-worked row, ranges, and the generated template files."""

import math

import pandas as pd
import pytest

from benchmarks.config import paths
from benchmarks.intake.template import template_files
from benchmarks.registry.metrics import FIELDS, METRIC_BY_NAME, METRICS, compute_metrics, data_dictionary

ROW = {"enrollment": 1200, "classrooms": 60, "student_devices": 1250, "devices_replaced": 300,
       "device_spend_usd": 90000, "bandwidth_mbps": 1000, "internet_monthly_cost_usd": 2500, "erate_discount": 0.8,
       "access_points": 70, "wifi6_access_points": 40, "helpdesk_tickets": 700,
       "median_resolution_hours": 18, "tech_staff_fte": 2.5}


def test_every_design_metric_is_registered_with_direction_and_goals():
    assert set(METRIC_BY_NAME) == {
        "devices_per_student", "refresh_share", "refresh_cycle_years", "device_price_usd",
        "bandwidth_kbps_per_student", "cost_per_mbps_usd", "aps_per_classroom", "devices_per_ap",
        "wifi6_share", "tickets_per_100_devices", "resolution_hours", "staff_per_1000_devices"}
    assert METRIC_BY_NAME["tickets_per_100_devices"].direction == "lower"
    assert METRIC_BY_NAME["devices_per_student"].direction == "higher"
    assert [g.value for g in METRIC_BY_NAME["bandwidth_kbps_per_student"].goals] == [100.0, 1000.0]
    assert [g.value for g in METRIC_BY_NAME["devices_per_student"].goals] == [1.0]
    assert [g.value for g in METRIC_BY_NAME["aps_per_classroom"].goals] == [1.0]
    field_names = {f.name for f in FIELDS}
    for m in METRICS:
        assert set(m.inputs) <= field_names, m.name


def test_formulas_on_a_hand_worked_row():
    got = compute_metrics(pd.DataFrame([ROW])).iloc[0]
    want = {"devices_per_student": 1250 / 1200, "refresh_share": 0.24, "refresh_cycle_years": 1250 / 300,
            "device_price_usd": 300.0, "bandwidth_kbps_per_student": 1_000_000 / 1200,
            "cost_per_mbps_usd": 2.5, "aps_per_classroom": 70 / 60, "devices_per_ap": 1250 / 70,
            "wifi6_share": 40 / 70, "tickets_per_100_devices": 56.0, "resolution_hours": 18.0,
            "staff_per_1000_devices": 2.0}
    for name, value in want.items():
        assert got[name] == pytest.approx(value), name


def test_zero_denominator_and_out_of_range_give_missing_not_inf():
    row = dict(ROW, devices_replaced=0, enrollment=10, student_devices=600)
    got = compute_metrics(pd.DataFrame([row])).iloc[0]
    assert math.isnan(got["refresh_cycle_years"]) and math.isnan(got["device_price_usd"])
    assert math.isnan(got["devices_per_student"])  # 60 devices per student is outside 0-5


def test_template_files_are_current():
    """data/template/ is generated from the registry: regenerate with `benchmarks template`.

    The workbook is compared by content (cells, validations, formats), since another openpyxl version may
    zip the same content into other bytes; the CSV files byte for byte.
    """
    from conftest import workbook_content

    files = template_files()
    assert set(files) == {"data_dictionary.csv", "submission_template.csv", "submission_template.xlsx"}
    for name, data in files.items():
        committed = (paths().template / name).read_bytes()
        if name.endswith(".xlsx"):
            assert workbook_content(committed) == workbook_content(data), f"{name} is stale: run `benchmarks template`"
        else:
            assert committed == data, f"{name} is stale: run `benchmarks template`"


def test_dictionary_lists_every_field_and_metric():
    d = data_dictionary()
    assert list(d["name"]) == [f.name for f in FIELDS] + [m.name for m in METRICS]
    row = d.set_index("name").loc["bandwidth_kbps_per_student"]
    assert "FCC" in row["goals"] and row["direction"] == "higher is better"
