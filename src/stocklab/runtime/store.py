"""The configured store (`STOCKLAB_STORE`, else the embedded file in the data directory)."""

from __future__ import annotations

from typing import Literal, overload

from stocklab.config import Settings
from stocklab.store import Store, StoreReader, open_store


@overload
def store_for(settings: Settings, *, actor: str, readonly: Literal[False] = ...) -> Store: ...
@overload
def store_for(settings: Settings, *, actor: str, readonly: Literal[True]) -> StoreReader: ...


def store_for(settings: Settings, *, actor: str, readonly: bool = False) -> Store | StoreReader:
    """The store the settings name, writing as `actor` (a read-only view when asked)."""
    return open_store(settings.store_url, actor=actor, readonly=readonly)
