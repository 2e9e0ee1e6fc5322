"""The timing commands: `intake-timing`, `bench` (report rendering) and `bench-stats`, each against the naive way."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("intake-timing")
@click.option("--naive-sample", type=int, default=100, show_default=True,
              help="Rows validated one at a time to estimate the naive way.")
@click.option("--rows", type=click.IntRange(min=1), help="Instead, a generated file of this many rows (50 states).")
@click.option("--previous", is_flag=True, help="With --rows: also the way before chunks (far more memory).")
@click.pass_obj
def intake_timing(p, naive_sample: int, rows: int | None, previous: bool) -> None:
    """Time validating and ingesting the demo state against row by row, or (--rows) a large file's rate and memory."""
    from benchmarks.timing.intake import measure_intake
    from benchmarks.timing.scale import measure_scale

    if rows:
        return measure_scale(rows, previous=previous, echo=click.echo) and None
    click.echo("\n".join(measure_intake(p, naive_sample=naive_sample).lines()))


@click.command()
@click.option("--sample", type=click.IntRange(min=1), default=50, show_default=True,
              help="Demo districts rendered each way.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Workers of the batch renderer (default: one per core).")
@click.pass_obj
def bench(p, sample: int, workers: int | None) -> None:
    """Time the naive papermill + nbconvert loop and the papermill API loop against the batch renderer."""
    from benchmarks.timing.render import run_benchmark

    run_benchmark(p, sample=sample, workers=workers, echo=click.echo)


@click.command("bench-stats")
@click.option("--national", "national", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="ESH-format national district CSV (default: a synthetic 13,000-district frame).")
@click.pass_obj
def bench_stats(p, national: Path | None) -> None:
    """Time computing every statistics table for the demo state and a national dataset."""
    from benchmarks.timing.stats import bench_stats as run

    run(p, national=national, echo=click.echo)


COMMANDS = (intake_timing, bench, bench_stats)
