"""Truthful small-group medians on a whole state: the measurement `make real-truth` prints, on the demo."""

import duckdb
import pytest

from benchmarks.privacy.rules import Rules
from benchmarks.timing.truthful import distances, first_rule, summary


@pytest.fixture(scope="module")
def state(demo_project):
    con = duckdb.connect(str(demo_project.warehouse), read_only=True)
    dm = con.execute("SELECT * FROM district_metrics WHERE school_year = '2025-26'").df()
    con.close()
    return dm


def test_shown_county_medians_stay_within_the_tolerance_and_the_first_rule_did_not(state):
    now = distances(state, Rules())
    assert len(now) > 1000 and now["off"].max() <= 0.05 + 1e-9
    assert not now["words_wrong_side"].any()
    with first_rule():
        first = distances(state, Rules())
    assert len(first) == len(now) and first["off"].max() > 0.1 and first["figure_wrong_side"].sum() > 0
    assert "figures; off the plain median: median" in summary(now)
