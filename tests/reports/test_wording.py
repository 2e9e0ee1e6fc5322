"""One wording for every report: the initiative check places and judges a plan in the district report's words."""

from types import SimpleNamespace

import numpy as np
import pytest

from benchmarks.privacy.disclosure import GroupFigures
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
    fig = GroupFigures(m, "quartiles", 12, 0.3, 0.5, 0.7, np.nan, np.nan, 5)
    key, report_words, _ = standing_of(m, fig, "county", planned)  # what the district report would say
    assert report_words == words
    sentence = plan_sentence(SimpleNamespace(target_label="2027-28"), _plan(metric, planned, fig))
    assert f"Today that would be {words} of districts in your county ({fig.centre_text}, middle half " \
           f"{fig.middle_text}): {PLAN_VERDICTS[key].lower()}." in sentence
    good = (planned > 0.7) == (m.direction == "higher")
    assert key == ("typical" if planned == 0.45 else "better" if good else "behind")


def test_report_and_initiative_verdicts_share_their_keys():
    assert set(PLAN_VERDICTS) == set(VERDICTS)
    assert PLAN_VERDICTS["missing"] == VERDICTS["missing"][1]


def test_change_verdicts_follow_the_direction():
    assert change_verdict("higher", "up") == "improved" and change_verdict("lower", "up") == "worsened"
    assert change_verdict("neutral", "down") == "down" and change_verdict("higher", "little") == "little change"
    assert change_verdict("lower", "") == ""
