"""Schema migrations of the embedded store: an old file opens as the current schema.

A database at schema v1 is built here by hand, exactly as the first release's schema made it,
with rows written in that release's format; opening it with `SqliteStore` must bring it to the
current version without losing or changing a row.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from stocklab.model import KST, AuditEntry, Instrument, Market, Timeframe, daily_ts
from stocklab.store import WriteResult
from stocklab.store.base import BarCoverage
from stocklab.store.sqlite import SqliteStore
from stocklab.store.sqlite.schema import MIGRATIONS, SCHEMA_VERSION

# Schema v1 is the first migration, which must never be edited: files made by the first
# release exist. Its text (whitespace aside) is pinned by this digest (commit 87c0f11).
V1_SCHEMA = MIGRATIONS[0]
V1_DIGEST = "50ed6fae4a0b1917fee1e00589274d1d4bef838f72230a30cb274608ebc8595d"

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
WRITTEN = datetime(2024, 3, 4, 16, 0, tzinfo=KST)
DAYS = [date(2024, 3, 4), date(2024, 3, 5), date(2024, 3, 6)]
BARS = [  # (day, open, high, low, close, volume, value or None)
    (DAYS[0], 72_000, 73_000, 71_500, 72_800, 1_000, 72_400_000),
    (DAYS[1], 72_800, 74_000, 72_500, 73_900, 2_000, None),
    (DAYS[2], 73_900, 74_100, 73_000, 73_100, 1_500, 110_000_000),
]
BACKTEST_V1 = {
    "backtest_id": "bt-v1", "strategy": "sma_cross", "params": {"fast": 5},
    "codes": [f"{n:06d}" for n in range(1, 26)], "start": "2024-01-02", "end": "2024-03-04",
    "created_at": "2024-03-04T16:00:00+09:00", "stats": {"trades": 2},
    "trades": [{"code": "000001", "qty": 1}], "equity": [["2024-01-02", 10000000]],
}  # fmt: skip
AUDIT_DETAIL = {"inserted": 3, "updated": 0, "unchanged": 0, "timeframe": "1d", "codes": 1}


def _ms(ts: datetime) -> int:
    return (ts - EPOCH) // timedelta(milliseconds=1)


def _secs(day: date) -> int:
    return int(daily_ts(day).timestamp())


def _columns(conn: sqlite3.Connection, table: str) -> dict[str, tuple[int, str | None]]:
    """name -> (notnull, default) of each column."""
    return {r[1]: (r[3], r[4]) for r in conn.execute(f"PRAGMA table_info({table})")}


def _snapshot(path: Path) -> tuple[int, list[str]]:
    """Schema version and the whole content (schema, rows, autoincrement state) of a file."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0], list(conn.iterdump())
    finally:
        conn.close()


