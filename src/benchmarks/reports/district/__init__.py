"""The district report, as its notebook calls it: `from benchmarks.reports import district`."""

from benchmarks.reports.definitions import definitions_html
from benchmarks.reports.district.data import DistrictReport, iter_district_reports, load_district_report, peer_groups
from benchmarks.reports.district.scorecard import comparison_html, detail_sentence, scorecard, scorecard_html
from benchmarks.reports.district.sections import (area_section_html, areas_html, footer_html, header_html,
                                                  methods_html, peer_groups_html, purchasing_html)
from benchmarks.reports.district.trends import trend_lines, trend_table_html

__all__ = ["DistrictReport", "load_district_report", "iter_district_reports",
           "peer_groups", "scorecard", "detail_sentence", "scorecard_html", "comparison_html",
           "header_html", "areas_html", "area_section_html", "purchasing_html", "trend_lines", "trend_table_html",
           "peer_groups_html", "methods_html", "footer_html", "definitions_html"]
