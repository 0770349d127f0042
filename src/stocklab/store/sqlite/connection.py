"""The SQLite backend's connection: one file in WAL mode, shared safely by many processes.

Why it holds up under several writers: every write is one `BEGIN IMMEDIATE` transaction
(writers queue on the lock instead of failing on an upgrade), a long busy timeout plus a
retry loop absorbs contention, and WAL lets readers run beside a writer. A process killed
mid-write leaves no partial batch, because a transaction is all or nothing; the audit
entry goes in the same transaction. Errors of the file or the disk become typed
`StoreError`s here, and migrations run on open.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel

from stocklab.barseries import from_epoch
from stocklab.model import (
    AuditEntry,
    BacktestSummary,
)
from stocklab.store.base import (
    StoreCorrupt,
    StoreError,
    StoreFull,
    StoreMissing,
    StoreReader,
    StoreUnavailable,
)
from stocklab.store.policy import Key, KeyTaken, StorePolicy
from stocklab.store.records import from_json, to_json
from stocklab.store.sqlite.schema import MIGRATIONS, SCHEMA_VERSION

log = logging.getLogger("stocklab.store")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_BUSY_DEADLINE_S = 120.0

_HEALTH_TTL_S = 30.0

"""How long a passed integrity check stands while the file changes (a scan reads it all)."""

_LOW_DISK = 16 * 2**20

"""Free bytes under which health says degraded: collecting a day's bars takes megabytes."""


class SqliteBase(StorePolicy):
    """Connections, transactions and health of one SQLite file (one per process, a
    connection per thread)."""

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
    def blank(cls, path: str | Path, *, actor: str = "stocklab") -> Self:
        """A read-only view of a database not made yet: every read answers nothing, as an
        empty store would, and nothing is created (each connection is an in-memory schema)."""
        return cls(path, actor=actor, readonly=True, _blank=True)

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
        return type(self)(self.path, actor=self.actor, readonly=True)

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
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One `BEGIN IMMEDIATE` transaction: all of it is committed, or none."""
        with self._translated():
            conn = self._conn
            self._retry(lambda: conn.execute("BEGIN IMMEDIATE"))
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if not _rollback(conn):  # a connection stuck in a transaction is let go
                    self._drop(conn)
                raise

    def _append_audit(self, tx: sqlite3.Connection, entry: AuditEntry) -> None:
        tx.execute(
            "INSERT INTO audit (ts, operation, collection, count, actor, detail)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                _ms(entry.ts),
                entry.operation,
                entry.collection,
                entry.count,
                entry.actor,
                json.dumps(entry.detail, ensure_ascii=False, default=str),
            ),
        )

    def _rows_of(
        self, tx: sqlite3.Connection | None, sql: str, params: Iterable[Any] = ()
    ) -> list[tuple[Any, ...]]:
        """Rows inside the write `tx`, or a read of their own when `tx` is None."""
        if tx is None:
            return self._read(sql, params)
        return tx.execute(sql, tuple(params)).fetchall()

    # -- records keyed by table -------------------------------------------------------

    def _get[M: BaseModel](
        self, tx: sqlite3.Connection | None, table: str, key: Key, kind: type[M]
    ) -> M | None:
        where = _key_where(table)
        rows = self._rows_of(tx, f"SELECT data FROM {table} WHERE {where}", key)
        return from_json(kind, rows[0][0]) if rows else None

    def _version_of(self, tx: sqlite3.Connection | None, table: str, key: Key) -> int | None:
        rows = self._rows_of(tx, f"SELECT version FROM {table} WHERE {_key_where(table)}", key)
        return rows[0][0] if rows else None

    def _insert(self, tx: sqlite3.Connection, table: str, key: Key, record: BaseModel) -> None:
        columns = {**dict(zip(_TABLES[table][0], key, strict=True)), **_extra(table, record)}
        names = ", ".join([*columns, "data"])
        marks = ", ".join("?" * (len(columns) + 1))
        try:
            tx.execute(
                f"INSERT INTO {table} ({names}) VALUES ({marks})",
                (*columns.values(), _dump(record)),
            )
        except sqlite3.IntegrityError:
            raise KeyTaken(table) from None

    def _replace(
        self,
        tx: sqlite3.Connection,
        table: str,
        key: Key,
        record: BaseModel,
        version: int | None,
    ) -> bool:
        extra = _extra(table, record)
        sets = ", ".join(f"{col} = ?" for col in [*extra, "data"])
        values = (*extra.values(), _dump(record))
        if version is None:
            keys = dict(zip(_TABLES[table][0], key, strict=True))
            names = ", ".join([*keys, *extra, "data"])
            marks = ", ".join("?" * (len(keys) + len(values)))
            tx.execute(
                f"INSERT INTO {table} ({names}) VALUES ({marks})"
                f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}",
                (*keys.values(), *values, *values),
            )
            return True
        return (
            tx.execute(
                f"UPDATE {table} SET {sets} WHERE {_key_where(table)} AND version = ?",
                (*values, *key, version),
            ).rowcount
            > 0
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


def _dump(record: BaseModel) -> str:
    return to_json(record)


def _one[M: BaseModel](rows: list[tuple[Any, ...]], kind: type[M]) -> M | None:
    return from_json(kind, rows[0][0]) if rows else None


def _rows(conn: sqlite3.Connection, table: str, key: str, value: str) -> list[tuple[Any, ...]]:
    return conn.execute(f"SELECT data FROM {table} WHERE {key} = ?", (value,)).fetchall()


_TABLES: dict[str, tuple[tuple[str, ...], Callable[[Any], dict[str, Any]]]] = {
    "accounts": (("account_id",), lambda r: {"version": r.version}),
    "orders": (
        ("client_id",),
        lambda r: {
            "account_id": r.account_id,
            "status": r.status.value,
            "created_at": _ms(r.created_at),
            "version": r.version,
        },
    ),
    "positions": (("account_id", "code"), lambda r: {"version": r.version}),
    "fills": (("account_id", "fill_id"), lambda r: {"client_id": r.client_id, "ts": _ms(r.ts)}),
    "job_runs": (
        ("run_id",),
        lambda r: {"job": r.job, "status": r.status.value, "started_at": _ms(r.started_at)},
    ),
    "backtests": (
        ("backtest_id",),
        lambda r: {
            "created_at": _ms(r.created_at),
            "summary": BacktestSummary.of(r).model_dump_json(),
        },
    ),
}
"""Each record table: its key columns, and the columns kept beside `data` for queries."""


def _key_where(table: str) -> str:
    return " AND ".join(f"{col} = ?" for col in _TABLES[table][0])


def _extra(table: str, record: BaseModel) -> dict[str, Any]:
    return _TABLES[table][1](record)
