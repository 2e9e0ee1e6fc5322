"""Exports: a district's own peer comparison and the board's state table as CSV and XLSX, through disclosure.

Every number is what the HTML pages show (benchmarks.privacy.disclosure): the same statistics, the same rounding
(in display units: shares as percentages), the same bands and suppressions. CSV cells hold the rounded
figure as text; XLSX cells hold the rounded number with a matching number format.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks import config
from benchmarks.config import Paths
from benchmarks.files import write_atomic
from benchmarks.formats import band_decimals, decimals, display_value, scale
from benchmarks.privacy import crosswalk
from benchmarks.privacy.disclosure import BAND, CENTRE, NONE, QUARTILES, group_figures
from benchmarks.privacy.rules import Rules
from benchmarks.registry.groups import PEER_GROUPS, STORED_GROUPS
from benchmarks.registry.metrics import METRIC_BY_NAME, METRICS
from benchmarks.reports.board.data import load_board_summary, state_figures, state_quartiles
from benchmarks.reports.district.data import iter_district_reports
from benchmarks.reports.district.scorecard import scorecard
from benchmarks.reports.kinds import REPORT_KINDS
from benchmarks.warehouse.queries import NotOnRecord, counties_named, resolve_year
from benchmarks.warehouse.store import connect

SHOWN_WORDS = {QUARTILES: "quartiles", CENTRE: "median only (small group)", BAND: "range instead of a figure",
               NONE: "not shown: too few others"}
#: Which columns hold figures, and at what precision: "figure" = the metric's, "band" = one decimal coarser.
FIGURE_COLUMNS = {"p25": "figure", "median": "figure", "p75": "figure", "range_low": "band", "range_high": "band",
                  "your_value": "figure"}
NOTES = (
    "Figures follow the same disclosure rules as the HTML reports (docs/privacy.md): statistics are over other "
    "districts only; a group is shown only when at least {min_peers} other districts reported; groups of fewer "
    "than {quartile} show only a smoothed median; a range stands in for a figure when a group's districts are "
    "too alike; no minimum, maximum or single district's figure is ever shown. Shares are in percent.")


@dataclass
class Table:
    """A tidy table plus the metric of each row, so numbers get the right precision in every format."""

    frame: pd.DataFrame
    title: str
    rules: Rules


def _figure_row(fig, m) -> dict:
    shown = fig.status
    row = {"shown": SHOWN_WORDS[shown], "p25": np.nan, "median": np.nan, "p75": np.nan,
           "range_low": np.nan, "range_high": np.nan}
    if shown == QUARTILES:
        row.update(p25=display_value(m, fig.p25), p75=display_value(m, fig.p75))
    if shown in (QUARTILES, CENTRE):
        row["median"] = display_value(m, fig.median)
    if shown == BAND:
        # rounded to the bands' own precision, so an XLSX cell holds exactly what it shows (0.7, not 0.70…01)
        row.update(range_low=round(fig.low * scale(m), band_decimals(m)) + 0.0,
                   range_high=round(fig.high * scale(m), band_decimals(m)) + 0.0)
    return row


def district_table(report) -> Table:
    """A district's own peer comparison: one row per metric and peer group (from a DistrictReport)."""
    card = scorecard(report).set_index("metric")
    place = pd.Series({"state": report.state, "county": report.county, "locale": report.locale,
                       "size_band": report.size_band})
    stats = {(r["metric"], r["group_kind"]): r for r in report.stats.to_dict("records")}
    rows = []
    for m in METRICS:
        for kind in STORED_GROUPS:
            g = stats.get((m.name, kind), {})
            fig = group_figures(g, report.rules, m.name)
            reference = card.at[m.name, "reference"] == kind
            rows.append({"school_year": report.school_year, "metric": m.name, "label": m.label,
                         "unit": m.unit, "group": kind, "group_description": PEER_GROUPS[kind].describe(place),
                         "other_districts_reporting": int(g.get("n", 0)),
                         **_figure_row(fig, m), "your_value": display_value(m, card.at[m.name, "value"]),
                         "compared_with": "yes" if reference else "",
                         "where_you_stand": card.at[m.name, "sentence"] if reference else ""})
    return Table(pd.DataFrame(rows), f"{report.name}: peer comparison {report.school_year}", report.rules)


def board_table(summary) -> Table:
    """The board's state table: every metric and school year, for the whole state (from a BoardSummary)."""
    q = state_quartiles(summary)
    rows = []
    for r in q.itertuples(index=False):  # already in school-year, then registry order
        m = METRIC_BY_NAME[r.metric]
        fig = state_figures(pd.Series(r._asdict()), summary, m.name)
        rows.append({"school_year": r.school_year, "state": summary.state, "metric": m.name, "label": m.label,
                     "unit": m.unit, "districts_reporting": int(r.n), **_figure_row(fig, m)})
    return Table(pd.DataFrame(rows), f"Board summary {summary.state}: state table {summary.school_year}",
                 summary.rules)


