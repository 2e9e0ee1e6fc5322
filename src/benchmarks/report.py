"""The district report: selects one district's stored peer statistics and turns them into page sections."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .config import DEFAULT_MIN_PEERS, paths
from .metrics import AREAS, METRIC_BY_NAME, METRICS
from .peers import FALLBACK_ORDER
from .plots import GROUP_LABELS, figure_html, peer_band_figure
from .store import connect

GROUP_PHRASES = {
    "county": "districts in your county",
    "size_band": "districts of your size in the state",
    "state": "districts in the state",
}
AREA_TITLES = {"devices": "Devices", "network": "Network", "support": "Support"}


@dataclass
class DistrictReport:
    """Everything one district's report shows, read from the warehouse in one go."""

    pseudonym: str
    school_year: str
    name: str
    state: str
    county: str
    locale: str
    size_band: str
    enrollment: int
    stats: pd.DataFrame
    min_peers: int = DEFAULT_MIN_PEERS
    snapshot: str = ""
    parameters: dict = field(default_factory=dict)


def resolve_warehouse(warehouse: str | Path = "") -> Path:
    return Path(warehouse) if warehouse else paths().warehouse


def data_snapshot(con) -> str:
    """A short hash naming the exact set of raw files the warehouse was built from."""
    row = con.execute("SELECT sha256(coalesce(string_agg(sha256, ',' ORDER BY sha256), '')) FROM raw_files").fetchone()
    return row[0][:16]


def load_district_report(warehouse: str | Path = "", district: str = "", school_year: str = "",
                         county: str = "") -> DistrictReport:
    """One district's report data. Empty district: the first district (by pseudonym) of `county`, or of the
    state; empty school_year: the latest year on record."""
    wh = resolve_warehouse(warehouse)
    with connect(wh, read_only=True) as con:
        if not school_year:
            school_year = con.execute("SELECT max(school_year) FROM district_metrics").fetchone()[0]
        if not district:
            row = con.execute("SELECT min(pseudonym) FROM district_metrics WHERE school_year = ? "
                              "AND (? = '' OR county = ?)", [school_year, county, county]).fetchone()
            district = row[0]
        info = con.execute(
            "SELECT d.state, d.county, d.locale, d.size_band, d.enrollment, c.district_name "
            "FROM district_metrics d JOIN crosswalk c USING (pseudonym) "
            "WHERE d.pseudonym = ? AND d.school_year = ?", [district, school_year]).fetchone()
        if info is None:
            raise LookupError(f"no submission for district {district!r} in school year {school_year!r}")
        stats = con.execute("SELECT * FROM peer_stats WHERE pseudonym = ? AND school_year = ?",
                            [district, school_year]).df()
        snapshot = data_snapshot(con)
    state, county_name, locale, band, enrollment, name = info
    return DistrictReport(district, school_year, name, state, county_name, locale, band, int(enrollment), stats,
                          snapshot=snapshot,
                          parameters={"district": district, "school_year": school_year})


def _reference(rows: pd.DataFrame) -> pd.Series | None:
    for kind in FALLBACK_ORDER:
        hit = rows[(rows["group_kind"] == kind) & rows["published"]]
        if len(hit):
            return hit.iloc[0]
    return None


def standing_sentence(metric_name: str, row: pd.Series | None) -> str:
    """Plain words for where the district stands against its reference group, e.g.
    "Higher devices per student than 7 in 10 districts in your county (better than most)"."""
    m = METRIC_BY_NAME[metric_name]
    if row is None:
        return "Too few other districts reported this to compare."
    if not np.isfinite(row["value"]):
        return "Not reported this year."
    better = row["pct_better"] / 100.0
    below = 1.0 - better if m.direction == "lower" else better
    group = GROUP_PHRASES[row["group_kind"]]
    noun = m.noun or m.label.lower()
    if below >= 0.5:
        text = f"Higher {noun} than {int(round(below * 10))} in 10 {group}"
    else:
        text = f"Lower {noun} than {int(round((1 - below) * 10))} in 10 {group}"
    if m.direction != "neutral":
        text += " (better than most)" if better >= 0.6 else " (behind most)" if better <= 0.4 else " (typical)"
    return text + "."


def scorecard(report: DistrictReport) -> pd.DataFrame:
    """One row per metric: the district's value, each group's median (or why not shown) and a sentence."""
    out = []
    for m in METRICS:
        rows = report.stats[report.stats["metric"] == m.name]
        ref = _reference(rows)
        value = rows["value"].iloc[0] if len(rows) else np.nan
        rec = {"metric": m.name, "label": m.label, "area": m.area, "value": value,
               "value_text": m.format(value)}
        for kind in GROUP_LABELS:
            g = rows[rows["group_kind"] == kind]
            published = bool(len(g)) and bool(g["published"].iloc[0])
            rec[f"{kind}_median"] = g["median"].iloc[0] if published else np.nan
            rec[f"{kind}_text"] = (m.format(g["median"].iloc[0]) if published
                                   else f"fewer than {report.min_peers} others")
            rec[f"{kind}_n"] = int(g["n"].iloc[0]) if len(g) else 0
        rec["reference"] = None if ref is None else ref["group_kind"]
        rec["fell_back"] = ref is not None and ref["group_kind"] != FALLBACK_ORDER[0]
        rec["sentence"] = standing_sentence(m.name, ref)
        out.append(rec)
    return pd.DataFrame(out)


