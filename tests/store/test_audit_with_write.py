"""A write and its audit entry commit together: a writer killed between them leaves
neither, and a fault where the entry is appended undoes the write (issue 15)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from stocklab.model import Account, daily_ts
from stocklab.store import Store

SCRIPT = Path(__file__).resolve().parents[1] / "support" / "audit_kill.py"
SRC = Path(__file__).resolve().parents[2] / "src"
T0 = daily_ts(date(2024, 3, 4))


class Wire:
    """A mongoeco wire server of this test's own, on a data directory that outlives it."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self) -> str:
        script = Path(__file__).resolve().parents[1] / "support" / "mongoeco_server.py"
        self.proc = subprocess.Popen(
            [sys.executable, str(script), str(self.data)], stdout=subprocess.PIPE, text=True
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        assert line.startswith("PORT "), line
        self.url = f"mongodb://127.0.0.1:{int(line.split()[1])}/?directConnection=true"
        return self.url

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture(params=["sqlite", "mongo-wire"])
def place(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[Any]]:
    """[backend, target, database, server] a child process can open."""
    if request.param == "sqlite":
        yield ["sqlite", str(tmp_path / "store.db"), "", None]
        return
    if sys.version_info < (3, 13):
        pytest.skip("mongoeco needs Python >= 3.13")
    wire = Wire(tmp_path)
    try:
        yield ["mongodb", wire.start(), "stocklab", wire]
    finally:
        wire.stop()


def _open(place: list[Any]) -> Any:
    backend, target, db, _ = place
    if backend == "sqlite":
        from stocklab.store.sqlite import SqliteStore

        return SqliteStore(target, actor="test")
    import pymongo

    from stocklab.store.mongo import MongoStore

    return MongoStore(pymongo.MongoClient(target, tz_aware=True), db, actor="test")


def _child(place: list[Any], operation: str, mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *place[:3], operation, mode],
        env={**os.environ, "PYTHONPATH": str(SRC)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _written(store: Any, operation: str) -> tuple[bool, int]:
    """(whether the write is there, how many audit entries it has)."""
    if operation == "account":
        there = store.get_account("paper1") is not None
        entries = store.list_audit(operation="create_account")
    else:
        there = len(store.load_bars("005930", "1d")) > 0
        assert bool(store.bar_overview("005930")) == there  # the overview moves with it
        entries = store.list_audit(operation="save_bars")
    return there, len(entries)


@pytest.mark.parametrize("operation", ["account", "bars"])
def test_a_writer_killed_between_write_and_audit_leaves_neither(
    place: list[Any], operation: str
) -> None:
    """SQLite rolls the open transaction back on the next open; the MongoDB server drops
    a dead client's transaction (mongoeco holds it until it restarts, so it does here)."""
    killed = _child(place, operation, "kill")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    wire = place[3]
    if wire is not None:
        wire.stop()
        place[1] = wire.start()
    store = _open(place)
    try:
        assert _written(store, operation) == (False, 0)
        done = _child(place, operation, "run")
        assert done.returncode == 0, done.stderr
        assert _written(store, operation) == (True, 1)
    finally:
        store.close()


class Fault(Exception):
    pass


def test_a_fault_appending_the_audit_entry_undoes_the_write(store: Store) -> None:
    if not getattr(store, "atomic", True):
        pytest.skip(
            "this deployment has no transactions (mongomock, a standalone mongod): there the "
            "audit entry is appended right after the write (see the README)"
        )

    def fail(tx: Any, entry: Any) -> None:
        raise Fault(entry.operation)

    store._append_audit = fail  # type: ignore[attr-defined]  # the fault, in the primitive
    with pytest.raises(Fault):
        store.create_account(Account(account_id="paper1", cash=1, created_at=T0, updated_at=T0))
    del store._append_audit  # type: ignore[attr-defined]
    assert store.get_account("paper1") is None
    assert store.list_audit(operation="create_account") == []
