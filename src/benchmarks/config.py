"""Where things live: every path the toolkit reads or writes, and every output file's name, derives from here."""

from __future__ import annotations

import hashlib
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
#: A shown figure of a small group may differ from the plain figure of its districts by at most this share
#: (or one display unit); beyond it the page shows a coarser figure that holds the plain one.
DEFAULT_TOLERANCE = 0.05


#: The package itself: its report notebooks ship inside it (package data), so an installed copy has them too.
PACKAGE = Path(__file__).resolve().parent
PACKAGE_NOTEBOOKS = PACKAGE / "notebooks"


def project_root() -> Path:
    """The project folder when none is given: $BENCHMARKS_HOME if set, else the checkout this package runs from
    (src/benchmarks/ beside pyproject.toml), else the current folder (an installed package has no checkout)."""
    env = os.environ.get("BENCHMARKS_HOME")
    if env:
        return Path(env).resolve()
    checkout = PACKAGE.parent.parent
    if PACKAGE.parent.name == "src" and (checkout / "pyproject.toml").exists():
        return checkout
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
        """Owner-only folder for what identifies districts: the crosswalk, the delivery lists, the render
        manifests and the executed notebooks."""
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
        """The folder's own notebooks, if any: one here replaces the package's notebook of the same name."""
        return self.root / "notebooks"

    def notebook(self, name: str) -> Path:
        """The notebook a report runs: the folder's own notebooks/<name> if it has one, else the package's, so
        an empty project folder renders with what the package ships."""
        own = self.notebooks / name
        return own if own.is_file() else PACKAGE_NOTEBOOKS / name

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
    """Where the pseudonym key lives when $BENCHMARKS_KEY is not set: outside the repository.

    $BENCHMARKS_KEY_FILE, else $XDG_CONFIG_HOME/district-benchmarks/key, else ~/.config/district-benchmarks/key.
    An empty or relative $XDG_CONFIG_HOME counts as unset, as the XDG base directory spec says (an empty one
    once put the key in the current folder: the checkout)."""
    env = os.environ.get("BENCHMARKS_KEY_FILE")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CONFIG_HOME", "")
    config = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".config"
    return config / "district-benchmarks" / "key"


def paths(root: Path | str | None = None) -> Paths:
    return Paths(Path(root).resolve() if root else project_root())


def resolve_warehouse(warehouse: Path | str = "") -> Path:
    """A warehouse file given by a notebook parameter; empty means this project's own. Renders pass it relative
    to the project home and run the notebook there, so no record of a run holds an absolute path."""
    return Path(warehouse) if warehouse else paths().warehouse


# --- the output layout: every file name a run writes is built here, and only here parsed back ---------------

INDEX_PAGE = "index.html"
#: data/private/executed/<year>/: the executed notebooks (the analyst's records), never beside the shared files
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


def county_stem(name: str, county: str, state: str = "") -> str:
    """A county's page, shared by its members: roundtable_kestrel-county (the county's name in lower case, words
    joined by hyphens, so it is a file name on every system), roundtable_washington-county-or with the state's
    code where counties of several states share the name."""
    return f"{name}_" + "-".join(re.findall(r"[a-z0-9]+", f"{county} {state}".lower()))


def owner_of(stem: str) -> str | None:
    """The pseudonym of the district a file belongs to (its own report, tables or initiative check), or None
    for a file every district may receive."""
    mine = _OWN_STEM.match(stem)
    return mine.group(1) if mine else None


def page(out_dir: Path, stem: str) -> Path:
    return Path(out_dir) / f"{stem}.html"


def _render_key(p: Paths, out_dir: Path) -> str:
    """What names a reports folder's private records: its school year for reports/<year>/, else the folder's
    name and a hash of its path (a scratch folder of a benchmark or a test)."""
    out = Path(out_dir).resolve()
    try:
        return "_".join(out.relative_to(p.reports.resolve()).parts) or "reports"
    except ValueError:
        return f"{out.name}-{hashlib.sha256(str(out).encode()).hexdigest()[:8]}"


def executed_folder(p: Paths, out_dir: Path) -> Path:
    """Where the executed notebooks of the reports rendered into out_dir are kept: data/private/executed/<year>/
    (owner-only: they hold the parameters of every report)."""
    return p.private / EXECUTED_FOLDER / _render_key(p, out_dir)


def render_manifest(p: Paths, out_dir: Path) -> Path:
    """The render manifest of out_dir (fingerprints of every report, for incremental runs):
    data/private/render_manifest_<year>.json, owner-only, since it lists every district's report."""
    return p.private / f"render_manifest_{_render_key(p, out_dir)}.json"


def executed_record(folder: Path, stem: str) -> Path:
    """The executed notebook of a report, in its executed_folder(): the record of what was computed."""
    return Path(folder) / f"{stem}.ipynb"


def failed_record(record: Path) -> Path:
    """Where the executed notebook of a failed run is kept (beside the record of the last good run)."""
    return record.with_name(f"{record.stem}.failed.ipynb")


def delivery_list(p: Paths, school_year: str) -> Path:
    """The analyst's list of which files go to which district (owner-only, never in reports/)."""
    return p.private / f"delivery_{school_year}.csv"


def prefilled_folder(p: Paths, school_year: str) -> Path:
    """Where `benchmarks template --prefill` writes the templates filled in from public data unless told
    otherwise: data/private/prefilled/<year>/ (owner-only: they name districts)."""
    return p.private / "prefilled" / school_year


def prefilled_stem(school_year: str, part: str = "") -> str:
    """A pre-filled template's name without its suffix: submission_template_<year>, with the state's code or
    (one file per district) the district's ID after it."""
    safe = re.sub(r"[^\w-]+", "_", part)
    return f"submission_template_{school_year}" + (f"_{safe}" if safe else "")


def archived_file(sha256: str, original_name: str) -> str:
    """The archived copy of a received file, relative to data/: raw/<sha256>/<sha prefix><suffix>. Named by
    its hash, since a file's own name often carries the district's; the name is kept only in the
    archive's owner-only manifest."""
    suffix = Path(original_name).suffix.lower()
    suffix = suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ""
    return f"raw/{sha256}/{sha256[:12]}{suffix}"


def quarantine_file(p: Paths, sha256: str, original_name: str) -> Path:
    """Where a file's quarantined rows go: data/quarantine/<sha prefix>-<file stem>.csv (owner-only, like all
    of data/, so the stem may help the analyst find the file)."""
    stem = re.sub(r"[^\w.-]+", "_", Path(original_name).stem)[:60] or "file"
    return p.quarantine / f"{sha256[:12]}-{stem}.csv"
