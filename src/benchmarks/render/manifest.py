"""The render manifest: a fingerprint of every report's inputs and its last outcome, so re-runs redo only what changed.

A report's fingerprint is a sha256 over its notebook's bytes, its parameters, the library (version and
source) and the warehouse data it may read: for a district report, the district's own rows of every
table (metrics, peer statistics, goal gaps, its name, ...) up to the school year, plus the members and
statistics of each of its peer groups; for a report of the whole year, every table of the warehouse. The global data snapshot is deliberately left out: a late submission from one
county must not re-render districts whose figures did not move. The manifest lists every district's report,
so it is kept owner-only in data/private/render_manifest_<year>.json (config.render_manifest), never beside
the reports a district may be sent.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from benchmarks._version import __version__
from benchmarks.config import EXECUTED_FOLDER, Paths, executed_folder, render_manifest
from benchmarks.files import lock_down, private_folder, write_atomic
from benchmarks.render.tasks import Outcome, ReportTask

#: What earlier versions kept beside the reports (move_legacy_records moves it to data/private)
LEGACY_NAME = "manifest.json"
_FORMAT = 1


def digest(*parts) -> str:
    """sha256 of JSON-encoded parts (bytes hashed as their own sha256)."""
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, bytes):
            part = hashlib.sha256(part).hexdigest()
        h.update(json.dumps(part, sort_keys=True, default=str).encode())
        h.update(b"\x1f")
    return h.hexdigest()


@functools.cache
def library_fingerprint() -> str:
    """The installed version plus the package's own source and templates, so a code change re-renders."""
    package = Path(__file__).resolve().parent.parent
    h = hashlib.sha256(__version__.encode())
    for path in sorted(p for p in package.rglob("*") if p.is_file() and p.suffix in (".py", ".j2", ".css", ".json")):
        h.update(str(path.relative_to(package)).encode())
        h.update(path.read_bytes())
    return f"{__version__}+{h.hexdigest()[:16]}"


#: A set of rows as the count and the sum of their 64-bit hashes: it changes when any row does, whatever the
#: order, and needs no sort or text (sorting each table's rows cast to text was most of a batch's planning).
#: DuckDB's hash may differ between its versions: a new DuckDB then re-renders every report once.
_ROWS = "count(*) || ':' || coalesce(sum(hash(t)::HUGEINT), 0)"


def warehouse_fingerprint(con) -> str:
    """Every base table's content, whatever tables the warehouse holds now or later."""
    tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                        "WHERE table_type = 'BASE TABLE' ORDER BY table_name").fetchall()]
    parts = []
    for t in tables:
        row = con.execute(f'SELECT {_ROWS} FROM "{t}" t').fetchone()
        parts.append((t, *row))
    return digest(parts)


def _tables(con) -> dict[str, set[str]]:
    """Every base table of the warehouse and its columns."""
    out: dict[str, set[str]] = {}
    for table, column in con.execute("SELECT c.table_name, c.column_name FROM information_schema.columns c JOIN "
                                     "information_schema.tables t USING (table_schema, table_name) "
                                     "WHERE t.table_type = 'BASE TABLE'").fetchall():
        out.setdefault(table, set()).add(column)
    return out


_GROUP = ("school_year", "group_kind", "group_label")


