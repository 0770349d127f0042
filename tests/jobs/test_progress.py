"""Progress: a rich bar (done/total, rate, time left) on a terminal, plain log lines otherwise.

`Progress` decides by whether stderr is a terminal, so the tests run it in a child
process twice: once on a pseudo-terminal and once on a pipe, each through its public
interface (`start`, `advance`, `finish`) and once through `stocklab collect daily`.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
from datetime import date
from pathlib import Path

import pytest

from stocklab.jobs.progress import Progress
from stocklab.krx import trading_days
from tests.jobs.conftest import CODES, FRIDAY_EVENING, START

SRC = Path(__file__).resolve().parents[2] / "src"
SCRIPT = """
import logging, sys, time
from stocklab.jobs.progress import Progress
logging.basicConfig(level=logging.INFO, format="LOG %(message)s", stream=sys.stderr)
with Progress(logging.getLogger("t"), every=0.0) as progress:
    progress.start(4, "codes")
    for _ in range(4):
        time.sleep(0.3)
        progress.advance()
print("DONE", flush=True)
"""
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
"""Control characters other than tab and newline: escapes, carriage returns, backspaces."""


def child_env(**extra: str) -> dict[str, str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("STOCKLAB_")
        and k not in ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS")
    }
    # As wide as the terminal below, so that no log line is wrapped on a pipe either.
    return {**base, "PYTHONPATH": str(SRC), "TERM": "xterm-256color", "COLUMNS": "200", **extra}


def on_terminal(args: list[str], env: dict[str, str], timeout: float = 60) -> str:
    """Run `args` with stdin, stdout and stderr on a 200-column pseudo-terminal; its output."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 200, 0, 0))
    proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
        proc.wait(timeout=10)
    assert proc.returncode == 0, b"".join(chunks).decode(errors="replace")
    return b"".join(chunks).decode(errors="replace")


def on_pipes(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done


def test_on_a_terminal_a_rich_bar_shows_done_of_total_rate_and_time_left() -> None:
    out = on_terminal([sys.executable, "-c", SCRIPT], child_env())
    assert "DONE" in out
    assert "\x1b[" in out  # drawn and redrawn with escape sequences
    assert "codes" in out
    assert "0/4" in out  # drawn at the start
    assert "4/4" in out  # and at the end
    assert any(f"{done}/4" in out for done in (1, 2, 3)), "not redrawn while running"
    assert re.search(r"\d+\.\d/s", out), "no rate"
    assert re.search(r"\d:\d\d:\d\d", out), "no time left"
    assert "LOG" not in out  # no plain log lines on a terminal


def test_otherwise_plain_log_lines_without_control_characters() -> None:
    done = on_pipes([sys.executable, "-c", SCRIPT], child_env())
    assert done.stdout == "DONE\n"
    lines = done.stderr.splitlines()
    assert lines[0] == "LOG codes: 4개 시작"
    assert len(lines) == 5
    for n, line in enumerate(lines[1:], 1):
        match = re.fullmatch(
            rf"LOG codes: {n}/4 \({25 * n}%\), (\d+\.\d)/s, 남은 시간 약 (\d+)초", line
        )
        assert match, line
        assert 0.5 < float(match[1]) < 5  # one code every 0.3 s
    assert lines[-1].endswith("남은 시간 약 0초")
    assert not CONTROL.search(done.stderr), repr(done.stderr)


def test_plain_lines_come_at_most_every_interval(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("stocklab.test.progress")
    caplog.set_level(logging.INFO, logger=log.name)
    with Progress(log, interactive=False, every=3600) as progress:
        progress.start(1000, "many")
        for _ in range(1000):
            progress.advance()
    assert [r.getMessage() for r in caplog.records] == ["many: 1000개 시작"]
    assert (progress.done, progress.total) == (1000, 1000)


SIM = {
    "STOCKLAB_SIM_CODES": str(CODES),
    "STOCKLAB_SIM_START": START.isoformat(),
    "STOCKLAB_SIM_NOW": FRIDAY_EVENING,
}


def test_collect_daily_draws_a_bar_on_a_terminal_and_logs_plainly_on_a_pipe(
    tmp_path: Path,
) -> None:
    days = len(trading_days(START, date(2024, 11, 15)))  # one whole-market answer a day
    stocklab = [sys.executable, "-m", "stocklab", "collect"]
    tty_home, pipe_home = tmp_path / "tty", tmp_path / "pipe"

    on_pipes([*stocklab, "codes"], child_env(**SIM, STOCKLAB_HOME=str(tty_home)))
    out = on_terminal([*stocklab, "daily"], child_env(**SIM, STOCKLAB_HOME=str(tty_home)))
    assert "성공" in out  # (coloured: escapes between the words)
    assert "collect_daily" in out
    assert "\x1b[" in out
    assert f"/{days}" in out  # the bar's done/total
    assert f"{days}개 시작" not in out

    on_pipes([*stocklab, "codes"], child_env(**SIM, STOCKLAB_HOME=str(pipe_home)))
    done = on_pipes([*stocklab, "daily"], child_env(**SIM, STOCKLAB_HOME=str(pipe_home)))
    assert "성공 collect_daily" in done.stdout
    assert f"{days}개 시작" in done.stderr
    assert f"/{days}" not in done.stderr  # no bar (and no line per day: it took < 10 s)
    assert not CONTROL.search(done.stderr + done.stdout), repr(done.stderr)
