"""The truth the attacker wants (true figures, names, group members) and the figure-like tokens of a text."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from benchmarks.config import Paths
from benchmarks.formats import decimals, figure_text, scale, with_unit
from benchmarks.privacy import crosswalk
from benchmarks.privacy.audit.artifacts import Artifact
from benchmarks.privacy.rules import Rules, rules_of
from benchmarks.registry.groups import PEER_GROUPS, SIZE_BANDS, STORED_GROUPS
from benchmarks.registry.metrics import METRIC_BY_NAME, METRICS
from benchmarks.registry.years import previous_year
from benchmarks.warehouse.store import connect, has_table

#: The columns districts of one stored peer group share, by group kind (from the registry).
GROUP_KEYS: dict[str, tuple[str, ...]] = {k: PEER_GROUPS[k].keys for k in STORED_GROUPS}
_NUMBER = r"-?\d[\d,]*(?:\.\d+)?"
_UNITS = sorted({m.unit for m in METRICS if m.unit not in ("%", "$") and not m.unit.startswith("$")}, key=len,
                reverse=True)
#: A displayed figure in prose: "$1,150", "$1.84/Mbps", "25.3%", "1.13 devices".
_FIGURE = re.compile(r"(?<![\w.])(\$?" + _NUMBER + r"(?:%|/Mbps|(?: (?:" + "|".join(map(re.escape, _UNITS))
                     + r"))\b)?)(?![\w.])")
_BARE = re.compile(r"(?<![\w.])(" + _NUMBER + r")(?![\w.])")
_PSEUDONYM = re.compile(r"D[0-9a-f]{15}")
#: Exact (unrounded) statistics of peer_stats and group_stats: the smoothed ones shown and the plain ones.
_EXACT_STATS = ("show_p25", "show_median", "show_p75", "p25", "median", "p75")


class Truth:
    """The warehouse's true figures and the crosswalk's names: what no reader may learn of another."""

    def __init__(self, dm: pd.DataFrame, names: pd.DataFrame, rules: Rules, derived: pd.DataFrame | None = None,
                 stats: pd.DataFrame | None = None):
        """derived: per pseudonym, school_year and metric, figures a report derives for the reader itself or
        from shown medians (columns trend_slope, spend, spend_at_reference, difference), so that the text
        scan does not mistake them for a neighbour's figure. stats: exact group statistics (columns metric,
        value), whose exact values a chart must not carry."""
        self.stats = stats if stats is not None else pd.DataFrame(columns=["metric", "value"])
        self._exact: dict[str, np.ndarray] = {}
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
        with connect(paths.warehouse, read_only=True) as con:
            dm = con.execute("SELECT * FROM district_metrics").df()
            if has_table(con, "volumes"):  # what a round-table's totals add up: each member knows its own
                dm = dm.merge(con.execute("SELECT * FROM volumes").df(), on=["pseudonym", "school_year"], how="left")
            subs = con.execute("SELECT pseudonym, source_sha256 FROM submissions").df().drop_duplicates()
            rules = rules or rules_of(con)
            slopes = con.execute("SELECT pseudonym, school_year, metric, trend_slope FROM peer_stats "
                                 "WHERE trend_slope IS NOT NULL AND isfinite(trend_slope)").df()
            buying = (con.execute("SELECT pseudonym, school_year, device_spend_usd AS spend, spend_at_reference, "
                                  "difference FROM purchasing").df() if has_table(con, "purchasing") else None)
            stats = pd.concat([con.execute(f"SELECT DISTINCT metric, {c} AS value FROM {t} WHERE {c} IS NOT NULL")
                               .df() for t in ("peer_stats", "group_stats") for c in _EXACT_STATS])
        derived = slopes if buying is None else pd.concat([slopes, buying.assign(metric="device_price_usd")])
        named = crosswalk.names(paths.crosswalk, subs).dropna(subset=["district_name"])
        return cls(dm, named[["pseudonym", "district_id", "district_name"]].drop_duplicates(), rules, derived, stats)

    def exact_values(self, m) -> np.ndarray:
        """Every district's figure of a metric in any year and every group statistic, exact, in display units,
        sorted: what a chart must never carry more precisely than the text rounds it."""
        if m.name not in self._exact:
            v = np.concatenate([self.dm[m.name].to_numpy(dtype="float64", na_value=np.nan),
                                self.stats.loc[self.stats["metric"] == m.name, "value"].to_numpy(dtype="float64")])
            self._exact[m.name] = np.sort(v[np.isfinite(v)] * scale(m))
        return self._exact[m.name]

    def whose(self, metric: str, exact: float, exclude: str | None = None) -> str | None:
        """What an exact value (display units) is: a district's figure (by name), or a group statistic; None
        when it is only the excluded district's own figure."""
        m = METRIC_BY_NAME[metric]
        shown = self.dm[metric].to_numpy(dtype="float64", na_value=np.nan) * scale(m)
        hits = set(self.dm["pseudonym"].to_numpy()[np.isclose(shown, exact, rtol=1e-12, atol=1e-12)])
        others = hits - {exclude}
        if others:
            p = sorted(others)[0]
            return f"{self.name_of.get(p, p)}'s figure"
        values = self.stats.loc[self.stats["metric"] == metric, "value"].to_numpy(dtype="float64") * scale(m)
        if np.isclose(values, exact, rtol=1e-12, atol=1e-12).any():
            return "a group statistic's exact value"
        return None

    def explained(self, pseudonym: str, year: str) -> set[str]:
        """Figures a district's own pages show about itself or derive from shown medians, as displayed: its
        change since last year, its distance to each goal, its peers' trend per year, its purchasing sums."""
        key = ("explained", pseudonym, year)
        if key in self._strings:
            return self._strings[key]
        out: set[str] = set()
        frame = self.year(year)
        prev = self.year(previous_year(year))
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
              state: str | None = None, size_band: str | None = None, locale: str | None = None) -> pd.DataFrame:
        """Members of a reader's group (others only), or of a named county, size band or locale / the state
        (everyone). A named county, size band or locale is taken within `state` when given (counties are unique
        by state and name), else wherever the year's rows carry that name."""
        key = (kind, year, reader, county, state, size_band, locale)
        if key not in self._groups:
            frame = self.year(year)
            if reader is not None and reader in frame.index:
                runs = self._runs(kind, year)
                me = frame.loc[reader]
                out = runs[tuple(me[k] for k in GROUP_KEYS[kind])]
                out = out[out.index != reader]
            else:
                if state is not None:
                    frame = frame[frame["state"] == state]
                if county is not None:
                    frame = frame[frame["county"] == county]
                elif size_band is not None:
                    frame = frame[frame["size_band"] == size_band]
                elif locale is not None:
                    frame = frame[frame["locale"] == locale]
                out = frame
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
                for x in {v, v * scale(m)}:
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


