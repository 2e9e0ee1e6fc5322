"""Identifiers as text, through the commands: a district ID or school year typed in full-width digits or with a
zero-width space is the same district and year (normalized, then ASCII); Arabic-Indic digits, a Cyrillic 'О' or
a year far from those on record are quarantined naming what is wrong, and no district or year is added."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import GOOD_ROW, csv_text, make_project, row, run_cli as run, rows_counted as counted

from benchmarks.intake.identifiers import YearsOnRecord, describe_character, normalize_text, year_window
from benchmarks.pipeline.ingest import ingest_files
from benchmarks.privacy.keys import DEMO_KEY, pseudonym

YEAR = "2025-26"
LAKE_DUNMORE = "9918270"  # one of the nine districts of the demo's Kestrel County




@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The demo state's 2024-25 and 2025-26 submissions ingested (built once, copied for each test)."""
    root = tmp_path_factory.mktemp("ids") / "project"
    p = make_project(root)
    ingest_files([p.demo / "submissions_2024-25.csv", p.demo / f"submissions_{YEAR}.csv"], p, DEMO_KEY)
    return root


@pytest.fixture
def demo(built, tmp_path):
    from benchmarks.config import Paths

    root = tmp_path / "project"
    shutil.copytree(built, root, symlinks=True)
    return Paths(root)


def _demo_row(p, district_id: str) -> dict:
    with open(p.demo / f"submissions_{YEAR}.csv", newline="", encoding="utf-8") as f:
        return next(r for r in csv.DictReader(f) if r["district_id"] == district_id)


def _resubmit(p, tmp_path, **changes) -> Path:
    """Lake Dunmore Park's row sent again, corrected (a new file), with some cells changed."""
    sent = {**_demo_row(p, LAKE_DUNMORE), "helpdesk_tickets": "2190", **changes}
    path = tmp_path / "lake_dunmore_resubmission.csv"
    path.write_text(csv_text([sent]), encoding="utf-8")
    return path


def _warehouse(p) -> dict:
    with duckdb.connect(str(p.warehouse), read_only=True) as con:
        one = lambda sql: con.execute(sql).fetchall()  # noqa: E731
        return {"kestrel": one(f"SELECT count(*) FROM district_metrics WHERE county = 'Kestrel County' "
                               f"AND school_year = '{YEAR}'")[0][0],
                "districts": one("SELECT count(DISTINCT pseudonym) FROM district_metrics")[0][0],
                "years": [r[0] for r in one("SELECT DISTINCT school_year FROM district_metrics ORDER BY 1")],
                "submissions": one("SELECT count(*) FROM submissions")[0][0],
                "lake_tickets": one(f"SELECT helpdesk_tickets FROM current_submissions WHERE pseudonym = "
                                    f"'{pseudonym(DEMO_KEY, LAKE_DUNMORE)}' AND school_year = '{YEAR}'")}


@pytest.mark.parametrize("sent, rule", [
    ("99182\uff170", "Unicode NFKC"),  # a full-width 7 (U+FF17), as typed with an East Asian keyboard layout
    ("\uff19\uff19\uff11\uff18\uff12\uff17\uff10", "Unicode NFKC"),  # all seven digits full-width
    ("99\u200b18270", "invisible characters removed (zero-width space)"),  # pasted from a web page
    ("\ufeff9918270\u00ad", "invisible characters removed (byte-order mark, soft hyphen)"),
], ids=["one-full-width-digit", "full-width", "zero-width-space", "bom-and-soft-hyphen"])
def test_a_look_alike_id_that_normalizes_is_the_same_district(demo, tmp_path, sent, rule):
    before = _warehouse(demo)
    assert before["kestrel"] == 9
    code, out = run(demo.root, "ingest", _resubmit(demo, tmp_path, district_id=sent))
    assert code == 0, out
    assert counted(out) == (1, 1, 0)
    after = _warehouse(demo)
    # the same district: its figure replaced, no new member in Kestrel County, no new district anywhere
    assert after["kestrel"] == 9 and after["districts"] == before["districts"]
    assert after["lake_tickets"] == [(2190,)] and before["lake_tickets"] == [(2205,)]
    assert after["submissions"] == before["submissions"] + 1  # kept in the history, replacing the earlier row
    with duckdb.connect(str(demo.warehouse), read_only=True) as con:
        rules = [r[0] for r in con.execute("SELECT rule FROM conversions WHERE column_name = 'district_id'")
                 .fetchall()]
    assert len(rules) == 1 and rules[0].startswith(rule)
    code, out = run(demo.root, "history", sent)  # the district's history, found by the ID as it was typed
    assert code == 0 and [line.split()[-1] for line in out.strip().splitlines()[1:]] == ["current", "replaced",
                                                                                         "current"]


