"""One wording for every report: the initiative check places and judges a plan in the district report's words."""

from types import SimpleNamespace

import numpy as np
import pytest

from benchmarks.privacy.disclosure import GroupFigures
from benchmarks.privacy.rules import Rules
from benchmarks.registry.metrics import METRIC_BY_NAME
from benchmarks.reports.initiative import plan_sentence
from benchmarks.reports.wording import PLAN_VERDICTS, VERDICTS, change_verdict, standing_of


def _plan(metric: str, planned: float, fig: GroupFigures) -> dict:
    """A plan_lines record of a planned value against the county, without a projection."""
    key, words, _ = standing_of(METRIC_BY_NAME[metric], fig, "county", planned)
    rec = {"metric": metric, "planned": planned, "group_kind": "county", "median_text": fig.centre_text,
           "middle_text": fig.middle_text, "verdict_key": key, "standing": words, "projected_median": np.nan}
    for i, _ in enumerate(METRIC_BY_NAME[metric].goals):
        rec.update({f"goal{i}_meets": True, f"goal{i}_gap": 0.0})
    return rec


@pytest.mark.parametrize("metric", ["wifi6_share", "tickets_per_100_devices"])  # higher and lower is better
@pytest.mark.parametrize("planned, words", [(0.9, "above the middle half"), (0.1, "below the middle half"),
                                            (0.45, "in the middle half, below the median")])
def test_the_initiative_check_places_a_plan_in_the_district_reports_words(metric, planned, words):
    m = METRIC_BY_NAME[metric]
    k = 1 if m.unit == "%" else 100  # shares in 0-1, tickets per 100 devices in tens (shown to one decimal)
    planned *= k
    fig = GroupFigures(m, "quartiles", 12, 0.3 * k, 0.5 * k, 0.7 * k, np.nan, np.nan, Rules())
    key, report_words, _ = standing_of(m, fig, "county", planned)  # what the district report would say
    assert report_words == words
    sentence = plan_sentence(SimpleNamespace(target_label="2027-28"), _plan(metric, planned, fig))
    assert f"Today that would be {words} of districts in your county ({fig.centre_text}, middle half " \
           f"{fig.middle_text}): {PLAN_VERDICTS[key].lower()}." in sentence
    good = (planned > 0.7 * k) == (m.direction == "higher")
    assert key == ("typical" if planned == 0.45 * k else "better" if good else "behind")


def test_report_and_initiative_verdicts_share_their_keys():
    assert set(PLAN_VERDICTS) == set(VERDICTS)
    assert PLAN_VERDICTS["missing"] == VERDICTS["missing"][1]


def test_a_plan_within_the_tolerance_of_the_median_is_about_it_in_both_reports():
    m = METRIC_BY_NAME["devices_per_student"]
    fig = GroupFigures(m, "quartiles", 12, 1.0, 1.2, 1.4, np.nan, np.nan, Rules())
    # 5% of 1.20 devices is 0.06: 1.14 and 1.26 are about the median, 1.13 is below it
    for planned in (1.14, 1.26):
        key, words, _ = standing_of(m, fig, "county", planned)
        assert (key, words) == ("typical", "in the middle half, about the median")
    assert standing_of(m, fig, "county", 1.13)[1] == "in the middle half, below the median"
    small = GroupFigures(m, "centre", 7, np.nan, 1.2, np.nan, np.nan, np.nan, Rules())
    assert standing_of(m, small, "county", 1.17)[:2] == ("at_median", "about the median")
    assert VERDICTS["at_median"][1] == "About the median" and PLAN_VERDICTS["at_median"] == "About the peers' median"


def test_change_verdicts_follow_the_direction():
    assert change_verdict("higher", "up") == "improved" and change_verdict("lower", "up") == "worsened"
    assert change_verdict("neutral", "down") == "down" and change_verdict("higher", "little") == "little change"
    assert change_verdict("lower", "") == ""
