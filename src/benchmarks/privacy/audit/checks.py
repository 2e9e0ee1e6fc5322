"""The attack: act as each district in turn and try to learn other districts' figures from what it receives.

A district receives its own report and tables, plus the shared board summary, the board's tables and the
index. The audit reads those files as that district would (visible text, image alt text, attributes, table
cells) and, knowing the true figures from the warehouse, looks for what the district could learn:

- another district's figure, as displayed or unrounded, anywhere in text, alt text, attributes or cells;
- a statistic of a group with fewer than min_peers others, a quartile of a group below quartile_min_peers,
  a minimum, maximum or rank, a figure shown more precisely than the pages round;
- in a round-table-sized group (fewer than quartile_min_peers others), a displayed statistic that equals the
  displayed figure of exactly one neighbour;
- a mean or total from which mean x n - own figure, or one total minus a nested one, isolates fewer than
  min_peers districts, or a total failing the dominance check; counts that include the reader;
- a district's name, ID or pseudonym in anything but that district's own report and tables.

Every figure a page shows carries data-metric, data-group and data-stat attributes (disclosure.tagged), and
export rows say the same in columns, so the audit can check each against the rules; figures the audit does
not find declared are still caught by the text scan. Run it before sending files: `benchmarks audit`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.config import Paths
from benchmarks.privacy.disclosure import Rules, band_decimals, band_step, decimals, display_value, figure_text, rules_of
from benchmarks.registry.metrics import METRIC_BY_NAME, METRICS
from benchmarks.warehouse.store import connect, has_table

GROUP_KEYS = {"county": ("state", "county"), "locale": ("state", "locale"), "size_band": ("state", "size_band"),
              "state": ("state",)}
STATISTICS = {"median", "p25", "p75", "band"}
RISKY_TOTALS = {"total", "sum", "mean"}
#: Shares of a group (e.g. meeting a goal), trend projections of its median and the board's change of a shown
#: median or share since last year: group size is what matters (in both years, for a change).
SHARES = {"share", "projection", "change"}
#: Whole groups a board may count districts by (members="all", the group named in data-county / data-size-band).
BREAKDOWNS = ("county", "size_band")
#: Words naming one district's figure, in a data-stat or a table column ("min", "county_max", "rank", ...).
SINGLE_VALUES = ("min", "max", "rank", "value", "lowest", "highest", "top", "bottom")
_NUMBER = r"-?\d[\d,]*(?:\.\d+)?"
_UNITS = sorted({m.unit for m in METRICS if m.unit not in ("%", "$") and not m.unit.startswith("$")}, key=len,
                reverse=True)
#: A displayed figure in prose: "$1,150", "$1.84/Mbps", "25.3%", "1.13 devices".
_FIGURE = re.compile(r"(?<![\w.])(\$?" + _NUMBER + r"(?:%|/Mbps|(?: (?:" + "|".join(map(re.escape, _UNITS))
                     + r"))\b)?)(?![\w.])")
_BARE = re.compile(r"(?<![\w.])(" + _NUMBER + r")(?![\w.])")
_PSEUDONYM = re.compile(r"D[0-9a-f]{15}")
#: A district's own files: its report (also with a custom group), its tables, its initiative check.
_OWN_FILE = re.compile(r"^(?:district|initiative)_(D[0-9a-f]{15})(?:_\w+)?$")


@dataclass(frozen=True)
class Finding:
    reader: str
    artifact: str
    rule: str
    detail: str

    def __str__(self) -> str:
        who = f"as {self.reader}" if self.reader else "as any district"
        return f"{self.artifact} ({who}): {self.rule}: {self.detail}"


@dataclass
class Artifact:
    """What a reader can read in one file: prose (text, alt, title), attribute values, declared figures."""

    name: str
    prose: list[str] = field(default_factory=list)
    attrs: list[str] = field(default_factory=list)
    figures: list[dict] = field(default_factory=list)
    #: the district the artifact belongs to (its own report or table); None for shared artifacts
    owner: str | None = None
    #: the district or board table it is; figures' group membership depends on it
    kind: str = "report"

    @property
    def everything(self) -> str:
        return "\n".join(self.prose + self.attrs)


class _PageReader(HTMLParser):
    """Collects what a browser shows or keeps in the page: text, alt/title text, attribute values, and
    every element tagged as a figure (data-stat) with its text."""

    PROSE_ATTRS = {"alt", "title", "aria-label", "placeholder", "value"}

    def __init__(self, artifact: Artifact):
        super().__init__(convert_charrefs=True)
        self.a = artifact
        self._skip = 0
        self._skip_tag = ""
        self._open: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        d = {k: (v or "") for k, v in attrs}
        if tag in ("style", "script"):
            self._skip += 1
            self._skip_tag = tag  # style sheets are the template's, scripts could carry anything
        for k, v in d.items():
            if k == "src" and v.startswith("data:"):
                continue  # embedded image bytes; their alt text is read instead
            (self.a.prose if k in self.PROSE_ATTRS else self.a.attrs).append(v)
        if "data-stat" in d:
            self._open.append((tag, {k[5:]: v for k, v in d.items() if k.startswith("data-")} | {"text": ""}))

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip = max(0, self._skip - 1)
        if self._open and self._open[-1][0] == tag:
            self.a.figures.append(self._open.pop()[1])

    def handle_data(self, data):
        if self._skip:
            if self._skip_tag == "script":
                self.a.attrs.append(data)  # not shown, but in the file: scanned
            return
        self.a.prose.append(data)
        for _, fig in self._open:
            fig["text"] += data


def read_html(name: str, text: str, owner: str | None = None, kind: str = "report") -> Artifact:
    a = Artifact(name, owner=owner, kind=kind)
    _PageReader(a).feed(text)
    return a


def read_table(name: str, frame: pd.DataFrame, owner: str | None = None) -> Artifact:
    """An exported table (CSV or XLSX read back as text): each figure cell becomes a declared figure."""
    kind = "district_table" if "your_value" in frame else "board_table"
    a = Artifact(name, owner=owner, kind=kind)
    a.attrs.extend(str(c) for c in frame.columns)
    for rec in frame.fillna("").astype(str).to_dict("records"):
        a.attrs.extend(rec.values())
        base = {"metric": rec.get("metric", ""), "group": rec.get("group", "state"),
                "year": rec.get("school_year", "")}
        if kind == "board_table":
            base |= {"members": "all", "state": rec.get("state", "")}
        count_col = "other_districts_reporting" if kind == "district_table" else "districts_reporting"
        if rec.get(count_col, ""):
            a.figures.append(base | {"stat": "count", "text": rec[count_col]})
        for stat in ("p25", "median", "p75"):
            if rec.get(stat, ""):
                a.figures.append(base | {"stat": stat, "text": rec[stat], "table": "1"})
        if rec.get("range_low", ""):
            a.figures.append(base | {"stat": "band", "text": f"{rec['range_low']}–{rec['range_high']}", "table": "1"})
        for col in set(rec) - {"metric", "group", "school_year", "label", "unit", "group_description", "shown",
                               "p25", "median", "p75", "range_low", "range_high", "your_value", count_col,
                               "compared_with", "where_you_stand", "state"}:
            if rec[col]:  # a column the rules do not know: treat as a single district's figure
                a.figures.append(base | {"stat": col, "text": rec[col], "table": "1"})
        if rec.get("your_value", ""):
            a.figures.append(base | {"group": "own", "stat": "value", "text": rec["your_value"], "table": "1"})
        if rec.get("where_you_stand", ""):
            a.prose.append(rec["where_you_stand"])
    return a


def read_xlsx(path: Path, owner: str | None = None) -> Artifact:
    """An XLSX export read as a spreadsheet shows it: numbers at their cell's number format, plus a check
    that the stored number is not more precise than shown (the file keeps whatever was written)."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=False)
    ws = wb["Table"]
    rows = list(ws.iter_rows())
    header = [c.value for c in rows[0]]
    records, hidden = [], []
    for row in rows[1:]:
        rec = {}
        for name, cell in zip(header, row):
            v = cell.value
            if isinstance(v, float):
                d = len(cell.number_format.split(".")[1]) if "." in cell.number_format else 0
                if round(v, d) != v:
                    hidden.append(f"{name}={v!r} shown as {v:.{d}f}")
                rec[name] = f"{v:.{d}f}"
            else:
                rec[name] = "" if v is None else str(v)
        records.append(rec)
    a = read_table(path.name, pd.DataFrame(records, columns=header), owner)
    a.attrs.extend(hidden)
    for sheet in wb.worksheets[1:]:
        for row in sheet.iter_rows(values_only=True):
            a.prose.extend(str(v) for v in row if v is not None)
    a.figures.extend({"stat": "unrounded", "text": h, "metric": "", "group": "xlsx"} for h in hidden)
    return a


