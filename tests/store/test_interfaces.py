"""The store's interfaces stay small: each area at most a dozen methods, Store all of them."""

from __future__ import annotations

import typing

import pytest

from stocklab.store import (
    AREAS,
    Audit,
    AuditReader,
    Ledger,
    LedgerReader,
    MarketData,
    MarketDataReader,
    Operations,
    OperationsReader,
    Store,
    StoreHandle,
    StoreReader,
)

MOST = 12


def methods(protocol: type) -> set[str]:
    return {
        name
        for name in typing.get_protocol_members(protocol)
        if callable(getattr(protocol, name, None))
    }


@pytest.mark.parametrize("area", AREAS, ids=lambda a: a.__name__)
def test_each_area_has_at_most_twelve_methods(area: type) -> None:
    assert 1 <= len(methods(area)) <= MOST, sorted(methods(area))


def test_the_areas_are_the_four_of_the_map() -> None:
    assert (MarketData, Ledger, Operations, Audit) == AREAS


def test_each_area_has_a_read_only_view_with_no_writes() -> None:
    for area, view in (
        (MarketData, MarketDataReader),
        (Ledger, LedgerReader),
        (Operations, OperationsReader),
        (Audit, AuditReader),
    ):
        assert methods(view) < methods(area)
        assert not {m for m in methods(view) if m.startswith(("save", "upsert", "delete"))}


def test_the_areas_do_not_overlap_and_store_is_their_sum() -> None:
    seen: set[str] = set()
    for area in AREAS:
        assert not methods(area) & seen
        seen |= methods(area)
    assert methods(Store) == seen | methods(StoreHandle) | {"reader"}
    readers = (MarketDataReader, LedgerReader, OperationsReader, AuditReader, StoreHandle)
    assert methods(StoreReader) == set().union(*(methods(r) for r in readers))


def test_every_backend_implements_every_area(store: Store) -> None:
    for area in (*AREAS, Store):
        assert isinstance(store, area)
    assert isinstance(store.reader(), StoreReader)