# --- figure-like tokens of a text -----------------------------------------------------------------------------

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
        bare = {n for t in _BARE.findall(texts) for n in _spellings(t)}
        declared_full = set(public) | set(_FIGURE.findall(texts)) | bare
        # a table's cells hold bare numbers ("1330"); a sentence beside them quotes them with the unit ("1,330 kbps")
        declared_full |= {with_unit(METRIC_BY_NAME[f["metric"]], n) for f in a.figures
                          if f.get("metric") in METRIC_BY_NAME for t in _BARE.findall(f["text"]) for n in _spellings(t)}
        declared_bare = set(_BARE.findall(texts)) | set(_BARE.findall("\n".join(declared_full)))
        prose = "\n".join(a.prose)
        attrs = "\n".join(a.attrs)
        self.full = set(_FIGURE.findall(prose)) - declared_full
        self.bare = set(_BARE.findall(attrs)) - declared_bare - declared_full
        self.raw = {t for t in _BARE.findall(prose + "\n" + attrs) if "." in t and len(t.split(".")[1]) > 2}


def _spellings(number: str) -> set[str]:
    """A number as a table cell writes it ("1330.5") and as a sentence does ("1,330.5")."""
    plain = number.replace(",", "")
    whole, _, frac = plain.lstrip("-").partition(".")
    return {number, plain, f"{float(plain):,.{len(frac)}f}"} if whole.isdigit() else {number}


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
        planned = nums[0] / scale(m)
        out.update(figure_text(m, abs(g.value - planned)) for g in m.goals)
        for p in a.figures:
            if p.get("stat") == "projection" and p.get("metric") == m.name and _numbers(p["text"]):
                out.add(figure_text(m, abs(planned - _numbers(p["text"])[0] / scale(m))))
    return out


def _public_strings() -> set[str]:
    """Figures that describe no district: goal lines, size-band bounds."""
    out = {t for _, label in SIZE_BANDS for t in _BARE.findall(label)}
    for m in METRICS:
        for g in m.goals:
            out.add(figure_text(m, g.value))
            out.update(_FIGURE.findall(g.label))
    return out
