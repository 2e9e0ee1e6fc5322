"""Progress: a tqdm bar on a terminal, plain lines (no carriage returns) in a log file."""

import io

from benchmarks.progress import PlainProgress, progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_log_file_gets_plain_periodic_lines():
    log = io.StringIO()
    bar = progress(10, "reports", stream=log, interval=0)
    assert isinstance(bar, PlainProgress)
    for _ in range(10):
        bar.update()
    bar.close()
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue() and len(lines) == 10
    assert lines[2].startswith("reports: 3/10 (30%) · ") and "reports/s" in lines[2] and "left" in lines[2]
    assert lines[-1].startswith("reports: 10/10 (100%)")


def test_lines_are_spaced_by_the_interval_and_the_last_one_always_comes():
    log = io.StringIO()
    bar = progress(5, "reports", stream=log, interval=3600)
    for _ in range(5):
        bar.update()
    bar.close()
    assert log.getvalue().splitlines() == [l for l in log.getvalue().splitlines() if l.startswith("reports: 5/5")]
    interrupted = io.StringIO()
    bar = progress(5, "reports", stream=interrupted, interval=3600)
    bar.update(2)
    bar.close()  # stopped early: the last state is still written once
    assert interrupted.getvalue().startswith("reports: 2/5 (40%)")


def test_terminal_gets_a_tqdm_bar():
    from tqdm import tqdm

    term = Terminal()
    bar = progress(4, "reports", stream=term)
    assert isinstance(bar, tqdm)
    bar.update(4)
    bar.close()
    assert "4/4" in term.getvalue()


def test_disabled_or_empty_shows_nothing():
    log = io.StringIO()
    for bar in (progress(3, "x", enabled=False, stream=log), progress(0, "x", stream=log)):
        bar.update()
        bar.close()
    assert log.getvalue() == ""
