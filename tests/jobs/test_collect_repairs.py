"""Upstream quirks never block a code (issue 13, point 5): adjusted prices rounded to the
won are repaired the same way by every collector and the CSV import, and counted; a bar
dated after the last closed session is refused everywhere, and `stocklab store delete`
removes one that got in; a CSV cut inside its last line is refused, not stored."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from stocklab.krx import trading_days
from stocklab.model import JobRun, Timeframe
from stocklab.store.sqlite import SqliteStore
from tests.support.ls_server import (
    APPKEY,
    APPSECRET,
    LsTestServer,
    daily_rows,
    ls_server_fixture,  # noqa: F401 (the ls_server fixture)
)

SRC = Path(__file__).resolve().parents[2] / "src"
NOW = "2024-09-06T19:00:00+09:00"  # Friday, the day's bars final since 18:00
WEEK = trading_days(date(2024, 9, 2), date(2024, 9, 6))


def stocklab(
    home: Path, env: dict[str, str], *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("STOCKLAB_")}
    return subprocess.run(
        [sys.executable, "-m", "stocklab", *args],
        env={**base, **env, "STOCKLAB_HOME": str(home), "PYTHONPATH": str(SRC), "COLUMNS": "300"},
        input=stdin, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def ls_env(server: LsTestServer) -> dict[str, str]:
    return {
        "STOCKLAB_LS_APPKEY": APPKEY,
        "STOCKLAB_LS_APPSECRET": APPSECRET,
        "STOCKLAB_LS_BASE_URL": server.base_url,
        "STOCKLAB_SIM_NOW": NOW,
    }


def last_run(home: Path, job: str) -> JobRun:
    store = SqliteStore(home / "stocklab.db", readonly=True)
    try:
        return store.list_job_runs(job=job, limit=1)[0]
    finally:
        store.close()


def daily(home: Path) -> dict[str, list[tuple[int, int, int, int]]]:
    store = SqliteStore(home / "stocklab.db", readonly=True)
    try:
        out = {}
        for c in store.bar_overview():
            if c.timeframe is Timeframe.DAY:
                b = store.load_bars(c.code, Timeframe.DAY)
                out[c.code] = list(zip(b.open, b.high, b.low, b.close, strict=True))
        return out
    finally:
        store.close()


def test_ls_daily_with_rounded_adjusted_bars_stores_every_bar_and_counts_the_repairs(
    ls_server: LsTestServer, tmp_path: Path
) -> None:
    rows = daily_rows(WEEK)  # open base, high base+50, low base-25, close base+10
    rows[1]["high"] = rows[1]["close"] - 3  # adjusted: a few won under the close
    rows[3]["low"] = rows[3]["open"] + 2  # and a few won over the open
    ls_server.rows["t8410"] = rows
    home = tmp_path / "home"
    env = ls_env(ls_server)
    assert stocklab(home, env, "collect", "codes").returncode == 0
    done = stocklab(home, env, "collect", "daily", "--source", "ls")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "반올림으로 어긋난 고가·저가를 고친 봉" in done.stderr
    run = last_run(home, "collect_daily")
    assert run.counts == {"bars_1d": 10, "repaired": 4}  # two rows × the example's two codes
    assert run.rows == 10
    bars = daily(home)
    for code in ("000020", "005385"):
        assert len(bars[code]) == 5
        o, h, lo, c = bars[code][1]
        assert h == max(o, c)  # raised to the close, nothing invented
        o, h, lo, c = bars[code][3]
        assert lo == min(o, c)
    again = stocklab(home, env, "collect", "daily", "--source", "ls")
    assert again.returncode == 0
    assert "모두 2024-09-06까지" in again.stderr


def test_a_gap_wider_than_rounding_is_refused_with_the_row_named(
    ls_server: LsTestServer, tmp_path: Path
) -> None:
    rows = daily_rows(WEEK)
    rows[2]["high"] = rows[2]["close"] - 200  # 5% under: not rounding
    ls_server.rows["t8410"] = rows
    home = tmp_path / "home"
    env = ls_env(ls_server)
    stocklab(home, env, "collect", "codes")
    done = stocklab(home, env, "collect", "daily", "--source", "ls")
    assert done.returncode != 0
    assert "고가가 시가·종가보다 낮음" in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


SIM = {"STOCKLAB_SIM_NOW": NOW, "STOCKLAB_SIM_CODES": "20", "STOCKLAB_SIM_START": "2024-06-03"}


def test_a_future_row_is_refused_by_the_import_and_collect_daily_goes_on(tmp_path: Path) -> None:
    home = tmp_path / "home"
    header = "date,open,high,low,close,volume\n"
    csv_file = write(
        tmp_path / "005930.csv",
        header + "2024-09-05,100,110,90,105,1000\n2099-01-01,100,110,90,105,1000\n",
    )
    done = stocklab(home, SIM, "store", "import-csv", str(csv_file))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "마지막 거래일 뒤의 날짜" in done.stdout
    assert "2099-01-01" in done.stdout
    assert [bar[3] for bar in daily(home)["005930"]] == [105]

    assert stocklab(home, SIM, "collect", "codes").returncode == 0
    run = stocklab(home, SIM, "collect", "daily")
    assert run.returncode == 0, run.stdout + run.stderr
    assert last_run(home, "collect_daily").status.value == "succeeded"


def test_a_future_bar_already_stored_never_blocks_collect_and_store_delete_removes_it(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    assert stocklab(home, SIM, "collect", "codes").returncode == 0
    assert stocklab(home, SIM, "collect", "daily").returncode == 0
    # A bar dated 2099 that an older stocklab let in (written straight to the store).
    store = SqliteStore(home / "stocklab.db")
    try:
        from stocklab.barseries import BarSeries
        from stocklab.model import daily_ts

        code = store.bar_overview()[0].code
        stamp = int(daily_ts(date(2099, 1, 2)).timestamp())
        store.save_bars(BarSeries.from_arrays("1d", code, [stamp], [100], [110], [90], [105], [1]))
    finally:
        store.close()
    later = {**SIM, "STOCKLAB_SIM_NOW": "2024-09-10T19:00:00+09:00"}
    run = stocklab(home, later, "collect", "daily")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "마지막 거래일 2024-09-10 뒤의 일봉" in run.stderr
    assert "stocklab store delete" in run.stderr
    assert last_run(home, "collect_daily").counts["future_stored"] == 1
    closes = SqliteStore(home / "stocklab.db", readonly=True)
    try:
        days = [d.date() for d in closes.load_bars(code, Timeframe.DAY).datetimes()]
    finally:
        closes.close()
    assert date(2024, 9, 10) in days  # the code went on from its last real bar

    refused = stocklab(home, later, "store", "delete", "--code", code, "--start", "2099-01-01")
    assert refused.returncode == 1  # asked, and no answer is no
    deleted = stocklab(
        home, later, "store", "delete", "--code", code, "--start", "2099-01-01", "--yes"
    )
    assert deleted.returncode == 0, deleted.stdout + deleted.stderr
    assert "1개를 지웠습니다" in deleted.stdout
    store = SqliteStore(home / "stocklab.db", readonly=True)
    try:
        days = [d.date() for d in store.load_bars(code, Timeframe.DAY).datetimes()]
        audit = store.list_audit(limit=5)
    finally:
        store.close()
    assert max(days) == date(2024, 9, 10)
    assert any(a.operation == "delete_bars" and a.actor == "cli:store-delete" for a in audit)
    backwards = stocklab(
        home, later, "store", "delete", "--code", code, "--start", "2024-09-10",
        "--end", "2024-09-01", "--yes",
    )  # fmt: skip
    assert backwards.returncode == 1
    assert "기간이 거꾸로입니다" in backwards.stderr  # one line, before anything is deleted
    assert "Traceback" not in backwards.stderr


def test_a_csv_cut_inside_its_last_line_is_refused_not_stored(tmp_path: Path) -> None:
    home = tmp_path / "home"
    csv_file = write(
        tmp_path / "005930.csv",
        "date,open,high,low,close,volume\n"
        "2024-09-04,100,110,90,105,11520\n"
        "2024-09-05,100,110,90,105,11",  # the copy stopped inside the volume
    )
    done = stocklab(home, SIM, "store", "import-csv", str(csv_file))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "마지막 줄이 줄바꿈 없이 끝남" in done.stdout
    assert [bar[3] for bar in daily(home)["005930"]] == [105]  # only the whole line