def read_file(path: Path, owner: str | None = None) -> Artifact:
    if path.suffix == ".html":
        kind = "report" if owner else ("index" if path.name == "index.html" else "board")
        return read_html(path.name, path.read_text(encoding="utf-8"), owner, kind)
    if path.suffix == ".csv":
        return read_table(path.name, pd.read_csv(path, dtype=str, keep_default_na=False), owner)
    if path.suffix == ".xlsx":
        return read_xlsx(path, owner)
    raise ValueError(f"{path}: not a report artifact (html, csv or xlsx)")


# --- the truth the attacker wants --------------------------------------------------------------------------

class Truth:
    """The warehouse's true figures and the crosswalk's names: what no reader may learn of another."""

    def __init__(self, dm: pd.DataFrame, names: pd.DataFrame, rules: Rules, derived: pd.DataFrame | None = None):
        """derived: per pseudonym, school_year and metric, figures a report derives for the reader itself or
        from shown medians (columns trend_slope, spend, spend_at_reference, difference), so that the text
        scan does not mistake them for a neighbour's figure."""
        self.derived = derived if derived is not None else pd.DataFrame(columns=["pseudonym", "school_year"])
        self.dm = dm.set_index("pseudonym", drop=False)
        self.rules = rules
        self.names = names
        self._by_year = {y: f for y, f in self.dm.groupby("school_year")}
        ids = sorted(set(names["district_id"].astype(str)), key=len, reverse=True)
        labels = sorted(set(names["district_name"].astype(str)), key=len, reverse=True)
        self._name_re = re.compile(r"(?<![\w])(" + "|".join(map(re.escape, labels)) + r")(?![\w])") if labels else None
        self._id_re = re.compile(r"(?<![\w])(" + "|".join(map(re.escape, ids)) + r")(?![\w])") if ids else None
        self.name_of = dict(zip(names["pseudonym"], names["district_name"]))
        self.pseudonyms = set(self.dm["pseudonym"])
        self._strings: dict[tuple[str, str], dict[str, set[str]]] = {}
        self._groups: dict[tuple, pd.DataFrame] = {}
        self._values: dict[tuple, tuple] = {}
        self._by_group: dict[tuple, dict[tuple, pd.DataFrame]] = {}

    @classmethod
    def load(cls, paths: Paths, rules: Rules | None = None) -> "Truth":
        """The truth from a project's warehouse and crosswalk; rules: the ones to hold outputs to (default: the
        warehouse's own, which can never be looser than the floor)."""
        from benchmarks.privacy import crosswalk

        with connect(paths.warehouse, read_only=True) as con:
            dm = con.execute("SELECT * FROM district_metrics").df()
            subs = con.execute("SELECT pseudonym, source_sha256 FROM submissions").df().drop_duplicates()
            rules = rules or rules_of(con)
            slopes = con.execute("SELECT pseudonym, school_year, metric, trend_slope FROM peer_stats "
                                 "WHERE trend_slope IS NOT NULL AND isfinite(trend_slope)").df()
            buying = (con.execute("SELECT pseudonym, school_year, device_spend_usd AS spend, spend_at_reference, "
                                  "difference FROM purchasing").df() if has_table(con, "purchasing") else None)
        derived = slopes if buying is None else pd.concat([slopes, buying.assign(metric="device_price_usd")])
        named = crosswalk.names(paths.crosswalk, subs).dropna(subset=["district_name"])
        return cls(dm, named[["pseudonym", "district_id", "district_name"]].drop_duplicates(), rules, derived)

    def explained(self, pseudonym: str, year: str) -> set[str]:
        """Figures a district's own pages show about itself or derive from shown medians, as displayed: its
        change since last year, its distance to each goal, its peers' trend per year, its purchasing sums."""
        from benchmarks.stats.trends import school_year_label, year_start

        key = ("explained", pseudonym, year)
        if key in self._strings:
            return self._strings[key]
        out: set[str] = set()
        frame = self.year(year)
        prev = self.year(school_year_label(int(year_start([year])[0]) - 1))
        if pseudonym in frame.index:
            row = frame.loc[pseudonym]
            before = prev.loc[pseudonym] if pseudonym in prev.index else None
            for m in METRICS:
                v = row[m.name]
                if not np.isfinite(v):
                    continue
                if before is not None and np.isfinite(before[m.name]):
                    out.add(figure_text(m, abs(v - before[m.name])))
                out.update(figure_text(m, abs(g.value - v)) for g in m.goals)
        d = self.derived
        mine = d[(d["pseudonym"] == pseudonym) & (d["school_year"] == year)]
        for col in ("trend_slope", "spend", "spend_at_reference", "difference"):
            if col in mine:
                for metric, x in zip(mine["metric"], mine[col]):
                    if pd.notna(x) and np.isfinite(x):
                        out.add(figure_text(METRIC_BY_NAME[metric], abs(x)))
        self._strings[key] = out
        return out

    def year(self, year: str) -> pd.DataFrame:
        return self._by_year.get(year, self.dm.iloc[0:0])

    def group(self, kind: str, year: str, reader: str | None = None, county: str | None = None,
              state: str | None = None, size_band: str | None = None) -> pd.DataFrame:
        """Members of a reader's group (others only), or of a named county or size band / the state (everyone)."""
        key = (kind, year, reader, county, state, size_band)
        if key not in self._groups:
            frame = self.year(year)
            if reader is not None and reader in frame.index:
                runs = self._runs(kind, year)
                me = frame.loc[reader]
                out = runs[tuple(me[k] for k in GROUP_KEYS[kind])]
                out = out[out.index != reader]
            elif county is not None:
                out = frame[frame["county"] == county]
            elif size_band is not None:
                out = frame[frame["size_band"] == size_band]
            else:
                out = frame if state is None else frame[frame["state"] == state]
            self._groups[key] = out
        return self._groups[key]

    def _runs(self, kind: str, year: str) -> dict[tuple, pd.DataFrame]:
        if (kind, year) not in self._by_group:
            self._by_group[(kind, year)] = {
                k if isinstance(k, tuple) else (k,): g for k, g in self.year(year).groupby(list(GROUP_KEYS[kind]))}
        return self._by_group[(kind, year)]

    def values(self, members: pd.DataFrame, metric: str) -> pd.Series:
        """A group's figures for a metric, without the missing ones (worked out once per group)."""
        key = (id(members), metric)
        if key not in self._values:
            self._values[key] = (members[metric].dropna() if metric in members else members["pseudonym"], members)
        return self._values[key][0]

    def identifiable(self, reader: str, year: str) -> pd.DataFrame:
        """Districts a reader can single out: its county (a round-table knows its members) and any group of
        fewer than quartile_min_peers others."""
        out = [self.group("county", year, reader)]
        for kind in ("locale", "size_band", "state"):
            g = self.group(kind, year, reader)
            if len(g) < self.rules.quartile_min_peers:
                out.append(g)
        frame = pd.concat(out)
        return frame[~frame.index.duplicated()]

    def strings(self, pseudonym: str, year: str) -> dict[str, set[str]]:
        """How a district's figures could appear: as displayed ("1.13 devices"), as a bare number where a
        unit is not written ("1.13"), and unrounded ("1.1312", "0.253127")."""
        key = (pseudonym, year)
        if key not in self._strings:
            full, bare, raw = set(), set(), set()
            row = self.year(year).loc[pseudonym]
            for m in METRICS:
                v = row[m.name]
                if not np.isfinite(v):
                    continue
                text = figure_text(m, v)
                full.add(text)
                number = _BARE.search(text).group(1)
                if "." in number or len(number) >= 3:
                    bare.add(number)
                for x in {v, v * 100 if m.unit == "%" else v}:
                    for d in (decimals(m) + 2, decimals(m) + 3, 6):
                        raw.add(f"{x:.{d}f}")
                    raw.add(repr(float(x)))
            self._strings[key] = {"full": full, "bare": bare, "raw": raw}
        return self._strings[key]

    def identities(self, text: str) -> dict[str, set[str]]:
        """District names, IDs and pseudonyms appearing in a text."""
        return {"name": set(self._name_re.findall(text)) if self._name_re else set(),
                "id": set(self._id_re.findall(text)) if self._id_re else set(),
                "pseudonym": set(_PSEUDONYM.findall(text)) & self.pseudonyms}


