"""The audit log is append-only.

SQLite refuses, in the database itself, an UPDATE or DELETE on the audit table (triggers in
schema v1), whoever sends it, and an INSERT OR REPLACE over an existing entry (schema v3).
The MongoDB backend promises less: its API has no way to change or remove an entry and every
write only appends, but `audit` is an ordinary collection (no validator, no role), so a raw
client can still change it.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from stocklab.model import KST, Account, Instrument, Market
from stocklab.store import Store, StoreReader, VersionConflict
from stocklab.store.mongo import MongoStore
from stocklab.store.sqlite import SqliteStore

AUDIT_COLUMNS = "id, ts, operation, collection, count, actor, detail"


def _account() -> Account:
    t0 = datetime(2024, 3, 4, 9, 0, tzinfo=KST)
    return Account(account_id="paper1", cash=1_000_000, created_at=t0, updated_at=t0)


def _raw_rows(path: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"SELECT {AUDIT_COLUMNS} FROM audit ORDER BY id").fetchall()
    finally:
        conn.close()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit SET actor = 'mallory'",
        "UPDATE audit SET count = 0 WHERE id = 1",
        "UPDATE audit SET detail = '{}' WHERE operation = 'create_account'",
        "DELETE FROM audit",
        "DELETE FROM audit WHERE id = 2",
        pytest.param(
            "INSERT INTO audit (id, ts, operation, collection, count, actor, detail)"
            " VALUES (1, 0, 'x', 'x', 0, 'x', '{}') ON CONFLICT (id) DO UPDATE SET actor = 'x'",
            id="upsert",
        ),
        pytest.param(
            "INSERT OR REPLACE INTO audit (id, ts, operation, collection, count, actor, detail)"
            " VALUES (1, 0, 'forged', 'x', 0, 'mallory', '{}')",
            id="replace",  # REPLACE deletes without firing DELETE triggers: schema v3
        ),
    ],
)
def test_sqlite_refuses_raw_changes_to_the_audit_table(tmp_path: Path, sql: str) -> None:
    path = tmp_path / "store.db"
    store = SqliteStore(path, actor="test")
    store.upsert_instruments([Instrument(code="005930", name="삼성전자", market=Market.KOSPI)])
    store.create_account(_account())
    store.audit_event("auth_failed", "security", {"route": "/api/x"})
    before_rows = _raw_rows(path)
    before_entries = store.list_audit()
    assert len(before_rows) == 3

    raw = sqlite3.connect(path, isolation_level=None)  # autocommit: no transaction left open
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw.execute(sql)
    finally:
        raw.close()

    assert _raw_rows(path) == before_rows
    assert store.list_audit() == before_entries
    store.audit_event("after", "security", {})  # appending still works
    assert [e.operation for e in store.list_audit()] == ["after"] + [
        e.operation for e in before_entries
    ]
    store.close()


def test_no_public_method_changes_the_audit_log() -> None:
    """All the MongoDB backend promises: writing to the log only through appends."""
    for api in (Store, StoreReader, SqliteStore, MongoStore):
        names = {n for n in dir(api) if "audit" in n and not n.startswith("_")}
        assert names <= {"audit_event", "list_audit"}, api


def test_writes_only_ever_append_to_the_audit_log(store: Store) -> None:
    """Every backend: earlier entries stay exactly as they were, whatever is written after."""
    created = store.create_account(_account())
    store.audit_event("auth_failed", "security", {"route": "/api/x"})
    before = store.list_audit()
    assert [e.operation for e in before] == ["auth_failed", "create_account"]

    store.update_account(created.model_copy(update={"cash": 900_000}))
    with pytest.raises(VersionConflict):  # a refused write leaves no entry and moves none
        store.update_account(created.model_copy(update={"cash": 1}))
    store.delete_bars("005930", "1d")  # deletes data, never audit entries
    store.audit_event("auth_failed", "security", {"route": "/api/y"})

    after = store.list_audit()
    assert [e.operation for e in after[:3]] == ["auth_failed", "delete_bars", "update_account"]
    assert after[3:] == before
    assert store.list_audit(collection="security")[1:] == [before[0]]
