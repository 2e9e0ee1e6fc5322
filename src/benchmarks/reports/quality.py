"""The data-quality report for the analyst: what came in, what was quarantined and why, coverage; never a value."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from benchmarks.config import resolve_warehouse
from benchmarks.privacy.rules import Rules, pool_small, rules_of
from benchmarks.registry.metrics import METRICS
from benchmarks.reports.html import footer_html as provenance_footer
from benchmarks.warehouse.queries import data_snapshot, year_or_latest
from benchmarks.warehouse.store import columns, connect, has_table


@dataclass
class QualityReport:
    school_year: str
    files: pd.DataFrame
    reasons: pd.DataFrame
    conversions: pd.DataFrame
    coverage: pd.DataFrame  # one row per county: districts with a current submission, districts per metric
    resubmitted: pd.DataFrame
    public: pd.DataFrame
    snapshot: str
    #: Accepted values outside their metric's usual range: file, row, columns and which metric, never the value.
    flags: pd.DataFrame = None
    #: The warehouse's disclosure rules: counties under min_peers are pooled here as on the board's pages.
    rules: Rules = field(default_factory=Rules)


def load_quality_report(warehouse: str | Path = "", school_year: str = "") -> QualityReport:
    """Counts, reasons and column names from the warehouse; no submitted or derived value is read here."""
    wh = resolve_warehouse(warehouse)
    with connect(wh, read_only=True) as con:
        school_year = year_or_latest(con, school_year) or ""
        # a file by its archived, hash-named copy: the name it was sent under often carries a district's
        archived = "archived_as" if "archived_as" in columns(con, "raw_files") else "NULL"
        files = con.execute(f"""
            SELECT coalesce(regexp_extract({archived}, '[^/]+$'), left(sha256, 12)) AS file,
                   coalesce(kind, 'submission') AS kind, ingested_at, ingested_by,
                   coalesce(read_as, '') AS read_as, rows_read, rows_accepted, rows_quarantined,
                   coalesce(file_problems, '') AS file_problems, coalesce(notes, '') AS notes
            FROM raw_files ORDER BY ingested_at, sha256""").df()
        reasons = con.execute("""
            SELECT column_name AS "column", reason, count(*) AS cells,
                   count(DISTINCT source_sha256 || ':' || coalesce(source_row, -1)) AS rows
            FROM problems GROUP BY ALL ORDER BY rows DESC, "column", reason""").df()
        conversions = con.execute("""
            SELECT column_name AS "column", rule, count(*) AS "values" FROM conversions
            GROUP BY ALL ORDER BY "values" DESC, "column", rule""").df()
        counts = ", ".join(f"count({m.name}) AS {m.name}" for m in METRICS)
        coverage = con.execute(f"""
            SELECT county, count(*) AS districts, {counts} FROM district_metrics WHERE school_year = ?
            GROUP BY county ORDER BY county""", [school_year]).df()
        resubmitted = con.execute("""
            SELECT school_year, count(*) AS districts, sum(n - 1) AS replaced FROM (
                SELECT school_year, pseudonym, count(*) AS n FROM submissions GROUP BY ALL HAVING count(*) > 1)
            GROUP BY school_year ORDER BY school_year""").df()
        public = con.execute("""
            SELECT funding_year, count(DISTINCT state) AS states, count(*) AS districts,
                   count(*) FILTER (WHERE exclude_from_analysis) AS flagged,
                   count(bandwidth_kbps_per_student) FILTER (WHERE NOT exclude_from_analysis) AS clean_with_bandwidth
            FROM public_bandwidth GROUP BY funding_year ORDER BY funding_year""").df()
        flags = con.execute(f"""
            SELECT coalesce(regexp_extract(r.{archived}, '[^/]+$'), left(r.sha256, 12)) AS file, f.source_row AS "row",
                   f.column_name AS "columns", f.reason
            FROM flags f JOIN raw_files r ON r.sha256 = f.source_sha256
            -- a flag of a row since confirmed or corrected (a later submission of its year replaced it) is done
            JOIN (SELECT source_sha256, source_row FROM submissions QUALIFY row_number() OVER (
                      PARTITION BY pseudonym, school_year ORDER BY received_seq DESC) = 1) c
              ON c.source_sha256 = f.source_sha256 AND c.source_row = f.source_row
            ORDER BY r.ingested_at, file, "row", "columns" """).df() if has_table(con, "flags") else None
        snapshot = data_snapshot(con)
        rules = rules_of(con)
    return QualityReport(school_year, files, reasons, conversions, coverage, resubmitted, public, snapshot, flags,
                         rules)


def _table(frame: pd.DataFrame, numeric: set[str], caption: str = "") -> str:
    e = html.escape
    head = "".join(f"<th scope='col'>{e(str(c))}</th>" for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for col, v in zip(frame.columns, row):
            text = "" if v is None or (isinstance(v, float) and v != v) else (
                f"{int(v):,}" if col in numeric else str(v))
            cells.append(f"<td class='num'>{e(text)}</td>" if col in numeric else f"<td>{e(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<p class='note'>{e(caption)}</p>" if caption else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{cap}"


def overview_html(q: QualityReport) -> str:
    subs = q.files[q.files["kind"] == "submission"]
    read, ok, bad = (int(subs[c].sum()) for c in ("rows_read", "rows_accepted", "rows_quarantined"))
    e = html.escape
    return (f"<header class='report-header'><p class='kicker'>District technology benchmarks · for the analyst</p>"
            f"<h1>Data quality {e(q.school_year)}</h1><p class='meta'>{len(subs)} submission files: {read:,} rows read "
            f"= {ok:,} accepted + {bad:,} quarantined. This page shows counts, reasons and column names only; the "
            "values of quarantined rows are in data/quarantine/ for the analyst.</p></header>")


def files_html(q: QualityReport) -> str:
    if q.files.empty:
        return "<section><h2>Files received</h2><p>No file has been ingested yet.</p></section>"
    f = q.files.copy()
    f["ingested_at"] = pd.to_datetime(f["ingested_at"]).dt.strftime("%Y-%m-%d %H:%M")
    f["read_as"] = [f"{r}; {n}" if n else r for r, n in zip(f["read_as"], f["notes"])]
    f["ingested_by"] = f["ingested_by"].where(f["ingested_by"].notna() & (f["ingested_by"] != ""), "not given")
    f = f[["file", "ingested_at", "ingested_by", "read_as", "rows_read", "rows_accepted", "rows_quarantined",
           "file_problems"]].rename(columns={
        "ingested_at": "received (UTC)", "ingested_by": "submitted by", "read_as": "how it was read", "rows_read": "rows read",
        "rows_accepted": "accepted", "rows_quarantined": "quarantined", "file_problems": "whole-file problems"})
    return ("<section><h2>Files received</h2>"
            + _table(f, {"rows read", "accepted", "quarantined"},
                     "Each file is kept unchanged in data/raw/<sha256>/ and named here by its hash (the name it was "
                     "sent under is in the manifest beside it); rows read = accepted + quarantined; submitted by: "
                     "the name given at ingest (benchmarks ingest --submitted-by NAME).")
            + "</section>")


def _table_section(title: str, frame: pd.DataFrame, numeric: set[str], note: str, when_empty: str) -> str:
    """A section with one table, or a sentence saying why there is none."""
    body = f"<p>{html.escape(when_empty)}</p>" if frame.empty else _table(frame, numeric, note)
    return f"<section><h2>{html.escape(title)}</h2>{body}</section>"


def reasons_html(q: QualityReport) -> str:
    return _table_section("Why rows were quarantined", q.reasons, {"cells", "rows"},
                          "A row can have several problems; the analyst's quarantine files list each one with the "
                          "value as sent.", "No problem was found in any file.")


def flags_html(q: QualityReport) -> str:
    """Accepted values to confirm with the district that sent them (unusual, not impossible)."""
    flags = q.flags if q.flags is not None else pd.DataFrame(columns=["file", "row", "columns", "reason"])
    return _table_section("Values to confirm", flags, {"row"},
                          "Accepted and used in the statistics; outside their metric's usual range (data dictionary: "
                          "usual_range), so ask the district to confirm or correct them and send the file again.",
                          "Every accepted value lies within its metric's usual range.")


def conversions_html(q: QualityReport) -> str:
    return _table_section("Values converted on reading", q.conversions, {"values"},
                          "Each conversion is recorded with the value as sent (warehouse table conversions).",
                          "Every accepted value was written in the registry's own unit.")


def coverage_html(q: QualityReport) -> str:
    if q.coverage.empty:
        return "<section><h2>Coverage</h2><p>No district has a current submission for this year.</p></section>"
    labels = {m.name: m.label for m in METRICS}
    totals = q.coverage.drop(columns="county").sum()
    by_metric = pd.DataFrame({"metric": [labels[m.name] for m in METRICS],
                              "districts with a value": [int(totals[m.name]) for m in METRICS],
                              "without": [int(totals["districts"] - totals[m.name]) for m in METRICS]})
    whole = by_metric.loc[by_metric["without"] == 0, "metric"].tolist()
    by_metric = by_metric[by_metric["without"] > 0]
    year = html.escape(q.school_year)
    complete = ("<p>Every district with a current submission has a value for every metric.</p>"
                if len(whole) == len(METRICS) else
                f"<p>Every district with a current submission has a value for {len(whole)} of {len(METRICS)} "
                f"metrics: {html.escape(', '.join(whole))}.</p>" if whole else "")
    metric_part = (_table(by_metric, {"districts with a value", "without"},
                          "A metric is missing where an optional input was left empty or its denominator is zero.")
                   if len(by_metric) else "")
    counties = county_gaps(q)
    county_part = ("<p>No county has a district missing a metric.</p>" if counties.empty else _table(
        counties, {"districts", "missing metric values"},
        f"Only the counties where some district lacks a metric; counties with fewer than {q.rules.min_peers} "
        "districts are pooled, as on the board's pages, so none can be singled out."))
    return (f"<section><h2>Coverage by metric, {year}</h2>{complete}{metric_part}"
            f"<h2>Coverage by county, {year}</h2>{county_part}</section>")


def county_gaps(q: QualityReport) -> pd.DataFrame:
    """The counties with a missing metric value, largest first, and the small counties (privacy.rules.pool_small)
    as one pooled row: districts, missing values and which metrics lack some."""
    labels = {m.name: m.label for m in METRICS}
    names = [m.name for m in METRICS]
    cov = q.coverage.set_index("county")
    named, small, _ = pool_small(cov["districts"].to_dict(), q.rules)
    shown = [c for c, _ in named]
    groups = [(c, cov.loc[[c]]) for c in shown]
    if small:
        rest = cov.drop(index=shown)
        groups.append((f"{small} count{'y' if small == 1 else 'ies'} with fewer than {q.rules.min_peers} districts",
                       rest))
    rows = []
    for label, part in groups:
        missing = part[names].rsub(part["districts"], axis=0).sum()
        if missing.sum() > 0:
            rows.append({"county": label, "districts": int(part["districts"].sum()),
                         "missing metric values": int(missing.sum()),
                         "metrics with gaps": ", ".join(labels[n] for n in names if missing[n] > 0)})
    return pd.DataFrame(rows, columns=["county", "districts", "missing metric values", "metrics with gaps"])


def history_html(q: QualityReport) -> str:
    return _table_section("Resubmissions", q.resubmitted, {"districts", "replaced"},
                          "The latest submission counts in the benchmarks; earlier ones stay in the history "
                          "(benchmarks history DISTRICT_ID).",
                          "No district sent a second submission for the same year.")


def public_html(q: QualityReport) -> str:
    return _table_section("Public bandwidth data", q.public, {"states", "districts", "flagged", "clean_with_bandwidth"},
                          "Rows the publisher flagged as unreliable are kept and left out of statistics.",
                          "None imported (benchmarks import-bandwidth FILE).")


def footer_html(q: QualityReport) -> str:
    """The provenance footer (benchmarks.reports.html.footer_html) with the report's school year."""
    return provenance_footer(q.snapshot, {"school_year": q.school_year})
