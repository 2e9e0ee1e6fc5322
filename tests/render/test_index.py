"""index.html's county counts: tagged for the audit, pooled with the rules in force."""

import pandas as pd

from benchmarks.privacy.rules import Rules
from benchmarks.render.index import county_rows


def test_county_rows_pool_below_the_rules_threshold():
    districts = pd.DataFrame({"county": ["A"] * 9 + ["B"] * 6 + ["C"] * 2})
    strict = "".join(county_rows(districts, "2025-26", Rules.for_min_peers(8)))
    assert "data-county='A'" in strict and "data-county='B'" not in strict
    assert "2 counties with fewer than 8 reports" in strict and ">8<" in strict  # B and C pooled: 6 + 2
    loose = "".join(county_rows(districts, "2025-26", Rules()))
    assert "data-county='B'" in loose and "1 county with fewer than 5 reports" in loose
