"""The analyst's own commands: `benchmarks lab` (JupyterLab on the notebooks) and `benchmarks confirmations`."""

from __future__ import annotations

import sys

import click

from benchmarks.cli.plain import not_on_record as _not_on_record
from benchmarks.cli.plain import school_year_option as _school_year_option


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


@click.command()
@click.option("--year", "school_year", default=None, callback=_school_year_option, help="School year, e.g. 2025-26 (default: the latest).")
@click.pass_obj
def confirmations(p, school_year: str | None) -> None:
    """Write, for each district with flagged values, a workbook in the template's format with only its own row,
    its flagged values and why, and a column to confirm them; corrected or confirmed, it is re-submitted as is.
    Prints the files written (data/private/confirmations/<year>/, owner-only: they name districts)."""
    from benchmarks.intake.confirmations import write_confirmations

    with _not_on_record():
        written = write_confirmations(p, school_year=school_year)
    for path in written:
        click.echo(path)
    click.echo(f"{len(written)} districts with values to confirm")


COMMANDS = (lab, confirmations)
