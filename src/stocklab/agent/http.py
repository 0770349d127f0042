"""HTTP helpers shared by the public-data adapters (`datagokr`, `naver`).

Both talk to services that punish bursts (data.go.kr allows 30 calls a second per key;
Naver blocks scrapers), and both must turn a network failure into `SourceUnavailable`
without echoing the request URL, which for data.go.kr would carry the service key.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping

import httpx

from stocklab.agent.base import SourceUnavailable


class Pacer:
    """Spaces calls at least `1 / per_second` apart within this process (thread-safe).

    A stand-in for a cross-process limiter: adapters accept any `pace()` callable, so a
    job running several processes can pass a shared limiter's `acquire` instead.
    """

    def __init__(self, per_second: float) -> None:
        if per_second <= 0:
            raise ValueError(f"초당 호출 수 {per_second}는 0보다 커야 합니다")
        self._interval = 1.0 / per_second
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + self._interval
        if delay > 0:
            time.sleep(delay)


def get(
    client: httpx.Client,
    url: str,
    *,
    source: str,
    hint: str,
    params: Mapping[str, str | int] | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """GET `url`; a timeout or connection failure becomes `SourceUnavailable`.

    The message names the failure, never the URL, and the httpx exception is not chained
    (its request may hold credentials added by a transport).
    """
    try:
        return client.get(url, params=params, headers=headers)
    except httpx.TimeoutException:
        raise SourceUnavailable("응답 시간이 초과되었습니다", hint=hint, source=source) from None
    except httpx.TransportError as exc:
        raise SourceUnavailable(
            f"연결하지 못했습니다 ({type(exc).__name__}: {exc})", hint=hint, source=source
        ) from None
