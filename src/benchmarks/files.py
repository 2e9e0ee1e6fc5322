"""Writing files safely: atomic replacement, and owner-only folders for what identifies districts."""

from __future__ import annotations

import functools
import os
import stat
import tempfile
from pathlib import Path


@functools.cache
def _umask() -> int:
    """The process's umask, read once on first use (reading it means setting it, so not at import)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path, data: bytes, private: bool = False) -> None:
    """Write a file so that readers see either the old content or the whole new one.

    private: keep it owner-only (files that name districts, such as the analyst's delivery list).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        # mkstemp makes owner-only files; outputs are meant to be shared unless private
        os.chmod(tmp, 0o600 if private else 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def private_folder(folder: Path) -> Path:
    """An owner-only folder (created if missing, with any missing parents, each owner-only too): the crosswalk,
    the delivery lists and the executed notebooks live in one."""
    folder = Path(folder)
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for new in reversed(missing):
        new.mkdir(mode=0o700, exist_ok=True)
        os.chmod(new, 0o700)  # mkdir's mode is masked by the umask
    folder = missing[0] if missing else folder
    os.chmod(folder, 0o700)
    return folder


def lock_down(*files: Path) -> None:
    """Make existing files owner-only."""
    for p in files:
        if Path(p).exists():
            os.chmod(p, 0o600)


def owner_only_tree(folder: Path) -> None:
    """Everything below folder (and folder itself) owner-only: folders 0700, files 0600, and files kept
    read-only on purpose (the raw archive) 0400. Nothing under data/ is for anyone but the analyst."""
    folder = Path(folder)
    if not folder.is_dir():
        return
    private_folder(folder)
    for base, dirs, files in os.walk(folder):
        for d in dirs:
            path = os.path.join(base, d)
            if not os.path.islink(path):
                os.chmod(path, 0o700)
        for f in files:
            path = os.path.join(base, f)
            if os.path.islink(path):
                continue
            mode = os.stat(path).st_mode
            os.chmod(path, 0o600 if mode & stat.S_IWUSR else 0o400)