def _precision(table: Table, column: str, metric: str) -> int:
    m = METRIC_BY_NAME[metric]
    return band_decimals(m) if FIGURE_COLUMNS[column] == "band" else decimals(m)


def csv_bytes(table: Table) -> bytes:
    """The table as CSV: figures written with exactly the decimals the pages show."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    cols = list(table.frame.columns)
    writer.writerow(cols)
    for rec in table.frame.to_dict("records"):
        writer.writerow([_cell_text(table, c, rec) for c in cols])
    return buf.getvalue().encode("utf-8")


def _cell_text(table: Table, column: str, rec: dict) -> str:
    v = rec[column]
    if column in FIGURE_COLUMNS:
        return "" if v is None or not np.isfinite(v) else f"{v:.{_precision(table, column, rec['metric'])}f}"
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)


def xlsx_bytes(table: Table) -> bytes:
    """The table as an XLSX workbook: numbers as numbers, shown at the pages' precision; a Notes sheet."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Table"
    cols = list(table.frame.columns)
    ws.append(cols)
    for rec in table.frame.to_dict("records"):
        values = []
        for c in cols:
            v = rec[c]
            if c in FIGURE_COLUMNS:
                values.append(None if v is None or not np.isfinite(v) else float(v))
            elif isinstance(v, (np.integer, int)):
                values.append(int(v))
            else:
                values.append(None if isinstance(v, float) and np.isnan(v) else v)
        ws.append(values)
        for c in FIGURE_COLUMNS:
            if c in cols:
                d = _precision(table, c, rec["metric"])
                ws.cell(row=ws.max_row, column=cols.index(c) + 1).number_format = "0" + ("." + "0" * d if d else "")
    notes = wb.create_sheet("Notes")
    notes.append([table.title])
    notes.append([NOTES.format(min_peers=table.rules.min_peers, quartile=table.rules.quartile_min_peers)])
    wb.properties.creator = "district-benchmarks"
    wb.properties.title = table.title
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_table(table: Table, stem: Path) -> list[Path]:
    """stem.csv and stem.xlsx, each written atomically."""
    out = []
    for suffix, data in ((".csv", csv_bytes(table)), (".xlsx", xlsx_bytes(table))):
        path = stem.with_suffix(suffix)
        write_atomic(path, data)
        out.append(path)
    return out


def board_stem(out_dir: Path, year: str) -> Path:
    """Where the board's state table goes (without suffix): beside the board summary's page."""
    return Path(out_dir) / config.year_stem(REPORT_KINDS["board"].file_name, year)


def district_stem(out_dir: Path, pseudonym: str) -> Path:
    """Where a district's own table goes (without suffix): beside its report's page."""
    return Path(out_dir) / config.district_stem(REPORT_KINDS["district"].file_name, pseudonym)


def export_tables(paths: Paths, school_year: str | None = None, county: str | None = None,
                  district: str | None = None, board: bool = True, progress: bool = True) -> list[Path]:
    """Write the board's state table and the districts' own peer comparisons (one district, one county or
    all) as CSV and XLSX into reports/<year>/, next to the pages they go with. The district is given by its
    ID, pseudonym or name, the county as a person writes it (benchmarks.warehouse.queries.counties_named);
    nothing is written when either names nothing on record."""
    from tqdm.auto import tqdm

    year = resolve_year(paths.warehouse, school_year)
    pseudonym = crosswalk.find(paths.crosswalk, district)[0] if district else None
    with connect(paths.warehouse, read_only=True) as con:
        counties = counties_named(con, year, county) if county else None
        chosen = con.execute(
            "SELECT pseudonym FROM district_metrics WHERE school_year = ? AND (? IS NULL OR list_contains(?, county)) "
            "AND (? IS NULL OR pseudonym = ?) ORDER BY pseudonym", [year, counties, counties, pseudonym, pseudonym]
        ).df()["pseudonym"].tolist()
    if district and not chosen:
        raise NotOnRecord(f"no submission for {year} from district {district!r}"
                          + (f" in county {county!r}" if county else ""))
    out_dir = paths.reports / year
    written: list[Path] = []
    if board:
        written += write_table(board_table(load_board_summary(paths.warehouse, year)), board_stem(out_dir, year))
    for report in tqdm(iter_district_reports(paths.warehouse, year, chosen), total=len(chosen),
                       desc="district tables", unit="district", disable=not progress):
        written += write_table(district_table(report), district_stem(out_dir, report.pseudonym))
    return written


__all__ = ["district_table", "board_table", "csv_bytes", "xlsx_bytes", "write_table", "board_stem", "district_stem",
           "export_tables"]
