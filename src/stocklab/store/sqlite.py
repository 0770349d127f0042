"""The embedded backend: one SQLite file in WAL mode, shared safely by many processes.

Why it holds up under several writers: every write is one `BEGIN IMMEDIATE` transaction
(writers queue on the lock instead of failing on an upgrade), a long busy timeout plus a
retry loop absorbs contention, and WAL lets readers run beside a writer. A process killed
mid-write leaves no partial batch, because a transaction is all or nothing.
Bars are diffed against what is stored before writing, so re-ingesting identical rows
costs a read, not a write, and the counts of inserted/updated/unchanged are exact.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from pydantic import BaseModel

from stocklab.barseries import NO_VALUE, BarSeries, from_epoch
from stocklab.model import (
    Account,
    AuditEntry,
    BacktestResult,
    BacktestSummary,
    Bar,
    Fill,
    Flow,
    FlowKind,
    Instrument,
    JobRun,
    JobStatus,
    Market,
    Order,
    OrderStatus,
    Position,
    Timeframe,
    check_code,
    now_kst,
)
from stocklab.store.base import (
    BarCoverage,
    DuplicateKey,
    FillOutcome,
    NotFound,
    ReadOnlyError,
    StoreCorrupt,
    StoreError,
    StoreFull,
    StoreMissing,
    StoreReader,
    StoreUnavailable,
    VersionConflict,
    WriteResult,
    bars_to_series,
    check_fill_matches,
    check_flows,
    check_instruments,
    check_limit,
    check_offset,
    check_record,
    check_source,
    date_range,
    fill_detail,
    like_escape,
    order_detail,
    status_values,
    time_range,
)
from stocklab.store.schema import MIGRATIONS, SCHEMA_VERSION

log = logging.getLogger("stocklab.store")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_BUSY_DEADLINE_S = 120.0
_KEY_SHIFT = 34  # bar key = code index << 34 | epoch seconds (good to the year 2514)
_HEALTH_TTL_S = 30.0
"""How long a passed integrity check stands while the file changes (a scan reads it all)."""
_LOW_DISK = 16 * 2**20
"""Free bytes under which health says degraded: collecting a day's bars takes megabytes."""


def _ms(ts: datetime) -> int:
    return (ts - _EPOCH) // timedelta(milliseconds=1)


def _from_ms(ms: int) -> datetime:
    return from_epoch(0) + timedelta(milliseconds=ms)


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _store_error(exc: sqlite3.Error, path: Path) -> StoreError | None:
    """The typed error for a fault of the file or the disk, one line naming the path and
    SQLite's own words; None for anything else (a bad query stays a bug, and a 500)."""
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF  # the primary result code
    words = str(exc)
    if code == sqlite3.SQLITE_FULL:
        return StoreFull(
            f"저장소 {path}: 디스크가 가득 찼습니다 ({words}) — 이번 쓰기는 저장하지 않았습니다; "
            "공간을 비운 뒤 다시 실행하세요"
        )
    if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return StoreCorrupt(
            f"저장소 {path}가 손상되었거나 SQLite 데이터베이스가 아닙니다 ({words}) — "
            f"백업에서 되살리거나 `sqlite3 {path} .recover`로 복구하세요"
        )
    if code in (
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_PERM,
        sqlite3.SQLITE_AUTH,
        sqlite3.SQLITE_IOERR,
    ):
        cause = _unwritable(path) or (
            "디스크 입출력 오류입니다" if code == sqlite3.SQLITE_IOERR else "열 수 없습니다"
        )
        return StoreUnavailable(
            f"저장소 {path}를 쓸 수 없습니다: {cause} ({words}) — 파일과 그 디렉터리의 "
            "쓰기 권한, 파일 시스템(마운트, 디스크)을 확인하세요"
        )
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return StoreUnavailable(
            f"저장소 {path}를 다른 프로세스가 {_BUSY_DEADLINE_S:.0f}초 넘게 잠그고 있습니다 "
            f"({words}) — 잠시 뒤 다시 실행하세요"
        )
    if code == sqlite3.SQLITE_NOMEM:
        return StoreUnavailable(f"저장소 {path}: 메모리가 부족합니다 ({words})")
    return None


def _unwritable(path: Path) -> str | None:
    """Why the database's directory (SQLite writes its -wal and -shm files there) or the
    file itself cannot be written, if that is so: SQLite's own words only say "unable to
    open" or "readonly"."""
    for target in (path.parent, path):
        try:
            if os.statvfs(target).f_flag & os.ST_RDONLY:
                return f"{target}가 읽기 전용 파일 시스템에 있습니다"
        except OSError:
            continue
        if not os.access(target, os.W_OK):
            return f"{target}에 쓸 권한이 없습니다"
    return None


def _place_problem(path: Path, readonly: bool) -> StoreError | None:
    """What is wrong with where the database file should be, before SQLite is asked."""
    if path.is_dir():
        return StoreUnavailable(
            f"저장소 {path}가 파일이 아니라 디렉터리입니다 — 그 디렉터리를 옮기거나 "
            "STOCKLAB_STORE로 다른 파일을 고르세요"
        )
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                return StoreUnavailable(
                    f"저장소 {path}를 쓸 수 없습니다: {parent}가 디렉터리가 아니라 파일입니다 — "
                    "STOCKLAB_HOME(또는 STOCKLAB_STORE)을 디렉터리로 바꾸세요"
                )
            break
    if readonly and not path.exists():
        return StoreMissing(
            f"아직 자료가 없습니다: 저장소 {path}가 없습니다 (아무것도 만들지 않았습니다) — "
            "`stocklab collect codes`, `stocklab collect daily`로 받으면 만들어집니다",
            path=path,
        )
    return None


