"""The checks: every declared figure against the rules, the text for neighbours' figures, names and IDs."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from benchmarks.config import Paths
from benchmarks.formats import band_decimals, decimals, display_value, scale
from benchmarks.privacy.disclosure import truthful
from benchmarks.privacy.audit.artifacts import Artifact
from benchmarks.privacy.audit.received import read_any, received_files
from benchmarks.privacy.audit.together import chart_findings, path_findings, together_findings
from benchmarks.privacy.audit.truth import _NUMBER, GROUP_KEYS, Truth, _decimals_of, _numbers, _public_strings, _Tokens
from benchmarks.privacy.rules import Rules, band_step
from benchmarks.registry.metrics import METRIC_BY_NAME
from benchmarks.warehouse.queries import NotOnRecord, resolve_year

STATISTICS = {"median", "p25", "p75", "band"}
RISKY_TOTALS = {"total", "sum", "mean"}
#: Shares of a group (e.g. meeting a goal), trend projections of its median and the board's change of a shown
#: median or share since last year: group size is what matters (in both years, for a change).
SHARES = {"share", "projection", "change"}
#: Whole groups a board may count districts by or show a median of (members="all", the group named in
#: data-county / data-size-band / data-locale).
BREAKDOWNS = ("county", "size_band", "locale")
#: The parts of a state a board shows medians of beside the state's (disclosure.gate_breakdowns).
STATE_PARTS = ("size_band", "locale")
#: Words naming one district's figure, in a data-stat or a table column ("min", "county_max", "rank", ...).
SINGLE_VALUES = ("min", "max", "rank", "value", "lowest", "highest", "top", "bottom")


def _named_part(f: dict, group: str) -> str | None:
    """The county, size band or locale a breakdown's figure names (its data-county, data-size-band or data-locale)."""
    return f.get(group.replace("_", "-"))


