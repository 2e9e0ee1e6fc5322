"""The board summary, as its notebook calls it: `from benchmarks.reports import board`."""

from benchmarks.reports.board.data import (BREAKDOWNS, LITTLE_CHANGE, BoardSummary, breakdown_figures, goal_changes,
                                           goal_shares, judged_changes, load_board_summary, participation_by_band, participation_by_county,
                                           participation_years, state_changes, state_figures, state_quartiles)
from benchmarks.reports.definitions import definitions_html
from benchmarks.reports.board.findings import (breakdown_html, findings_html, key_findings, locale_html,
                                               size_band_html)
from benchmarks.reports.board.sections import (changes_html, changes_title, footer_html, goals_html, overview_html,
                                               participation_html, participation_title, state_table_html,
                                               state_trend_html)

__all__ = ["BoardSummary", "load_board_summary", "state_quartiles", "state_figures", "goal_shares", "state_changes",
           "goal_changes", "judged_changes", "participation_years", "participation_by_band",
           "participation_by_county", "LITTLE_CHANGE", "overview_html", "state_table_html", "changes_title",
           "changes_html", "goals_html", "state_trend_html", "participation_title", "participation_html",
           "footer_html", "key_findings", "findings_html", "definitions_html", "size_band_html",
           "locale_html", "breakdown_html", "breakdown_figures", "BREAKDOWNS"]
