"""Batch progress: a tqdm bar in a terminal, plain periodic lines in a log file (no carriage-return redraws)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class PlainProgress:
    """One line every `interval` seconds (and at the end): done / total, rate and time left."""

    def __init__(self, total: int, desc: str, stream: TextIO, interval: float = 10.0):
        self.total, self.desc, self.stream, self.interval = total, desc, stream, interval
        self.done = 0
        self.start = self.last = time.monotonic()

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.start, 1e-9)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if rate > 0 else float("nan")
        pct = 100.0 * self.done / self.total if self.total else 100.0
        eta = _duration(left) if left == left else "?"
        return (f"{self.desc}: {self.done}/{self.total} ({pct:.0f}%) · {rate:.2f} reports/s · "
                f"elapsed {_duration(elapsed)} · about {eta} left")

    def update(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if now - self.last >= self.interval or self.done >= self.total:
            self.last = now
            print(self.line(), file=self.stream, flush=True)

    def close(self) -> None:
        if self.done < self.total:
            print(self.line(), file=self.stream, flush=True)


class _Silent:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def progress(total: int, desc: str, enabled: bool = True, stream: TextIO | None = None, interval: float = 10.0):
    """A progress display with update(n) and close(): tqdm when `stream` (default stderr) is a terminal."""
    stream = stream or sys.stderr
    if not enabled or total == 0:
        return _Silent()
    if getattr(stream, "isatty", lambda: False)():
        from tqdm import tqdm

        return tqdm(total=total, desc=desc, unit="report", file=stream, dynamic_ncols=True,
                    bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} "
                               "[{elapsed}<{remaining}, {rate_fmt}]")
    return PlainProgress(total, desc, stream, interval)
