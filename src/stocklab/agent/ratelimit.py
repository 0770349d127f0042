"""A sliding-window rate limiter shared by every process on one machine.

The scheduler runs each job in its own process, and a broker's per-second limit holds
for the app key, not for one process: per-process limiters would add up. So the state
(the times of the last `per_second` calls) lives in a small file per limit, guarded by
`fcntl.flock`, and every process that uses the same directory shares it.

Clock: `CLOCK_MONOTONIC`. On Linux it is one system-wide clock (time since boot), so
stamps written by one process compare with another's; unlike `time.time()` it never
jumps when NTP or a person sets the wall clock. Its one blind spot is a reboot, which
restarts it: stamps from a previous boot can then lie in the "future" and are dropped,
so a stale file costs at most one window's wait, never a hang.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from pathlib import Path

log = logging.getLogger(__name__)


def monotonic() -> float:
    """The system-wide monotonic clock the limiter (and its tests) use."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


class RateLimiter:
    """At most `per_second` calls in any window of `1 + margin` seconds, across processes.

    The margin absorbs the jitter between taking a slot here and the request reaching
    the server, whose own window is one second.
    """

    def __init__(self, directory: Path, name: str, per_second: int, margin: float = 0.05) -> None:
        if per_second < 1:
            raise ValueError(f"초당 호출 한도는 1 이상이어야 합니다 (받은 값: {per_second})")
        if not 0 <= margin < 1:
            raise ValueError(f"여유 비율 margin은 0 이상 1 미만이어야 합니다 (받은 값: {margin})")
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = directory / name
        self.per_second = per_second
        self.window = 1.0 + margin

    def __repr__(self) -> str:
        return f"RateLimiter({self.path.name!r}, {self.per_second}/s, window={self.window:g}s)"

    def acquire(self) -> float:
        """Block until a slot is free, take it, and return the seconds waited."""
        started = monotonic()
        while True:
            wait = self._try_take()
            if wait <= 0:
                return monotonic() - started
            time.sleep(wait)

    def _try_take(self) -> float:
        """Take a slot and return 0, or return how long until the oldest slot frees up."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            now = monotonic()
            stamps = [t for t in _read(fd, self.path) if now - self.window < t <= now]
            if len(stamps) >= self.per_second:
                return stamps[-self.per_second] + self.window - now
            stamps.append(now)
            _write(fd, stamps[-self.per_second :])
            return 0.0
        finally:
            os.close(fd)  # closing the descriptor releases the lock


def _read(fd: int, path: Path) -> list[float]:
    """The stored stamps, oldest first; a garbled file (a crash mid-write) reads as empty."""
    os.lseek(fd, 0, os.SEEK_SET)
    raw = b""
    while chunk := os.read(fd, 4096):
        raw += chunk
    try:
        return sorted(float(part) for part in raw.split())
    except ValueError:
        log.warning("호출 한도 상태 파일 %s가 손상되어 비우고 다시 씁니다", path)
        return []


def _write(fd: int, stamps: list[float]) -> None:
    data = " ".join(f"{t:.6f}" for t in stamps).encode()
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, data)
    os.ftruncate(fd, len(data))
