"""District Technology Benchmarks: anonymized peer benchmarks of K-12 districts' technology metrics.

The public face is resolved lazily: `import benchmarks` imports neither pandas nor DuckDB, and each name
below is imported from its home the first time it is used.
"""

from __future__ import annotations

import importlib

from benchmarks._version import __version__

#: Public name -> the module that is its one home.
_PUBLIC = {
    "DEFAULT_MIN_PEERS": "benchmarks.config",
    "paths": "benchmarks.config",
    "FIELDS": "benchmarks.registry.metrics",
    "METRICS": "benchmarks.registry.metrics",
    "metric": "benchmarks.registry.metrics",
    "compute_metrics": "benchmarks.registry.metrics",
    "data_dictionary": "benchmarks.registry.metrics",
    "PEER_GROUPS": "benchmarks.registry.groups",
    "compute_peer_stats": "benchmarks.stats.peers",
    "leave_one_out": "benchmarks.stats.loo",
    "pseudonym": "benchmarks.privacy.keys",
    "validate_files": "benchmarks.intake.validate",
    "load_public_bandwidth": "benchmarks.intake.connectivity",
    "ingest_files": "benchmarks.pipeline.ingest",
    "import_bandwidth": "benchmarks.pipeline.ingest",
    "run_demo": "benchmarks.pipeline.run",
    "REPORT_KINDS": "benchmarks.reports.kinds",
}

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str):
    home = _PUBLIC.get(name)
    if home is None:
        raise AttributeError(f"module 'benchmarks' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
