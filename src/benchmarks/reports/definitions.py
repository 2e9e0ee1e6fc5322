"""What the figures mean: each metric's definition from the registry and a short glossary, one section every page shares."""

from __future__ import annotations

import html

from benchmarks.registry.metrics import FIELDS, METRIC_BY_NAME, METRICS

#: The words a page uses about groups and statistics, in plain language (the pages link here).
GLOSSARY = (
    ("Peer group", "The other districts a figure is compared with: the same county, the same size band, the same "
                   "locale, or the whole state. A district is never in its own peer group."),
    ("Size band", "Districts of similar enrollment in the same state: under 500 students, 500–1,999, "
                  "2,000–4,999, 5,000–9,999, and 10,000 or more."),
    ("Locale", "Whether a district is City, Suburb, Town or Rural, as the National Center for Education "
               "Statistics classes it."),
    ("Median", "The middle figure: half of the districts have more, half less."),
    ("Middle half", "The range from the 25th to the 75th percentile: the middle half of the districts fall in it, "
                    "a quarter below and a quarter above."),
)

_FIELD = {f.name: f for f in FIELDS}
_DIRECTION = {"higher": "Higher is better.", "lower": "Lower is better.",
              "neutral": "Neither higher nor lower is better in itself."}
NETWORK_INPUTS = {"bandwidth_mbps", "internet_monthly_cost_usd"}


def definition_id(metric: str) -> str:
    """The anchor of a metric's definition, for links from where its figure is shown."""
    return f"def-{metric}"


def metric_link(metric: str, text: str) -> str:
    """A metric's label (already escaped) linked to its definition on the same page."""
    return f"<a class='def-link' href='#{definition_id(metric)}'>{text}</a>"


def metric_definition(name: str) -> dict[str, str]:
    """One metric's definition in parts: what it counts, its unit, what it is worked out from, its goals and
    where the figures come from."""
    m = METRIC_BY_NAME[name]
    inputs = "; ".join(f"{_FIELD[f].label}: {_FIELD[f].description}" for f in m.inputs if f in _FIELD)
    source = "Submitted by each district for the school year."
    if set(m.inputs) & NETWORK_INPUTS:
        source += (" Where a district did not submit, public Connect K-12 (EducationSuperHighway) data for the "
                   "E-rate funding year that pays for that school year, as the page says.")
    goals = " ".join(f"Goal {g.label}: {g.source}." for g in m.goals)
    return {"label": m.label, "meaning": f"{m.meaning} {_DIRECTION[m.direction]}", "unit": m.unit,
            "from": inputs, "goals": goals, "source": source}


def definitions_html(metrics: list[str] | None = None) -> str:
    """The section "What the figures mean": every metric shown (default: all), then the glossary."""
    e = html.escape
    items = []
    for name in metrics or [m.name for m in METRICS]:
        d = metric_definition(name)
        goals = f" {e(d['goals'])}" if d["goals"] else ""
        items.append(f"<dt id='{definition_id(name)}'>{e(d['label'])} <span class='note'>({e(d['unit'])})</span>"
                     f"</dt><dd>{e(d['meaning'])}{goals} <span class='detail'>Worked out from {e(d['from'])} "
                     f"{e(d['source'])}</span></dd>")
    words = "".join(f"<dt>{e(term)}</dt><dd>{e(text)}</dd>" for term, text in GLOSSARY)
    return ("<section class='definitions'><h2>What the figures mean</h2>"
            f"<dl class='definitions'>{''.join(items)}</dl><h3>Words used on this page</h3>"
            f"<dl class='glossary'>{words}</dl></section>")
