"""`stocklab` on a broken disk or data directory, run as a user runs it (a subprocess):
one line naming the path and the cause, exit 1, never a traceback; nothing half stored;
and commands that only read create nothing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from stocklab.model import Timeframe
from stocklab.store.sqlite import SqliteStore
from tests.support.disks import damage, remount_readonly, tmpfs

SRC = Path(__file__).resolve().parents[1] / "src"
PAGE_CAPPED = Path(__file__).resolve().parent / "support" / "page_capped.py"
SIM = {
    "STOCKLAB_SIM_CODES": "40",
    "STOCKLAB_SIM_START": "2024-01-02",
    "STOCKLAB_SIM_NOW": "2024-11-15T16:00:00+09:00",
}


def run(home: Path, *args: str, capped: int | None = None) -> subprocess.CompletedProcess[str]:
    """`stocklab …` with its own data directory, on a wide plain terminal; with `capped`,
    through tests/support/page_capped.py (every database capped at that many pages)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOCKLAB_")}
    env |= SIM | {
        "STOCKLAB_HOME": str(home),
        "PYTHONPATH": str(SRC),
        "COLUMNS": "300",
        "NO_COLOR": "1",
    }
    head = [str(PAGE_CAPPED), str(capped)] if capped is not None else ["-m", "stocklab"]
    return subprocess.run(
        [sys.executable, *head, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def last_line(done: subprocess.CompletedProcess[str]) -> str:
    """The line the command ended on (stderr), after checking it is no traceback."""
    both = done.stdout + done.stderr
    assert "Traceback" not in both, both
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines, both
    return lines[-1]


def says(line: str, *parts: str) -> None:
    """The line holds every one of `parts` (a path, the cause)."""
    missing = [p for p in parts if p not in line]
    assert not missing, f"{missing} not in: {line}"


def bars_by_code(db: Path) -> dict[str, tuple[list[int], list[int]]]:
    """Every code's stored daily (ts, close), checked against the series table's count."""
    store = SqliteStore(db, readonly=True)
    try:
        out = {}
        for cov in store.bar_overview():
            bars = store.load_bars(cov.code, Timeframe.DAY)
            assert cov.count == len(bars), f"{cov.code}: series says {cov.count}, {len(bars)} held"
            out[cov.code] = (bars.ts.tolist(), bars.close.tolist())
        for item in store.list_instruments(limit=1000):  # no bars outside a series row
            if item.code not in out:
                assert len(store.load_bars(item.code, Timeframe.DAY)) == 0, item.code
        return out
    finally:
        store.close()


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[list[int], list[int]]]:
    """What `collect daily` stores on a disk with room: every code's whole history."""
    home = tmp_path_factory.mktemp("reference") / "home"
    for step in ("codes", "daily"):
        done = run(home, "collect", step)
        assert done.returncode == 0, done.stderr
    return bars_by_code(home / "stocklab.db")


@pytest.fixture(params=["tmpfs", "page-cap"])
def full_disk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Path, int | None]]:
    """A data directory whose disk fills during `collect daily`, and the page cap to run
    with (None on a real small disk).

    tmpfs: a 600 KB file system holds the code list and a few codes' bars, then ENOSPC.
    page-cap: where mounting is not allowed, SQLite's `max_page_count` gives the same
    SQLITE_FULL ("database or disk is full") from inside SQLite: this case always runs, so
    no machine passes the point by skipping it.
    """
    if request.param == "tmpfs":
        with tmpfs(tmp_path / "disk", "600k") as disk:
            yield disk / "home", None
        return
    home = tmp_path / "home"
    assert run(home, "collect", "codes").returncode == 0
    with sqlite3.connect(home / "stocklab.db") as conn:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.close()
    yield home, pages + 40  # room for about a third of the 40 codes (3 pages each)


def test_full_disk_during_collect_daily_names_the_path_and_stores_no_partial_batch(
    full_disk: tuple[Path, int | None],
    reference: dict[str, tuple[list[int], list[int]]],
) -> None:
    home, capped = full_disk
    db = home / "stocklab.db"
    if capped is None:
        assert run(home, "collect", "codes").returncode == 0
    done = run(home, "collect", "daily", capped=capped)
    assert done.returncode == 1, done.stdout + done.stderr
    line = last_line(done)
    says(line, str(db), "disk is full")
    assert "cannot rollback" not in done.stderr
    stored = bars_by_code(db)
    # Each code's batch is all there (exactly what a roomy disk holds) or not at all.
    assert 0 < len(stored) < len(reference), sorted(stored)
    for code, (ts, close) in stored.items():
        assert (ts, close) == reference[code], code


