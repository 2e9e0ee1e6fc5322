"""Tables staged a part at a time beside the warehouse: the parts' rows, types unified by name, nothing left behind."""

import duckdb
import numpy as np
import pandas as pd

from benchmarks.warehouse.staging import STAGING_FOLDER, store_parts


def test_parts_become_one_table_per_name_inside_the_transaction(tmp_path):
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    con.execute("BEGIN TRANSACTION")
    parts = [{"t": pd.DataFrame({"k": [1, 2], "note": [None, None], "x": [0.5, np.nan]}),
              "u": pd.DataFrame({"k": [9]})},
             {"t": pd.DataFrame({"x": [1.5], "k": [3], "note": ["third"]})}]  # other column order, a text at last
    store_parts(con, iter(parts))
    assert con.execute("SELECT k, note, x FROM t ORDER BY k").fetchall() == [
        (1, None, 0.5), (2, None, None), (3, "third", 1.5)]
    assert con.execute("SELECT k FROM u").fetchall() == [(9,)]
    assert not (tmp_path / STAGING_FOLDER).exists()
    con.execute("ROLLBACK")  # the tables were the transaction's: gone with it
    assert con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name IN ('t', 'u')").fetchone() \
        == (0,)


def test_rows_added_to_a_table_take_the_extra_columns_asked_for(tmp_path):
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    con.execute("CREATE SEQUENCE seq; CREATE TABLE s (source_row INTEGER, v DOUBLE, seq BIGINT)")
    con.execute("INSERT INTO s VALUES (1, 0.0, nextval('seq'))")
    con.execute("BEGIN TRANSACTION")
    store_parts(con, ({"s": pd.DataFrame({"source_row": [r], "v": [r / 10]})} for r in (2, 3)),
                insert=", nextval('seq') AS seq")
    con.execute("COMMIT")
    rows = con.execute("SELECT source_row, v, seq FROM s ORDER BY source_row").fetchall()
    assert [r[:2] for r in rows] == [(1, 0.0), (2, 0.2), (3, 0.3)]
    assert sorted(r[2] for r in rows) == [1, 2, 3]