# --- the checks ----------------------------------------------------------------------------------------------

def _numbers(text: str) -> list[float]:
    return [float(x.replace(",", "")) for x in re.findall(_NUMBER, text.replace("–", " "))]


def _decimals_of(text: str) -> int:
    found = re.findall(r"\d\.(\d+)", text)
    return max((len(d) for d in found), default=0)


class _Tokens:
    """Figure-like tokens of an artifact minus those it declares: what is left is unexplained."""

    def __init__(self, a: Artifact, public: set[str], explained: set[str] = frozenset()):
        public = set(public) | set(explained) | _plan_derived(a)
        texts = "\n".join(f["text"] for f in a.figures)
        declared_full = set(public) | set(_FIGURE.findall(texts))
        declared_bare = set(_BARE.findall(texts)) | set(_BARE.findall("\n".join(declared_full)))
        prose = "\n".join(a.prose)
        attrs = "\n".join(a.attrs)
        self.full = set(_FIGURE.findall(prose)) - declared_full
        self.bare = set(_BARE.findall(attrs)) - declared_bare - declared_full
        self.raw = {t for t in _BARE.findall(prose + "\n" + attrs) if "." in t and len(t.split(".")[1]) > 2}


def _plan_derived(a: Artifact) -> set[str]:
    """Figures an initiative check derives from the district's own plan: its distance to each goal and to
    the projected median of its peers."""
    out: set[str] = set()
    plans = [f for f in a.figures if f.get("stat") == "plan" and f.get("metric") in METRIC_BY_NAME]
    for f in plans:
        m = METRIC_BY_NAME[f["metric"]]
        nums = _numbers(f["text"])
        if not nums:
            continue
        planned = nums[0] / (100.0 if m.unit == "%" else 1.0)
        out.update(figure_text(m, abs(g.value - planned)) for g in m.goals)
        for p in a.figures:
            if p.get("stat") == "projection" and p.get("metric") == m.name and _numbers(p["text"]):
                out.add(figure_text(m, abs(planned - _numbers(p["text"])[0] / (100.0 if m.unit == "%" else 1.0))))
    return out


