"""Pick a market-data source by name: `sim`, `ls`, `datagokr`, `naver`.

Imports are lazy so that running on the simulator never loads an HTTP stack.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from stocklab.agent.base import MarketData

if TYPE_CHECKING:
    from stocklab.config import Settings

SOURCES = ("sim", "ls", "datagokr", "naver")


def open_source(
    name: str, settings: Settings, now: Callable[[], datetime] | None = None
) -> MarketData:
    """The named source configured from `settings`; unknown names are a ValueError.

    `now` is the clock the source judges "closed session" and "ended minute" by.
    """
    clock = now or settings.now
    if name == "sim":
        from stocklab.agent.sim import SimMarketData

        return SimMarketData.from_settings(settings, now=clock)
    if name == "ls":
        from stocklab.agent.ls import LsMarketData

        return LsMarketData.from_settings(settings, now=clock)
    if name == "datagokr":
        from stocklab.agent.datagokr import DataGoKrMarketData

        return DataGoKrMarketData.from_settings(settings, now=clock)
    if name == "naver":
        from stocklab.agent.naver import NaverMarketData

        return NaverMarketData.from_settings(settings, now=clock)
    raise ValueError(f"알 수 없는 데이터 출처 {name!r} (허용: {', '.join(SOURCES)})")
