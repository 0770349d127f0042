"""What routes take from the app: the settings, the read-only store, parsed parameters.

The dependencies are `async def` because they only look things up: FastAPI runs a plain
`def` dependency in its thread pool, a hand-off that cost more than the work itself."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from fastapi import Depends, Path, Query, Request

from stocklab.api.errors import BadParam
from stocklab.bounds import (
    DAY_PATTERN,
    FIRST_DAY,
    LAST_DAY,
    MOMENT_PATTERN,
    check_day,
    day_range,
)
from stocklab.config import Settings
from stocklab.model import check_code
from stocklab.store import Store, StoreReader


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_reader(request: Request) -> StoreReader:
    return request.app.state.reader


async def get_store(request: Request) -> Store:
    return request.app.state.store


CODE_PATTERN = r"^[0-9A-Z]{6}$"

DAY_OR_MOMENT: dict[str, object] = {
    "anyOf": [
        {"type": "string", "format": "date", "pattern": DAY_PATTERN},
        {"type": "string", "format": "date-time", "pattern": MOMENT_PATTERN},
    ]
}
"""A `start`/`end` query parameter as the document states it: a date or a moment with
its offset, within `bounds.FIRST_DAY`..`LAST_DAY` (it replaces the string-or-null schema
FastAPI would write; a query cannot send null anyway)."""
DAY_OR_MOMENT_HELP = f"YYYY-MM-DD 또는 시간대가 있는 ISO 시각 (포함; {day_range()})"


async def valid_code(
    code: Annotated[
        str, Path(description="KRX 단축코드 (예: 005930, 00088K)", pattern=CODE_PATTERN)
    ],
) -> str:
    try:
        return check_code(code)
    except ValueError as exc:
        raise BadParam("code", str(exc)) from None


_MOMENT = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt]([0-9]{2}:[0-9]{2}:[0-9]{2})"
    r"(?:\.([0-9]{1,9}))?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
"""RFC 3339's date-time, what `format: date-time` promises (Python would take more)."""


def when(
    param: str, text: str | None, first: date = FIRST_DAY, last: date = LAST_DAY
) -> date | datetime | None:
    """`YYYY-MM-DD` (a KST day) or an RFC 3339 moment with its offset, within the range
    `DAY_OR_MOMENT` states (far values overflow the arithmetic behind a query)."""
    if text is None:
        return None
    wrong = (
        f"{text!r}는 날짜(YYYY-MM-DD)나 시간대가 있는 시각"
        "(예: 2024-01-02T09:00:00+09:00)이 아닙니다"
    )
    try:
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            return in_range(param, date.fromisoformat(text), first, last)
        moment = _MOMENT.fullmatch(text)
        if moment is None:
            raise ValueError(wrong)
        day, clock, fraction, offset = moment.groups()
        micro = f".{fraction[:6]}" if fraction else ""  # Python keeps microseconds
        value = datetime.fromisoformat(f"{day}T{clock}{micro}{offset.upper()}")
    except ValueError:
        raise BadParam(param, wrong) from None
    return in_range(param, value, first, last)


def in_range(
    param: str, value: date | datetime, first: date = FIRST_DAY, last: date = LAST_DAY
) -> date | datetime:
    try:
        return check_day(value, param, first, last)
    except ValueError as exc:
        raise BadParam(param, str(exc).removeprefix(f"{param} ")) from None


Reader = Annotated[StoreReader, Depends(get_reader)]
Writer = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
Code = Annotated[str, Depends(valid_code)]
Moment = Annotated[
    str | None, Query(description=DAY_OR_MOMENT_HELP, json_schema_extra=DAY_OR_MOMENT)
]
"""A `start`/`end` query parameter, read with `when`."""
