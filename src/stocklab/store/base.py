"""The storage module's contract: domain operations, never a query pass-through.

The interfaces are small and by area — `MarketData`, `Ledger`, `Operations`, `Audit`,
each with a read-only view — and `Store` is all of them; a caller may take just the area
it needs. Every backend implements `Store` by deriving from `store.policy.StorePolicy`;
readers (the API's GET routes) get a `StoreReader`.
Writes are validated, idempotent where a natural key exists, and each leaves one
`AuditEntry` (time, operation, collection, count, actor) in an append-only log.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Protocol, runtime_checkable

from stocklab.barseries import BarSeries
from stocklab.errors import StorageFailure
from stocklab.model import (
    KST,
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
)

MAX_LIMIT = 100_000
"""The most rows one read may ask for; larger requests must page."""


class StoreError(Exception):
    """Base of the storage module's errors; messages are meant for the user."""


class StoreUnavailable(StoreError, StorageFailure):
    """The database cannot be opened, reached or written (the server's trouble: 503, exit 1)."""


class StoreFull(StoreUnavailable):
    """The disk (or the database's size limit) is full; the write was not stored."""


class StoreCorrupt(StoreUnavailable):
    """The database file is damaged or is not a database."""


class StoreMissing(StoreUnavailable):
    """A read found no database yet (a fresh data directory); nothing was created."""

    def __init__(self, message: str, *, path: Path) -> None:
        super().__init__(message)
        self.path = path


class NotFound(StoreError):
    """The record to change does not exist."""


class VersionConflict(StoreError):
    """Someone else changed the record since it was read (optimistic versioning)."""


class DuplicateKey(StoreError):
    """A record with this key exists with different content."""


class ReadOnlyError(StoreError):
    """A write was attempted through a read-only view."""


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What a bulk write did. Rewriting identical rows counts as `unchanged`."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.unchanged

    def detail(self) -> dict[str, int]:
        """The counts, as the audit log records them."""
        return {"inserted": self.inserted, "updated": self.updated, "unchanged": self.unchanged}

    def __add__(self, other: WriteResult) -> WriteResult:
        return WriteResult(
            self.inserted + other.inserted,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
        )


@dataclass(frozen=True, slots=True)
class BarCoverage:
    """What the store holds of one code in one timeframe."""

    code: str
    timeframe: Timeframe
    count: int
    first: datetime
    last: datetime
    source: str | None = None


@dataclass(frozen=True, slots=True)
class FillOutcome:
    """The result of `apply_fill`: whether the fill was new, and the records after it."""

    recorded: bool
    order: Order
    position: Position
    account: Account


@runtime_checkable
class StoreHandle(Protocol):
    """The connection itself: which backend, whether it answers, and closing it."""

    backend: str

    def describe(self) -> str: ...
    def ping(self) -> bool: ...
    def health(self) -> str | None:
        """None when the store answers and passes a quick integrity check, else why not."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class MarketDataReader(Protocol):
    """Reads of the market's records: instruments, bars, investor flows, the overview."""

    def list_instruments(
        self,
        market: Market | None = None,
        query: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Instrument]: ...
    def count_instruments(self, market: Market | None = None, query: str | None = None) -> int: ...
    def get_instrument(self, code: str) -> Instrument | None: ...

    def load_bars(
        self,
        code: str,
        timeframe: Timeframe | str,
        start: datetime | date | None = None,
        end: datetime | date | None = None,
        limit: int | None = None,
    ) -> BarSeries: ...
    def cross_section(self, timeframe: Timeframe | str, ts: datetime) -> BarSeries: ...
    def bar_overview(self, code: str | None = None) -> list[BarCoverage]: ...

    def load_flows(
        self,
        code: str,
        kind: FlowKind | str | None = None,
        start: date | None = None,
        end: date | None = None,
        limit: int | None = None,
    ) -> list[Flow]: ...


@runtime_checkable
class MarketData(MarketDataReader, Protocol):
    """Market data, read and written (what the collectors and the CSV import use)."""

    def upsert_instruments(self, items: Iterable[Instrument]) -> WriteResult: ...
    def save_bars(
        self, bars: BarSeries | Iterable[Bar], source: str = "unknown"
    ) -> WriteResult: ...
    def delete_bars(
        self,
        code: str,
        timeframe: Timeframe | str,
        start: datetime | date | None = None,
        end: datetime | date | None = None,
    ) -> int: ...
    def save_flows(self, flows: Iterable[Flow]) -> WriteResult: ...