_LOAD_BARS = (
    "SELECT json_group_array(ts), json_group_array(open), json_group_array(high),"
    " json_group_array(low), json_group_array(close), json_group_array(volume),"
    " json_group_array(value) FROM (SELECT ts, open, high, low, close, volume,"
    " coalesce(value, -1) AS value FROM bars"
)
"""One series as seven JSON arrays; `load_bars` adds the filter and order and closes it."""


class SqliteStore:
    """`Store` on an SQLite file. Open one per process; it keeps a connection per thread."""

    backend = "sqlite"

    def __init__(
        self,
        path: str | Path,
        *,
        actor: str = "stocklab",
        readonly: bool = False,
        _blank: bool = False,
    ):
        self.path = Path(path)
        self.actor = actor
        self.readonly = readonly or _blank
        self._local = threading.local()
        # Every thread's connection, so close() reaches them all and the connection of a
        # thread that has ended is closed when the next one opens (a server that starts a
        # thread per client would otherwise leave a file handle open per thread).
        self._conns: dict[threading.Thread, sqlite3.Connection] = {}
        self._conns_lock = threading.Lock()
        # Reads take turns. Python's sqlite3 lets go of the GIL around every row step, so
        # threads reading at once hand the GIL over per row and all slow down (8 API
        # threads: about half the reads/s of the same reads in turn). In WAL a read never
        # waits on a writer, so a turn is short.
        self._read_turn = threading.Lock()
        self._pid = os.getpid()
        self._checked: tuple[float, float, tuple[int, ...], str | None] | None = None
        self._blank = _blank
        if _blank:
            return
        problem = _place_problem(self.path, readonly)
        if problem is not None:
            raise problem
        if not readonly:  # a read never makes a directory (or, below, a database)
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreUnavailable(
                    f"저장소 디렉터리를 만들 수 없습니다: {self.path.parent} "
                    f"({exc.strerror or exc})"
                ) from None
        self._migrate()

    @classmethod
    def blank(cls, path: str | Path, *, actor: str = "stocklab") -> SqliteStore:
        """A read-only view of a database not made yet: every read answers nothing, as an
        empty store would, and nothing is created (each connection is an in-memory schema)."""
        return cls(path, actor=actor, readonly=True, _blank=True)

    # -- connections ----------------------------------------------------------------

    def describe(self) -> str:
        return f"sqlite:///{self.path}" + (" (아직 없음)" if self._blank else "")

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """The one place an sqlite3 error of the file or the disk becomes a typed StoreError."""
        try:
            yield
        except sqlite3.Error as exc:
            typed = _store_error(exc, self.path)
            if typed is None:
                raise
            raise typed from exc

    def _connect(self) -> sqlite3.Connection:
        if self._blank:
            conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
            for version in range(SCHEMA_VERSION):
                for statement in _split_sql(MIGRATIONS[version]):
                    conn.execute(statement)
            conn.execute("PRAGMA query_only = ON")
        else:
            conn = self._open()
        with self._conns_lock:
            for thread in [t for t in self._conns if not t.is_alive()]:
                self._conns.pop(thread).close()
            self._conns[threading.current_thread()] = conn
        return conn

    def _open(self) -> sqlite3.Connection:
        with self._translated():
            conn = sqlite3.connect(
                self.path, isolation_level=None, timeout=_BUSY_DEADLINE_S, check_same_thread=False
            )
            try:
                conn.execute("PRAGMA busy_timeout = 60000")
                self._retry(lambda: conn.execute("PRAGMA journal_mode = WAL"))
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute("PRAGMA cache_size = -65536")
                conn.execute("PRAGMA temp_store = MEMORY")
                if self.readonly:
                    conn.execute("PRAGMA query_only = ON")
            except BaseException:
                conn.close()
                raise
        return conn

    @property
    def _conn(self) -> sqlite3.Connection:
        if os.getpid() != self._pid:  # a forked child must not share the parent's handles
            self._local = threading.local()
            self._conns = {}
            self._pid = os.getpid()
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    def _drop(self, conn: sqlite3.Connection) -> None:
        with self._conns_lock:
            self._conns.pop(threading.current_thread(), None)
        self._local.conn = None
        with contextlib.suppress(sqlite3.Error):
            conn.close()

    def close(self) -> None:
        with self._conns_lock:
            for conn in self._conns.values():
                conn.close()
            self._conns.clear()
        self._local = threading.local()

    def ping(self) -> bool:
        try:
            return self._conn.execute("SELECT 1").fetchone() == (1,)
        except (sqlite3.Error, StoreError):
            return False

    def health(self) -> str | None:
        """`PRAGMA quick_check` on a connection of its own: it reads every page, so a passed
        check stands while the file is unchanged, and while it changes (writers touch it all
        day) for `_HEALTH_TTL_S` or 100 times the scan's own time, whichever is longer; a
        failed one is looked at again on every call. Free disk space is looked at always."""
        with contextlib.suppress(OSError):
            free = shutil.disk_usage(self.path.parent).free
            if free < _LOW_DISK:
                return (
                    f"저장소 {self.path}의 디스크에 {free // 1024:,} KB만 남았습니다 "
                    "(쓰기가 곧 실패합니다) — 공간을 비우세요"
                )
        stamp: tuple[int, ...] = ()
        for suffix in ("", "-wal"):
            with contextlib.suppress(OSError):
                st = self.path.with_name(self.path.name + suffix).stat()
                stamp += (st.st_mtime_ns, st.st_size)
        if self._checked is not None:
            at, took, seen, verdict = self._checked
            # A big file's scan takes seconds: it runs at most 1% of the time.
            fresh = time.monotonic() - at < max(_HEALTH_TTL_S, 100 * took)
            if verdict is None and (seen == stamp or fresh):
                return None
        started = time.monotonic()
        verdict = self._quick_check()
        self._checked = (started, time.monotonic() - started, stamp, verdict)
        return verdict

    def _quick_check(self) -> str | None:
        problem = _place_problem(self.path, readonly=True)
        if problem is not None:
            return str(problem)
        try:
            with self._translated():
                uri = f"{self.path.resolve().as_uri()}?mode=ro"
                conn = sqlite3.connect(uri, uri=True, timeout=5)
                try:
                    rows = conn.execute("PRAGMA quick_check(3)").fetchall()
                finally:
                    conn.close()
        except StoreError as exc:
            return str(exc)
        if rows != [("ok",)]:
            found = "; ".join(str(r[0]) for r in rows)
            return str(StoreCorrupt(f"저장소 {self.path}의 무결성 검사가 실패했습니다 ({found})"))
        return None

    def reader(self) -> StoreReader:
        return SqliteStore(self.path, actor=self.actor, readonly=True)

    @staticmethod
    def _retry[T](fn: Callable[[], T]) -> T:
        """Run `fn`, waiting out 'database is locked' up to a deadline with backoff."""
        deadline = time.monotonic() + _BUSY_DEADLINE_S
        delay = 0.005
        while True:
            try:
                return fn()
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.25)

    def _migrate(self) -> None:
        with self._translated():
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=_BUSY_DEADLINE_S)
        try:
            conn.execute("PRAGMA busy_timeout = 60000")
            current = conn.execute("PRAGMA user_version").fetchone()[0]
            if current > SCHEMA_VERSION:
                raise StoreError(
                    f"저장소 {self.path}는 더 새로운 stocklab(스키마 v{current})이 만들었습니다; "
                    f"이 버전은 v{SCHEMA_VERSION}까지 읽습니다. stocklab을 업데이트하세요"
                )
            if current == SCHEMA_VERSION:
                return
            self._retry(lambda: conn.execute("PRAGMA journal_mode = WAL"))
            self._retry(lambda: conn.execute("BEGIN IMMEDIATE"))
            try:
                current = conn.execute("PRAGMA user_version").fetchone()[0]
                for version in range(current, SCHEMA_VERSION):
                    for statement in _split_sql(MIGRATIONS[version]):
                        conn.execute(statement)
                    conn.execute(f"PRAGMA user_version = {version + 1}")
                conn.execute("COMMIT")
            except BaseException:
                _rollback(conn)
                raise
            log.info("store %s migrated to schema v%d", self.path, SCHEMA_VERSION)
        except sqlite3.Error as exc:
            typed = _store_error(exc, self.path) or StoreUnavailable(
                f"저장소 파일 {self.path}를 SQLite 데이터베이스로 열 수 없습니다 ({exc})"
            )
            raise typed from exc
        finally:
            conn.close()
        with contextlib.suppress(OSError):
            os.chmod(self.path, 0o600)

    @contextmanager
    def _write(
        self, operation: str, collection: str
    ) -> Iterator[tuple[sqlite3.Connection, dict[str, Any]]]:
        """One atomic write plus its audit entry. The body fills in `audit['count']`."""
        if self.readonly:
            raise ReadOnlyError(f"읽기 전용 저장소에는 쓸 수 없습니다 ({operation})")
        with self._translated():
            conn = self._conn
            self._retry(lambda: conn.execute("BEGIN IMMEDIATE"))
            audit: dict[str, Any] = {"count": 0, "detail": {}}
            try:
                yield conn, audit
                conn.execute(
                    "INSERT INTO audit (ts, operation, collection, count, actor, detail)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        _ms(now_kst()),
                        operation,
                        collection,
                        audit["count"],
                        self.actor,
                        json.dumps(audit["detail"], ensure_ascii=False, default=str),
                    ),
                )
                conn.execute("COMMIT")
            except BaseException:
                if not _rollback(conn):  # a connection stuck in a transaction is let go
                    self._drop(conn)
                raise
        log.debug(
            "%s %s count=%d actor=%s %s",
            operation,
            collection,
            audit["count"],
            self.actor,
            audit["detail"],
        )

    def _read(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        if log.isEnabledFor(logging.DEBUG):  # the split costs more than many a read
            log.debug("read %s %s", sql.split()[0:4], params)
        with self._translated():
            conn = self._conn

            def run() -> list[tuple[Any, ...]]:
                with self._read_turn:
                    return conn.execute(sql, tuple(params)).fetchall()

            return self._retry(run)

    # -- instruments ----------------------------------------------------------------

    def upsert_instruments(self, items: Iterable[Instrument]) -> WriteResult:
        rows = check_instruments(items)
        now = _ms(now_kst())
        with self._write("upsert_instruments", "instruments") as (conn, audit):
            existing: dict[str, tuple[Any, ...]] = {}
            codes = [r.code for r in rows]
            for chunk in _chunks(codes, 500):
                marks = ",".join("?" * len(chunk))
                for row in conn.execute(
                    f"SELECT {_INSTRUMENT_COLUMNS} FROM instruments WHERE code IN ({marks})",
                    chunk,
                ):
                    existing[row[0]] = row
            new, changed = [], []
            for r in rows:
                values = (
                    r.code,
                    r.name,
                    r.market.value,
                    r.kind.value,
                    r.listed_on.isoformat() if r.listed_on else None,
                    r.source,
                )
                if r.code not in existing:
                    new.append((*values, now))
                elif existing[r.code] != values:
                    changed.append((*values[1:], now, r.code))
            conn.executemany(
                f"INSERT INTO instruments ({_INSTRUMENT_COLUMNS}, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                new,
            )
            conn.executemany(
                "UPDATE instruments SET name=?, market=?, kind=?, listed_on=?, source=?,"
                " updated_at=? WHERE code=?",
                changed,
            )
            result = WriteResult(len(new), len(changed), len(rows) - len(new) - len(changed))
            audit["count"] = len(new) + len(changed)
            audit["detail"] = result.detail()
        return result

    def _instrument_where(self, market: Market | None, query: str | None) -> tuple[str, list[Any]]:
        clauses, params = [], []
        if market is not None:
            clauses.append("market = ?")
            params.append(Market(market).value)
        if query:
            q = like_escape(query.strip())
            clauses.append("(code LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\')")
            params += [f"{q.upper()}%", f"%{q}%"]
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def list_instruments(
        self,
        market: Market | None = None,
        query: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Instrument]:
        check_limit(limit)
        check_offset(offset)
        where, params = self._instrument_where(market, query)
        rows = self._read(
            f"SELECT {_INSTRUMENT_COLUMNS} FROM instruments{where} ORDER BY code LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [_instrument(r) for r in rows]

    def count_instruments(self, market: Market | None = None, query: str | None = None) -> int:
        where, params = self._instrument_where(market, query)
        return self._read(f"SELECT count(*) FROM instruments{where}", params)[0][0]

    def get_instrument(self, code: str) -> Instrument | None:
        rows = self._read(
            f"SELECT {_INSTRUMENT_COLUMNS} FROM instruments WHERE code = ?",
            [check_code(code)],
        )
        return _instrument(rows[0]) if rows else None

    # -- bars -----------------------------------------------------------------------

    def save_bars(self, bars: BarSeries | Iterable[Bar], source: str = "unknown") -> WriteResult:
        series = bars_to_series(bars)
        check_source(source)
        if len(series) == 0:
            return WriteResult()
        s = series.sorted()
        tf = s.timeframe.value
        codes, starts = _groups(s.code)
        ends = np.append(starts[1:], len(s))
        with self._write("save_bars", "bars") as (conn, audit):
            known = (
                {
                    code: (first, last)
                    for code, first, last in conn.execute(
                        "SELECT code, first, last FROM series WHERE tf = ?", (tf,)
                    )
                }
                if len(codes) > 64
                else {
                    code: (first, last)
                    for code in codes.tolist()
                    for first, last in conn.execute(
                        "SELECT first, last FROM series WHERE code = ? AND tf = ?", (code, tf)
                    )
                }
            )
            # Read back what is stored in each code's range, as packed keys and values.
            ex_keys: list[np.ndarray] = []
            ex_vals: list[np.ndarray] = []
            for idx, (code, a, b) in enumerate(zip(codes.tolist(), starts, ends, strict=True)):
                lo, hi = int(s.ts[a]), int(s.ts[b - 1])
                span = known.get(code)
                if span is None or hi < span[0] or lo > span[1]:
                    continue
                rows = conn.execute(
                    "SELECT ts, open, high, low, close, volume, coalesce(value, -1) FROM bars"
                    " WHERE code = ? AND tf = ? AND ts BETWEEN ? AND ? ORDER BY ts",
                    (code, tf, lo, hi),
                ).fetchall()
                if rows:
                    arr = np.array(rows, dtype=np.int64)
                    ex_keys.append((np.int64(idx) << _KEY_SHIFT) | arr[:, 0])
                    ex_vals.append(arr[:, 1:])
            code_idx = np.repeat(np.arange(len(codes), dtype=np.int64), ends - starts)
            keys = (code_idx << _KEY_SHIFT) | s.ts
            new_mask = np.ones(len(s), dtype=bool)
            changed_mask = np.zeros(len(s), dtype=bool)
            if ex_keys:
                ekeys = np.concatenate(ex_keys)
                evals = np.concatenate(ex_vals)
                pos = np.searchsorted(ekeys, keys)
                pos_c = np.minimum(pos, len(ekeys) - 1)
                found = ekeys[pos_c] == keys
                new_mask = ~found
                mine = np.column_stack((s.open, s.high, s.low, s.close, s.volume, s.value))
                changed_mask = found & (evals[pos_c] != mine).any(axis=1)
            new = s.take(new_mask)
            changed = s.take(changed_mask)
            # the timeframe is one of Timeframe's values: inlined, one binding less per row
            conn.executemany(
                f"INSERT INTO bars VALUES (?1, '{tf}', ?2, ?3, ?4, ?5, ?6, ?7, ?8)", _bar_rows(new)
            )
            conn.executemany(
                "UPDATE bars SET open=?3, high=?4, low=?5, close=?6, volume=?7, value=?8"
                f" WHERE code=?1 AND tf='{tf}' AND ts=?2",
                _bar_rows(changed),
            )
            self._bump_series(conn, s, tf, codes, starts, ends, new_mask, source)
            result = WriteResult(
                int(new_mask.sum()),
                int(changed_mask.sum()),
                int(len(s) - new_mask.sum() - changed_mask.sum()),
            )
            audit["count"] = result.inserted + result.updated
            audit["detail"] = {
                **result.detail(),
                "timeframe": tf,
                "codes": len(codes),
                "source": source,
            }
        return result

    @staticmethod
    def _bump_series(
        conn: sqlite3.Connection,
        s: BarSeries,
        tf: str,
        codes: np.ndarray,
        starts: np.ndarray,
        ends: np.ndarray,
        new_mask: np.ndarray,
        source: str,
    ) -> None:
        added = np.add.reduceat(new_mask.astype(np.int64), starts) if len(starts) else []
        now = _ms(now_kst())
        conn.executemany(
            "INSERT INTO series (code, tf, count, first, last, source, updated_at)"
            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
            " ON CONFLICT (code, tf) DO UPDATE SET count = count + ?3,"
            " first = min(first, ?4), last = max(last, ?5), source = ?6, updated_at = ?7",
            [
                (code, tf, int(n), int(s.ts[a]), int(s.ts[b - 1]), source, now)
                for code, a, b, n in zip(codes.tolist(), starts, ends, added, strict=True)
            ],
        )

    def load_bars(
        self,
        code: str,
        timeframe: Timeframe | str,
        start: datetime | date | None = None,
        end: datetime | date | None = None,
        limit: int | None = None,
    ) -> BarSeries:
        code = check_code(code)
        tf = Timeframe(timeframe)
        lo, hi = time_range(start, end)
        check_limit(limit)
        where = " WHERE code = ? AND tf = ?"
        params: list[Any] = [code, tf.value]
        if lo is not None:
            where += " AND ts >= ?"
            params.append(lo)
        if hi is not None:
            where += " AND ts <= ?"
            params.append(hi)
        if limit is None:
            order = " ORDER BY ts"
        else:
            order = " ORDER BY ts DESC LIMIT ?"
            params.append(limit)
        # SQLite gathers each column into one JSON array, so Python takes seven strings
        # instead of a tuple of seven numbers per bar: about 30% faster at every size.
        (texts,) = self._read(_LOAD_BARS + where + order + ")", params)
        columns = [np.array(orjson.loads(text), dtype=np.int64) for text in texts]
        if limit is not None:  # the newest `limit` bars came newest first
            columns = [np.ascontiguousarray(c[::-1]) for c in columns]
        ts = columns[0]
        if len(ts) > 1 and not bool((ts[1:] > ts[:-1]).all()):
            # SQLite gives no promise on the order an aggregate sees its rows in; it has
            # always been the subquery's, and this keeps the answer right if it is not.
            by_time = np.argsort(ts, kind="stable")
            columns = [c[by_time] for c in columns]
        return BarSeries(tf, np.full(len(ts), code, dtype="<U6"), *columns)

    def cross_section(self, timeframe: Timeframe | str, ts: datetime) -> BarSeries:
        tf = Timeframe(timeframe)
        at, _ = time_range(ts, None)
        rows = self._read(
            "SELECT b.code, b.ts, b.open, b.high, b.low, b.close, b.volume, coalesce(b.value, -1)"
            " FROM series s JOIN bars b ON b.code = s.code AND b.tf = s.tf AND b.ts = ?"
            " WHERE s.tf = ? ORDER BY s.code",
            [at, tf.value],
        )
        codes = np.array([r[0] for r in rows], dtype="<U6")
        return BarSeries.from_rows(tf, codes, [r[1:] for r in rows])

    def bar_overview(self, code: str | None = None) -> list[BarCoverage]:
        where, params = _where(code=None if code is None else check_code(code))
        return [
            BarCoverage(code, Timeframe(tf), count, from_epoch(first), from_epoch(last), source)
            for code, tf, count, first, last, source in self._read(
                f"SELECT code, tf, count, first, last, source FROM series{where}"
                f"{' AND' if where else ' WHERE'} count > 0 ORDER BY code, tf",
                params,
            )
        ]

    def delete_bars(
        self,
        code: str,
        timeframe: Timeframe | str,
        start: datetime | date | None = None,
        end: datetime | date | None = None,
    ) -> int:
        code = check_code(code)
        tf = Timeframe(timeframe).value
        lo, hi = time_range(start, end)
        lo = -(2**62) if lo is None else lo
        hi = 2**62 if hi is None else hi
        with self._write("delete_bars", "bars") as (conn, audit):
            deleted = conn.execute(
                "DELETE FROM bars WHERE code = ? AND tf = ? AND ts BETWEEN ? AND ?",
                (code, tf, lo, hi),
            ).rowcount
            count, first, last = conn.execute(
                "SELECT count(*), min(ts), max(ts) FROM bars WHERE code = ? AND tf = ?",
                (code, tf),
            ).fetchone()
            if count:
                conn.execute(
                    "UPDATE series SET count = ?, first = ?, last = ?, updated_at = ?"
                    " WHERE code = ? AND tf = ?",
                    (count, first, last, _ms(now_kst()), code, tf),
                )
            else:
                conn.execute("DELETE FROM series WHERE code = ? AND tf = ?", (code, tf))
            audit["count"] = deleted
            audit["detail"] = {"code": code, "timeframe": tf, "start": start, "end": end}
        return deleted

    # -- flows ----------------------------------------------------------------------

    def save_flows(self, flows: Iterable[Flow]) -> WriteResult:
        rows = check_flows(flows)
        with self._write("save_flows", "flows") as (conn, audit):
            new, changed = [], []
            for flow in rows:
                key = (flow.code, flow.kind.value, flow.day.isoformat())
                data = _dump(flow)
                stored = conn.execute(
                    "SELECT data FROM flows WHERE code = ? AND kind = ? AND day = ?", key
                ).fetchone()
                if stored is None:
                    new.append((*key, data))
                elif stored[0] != data:
                    changed.append((data, *key))
            conn.executemany("INSERT INTO flows VALUES (?, ?, ?, ?)", new)
            conn.executemany(
                "UPDATE flows SET data = ? WHERE code = ? AND kind = ? AND day = ?", changed
            )
            result = WriteResult(len(new), len(changed), len(rows) - len(new) - len(changed))
            audit["count"] = len(new) + len(changed)
            audit["detail"] = result.detail()
        return result

    def load_flows(
        self,
        code: str,
        kind: FlowKind | str | None = None,
        start: date | None = None,
        end: date | None = None,
        limit: int | None = None,
    ) -> list[Flow]:
        code = check_code(code)
        date_range(start, end)
        check_limit(limit)
        sql, params = "SELECT data FROM flows WHERE code = ?", [code]
        if kind is not None:
            sql += " AND kind = ?"
            params.append(FlowKind(kind).value)
        if start is not None:
            sql += " AND day >= ?"
            params.append(start.isoformat())
        if end is not None:
            sql += " AND day <= ?"
            params.append(end.isoformat())
        sql += " ORDER BY day DESC, kind" + (" LIMIT ?" if limit else "")
        rows = self._read(sql, [*params, limit] if limit else params)
        return [Flow.model_validate_json(r[0]) for r in reversed(rows)]

    # -- accounts, orders, fills, positions -----------------------------------------

    def create_account(self, account: Account) -> Account:
        check_record(account, Account)
        stored = account.model_copy(update={"version": 1})
        with self._write("create_account", "accounts") as (conn, audit):
            row = conn.execute(
                "SELECT data FROM accounts WHERE account_id = ?", (account.account_id,)
            ).fetchone()
            if row is not None:
                raise DuplicateKey(f"계좌 {account.account_id}가 이미 있습니다")
            conn.execute(
                "INSERT INTO accounts VALUES (?, 1, ?)", (account.account_id, _dump(stored))
            )
            audit["count"] = 1
            audit["detail"] = {"account_id": account.account_id, "cash": account.cash}
        return stored

    def update_account(self, account: Account) -> Account:
        check_record(account, Account)
        with self._write("update_account", "accounts") as (conn, audit):
            new = _cas(conn, "accounts", "account_id", account.account_id, account)
            audit["count"] = 1
            audit["detail"] = {"account_id": account.account_id, "version": new.version}
        return new

    def get_account(self, account_id: str) -> Account | None:
        return _one(
            self._read("SELECT data FROM accounts WHERE account_id = ?", [account_id]), Account
        )

    def insert_order(self, order: Order) -> Order:
        check_record(order, Order)
        stored = order.model_copy(update={"version": 1})
        with self._write("insert_order", "orders") as (conn, audit):
            row = conn.execute(
                "SELECT data FROM orders WHERE client_id = ?", (order.client_id,)
            ).fetchone()
            if row is not None:
                existing = Order.model_validate_json(row[0])
                if existing.request != order.request:
                    raise DuplicateKey(
                        f"주문 {order.client_id}가 다른 내용으로 이미 있습니다 (client_id 재사용)"
                    )
                audit["detail"] = {"client_id": order.client_id, "duplicate": True}
                return existing
            conn.execute(
                "INSERT INTO orders VALUES (?, ?, ?, ?, 1, ?)",
                (
                    order.client_id,
                    order.account_id,
                    order.status.value,
                    _ms(order.created_at),
                    _dump(stored),
                ),
            )
            audit["count"] = 1
            audit["detail"] = order_detail(stored)
        return stored

    def update_order(self, order: Order) -> Order:
        check_record(order, Order)
        with self._write("update_order", "orders") as (conn, audit):
            new = _cas(
                conn, "orders", "client_id", order.client_id, order, status=order.status.value
            )
            audit["count"] = 1
            audit["detail"] = order_detail(new)
        return new

    def get_order(self, client_id: str) -> Order | None:
        return _one(self._read("SELECT data FROM orders WHERE client_id = ?", [client_id]), Order)

    def list_orders(
        self,
        account_id: str | None = None,
        statuses: Iterable[OrderStatus] | None = None,
        limit: int = 100,
    ) -> list[Order]:
        check_limit(limit)
        wanted = status_values(statuses)
        if wanted is not None and not wanted:
            return []
        where, params = _where(account_id=account_id, status=wanted)
        rows = self._read(
            f"SELECT data FROM orders{where} ORDER BY created_at DESC, client_id LIMIT ?",
            [*params, limit],
        )
        return [Order.model_validate_json(r[0]) for r in rows]

    def list_fills(
        self,
        account_id: str | None = None,
        client_id: str | None = None,
        limit: int = 1000,
        since: datetime | None = None,
    ) -> list[Fill]:
        check_limit(limit)
        start = _ms(_aware_since(since)) if since is not None else None
        where, params = _where(account_id=account_id, client_id=client_id, ts__ge=start)
        rows = self._read(
            f"SELECT data FROM fills{where} ORDER BY ts, fill_id LIMIT ?", [*params, limit]
        )
        return [Fill.model_validate_json(r[0]) for r in rows]

    def save_position(self, position: Position) -> Position:
        check_record(position, Position)
        with self._write("save_position", "positions") as (conn, audit):
            new = _put_position(conn, position)
            audit["count"] = 1
            audit["detail"] = {
                "account_id": position.account_id,
                "code": position.code,
                "qty": position.qty,
            }
        return new

    def get_position(self, account_id: str, code: str) -> Position | None:
        return _one(
            self._read(
                "SELECT data FROM positions WHERE account_id = ? AND code = ?",
                [account_id, check_code(code)],
            ),
            Position,
        )

    def list_positions(self, account_id: str) -> list[Position]:
        rows = self._read(
            "SELECT data FROM positions WHERE account_id = ? ORDER BY code", [account_id]
        )
        return [Position.model_validate_json(r[0]) for r in rows]

    def apply_fill(
        self, fill: Fill, order: Order, position: Position, account: Account
    ) -> FillOutcome:
        for value, kind in ((fill, Fill), (order, Order), (position, Position), (account, Account)):
            check_record(value, kind)
        check_fill_matches(fill, order, position, account)
        with self._write("apply_fill", "fills") as (conn, audit):
            row = conn.execute(
                "SELECT data FROM fills WHERE account_id = ? AND fill_id = ?",
                (fill.account_id, fill.fill_id),
            ).fetchone()
            if row is not None:
                if Fill.model_validate_json(row[0]) != fill:
                    raise DuplicateKey(f"체결 {fill.fill_id}가 다른 내용으로 이미 있습니다")
                audit["detail"] = {"fill_id": fill.fill_id, "duplicate": True}
                return FillOutcome(
                    False,
                    _one(_rows(conn, "orders", "client_id", order.client_id), Order),
                    _one(
                        conn.execute(
                            "SELECT data FROM positions WHERE account_id = ? AND code = ?",
                            (position.account_id, position.code),
                        ).fetchall(),
                        Position,
                    ),
                    _one(_rows(conn, "accounts", "account_id", account.account_id), Account),
                )
            conn.execute(
                "INSERT INTO fills VALUES (?, ?, ?, ?, ?)",
                (fill.account_id, fill.fill_id, fill.client_id, _ms(fill.ts), _dump(fill)),
            )
            new_order = _cas(
                conn, "orders", "client_id", order.client_id, order, status=order.status.value
            )
            new_position = _put_position(conn, position)
            new_account = _cas(conn, "accounts", "account_id", account.account_id, account)
            audit["count"] = 1
            audit["detail"] = fill_detail(fill)
        return FillOutcome(True, new_order, new_position, new_account)

    # -- job runs, backtests, audit -------------------------------------------------

    def save_job_run(self, run: JobRun) -> JobRun:
        check_record(run, JobRun)
        with self._write("save_job_run", "job_runs") as (conn, audit):
            conn.execute(
                "INSERT INTO job_runs VALUES (?, ?, ?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET"
                " job = excluded.job, status = excluded.status, started_at = excluded.started_at,"
                " data = excluded.data",
                (run.run_id, run.job, run.status.value, _ms(run.started_at), _dump(run)),
            )
            audit["count"] = 1
            audit["detail"] = {"run_id": run.run_id, "job": run.job, "status": run.status.value}
        return run

    def audit_event(self, operation: str, collection: str, detail: dict[str, object]) -> None:
        with self._write(operation, collection) as (_conn, audit):
            audit["detail"] = dict(detail)

    def get_job_run(self, run_id: str) -> JobRun | None:
        return _one(self._read("SELECT data FROM job_runs WHERE run_id = ?", [run_id]), JobRun)

    def list_job_runs(
        self, job: str | None = None, status: JobStatus | None = None, limit: int = 50
    ) -> list[JobRun]:
        check_limit(limit)
        where, params = _where(job=job, status=None if status is None else JobStatus(status).value)
        rows = self._read(
            f"SELECT data FROM job_runs{where} ORDER BY started_at DESC, run_id LIMIT ?",
            [*params, limit],
        )
        return [JobRun.model_validate_json(r[0]) for r in rows]

    def save_backtest(self, result: BacktestResult) -> WriteResult:
        check_record(result, BacktestResult)
        data = _dump(result)
        summary = _dump(BacktestSummary.of(result))
        with self._write("save_backtest", "backtests") as (conn, audit):
            row = conn.execute(
                "SELECT data FROM backtests WHERE backtest_id = ?", (result.backtest_id,)
            ).fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO backtests (backtest_id, created_at, data, summary)"
                    " VALUES (?, ?, ?, ?)",
                    (result.backtest_id, _ms(result.created_at), data, summary),
                )
                out = WriteResult(inserted=1)
            elif row[0] != data:
                conn.execute(
                    "UPDATE backtests SET created_at = ?, data = ?, summary = ?"
                    " WHERE backtest_id = ?",
                    (_ms(result.created_at), data, summary, result.backtest_id),
                )
                out = WriteResult(updated=1)
            else:
                out = WriteResult(unchanged=1)
            audit["count"] = out.inserted + out.updated
            audit["detail"] = {"backtest_id": result.backtest_id, "strategy": result.strategy}
        return out

    def get_backtest(self, backtest_id: str) -> BacktestResult | None:
        return _one(
            self._read("SELECT data FROM backtests WHERE backtest_id = ?", [backtest_id]),
            BacktestResult,
        )

    def list_backtests(self, limit: int = 50, offset: int = 0) -> list[BacktestSummary]:
        check_limit(limit)
        check_offset(offset)
        rows = self._read(
            "SELECT summary, CASE WHEN summary IS NULL THEN data END FROM backtests"
            " ORDER BY created_at DESC, backtest_id LIMIT ? OFFSET ?",
            [limit, offset],
        )
        return [
            BacktestSummary.model_validate_json(summary)
            if summary is not None
            else BacktestSummary.of(BacktestResult.model_validate_json(data))
            for summary, data in rows
        ]

    def count_backtests(self) -> int:
        return int(self._read("SELECT count(*) FROM backtests", [])[0][0])

    def list_audit(
        self,
        operation: str | None = None,
        collection: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
    ) -> list[AuditEntry]:
        check_limit(limit)
        since_ms = None if since is None else int(time_range(since, None)[0] or 0) * 1000
        where, params = _where(operation=operation, collection=collection, ts__ge=since_ms)
        rows = self._read(
            "SELECT ts, operation, collection, count, actor, detail FROM audit"
            f"{where} ORDER BY id DESC LIMIT ?",
            [*params, limit],
        )
        return [
            AuditEntry(
                ts=_from_ms(ts),
                operation=op,
                collection=coll,
                count=count,
                actor=actor,
                detail=json.loads(detail),
            )
            for ts, op, coll, count, actor, detail in rows
        ]


# -- module helpers ------------------------------------------------------------------


def _where(**fields: Any) -> tuple[str, list[Any]]:
    """A WHERE clause for the arguments that are not None.

    `col=value` is equality, `col=[…]` is IN, `col__ge=value` is `col >= value`.
    """
    clauses, params = [], []
    for name, value in fields.items():
        if value is None:
            continue
        if name.endswith("__ge"):
            clauses.append(f"{name.removesuffix('__ge')} >= ?")
            params.append(value)
        elif isinstance(value, list | tuple):
            clauses.append(f"{name} IN ({','.join('?' * len(value))})")
            params += value
        else:
            clauses.append(f"{name} = ?")
            params.append(value)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _rollback(conn: sqlite3.Connection) -> bool:
    """Undo the open transaction, if SQLite has not already (it rolls back by itself on a
    full disk, say): a failing ROLLBACK must never hide the error that led to it. False
    when the connection is still inside a transaction afterwards."""
    if conn.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
    return not conn.in_transaction


def _split_sql(script: str) -> list[str]:
    """Statements of a migration; triggers keep their inner semicolons."""
    out, buf = [], []
    for line in script.strip().splitlines():
        buf.append(line)
        joined = "\n".join(buf).strip()
        if joined.endswith(";") and sqlite3.complete_statement(joined):
            out.append(joined)
            buf = []
    if "\n".join(buf).strip():
        out.append("\n".join(buf))
    return out


def _chunks[T](items: list[T], size: int) -> Iterator[list[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _groups(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(each code, where its rows start) of rows sorted by code, without another sort."""
    if len(codes) == 0:
        return codes, np.zeros(0, dtype=np.int64)
    starts = np.concatenate(([0], np.flatnonzero(codes[1:] != codes[:-1]) + 1))
    return codes[starts], starts


def _bar_rows(s: BarSeries) -> Iterator[tuple[Any, ...]]:
    """Parameter rows for executemany (code, ts, o, h, l, c, v, value) of rows sorted by code.

    Codes repeat hundreds of times in a batch; reusing one str object per code is
    much cheaper than `tolist()` making a new string for every row.
    """
    values = s.value.tolist()
    if NO_VALUE in values:
        values = [None if v == NO_VALUE else v for v in values]
    codes, starts = _groups(s.code)
    counts = np.diff(np.append(starts, len(s)))
    code_col = list(
        itertools.chain.from_iterable(
            itertools.repeat(c, k) for c, k in zip(codes.tolist(), counts.tolist(), strict=True)
        )
    )
    return zip(
        code_col,
        s.ts.tolist(),
        s.open.tolist(),
        s.high.tolist(),
        s.low.tolist(),
        s.close.tolist(),
        s.volume.tolist(),
        values,
        strict=True,
    )


def _dump(record: BaseModel) -> str:
    return record.model_dump_json()


def _one[M: BaseModel](rows: list[tuple[Any, ...]], kind: type[M]) -> M | None:
    return kind.model_validate_json(rows[0][0]) if rows else None


def _rows(conn: sqlite3.Connection, table: str, key: str, value: str) -> list[tuple[Any, ...]]:
    return conn.execute(f"SELECT data FROM {table} WHERE {key} = ?", (value,)).fetchall()


def _cas[M: BaseModel](
    conn: sqlite3.Connection, table: str, key: str, value: str, record: M, **extra: Any
) -> M:
    """Compare-and-set on `version`: store `record` as version+1 only if nobody moved it."""
    version = record.version  # type: ignore[attr-defined]
    new = record.model_copy(update={"version": version + 1})
    sets = ", ".join(f"{col} = ?" for col in extra)
    changed = conn.execute(
        f"UPDATE {table} SET version = ?, data = ?{', ' + sets if sets else ''}"
        f" WHERE {key} = ? AND version = ?",
        (version + 1, _dump(new), *extra.values(), value, version),
    ).rowcount
    if changed == 0:
        row = conn.execute(f"SELECT version FROM {table} WHERE {key} = ?", (value,)).fetchone()
        if row is None:
            raise NotFound(f"{table}의 {value}가 없습니다")
        raise VersionConflict(
            f"{table}의 {value}가 그사이 바뀌었습니다 (읽은 버전 {version}, 현재 {row[0]}); "
            "다시 읽고 시도하세요"
        )
    return new


def _put_position(conn: sqlite3.Connection, position: Position) -> Position:
    if position.version == 0:
        new = position.model_copy(update={"version": 1})
        try:
            conn.execute(
                "INSERT INTO positions VALUES (?, ?, 1, ?)",
                (position.account_id, position.code, _dump(new)),
            )
        except sqlite3.IntegrityError:
            raise VersionConflict(
                f"포지션 {position.account_id}/{position.code}가 이미 있습니다; "
                "다시 읽고 시도하세요"
            ) from None
        return new
    version = position.version
    new = position.model_copy(update={"version": version + 1})
    changed = conn.execute(
        "UPDATE positions SET version = ?, data = ?"
        " WHERE account_id = ? AND code = ? AND version = ?",
        (version + 1, _dump(new), position.account_id, position.code, version),
    ).rowcount
    if changed == 0:
        raise VersionConflict(
            f"포지션 {position.account_id}/{position.code}가 그사이 바뀌었거나 없습니다 "
            f"(버전 {version})"
        )
    return new


_INSTRUMENT_COLUMNS = "code, name, market, kind, listed_on, source"


def _instrument(row: tuple[Any, ...]) -> Instrument:
    code, name, market, kind, listed_on, source = row
    return Instrument(
        code=code,
        name=name,
        market=market,
        kind=kind,
        listed_on=date.fromisoformat(listed_on) if listed_on else None,
        source=source,
    )


def _aware_since(since: datetime) -> datetime:
    if since.tzinfo is None:
        raise ValueError("since에는 시간대가 있는 시각을 주세요 (예: 2024-11-15T00:00+09:00)")
    return since
