"""Atomic writes and owner-only folders."""

import os
import stat

import pytest

from benchmarks.files import private_folder, write_atomic


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


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
