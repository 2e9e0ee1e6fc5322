"""District Technology Benchmarks: anonymized peer benchmarks of K-12 districts' technology metrics."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("district-benchmarks")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0+unknown"

from .config import DEFAULT_MIN_PEERS, paths  # noqa: E402
from .connectivity import import_bandwidth, load_public_bandwidth  # noqa: E402
from .ingest import ingest_files, validate_files  # noqa: E402
from .metrics import FIELDS, METRICS, compute_metrics, data_dictionary, metric  # noqa: E402
from .peers import PEER_GROUPS, compute_peer_stats, leave_one_out  # noqa: E402
from .privacy import pseudonym  # noqa: E402
from .workflow import run_demo  # noqa: E402

__all__ = [
    "__version__", "DEFAULT_MIN_PEERS", "paths", "ingest_files", "validate_files", "import_bandwidth",
    "load_public_bandwidth", "FIELDS", "METRICS", "compute_metrics",
    "data_dictionary", "metric", "PEER_GROUPS", "compute_peer_stats", "leave_one_out", "pseudonym", "run_demo",
]
