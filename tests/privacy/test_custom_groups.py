"""Custom peer groups: the differencing rule worked by hand, participants only, and the private record."""

from __future__ import annotations

import stat

import pytest
from conftest import round_table_project

from benchmarks.config import custom_groups_path
from benchmarks.privacy import custom_groups as cg

COUNTY = set("abcdefgh")       # eight other districts of the reader's county
REST = set("ijklmnopqrst")     # twelve others of the state outside it
STATE = COUNTY | REST


@pytest.mark.parametrize("new, refused", [
    (COUNTY, False),                        # the county again: no difference
    (STATE, False),                         # the state again
    (set("abcde"), True),                   # the county but three: the three are singled out
    (set("abcd"), True),                    # the county but four
    (set("abcdefg"), True),                 # "the county but one": 7 / 1
    (set("ijklm"), False),                  # 13 from the county, 15 from the state
    (set("ijklmnop"), False),               # the state but the county and four: 12 from it
    (COUNTY | set("ijklm"), False),         # the county and five more
    (set("abcde") | set("ijklm"), False),   # 8 from the county, 10 from the state
    (set("uvwxy"), False),                  # five districts outside every group
    (COUNTY | set("uvwx"), True),           # the county and four more
])
def test_differencing_rule_by_hand(new, refused):
    earlier = [STATE, COUNTY]
    if refused:
        with pytest.raises(ValueError, match="single out fewer than 5 districts") as err:
            cg.check_no_differencing(new, earlier, 5)
        assert not any(f"'{d}'" in str(err.value) for d in STATE)  # the message names the rule, no district
    else:
        cg.check_no_differencing(new, earlier, 5)


def test_earlier_lists_count_and_min_peers_is_the_threshold():
    # with min_peers 3 the 5 / 3 split of the county passes ...
    cg.check_no_differencing(set("abcde"), [STATE, COUNTY], 3)
    # ... and a second list is judged against the first too: abcfgh differs from abcde by d, e, f, g, h (5) but
    # from the county by d, e (2)
    with pytest.raises(ValueError):
        cg.check_no_differencing(set("abcfgh"), [STATE, COUNTY, set("abcde")], 3)
    # six lists each leaving out one of six neighbours: the first (with min_peers 3: the county but a, g, h)
    # passes, the second differs from it by two
    six = [set("abcdef") - {x} for x in "abcdef"]
    cg.check_no_differencing(six[0], [STATE, COUNTY], 3)
    with pytest.raises(ValueError):
        cg.check_no_differencing(six[1], [STATE, COUNTY, six[0]], 3)


def test_stored_groups_are_the_reports_own_groups(multi_year):
    year = multi_year[multi_year.school_year == "2025-26"]
    sets = cg.stored_groups(year, "D00")
    everyone, county, locale, size_band, state = sets
    assert "D00" not in set().union(*sets)
    assert everyone == set(year.pseudonym) - {"D00"}
    assert county == {f"D{i:02d}" for i in range(1, 9)}        # county "Nine": D00..D08
    assert state == {f"D{i:02d}" for i in range(1, 13)}        # state PS: D00..D12
    own = year.set_index("pseudonym").loc["D00"]
    assert locale == set(year[(year.locale == own.locale) & (year.state == "PS")].pseudonym) - {"D00"}
    assert size_band == set(year[(year.size_band == own.size_band) & (year.state == "PS")].pseudonym) - {"D00"}
    with pytest.raises(LookupError):
        cg.stored_groups(year, "nobody")


def test_one_refusal_for_every_kind_of_bad_entry():
    good = ["P1", "P2", "P3", "P4"]
    messages = set()
    for bad in (["nope"], ["P9"], ["nope", "P9", "other"]):
        with pytest.raises(LookupError) as err:
            cg.require_participants(good + bad, {"P1", "P2", "P3", "P4", "P5"}, "2024-25")
        messages.add(str(err.value))
    assert messages == {cg.not_participating("2024-25")}
    assert "nope" not in messages.pop()
    cg.require_participants(good, set(good), "2024-25")


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    return round_table_project(tmp_path_factory.mktemp("round_table") / "project")


def _ids(*ns):
    return [f"99{n:05d}" for n in ns]


def test_participants_only_whatever_the_spelling(table):
    p, ps = table
    dm_year = {ps[n] for n in [*range(1, 13), *range(20, 30)]}
    assert cg.participating(p.crosswalk, [ps[2], " 9900003 ", "9900002"], dm_year, "2025-26") == sorted(
        {ps[2], ps[3]})
    lists = {"made up": _ids(90, 91, 92, 93, 2), "did not submit": _ids(40, 41, 42, 43, 2),
             "mixed": [*_ids(90, 40, 41), "D000000000000000", *_ids(2)],
             "one bad among good": _ids(2, 3, 4, 5, 6, 40)}
    messages = {}
    for what, entries in lists.items():
        with pytest.raises(LookupError) as err:
            cg.admit(p.warehouse, ps[1], entries, "2025-26", 5)
        messages[what] = str(err.value)
    assert set(messages.values()) == {cg.not_participating("2025-26")}, messages
    assert not custom_groups_path(p.warehouse, "2025-26").exists()  # nothing recorded for a refused list


def test_admit_records_numbers_and_refuses_differencing(table):
    p, ps = table
    record = custom_groups_path(p.warehouse, "2025-26")
    first = cg.admit(p.warehouse, ps[1], _ids(20, 21, 22, 23, 24), "2025-26", 5)
    assert (first.group, first.members) == (1, tuple(sorted(ps[n] for n in range(20, 25))))
    assert first.label == "custom group 1: a custom group of 5 districts"
    # owner-only file in an owner-only folder
    assert stat.S_IMODE(record.stat().st_mode) == 0o600
    assert stat.S_IMODE(record.parent.stat().st_mode) == 0o700
    # the same list again, in another order and spelling: the same group, nothing new recorded
    again = cg.admit(p.warehouse, ps[1], [ps[24], *_ids(23, 22, 21, 20), "9900001"], "2025-26", 5)
    assert again == first and len(cg.read_groups(record)) == 1
    # the county as a list: no difference from the county group, allowed, numbered on
    county = cg.admit(p.warehouse, ps[1], _ids(*range(2, 13)), "2025-26", 5)
    assert county.group == 2
    # 20..23 + 25 differs from the first group (20..24) by two: refused
    with pytest.raises(ValueError, match="single out fewer than 5"):
        cg.admit(p.warehouse, ps[1], _ids(20, 21, 22, 23, 25), "2025-26", 5)
    # too short a list: the existing rule, after the participants check
    with pytest.raises(ValueError, match="at least 5 districts other than"):
        cg.admit(p.warehouse, ps[1], _ids(1, 2, 3, 4, 5), "2025-26", 5)
    # another district's groups are its own: numbered from 1, not judged with the first district's
    other = cg.admit(p.warehouse, ps[2], _ids(20, 21, 22, 23, 24), "2025-26", 5)
    assert other.group == 1 and other.district == ps[2]
    assert cg.members_of(record, ps[1], 2) == sorted(ps[n] for n in range(2, 13))
    with pytest.raises(LookupError):
        cg.members_of(record, ps[1], 9)
    assert [g.group for g in cg.read_groups(record) if g.district == ps[1]] == [1, 2]
