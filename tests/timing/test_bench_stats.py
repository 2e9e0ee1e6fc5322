"""The statistics benchmark builds its demo frame the way ingest does (bench-stats runs end to end)."""

import duckdb
import pandas as pd

from benchmarks.timing.stats import demo_frames


def test_demo_frames_match_the_ingested_demo_state(demo_project):
    dm, current = demo_frames(demo_project)
    assert len(dm) == len(current) == 3 * 860
    con = duckdb.connect(str(demo_project.warehouse), read_only=True)
    stored = con.execute("SELECT * FROM district_metrics").df()
    con.close()
    key = ["school_year", "pseudonym"]
    pd.testing.assert_frame_equal(dm.sort_values(key, ignore_index=True)[stored.columns],
                                  stored.sort_values(key, ignore_index=True), check_dtype=False)
