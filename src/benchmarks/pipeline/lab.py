"""The analyst's workbench: JupyterLab on the project's notebooks, with the project's kernel and warehouse."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from benchmarks.config import PACKAGE_NOTEBOOKS, Paths


def lab_folder(paths: Paths) -> Path:
    """The notebooks JupyterLab opens: the project's own notebooks/ when it has one, else the package's."""
    return paths.notebooks if paths.notebooks.is_dir() else PACKAGE_NOTEBOOKS


def lab_command(paths: Paths, port: int = 8888, token: str = "", browser: bool = True) -> list[str]:
    """The JupyterLab server command: the notebooks folder, this project's kernel as the default, localhost only."""
    from benchmarks.render.notebook import ensure_kernel

    kernel = ensure_kernel()
    # a container's analyst is often root: Jupyter refuses that unless told; the server listens on localhost only
    root = ["--ServerApp.allow_root=True"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    return [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={lab_folder(paths)}",
            f"--ServerApp.port={port}", "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1",
            f"--IdentityProvider.token={token}", f"--ServerApp.open_browser={browser}",
            f"--MultiKernelManager.default_kernel_name={kernel}", *root]


def start_lab(paths: Paths, port: int = 8888, token: str | None = None, browser: bool = True, echo=print) -> int:
    """Run JupyterLab until it is stopped (its exit status), after the demo when the project has no warehouse
    yet, so every notebook runs from its defaults. The kernels see the project as BENCHMARKS_HOME: a notebook's
    empty `warehouse` parameter is this project's warehouse."""
    if not paths.warehouse.exists():  # the demo as its own command: it prints its progress as `benchmarks demo`
        echo(f"No warehouse in {paths.processed}: running the demo first.")
        done = subprocess.call([sys.executable, "-m", "benchmarks.cli", "--root", str(paths.root), "demo"])
        if done:
            return done
    token = token or secrets.token_urlsafe(16)
    echo(f"JupyterLab on {lab_folder(paths)}: http://127.0.0.1:{port}/lab?token={token}")
    env = {**os.environ, "BENCHMARKS_HOME": str(paths.root)}
    try:
        return subprocess.call(lab_command(paths, port, token, browser), env=env, cwd=paths.root)
    except KeyboardInterrupt:
        return 130
