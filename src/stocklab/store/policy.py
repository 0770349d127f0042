"""The store's policy, written once for every backend.

Every public operation of `Store` lives here: the validation of what comes in, the
read-only guard, the insert/update/unchanged decisions, optimistic versions, and one
audit entry per write, appended inside the write's own transaction. A backend implements
only the primitives below (`_transaction`, `_append_audit`, the record primitives keyed
by table and the area queries), each handed values that are already checked.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
from pydantic import BaseModel

from stocklab.barseries import BarSeries
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
    order_detail,
    status_values,
    time_range,
)

log = logging.getLogger("stocklab.store")

Key = tuple[str, ...]

KEY_SHIFT = 34  # bar key = code index << 34 | epoch seconds (good to the year 2514)


class KeyTaken(Exception):
    """Raised by a backend's `_insert` when the key is stored already."""


@dataclass(slots=True)
class AuditNote:
    """What the write's body tells its audit entry: how many records, and what."""

    count: int = 0
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FlowQuery:
    """A checked flow query: one code, optionally one kind, days as ISO text (inclusive)."""

    code: str
    kind: str | None
    start: str | None
    end: str | None
    limit: int | None


@dataclass(frozen=True, slots=True)
class SeriesNote:
    """One code's part of a bar write, for the overview: rows added and their span."""

    code: str
    added: int
    first: int
    last: int


def _key_text(key: Key) -> str:
    return "/".join(key)


def account_key(account_id: str) -> Key:
    return (account_id,)


def position_key(account_id: str, code: str) -> Key:
    return (account_id, code)


def fill_key(fill: Fill) -> Key:
    return (fill.account_id, fill.fill_id)


