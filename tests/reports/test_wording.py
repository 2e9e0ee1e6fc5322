"""One wording for every report: the initiative check ranks and judges a plan in the district report's words."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from benchmarks.registry.metrics import METRIC_BY_NAME
from benchmarks.reports.initiative import plan_sentence
from benchmarks.reports.wording import (
    PLAN_VERDICTS,
    VERDICTS,
    change_verdict,
    rank_phrase,
    standing_short,
    verdict_key,
    verdict_label,
    verdict_of,
)


def _plan(metric: str, pct_better: float) -> dict:
    """A plan_lines record of a planned value against the county, without a projection."""
    rec = {"metric": metric, "planned": 1.0, "group_kind": "county", "planned_pct_better": pct_better,
           "median_text": "1.00", "planned_vs": "within", "projected_median": np.nan}
    for i, _ in enumerate(METRIC_BY_NAME[metric].goals):
        rec.update({f"goal{i}_meets": True, f"goal{i}_gap": 0.0})
    return rec


@pytest.mark.parametrize("metric", ["wifi6_share", "tickets_per_100_devices"])  # higher and lower is better
@pytest.mark.parametrize("pct_better, end", [(100.0, "nearly all"), (0.0, "nearly all"), (80.0, "8 in 10")])
def test_the_initiative_check_ranks_in_the_district_reports_words(metric, pct_better, end):
    check = SimpleNamespace(target_label="2027-28")
    row = pd.Series({"value": 1.0, "pct_better": pct_better, "group_kind": "county", "n": 12, "median_vs": "within"})
    report_words = standing_short(metric, row)  # the district report's summary: "higher than nearly all"
    assert report_words.endswith(f"than {end}") and "10 in 10" not in report_words
    sentence = plan_sentence(check, _plan(metric, pct_better))
    assert f"Today that would be {report_words} districts in your county" in sentence
    assert rank_phrase(pct_better, METRIC_BY_NAME[metric].direction) == report_words


def test_the_ends_say_higher_or_lower_by_the_metrics_direction():
    # beating every other district: more of a higher-is-better figure, less of a lower-is-better one
    assert rank_phrase(100.0, "higher") == "higher than nearly all"
    assert rank_phrase(100.0, "lower") == "lower than nearly all"
    assert rank_phrase(0.0, "higher") == "lower than nearly all"
    assert rank_phrase(0.0, "lower") == "higher than nearly all"
    assert rank_phrase(50.0, "neutral") == "higher than 5 in 10"


def test_report_and_initiative_verdicts_share_their_keys():
    assert set(PLAN_VERDICTS) == set(VERDICTS)
    for direction in ("higher", "lower", "neutral"):
        for side in ("above", "below", "within", "undetermined", None):
            key = verdict_key(direction, side)
            row = {"value": 1.0, "median_vs": side}
            metric = {"higher": "devices_per_student", "lower": "tickets_per_100_devices",
                      "neutral": "refresh_cycle_years"}[direction]
            assert verdict_of(metric, row) == key
            assert verdict_label(direction, side, "county") == PLAN_VERDICTS[key]
    assert verdict_label("higher", "above", None) == PLAN_VERDICTS["missing"] == VERDICTS["missing"][1]


def test_change_verdicts_follow_the_direction():
    assert change_verdict("higher", "up") == "improved" and change_verdict("lower", "up") == "worsened"
    assert change_verdict("neutral", "down") == "down" and change_verdict("higher", "little") == "little change"
    assert change_verdict("lower", "") == ""