def district_fingerprints(con, school_year: str) -> dict[str, str]:
    """The data part of each district report's fingerprint, for every district of the year.

    Whatever tables the warehouse holds: the district's rows of every table with a pseudonym column (up
    to the school year, where the table has one), and for each peer group the district belongs to (its
    rows of peer_stats), the group's members and its rows of every group-level table (group_kind and
    group_label columns, no pseudonym).
    """
    tables = _tables(con)
    districts = [r[0] for r in con.execute("SELECT pseudonym FROM district_metrics WHERE school_year = ? "
                                           "ORDER BY pseudonym", [school_year]).fetchall()]
    parts: dict[str, list[str]] = {d: [] for d in districts}

    def add(table: str, sql: str) -> None:
        for pseudonym, h in con.execute(sql, {"y": school_year} if "$y" in sql else {}).fetchall():
            if pseudonym in parts:
                parts[pseudonym].append(f"{table}:{h}")

    def upto(columns: set[str]) -> str:
        return "school_year <= $y" if "school_year" in columns else "TRUE"

    for table, columns in sorted(tables.items()):
        if "pseudonym" in columns:
            add(table, f'SELECT pseudonym, {_ROWS} FROM "{table}" t WHERE {upto(columns)} GROUP BY pseudonym')
    if set(_GROUP) | {"pseudonym"} <= tables.get("peer_stats", set()):
        groups = ("SELECT DISTINCT pseudonym, school_year, group_kind, group_label FROM peer_stats "
                  "WHERE school_year <= $y")
        add("membership",
            f"WITH g AS ({groups}), m AS (SELECT school_year, group_kind, group_label, "
            "sum(hash(pseudonym)::HUGEINT) AS h FROM g GROUP BY ALL) "
            "SELECT g.pseudonym, sum(hash(m.school_year, m.group_kind, m.group_label, m.h)::HUGEINT) "
            "FROM g JOIN m USING (school_year, group_kind, group_label) GROUP BY g.pseudonym")
        for table, columns in sorted(tables.items()):
            if "pseudonym" in columns or not {"group_kind", "group_label"} <= columns:
                continue
            keys = [k for k in _GROUP if k in columns]
            add(table,
                f"WITH g AS ({groups}), h AS (SELECT {', '.join(keys)}, {_ROWS} AS h FROM \"{table}\" t "
                f"WHERE {upto(columns)} GROUP BY ALL) "
                f"SELECT g.pseudonym, sum(hash({', '.join('h.' + k for k in keys)}, h.h)::HUGEINT) "
                f"FROM g JOIN h USING ({', '.join(keys)}) GROUP BY g.pseudonym")
    return {d: digest(sorted(p)) for d, p in parts.items()}


@dataclass
class Manifest:
    """What was rendered into one reports folder: per page stem, its fingerprint and last outcome."""

    path: Path  # config.render_manifest(paths, out_dir)
    reports: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> "Manifest":
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            reports = data["reports"] if data.get("format") == _FORMAT else {}
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            reports = {}  # no usable manifest: everything counts as changed
        return cls(path, reports)

    def entry(self, task: ReportTask) -> dict | None:
        """The stored entry if it is for exactly these inputs, else None."""
        e = self.reports.get(task.stem)
        return e if e and e.get("fingerprint") == task.fingerprint else None

    def is_current(self, task: ReportTask) -> bool:
        """Rendered without error from these very inputs, and its page and executed notebook still exist."""
        e = self.entry(task)
        return bool(e and e.get("ok") and task.page.exists() and task.record.exists())

    def record(self, task: ReportTask, outcome: Outcome) -> None:
        # no label: a district report's label is its name (the manifest is owner-only, but names belong in the crosswalk)
        self.reports[task.stem] = {
            "kind": task.kind, "fingerprint": task.fingerprint,
            "rendered_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            **{k: v for k, v in asdict(outcome).items() if k != "stem"}}

    def save(self) -> None:
        data = {"format": _FORMAT, "reports": dict(sorted(self.reports.items()))}
        private_folder(self.path.parent)
        write_atomic(self.path, json.dumps(data, indent=1).encode("utf-8"), private=True)


def move_legacy_records(paths: Paths, out_dir: Path) -> Path:
    """Earlier versions kept the manifest and the executed notebooks beside the reports: move them to their
    owner-only places (so nothing is re-rendered for it); returns the manifest's path."""
    target = render_manifest(paths, out_dir)
    old = Path(out_dir) / LEGACY_NAME
    if old.is_file():
        if not target.exists():
            private_folder(target.parent)
            write_atomic(target, old.read_bytes(), private=True)
        old.unlink()
    old_records = Path(out_dir) / EXECUTED_FOLDER
    if old_records.is_dir():
        records = private_folder(executed_folder(paths, out_dir))
        for record in old_records.glob("*.ipynb"):
            if not (records / record.name).exists():
                record.replace(records / record.name)
                lock_down(records / record.name)
            else:
                record.unlink()
        if not any(old_records.iterdir()):
            old_records.rmdir()
    return target
