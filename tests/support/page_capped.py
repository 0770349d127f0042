"""`python page_capped.py PAGES stocklab-args…`: the real `stocklab` command with every
SQLite connection capped at PAGES pages (`PRAGMA max_page_count`), so the database is
"full" exactly as on a full disk: SQLite's own SQLITE_FULL, "database or disk is full".

For machines where a small file system cannot be mounted (see tests/support/disks.py).
"""

from __future__ import annotations

import sqlite3
import sys
from typing import Any

PAGES = int(sys.argv.pop(1))
_connect = sqlite3.connect


def _capped(*args: Any, **kwargs: Any) -> sqlite3.Connection:
    conn = _connect(*args, **kwargs)
    conn.execute(f"PRAGMA max_page_count = {PAGES}")
    return conn


sqlite3.connect = _capped  # type: ignore[assignment]

from stocklab.cli import main  # noqa: E402 (after the cap, so every connection gets it)

sys.argv[0] = "stocklab"
main()
