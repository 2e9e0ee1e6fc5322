"""index.html pools counties with the warehouse's own min_peers, as the board summary does."""

from __future__ import annotations

import re

import pytest
from conftest import make_project

from benchmarks.pipeline.ingest import ingest_files
from benchmarks.privacy.audit import audit_files
from benchmarks.privacy.keys import DEMO_KEY
from benchmarks.render.batch import render_batch
from benchmarks.render.delivery import select_districts


@pytest.mark.slow
def test_render_with_min_peers_8_names_no_county_under_8_reports(tmp_path):
    project = make_project(tmp_path / "strict")
    ingest_files(sorted(project.demo.glob("submissions_*.csv")), project, DEMO_KEY, min_peers=8)
    everyone = select_districts(project, "2025-26", None)
    sizes = everyone.groupby("county").size()
    mid = sizes[(sizes >= 5) & (sizes < 8)].index[0]  # named under the default rules, pooled under these
    chosen = everyone[everyone["county"].isin([mid, "Kestrel County"])]["pseudonym"].tolist()
    result = render_batch(project, "2025-26", districts=chosen, kinds=["district"], workers=2, progress=False,
                          echo=lambda _: None)
    assert result.ok
    page = result.index.read_text(encoding="utf-8")
    named = dict(re.findall(r"data-county='([^']+)'>(\d+)<", page))
    assert named == {"Kestrel County": "9"}
    assert mid not in page and "1 county with fewer than 8 reports" in page
    # the audit reads the index with the same rules and finds nothing
    findings = [f for f in audit_files(project, "2025-26") if f.artifact == "index.html"]
    assert not findings
