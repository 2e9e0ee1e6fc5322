"""Everything an intake leaves under data/ is the analyst's alone: folders 0700, files 0600 (archived copies 0400)."""

import os
import stat

import pytest
from click.testing import CliRunner
from conftest import csv_text, public_csv, row

from benchmarks.cli import main

ENV = {"BENCHMARKS_KEY": "archive-test-key-0123456789"}


def modes_under(folder) -> tuple[dict, dict]:
    """Every folder's and every file's permission bits below folder (and folder itself)."""
    folders, files = {str(folder): stat.S_IMODE(os.stat(folder).st_mode)}, {}
    for base, dirs, names in os.walk(folder):
        for d in dirs:
            folders[os.path.join(base, d)] = stat.S_IMODE(os.stat(os.path.join(base, d)).st_mode)
        for n in names:
            files[os.path.join(base, n)] = stat.S_IMODE(os.stat(os.path.join(base, n)).st_mode)
    return folders, files


def assert_owner_only(data) -> None:
    folders, files = modes_under(data)
    assert {f: m for f, m in folders.items() if m != 0o700} == {}
    # archived copies and their manifests are kept read-only on purpose: 0400, like the rest owner-only
    archive = str(data / "raw") + os.sep
    wrong = {f: oct(m) for f, m in files.items() if m != (0o400 if f.startswith(archive) else 0o600)}
    assert wrong == {}


@pytest.fixture
def permissive_umask():
    """The umask many systems default to (0o022: everything world-readable), for the test's duration."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_after_an_ingest_every_file_under_data_is_owner_only(project, tmp_path, permissive_umask):
    good = tmp_path / "Alpha SD 1 2025.csv"
    good.write_text(csv_text([row(n=i) for i in range(1, 8)] + [row(n=9, district_name="Beta SD", enrollment="x")]))
    esh = public_csv(tmp_path, [[1, "1700001", "X SD", "Rural", "10", "K", "IL", "FALSE", "5", "1", "1", ""],
                                [2, "17x", "Y SD", "Rural", "10", "K", "IL", "TRUE", "NA", "NA", "NA", ""]])
    runner = CliRunner(env=ENV)
    result = runner.invoke(main, ["--root", str(project.root), "ingest", str(good)])
    assert result.exit_code == 1, result.output  # one row quarantined
    result = runner.invoke(main, ["--root", str(project.root), "import-bandwidth", str(esh)])
    assert result.exit_code == 0, result.output
    # what the intake wrote is all there: warehouse, crosswalk, archive with manifests, both quarantine files
    assert project.warehouse.exists() and project.crosswalk.exists()
    assert len(list(project.raw.glob("*/manifest.json"))) == 2 and len(list(project.quarantine.glob("*.csv"))) == 2
    assert_owner_only(project.data)


@pytest.mark.slow
def test_the_demo_leaves_data_owner_only(project, permissive_umask, monkeypatch):
    """benchmarks demo ingests the demo state and renders: the render's records under data/private/ too."""
    from benchmarks.pipeline import run as run_module
    from benchmarks.render.batch import render_batch

    # one report (the data-quality page) stands for the batch, whose records are tested in tests/render/
    monkeypatch.setattr(run_module, "render_batch", lambda paths, **kw: render_batch(
        paths, kinds=["quality"], workers=1, progress=False, echo=lambda _: None))
    monkeypatch.setattr(run_module, "export_tables", lambda *a, **k: [])
    monkeypatch.setattr(run_module, "audit_files", lambda *a, **k: [])
    monkeypatch.setattr(run_module, "summary", lambda *a, **k: "skipped")
    result = CliRunner().invoke(main, ["--root", str(project.root), "demo"])
    assert result.exit_code == 0, result.output
    assert project.warehouse.exists() and list((project.private / "executed").rglob("*.ipynb"))
    assert list(project.private.glob("render_manifest_*.json")) and list(project.private.glob("delivery_*.csv"))
    assert_owner_only(project.data)
