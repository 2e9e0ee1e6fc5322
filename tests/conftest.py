"""Shared fixtures: a project folder in tmp with the demo submissions ingested once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from benchmarks.config import Paths, paths
from benchmarks.ingest import ingest_files
from benchmarks.privacy import DEMO_KEY

REPO = paths()
REAL_DATA = REPO.root.parent / "shared" / "data" / "real"


def make_project(root: Path) -> Paths:
    """A project folder with the repository's notebooks and demo data, and nothing generated yet."""
    (root / "data").mkdir(parents=True)
    shutil.copytree(REPO.notebooks, root / "notebooks")
    shutil.copytree(REPO.demo, root / "data" / "demo")
    shutil.copytree(REPO.template, root / "data" / "template")
    (root / "pyproject.toml").write_text("")
    return Paths(root)


@pytest.fixture(scope="session")
def demo_project(tmp_path_factory) -> Paths:
    """The whole demo state ingested with the demo key (shared, read-only for tests)."""
    p = make_project(tmp_path_factory.mktemp("demo"))
    ingest_files(sorted(p.demo.glob("submissions_*.csv")), p, DEMO_KEY)
    return p


@pytest.fixture
def project(tmp_path) -> Paths:
    return make_project(tmp_path / "project")


@pytest.fixture(scope="session")
def county_pages(demo_project):
    """The board summary, the demo county's nine district reports and the index, rendered once."""
    from benchmarks.render import render_reports

    return render_reports(demo_project, "2025-26", county="Kestrel County", progress=False)