READS = {  # a command that only reads, and its exit code on an empty store
    ("store", "info"): 0,
    ("store", "export", "--out", "bars.csv"): 0,
    ("store", "delete", "--code", "005930", "--yes"): 0,
    ("orders", "list"): 0,
    ("orders", "list", "--open"): 0,
    ("backtest", "list"): 0,
    ("backtest", "show", "bt-none"): 1,
    ("strategy", "check", "sma_cross"): 1,
}


@pytest.mark.parametrize("args", READS, ids=" ".join)
def test_a_read_on_a_fresh_home_says_there_is_no_data_and_creates_nothing(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    """It answers as an empty store would (the same exit code), after one line saying
    there is no data yet — and leaves no directory and no database behind."""
    home = tmp_path / "fresh" / "home"
    done = run(home, *args)
    assert not (tmp_path / "fresh").exists(), list((tmp_path / "fresh").rglob("*"))
    assert done.returncode == READS[args], done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    notes = [line for line in done.stderr.splitlines() if "아직 자료가 없습니다" in line]
    assert len(notes) == 1, done.stderr
    says(notes[0], str(home / "stocklab.db"))


NO_DATA_NEEDED = [("config",), ("schedule", "list"), ("jobs", "list")]


@pytest.mark.parametrize("args", NO_DATA_NEEDED, ids=" ".join)
def test_commands_that_need_no_data_work_on_a_fresh_home_and_create_nothing(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    home = tmp_path / "fresh" / "home"
    done = run(home, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (tmp_path / "fresh").exists()


def _home_is_a_file(tmp_path: Path) -> tuple[Path, Path, str]:
    home = tmp_path / "home"
    home.write_text("not a directory\n")
    return home, home, "파일입니다"


def _db_is_a_directory(tmp_path: Path) -> tuple[Path, Path, str]:
    home = tmp_path / "home"
    (home / "stocklab.db").mkdir(parents=True)
    return home, home / "stocklab.db", "디렉터리입니다"


def _corrupt_pages(tmp_path: Path) -> tuple[Path, Path, str]:
    home = tmp_path / "home"
    for step in ("codes", "daily"):
        assert run(home, "collect", step).returncode == 0
    damage(home / "stocklab.db", 0.02, 1.0)  # every table, not page 1 (the header)
    return home, home / "stocklab.db", "손상"


BROKEN = {
    "home-is-a-file": _home_is_a_file,
    "db-is-a-directory": _db_is_a_directory,
    "corrupt-pages": _corrupt_pages,
}


@pytest.mark.parametrize("args", [("collect", "codes"), ("collect", "daily"), ("store", "info")])
@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_home_is_one_line_naming_the_path_and_the_cause(
    tmp_path: Path, case: str, args: tuple[str, ...]
) -> None:
    home, path, cause = BROKEN[case](tmp_path)
    done = run(home, *args)
    assert done.returncode == 1, done.stdout + done.stderr
    line = last_line(done)
    says(line, str(path), cause)


@pytest.mark.parametrize("args", [("collect", "codes"), ("store", "info"), ("orders", "list")])
def test_a_read_only_home_is_one_line_naming_the_path_and_the_cause(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    """A data directory on a file system mounted read-only (root ignores file modes, so
    the test remounts a tmpfs; see tests/support/disks.py)."""
    with tmpfs(tmp_path / "disk", "8m") as disk:
        home = disk / "home"
        assert run(home, "collect", "codes").returncode == 0
        remount_readonly(disk)
        done = run(home, *args)
        assert done.returncode == 1, done.stdout + done.stderr
        line = last_line(done)
        says(line, str(home), "읽기 전용")


def test_a_home_that_cannot_be_made_on_a_read_only_disk_is_one_line(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", "1m") as disk:
        remount_readonly(disk)
        home = disk / "home"
        done = run(home, "collect", "codes")
        assert done.returncode == 1, done.stdout + done.stderr
        line = last_line(done)
        says(line, str(home), "읽기 전용")


def test_the_kill_switch_goes_on_when_the_store_is_broken(tmp_path: Path) -> None:
    """`trade kill` sets its file first: a corrupt store cannot keep orders flowing."""
    home, db, _ = _corrupt_pages(tmp_path)
    done = run(home, "trade", "kill")
    assert done.returncode == 1, done.stdout + done.stderr
    line = last_line(done)
    says(line, "긴급 정지는 켰습니다", str(db))
    assert (home / "kill-switch").exists()
