"""`make lab` / `benchmarks lab`: a JupyterLab server on the project's notebooks offering the project's kernel."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from benchmarks.config import paths
from benchmarks.render.notebook import KERNEL_NAME


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answer(url: str, proc: subprocess.Popen, timeout: float = 120.0) -> dict:
    """The server's JSON at url once it answers (it takes seconds to start on a loaded machine)."""
    end = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return json.loads(r.read())
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            assert proc.poll() is None, proc.communicate()[0].decode()[-2000:]  # the server stopped
            if time.monotonic() > end:
                raise
            time.sleep(0.5)


@pytest.mark.slow
def test_lab_serves_the_notebooks_with_the_project_kernel(demo_project):
    port, token = free_port(), "workbench-test-token"
    proc = subprocess.Popen([sys.executable, "-m", "benchmarks.cli", "--root", str(demo_project.root), "lab",
                             "--port", str(port), "--token", token, "--no-browser"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=dict(os.environ),
                            start_new_session=True)
    try:
        specs = answer(f"http://127.0.0.1:{port}/api/kernelspecs?token={token}", proc)
        assert KERNEL_NAME in specs["kernelspecs"]
        assert specs["default"] == KERNEL_NAME
        listing = answer(f"http://127.0.0.1:{port}/api/contents?token={token}", proc)
        names = {item["name"] for item in listing["content"]}
        assert "district_report.ipynb" in names and "explore_state.ipynb" in names
        with pytest.raises(urllib.error.HTTPError):  # no token, no access
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents", timeout=5)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        out = proc.communicate(timeout=30)[0].decode()
    assert f"http://127.0.0.1:{port}/lab?token={token}" in out
    assert "running the demo first" not in out  # the project already had its warehouse


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_lab_runs_benchmarks_lab():
    # run from `make test` this make is a sub-make: without --no-print-directory it adds "Leaving directory" lines
    out = subprocess.run(["make", "--no-print-directory", "-n", "lab"], cwd=paths().root, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip().splitlines()[-1].endswith("benchmarks lab")
