"""What the figures mean: every metric defined from the registry (what it counts, unit, period, source), linked
from where its figure is shown, and the glossary's words."""

from __future__ import annotations

import re

from benchmarks.registry.metrics import FIELDS, METRICS
from benchmarks.reports.board import load_board_summary, state_table_html
from benchmarks.reports.definitions import GLOSSARY, definitions_html, metric_definition


def test_every_metric_says_what_it_counts_its_unit_period_and_source():
    page = definitions_html()
    fields = {f.name: f for f in FIELDS}
    for m in METRICS:
        d = metric_definition(m.name)
        entry = re.search(rf"<dt id='def-{m.name}'>(.*?)</dd>", page, re.S).group(1)
        assert m.label in entry and f"({m.unit})" in entry.replace("&#x27;", "'")
        assert m.meaning and m.meaning in d["meaning"]
        for f in m.inputs:  # what it is worked out from, in the data dictionary's words
            assert fields[f].description.replace("'", "&#x27;") in entry
        assert "Submitted by each district" in entry
    assert "before the E-rate discount" in metric_definition("cost_per_mbps_usd")["meaning"]
    assert "Connect K-12" in metric_definition("cost_per_mbps_usd")["source"]
    assert "Connect K-12" not in metric_definition("devices_per_student")["source"]
    assert "whole year" in metric_definition("tickets_per_100_devices")["meaning"]
    assert "shorter cycle means newer" in metric_definition("refresh_cycle_years")["meaning"]
    assert "FCC E-rate Modernization Order, 2014" in metric_definition("bandwidth_kbps_per_student")["goals"]
    for term, _ in GLOSSARY:
        assert f"<dt>{term}</dt>" in page
    assert {t for t, _ in GLOSSARY} == {"Peer group", "Size band", "Locale", "Median", "Middle half"}


def test_the_board_links_each_metric_to_its_definition(demo_project):
    table = state_table_html(load_board_summary(demo_project.warehouse, "2025-26", "PS"))
    links = re.findall(r"<a class='def-link' href='#def-(\w+)'>", table)
    assert links == [m.name for m in METRICS]
    assert all(f"id='def-{name}'" in definitions_html() for name in links)
