"""The storage module: the only code in stocklab that touches a database.

`open_store(url)` picks the backend from the URL: `sqlite:///path` (embedded, the
default) or `mongodb://…`. Callers get domain operations (`Store`: the areas
`MarketData`, `Ledger`, `Operations` and `Audit` together), or a read-only view
(`StoreReader`) when `readonly=True`.
"""

from __future__ import annotations

from typing import Literal, overload

from stocklab.config import parse_store_url
from stocklab.store.base import (
    AREAS,
    MAX_LIMIT,
    Audit,
    AuditReader,
    BarCoverage,
    DuplicateKey,
    FillOutcome,
    Ledger,
    LedgerReader,
    MarketData,
    MarketDataReader,
    NotFound,
    Operations,
    OperationsReader,
    ReadOnlyError,
    Store,
    StoreCorrupt,
    StoreError,
    StoreFull,
    StoreHandle,
    StoreMissing,
    StoreReader,
    StoreUnavailable,
    VersionConflict,
    WriteResult,
    check_source,
    date_range,
)

__all__ = [
    "AREAS",
    "MAX_LIMIT",
    "Audit",
    "AuditReader",
    "BarCoverage",
    "DuplicateKey",
    "FillOutcome",
    "Ledger",
    "LedgerReader",
    "MarketData",
    "MarketDataReader",
    "NotFound",
    "Operations",
    "OperationsReader",
    "ReadOnlyError",
    "Store",
    "StoreCorrupt",
    "StoreError",
    "StoreFull",
    "StoreHandle",
    "StoreMissing",
    "StoreReader",
    "StoreUnavailable",
    "VersionConflict",
    "WriteResult",
    "check_source",
    "date_range",
    "open_store",
]


@overload
def open_store(url: str, *, actor: str = ..., readonly: Literal[False] = ...) -> Store: ...
@overload
def open_store(url: str, *, actor: str = ..., readonly: Literal[True]) -> StoreReader: ...


def open_store(url: str, *, actor: str = "stocklab", readonly: bool = False) -> Store | StoreReader:
    """Open the store at `url`; `actor` names who writes, for the audit log."""
    try:
        kind, target = parse_store_url(url)
    except ValueError as exc:
        raise StoreUnavailable(f"저장소 URL을 쓸 수 없습니다: {exc}") from None
    if kind == "sqlite":
        from stocklab.store.sqlite import SqliteStore

        return SqliteStore(target, actor=actor, readonly=readonly)
    from stocklab.store.mongo import MongoStore

    return MongoStore.connect(target, actor=actor, readonly=readonly)
