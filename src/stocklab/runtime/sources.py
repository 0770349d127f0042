"""Market-data sources by name (`sim`, `ls`, `datagokr`, `naver`), built from `Settings`.

Imports are lazy so that running on the simulator never loads an HTTP stack.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from stocklab.agent.base import AuthError, MarketData
from stocklab.config import Settings

if TYPE_CHECKING:
    from stocklab.agent.datagokr import DataGoKrMarketData
    from stocklab.agent.ls import LsBroker, LsClient, LsMarketData
    from stocklab.agent.naver import NaverMarketData
    from stocklab.agent.sim import SimMarketData

SOURCES = ("sim", "ls", "datagokr", "naver")


def open_source(
    name: str, settings: Settings, now: Callable[[], datetime] | None = None
) -> MarketData:
    """The named source configured from `settings`; unknown names are a ValueError.

    `now` is the clock the source judges "closed session" and "ended minute" by.
    """
    clock = now or settings.now
    if name == "sim":
        return sim_source(settings, now=clock)
    if name == "ls":
        return ls_market_data(settings, now=clock)
    if name == "datagokr":
        return datagokr_source(settings, now=clock)
    if name == "naver":
        return naver_source(settings, now=clock)
    raise ValueError(f"알 수 없는 데이터 출처 {name!r} (허용: {', '.join(SOURCES)})")


def sim_source(settings: Settings, now: Callable[[], datetime] | None = None) -> SimMarketData:
    """The offline simulator with the configured seed, size and first day."""
    from stocklab.agent.sim import SimMarketData

    return SimMarketData(
        seed=settings.sim_seed,
        size=settings.sim_codes,
        start=settings.sim_start,
        now=now or settings.now,
    )


def ls_client(settings: Settings, now: Callable[[], datetime] | None = None) -> LsClient:
    """The LS client for the configured app key; `AuthError` when the key or secret is
    missing. The token and the per-TR limits live in the data directory."""
    from stocklab.agent.ls import LsClient
    from stocklab.agent.ls.token import KEY_HINT

    key, secret = settings.ls_appkey, settings.ls_appsecret
    if not key or not secret or not key.get_secret_value() or not secret.get_secret_value():
        raise AuthError("LS증권 앱키가 설정되지 않았습니다", hint=KEY_HINT, source="ls")
    return LsClient(
        appkey=key,
        appsecret=secret,
        home=settings.ensure_home(),
        base_url=settings.ls_base_url,
        corporate=settings.ls_corporate,
        now=now or settings.now,
    )


def ls_market_data(
    settings: Settings, *, now: Callable[[], datetime] | None = None
) -> LsMarketData:
    """The LS source (on the settings' clock unless `now` is given)."""
    from stocklab.agent.ls import LsMarketData

    clock = now or settings.now
    return LsMarketData(ls_client(settings, clock), now=clock)


def ls_broker(
    settings: Settings, *, paper: bool, now: Callable[[], datetime] | None = None
) -> LsBroker:
    """The LS broker for the configured key; `paper` says whether it is a 모의투자 key."""
    from stocklab.agent.ls import LsBroker

    clock = now or settings.now
    return LsBroker(ls_client(settings, clock), paper=paper, now=clock)


def datagokr_source(settings: Settings, **options: Any) -> DataGoKrMarketData:
    """The data.go.kr source (`STOCKLAB_DATAGOKR_KEY`); AuthError when the key is unset.

    Calls are paced by a limiter in `<home>/ratelimit` that every process shares, since
    the portal's 30 calls a second hold for the key, not for one process.
    """
    from stocklab.agent.datagokr import (
        CALLS_PER_SECOND,
        MISSING_KEY_HINT,
        SOURCE,
        DataGoKrMarketData,
    )
    from stocklab.agent.ratelimit import RateLimiter

    if settings.datagokr_key is None:
        raise AuthError(
            "STOCKLAB_DATAGOKR_KEY가 설정되지 않았습니다", hint=MISSING_KEY_HINT, source=SOURCE
        )
    if "pace" not in options:
        limiter = RateLimiter(settings.home / "ratelimit", SOURCE, CALLS_PER_SECOND)
        options["pace"] = limiter.acquire
    return DataGoKrMarketData(
        settings.datagokr_key.get_secret_value(), base_url=settings.datagokr_base_url, **options
    )


def naver_source(settings: Settings, **options: Any) -> NaverMarketData:
    """The Naver source on the configured hosts, paced by a limiter every process shares
    (Naver blocks by address, so two jobs scraping at once must not add up)."""
    from stocklab.agent.naver import PAGES_PER_SECOND, SOURCE, NaverMarketData
    from stocklab.agent.ratelimit import RateLimiter

    if "pace" not in options:
        limiter = RateLimiter(settings.home / "ratelimit", SOURCE, PAGES_PER_SECOND)
        options["pace"] = limiter.acquire
    return NaverMarketData(
        base_url=settings.naver_base_url, chart_url=settings.naver_chart_url, **options
    )
