"""The DuckDB warehouse: its schema and the reads every report shares."""
