"""Tables written back to CSV and XLSX: formula-like text neutralized, stored as text, never evaluated."""

import io

import openpyxl
import pandas as pd
import pytest

from benchmarks.privacy.sheets import csv_bytes, neutralize, xlsx_bytes


@pytest.mark.parametrize("value,safe", [
    ("=SUM(A1)", "'=SUM(A1)"), ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"), ("-2+3", "'-2+3"),
    ("@SUM(1)", "'@SUM(1)"), ("\t=1", "'\t=1"), ("-5", "-5"), ("+3.5", "+3.5"), ("Alpha SD", "Alpha SD"),
    ("", ""), (12, 12), (None, None),
])
def test_neutralize(value, safe):
    assert neutralize(value) == safe


FRAME = pd.DataFrame({"name": ["=HYPERLINK(\"http://x\",\"y\")", "Peña <b>", "-1"], "n": [1, 2, 3]})


def test_csv_is_neutralized_and_excel_friendly():
    data = csv_bytes(FRAME)
    assert data.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str)
    assert list(back["name"]) == ["'=HYPERLINK(\"http://x\",\"y\")", "Peña <b>", "-1"]


def test_xlsx_stores_text_as_text_never_as_a_formula():
    frame = pd.concat([FRAME, pd.DataFrame({"name": ["bell\x07char"], "n": [4]})], ignore_index=True)
    ws = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(frame))).active
    cells = [c for c in ws["A"]][1:]
    assert [c.value for c in cells] == ["'=HYPERLINK(\"http://x\",\"y\")", "Peña <b>", "-1", "bell\ufffdchar"]
    assert all(c.data_type == "s" for c in cells)
    assert [c.value for c in ws["B"]][1:] == [1, 2, 3, 4]
