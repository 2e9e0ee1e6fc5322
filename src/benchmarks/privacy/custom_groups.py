"""Custom peer groups: participating districts only, recorded per district and year, never a difference.

A district may ask for its report against a list of districts it names (`benchmarks report --peers`). A free
list would be an oracle, so three rules hold here:

- Participants only: every entry must be a district ID or pseudonym of a district with a submission in that
  school year. Otherwise the whole list is refused with one message that says neither which entry failed nor
  how many, nor whether an entry is unknown or only did not submit that year: a list teaches nobody who took
  part (made-up entries would also make a group smaller than it looks).
- No differencing: every list rendered for a district is recorded (owner-only, beside the crosswalk), and a
  new one is refused when it differs from one of the earlier lists or the district's stored peer groups by
  1 to min_peers - 1 districts (`check_no_differencing`).
- No list in the record: the notebook is given the group's number only (`custom_group`); its members are read
  back from the private record by `members_of`, so the executed notebook and the page say "a custom group of
  N districts", never who.
"""

from __future__ import annotations

import datetime
import fcntl
import json
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Iterator

import pandas as pd

from benchmarks.config import crosswalk_path, custom_groups_path
from benchmarks.files import lock_down, private_folder, write_atomic
from benchmarks.privacy import crosswalk
from benchmarks.privacy.rules import Rules, rules_of
from benchmarks.registry.groups import STORED_GROUPS, group_codes
from benchmarks.warehouse.store import connect


def not_participating(school_year: str) -> str:
    """The one refusal for a list naming anything but participating districts: the same words whatever the
    entry was (unknown, mistyped, or a real district that did not submit that year) and however many."""
    return (f"the custom peer list names a district that is not among the participating districts of "
            f"{school_year}; the list is refused as a whole; check it against the association's roster")


def resolve(crosswalk_file: Path, entries: Iterable) -> list[str]:
    """The pseudonym of each entry of a list given as district IDs or pseudonyms, in order; an entry the
    crosswalk does not know is kept as given (require_participants refuses it)."""
    wanted = [str(m).strip() for m in entries if str(m).strip()]
    if not wanted:
        return []
    cw = crosswalk.identities(crosswalk_file)
    by_id = dict(zip(cw["district_id"], cw["pseudonym"]))
    return [by_id.get(m, m) for m in wanted]


def require_participants(members: Iterable[str], participants: Iterable[str], school_year: str) -> None:
    """Refuse (LookupError, not_participating's message) a list with any member that is not a participating
    district of the school year (`participants`: that year's pseudonyms)."""
    if not set(members) <= set(participants):
        raise LookupError(not_participating(school_year))


def participating(crosswalk_file: Path, entries: Iterable, participants: Iterable[str], school_year: str) -> list[str]:
    """Pseudonyms (sorted, distinct) of a custom list given as district IDs or pseudonyms, every one of which
    must be a participating district of the school year; else the whole list is refused."""
    members = resolve(crosswalk_file, entries)
    require_participants(members, participants, school_year)
    return sorted(set(members))


def too_few(named: int, rules: Rules) -> str | None:
    """Why a list of `named` other districts is too short, or None."""
    if named >= rules.min_peers:
        return None
    return (f"a custom peer group must name at least {rules.min_peers} districts other than the one reported on; "
            f"got {named}")


# --- the differencing rule ------------------------------------------------------------------------------------

def check_no_differencing(new: Iterable[str], earlier: Iterable[Iterable[str]], min_peers: int) -> None:
    """Refuse (ValueError) a custom list that could be differenced against what the district already sees.

    The rule: compare the new list with each group the district already sees (its stored peer groups: county,
    locale, size band, state and all districts of the year; and the custom lists recorded for it that year),
    each over the *other* districts (the requester excluded, so `earlier` and `new` must not hold it). Refuse
    when the two differ by at least one and fewer than min_peers districts: the figures of "the county" and
    "the county but one" (or "the county and one more") side by side say something about that one. Lists that
    equal a group already seen, or differ from every one by min_peers or more, pass.

    A stricter rule (every part that all the groups together cut the districts into must hold min_peers) was
    tried and refused any list to 82% of the demo's districts, whose own county, locale and size band already
    cut small parts; those parts are not made by the list, and only a list can be chosen by the reader.
    The message names the rule, never a district."""
    new = frozenset(new)
    for group in map(frozenset, earlier):
        if 0 < len(new ^ group) < min_peers:
            raise ValueError(
                "the custom peer list is refused: it differs from one of this district's peer groups or the custom "
                f"groups already rendered for it this year by 1 to {min_peers - 1} districts, and comparing the "
                f"two would single out fewer than {min_peers} districts; the rule is in docs/privacy.md. "
                "Re-rendering a recorded group, or a list that differs from each of them by at least "
                f"{min_peers} districts, is allowed")


