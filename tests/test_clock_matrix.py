"""The clock-sensitive tests run again with the wall clock moved (time-machine) to the
hours that broke them before: a Sunday night, the first seconds of a session, the
closing auction, New Year's Eve, the day before a holiday. stocklab's clocks are
injected and test servers take the test's clock, so none of these may change a result.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WALL_CLOCKS = {
    "sunday-0300": "2026-12-06T03:00:00+09:00",
    "session-090005": "2026-12-07T09:00:05+09:00",
    "closing-auction-1525": "2026-12-07T15:25:00+09:00",
    "new-years-eve-2359": "2026-12-31T23:59:00+09:00",
    "before-christmas-1400": "2026-12-24T14:00:00+09:00",
}
SENSITIVE = [
    "tests/trading/test_crash.py::test_ls_killed_after_sending_before_the_answer",
    "tests/trading/test_crash.py::test_ls_killed_after_recording_before_sending",
    "tests/trading/test_ls_orders.py",
    "tests/agent/test_ls_token.py",
    "tests/api/test_trading_routes.py",
]
"""Tests that place orders on a test server, issue tokens or read the market's phase."""


def test_the_wall_clock_moves_in_the_plugin(tmp_path: Path) -> None:
    probe = tmp_path / "test_probe.py"
    probe.write_text(
        "from datetime import datetime\ndef test_now():\n    assert datetime.now().year == 2031\n"
    )
    done = run([str(probe)], "2031-05-05T12:00:00+09:00")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_clock_sensitive_tests_pass_at_any_hour() -> None:
    # The instants run side by side: the LS tests mostly wait out the broker's per-second
    # limits (each run has its own limiter files), so together they take little longer than one.
    runs = {name: start(SENSITIVE, wall) for name, wall in WALL_CLOCKS.items()}
    failed = {}
    for name, proc in runs.items():
        out, _ = proc.communicate(timeout=900)
        if proc.returncode != 0:
            failed[name] = out[-3000:]
    assert not failed, "\n\n".join(f"== wall clock {n}\n{out}" for n, out in failed.items())


def command(targets: list[str]) -> list[str]:
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
            "-p", "tests.support.wallclock", *targets]  # fmt: skip


def start(targets: list[str], wall: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command(targets), env={**os.environ, "STOCKLAB_TEST_WALLCLOCK": wall}, cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def run(targets: list[str], wall: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(targets), env={**os.environ, "STOCKLAB_TEST_WALLCLOCK": wall},
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
