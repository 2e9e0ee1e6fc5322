"""The analyst's own commands: `benchmarks lab` (JupyterLab on the notebooks) and `benchmarks confirmations`."""

from __future__ import annotations

import sys

import click


@click.command()
@click.option("--port", type=click.IntRange(1, 65535), default=8888, show_default=True,
              help="Local port of the JupyterLab server (127.0.0.1 only).")
@click.option("--token", default=None, help="Token to open the server with (default: a new random one, printed).")
@click.option("--no-browser", "browser", flag_value=False, default=True, help="Do not open a browser.")
@click.pass_obj
def lab(p, port: int, token: str | None, browser: bool) -> None:
    """Start JupyterLab on the notebooks with the project's kernel and warehouse (the demo first, if none)."""
    from benchmarks.pipeline.lab import start_lab

    sys.exit(start_lab(p, port=port, token=token, browser=browser, echo=click.echo))


COMMANDS = (lab,)
