"""`stocklab collect` with the real HTTP sources, as a user runs it: child processes whose
settings point at the loopback stand-ins of LS증권, data.go.kr and Naver.

Each collector fills the embedded store with the stand-in's records, and a second run
writes nothing new; where the collector resumes from the store, it does not even ask.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from stocklab.krx import trading_days
from stocklab.model import KST, JobRun, Timeframe
from stocklab.store.sqlite import SqliteStore
from tests.support.ls_server import (
    APPKEY,
    APPSECRET,
    LsTestServer,
    daily_rows,
    ls_server_fixture,  # noqa: F401 (the ls_server fixture)
)
from tests.support.public_servers import (
    DECODING_KEY,
    MARKET_DAY_BARS,
    PRICE_PATH,
    SAMSUNG_DAYS,
    FakeDataGoKr,
    FakeNaver,
    datagokr_fixture,  # noqa: F401 (the datagokr fixture)
    naver_fixture,  # noqa: F401 (the naver fixture)
    naver_history,
)

SRC = Path(__file__).resolve().parents[2] / "src"


def stocklab(home: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("STOCKLAB_")}
    done = subprocess.run(
        [sys.executable, "-m", "stocklab", *args],
        env={
            **base,
            **env,
            "STOCKLAB_HOME": str(home),
            "PYTHONPATH": str(SRC),
            "COLUMNS": "300",  # log lines unwrapped on the pipe
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done


class Home:
    """The store a child process wrote, read after it ended."""

    def __init__(self, home: Path) -> None:
        self.store = SqliteStore(home / "stocklab.db", readonly=True)

    def last_run(self, job: str) -> JobRun:
        return self.store.list_job_runs(job=job, limit=1)[0]

    def codes(self) -> list[str]:
        return sorted(i.code for i in self.store.list_instruments(limit=1000))

    def daily(self) -> dict[str, list[tuple[date, int]]]:
        """Every code's daily (date, close), oldest first."""
        out = {}
        for c in self.store.bar_overview():
            if c.timeframe is Timeframe.DAY:
                bars = self.store.load_bars(c.code, Timeframe.DAY)
                days = [d.astimezone(KST).date() for d in bars.datetimes()]
                out[c.code] = list(zip(days, bars.close.tolist(), strict=True))
        return out

    def sources(self) -> set[str | None]:
        return {c.source for c in self.store.bar_overview()}

    def close(self) -> None:
        self.store.close()


def test_ls_codes_then_daily_fill_the_store_and_a_rerun_asks_nothing(
    ls_server: LsTestServer, tmp_path: Path
) -> None:
    week = trading_days(date(2024, 9, 2), date(2024, 9, 6))
    ls_server.rows["t8410"] = daily_rows(week)  # every code gets these five days
    env = {
        "STOCKLAB_LS_APPKEY": APPKEY,
        "STOCKLAB_LS_APPSECRET": APPSECRET,
        "STOCKLAB_LS_BASE_URL": ls_server.base_url,
        "STOCKLAB_SIM_NOW": "2024-09-06T19:00:00+09:00",  # Friday, data final since 18:00
    }
    home = tmp_path / "home"
    stocklab(home, env, "collect", "codes")  # with keys set, the source is LS
    stocklab(home, env, "collect", "daily", "--source", "ls")

    expected = [(day, 4010 + 5 * i) for i, day in enumerate(week)]
    store = Home(home)
    try:
        assert store.codes() == ["000020", "005385"]  # the t8436 example's codes
        assert store.last_run("collect_codes").counts == {"instruments": 2}
        assert store.daily() == {"000020": expected, "005385": expected}
        assert store.sources() == {"ls"}
        assert store.last_run("collect_daily").counts == {"bars_1d": 10}
    finally:
        store.close()
    assert len(ls_server.seen("t8436")) == 1
    assert len(ls_server.seen("t8410")) == 2

    again = stocklab(home, env, "collect", "daily", "--source", "ls")
    assert "모두 2024-09-06까지" in again.stderr
    codes_again = stocklab(home, env, "collect", "codes", "--source", "ls")
    assert "성공 collect_codes" in codes_again.stdout
    store = Home(home)
    try:
        assert store.last_run("collect_daily").rows == 0
        assert store.last_run("collect_codes").rows == 0
        assert store.last_run("collect_codes").counts == {"unchanged": 2}
        assert store.daily() == {"000020": expected, "005385": expected}
    finally:
        store.close()
    assert len(ls_server.seen("t8410")) == 2  # resumed from the store: nothing asked


