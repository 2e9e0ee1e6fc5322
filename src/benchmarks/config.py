"""Where things live: every path the toolkit reads or writes, and every output file's name, derives from here."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

#: Minimum number of *other* districts with a value before a group statistic is shown.
DEFAULT_MIN_PEERS = 5
#: The disclosure rule may be tightened but never loosened below this.
FLOOR_MIN_PEERS = 3
#: Other districts needed before 25th/75th percentiles are shown; smaller groups show only their centre.
DEFAULT_QUARTILE_MIN_PEERS = 10
#: A published total must not be dominated: its two largest contributors hold at most this share.
DEFAULT_DOMINANCE = 0.85


def project_root() -> Path:
    """The checkout root: BENCHMARKS_HOME if set, else the folder holding pyproject.toml."""
    env = os.environ.get("BENCHMARKS_HOME")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").exists() and (parent / "notebooks").is_dir():
            return parent
    return Path.cwd().resolve()


@dataclass(frozen=True)
class Paths:
    """The project's folders, all below one root."""

    root: Path

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def template(self) -> Path:
        return self.data / "template"

    @property
    def demo(self) -> Path:
        return self.data / "demo"

    @property
    def raw(self) -> Path:
        return self.data / "raw"

    @property
    def processed(self) -> Path:
        return self.data / "processed"

    @property
    def private(self) -> Path:
        """Owner-only folder for what identifies districts: the crosswalk and the delivery lists."""
        return self.data / "private"

    @property
    def crosswalk(self) -> Path:
        return crosswalk_path(self.warehouse)

    @property
    def quarantine(self) -> Path:
        return self.data / "quarantine"

    @property
    def warehouse(self) -> Path:
        return self.processed / "warehouse.duckdb"

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    @property
    def reports(self) -> Path:
        return self.root / "reports"


def crosswalk_path(warehouse: Path | str) -> Path:
    """The crosswalk belonging to a warehouse file: data/private/crosswalk.duckdb beside data/processed/."""
    return Path(warehouse).resolve().parent.parent / "private" / "crosswalk.duckdb"


def custom_groups_path(warehouse: Path | str, school_year: str) -> Path:
    """The record of the custom peer groups rendered for districts in a school year (who asked, which
    districts, the group's number): data/private/custom_groups_<year>.json, owner-only, beside the crosswalk."""
    return crosswalk_path(warehouse).with_name(f"custom_groups_{school_year}.json")


def key_file() -> Path:
    """Where the pseudonym key lives when $BENCHMARKS_KEY is not set: outside the repository."""
    env = os.environ.get("BENCHMARKS_KEY_FILE")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "district-benchmarks" / "key"


def paths(root: Path | str | None = None) -> Paths:
    return Paths(Path(root).resolve() if root else project_root())


def resolve_warehouse(warehouse: Path | str = "") -> Path:
    """A warehouse file given by a notebook parameter; empty means this project's own."""
    return Path(warehouse) if warehouse else paths().warehouse


# --- the output layout: every file name a run writes is built here, and only here parsed back ---------------

INDEX_PAGE = "index.html"
MANIFEST_FILE = "manifest.json"
EXECUTED_FOLDER = "executed"
#: The files a district receives carry its pseudonym: district_<pseudonym>[_custom].*, initiative_<pseudonym>.*
_OWN_STEM = re.compile(r"^(?:district|initiative)_(D[0-9a-f]{15})(?:_\w+)?$")


def year_stem(name: str, school_year: str) -> str:
    """A report of the whole school year: board_summary_2025-26, data_quality_2025-26."""
    return f"{name}_{school_year}"


def district_stem(name: str, pseudonym: str, custom: bool = False) -> str:
    """A district's own file: district_<pseudonym> (with a custom peer group: district_<pseudonym>_custom),
    initiative_<pseudonym>."""
    return f"{name}_{pseudonym}" + ("_custom" if custom else "")


def owner_of(stem: str) -> str | None:
    """The pseudonym of the district a file belongs to (its own report, tables or initiative check), or None
    for a file every district may receive."""
    mine = _OWN_STEM.match(stem)
    return mine.group(1) if mine else None


def page(out_dir: Path, stem: str) -> Path:
    return Path(out_dir) / f"{stem}.html"


def executed_record(out_dir: Path, stem: str) -> Path:
    """The executed notebook of a report: the record of what was computed."""
    return Path(out_dir) / EXECUTED_FOLDER / f"{stem}.ipynb"


def failed_record(record: Path) -> Path:
    """Where the executed notebook of a failed run is kept (beside the record of the last good run)."""
    return record.with_name(f"{record.stem}.failed.ipynb")


def delivery_list(p: Paths, school_year: str) -> Path:
    """The analyst's list of which files go to which district (owner-only, never in reports/)."""
    return p.private / f"delivery_{school_year}.csv"


def quarantine_file(p: Paths, sha256: str, original_name: str) -> Path:
    """Where a file's quarantined rows go: data/quarantine/<sha prefix>-<file stem>.csv."""
    stem = re.sub(r"[^\w.-]+", "_", Path(original_name).stem)[:60] or "file"
    return p.quarantine / f"{sha256[:12]}-{stem}.csv"