def groups(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(each code, where its rows start) of rows sorted by code, without another sort."""
    if len(codes) == 0:
        return codes, np.zeros(0, dtype=np.int64)
    starts = np.concatenate(([0], np.flatnonzero(codes[1:] != codes[:-1]) + 1))
    return codes[starts], starts


class StorePolicy:
    """`Store` over a backend's primitives; a backend class derives from it."""

    actor: str
    readonly: bool
    atomic: bool = True
    """Whether `_transaction` is all or nothing across records (else versions are
    checked before the first write of a multi-record change)."""

    # -- primitives: the transaction and the audit log -------------------------------

    def _transaction(self) -> AbstractContextManager[Any]:
        """One write transaction; yields the handle the record primitives take."""
        raise NotImplementedError

    def _append_audit(self, tx: Any, entry: AuditEntry) -> None:
        raise NotImplementedError

    # -- primitives: records keyed by table ------------------------------------------

    def _get[M: BaseModel](self, tx: Any, table: str, key: Key, kind: type[M]) -> M | None:
        """The record stored under `key` (`tx` None: a read outside any write)."""
        raise NotImplementedError

    def _version_of(self, tx: Any, table: str, key: Key) -> int | None:
        raise NotImplementedError

    def _insert(self, tx: Any, table: str, key: Key, record: BaseModel) -> None:
        """Insert a new record; `KeyTaken` if the key is stored already."""
        raise NotImplementedError

    def _replace(
        self, tx: Any, table: str, key: Key, record: BaseModel, version: int | None
    ) -> bool:
        """Store `record` under `key`: an upsert when `version` is None, else only where
        the stored version is `version` (False when nothing matched)."""
        raise NotImplementedError

    # -- the write --------------------------------------------------------------------

    def _guard(self, operation: str) -> None:
        """The read-only guard, before anything else of a write is looked at."""
        if self.readonly:
            raise ReadOnlyError(f"읽기 전용 저장소에는 쓸 수 없습니다 ({operation})")

    @contextmanager
    def _write(self, operation: str, collection: str) -> Iterator[tuple[Any, AuditNote]]:
        """One atomic write plus its audit entry; the body fills in the note."""
        self._guard(operation)
        note = AuditNote()
        with self._transaction() as tx:
            yield tx, note
            detail = json.loads(json.dumps(note.detail, ensure_ascii=False, default=str))
            entry = AuditEntry(
                ts=now_kst(),
                operation=operation,
                collection=collection,
                count=note.count,
                actor=self.actor,
                detail=detail,
            )
            self._append_audit(tx, entry)
        log.debug(
            "%s %s count=%d actor=%s %s", operation, collection, note.count, self.actor, detail
        )

    def _cas[M: BaseModel](self, tx: Any, table: str, key: Key, record: M) -> M:
        """Compare-and-set on `version`: store `record` as version+1 only if nobody moved it."""
        version = record.version  # type: ignore[attr-defined]
        new = record.model_copy(update={"version": version + 1})
        if not self._replace(tx, table, key, new, version):
            current = self._version_of(tx, table, key)
            if current is None:
                raise NotFound(f"{table}의 {_key_text(key)}가 없습니다")
            raise VersionConflict(
                f"{table}의 {_key_text(key)}가 그사이 바뀌었습니다 (읽은 버전 {version}, "
                f"현재 {current}); 다시 읽고 시도하세요"
            )
        return new

    def _put_position(self, tx: Any, position: Position) -> Position:
        key = position_key(position.account_id, position.code)
        if position.version == 0:
            new = position.model_copy(update={"version": 1})
            try:
                self._insert(tx, "positions", key, new)
            except KeyTaken:
                raise VersionConflict(
                    f"포지션 {_key_text(key)}가 이미 있습니다; 다시 읽고 시도하세요"
                ) from None
            return new
        new = position.model_copy(update={"version": position.version + 1})
        if not self._replace(tx, "positions", key, new, position.version):
            raise VersionConflict(
                f"포지션 {_key_text(key)}가 그사이 바뀌었거나 없습니다 (버전 {position.version})"
            )
        return new

    # -- market data: primitives ------------------------------------------------------

    def _instruments_of(self, tx: Any, codes: list[str]) -> dict[str, Instrument]:
        raise NotImplementedError

    def _write_instruments(self, tx: Any, new: list[Instrument], changed: list[Instrument]) -> None:
        raise NotImplementedError

    def _flows_of(self, tx: Any, rows: list[Flow]) -> dict[tuple[str, str, str], Flow]:
        raise NotImplementedError

    def _write_flows(self, tx: Any, new: list[Flow], changed: list[Flow]) -> None:
        raise NotImplementedError

    def _series_spans(self, tx: Any, tf: str, codes: list[str]) -> dict[str, tuple[int, int]]:
        """(first, last) epoch seconds stored of each of `codes` that has bars."""
        raise NotImplementedError

    def _stored_bars(self, tx: Any, code: str, tf: str, lo: int, hi: int) -> np.ndarray:
        """Stored rows of one code in [lo, hi], by time: int64 (n, 7) ts, o, h, l, c, v, value."""
        raise NotImplementedError

    def _write_bars(self, tx: Any, new: BarSeries, changed: BarSeries) -> None:
        raise NotImplementedError

    def _note_series(self, tx: Any, tf: str, notes: list[SeriesNote], source: str) -> None:
        """Keep the overview (count, first, last, source per code) in step with a write."""
        raise NotImplementedError

    def _delete_bars(self, tx: Any, code: str, tf: str, lo: int, hi: int) -> int:
        """Delete, and bring that code's overview row in step (gone when no bar is left)."""
        raise NotImplementedError

    # -- market data ------------------------------------------------------------------

    def upsert_instruments(self, items: Iterable[Instrument]) -> WriteResult:
        self._guard("upsert_instruments")
        rows = check_instruments(items)
        with self._write("upsert_instruments", "instruments") as (tx, note):
            stored = self._instruments_of(tx, [r.code for r in rows])
            new = [r for r in rows if r.code not in stored]
            changed = [r for r in rows if r.code in stored and stored[r.code] != r]
            self._write_instruments(tx, new, changed)
            result = WriteResult(len(new), len(changed), len(rows) - len(new) - len(changed))
            note.count = len(new) + len(changed)
            note.detail = result.detail()
        return result

    def save_bars(self, bars: BarSeries | Iterable[Bar], source: str = "unknown") -> WriteResult:
        self._guard("save_bars")
        series = bars_to_series(bars)
        check_source(source)
        if len(series) == 0:
            return WriteResult()
        s = series.sorted()
        tf = s.timeframe.value
        codes, starts = groups(s.code)
        ends = np.append(starts[1:], len(s))
        with self._write("save_bars", "bars") as (tx, note):
            known = self._series_spans(tx, tf, codes.tolist())
            # Read back what is stored in each code's range, as packed keys and values.
            ex_keys: list[np.ndarray] = []
            ex_vals: list[np.ndarray] = []
            for idx, (code, a, b) in enumerate(zip(codes.tolist(), starts, ends, strict=True)):
                lo, hi = int(s.ts[a]), int(s.ts[b - 1])
                span = known.get(code)
                if span is None or hi < span[0] or lo > span[1]:
                    continue
                arr = self._stored_bars(tx, code, tf, lo, hi)
                if len(arr):
                    ex_keys.append((np.int64(idx) << KEY_SHIFT) | arr[:, 0])
                    ex_vals.append(arr[:, 1:])
            code_idx = np.repeat(np.arange(len(codes), dtype=np.int64), ends - starts)
            keys = (code_idx << KEY_SHIFT) | s.ts
            new_mask = np.ones(len(s), dtype=bool)
            changed_mask = np.zeros(len(s), dtype=bool)
            if ex_keys:
                ekeys = np.concatenate(ex_keys)
                evals = np.concatenate(ex_vals)
                pos = np.minimum(np.searchsorted(ekeys, keys), len(ekeys) - 1)
                found = ekeys[pos] == keys
                new_mask = ~found
                mine = np.column_stack((s.open, s.high, s.low, s.close, s.volume, s.value))
                changed_mask = found & (evals[pos] != mine).any(axis=1)
            self._write_bars(tx, s.take(new_mask), s.take(changed_mask))
            added = np.add.reduceat(new_mask.astype(np.int64), starts)
            self._note_series(
                tx,
                tf,
                [
                    SeriesNote(code, int(n), int(s.ts[a]), int(s.ts[b - 1]))
                    for code, a, b, n in zip(codes.tolist(), starts, ends, added, strict=True)
                ],
                source,
            )
            inserted, updated = int(new_mask.sum()), int(changed_mask.sum())
            result = WriteResult(inserted, updated, len(s) - inserted - updated)
            note.count = inserted + updated
            note.detail = {
                **result.detail(),
                "timeframe": tf,
                "codes": len(codes),
                "source": source,
            }
        return result

    def delete_bars(
        self,
        code: str,
        timeframe: Timeframe | str,
        start: datetime | date | None = None,
        end: datetime | date | None = None,
    ) -> int:
        self._guard("delete_bars")
        code = check_code(code)
        tf = Timeframe(timeframe).value
        lo, hi = time_range(start, end)
        with self._write("delete_bars", "bars") as (tx, note):
            deleted = self._delete_bars(
                tx, code, tf, -(2**62) if lo is None else lo, 2**62 if hi is None else hi
            )
            note.count = deleted
            note.detail = {"code": code, "timeframe": tf, "start": start, "end": end}
        return deleted

    def save_flows(self, flows: Iterable[Flow]) -> WriteResult:
        self._guard("save_flows")
        rows = check_flows(flows)
        with self._write("save_flows", "flows") as (tx, note):
            stored = self._flows_of(tx, rows)
            new, changed = [], []
            for flow in rows:
                before = stored.get((flow.code, flow.kind.value, flow.day.isoformat()))
                if before is None:
                    new.append(flow)
                elif before != flow:
                    changed.append(flow)
            self._write_flows(tx, new, changed)
            result = WriteResult(len(new), len(changed), len(rows) - len(new) - len(changed))
            note.count = len(new) + len(changed)
            note.detail = result.detail()
        return result

    def _list_instruments(
        self, market: str | None, query: str | None, limit: int, offset: int
    ) -> list[Instrument]:
        raise NotImplementedError

    def _count_instruments(self, market: str | None, query: str | None) -> int:
        raise NotImplementedError

    def _load_bars(
        self, code: str, tf: Timeframe, lo: int | None, hi: int | None, limit: int | None
    ) -> BarSeries:
        raise NotImplementedError

    def _cross_section(self, tf: Timeframe, at: int) -> BarSeries:
        raise NotImplementedError

    def _bar_overview(self, code: str | None) -> list[BarCoverage]:
        raise NotImplementedError

    def _load_flows(self, q: FlowQuery) -> list[Flow]:
        """Flows of one code, by day then kind."""
        raise NotImplementedError

    def list_instruments(
        self,
        market: Market | None = None,
        query: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Instrument]:
        check_limit(limit)
        check_offset(offset)
        return self._list_instruments(_market(market), _query(query), limit, offset)

    def count_instruments(self, market: Market | None = None, query: str | None = None) -> int:
        return self._count_instruments(_market(market), _query(query))

    def get_instrument(self, code: str) -> Instrument | None:
        code = check_code(code)
        return self._instruments_of(None, [code]).get(code)

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
        return self._load_bars(code, tf, lo, hi, limit)

    def cross_section(self, timeframe: Timeframe | str, ts: datetime) -> BarSeries:
        tf = Timeframe(timeframe)
        at, _ = time_range(ts, None)
        return self._cross_section(tf, int(at or 0))

    def bar_overview(self, code: str | None = None) -> list[BarCoverage]:
        return self._bar_overview(None if code is None else check_code(code))

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
        return self._load_flows(
            FlowQuery(
                code,
                None if kind is None else FlowKind(kind).value,
                None if start is None else start.isoformat(),
                None if end is None else end.isoformat(),
                limit or None,
            )
        )

    # -- ledger -----------------------------------------------------------------------

    def _list_orders(
        self, account_id: str | None, statuses: list[str] | None, limit: int
    ) -> list[Order]:
        raise NotImplementedError

    def _list_fills(
        self, account_id: str | None, client_id: str | None, limit: int, since: datetime | None
    ) -> list[Fill]:
        raise NotImplementedError

    def _list_positions(self, account_id: str) -> list[Position]:
        raise NotImplementedError

    def create_account(self, account: Account) -> Account:
        self._guard("create_account")
        check_record(account, Account)
        stored = account.model_copy(update={"version": 1})
        with self._write("create_account", "accounts") as (tx, note):
            key = account_key(account.account_id)
            if self._get(tx, "accounts", key, Account) is not None:
                raise DuplicateKey(f"계좌 {account.account_id}가 이미 있습니다")
            try:
                self._insert(tx, "accounts", key, stored)
            except KeyTaken:
                raise DuplicateKey(f"계좌 {account.account_id}가 이미 있습니다") from None
            note.count = 1
            note.detail = {"account_id": account.account_id, "cash": account.cash}
        return stored

    def update_account(self, account: Account) -> Account:
        self._guard("update_account")
        check_record(account, Account)
        with self._write("update_account", "accounts") as (tx, note):
            new = self._cas(tx, "accounts", account_key(account.account_id), account)
            note.count = 1
            note.detail = {"account_id": account.account_id, "version": new.version}
        return new

    def get_account(self, account_id: str) -> Account | None:
        return self._get(None, "accounts", account_key(account_id), Account)

    def insert_order(self, order: Order) -> Order:
        self._guard("insert_order")
        check_record(order, Order)
        stored = order.model_copy(update={"version": 1})
        key = (order.client_id,)
        with self._write("insert_order", "orders") as (tx, note):
            existing = self._get(tx, "orders", key, Order)
            if existing is None:
                try:
                    self._insert(tx, "orders", key, stored)
                except KeyTaken:  # another writer's, between the read and the insert
                    existing = self._get(tx, "orders", key, Order)
            if existing is not None:
                if existing.request != order.request:
                    raise DuplicateKey(
                        f"주문 {order.client_id}가 다른 내용으로 이미 있습니다 (client_id 재사용)"
                    )
                note.detail = {"client_id": order.client_id, "duplicate": True}
                return existing
            note.count = 1
            note.detail = order_detail(stored)
        return stored

    def update_order(self, order: Order) -> Order:
        self._guard("update_order")
        check_record(order, Order)
        with self._write("update_order", "orders") as (tx, note):
            new = self._cas(tx, "orders", (order.client_id,), order)
            note.count = 1
            note.detail = order_detail(new)
        return new

    def get_order(self, client_id: str) -> Order | None:
        return self._get(None, "orders", (client_id,), Order)

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
        return self._list_orders(account_id, None if wanted is None else list(wanted), limit)

    def list_fills(
        self,
        account_id: str | None = None,
        client_id: str | None = None,
        limit: int = 1000,
        since: datetime | None = None,
    ) -> list[Fill]:
        check_limit(limit)
        if since is not None and since.tzinfo is None:
            raise ValueError("since에는 시간대가 있는 시각을 주세요 (예: 2024-11-15T00:00+09:00)")
        return self._list_fills(account_id, client_id, limit, since)

    def save_position(self, position: Position) -> Position:
        self._guard("save_position")
        check_record(position, Position)
        with self._write("save_position", "positions") as (tx, note):
            new = self._put_position(tx, position)
            note.count = 1
            note.detail = {
                "account_id": position.account_id,
                "code": position.code,
                "qty": position.qty,
            }
        return new

    def get_position(self, account_id: str, code: str) -> Position | None:
        return self._get(None, "positions", position_key(account_id, check_code(code)), Position)

    def list_positions(self, account_id: str) -> list[Position]:
        return self._list_positions(account_id)

    def _check_versions(self, tx: Any, order: Order, position: Position, account: Account) -> None:
        """Without transactions, refuse stale records before the first write, not midway."""
        for table, key, version in (
            ("orders", (order.client_id,), order.version),
            ("positions", position_key(position.account_id, position.code), position.version),
            ("accounts", account_key(account.account_id), account.version),
        ):
            current = self._version_of(tx, table, key) or 0
            if current != version:
                raise VersionConflict(
                    f"{table}의 {_key_text(key)}가 그사이 바뀌었습니다 (읽은 버전 {version}, "
                    f"현재 {current}); 다시 읽고 시도하세요"
                )

    def apply_fill(
        self, fill: Fill, order: Order, position: Position, account: Account
    ) -> FillOutcome:
        self._guard("apply_fill")
        for value, kind in ((fill, Fill), (order, Order), (position, Position), (account, Account)):
            check_record(value, kind)
        check_fill_matches(fill, order, position, account)
        pos_key = position_key(position.account_id, position.code)
        with self._write("apply_fill", "fills") as (tx, note):
            existing = self._get(tx, "fills", fill_key(fill), Fill)
            if existing is not None:
                if existing != fill:
                    raise DuplicateKey(f"체결 {fill.fill_id}가 다른 내용으로 이미 있습니다")
                note.detail = {"fill_id": fill.fill_id, "duplicate": True}
                return FillOutcome(
                    False,
                    _must(self._get(tx, "orders", (order.client_id,), Order)),
                    _must(self._get(tx, "positions", pos_key, Position)),
                    _must(self._get(tx, "accounts", account_key(account.account_id), Account)),
                )
            if not self.atomic:
                self._check_versions(tx, order, position, account)
            self._insert(tx, "fills", fill_key(fill), fill)
            outcome = FillOutcome(
                True,
                self._cas(tx, "orders", (order.client_id,), order),
                self._put_position(tx, position),
                self._cas(tx, "accounts", account_key(account.account_id), account),
            )
            note.count = 1
            note.detail = fill_detail(fill)
        return outcome

    # -- operations and audit ---------------------------------------------------------

    def _list_job_runs(self, job: str | None, status: str | None, limit: int) -> list[JobRun]:
        raise NotImplementedError

    def _list_backtests(self, limit: int, offset: int) -> list[BacktestSummary]:
        raise NotImplementedError

    def _count_backtests(self) -> int:
        raise NotImplementedError

    def _list_audit(
        self, operation: str | None, collection: str | None, since: int | None, limit: int
    ) -> list[AuditEntry]:
        """Newest first; `since` in epoch seconds."""
        raise NotImplementedError

    def save_job_run(self, run: JobRun) -> JobRun:
        self._guard("save_job_run")
        check_record(run, JobRun)
        with self._write("save_job_run", "job_runs") as (tx, note):
            self._replace(tx, "job_runs", (run.run_id,), run, None)
            note.count = 1
            note.detail = {"run_id": run.run_id, "job": run.job, "status": run.status.value}
        return run

    def get_job_run(self, run_id: str) -> JobRun | None:
        return self._get(None, "job_runs", (run_id,), JobRun)

    def list_job_runs(
        self, job: str | None = None, status: JobStatus | None = None, limit: int = 50
    ) -> list[JobRun]:
        check_limit(limit)
        return self._list_job_runs(job, None if status is None else JobStatus(status).value, limit)

    def save_backtest(self, result: BacktestResult) -> WriteResult:
        self._guard("save_backtest")
        check_record(result, BacktestResult)
        key = (result.backtest_id,)
        with self._write("save_backtest", "backtests") as (tx, note):
            before = self._get(tx, "backtests", key, BacktestResult)
            if before is None:
                self._insert(tx, "backtests", key, result)
                out = WriteResult(inserted=1)
            elif before != result:
                self._replace(tx, "backtests", key, result, None)
                out = WriteResult(updated=1)
            else:
                out = WriteResult(unchanged=1)
            note.count = out.inserted + out.updated
            note.detail = {"backtest_id": result.backtest_id, "strategy": result.strategy}
        return out

    def get_backtest(self, backtest_id: str) -> BacktestResult | None:
        return self._get(None, "backtests", (backtest_id,), BacktestResult)

    def list_backtests(self, limit: int = 50, offset: int = 0) -> list[BacktestSummary]:
        check_limit(limit)
        check_offset(offset)
        return self._list_backtests(limit, offset)

    def count_backtests(self) -> int:
        return self._count_backtests()

    def audit_event(self, operation: str, collection: str, detail: dict[str, object]) -> None:
        with self._write(operation, collection) as (_tx, note):
            note.detail = dict(detail)

    def list_audit(
        self,
        operation: str | None = None,
        collection: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
    ) -> list[AuditEntry]:
        check_limit(limit)
        since_s = None if since is None else int(time_range(since, None)[0] or 0)
        return self._list_audit(operation, collection, since_s, limit)


def _market(market: Market | None) -> str | None:
    return None if market is None else Market(market).value


def _query(query: str | None) -> str | None:
    return query.strip() if query else None


def _must[M: BaseModel](record: M | None) -> M:
    if record is None:
        raise NotFound("레코드가 없습니다")
    return record
