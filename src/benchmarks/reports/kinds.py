"""The report-kind registry: which notebook renders each kind of report, its title, scope and index section."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReportKind:
    """A kind of report: which notebook renders it, its title, its scope and where the index lists it.

    scope names an entry of benchmarks.render.batch.SCOPES: "year" renders one report per school year (file
    `<stem or name>_<year>.html`), "district" one per district (`<stem or name>_<pseudonym>.html`), "county"
    one per county with enough reporting districts for its members to meet over (`<stem or name>_<county>.html`),
    "on_request" none in a batch (rendered by its own command). section: the index heading of a
    year-wide report (INDEX_SECTIONS gives their order).
    """

    name: str
    notebook: str
    title: str
    scope: str = "year"
    stem: str = ""
    section: str = "For the board"

    @property
    def file_name(self) -> str:
        """The name its files start with (benchmarks.config builds the rest)."""
        return self.stem or self.name


#: The index's heading of the county round-table pages.
ROUNDTABLE_SECTION = "For the county round-tables"
REPORT_KINDS = {
    "board": ReportKind("board", "board_summary.ipynb", "Board summary", stem="board_summary"),
    "district": ReportKind("district", "district_report.ipynb", "District report", scope="district"),
    # rendered on request with a plan (benchmarks initiative), not in the batch
    "initiative": ReportKind("initiative", "initiative_check.ipynb", "Initiative check", scope="on_request"),
    "roundtable": ReportKind("roundtable", "roundtable.ipynb", "Round-table", scope="county",
                             section=ROUNDTABLE_SECTION),
    "quality": ReportKind("quality", "data_quality.ipynb", "Data quality", stem="data_quality",
                          section="For the analyst"),
}
#: The index's sections in order; district reports are counted by county under DISTRICT_SECTION.
DISTRICT_SECTION = "District reports"
# The board summary and the data-quality report come first; the district reports are only counted.
INDEX_SECTIONS = ("For the board", "For the analyst", ROUNDTABLE_SECTION, DISTRICT_SECTION)
