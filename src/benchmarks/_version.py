"""The installed version of district-benchmarks (what footers and fingerprints name)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("district-benchmarks")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0+unknown"
