"""Keyed pseudonyms for districts: HMAC-SHA256 under a secret that never enters the repository or any output."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

KEY_ENV = "BENCHMARKS_KEY"
#: The demo's key: the demo districts are fictional, so their pseudonyms need no secret. Never use it for real data.
DEMO_KEY = b"district-benchmarks-demo-key (fictional data only)"
PSEUDONYM_LENGTH = 16


def load_key(key_file: Path) -> bytes:
    """The secret from $BENCHMARKS_KEY, else from key_file, created (owner-only) on first use."""
    env = os.environ.get(KEY_ENV)
    if env:
        return env.encode()
    if key_file.exists():
        return key_file.read_bytes().strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode()
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key + b"\n")
    return key


def pseudonym(key: bytes, district_id: str) -> str:
    """A stable pseudonym for a district; without the key it cannot be matched to the public list of IDs."""
    digest = hmac.new(key, str(district_id).strip().encode(), hashlib.sha256).hexdigest()
    return "D" + digest[: PSEUDONYM_LENGTH - 1]
