"""A large file validated a slice at a time gives what validating it whole gives, duplicates across slices too."""

import pandas as pd
from conftest import row

from benchmarks.intake.chunks import validate_in_chunks
from benchmarks.intake.schema import validate_rows


def _frame() -> pd.DataFrame:
    rows = [row(n=n) for n in range(1, 31)]
    rows[3]["student_devices"] = "abc"                       # row 5: not a number
    rows[7]["bandwidth_mbps"] = "1 Gbps"                     # row 9: converted
    rows[20]["district_id"] = "9900002"                      # row 22: the district of row 3, another slice
    rows[25]["district_id"], rows[26]["district_id"] = "990028", "0990028"  # rows 27 and 28: one id, zero restored
    frame = pd.DataFrame(rows, dtype=object)
    frame.index = pd.Index(range(2, 32), dtype="int64")
    return frame


def _key(p):
    return (p.row, p.column, p.value, p.expected, p.reason)


def test_slices_give_the_whole_file_result():
    frame = _frame()
    whole = validate_rows(frame, "f.csv")
    sliced = validate_in_chunks(frame, "f.csv", chunk_rows=7)
    assert sorted(map(_key, sliced.problems)) == sorted(map(_key, whole.problems))
    assert [p.row for p in sliced.problems] == sorted(p.row for p in sliced.problems)
    pd.testing.assert_frame_equal(sliced.accepted, whole.accepted)
    pd.testing.assert_frame_equal(sliced.conversions, whole.conversions, check_dtype=False)
    dup = {p.row: p.expected for p in sliced.problems if p.reason == "the same district and school year twice"}
    assert dup == {3: "one row per district and school year (district 9900002 appears again for 2025-26 in row 22)",
                   22: "one row per district and school year (district 9900002 appears again for 2025-26 in row 3)",
                   27: "one row per district and school year (district 0990028 appears again for 2025-26 in row 28)",
                   28: "one row per district and school year (district 0990028 appears again for 2025-26 in row 27)"}
    assert len(sliced.accepted) == 30 - 5
