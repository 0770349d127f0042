"""The cross-process rate limiter: the per-second guarantee holds across real processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from stocklab.agent.ratelimit import RateLimiter, monotonic

WORKER = """
import sys
from pathlib import Path
from stocklab.agent.ratelimit import RateLimiter, monotonic
limiter = RateLimiter(Path(sys.argv[1]), "shared", int(sys.argv[2]))
print("ready", flush=True)
sys.stdin.readline()
for _ in range(int(sys.argv[3])):
    limiter.acquire()
    print(f"{monotonic():.6f}", flush=True)
"""


def assert_spaced(stamps: list[float], per_second: int, window: float) -> None:
    """No `per_second + 1` stamps within `window` seconds (10 ms allowed for scheduling)."""
    stamps = sorted(stamps)
    gaps = [b - a for a, b in zip(stamps, stamps[per_second:], strict=False)]
    assert min(gaps) >= window - 0.01, f"{per_second + 1} calls within {min(gaps):.3f}s"


def test_acquire_waits_for_the_oldest_slot(tmp_path: Path) -> None:
    limiter = RateLimiter(tmp_path, "t", per_second=3)
    stamps, waits = [], []
    for _ in range(5):
        waits.append(limiter.acquire())
        stamps.append(monotonic())
    assert waits[:3] == pytest.approx([0, 0, 0], abs=0.01)
    assert 1.04 <= waits[3] <= 1.2  # the first slot frees 1.05 s after its use
    assert waits[4] == pytest.approx(0, abs=0.01)  # and so did the second, meanwhile
    assert_spaced(stamps, 3, 1.05)


def test_three_processes_share_one_limit(tmp_path: Path) -> None:
    per_second, each = 10, 6
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(tmp_path), str(per_second), str(each)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    for worker in workers:
        assert worker.stdout is not None
        assert worker.stdout.readline() == "ready\n"
    for worker in workers:  # start together, after every interpreter has loaded
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
    stamps = []
    for worker in workers:
        out, _ = worker.communicate(timeout=60)
        assert worker.returncode == 0
        stamps += [float(line) for line in out.split()]
    assert len(stamps) == 3 * each
    assert_spaced(stamps, per_second, 1.05)
    # 18 calls at 10 per 1.05 s: the last eight wait one full window, and no more.
    ideal = 1.05
    assert ideal - 0.01 <= max(stamps) - min(stamps) <= ideal * 1.2


def test_limits_with_different_names_are_independent(tmp_path: Path) -> None:
    first = RateLimiter(tmp_path, "ls-t8410", per_second=1)
    second = RateLimiter(tmp_path, "ls-t1717", per_second=1)
    assert first.acquire() < 0.01
    assert second.acquire() < 0.01
    assert (tmp_path / "ls-t8410").is_file()
    assert (tmp_path / "ls-t1717").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    "content", [b"\x00\x00garbage", b"12.5 0.3 abc", b"\xff\xfe", b"1e999999 -"]
)
def test_a_garbled_state_file_counts_as_empty(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "t").write_bytes(content)
    limiter = RateLimiter(tmp_path, "t", per_second=1)
    assert limiter.acquire() < 0.01
    stored = (tmp_path / "t").read_text().split()
    assert len(stored) == 1
    assert float(stored[0]) <= monotonic()


def test_stamps_from_a_previous_boot_are_dropped(tmp_path: Path) -> None:
    # After a reboot CLOCK_MONOTONIC restarts, so old stamps lie in the future.
    future = monotonic() + 3600
    (tmp_path / "t").write_text(f"{future} {future + 1}")
    assert RateLimiter(tmp_path, "t", per_second=2).acquire() < 0.01


def test_recent_stamps_in_the_file_are_honoured(tmp_path: Path) -> None:
    (tmp_path / "t").write_text(f"{monotonic() - 0.55:.6f}")
    assert 0.49 <= RateLimiter(tmp_path, "t", per_second=1).acquire() <= 0.65


@pytest.mark.parametrize(("per_second", "margin"), [(0, 0.05), (1, -0.1), (1, 1.0)])
def test_nonsense_limits_are_refused(tmp_path: Path, per_second: int, margin: float) -> None:
    with pytest.raises(ValueError, match="이어야 합니다"):
        RateLimiter(tmp_path, "t", per_second=per_second, margin=margin)
