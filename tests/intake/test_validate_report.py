"""What `benchmarks validate` prints for a file with many problems: the first 20, a count per kind, and where
every problem was written."""

import csv

from click.testing import CliRunner
from conftest import csv_text, make_project, row

from benchmarks.cli import main
from benchmarks.privacy.keys import DEMO_KEY


def test_validate_prints_the_first_problems_and_writes_them_all(tmp_path):
    root = tmp_path / "project"
    make_project(root)
    rows = [row(n=n, classrooms="6o") for n in range(1, 31)]
    rows[0]["locale"] = "Moon"
    rows[1]["classrooms"] = "60"
    bad = tmp_path / "bad.csv"
    bad.write_text(csv_text(rows))
    result = CliRunner().invoke(main, ["--root", str(root), "validate", str(bad)],
                                env={"BENCHMARKS_KEY": DEMO_KEY.decode()})
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = result.output.splitlines()
    assert lines[0] == f"{bad}: 30 rows read = 1 accepted + 29 quarantined"
    shown = [line for line in lines if line.startswith(f"{bad}, row ")]
    assert len(shown) == 20
    assert shown[0] == f"{bad}, row 2, column locale: value 'Moon': expected one of City, Suburb, Town, Rural"
    assert shown[1] == f"{bad}, row 2, column classrooms: value '6o': expected a whole number from 1 to 100,000" \
        or shown[1].startswith(f"{bad}, row 2, column classrooms")
    assert f"{bad}: ... and 10 more problems" in lines
    assert f"{bad}: 30 problems: 29 not a number, 1 not a listed locale" in lines
    target = root / "data" / "validate" / "bad-problems.csv"
    assert f"{bad}: every problem, with its row, column, value and what was expected: {target}" in lines
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    with open(target, encoding="utf-8-sig", newline="") as f:
        listed = list(csv.DictReader(f))
    assert len(listed) == 30
    assert listed[0] == {"file": str(bad), "row": "2", "column": "locale", "value": "Moon",
                         "expected": "one of City, Suburb, Town, Rural", "reason": "not a listed locale"}
    assert [r["row"] for r in listed[1:]] == ["2", *map(str, range(4, 32))]


def test_a_few_problems_are_all_printed_and_no_file_is_written(tmp_path):
    root = tmp_path / "project"
    make_project(root)
    bad = tmp_path / "few.csv"
    bad.write_text(csv_text([row(n=1, classrooms="6o"), row(n=2)]))
    result = CliRunner().invoke(main, ["--root", str(root), "validate", str(bad)],
                                env={"BENCHMARKS_KEY": DEMO_KEY.decode()})
    assert result.exit_code == 1
    assert result.output.splitlines()[1:] == [f"{bad}, row 2, column classrooms: value '6o': expected a whole "
                                              "number from 1 to 100,000"]
    assert not (root / "data" / "validate").exists()