def make_v1_store(path: Path) -> None:
    """A store file at schema v1 with rows as the v1 release wrote them."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.executescript(V1_SCHEMA)
        conn.execute("PRAGMA user_version = 1")
        written = _ms(WRITTEN)
        conn.executemany(  # v1 had no `source` column: six values
            "INSERT INTO instruments VALUES (?, ?, ?, ?, ?, ?)",
            [
                ("005930", "삼성전자", "KOSPI", "stock", "1975-06-11", written),
                ("035720", "카카오", "KOSPI", "stock", None, written),
                ("247540", "에코프로비엠", "KOSDAQ", "stock", None, written),
            ],
        )
        conn.executemany(
            "INSERT INTO bars VALUES ('005930', '1d', ?, ?, ?, ?, ?, ?, ?)",
            [(_secs(d), *rest) for d, *rest in BARS],
        )
        conn.execute(
            "INSERT INTO series VALUES ('005930', '1d', 3, ?, ?, 'naver', ?)",
            (_secs(DAYS[0]), _secs(DAYS[-1]), written),
        )
        conn.execute(
            "INSERT INTO audit (ts, operation, collection, count, actor, detail)"
            " VALUES (?, 'save_bars', 'bars', 3, 'v1-writer', ?)",
            (written, json.dumps(AUDIT_DETAIL)),
        )
        conn.execute(  # v1 kept a backtest as one blob, with no summary beside it
            "INSERT INTO backtests VALUES ('bt-v1', ?, ?)", (written, json.dumps(BACKTEST_V1))
        )
    finally:
        conn.close()


def test_the_first_migration_is_the_shipped_v1() -> None:
    text = " ".join(MIGRATIONS[0].split())
    assert hashlib.sha256(text.encode()).hexdigest() == V1_DIGEST


def test_v1_store_is_migrated_to_the_current_schema(tmp_path: Path) -> None:
    assert SCHEMA_VERSION >= 2  # otherwise there is nothing to migrate and this proves nothing
    path = tmp_path / "v1.db"
    make_v1_store(path)
    assert _snapshot(path)[0] == 1
    assert "source" not in _columns(sqlite3.connect(path), "instruments")

    store = SqliteStore(path, actor="test")
    try:
        raw = sqlite3.connect(path)
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        # migration 2: instruments.source, NOT NULL, 'unknown' for rows that predate it
        assert _columns(raw, "instruments")["source"] == (1, "'unknown'")
        assert raw.execute("SELECT DISTINCT source FROM instruments").fetchall() == [("unknown",)]
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        triggers = raw.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        assert {"audit_no_update", "audit_no_delete"} <= {r[0] for r in triggers}
        raw.close()

        # the old rows, through the public methods
        samsung = Instrument(
            code="005930", name="삼성전자", market=Market.KOSPI, listed_on=date(1975, 6, 11)
        )
        assert store.get_instrument("005930") == samsung
        assert samsung.source == "unknown"
        assert [i.code for i in store.list_instruments()] == ["005930", "035720", "247540"]
        assert [i.code for i in store.list_instruments(market=Market.KOSDAQ)] == ["247540"]
        assert store.count_instruments(query="삼성") == 1

        bars = store.load_bars("005930", Timeframe.DAY)
        assert [b.trading_date for b in bars] == DAYS
        assert [(b.open, b.high, b.low, b.close, b.volume, b.value) for b in bars] == [
            tuple(row[1:]) for row in BARS
        ]
        assert store.bar_overview() == [
            BarCoverage("005930", Timeframe.DAY, 3, daily_ts(DAYS[0]), daily_ts(DAYS[-1]), "naver")
        ]
        assert store.list_audit() == [  # and migrating wrote no entry of its own
            AuditEntry(
                ts=WRITTEN,
                operation="save_bars",
                collection="bars",
                count=3,
                actor="v1-writer",
                detail=AUDIT_DETAIL,
            )
        ]

        # migration 4: a backtest saved before summaries is listed from its record
        (listed,) = store.list_backtests()
        assert (listed.backtest_id, listed.code_count, listed.codes) == (
            "bt-v1", 25, BACKTEST_V1["codes"][:20],
        )  # fmt: skip
        assert store.get_backtest("bt-v1").trades == BACKTEST_V1["trades"]

        # the migrated rows compare equal to records, and the new column takes writes
        assert store.upsert_instruments([samsung]) == WriteResult(0, 0, 1)
        simulated = Instrument(code="00088K", name="한화3우B", market=Market.KOSPI, source="sim")
        assert store.upsert_instruments([simulated]) == WriteResult(1, 0, 0)
        assert store.get_instrument("00088K") == simulated
    finally:
        store.close()


def test_opening_a_current_store_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "current.db"
    store = SqliteStore(path, actor="test")
    store.upsert_instruments(
        [Instrument(code="005930", name="삼성전자", market=Market.KOSPI, source="krx")]
    )
    store.audit_event("login", "security", {"user": "a"})
    store.close()
    before = _snapshot(path)
    assert before[0] == SCHEMA_VERSION

    for _ in range(2):
        again = SqliteStore(path, actor="other")
        assert again.get_instrument("005930").source == "krx"
        assert len(again.list_audit()) == 2
        again.close()
        assert _snapshot(path) == before
