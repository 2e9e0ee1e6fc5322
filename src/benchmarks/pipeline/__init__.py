"""The steps strung together: derive the statistics, ingest, run the demo."""
