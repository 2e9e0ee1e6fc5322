"""Keyed pseudonyms for districts: HMAC-SHA256 under a secret that never enters the repository or any output."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

KEY_ENV = "BENCHMARKS_KEY"
#: The demo's key: the demo districts are fictional, so their pseudonyms need no secret. Never use it for real data.
DEMO_KEY = b"district-benchmarks-demo-key (fictional data only)"
PSEUDONYM_LENGTH = 16
#: Keys shorter than this are refused: a short secret could be guessed by trying keys against the public ID list.
MIN_KEY_LENGTH = 16


class KeyProblem(Exception):
    """The pseudonym key is missing, unsafe or not the one the warehouse was built with."""


def load_key(key_file: Path, create: bool = True, project: Path | None = None) -> bytes:
    """The secret from $BENCHMARKS_KEY, else from key_file, created (owner-only) on first use unless `create` is
    False (a command that only reads: a new key could match nothing on record).

    A key file that group or others may read is refused, as ssh refuses a readable private key; a new one is
    never created inside the project folder `project` (it would travel with the data it protects).
    """
    env = os.environ.get(KEY_ENV)
    if env:
        return _checked(env.encode(), f"${KEY_ENV}")
    key_file = Path(key_file)
    if key_file.exists():
        mode = stat.S_IMODE(key_file.stat().st_mode)
        if mode & 0o077:
            raise KeyProblem(f"{key_file}: the pseudonym key file is readable by others (mode {mode:o}); "
                            f"run `chmod 600 {key_file}`")
        return _checked(key_file.read_bytes().strip(), str(key_file))
    if not create:
        raise KeyProblem(f"no pseudonym key: ${KEY_ENV} is not set and there is no key file {key_file}; set "
                         f"${KEY_ENV} or $BENCHMARKS_KEY_FILE to the key the warehouse was built with")
    if project is not None and key_file.resolve().is_relative_to(Path(project).resolve()):
        raise KeyProblem(f"{key_file}: a new pseudonym key would be written inside the project folder "
                         f"{Path(project).resolve()}; set $BENCHMARKS_KEY_FILE (or $XDG_CONFIG_HOME) to a place "
                         "outside it")
    key_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode()
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key + b"\n")
    return key


def _checked(key: bytes, where: str) -> bytes:
    if len(key) < MIN_KEY_LENGTH:
        raise KeyProblem(f"{where}: the pseudonym key must be at least {MIN_KEY_LENGTH} characters "
                        f"(got {len(key)}); a new key file is created when none exists")
    return key


def pseudonym(key: bytes, district_id: str) -> str:
    """A stable pseudonym for a district; without the key it cannot be matched to the public list of IDs."""
    digest = hmac.new(key, str(district_id).strip().encode(), hashlib.sha256).hexdigest()
    return "D" + digest[: PSEUDONYM_LENGTH - 1]


def key_fingerprint(key: bytes) -> str:
    """Names a key without revealing it (an HMAC of a fixed label), to catch ingesting under a different key."""
    return hmac.new(key, b"district-benchmarks key fingerprint", hashlib.sha256).hexdigest()[:16]


def is_demo_key(fingerprint: str) -> bool:
    return fingerprint == key_fingerprint(DEMO_KEY)
