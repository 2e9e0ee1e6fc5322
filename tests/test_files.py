"""Atomic writes and owner-only folders."""

import os
import stat

import pytest

from benchmarks.files import owner_only_tree, private_folder, write_atomic


def test_write_atomic_replaces_whole_and_leaves_no_temp_file(tmp_path):
    target = tmp_path / "a" / "page.html"
    write_atomic(target, b"old")
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in target.parent.iterdir()] == ["page.html"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~_umask()


def test_write_atomic_private_and_failure(tmp_path, monkeypatch):
    secret = tmp_path / "delivery.csv"
    write_atomic(secret, b"x", private=True)
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        write_atomic(secret, b"y")
    assert secret.read_bytes() == b"x" and [p.name for p in tmp_path.iterdir()] == ["delivery.csv"]


def test_private_folder_is_owner_only(tmp_path):
    folder = private_folder(tmp_path / "private")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_private_folder_makes_its_missing_parents_owner_only_too(tmp_path):
    old = os.umask(0o022)
    try:
        folder = private_folder(tmp_path / "private" / "executed" / "2025-26")
    finally:
        os.umask(old)
    assert folder == tmp_path / "private" / "executed" / "2025-26"
    for f in (folder, folder.parent, folder.parent.parent):
        assert stat.S_IMODE(f.stat().st_mode) == 0o700, f


def test_owner_only_tree_locks_everything_below_and_keeps_read_only_files_read_only(tmp_path):
    data = tmp_path / "data"
    (data / "raw" / "abc").mkdir(parents=True)
    (data / "processed").mkdir()
    (data / "processed" / "warehouse.duckdb").write_bytes(b"x")
    kept = data / "raw" / "abc" / "abc.csv"
    kept.write_bytes(b"y")
    for path, mode in ((data, 0o755), (data / "raw", 0o777), (data / "processed" / "warehouse.duckdb", 0o644),
                       (kept, 0o444)):
        os.chmod(path, mode)
    owner_only_tree(data)
    assert {str(p.relative_to(tmp_path)): oct(stat.S_IMODE(p.stat().st_mode)) for p in [data, *data.rglob("*")]} == {
        "data": "0o700", "data/raw": "0o700", "data/raw/abc": "0o700", "data/processed": "0o700",
        "data/processed/warehouse.duckdb": "0o600", "data/raw/abc/abc.csv": "0o400"}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
