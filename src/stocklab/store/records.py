"""Stored records carry a schema version, and an old record is upgraded when read.

Every record a backend keeps as a JSON blob (SQLite's `data` columns) or a document
(MongoDB) is stamped `schema_version`. A record without one is version 0 — the layout
before versions, the same fields — and each `UPGRADES[n]` turns a version-n dict into
version n+1, so a record written by any earlier stocklab reads as today's. A record from a
newer stocklab is refused with a message that says to update.
Add an upgrade (and bump RECORD_VERSION) to change a record's layout; never edit one that
has shipped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from pydantic import BaseModel

from stocklab.store.base import StoreError

FIELD = "schema_version"
RECORD_VERSION = 1


def _unversioned(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """v0 → v1: the records before versions had today's fields; only the stamp is new."""
    return data


UPGRADES: dict[int, Callable[[str, dict[str, Any]], dict[str, Any]]] = {0: _unversioned}

_PREFIX = f'{{"{FIELD}":'


def upgrade(kind: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    """`data` (a stored record's fields, without the stamp) at RECORD_VERSION."""
    version = int(data.pop(FIELD, 0))
    if version > RECORD_VERSION:
        raise StoreError(
            f"{kind.__name__} 레코드가 더 새로운 stocklab(레코드 v{version})이 쓴 것입니다; "
            f"이 버전은 v{RECORD_VERSION}까지 읽습니다. stocklab을 업데이트하세요"
        )
    while version < RECORD_VERSION:
        data = UPGRADES[version](kind.__name__, data)
        version += 1
    return data


def to_json(record: BaseModel) -> str:
    """The record as JSON text, stamped with RECORD_VERSION first."""
    text = record.model_dump_json()
    return f"{_PREFIX}{RECORD_VERSION}," + text[1:] if text != "{}" else text


def from_json[M: BaseModel](kind: type[M], text: str) -> M:
    """A record from stored JSON text of any version (the current one without a detour)."""
    current = f"{_PREFIX}{RECORD_VERSION},"
    if text.startswith(current):
        return kind.model_validate_json("{" + text[len(current) :])
    return kind.model_validate_json(orjson.dumps(upgrade(kind, orjson.loads(text))))


def stamp(doc: dict[str, Any]) -> dict[str, Any]:
    """A record's document with its version."""
    return {FIELD: RECORD_VERSION, **doc}
