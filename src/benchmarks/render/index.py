"""index.html: the board's pages first, then how many district reports are up to date per county; it names no
district, and counties under the warehouse's min_peers are pooled through the disclosure rules."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from benchmarks.config import INDEX_PAGE
from benchmarks.files import write_atomic
from benchmarks.privacy.rules import Rules, pool_small
from benchmarks.reports.html import escape as e
from benchmarks.reports.html import generated_at, page_html, tagged
from benchmarks.reports.kinds import DISTRICT_SECTION, INDEX_SECTIONS


def county_rows(districts: pd.DataFrame, year: str, rules: Rules) -> list[str]:
    """Report counts per county, each a tagged figure the audit checks; small counties pooled."""
    named, small, pooled = pool_small(districts.groupby("county").size().to_dict(), rules)
    rows = [f"<tr><th scope='row'>{e(county)}</th>"
            + tagged(str(n), "districts", "county", "count", members="all", year=year, county=county) + "</tr>"
            for county, n in named]
    if small:
        counties = "1 county" if small == 1 else f"{small} counties"
        rows.append(f"<tr><th scope='row'>{counties} with fewer than {rules.min_peers} reports</th>"
                    + tagged(str(pooled), "districts", "pooled", "count", members="all", year=year) + "</tr>")
    return rows


def provenance(con) -> str:
    """From which data the pages were made, in the board's words: the snapshot and what it holds."""
    files = con.execute("SELECT kind, count(*), max(ingested_at) FROM raw_files GROUP BY kind").fetchall()
    held = {kind: (n, when) for kind, n, when in files}
    parts = [f"{n} {'public data file' if kind == 'public' else 'submission file'}{'s' if n != 1 else ''}"
             for kind, (n, _) in sorted(held.items(), key=lambda kv: kv[0] != "submission")]
    latest = max((when for _, when in held.values()), default=None)
    last = f", the last received {latest:%Y-%m-%d}" if latest is not None else ""
    return f"{' and '.join(parts) or 'no files'}{last}"


def write_index(out_dir: Path, year: str, links: dict[str, list[tuple[str, str]]], districts: pd.DataFrame,
                rules: Rules, failures: list[tuple[str, str]] = (), source: str = "", snapshot: str = "",
                notes: dict[str, str] | None = None) -> Path:
    """index.html: failed reports (if any) first, then each section of INDEX_SECTIONS.

    It names no district and links no district's page: a district may receive this page, and each district's
    report goes to that district alone (the analyst's delivery list in data/private/ says which file is whose).
    links: section heading -> (title, file name) of the year-wide reports; districts: one row per up-to-date
    district report (column county); rules: the warehouse's disclosure rules; failures: (report, what went
    wrong); source and snapshot: from which data (provenance(), warehouse.queries.data_snapshot). Which reports
    are out of date is the analyst's business: `benchmarks render` prints it (BatchResult.summary).
    """
    groups = [f"<p>{len(districts)} district reports are up to date for {e(year)}. Each district receives only its "
              "own report and tables, so this page lists none by name.</p>"
              "<table class='scorecard-table'><thead><tr><th scope='col'>County</th><th scope='col'>Reports</th>"
              f"</tr></thead><tbody>{''.join(county_rows(districts, year, rules))}</tbody></table>"]
    sections = {heading: "".join(f"<li><a href='{e(page)}'>{e(title)}</a></li>" for title, page in pages)
                for heading, pages in links.items() if pages}
    body = []
    for heading in [*INDEX_SECTIONS, *(h for h in sections if h not in INDEX_SECTIONS)]:
        if heading == DISTRICT_SECTION:
            body.append(f"<h2>{e(heading)}</h2>{''.join(groups)}")
        elif heading in sections or heading in (notes or {}):
            note = f"<p>{e(notes[heading])}</p>" if heading in (notes or {}) else ""
            listed = f"<ul>{sections[heading]}</ul>" if heading in sections else ""
            body.append(f"<h2>{e(heading)}</h2>{listed}{note}")
    failed = ""
    if failures:
        items = "".join(f"<li><strong>{e(label)}</strong>: {e(_short(why))}</li>" for label, why in failures)
        failed = (f"<section class='failures'><h2>Reports that failed ({len(failures)})</h2>"
                  "<p>These reports could not be rendered; their previous versions were removed. The executed "
                  "notebooks with the full error are the analyst's, in data/private/executed/ (*.failed.ipynb)."
                  f"</p><ul>{items}</ul></section>")
    made = f"Made from data snapshot {e(snapshot)}: {e(source)}. " if snapshot else ""
    body_html = (f"<p class='kicker'>District technology benchmarks</p><h1>Reports for {e(year)}</h1>"
                 f"<p class='meta'>What is here: the board's pages and {len(districts)} district reports for the "
                 f"{e(year)} school year. {made}Generated {generated_at()}.</p>{failed}{''.join(body)}")
    index = Path(out_dir) / INDEX_PAGE
    write_atomic(index, page_html(f"Technology benchmarks {year}", body_html).encode("utf-8"))
    return index


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
