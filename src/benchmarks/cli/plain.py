"""What the command's parts share: errors told in one line (ordinary mistakes and faults the analyst can mend), the
school-year option, the pseudonym key, the options and the run summary of the batch commands."""

from __future__ import annotations

import sys
from contextlib import contextmanager

import click

from benchmarks.config import key_file


@contextmanager
def told_plainly(*errors: type[Exception]):
    """Errors the user can mend (a bad key, an unknown district, a malformed plan): click prints the
    message and exits 1, without a traceback."""
    try:
        yield
    except errors as err:
        raise click.ClickException(str(err)) from None


def not_on_record():
    """An empty warehouse, or a school year, county, district or report it does not hold: one plain line."""
    from benchmarks.warehouse.queries import NotOnRecord

    return told_plainly(NotOnRecord)


def writable(p, school_year: str | None) -> None:
    """A reports folder that cannot be written is said in one line before anything renders."""
    from benchmarks.pipeline.faults import check_reports_writable

    with not_on_record():
        check_reports_writable(p, school_year)


def key(create: bool = True) -> bytes:
    """The pseudonym key, or a plain message saying what is wrong with it (a new key is never made inside the
    project folder; with create=False none is made at all)."""
    from benchmarks.privacy.keys import KeyProblem, load_key

    with told_plainly(KeyProblem):
        return load_key(key_file(), create=create, project=click.get_current_context().obj.root)


def key_if_any() -> bytes | None:
    """The pseudonym key when there is one (none is made): validate then also compares with the warehouse."""
    from benchmarks.privacy.keys import KeyProblem, load_key

    try:
        return load_key(key_file(), create=False, project=click.get_current_context().obj.root)
    except KeyProblem:
        return None


class PlainFaults(click.Group):
    """A fault the analyst can mend (a warehouse in use or damaged, a folder that cannot be written) ends in one
    sentence and exit status 1, never a traceback."""

    def invoke(self, ctx: click.Context):
        from benchmarks.pipeline.faults import plain_fault

        try:
            return super().invoke(ctx)
        except Exception as err:
            if isinstance(err, click.ClickException) or (message := plain_fault(err)) is None:
                raise
            raise click.ClickException(message) from None


def school_year_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Refuse, in one line, a year that is no school year (e.g. ../../x) before anything runs."""
    from benchmarks.pipeline.faults import year_typed

    with told_plainly(ValueError):
        return year_typed(param.opts[0], value)


def batch_options(command):
    """Options shared by the commands that render a batch of reports."""
    for option in reversed([
        click.option("--workers", type=click.IntRange(min=1), default=None,
                     help="Reports rendered at once on this machine (default: one per core; with --scheduler, "
                          "the year-wide reports rendered here beside the cluster: default 1)."),
        click.option("--scheduler", metavar="ADDRESS", default=None,
                     help="Render the district reports on a Dask cluster, e.g. tcp://scheduler:8786 (its "
                          "workers need only the installed package)."),
        click.option("--force", is_flag=True, help="Re-render reports whose inputs did not change."),
    ]):
        command = option(command)
    return command


def finish(result) -> None:
    """Print the run summary and the index page last; exit 1 when a report failed."""
    for line in result.summary():
        click.echo(line)
    click.echo(result.index)
    if not result.ok:
        sys.exit(1)
