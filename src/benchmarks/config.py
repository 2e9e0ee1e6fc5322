"""Where things live: every path the toolkit reads or writes derives from here."""

from __future__ import annotations

import os
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


def key_file() -> Path:
    """Where the pseudonym key lives when $BENCHMARKS_KEY is not set: outside the repository."""
    env = os.environ.get("BENCHMARKS_KEY_FILE")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "district-benchmarks" / "key"


def paths(root: Path | str | None = None) -> Paths:
    return Paths(Path(root).resolve() if root else project_root())
