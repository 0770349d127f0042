"""`stocklab collect` as a user runs it: real processes, a SIGKILL midway, exit codes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from stocklab.model import JobStatus, Timeframe
from stocklab.store.sqlite import SqliteStore

SRC = Path(__file__).resolve().parents[2] / "src"
SIM = {
    "STOCKLAB_SIM_CODES": "400",
    "STOCKLAB_SIM_START": "2022-01-03",
    "STOCKLAB_SIM_NOW": "2024-11-15T16:00:00+09:00",
}


def env_for(home: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("STOCKLAB_")}
    return {**base, **SIM, "STOCKLAB_HOME": str(home), "PYTHONPATH": str(SRC)}


def stocklab(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stocklab", *args],
        env=env_for(home),
        capture_output=True,
        text=True,
        timeout=300,
    )


def daily_codes(home: Path) -> int:
    db = home / "stocklab.db"
    if not db.exists():
        return 0
    store = SqliteStore(db, readonly=True)
    try:
        return sum(1 for c in store.bar_overview() if c.timeframe is Timeframe.DAY)
    finally:
        store.close()


def test_a_collector_killed_midway_resumes_to_exactly_a_clean_runs_bars(tmp_path: Path) -> None:
    clean, killed = tmp_path / "clean", tmp_path / "killed"
    for home in (clean, killed):
        assert stocklab(home, "collect", "codes").returncode == 0
    done = stocklab(clean, "collect", "daily")
    assert done.returncode == 0, done.stderr

    proc = subprocess.Popen(
        [sys.executable, "-m", "stocklab", "collect", "daily"],
        env=env_for(killed),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while daily_codes(killed) < 30 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    partial = daily_codes(killed)
    assert 30 <= partial < 400, "the kill should land midway"

    resumed = stocklab(killed, "collect", "daily")
    assert resumed.returncode == 0, resumed.stderr
    a, b = SqliteStore(clean / "stocklab.db"), SqliteStore(killed / "stocklab.db")
    assert [(c.code, c.count, c.first, c.last) for c in a.bar_overview()] == [
        (c.code, c.count, c.first, c.last) for c in b.bar_overview()
    ]
    for inst in a.list_instruments(limit=1000):
        x, y = a.load_bars(inst.code, "1d"), b.load_bars(inst.code, "1d")
        for column in ("ts", "open", "high", "low", "close", "volume", "value"):
            assert getattr(x, column).tolist() == getattr(y, column).tolist(), inst.code
    runs = b.list_job_runs(job="collect_daily")
    assert [r.status for r in runs] == [JobStatus.SUCCEEDED, JobStatus.INTERRUPTED]
    assert "강제 종료" in (runs[1].error or "")


def test_cli_exit_codes_and_messages(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = stocklab(home, "collect", "daily")
    assert first.returncode == 1
    assert "collect codes" in first.stderr
    assert "Traceback" not in first.stderr
    bad = stocklab(home, "collect", "daily", "--source", "yahoo")
    assert bad.returncode == 1
    assert "--source" in bad.stderr
    assert stocklab(home, "collect", "codes").returncode == 0
    ok = stocklab(home, "collect", "daily", "--codes", "005930,000660")
    assert ok.returncode == 0, ok.stderr
    assert "성공 collect_daily" in ok.stdout
    assert "bars_1d" in ok.stdout
