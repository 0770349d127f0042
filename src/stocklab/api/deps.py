"""What routes take from the app: the settings, the read-only store, parsed parameters.

The dependencies are `async def` because they only look things up: FastAPI runs a plain
`def` dependency in its thread pool, a hand-off that cost more than the work itself."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import Depends, Path, Request

from stocklab.api.errors import BadParam
from stocklab.config import Settings
from stocklab.model import check_code
from stocklab.store import Store, StoreReader


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_reader(request: Request) -> StoreReader:
    return request.app.state.reader


async def get_store(request: Request) -> Store:
    return request.app.state.store


async def valid_code(
    code: Annotated[str, Path(description="KRX 단축코드 (예: 005930, 00088K)")],
) -> str:
    try:
        return check_code(code)
    except ValueError as exc:
        raise BadParam("code", str(exc)) from None


def when(param: str, text: str | None) -> date | datetime | None:
    """`YYYY-MM-DD` (a KST day) or an ISO datetime with a timezone."""
    if text is None or text == "":
        return None
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        value = datetime.fromisoformat(text)
    except ValueError:
        raise BadParam(
            param, f"{text!r}는 날짜(YYYY-MM-DD)나 시간대가 있는 시각이 아닙니다"
        ) from None
    if value.tzinfo is None:
        raise BadParam(param, f"{text!r}에 시간대가 없습니다 (예: 2024-01-02T09:00:00+09:00)")
    return value


Reader = Annotated[StoreReader, Depends(get_reader)]
Writer = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
Code = Annotated[str, Depends(valid_code)]