@runtime_checkable
class LedgerReader(Protocol):
    """Reads of the books: accounts (cash), orders, fills, positions."""

    def get_account(self, account_id: str) -> Account | None: ...
    def get_order(self, client_id: str) -> Order | None: ...
    def list_orders(
        self,
        account_id: str | None = None,
        statuses: Iterable[OrderStatus] | None = None,
        limit: int = 100,
    ) -> list[Order]: ...
    def list_fills(
        self,
        account_id: str | None = None,
        client_id: str | None = None,
        limit: int = 1000,
        since: datetime | None = None,
    ) -> list[Fill]:
        """Fills oldest first; `since` keeps those at or after it (today's, for the risk
        rules, however many came before)."""
        ...

    def get_position(self, account_id: str, code: str) -> Position | None: ...
    def list_positions(self, account_id: str) -> list[Position]: ...


@runtime_checkable
class Ledger(LedgerReader, Protocol):
    """The books, read and written with optimistic versions (what the order manager uses)."""

    def create_account(self, account: Account) -> Account: ...
    def update_account(self, account: Account) -> Account: ...
    def insert_order(self, order: Order) -> Order: ...
    def update_order(self, order: Order) -> Order: ...
    def save_position(self, position: Position) -> Position: ...
    def apply_fill(
        self, fill: Fill, order: Order, position: Position, account: Account
    ) -> FillOutcome: ...


@runtime_checkable
class OperationsReader(Protocol):
    """Reads of what stocklab itself did: job runs, backtest results."""

    def get_job_run(self, run_id: str) -> JobRun | None: ...
    def list_job_runs(
        self, job: str | None = None, status: JobStatus | None = None, limit: int = 50
    ) -> list[JobRun]: ...

    def get_backtest(self, backtest_id: str) -> BacktestResult | None: ...
    def list_backtests(self, limit: int = 50, offset: int = 0) -> list[BacktestSummary]:
        """Newest first, as summaries: the whole record is one `get_backtest` away."""
        ...

    def count_backtests(self) -> int: ...


@runtime_checkable
class Operations(OperationsReader, Protocol):
    """Job runs and backtest results, read and written (what jobs and the scheduler use)."""

    def save_job_run(self, run: JobRun) -> JobRun: ...
    def save_backtest(self, result: BacktestResult) -> WriteResult: ...


@runtime_checkable
class AuditReader(Protocol):
    """The append-only log of every write, newest first."""

    def list_audit(
        self,
        operation: str | None = None,
        collection: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
    ) -> list[AuditEntry]: ...


@runtime_checkable
class Audit(AuditReader, Protocol):
    """The audit log; writes of the other areas append to it by themselves."""

    def audit_event(self, operation: str, collection: str, detail: dict[str, object]) -> None:
        """Record something that wrote nothing, such as a refused request."""
        ...


AREAS: tuple[type, ...] = (MarketData, Ledger, Operations, Audit)
"""The store's interfaces by area; each holds at most a dozen methods."""


@runtime_checkable
class StoreReader(
    StoreHandle, MarketDataReader, LedgerReader, OperationsReader, AuditReader, Protocol
):
    """Every area's reads, all of them safe to run from any process at any time."""


@runtime_checkable
class Store(StoreReader, MarketData, Ledger, Operations, Audit, Protocol):
    """Every area, read and written; the only door to the database."""

    def reader(self) -> StoreReader:
        """A read-only view of the same database."""
        ...


# -- helpers shared by the backends --------------------------------------------------


def bars_to_series(bars: BarSeries | Iterable[Bar]) -> BarSeries:
    """Accept columns or records; either way the result has been validated."""
    if isinstance(bars, BarSeries):
        bars.validate()  # a caller may have built it with the trusted constructor
        return bars
    return BarSeries.from_bars(list(bars))


def check_source(source: str) -> str:
    if not isinstance(source, str) or not 1 <= len(source) <= 32:
        raise ValueError(f"source {source!r}는 1~32자 문자열이어야 합니다")
    return source


