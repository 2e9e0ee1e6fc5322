"""The command for a county's meeting: `benchmarks roundtable --county NAME` renders its round-table page."""

from __future__ import annotations

import click

from benchmarks.cli.plain import not_on_record, school_year_option, writable


@click.command("roundtable")
@click.option("--county", required=True, help="County as a person writes it, e.g. \"Kestrel County\" or \"kane\" "
              "(case, spacing and the word County aside).")
@click.option("--state", default="", help="The county's state, e.g. OR, where counties of several states share "
              "its name.")
@click.option("--year", "school_year", default="", callback=school_year_option,
              help="School year of the data (default: the latest).")
@click.pass_obj
def roundtable(p, county: str, state: str, school_year: str) -> None:
    """Render a county's round-table page, for all its members at once; prints the page. A county with too few
    reporting districts for the disclosure rules gets no page, and the command says why."""
    from benchmarks.render.on_request import render_roundtable

    writable(p, school_year)
    with not_on_record():
        click.echo(render_roundtable(p, county=county, school_year=school_year, state=state))
