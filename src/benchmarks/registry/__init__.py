"""Declarations everything else reads: metrics and fields, peer groups, school years."""