@pytest.mark.parametrize("sent, named", [
    ("99182\u06670", "an Arabic-Indic digit ('\u0667', U+0667)"),
    ("99182\u06f70", "an Extended Arabic-Indic digit ('\u06f7', U+06F7)"),
    ("99\u041e8270", "a Cyrillic letter '\u041e' (U+041E)"),
    ("99O8270", "the letter 'O' (U+004F)"),
], ids=["arabic-indic", "persian", "cyrillic-o", "latin-o"])
def test_a_look_alike_id_that_does_not_normalize_is_quarantined_naming_the_character(demo, tmp_path, sent, named):
    file = _resubmit(demo, tmp_path, district_id=sent)
    expected = (f"{file}, row 2, column district_id: value '{sent}': expected a 7-digit NCES district ID written "
                f"in the digits 0-9, such as 1700001; it contains {named}")
    code, out = run(demo.root, "validate", file)
    assert code == 1 and counted(out) == (1, 0, 1)
    assert expected in out.splitlines()
    before = _warehouse(demo)
    code, out = run(demo.root, "ingest", file)
    assert code == 1 and counted(out) == (1, 0, 1)
    assert expected in out.splitlines()
    after = _warehouse(demo)
    assert after == before and after["kestrel"] == 9  # nothing stored: no new district, the old row stands
    kept = "".join(f.read_text(encoding="utf-8-sig") for f in demo.quarantine.glob("*.csv"))
    assert sent in kept and "it contains" in kept  # the row as sent, with its reason, for the analyst to fix


def test_a_school_year_in_full_width_digits_is_the_same_year(demo, tmp_path):
    code, out = run(demo.root, "ingest", _resubmit(demo, tmp_path, school_year="\uff12\uff10\uff12\uff15-\uff12\uff16"))
    assert code == 0 and counted(out) == (1, 1, 0)
    after = _warehouse(demo)
    assert after["years"] == ["2024-25", YEAR] and after["lake_tickets"] == [(2190,)] and after["kestrel"] == 9


def test_a_school_year_in_arabic_indic_digits_is_quarantined(demo, tmp_path):
    sent = "\u0662\u0660\u0662\u0665-\u0662\u0666"
    file = _resubmit(demo, tmp_path, school_year=sent)
    before = _warehouse(demo)
    code, out = run(demo.root, "ingest", file)
    assert code == 1 and counted(out) == (1, 0, 1)
    assert (f"{file}, row 2, column school_year: value '{sent}': expected a school year written YYYY-YY, such as "
            f"2025-26; it contains an Arabic-Indic digit ('\u0662', U+0662)") in out.splitlines()
    assert _warehouse(demo) == before


def test_a_state_code_with_a_cyrillic_letter_is_quarantined(demo, tmp_path):
    file = _resubmit(demo, tmp_path, state="P\u0405")  # Cyrillic DZE, drawn as S
    code, out = run(demo.root, "validate", file)
    assert code == 1 and counted(out) == (1, 0, 1)
    assert ("column state: value 'P\u0405': expected a two-letter state code such as IL; it contains a Cyrillic "
            "letter '\u0405' (U+0405)") in out


