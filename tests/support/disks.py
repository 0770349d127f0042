"""Broken disks for tests: a small tmpfs that fills up, a read-only remount, damaged pages.

Mounting needs root (or CAP_SYS_ADMIN); CI runs the suite as root on a clean Debian
machine, where it works. Where it does not, `tmpfs` skips with the mount's own words,
so the skip says why, and the tests that must always run use SQLite's page cap instead.
"""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

PAGE = 4096


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=30, check=False)


@contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` (e.g. "600k") mounted at `where`, unmounted afterwards."""
    where.mkdir(parents=True, exist_ok=True)
    done = _run("mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where))
    if done.returncode != 0:
        pytest.skip(
            f"cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): {done.stderr.strip()}"
        )
    try:
        yield where
    finally:
        if _run("umount", str(where)).returncode != 0:
            _run("umount", "-l", str(where))


def remount_readonly(where: Path) -> None:
    done = _run("mount", "-o", "remount,ro", str(where))
    assert done.returncode == 0, done.stderr


def fill(where: Path) -> None:
    """Write a file at `where` until the file system has not one byte left."""
    with (where / "filler").open("wb", buffering=0) as f:
        for chunk in (1 << 16, PAGE, 1):
            try:
                while True:
                    f.write(b"\0" * chunk)
            except OSError:
                continue


def damage(db: Path, first: float, last: float, seed: int = 14) -> int:
    """Overwrite the pages between fractions `first` and `last` of a (checkpointed) SQLite
    file with seeded noise, as a failing disk or a stray write would; returns how many.
    The schema's own pages are spared wherever they lie (the file still opens: SQLite reads
    its schema first), so the damage always lands on the data, whatever the layout."""
    with closing(sqlite3.connect(db)) as conn:
        schema = {
            pageno - 1
            for (pageno,) in conn.execute("SELECT pageno FROM dbstat WHERE name = 'sqlite_schema'")
        }
    pages = db.stat().st_size // PAGE
    noise = random.Random(seed)
    lo, hi = max(1, int(pages * first)), max(2, int(pages * last))
    hit = [page for page in range(lo, hi) if page not in schema]
    with db.open("r+b") as f:
        for page in hit:
            f.seek(page * PAGE)
            f.write(noise.randbytes(PAGE))
        f.flush()
        os.fsync(f.fileno())
    return len(hit)