def _public_strings() -> set[str]:
    """Figures that describe no district: goal lines, size-band bounds."""
    from benchmarks.stats.peers import SIZE_BANDS

    out = {t for _, label in SIZE_BANDS for t in _BARE.findall(label)}
    for m in METRICS:
        for g in m.goals:
            out.add(figure_text(m, g.value))
            out.update(_FIGURE.findall(g.label))
    return out


class Audit:
    """Runs the attack for every reader over its own artifacts and the shared ones."""

    def __init__(self, truth: Truth, year: str):
        self.truth, self.year = truth, year
        self.rules = truth.rules
        self.findings: list[Finding] = []
        self._public = _public_strings()

    def add(self, reader, artifact, rule, detail):
        self.findings.append(Finding(reader or "", artifact, rule, detail))

    # (A) every declared figure against the rules
    def check_figures(self, a: Artifact, reader: str | None) -> None:
        totals = []
        for f in a.figures:
            stat, metric, group = f.get("stat", ""), f.get("metric", ""), f.get("group", "")
            text = f.get("text", "").strip()
            year = f.get("year") or self.year
            if stat == "unrounded":
                self.add(reader, a.name, "figure stored more precisely than shown", text)
                continue
            if group in ("own", "pooled", "custom") or stat == "none":
                # the reader's own figure; a count of pooled small counties; "not shown"; a custom list
                # (its members are not in the files: the same rules applied, see disclosure.protect_custom)
                continue
            if any(w in stat for w in SINGLE_VALUES) or group not in GROUP_KEYS:
                self.add(reader, a.name, "a single district's figure (minimum, maximum, rank or value)",
                         f"{metric} {group} {stat}: {text}")
                continue
            members = self._members(f, a, reader, year)
            if members is None:
                continue
            values = self.truth.values(members, metric)
            if stat == "count":
                self._check_count(a, reader, f, values, text)
            elif stat in RISKY_TOTALS:
                totals.append((f, members, values))
            elif stat in STATISTICS and metric in METRIC_BY_NAME:
                self._check_statistic(a, reader, f, METRIC_BY_NAME[metric], values, text)
            elif stat in SHARES:
                sizes = [len(values)]
                if f.get("since"):  # a change since an earlier year: the group that year counts too
                    before = self._members(f, a, reader, f["since"])
                    sizes += [] if before is None else [len(self.truth.values(before, metric))]
                for n in sizes:
                    if n < self.rules.min_peers:
                        self.add(reader, a.name, f"statistic of a group with fewer than {self.rules.min_peers} "
                                 "others", f"{metric} {group} {stat} = {text} (n={n})")
            else:
                self.add(reader, a.name, "a statistic the disclosure rules do not allow", f"{metric} {group} {stat}")
        self._check_totals(a, reader, totals)

    def _check_count(self, a, reader, f, values, text) -> None:
        group = f.get("group")
        if group in BREAKDOWNS and f.get("members") == "all":
            if len(values) < self.rules.min_peers:
                self.add(reader, a.name, f"{group.replace('_', ' ')} breakdown below {self.rules.min_peers} "
                         "districts", f"{f.get(group.replace('_', '-'))}: {text}")
        elif f.get("metric") in METRIC_BY_NAME and _numbers(text) and int(_numbers(text)[0]) != len(values):
            self.add(reader, a.name, "count is not the number of other districts with a figure",
                     f"{f.get('metric')} {f.get('group')}: shows {text}, true {len(values)}")

    def _members(self, f: dict, a: Artifact, reader: str | None, year: str) -> pd.DataFrame | None:
        group = f.get("group")
        if f.get("members") == "all":
            if group == "county" and f.get("county"):
                return self.truth.group("county", year, county=f["county"])
            if group == "size_band" and f.get("size-band"):
                return self.truth.group("size_band", year, size_band=f["size-band"])
            if group == "pooled":
                return None
            return self.truth.group("state", year, state=f.get("state") or None)
        who = a.owner or reader
        if who is None or group not in GROUP_KEYS:
            return None
        return self.truth.group(group, year, who)

    def _check_statistic(self, a, reader, f, m, values, text) -> None:
        stat, group = f["stat"], f["group"]
        n = len(values)
        label = f"{m.name} {group} {stat} = {text}"
        if n < self.rules.min_peers:
            self.add(reader, a.name, f"statistic of a group with fewer than {self.rules.min_peers} others",
                     f"{label} (n={n})")
            return
        allowed = band_decimals(m) if stat == "band" else decimals(m)
        if _decimals_of(text) > allowed:
            self.add(reader, a.name, "figure shown more precisely than the pages round", label)
        nums = _numbers(text)
        if stat == "band":
            if len(nums) >= 2 and nums[1] - nums[0] < band_step(m, self.rules) - 1e-9:
                self.add(reader, a.name, "band narrower than the band grid", label)
            return
        if stat in ("p25", "p75") and n < self.rules.quartile_min_peers:
            self.add(reader, a.name, f"quartile of a group with fewer than {self.rules.quartile_min_peers} others",
                     f"{label} (n={n})")
        if nums and n < self.rules.quartile_min_peers:
            shown = display_value(m, values.to_numpy())
            hits = values.index[np.isclose(shown, nums[0], rtol=0, atol=1e-9)]
            if len(hits) == 1:
                self.add(reader, a.name, "a small group's statistic equals one neighbour's figure",
                         f"{label} = {self.truth.name_of.get(hits[0], hits[0])}'s figure (n={n})")

    def _check_totals(self, a, reader, totals, own_only: bool = False, nested=None) -> None:
        """Totals and means: size, dominance, own-figure subtraction, and nested subtraction.
        totals: (figure, members, values) triples. own_only: only the checks that depend on the reader;
        nested: the nested differences if already worked out (see _nested)."""
        r = self.rules
        for f, members, values in totals:
            label = f"{f.get('metric')} {f.get('group')} {f.get('stat')} = {f.get('text')}"
            v = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype="float64")
            if not own_only:
                if len(members) < r.min_peers:
                    self.add(reader, a.name, f"{f.get('stat')} over fewer than {r.min_peers} districts", label)
                if len(v) and v.sum() > 0 and np.sort(v)[-2:].sum() > r.dominance * v.sum():
                    self.add(reader, a.name, "total dominated by its two largest contributors", label)
            if reader is not None and reader in members.index and 0 < len(members) - 1 < r.min_peers:
                self.add(reader, a.name, f"{f.get('stat')} x n minus own figure isolates fewer than {r.min_peers} "
                         "districts", label)
        for label, rest in (self._nested(totals) if nested is None else nested):
            if 0 < len(rest - {reader}) < r.min_peers:
                self.add(reader, a.name, f"subtraction between nested groups isolates fewer than {r.min_peers} "
                         "districts", label)

    @staticmethod
    def _nested(totals) -> list[tuple[str, set]]:
        """What subtracting published totals from an enclosing one leaves: one nested total at a time, and
        all disjoint nested ones together (a suppressed county is the state minus every other county)."""
        out = []
        for f2, g2, _ in totals:
            s2 = set(g2.index)
            inner = [(set(g1.index), f1) for f1, g1, _ in totals
                     if f1.get("metric") == f2.get("metric") and set(g1.index) < s2]
            taken: set = set()
            for s1, f1 in sorted(inner, key=lambda x: -len(x[0])):
                out.append((f"{f2.get('metric')}: {f2.get('group')} {f2.get('stat')} {f2.get('text')} minus "
                            f"{f1.get('group')} {f1.get('stat')} {f1.get('text')}", s2 - s1))
                if not s1 & taken:
                    taken |= s1
            if len(inner) > 1:
                out.append((f"{f2.get('metric')}: {f2.get('group')} {f2.get('stat')} {f2.get('text')} minus "
                            f"{len(inner)} nested totals", s2 - taken))
        return out

    # (B) another district's figure anywhere in the text
    def check_text(self, a: Artifact, reader: str, tokens: _Tokens) -> None:
        for p in self.truth.identifiable(reader, self.year).index:
            s = self.truth.strings(p, self.year)
            leaked = (s["full"] & tokens.full) | (s["bare"] & tokens.bare) | (s["raw"] & tokens.raw)
            if leaked:
                self.add(reader, a.name, "another district's figure appears in the text",
                         f"{self.truth.name_of.get(p, p)}: {', '.join(sorted(leaked))}")

    # (C) names and identifiers
    def check_identity(self, a: Artifact, reader: str | None) -> None:
        found = self.truth.identities(a.everything)
        own_name = self.truth.name_of.get(a.owner) if a.owner else None
        own_ids = set(self.truth.names.loc[self.truth.names["pseudonym"] == a.owner, "district_id"]) if a.owner else set()
        names = found["name"] - ({own_name} if own_name else set())
        ids = found["id"] - own_ids
        pseudonyms = found["pseudonym"] - ({a.owner} if a.owner else set())
        for kind, hits in (("name", names), ("ID", ids), ("pseudonym", pseudonyms)):
            if hits:
                self.add(reader, a.name, f"a district's {kind} in an artifact that is not its own",
                         ", ".join(sorted(hits)[:5]) + (" …" if len(hits) > 5 else ""))

    def _totals(self, artifacts, reader) -> list:
        out = []
        for a in artifacts:
            for f in a.figures:
                if f.get("stat") in RISKY_TOTALS:
                    f = f | {"year": f.get("year") or self.year}
                    mem = self._members(f, a, reader, f["year"])
                    if mem is not None:
                        out.append((f, mem, mem[f["metric"]] if f.get("metric") in mem else mem["pseudonym"]))
        return out

    def run(self, own: dict[str, list[Artifact]], shared: list[Artifact]) -> list[Finding]:
        """own: each reader's own artifacts; shared: what every district may receive."""
        shared_tokens = [(a, _Tokens(a, self._public)) for a in shared]
        for a in shared:
            self.check_identity(a, None)
            self.check_figures(a, None)
        shared_totals = self._totals(shared, None)
        shared_nested = self._nested(shared_totals)
        for reader in self.truth.year(self.year).index:  # every district may receive the shared files
            mine = own.get(reader, [])
            for a in mine:
                self.check_identity(a, reader)
                self.check_figures(a, reader)
                self.check_text(a, reader, _Tokens(a, self._public, self.truth.explained(reader, self.year)))
            for a, tokens in shared_tokens:
                self.check_text(a, reader, tokens)
            # Totals across everything the reader holds: its own figure or one total taken from another.
            own_totals = self._totals(mine, reader)
            if own_totals or shared_totals:
                everything = own_totals + shared_totals
                self._check_totals(Artifact("its artifacts together", owner=reader), reader, everything,
                                   own_only=True, nested=self._nested(everything) if own_totals else shared_nested)
        return self.findings