def stored_groups(year_metrics: pd.DataFrame, pseudonym: str) -> list[frozenset]:
    """The other districts of each group the district's own report compares with (STORED_GROUPS), and all
    other districts of the year; `year_metrics` is district_metrics of one school year."""
    dm = year_metrics.reset_index(drop=True)
    own = (dm["pseudonym"] == pseudonym).to_numpy()
    if not own.any():
        raise LookupError(f"no submission for district {pseudonym!r} in this school year")
    others = dm["pseudonym"].where(~own)
    out = [frozenset(others.dropna())]
    for kind in STORED_GROUPS:
        codes, _ = group_codes(dm, kind)
        out.append(frozenset(others[(codes == codes[own][0]) & ~own]))
    return out


# --- the private record -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CustomGroup:
    """One custom group rendered for a district in a school year (its number counts from 1 per district)."""

    district: str
    group: int
    #: pseudonyms of the named districts, sorted, the requesting district excluded
    members: tuple[str, ...]
    #: when it was first rendered (UTC, ISO 8601)
    rendered: str

    @property
    def label(self) -> str:
        """What a page or the executed notebook may say of it."""
        return f"custom group {self.group}: a custom group of {len(self.members)} districts"


def read_groups(path: Path) -> list[CustomGroup]:
    """Every custom group in a year's record (none when there is no record yet)."""
    path = Path(path)
    if not path.exists():
        return []
    rows = json.loads(path.read_text(encoding="utf-8")).get("groups", [])
    return [CustomGroup(r["district"], int(r["group"]), tuple(r["members"]), r["rendered"]) for r in rows]


def members_of(path: Path, district: str, group: int) -> list[str]:
    """The members of a district's recorded custom group (LookupError when there is no such group)."""
    for g in read_groups(path):
        if g.district == district and g.group == int(group):
            return list(g.members)
    raise LookupError(f"no custom group {group} is recorded for district {district} in {Path(path).name}")


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One writer at a time: a record lost to a race would let its list be differenced."""
    private_folder(path.parent)
    lock = path.with_name(f".{path.name}.lock")
    with open(lock, "a") as fh:
        lock_down(lock)
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def admit(warehouse: Path, district: str, entries: Iterable, school_year: str, min_peers: int) -> CustomGroup:
    """A district's custom list checked and recorded: participating districts only, at least min_peers of
    them besides the district, and no differencing against what it already sees; returns the group (the
    recorded one, same number, when the list was rendered for the district before)."""
    warehouse = Path(warehouse)
    with connect(warehouse, read_only=True) as con:
        rules = rules_of(con).at_least(min_peers)
        year = con.execute("SELECT * FROM district_metrics WHERE school_year = ?", [school_year]).df()
    if not (year["pseudonym"] == district).any():
        raise LookupError(f"no submission for district {district!r} in school year {school_year!r}")
    members = participating(crosswalk_path(warehouse), entries, year["pseudonym"], school_year)
    others = tuple(m for m in members if m != district)
    short = too_few(len(others), rules)
    if short:
        raise ValueError(short)
    path = custom_groups_path(warehouse, school_year)
    with _locked(path):
        groups = read_groups(path)
        mine = [g for g in groups if g.district == district]
        for g in mine:
            if g.members == others:
                return g
        check_no_differencing(others, [*stored_groups(year, district), *(g.members for g in mine)],
                              rules.min_peers)
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        group = CustomGroup(district, 1 + max((g.group for g in mine), default=0), others, stamp)
        record = {"school_year": school_year, "groups": [asdict(g) for g in [*groups, group]]}
        write_atomic(path, json.dumps(record, indent=1).encode("utf-8"), private=True)
    return group
