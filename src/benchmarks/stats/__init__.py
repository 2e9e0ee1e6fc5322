"""Exact statistics for all districts at once, over the other districts of each group: no thresholds, no text."""