def audit_artifacts(truth: Truth, year: str, own: dict[str, list[Artifact]],
                    shared: list[Artifact]) -> list[Finding]:
    return Audit(truth, year).run(own, shared)


def audit_files(paths: Paths, school_year: str | None = None, rules: Rules | None = None) -> list[Finding]:
    """Audit the files in reports/<year>/ as every district that could receive them."""
    from benchmarks.render.notebook import latest_year

    year = school_year or latest_year(paths)
    folder = paths.reports / year
    if not folder.is_dir():
        raise FileNotFoundError(f"no reports for {year} in {folder}: run `benchmarks render` first")
    truth = Truth.load(paths, rules)
    own: dict[str, list[Artifact]] = defaultdict(list)
    shared: list[Artifact] = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.suffix not in (".html", ".csv", ".xlsx") or path.name.startswith("."):
            continue
        mine = _OWN_FILE.match(path.stem)
        if mine:
            own[mine.group(1)].append(read_file(path, mine.group(1)))
        else:
            shared.append(read_file(path))
    unknown = set(own) - set(truth.year(year).index)
    findings = [Finding("", f"*_{u}.*", "file for a district not in the warehouse for this year", u)
                for u in sorted(unknown)]
    return findings + audit_artifacts(truth, year, dict(own), shared)


def summary(findings: list[Finding], limit: int = 20) -> str:
    """Findings grouped by rule, a few examples each."""
    if not findings:
        return "No findings: no district can learn another district's figures from these files."
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_rule[f.rule].append(f)
    lines = [f"{len(findings)} findings:"]
    for rule, items in sorted(by_rule.items(), key=lambda kv: -len(kv[1])):
        lines.append(f"- {rule}: {len(items)}")
        lines.extend(f"    {x}" for x in items[:limit])
    return "\n".join(lines)


__all__ = ["Finding", "Artifact", "Truth", "Audit", "read_html", "read_table", "read_xlsx", "read_file",
           "audit_artifacts", "audit_files", "summary"]