def header_html(report: DistrictReport) -> str:
    e = html.escape
    return (f'<header class="report-header"><p class="kicker">District technology benchmarks · '
            f'{e(report.school_year)}</p><h1>{e(report.name)}</h1>'
            f'<p class="meta">{e(report.county)}, {e(report.state)} · {e(report.locale)} · '
            f'{report.enrollment:,} students ({e(report.size_band)})</p></header>')


def scorecard_html(report: DistrictReport) -> str:
    """The summary table: every metric against county, size band and state, in plain language."""
    card = scorecard(report)
    e = html.escape
    head = "".join(f"<th scope='col'>{e(GROUP_LABELS[k])} median</th>" for k in GROUP_LABELS)
    body = []
    for _, r in card.iterrows():
        cells = "".join(
            f"<td class='num' data-metric='{e(r['metric'])}' data-group='{k}'>{e(r[f'{k}_text'])}</td>"
            for k in GROUP_LABELS)
        note = ""
        if r["fell_back"]:
            note = (f" <span class='note'>(your county has fewer than {report.min_peers} other districts with "
                    f"this figure, so this compares with {GROUP_PHRASES[r['reference']]})</span>")
        body.append(f"<tr><th scope='row'>{e(r['label'])}</th>"
                    f"<td class='num own' data-metric='{e(r['metric'])}'>{e(r['value_text'])}</td>{cells}"
                    f"<td>{e(r['sentence'])}{note}</td></tr>")
    counts = card.iloc[0]
    ns = ", ".join(f"{GROUP_LABELS[k].lower()}: {counts[f'{k}_n']}" for k in GROUP_LABELS)
    return (
        "<section class='scorecard'><h2>Scorecard: where you stand</h2>"
        f"<p>Each median is over the <em>other</em> districts of the group (you are never part of your own "
        f"peer group). Other districts reporting {e(card.iloc[0]['label'].lower())} — {e(ns)}. A group's "
        f"figures are shown only when at least {report.min_peers} other districts reported them; otherwise "
        "the comparison falls back from county to size band to state, and says so.</p>"
        f"<table class='scorecard-table'><thead><tr><th scope='col'>Metric</th><th scope='col'>Your value</th>"
        f"{head}<th scope='col'>Where you stand</th></tr></thead><tbody>{''.join(body)}</tbody></table></section>")


def area_section_html(report: DistrictReport, area: str) -> str:
    """One section (devices, network or support): the takeaway sentences and a peer-band chart."""
    names = [m.name for m in METRICS if m.area == area]
    card = scorecard(report).set_index("metric").loc[names]
    fig = peer_band_figure(report.stats, names)
    alt = (f"{AREA_TITLES[area]} chart: for each metric, the middle half and median of county, size-band and "
           "state peers, with your district's value marked. " + " ".join(
               f"{card.at[n, 'label']}: you {card.at[n, 'value_text']}; "
               + "; ".join(f"{GROUP_LABELS[k].lower()} median {card.at[n, f'{k}_text']}" for k in GROUP_LABELS)
               + "." for n in names))
    items = "".join(f"<li><strong>{html.escape(card.at[n, 'label'])}:</strong> "
                    f"{html.escape(card.at[n, 'sentence'])}</li>" for n in names)
    lead = card.iloc[0]
    title = f"{AREA_TITLES[area]}: {lead['sentence'][0].lower()}{lead['sentence'][1:-1]}"
    return (f"<section class='area area-{area}'><h2>{html.escape(title)}</h2>"
            f"<ul>{items}</ul>{figure_html(fig, alt, caption=_caption(area))}</section>")


def _caption(area: str) -> str:
    return (f"{AREA_TITLES[area]}. Bars: the middle half of other districts (25th to 75th percentile) with "
            "their median; diamonds and line: your district; dashed lines: goals. Groups with too few "
            "other districts are not drawn.")


def footer_html(report: DistrictReport) -> str:
    from . import __version__
    params = ", ".join(f"{k}={v}" for k, v in report.parameters.items())
    return (f"<footer class='provenance'>Data snapshot {html.escape(report.snapshot)} · parameters: "
            f"{html.escape(params)} · district-benchmarks {html.escape(__version__)} · generated "
            f"{pd.Timestamp.now(tz='UTC').strftime('%Y-%m-%d %H:%M UTC')}</footer>")


__all__ = ["DistrictReport", "load_district_report", "scorecard", "scorecard_html", "area_section_html",
           "header_html", "footer_html", "AREAS"]
