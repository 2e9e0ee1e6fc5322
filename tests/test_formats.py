"""Every figure as every output shows it: one rounding, the registry's units, shares as percentages."""

import numpy as np

from benchmarks.formats import (
    amount_text,
    band_text,
    change_text,
    display_value,
    figure_text,
    points_text,
    share_points,
    share_text,
)
from benchmarks.registry.metrics import METRIC_BY_NAME


def test_display_rounding():
    m = METRIC_BY_NAME
    assert figure_text(m["refresh_share"], 0.2512) == "25.1%"
    assert figure_text(m["device_price_usd"], 312.4) == "$312"
    assert figure_text(m["cost_per_mbps_usd"], 1.814) == "$1.81/Mbps"
    assert figure_text(m["bandwidth_kbps_per_student"], 1209.4) == "1,209 kbps"
    assert figure_text(m["resolution_hours"], float("nan")) == "–"
    assert display_value(m["refresh_share"], 0.2512) == 25.1


def test_amounts_changes_and_shares():
    m = METRIC_BY_NAME
    assert amount_text(m["devices_per_student"], -0.04) == "0.04 devices"
    assert amount_text(m["wifi6_share"], 0.035) == "3.5 points"
    assert change_text(m["cost_per_mbps_usd"], -0.39) == "−$0.39/Mbps"
    assert change_text(m["refresh_share"], 1.0) == "+1.0 point"
    assert points_text(-1) == "−1 point" and points_text(7) == "+7 points" and points_text(np.nan) == "–"
    assert share_text(0.004) == "under 1%" and share_text(0.996) == "over 99%" and share_text(0.37) == "37%"
    assert share_points(0.374) == 37.0
    assert band_text(m["device_price_usd"], 310, 320) == "$310–$320"
