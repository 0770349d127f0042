"""stocklab: an automated trading system for Korean stocks (KOSPI, KOSDAQ)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("stocklab")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"
