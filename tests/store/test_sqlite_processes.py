"""The embedded store under real processes: concurrent writers, a reader, and SIGKILL."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from stocklab.model import Timeframe
from stocklab.store import StoreError, StoreUnavailable
from stocklab.store.sqlite import SqliteStore

SUPPORT = Path(__file__).resolve().parents[1] / "support"


def _spawn(*args: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SUPPORT.parents[1] / "src"), *sys.path]),
    }
    return subprocess.Popen(
        [sys.executable, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def test_two_writers_and_a_reader_lose_nothing(tmp_path: Path) -> None:
    db = str(tmp_path / "store.db")
    SqliteStore(db).close()  # create the schema once, as `stocklab up` does
    stop = tmp_path / "stop"
    reader = _spawn(str(SUPPORT / "bar_reader.py"), db, str(stop))
    writers = [
        _spawn(str(SUPPORT / "bar_writer.py"), db, prefix, "30", "2000", "shared")
        for prefix in ("10", "20")
    ]
    outs = [w.communicate(timeout=240) for w in writers]
    stop.touch()
    r_out, r_err = reader.communicate(timeout=60)

    for w, (out, err) in zip(writers, outs, strict=True):
        assert w.returncode == 0, err
        assert "locked" not in err.lower()
        batches = [line.split() for line in out.splitlines() if line.startswith("batch")]
        assert [int(b[2]) for b in batches] == [2000] * 30  # every batch fully inserted
    assert reader.returncode == 0, r_err
    assert "locked" not in r_err.lower()
    assert int(r_out.split()[1]) > 0

    store = SqliteStore(db, readonly=True)
    counts = {(c.code, c.timeframe): c.count for c in store.bar_overview()}
    for prefix in ("10", "20"):
        for i in range(30):
            code = f"{prefix}{i:04d}"
            assert counts[(code, Timeframe.MINUTE)] == 2000
            assert len(store.load_bars(code, "1m")) == 2000
    # Both writers wrote the same 150 shared bars; each was inserted exactly once.
    shared = [
        line.split() for out, _ in outs for line in out.splitlines() if line.startswith("shared")
    ]
    assert sum(int(s[2]) for s in shared) == 150
    assert sum(int(s[3]) for s in shared) == 150
    assert counts[("999999", Timeframe.MINUTE)] == 150
    assert len(store.list_audit(operation="save_bars", limit=1000)) == 2 * 30 * 2


def test_sigkill_during_save_bars_leaves_no_partial_batch(tmp_path: Path) -> None:
    db = str(tmp_path / "store.db")
    batches, rows = 40, 30_000
    writer = _spawn(str(SUPPORT / "bar_writer.py"), db, "30", str(batches), str(rows))
    assert writer.stdout is not None
    for line in writer.stdout:
        if line.startswith("batch 2 "):
            break
    time.sleep(0.137)  # land inside a later batch's transaction, not between two
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL

    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    store = SqliteStore(db)
    stored = {c.code: c.count for c in store.bar_overview()}
    assert 3 <= len(stored) < batches, "the kill should interrupt the run partway"
    for code, count in stored.items():
        assert count == rows, f"{code} holds a partial batch of {count} rows"
        assert len(store.load_bars(code, "1m")) == rows

    rerun = _spawn(str(SUPPORT / "bar_writer.py"), db, "30", str(batches), str(rows))
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    results = [line.split() for line in out.splitlines()]
    inserted = sum(int(r[2]) for r in results)
    unchanged = sum(int(r[3]) for r in results)
    assert (inserted, unchanged) == ((batches - len(stored)) * rows, len(stored) * rows)
    assert len(store.bar_overview()) == batches


def test_store_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    SqliteStore(db).close()
    with sqlite3.connect(db) as raw:
        raw.execute("PRAGMA user_version = 99")
    with pytest.raises(StoreError, match="더 새로운"):
        SqliteStore(db)


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    db.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreUnavailable, match="SQLite"):
        SqliteStore(db)


def test_threads_that_end_do_not_keep_their_connections_open(tmp_path: Path) -> None:
    """A server that starts a thread per client (werkzeug does) must not run out of file
    handles: the connection of an ended thread is closed when the next thread opens one."""
    db = tmp_path / "store.db"
    store = SqliteStore(db)

    def handles() -> int:
        return sum(1 for f in psutil.Process().open_files() if f.path.startswith(str(db)))

    def read() -> None:
        assert store.bar_overview() == []

    read()
    one = handles()  # one connection's files: the database, its WAL and shared memory
    assert one > 0
    for _ in range(200):
        thread = threading.Thread(target=read)
        thread.start()
        thread.join()
    # The last thread's connection stays until another thread opens one: at most one more.
    assert handles() <= 2 * one
    store.close()
    assert handles() == 0
