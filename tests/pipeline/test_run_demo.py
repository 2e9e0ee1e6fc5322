"""The demo on a project folder that lacks the repository's demo files."""

from pathlib import Path

import pytest

from benchmarks.config import Paths

REPO_DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"


class _Stop(Exception):
    pass


def test_an_empty_folder_gets_the_shipped_demo_files_before_the_ingest(tmp_path, monkeypatch):
    """`benchmarks --root EMPTY demo` used to end in a traceback ("no demo submissions"): the demo files are
    generated, byte for byte the ones the repository ships, and the ingest is given them."""
    import benchmarks.pipeline.run as run

    given = []

    def ingest(files, *a, **k):
        given.extend(files)
        raise _Stop

    monkeypatch.setattr(run, "ingest_files", ingest)
    paths = Paths(tmp_path / "empty")
    lines = []
    with pytest.raises(_Stop):
        run.run_demo(paths, echo=lines.append)
    shipped = sorted(REPO_DEMO.glob("submissions_*.csv"))
    assert shipped and [f.name for f in given] == [f.name for f in shipped]
    assert all(f.read_bytes() == s.read_bytes() for f, s in zip(given, shipped))
    assert lines[0].startswith("No demo submissions in ")
