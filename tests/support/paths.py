"""Where the tests find the shared folder (real KRX data, fact sheets)."""

from __future__ import annotations

import os
from pathlib import Path


def _shared() -> Path:
    """`STOCKLAB_SHARED`, else `../shared` beside the checkout, else the workplace's place."""
    beside = Path(__file__).resolve().parents[3] / "shared"
    for candidate in (os.environ.get("STOCKLAB_SHARED", ""), beside, "/work/shared"):
        if candidate and (Path(candidate) / "data").is_dir():
            return Path(candidate)
    return beside


SHARED = _shared()
