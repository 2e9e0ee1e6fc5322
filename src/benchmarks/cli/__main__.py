"""`python -m benchmarks.cli`: the `benchmarks` command."""

from benchmarks.cli import main

main()
