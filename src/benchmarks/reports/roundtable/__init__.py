"""The county round-table page, as its notebook calls it: `from benchmarks.reports import roundtable`."""

from benchmarks.reports.roundtable.data import (
                                                PURCHASES,
                                                Purchase,
                                                RoundTable,
                                                TooFewMembers,
                                                county_figures,
                                                load_roundtable,
                                                purchase,
                                                standing,
                                                state_figures,
                                                too_few_sentence,
                                                topics,
)
from benchmarks.reports.roundtable.sections import (
                                                detail_html,
                                                footer_html,
                                                header_html,
                                                purchasing_html,
                                                standing_sentence,
                                                topics_html,
)

__all__ = [
                                                "PURCHASES",
                                                "Purchase",
                                                "RoundTable",
                                                "TooFewMembers",
                                                "county_figures",
                                                "detail_html",
                                                "footer_html",
                                                "header_html",
                                                "load_roundtable",
                                                "purchase",
                                                "purchasing_html",
                                                "standing",
                                                "standing_sentence",
                                                "state_figures",
                                                "too_few_sentence",
                                                "topics",
                                                "topics_html",
]
