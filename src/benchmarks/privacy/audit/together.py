"""Checks over what a file holds beyond its figures, and over all of one district's files together.

- a chart mark drawn at another district's exact figure or a group statistic's exact value, more precisely
  than the text rounds (audit.charts);
- a path of the analyst's machine (an executed notebook's parameters, a traceback), which tells a reader
  where the warehouse lives and, often, who ran it;
- one group's figure shown differently in two of a district's files (its report, a custom report, an
  initiative check, their executed notebooks): a band in one file and the figure it stands for in another
  defeats the band, and two precisions of one figure give the finer one away.
"""

from __future__ import annotations

from collections import defaultdict

from benchmarks.formats import decimals
from benchmarks.privacy.audit.artifacts import Artifact
from benchmarks.privacy.audit.charts import precise_marks
from benchmarks.privacy.audit.received import LOCAL_PATH
from benchmarks.privacy.audit.truth import GROUP_KEYS, Truth, _numbers

#: What a figure is, for comparing two files: a median and the band shown instead of it are one figure.
_SAME_FIGURE = {"median": "centre", "band": "centre", "p25": "p25", "p75": "p75", "count": "count"}


def chart_findings(a: Artifact, reader: str | None, truth: Truth) -> list[tuple[str, str]]:
    """(rule, detail) for each chart mark that carries an exact figure of another district or a group."""
    out = []
    marks = [m for chart in a.charts for m in chart]
    for mark, exact in precise_marks(marks, truth.exact_values):
        whose = truth.whose(mark.metric.name, exact, exclude=reader)
        if whose is None:
            continue  # the reader's own figure: the page may show it as precisely as it likes
        out.append(("a chart is drawn more precisely than the text",
                    f"chart {mark.chart + 1}, {mark.metric.name} ({mark.axis} axis): a mark at {mark.value:.6g}, "
                    f"{whose} {exact:.6g}; the text shows {decimals(mark.metric)} decimals"))
    seen: set = set()
    return [f for f in out if not (f in seen or seen.add(f))]


def path_findings(a: Artifact) -> list[tuple[str, str]]:
    """(rule, detail) for each path of the analyst's machine in a file."""
    hits = sorted({h.rstrip(".,;:)]}") for h in LOCAL_PATH.findall(a.everything)})
    if not hits:
        return []
    return [("a path of the analyst's machine in a file a district may receive",
             ", ".join(hits[:3]) + (" …" if len(hits) > 3 else ""))]


def _key(f: dict, year: str) -> tuple | None:
    group, stat = f.get("group", ""), f.get("stat", "")
    if group not in GROUP_KEYS or stat not in _SAME_FIGURE or f.get("members") == "all":
        return None
    return (f.get("metric", ""), group, f.get("year") or year, _SAME_FIGURE[stat])


def together_findings(own: list[Artifact], year: str) -> list[tuple[str, str]]:
    """(rule, detail) for each figure of a district's own groups that its files show in two ways."""
    shown: dict[tuple, dict[tuple, set[str]]] = defaultdict(lambda: defaultdict(set))
    for a in own:
        for f in a.figures:
            key = _key(f, year)
            if key is not None:
                nums = tuple(round(x, 9) for x in _numbers(f.get("text", "")))
                if nums:
                    shown[key][(f.get("stat"), nums)].add(a.name)
    out = []
    for (metric, group, y, _), forms in sorted(shown.items()):
        if len(forms) > 1:
            told = "; ".join(f"{stat} {'–'.join(f'{n:g}' for n in nums)} in {', '.join(sorted(files))}"
                             for (stat, nums), files in sorted(forms.items()))
            out.append(("one group's figure shown two ways in a district's files", f"{metric} {group} {y}: {told}"))
    return out