@dataclass(frozen=True)
class Finding:
    reader: str
    artifact: str
    rule: str
    detail: str

    def __str__(self) -> str:
        who = f"as {self.reader}" if self.reader else "as any district"
        return f"{self.artifact} ({who}): {self.rule}: {self.detail}"


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
            if stat in ("count", "count_range"):  # a range: a group's counts over the measures, lowest to highest
                self._check_count(a, reader, f, values, text)
            elif stat in RISKY_TOTALS:
                totals.append((f, members, values))
            elif stat in STATISTICS and metric in METRIC_BY_NAME:
                self._check_statistic(a, reader, f, METRIC_BY_NAME[metric], values, text)
                self._check_part(a, reader, f, values, year)
            elif stat in SHARES:
                sizes = [len(values)]
                if f.get("since"):  # a change since an earlier year: the group that year counts too
                    before = self._members(f, a, reader, f["since"])
                    sizes += [] if before is None else [len(self.truth.values(before, metric))]
                for n in sizes:
                    if n < self.rules.min_peers:
                        self.add(reader, a.name, f"statistic of a group with fewer than {self.rules.min_peers} "
                                 "others", f"{metric} {group} {stat} = {text} (n={n})")
                    elif n < self.rules.quartile_min_peers and (stat == "share" or f.get("goal")):
                        # a share meeting a goal (or its change): from quartile_min_peers (disclosure.gate_goal_shares)
                        self.add(reader, a.name, f"share meeting a goal of fewer than {self.rules.quartile_min_peers} "
                                 "districts", f"{metric} {group} {stat} = {text} (n={n})")
            else:
                self.add(reader, a.name, "a statistic the disclosure rules do not allow", f"{metric} {group} {stat}")
        self._check_totals(a, reader, totals)

    def check_untagged(self, a: Artifact, reader: str | None) -> None:
        """The index shows counts by county: each must be a tagged figure (checked like the board's
        breakdowns), so a number in a table cell outside any tagged figure, or a row header that is only a
        number, is a figure the rules cannot check."""
        if a.kind != "index":
            return
        for tag, text in a.cells:
            if (tag == "td" and _numbers(text)) or (tag == "th" and re.fullmatch(_NUMBER, text.strip())):
                self.add(reader, a.name, "untagged figure in the index", text.strip())

    def _check_count(self, a, reader, f, values, text) -> None:
        group = f.get("group")
        if group in BREAKDOWNS and f.get("members") == "all":
            words, named = group.replace("_", " "), _named_part(f, group)
            if not named:  # a count of some county (size band) that says not which: nothing to check it by
                self.add(reader, a.name, f"{words} breakdown count names no {words}", text)
            elif len(values) < self.rules.min_peers:
                self.add(reader, a.name, f"{words} breakdown below {self.rules.min_peers} districts", f"{named}: {text}")
        elif f.get("metric") in METRIC_BY_NAME and _numbers(text) and int(_numbers(text)[0]) != len(values):
            self.add(reader, a.name, "count is not the number of other districts with a figure",
                     f"{f.get('metric')} {f.get('group')}: shows {text}, true {len(values)}")

    def _members(self, f: dict, a: Artifact, reader: str | None, year: str) -> pd.DataFrame | None:
        found = self._group_of(f, a, reader, year)
        if found is None or not f.get("with"):
            return found
        # a total over the members that reported every field named in data-with (a round-table's combined
        # internet counts only those with both bandwidth and cost): its members are those, not the whole group
        fields = [c for c in f["with"].split() if c in found]
        return found[found[fields].notna().all(axis=1)] if fields else found

    def _group_of(self, f: dict, a: Artifact, reader: str | None, year: str) -> pd.DataFrame | None:
        group = f.get("group")
        if f.get("members") == "all":
            state = f.get("state") or None  # the index names no state: its county is matched by name
            named = _named_part(f, group) if group in BREAKDOWNS else None
            if named:
                return self.truth.group(group, year, state=state, **{group: named})
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
        self._check_truthful(a, reader, m, stat, values, nums, label)
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

    def _check_part(self, a, reader, f, values, year) -> None:
        """A statistic of a part of the state (a size band, a locale) is shown beside the state's: the state's
        districts with a value outside the part must number none or at least min_peers, or the two figures
        side by side single those few out (disclosure.gate_breakdowns)."""
        group, metric = f.get("group"), f.get("metric")
        if f.get("members") != "all" or group not in STATE_PARTS or not _named_part(f, group):
            return
        state = self.truth.group("state", year, state=f.get("state") or None)
        outside = len(self.truth.values(state, metric)) - len(values)
        if 0 < outside < self.rules.min_peers:
            self.add(reader, a.name, f"a part of the state differs from the state by fewer than {self.rules.min_peers} "
                     "districts", f"{metric} {group} {f.get(group.replace('_', '-'))} {f.get('stat')} = "
                     f"{f.get('text', '').strip()} (the state has {outside} more)")

    def _check_truthful(self, a, reader, m, stat, values, nums, label) -> None:
        """A shown percentile within the rules' tolerance of the plain one of the same districts; a band that
        holds their plain median (docs/privacy.md: truthful small-group figures)."""
        if not nums or not len(values):
            return
        v = values.to_numpy(dtype="float64")
        if stat == "band":
            plain = display_value(m, np.median(v))
            if len(nums) >= 2 and not nums[0] - 1e-9 <= plain <= nums[1] + 1e-9:
                self.add(reader, a.name, "band that does not hold the plain median", f"{label} (plain {plain:g})")
            return
        q = {"p25": 25, "median": 50, "p75": 75}[stat]
        if not truthful(m, nums[0] / scale(m), np.percentile(v, q), self.rules):
            self.add(reader, a.name, f"figure more than {self.rules.tolerance:.0%} from the plain {stat}",
                     f"{label} (plain {display_value(m, np.percentile(v, q)):g})")

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

    # (D) what a file holds beyond its figures: charts' coordinates, paths; a district's files together
    def check_file(self, a: Artifact, reader: str | None) -> None:
        for rule, detail in chart_findings(a, reader, self.truth) + path_findings(a):
            self.add(reader, a.name, rule, detail)

    def run(self, own: dict[str, list[Artifact]], shared: list[Artifact]) -> list[Finding]:
        """own: each reader's own artifacts (all of them: reports, custom reports, initiative checks, their
        tables and records); shared: what every district may receive."""
        shared_tokens = [(a, _Tokens(a, self._public)) for a in shared]
        for a in shared:
            self.check_identity(a, None)
            self.check_figures(a, None)
            self.check_untagged(a, None)
            self.check_file(a, None)
        shared_totals = self._totals(shared, None)
        shared_nested = self._nested(shared_totals)
        for reader in self.truth.year(self.year).index:  # every district may receive the shared files
            mine = own.get(reader, [])
            for a in mine:
                self.check_identity(a, reader)
                self.check_figures(a, reader)
                self.check_file(a, reader)
                self.check_text(a, reader, _Tokens(a, self._public, self.truth.explained(reader, self.year)))
            for a, tokens in shared_tokens:
                self.check_text(a, reader, tokens)
            # Totals across everything the reader holds: its own figure or one total taken from another.
            own_totals = self._totals(mine, reader)
            if own_totals or shared_totals:
                everything = own_totals + shared_totals
                self._check_totals(Artifact("its artifacts together", owner=reader), reader, everything,
                                   own_only=True, nested=self._nested(everything) if own_totals else shared_nested)
            for rule, detail in together_findings(mine, self.year):
                self.add(reader, "its artifacts together", rule, detail)
        return self.findings


def audit_artifacts(truth: Truth, year: str, own: dict[str, list[Artifact]],
                    shared: list[Artifact]) -> list[Finding]:
    return Audit(truth, year).run(own, shared)


def audit_files(paths: Paths, school_year: str | None = None, rules: Rules | None = None) -> list[Finding]:
    """Audit every file under reports/<year>/ as every district that could receive it: a file whose name (or
    folder) carries a pseudonym as that district, every other file as any district."""
    year = resolve_year(paths.warehouse, school_year)
    folder = paths.reports / year
    if not folder.is_dir():
        raise NotOnRecord(f"no reports for {year} in {folder}: run `benchmarks render --year {year}` first")
    truth = Truth.load(paths, rules)
    own: dict[str, list[Artifact]] = defaultdict(list)
    shared: list[Artifact] = []
    for path, owner in received_files(folder):  # every file, any type: any of them could be sent
        a = read_any(path, owner, name=path.relative_to(folder).as_posix())
        (own[owner] if owner else shared).append(a)
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
