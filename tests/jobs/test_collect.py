"""Collectors fill the real embedded store from the simulator, resume, and fail loudly."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime

import pytest

from stocklab.config import Settings, load_settings
from stocklab.jobs.runner import reap_stale_runs, run_job
from stocklab.krx import trading_days
from stocklab.model import KST, FlowKind, JobRun, JobStatus, Timeframe, now_kst
from stocklab.store import Store, open_store
from tests.jobs.conftest import CODES, START


def run(name: str, **args: object) -> JobRun:
    return run_job(name, args, settings=load_settings(), interactive=False)


def store_of(settings: Settings) -> Store:
    return open_store(settings.store_url)


def test_codes_then_daily_fill_the_store_and_a_rerun_adds_nothing(env: pytest.MonkeyPatch) -> None:
    codes = run("collect_codes")
    assert codes.status is JobStatus.SUCCEEDED, codes.error
    assert codes.counts == {"instruments": CODES}
    daily = run("collect_daily")
    assert daily.status is JobStatus.SUCCEEDED, daily.error
    days = trading_days(START, date(2024, 11, 15))
    assert daily.counts["bars_1d"] == CODES * len(days)
    assert daily.rows == CODES * len(days)
    store = store_of(load_settings())
    overview = [c for c in store.bar_overview() if c.timeframe is Timeframe.DAY]
    assert len(overview) == CODES
    assert {c.last.date() for c in overview} == {date(2024, 11, 15)}
    assert {c.source for c in overview} == {"sim"}
    again = run("collect_daily")
    assert again.status is JobStatus.SUCCEEDED
    assert again.rows == 0
    assert "모두 2024-11-15까지" in again.log_tail


def test_a_new_day_is_fetched_for_the_whole_market_at_once(env: pytest.MonkeyPatch) -> None:
    run("collect_codes")
    run("collect_daily")
    env.setenv("STOCKLAB_SIM_NOW", "2024-11-18T15:45:00+09:00")  # Monday, after the close
    nxt = run("collect_daily")
    assert nxt.status is JobStatus.SUCCEEDED, nxt.error
    assert nxt.counts == {"bars_1d": CODES}
    assert "시장 전체" in nxt.log_tail
    store = store_of(load_settings())
    assert store.load_bars("005930", "1d", limit=1).to_bars()[0].trading_date == date(2024, 11, 18)


def test_before_the_close_the_day_is_not_collected(env: pytest.MonkeyPatch) -> None:
    run("collect_codes")
    env.setenv("STOCKLAB_SIM_NOW", "2024-11-15T15:29:00+09:00")
    run("collect_daily", codes=["005930"])
    store = store_of(load_settings())
    assert store.load_bars("005930", "1d", limit=1).to_bars()[0].trading_date == date(2024, 11, 14)


def test_collecting_needs_codes_first_and_known_codes(env: pytest.MonkeyPatch) -> None:
    empty = run("collect_daily")
    assert empty.status is JobStatus.FAILED
    assert "collect codes" in (empty.error or "")
    run("collect_codes")
    unknown = run("collect_daily", codes=["123456"])
    assert unknown.status is JobStatus.FAILED
    assert "123456" in (unknown.error or "")
    bad = run("collect_daily", codes=["12345"])
    assert bad.status is JobStatus.FAILED
    assert "종목코드" in (bad.error or "")


def test_minutes_resume_from_the_last_stored_minute(env: pytest.MonkeyPatch) -> None:
    run("collect_codes")
    env.setenv("STOCKLAB_SIM_NOW", "2024-11-15T10:30:30+09:00")
    first = run("collect_minute", codes=["005930", "000660"])
    assert first.status is JobStatus.SUCCEEDED, first.error
    assert first.counts == {"bars_1m": 2 * 90}
    env.setenv("STOCKLAB_SIM_NOW", "2024-11-15T11:00:30+09:00")
    second = run("collect_minute", codes=["005930", "000660"])
    assert second.counts == {"bars_1m": 2 * 30}
    assert run("collect_minute", codes=["005930", "000660"]).rows == 0
    bars = store_of(load_settings()).load_bars("005930", "1m", start=date(2024, 11, 15))
    assert len(bars) == 120
    assert bars.datetimes()[-1] == datetime(2024, 11, 15, 10, 59, tzinfo=KST)
    weekend = run("collect_minute", codes=["005930"], day=date(2024, 11, 16))
    assert weekend.status is JobStatus.FAILED
    assert "거래일이 아닙니다" in (weekend.error or "")


def test_flows_are_collected_and_resumed(env: pytest.MonkeyPatch) -> None:
    run("collect_codes")
    first = run("collect_flows", codes=["005930"], since=date(2024, 11, 1))
    assert first.status is JobStatus.SUCCEEDED, first.error
    days = len(trading_days(date(2024, 11, 1), date(2024, 11, 15)))
    assert first.counts == {f"flows_{k.value}": days for k in FlowKind}
    env.setenv("STOCKLAB_SIM_NOW", "2024-11-18T18:00:00+09:00")
    second = run("collect_flows", codes=["005930"])
    assert second.counts == {f"flows_{k.value}": 1 for k in FlowKind}
    store = store_of(load_settings())
    assert store.load_flows("005930", FlowKind.SHORT)[-1].day == date(2024, 11, 18)


def test_runs_are_recorded_and_dead_ones_reaped(env: pytest.MonkeyPatch) -> None:
    run("collect_codes")
    store = store_of(load_settings())
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    store.save_job_run(
        JobRun(run_id="ghost", job="collect_daily", status=JobStatus.RUNNING,
               started_at=now_kst(), pid=gone.pid)
    )  # fmt: skip
    assert reap_stale_runs(store) == 1
    ghost = store.get_job_run("ghost")
    assert ghost is not None
    assert ghost.status is JobStatus.INTERRUPTED
    assert "강제 종료" in (ghost.error or "")
    assert ghost.ended_at is not None
    runs = store.list_job_runs(job="collect_codes")
    assert [r.status for r in runs] == [JobStatus.SUCCEEDED]
    assert runs[0].ended_at is not None
    assert runs[0].pid is not None
    assert "종목 40개" in runs[0].log_tail
