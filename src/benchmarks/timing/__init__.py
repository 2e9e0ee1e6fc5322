"""Measurements of the toolkit itself against the naive way (make bench, bench-stats, intake-timing)."""
