"""What a reader can read in a rendered file, as an Artifact: HTML pages, CSV and XLSX tables (other types and\nthe charts in them: audit.received, audit.charts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd


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
    #: table cells (tag, text) of a page whose text is outside every tagged figure: what a page shows in a
    #: table without declaring it (the index must declare every count it shows)
    cells: list[tuple[str, str]] = field(default_factory=list)
    #: the marks of each chart the file draws, read back from its coordinates (audit.charts.Mark)
    charts: list[list] = field(default_factory=list)

    @property
    def everything(self) -> str:
        return "\n".join(self.prose + self.attrs)


class _PageReader(HTMLParser):
    """Collects what a browser shows or keeps in the page: text, alt/title text, attribute values, every
    element tagged as a figure (data-stat) with its text, and the untagged text of each table cell."""

    PROSE_ATTRS = {"alt", "title", "aria-label", "placeholder", "value"}
    CELLS = ("td", "th")

    def __init__(self, artifact: Artifact):
        super().__init__(convert_charrefs=True)
        self.a = artifact
        self._skip = 0
        self._skip_tag = ""
        self._svg = 0  # depth inside an inline <svg>
        self._open: list[tuple[str, dict]] = []
        self._cell: tuple[str, list[str]] | None = None  # the table cell being read, if not itself tagged

    def _end_cell(self) -> None:
        if self._cell is not None:
            self.a.cells.append((self._cell[0], "".join(self._cell[1])))
            self._cell = None

    def handle_starttag(self, tag, attrs):
        if tag == "svg" or self._svg:
            self._svg += tag == "svg"
            return  # an inline chart: its text and coordinates are read by audit.charts
        d = {k: (v or "") for k, v in attrs}
        if tag in ("style", "script"):
            self._skip += 1
            self._skip_tag = tag  # style sheets are the template's, scripts could carry anything
        if tag in self.CELLS or tag in ("tr", "table"):
            self._end_cell()  # a cell ends where the next one (or row) starts, closed or not
            if tag in self.CELLS and "data-stat" not in d and not self._open:
                self._cell = (tag, [])
        for k, v in d.items():
            if k == "src" and v.startswith("data:"):
                continue  # embedded image bytes; their alt text is read instead
            (self.a.prose if k in self.PROSE_ATTRS else self.a.attrs).append(v)
        if "data-stat" in d:
            self._open.append((tag, {k[5:]: v for k, v in d.items() if k.startswith("data-")} | {"text": ""}))

    def handle_endtag(self, tag):
        if self._svg:
            self._svg -= tag == "svg"
            return
        if tag in ("style", "script"):
            self._skip = max(0, self._skip - 1)
        if tag in self.CELLS or tag in ("tr", "table"):
            self._end_cell()
        if self._open and self._open[-1][0] == tag:
            self.a.figures.append(self._open.pop()[1])

    def handle_data(self, data):
        if self._svg:
            return
        if self._skip:
            if self._skip_tag == "script":
                self.a.attrs.append(data)  # not shown, but in the file: scanned
            return
        self.a.prose.append(data)
        for _, fig in self._open:
            fig["text"] += data
        if self._cell is not None and not self._open:
            self._cell[1].append(data)


def read_html(name: str, text: str, owner: str | None = None, kind: str = "report") -> Artifact:
    a = Artifact(name, owner=owner, kind=kind)
    reader = _PageReader(a)
    reader.feed(text)
    reader._end_cell()
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