def check_limit(limit: int | None, name: str = "limit") -> int | None:
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"{name}={limit!r}: 1 이상 {MAX_LIMIT:,} 이하의 정수여야 합니다")
    return limit


def check_offset(offset: int) -> int:
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ValueError(f"offset={offset!r}: 0 이상의 정수여야 합니다")
    return offset


def _as_start(value: datetime | date | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.combine(value, time(0), tzinfo=KST)


def _as_end(value: datetime | date | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.combine(value + timedelta(days=1), time(0), tzinfo=KST) - timedelta(seconds=1)


def time_range(
    start: datetime | date | None, end: datetime | date | None
) -> tuple[int | None, int | None]:
    """Epoch-second bounds (inclusive) from aware datetimes or KST dates.

    A date as `end` means the whole of that day. Naive datetimes and backward
    ranges are refused with a message naming both ends.
    """
    lo, hi = _as_start(start), _as_end(end)
    for name, v in (("start", lo), ("end", hi)):
        if v is not None and v.tzinfo is None:
            raise ValueError(f"{name}={v.isoformat()}: 시간대가 있는 시각이어야 합니다")
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"기간이 거꾸로입니다: start {start} > end {end}")
    return (
        None if lo is None else int(lo.timestamp()),
        None if hi is None else int(hi.timestamp()),
    )


def date_range(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and start > end:
        raise ValueError(f"기간이 거꾸로입니다: start {start} > end {end}")


def check_instruments(items: Iterable[Instrument]) -> list[Instrument]:
    out = list(items)
    seen: set[str] = set()
    for item in out:
        if not isinstance(item, Instrument):
            raise TypeError(f"Instrument 레코드가 아닌 값: {type(item).__name__}")
        if item.code in seen:
            raise ValueError(f"종목 {item.code}가 한 묶음에 두 번 있습니다")
        seen.add(item.code)
    return out


def check_flows(flows: Iterable[Flow]) -> list[Flow]:
    out = list(flows)
    seen: set[tuple[str, FlowKind, date]] = set()
    for flow in out:
        if not isinstance(flow, Flow):
            raise TypeError(f"Flow 레코드가 아닌 값: {type(flow).__name__}")
        key = (flow.code, flow.kind, flow.day)
        if key in seen:
            raise ValueError(f"수급 행 {flow.code} {flow.kind} {flow.day}가 두 번 있습니다")
        seen.add(key)
    return out


def check_record[T](value: T, kind: type[T]) -> T:
    if not isinstance(value, kind):
        raise TypeError(f"{kind.__name__} 레코드가 필요합니다 (받은 값: {type(value).__name__})")
    return value


def normalize_code(code: str) -> str:
    return check_code(code)


def check_fill_matches(fill: Fill, order: Order, position: Position, account: Account) -> None:
    """The records handed to `apply_fill` must describe the same trade."""
    if fill.client_id != order.client_id or fill.account_id != order.account_id:
        raise ValueError(f"체결 {fill.fill_id}이 주문 {order.client_id}와 맞지 않습니다")
    if position.account_id != fill.account_id or position.code != fill.code:
        raise ValueError(
            f"체결 {fill.fill_id}이 포지션 {position.account_id}/{position.code}와 맞지 않습니다"
        )
    if account.account_id != fill.account_id:
        raise ValueError(f"체결 {fill.fill_id}이 계좌 {account.account_id}와 맞지 않습니다")


def like_escape(text: str) -> str:
    """Escape LIKE wildcards so a search for '100%' means the characters."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def status_values(statuses: Iterable[OrderStatus] | None) -> Sequence[str] | None:
    return None if statuses is None else [OrderStatus(s).value for s in statuses]


def order_detail(order: Order) -> dict[str, object]:
    """What the audit log keeps of an order write (no prices of other orders, no secrets)."""
    return {
        "client_id": order.client_id,
        "code": order.request.code,
        "side": order.request.side.value,
        "qty": order.request.qty,
        "status": order.status.value,
        "version": order.version,
    }


def fill_detail(fill: Fill) -> dict[str, object]:
    return {
        "fill_id": fill.fill_id,
        "client_id": fill.client_id,
        "code": fill.code,
        "side": fill.side.value,
        "qty": fill.qty,
        "price": fill.price,
    }
