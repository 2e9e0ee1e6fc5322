"""The `benchmarks` command: parses arguments and calls one library function per subcommand."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from benchmarks.cli.meeting import roundtable as _roundtable
from benchmarks.cli.plain import PlainFaults as _Benchmarks
from benchmarks.cli.plain import batch_options
from benchmarks.cli.plain import finish as _finish
from benchmarks.cli.plain import key as _key
from benchmarks.cli.plain import key_if_any as _key_if_any
from benchmarks.cli.plain import not_on_record as _not_on_record
from benchmarks.cli.plain import school_year_option as _school_year_option
from benchmarks.cli.plain import told_plainly as _told_plainly
from benchmarks.cli.plain import writable as _writable
from benchmarks.cli.timing import COMMANDS as _TIMING
from benchmarks.cli.workbench import COMMANDS as _WORKBENCH
from benchmarks.config import DEFAULT_MIN_PEERS, paths


@click.group(cls=_Benchmarks)
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Project folder, any folder, empty to start (default: $BENCHMARKS_HOME, else this checkout, else "
                   "the current folder). Its data/ and reports/ live there; the package's notebooks are used unless "
                   "it has its own notebooks/.")
@click.pass_context
def main(ctx: click.Context, root: Path | None) -> None:
    """District technology benchmarks: ingest submissions, compute peer statistics, render reports."""
    from benchmarks.render.worker import skip_iri_checker
    from benchmarks.warehouse.store import opened_by

    skip_iri_checker()
    opened_by(f"benchmarks {ctx.invoked_subcommand}" if ctx.invoked_subcommand else "benchmarks")
    ctx.obj = paths(root)


@main.command("demo-data")
@click.option("--seed", type=int, default=None, help="Random seed (default: the demo's fixed seed).")
@click.option("--nation", "states", type=click.IntRange(1, 50), default=None, metavar="STATES",
              help="A fictional nation of this many demo states instead of the Prairie State (50: national scale).")
@click.option("--districts", type=int, default=None, help="Districts in the nation, over all its states "
              "(default: 13,000, about as many as the United States has).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write the files here (default: data/demo/; required with --nation, so the demo stays the demo).")
@click.pass_obj
def demo_data(p, seed: int | None, states: int | None, districts: int | None, out: Path | None) -> None:
    """Regenerate the demo submission files in data/demo/, or write a demo nation's."""
    from benchmarks.intake.demo import DEMO_SEED, NATION_DISTRICTS, NATION_STATES, generate_nation, write_demo

    seed = seed if seed is not None else DEMO_SEED
    frame = None
    if states is not None or districts is not None:
        if out is None:
            raise click.UsageError("--nation writes a nation's files: name their folder with --out FOLDER.")
        try:
            frame = generate_nation(seed, states or NATION_STATES, districts or NATION_DISTRICTS)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
    for path in write_demo(out or p.demo, seed, frame):
        click.echo(path)


@main.command()
@click.option("--all", "all_districts", is_flag=True, help="Render every district of the state, not one county.")
@click.option("--min-peers", type=int, default=DEFAULT_MIN_PEERS, show_default=True,
              help="Other districts needed before a group statistic is shown (never below 3).")
@batch_options
@click.pass_obj
def demo(p, all_districts: bool, min_peers: int, workers: int | None, scheduler: str | None, force: bool) -> None:
    """Ingest the demo submissions and render the reports; prints the index page last."""
    from benchmarks.pipeline.run import run_demo

    try:
        _finish(run_demo(p, all_districts=all_districts, min_peers=min_peers, echo=click.echo, workers=workers,
                         scheduler=scheduler, force=force))
    except KeyboardInterrupt:
        sys.exit(130)