def test_a_school_year_far_from_those_on_record_is_refused_by_validate_and_ingest(demo, tmp_path):
    file = tmp_path / "next_years.csv"
    file.write_text(csv_text([row(n=1, school_year="2026-27"), row(n=2, school_year="2052-53"),
                              row(n=3, school_year="2015-16")]))
    expected = ("expected a school year from 2024-25 to 2026-27: the years on record (2024-25 to 2025-26) or the "
                "one after them (a year further off is most often a typing slip)")
    for command in ("validate", "ingest"):
        before = _warehouse(demo)
        code, out = run(demo.root, command, file)
        assert code == 1 and counted(out) == (3, 1, 2), out
        assert f"{file}, row 3, column school_year: value '2052-53': {expected}" in out.splitlines()
        assert f"{file}, row 4, column school_year: value '2015-16': {expected}" in out.splitlines()
        assert "row 2" not in out  # the year after the latest on record is welcome
    assert _warehouse(demo)["years"] == ["2024-25", YEAR, "2026-27"]
    assert _warehouse(demo)["districts"] == before["districts"] + 1  # district 1 in 2026-27 only


def test_any_valid_school_year_opens_an_empty_warehouse_and_validate_without_one_checks_the_form_only(tmp_path):
    p = make_project(tmp_path / "empty")
    file = tmp_path / "first.csv"
    file.write_text(csv_text([row(n=1, school_year="2031-32"), row(n=2, school_year="2031-33")]))
    for command in ("validate", "ingest"):
        code, out = run(p.root, command, file)
        assert code == 1 and counted(out) == (2, 1, 1), out
        assert "row 3, column school_year: value '2031-33': expected a school year written YYYY-YY" in out
        assert "row 2" not in out
    with duckdb.connect(str(p.warehouse), read_only=True) as con:
        assert con.execute("SELECT DISTINCT school_year FROM district_metrics").fetchall() == [("2031-32",)]


def test_characters_are_named_as_a_person_can_find_them():
    assert describe_character("\uff17") == "a full-width digit ('\uff17', U+FF17)"
    assert describe_character("\u0667") == "an Arabic-Indic digit ('\u0667', U+0667)"
    assert describe_character("\u0966") == "a Devanagari digit ('\u0966', U+0966)"
    assert describe_character("\u041e") == "a Cyrillic letter '\u041e' (U+041E)"
    assert describe_character("\u039f") == "a Greek letter '\u039f' (U+039F)"
    assert describe_character("\u2013") == "the character '\u2013' (en dash, U+2013)"
    assert describe_character("\u00a0") == "a space (no-break space, U+00A0)"
    assert describe_character("\x07") == "an unprintable character (U+0007)"


def test_normalizing_removes_invisible_characters_and_applies_nfkc_only():
    assert normalize_text("9900001") == ("9900001", "")
    assert normalize_text("\uff19\uff19\uff10\uff10\uff10\uff10\uff11")[0] == "9900001"
    assert normalize_text("99\u200d00\u2060001") == ("9900001", "invisible characters removed (zero-width "
                                                                "joiner, word joiner)")
    assert normalize_text("99\u0660\u0660001")[0] == "99\u0660\u0660001"  # NFKC leaves Arabic-Indic digits
    assert normalize_text("99\u041e0001")[0] == "99\u041e0001"  # nor a Cyrillic О
    assert normalize_text("Pe\u00f1a\u00a0Valley")[0] == "Pe\u00f1a Valley"
    assert year_window([]) is None and year_window(["2025-26", "2023-24"]) == (2023, 2026)
    assert GOOD_ROW["district_id"].isascii()


def test_years_of_public_data_count_but_do_not_stretch_the_years_submitted():
    """A project that began from public data (Connect K-12, FY2015: 2015-16) takes its first submissions for any
    year; afterwards a year is one submitted, the one after, or one the public data covers."""
    import pandas as pd

    assert not YearsOnRecord(public=("2015-16",))  # public data alone: no year is refused
    held = YearsOnRecord(submitted=("2024-25", "2025-26"), public=("2015-16",))
    years = pd.Series(["2015-16", "2016-17", "2024-25", "2026-27", "2027-28", "2023-24", "2025-27"])
    assert held.outside(years).tolist() == [False, True, False, False, True, True, False]
    assert held.words() == ("a school year from 2024-25 to 2026-27: the years on record (2024-25 to 2025-26) or "
                            "the one after them, or a year of the public data on record (2015-16) (a year further "
                            "off is most often a typing slip)")