def test_datagokr_per_code_and_whole_market_fill_the_store_and_reruns_add_nothing(
    datagokr: FakeDataGoKr, tmp_path: Path
) -> None:
    env = {
        "STOCKLAB_DATAGOKR_KEY": DECODING_KEY,
        "STOCKLAB_DATAGOKR_BASE_URL": datagokr.base_url,
        "STOCKLAB_SIM_NOW": "2022-09-20T14:00:00+09:00",  # the 19th is published since 13:00
    }
    home = tmp_path / "home"

    def price_requests() -> int:
        return sum(1 for s in datagokr.seen if s.path == PRICE_PATH)

    stocklab(home, env, "collect", "codes", "--source", "datagokr")
    store = Home(home)
    try:
        codes = store.codes()
        assert {"005930", "900110", "451230"} <= set(codes)  # from getItemInfo of the 19th
        assert "1234" not in codes
    finally:
        store.close()

    # Code by code: 005930's bars up to the last published day.
    stocklab(home, env, "collect", "daily", "--source", "datagokr", "--codes", "005930")
    samsung = [d for d in SAMSUNG_DAYS if d <= date(2022, 9, 19)]
    store = Home(home)
    try:
        daily = store.daily()
        assert [d for d, _ in daily["005930"]] == samsung
        assert daily["005930"][-1] == (date(2022, 9, 19), 57_600)  # " 57,600 " in the sample
        assert store.last_run("collect_daily").counts == {"bars_1d": len(samsung)}
    finally:
        store.close()
    asked = price_requests()
    stocklab(home, env, "collect", "daily", "--source", "datagokr", "--codes", "005930")
    assert price_requests() == asked  # resumed from the store: nothing asked
    store = Home(home)
    try:
        assert store.last_run("collect_daily").rows == 0
    finally:
        store.close()

    # The whole market for the 19th: the stored codes get their bar from one paged answer.
    since = ("collect", "daily", "--source", "datagokr", "--since", "2022-09-19")
    done = stocklab(home, env, *since)
    assert "시장 전체" in done.stderr
    assert price_requests() - asked <= 3  # 2,345 rows: pages, not a call per code
    store = Home(home)
    try:
        daily = store.daily()
        assert daily["900110"] == [(date(2022, 9, 19), 167)]  # sample A
        assert daily["005930"][-1] == (date(2022, 9, 19), 57_600)
        assert "451230" not in daily  # listed, but no price row: a new listing, no bar
        assert set(daily) <= set(codes)  # only stored codes, not the other 2,300 rows
        run = store.last_run("collect_daily")
        new = len(daily) - 1  # all but 005930, stored before
        assert run.counts == {"bars_1d": new, "unchanged": 1}
        assert store.sources() == {"datagokr"}
    finally:
        store.close()
    assert len(daily) < MARKET_DAY_BARS

    stocklab(home, env, *since)
    store = Home(home)
    try:
        assert store.last_run("collect_daily").rows == 0
        assert store.last_run("collect_daily").counts == {"unchanged": len(daily)}
        assert store.daily() == daily
    finally:
        store.close()


def test_naver_daily_fills_the_store_and_a_rerun_asks_nothing(
    naver: FakeNaver, tmp_path: Path
) -> None:
    env = {
        "STOCKLAB_SIM_CODES": "40",  # the code list comes from the simulator
        "STOCKLAB_NAVER_BASE_URL": naver.url,
        "STOCKLAB_NAVER_CHART_URL": naver.url,
        "STOCKLAB_SIM_NOW": "2026-01-23T19:00:00+09:00",  # sample C's day is final (18:00)
    }
    home = tmp_path / "home"
    stocklab(home, env, "collect", "codes")
    daily = ("collect", "daily", "--source", "naver", "--codes", "005930,035720")
    stocklab(home, env, *daily)

    def expected(code: str) -> list[tuple[date, int]]:
        start = date(2025, 1, 23)  # a year back: the default for a code with no bars
        return [(b.day, b.close) for b in naver_history(code) if b.day >= start and b.volume]

    store = Home(home)
    try:
        stored = store.daily()
        assert set(stored) == {"005930", "035720"}
        assert stored["005930"] == expected("005930")
        assert stored["005930"][-1] == (date(2026, 1, 23), 152_100)  # sample C's last row
        assert stored["035720"] == expected("035720")
        assert len(stored["035720"]) == 115
        assert store.sources() == {"naver"}
        assert store.last_run("collect_daily").rows == len(stored["005930"]) + 115
    finally:
        store.close()
    charts = sum(1 for s in naver.seen if s.path == "/sise.nhn")
    assert charts == 2

    stocklab(home, env, *daily)
    assert sum(1 for s in naver.seen if s.path == "/sise.nhn") == charts
    store = Home(home)
    try:
        assert store.last_run("collect_daily").rows == 0
        assert store.daily() == stored
    finally:
        store.close()