def limit_options(command):
    """The limits of a submission file (benchmarks.intake.limits, which documents each), for validate and ingest."""
    from benchmarks.intake.limits import DEFAULT_LIMITS, LIMIT_HELP

    for name, words in reversed(LIMIT_HELP.items()):
        command = click.option(f"--{name.replace('_', '-')}", name, type=click.IntRange(min=1), help=words,
                               default=getattr(DEFAULT_LIMITS, name), show_default=True)(command)
    return command


_FILES = click.argument("files", nargs=-1, required=True,
                        type=click.Path(exists=True, dir_okay=False, path_type=Path))


@main.command()
@_FILES
@click.option("--min-peers", type=int, default=DEFAULT_MIN_PEERS, show_default=True)
@click.option("--submitted-by", metavar="NAME", help="Who sent these files (a person or district office), "
              "recorded with each file and shown on the data-quality page.")
@limit_options
@click.pass_obj
def ingest(p, files: tuple[Path, ...], min_peers: int, submitted_by: str | None, **limits) -> None:
    """Ingest submission files (CSV or XLSX): raw files kept, good rows stored, bad rows quarantined with reasons.

    Prints, per file, rows read = accepted + quarantined; exits with status 1 when any row was quarantined or a
    file was refused for a limit (nothing of that file is stored; the other files are).
    """
    from benchmarks.intake.limits import Limits
    from benchmarks.pipeline.ingest import IngestConflict, ingest_files
    from benchmarks.privacy.keys import KeyProblem

    # a different key than the warehouse was built with; one district-year in two of the files
    with _told_plainly(KeyProblem, IngestConflict):
        results = ingest_files(list(files), p, _key(), min_peers=min_peers, limits=Limits(**limits),
                               submitted_by=submitted_by)
    for r in results:
        click.echo("\n".join(r.lines()))
    if any(r.problems for r in results):
        sys.exit(1)


@main.command()
@_FILES
@limit_options
@click.pass_obj
def validate(p, files: tuple[Path, ...], **limits) -> None:
    """Check every row of submission files (CSV or XLSX) without storing anything.

    Prints the first 20 problems of each file with file, row (as Excel numbers it), column, value and what was
    expected, then a count per kind; the full list goes to data/validate/<file>-problems.csv. Exits with status 1
    when anything is wrong, 0 when every file is clean.
    """
    from benchmarks.intake.validate import Limits, validate_files, validation_report

    results = validate_files(list(files), Limits(**limits), warehouse=p.warehouse, key=_key_if_any())
    click.echo("\n".join(validation_report(results, p.data / "validate")))
    sys.exit(0 if all(r.ok for r in results) else 1)


@main.command("import-bandwidth")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--year", "funding_year", type=int, default=None,
              help="E-rate funding year of the file (default: read from a name such as ..._fy2015.csv).")
@click.option("--school-year", default=None, metavar="YYYY-YY",
              help="School year the figures stand for (default: the one the funding year pays for: funding year "
                   "2015 runs July 2015 to June 2016, school year 2015-16).")
@click.pass_obj
def import_bandwidth(p, file: Path, funding_year: int | None, school_year: str | None) -> None:
    """Import public district bandwidth data (Connect K-12 / EducationSuperHighway district CSV): every clean
    row gives its district's bandwidth per student and cost per Mbps as peer figures, and a network-only
    report where the district did not submit."""
    from benchmarks.intake.connectivity import PublicFileError
    from benchmarks.pipeline.ingest import import_bandwidth as run
    from benchmarks.privacy.keys import KeyProblem
    from benchmarks.registry.years import parse_school_year, school_year_label

    with _told_plainly(PublicFileError, KeyProblem, ValueError):
        if school_year is not None:
            school_year = school_year_label(parse_school_year(school_year, "--school-year"))
        click.echo(str(run(file, p, _key(), funding_year=funding_year, school_year=school_year)))


