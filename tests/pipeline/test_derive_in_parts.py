"""The per-district tables rebuilt a few states at a time are the tables rebuilt at once, row for row."""

import duckdb
import pandas as pd
from conftest import csv_text, row

from benchmarks.pipeline.derive import DERIVED_TABLES, rebuild_derived, state_partitions
from benchmarks.pipeline.ingest import ingest_files
from benchmarks.privacy.keys import DEMO_KEY
from benchmarks.privacy.rules import Rules


def _tables(con) -> dict[str, pd.DataFrame]:
    out = {}
    for name in ("district_metrics", *DERIVED_TABLES):
        frame = con.execute(f"SELECT * FROM {name}").df()
        out[name] = frame.sort_values(list(frame.columns)[:6], ignore_index=True)
    return out


def test_state_partitions_keep_states_whole():
    dm = pd.DataFrame({"state": ["IL"] * 5 + ["IN"] * 2 + ["PS"] * 9 + ["WI"]})
    assert state_partitions(dm, max_rows=7) == [["IL", "IN"], ["PS"], ["WI"]]
    assert state_partitions(dm, max_rows=100) == [["IL", "IN", "PS", "WI"]]


def test_rebuilding_in_parts_gives_the_same_tables(project, tmp_path):
    files = []
    for year in ("2024-25", "2025-26"):
        rows = [row(n=n, school_year=year, state=state, county=f"County {n % 3}",
                    enrollment=str(400 + 97 * n), student_devices=str(380 + 89 * n + 7 * (year == "2025-26")),
                    devices_replaced=str(50 + 13 * n), helpdesk_tickets=str(300 + 31 * n))
                for state, ns in (("IL", range(1, 14)), ("IN", range(20, 31)), ("PS", range(40, 52)))
                for n in ns]
        path = tmp_path / f"subs_{year}.csv"
        path.write_text(csv_text(rows))
        files.append(path)
    ingest_files(files, project, DEMO_KEY)
    con = duckdb.connect(str(project.warehouse))
    at_once = _tables(con)
    assert len(at_once["peer_stats"]) > 0 and at_once["peer_stats"]["status"].nunique() > 1
    con.execute("BEGIN TRANSACTION")
    rebuild_derived(con, Rules.for_min_peers(5), max_rows=30)  # three parts: one state each
    in_parts = _tables(con)
    con.execute("ROLLBACK")
    for name, frame in at_once.items():
        pd.testing.assert_frame_equal(in_parts[name], frame, check_dtype=False, obj=name)