@main.command()
@click.argument("district_id")
@click.pass_obj
def history(p, district_id: str) -> None:
    """List every submission received from one district, which one counts in the benchmarks, and what each changed
    of the district's county, name or state."""
    from benchmarks.intake.submissions import submission_history
    from benchmarks.privacy.keys import KeyProblem

    with _told_plainly(KeyProblem, FileNotFoundError):  # no warehouse yet; a missing or different key
        frame = submission_history(p, _key(create=False), district_id)
    if frame.empty:
        raise click.ClickException(f"no accepted submission from district {district_id!r}")
    click.echo(frame.to_string(index=False))


@main.command()
@click.option("--min-peers", type=int, default=None,
              help="Other districts needed before a group statistic is shown (default: the old warehouse's, when it "
                   "can still be read, else 5).")
@click.pass_obj
def rebuild(p, min_peers: int | None) -> None:
    """Recreate the warehouse from the raw files kept in data/raw/, in the order they were first ingested (a
    truncated or damaged warehouse, or one deleted); the one it replaces is kept beside it."""
    from benchmarks.pipeline.rebuild import NothingToRebuild, rebuild_warehouse
    from benchmarks.privacy.keys import KeyProblem

    with _told_plainly(KeyProblem, NothingToRebuild):
        result = rebuild_warehouse(p, _key(create=False), min_peers=min_peers)
    click.echo("\n".join(result.lines()))


@main.command()
@click.option("--year", "school_year", default=None, callback=_school_year_option,
              help="School year, e.g. 2025-26 (default: the latest).")
@click.option("--county", default=None, help="Render only this county's district reports (case and spacing aside: "
              "\"Kane County\" finds KANE COUNTY).")
@batch_options
@click.pass_obj
def render(p, school_year: str | None, county: str | None, workers: int | None, scheduler: str | None,
           force: bool) -> None:
    """Render the year's reports and index.html, only those whose inputs changed; prints the index page last."""
    from benchmarks.render.batch import render_batch

    _writable(p, school_year)
    try:
        with _not_on_record():
            result = render_batch(p, school_year=school_year, county=county, workers=workers, scheduler=scheduler,
                                  force=force)
        _finish(result)
    except KeyboardInterrupt:
        sys.exit(130)


@main.command()
@click.option("--district", required=True, help="District ID (as submitted), pseudonym, or name (case and spacing "
              "aside; a name two districts share is refused: give the ID).")
@click.option("--plan", "plan", multiple=True, required=True, metavar="METRIC=VALUE",
              help="A planned value, e.g. devices_per_student=1.0; repeat for more metrics.")
@click.option("--target-year", default="", callback=_school_year_option,
              help="School year the plan should be in place, e.g. 2027-28 (default: two years after the data's "
                   "year; at most 10 years after it).")
@click.option("--year", "school_year", default="", callback=_school_year_option,
              help="School year of the data (default: the latest).")
@click.pass_obj
def initiative(p, district: str, plan: tuple[str, ...], target_year: str, school_year: str) -> None:
    """Check a district's planned values against its peers today and in the target year; prints the page."""
    from benchmarks.render.on_request import render_initiative

    _writable(p, school_year)
    with _told_plainly(ValueError, LookupError):
        click.echo(render_initiative(p, district=district, plan=list(plan), target_year=target_year,
                                     school_year=school_year))


@main.command()
@click.option("--district", required=True, help="District ID (as submitted), pseudonym, or name (case and spacing "
              "aside; a name two districts share is refused: give the ID).")
@click.option("--peers", "custom_peers", multiple=True, metavar="DISTRICT",
              help="A participating district of a custom comparison group (ID or pseudonym); repeat, at least "
                   "--min-peers. The list is recorded privately and refused if it could be differenced.")
@click.option("--year", "school_year", default="", callback=_school_year_option,
              help="School year (default: the latest).")
@click.option("--min-peers", type=int, default=DEFAULT_MIN_PEERS, show_default=True)
@click.pass_obj
def report(p, district: str, custom_peers: tuple[str, ...], school_year: str, min_peers: int) -> None:
    """Render one district's report, optionally with a custom peer group; prints the page."""
    from benchmarks.render.on_request import render_district

    _writable(p, school_year)
    with _told_plainly(ValueError, LookupError):
        click.echo(render_district(p, district=district, custom_peers=list(custom_peers), school_year=school_year,
                                   min_peers=min_peers))


@main.command()
@click.option("--year", "school_year", default=None, callback=_school_year_option,
              help="School year, e.g. 2025-26 (default: the latest).")
@click.option("--county", default=None, help="Only this county's districts (default: every district; case and "
              "spacing aside).")
@click.option("--district", default=None, help="Only this district: its ID, name or pseudonym (as in its report's "
              "file name).")
@click.option("--no-board", "board", flag_value=False, default=True, help="Skip the board's state table.")
@click.pass_obj
def export(p, school_year: str | None, county: str | None, district: str | None, board: bool) -> None:
    """Write the board's state table and each district's own peer comparison as CSV and XLSX, under the same
    disclosure rules as the reports; prints the files written."""
    from benchmarks.reports.export import export_tables

    _writable(p, school_year)
    with _not_on_record():
        written = export_tables(p, school_year=school_year, county=county, district=district, board=board)
    for path in written:
        click.echo(path)


@main.command()
@click.option("--year", "school_year", default=None, callback=_school_year_option,
              help="School year, e.g. 2025-26 (default: the latest).")
@click.pass_obj
def audit(p, school_year: str | None) -> None:
    """Attack the rendered files before sending them: as each district, try to learn other districts' figures
    or identities from what it would receive. Exits 1 when anything is found."""
    from benchmarks.privacy.audit import audit_files, summary

    with _not_on_record():
        findings = audit_files(p, school_year=school_year)
    click.echo(summary(findings))
    if findings:
        sys.exit(1)


@main.command()
@click.option("--prefill", is_flag=True,
              help="Fill the template in from the imported public data (`benchmarks import-bandwidth`): one row per "
                   "district with its identity, enrollment, bandwidth and monthly cost, for each district to confirm "
                   "and complete. The files name districts: they are the analyst's, written owner-only to "
                   "data/private/prefilled/<year>/, to be sent to each district (best one file each: --split).")
@click.option("--school-year", default=None, callback=_school_year_option,
              help="School year of the rows, e.g. 2015-16, from the public data of its E-rate funding year (2015: "
                   "July 2015 to June 2016). Default: the latest imported.")
@click.option("--state", default=None, help="Only this state's districts, e.g. IL (default: every state imported).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the pre-filled files (default: data/private/prefilled/<year>/).")
@click.option("--split", is_flag=True, help="One XLSX and one CSV per district, named by its ID, to send to each.")
@click.pass_obj
def template(p, prefill: bool, school_year: str | None, state: str | None, out: Path | None, split: bool) -> None:
    """Regenerate the submission templates (XLSX and CSV) and the data dictionary in data/template/; with
    --prefill, write the template filled in for the districts of the public data."""
    if not prefill:
        if school_year or state or out or split:
            raise click.UsageError("--school-year, --state, --out and --split go with --prefill")
        from benchmarks.pipeline.run import write_template

        for path in write_template(p):
            click.echo(path)
        return
    from benchmarks.intake.prefill import write_prefilled
    from benchmarks.privacy.keys import KeyProblem

    with _not_on_record(), _told_plainly(ValueError, KeyProblem):
        written = write_prefilled(p, _key(), school_year=school_year, state=state, out=out, split=split)
    click.echo(written.prefill.summary())
    if split:
        click.echo(f"{len(written.files) // 2} districts, an XLSX and a CSV file each, in {written.folder}")
    else:
        for path in written.files:
            click.echo(path)


main.add_command(_roundtable)
for _command in (*_TIMING, *_WORKBENCH):
    main.add_command(_command)
