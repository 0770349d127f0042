"""Collectors judge what a source gave: an empty or short answer fails the run with a
clear message, what was valid is kept, and a rerun ends with exactly a clean run's bars.

The source is the simulator behind a wrapper that cuts its answers the way a real
source can (a truncated continuation, a whole-market answer missing codes). The
wrapper is put where `JobContext` opens sources, so the real runner and the real
embedded store do the rest.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pytest

from stocklab.agent.base import NotSupported
from stocklab.agent.sim import SimMarketData
from stocklab.barseries import BarSeries
from stocklab.config import Settings, load_settings
from stocklab.jobs.runner import run_job
from stocklab.model import (
    KST,
    Flow,
    Instrument,
    JobRun,
    JobStatus,
    Market,
    Quote,
    Timeframe,
    daily_ts,
)
from stocklab.runtime.sources import sim_source
from stocklab.store import open_store
from stocklab.store.base import MAX_LIMIT
from tests.jobs.conftest import FRIDAY_EVENING, START

A, B, G = "005930", "000660", "035720"


@dataclass
class World:
    """What the market really was: `listed` codes have no bars before their first day."""

    listed: dict[str, date] = field(default_factory=dict)
    bulk: bool = True  # offers the whole market per day (else: NotSupported, as LS)


@dataclass
class Faults:
    """How the source cuts its answers."""

    daily_until: dict[str, date] = field(default_factory=dict)  # per-code answer stops here
    missing: dict[date, set[str]] = field(default_factory=dict)  # whole-market answer lacks
    empty_days: set[date] = field(default_factory=set)  # whole-market answer is empty
    minutes_until: dict[str, time] = field(default_factory=dict)
    empty: set[tuple[str, str]] = field(default_factory=set)  # (call, code) answers nothing


class Source:
    """The simulator as a `MarketData` source, seen through a `World` and `Faults`."""

    def __init__(self, sim: SimMarketData, world: World, faults: Faults) -> None:
        self.sim, self.world, self.faults = sim, world, faults
        self.name = sim.name
        self.start = sim.start

    def _listed(self, bars: BarSeries) -> BarSeries:
        keep = [
            int(ts) >= int(daily_ts(self.world.listed.get(str(code), START)).timestamp())
            for code, ts in zip(bars.code.tolist(), bars.ts.tolist(), strict=True)
        ]
        return bars.take(np.array(keep, dtype=bool))

    def instruments(self, market: Market | None = None) -> list[Instrument]:
        return self.sim.instruments(market)

    def daily_bars(self, code: str, start: date, end: date) -> BarSeries:
        if ("daily", code) in self.faults.empty:
            return BarSeries.empty(Timeframe.DAY)
        until = self.faults.daily_until.get(code)
        return self._listed(self.sim.daily_bars(code, start, min(end, until or end)))

    def market_daily(self, day: date) -> BarSeries:
        if not self.world.bulk:
            raise NotSupported("no whole-market call", source=self.name)
        bars = self._listed(self.sim.market_daily(day))
        if day in self.faults.empty_days:
            return bars.take(slice(0, 0))
        gone = self.faults.missing.get(day, set())
        return bars.take(np.array([c not in gone for c in bars.code.tolist()], dtype=bool))

    def minute_bars(self, code: str, day: date) -> BarSeries:
        bars = self.sim.minute_bars(code, day)
        if ("minute", code) in self.faults.empty:
            return bars.take(slice(0, 0))
        until = self.faults.minutes_until.get(code)
        if until is None:
            return bars
        return bars.take(bars.ts <= int(datetime.combine(day, until, KST).timestamp()))

    def investor_flows(self, code: str, start: date, end: date) -> list[Flow]:
        if ("investor", code) in self.faults.empty:
            return []
        return self.sim.investor_flows(code, start, end)

    def credit_balance(self, code: str, start: date, end: date) -> list[Flow]:
        return self.sim.credit_balance(code, start, end)

    def short_selling(self, code: str, start: date, end: date) -> list[Flow]:
        return self.sim.short_selling(code, start, end)

    def quote(self, code: str) -> Quote:
        return self.sim.quote(code)

    def close(self) -> None:
        self.sim.close()


@pytest.fixture
def use(env: pytest.MonkeyPatch) -> Callable[..., None]:
    """`use(world, faults)`: the source every following run opens."""

    def install(world: World, faults: Faults | None = None) -> None:
        def opener(
            name: str, settings: Settings, now: Callable[[], datetime] | None = None
        ) -> Source:
            sim = sim_source(settings, now=now)
            return Source(sim, world, faults or Faults())

        env.setattr("stocklab.jobs.context.open_source", opener)

    return install


def run(name: str, **args: object) -> JobRun:
    return run_job(name, args, settings=load_settings(), interactive=False)


def bars(timeframe: str = "1d", start: date | None = None) -> dict[str, list[tuple[int, ...]]]:
    """Every stored bar of every code, column by column."""
    store = open_store(load_settings().store_url)
    try:
        out = {}
        for inst in store.list_instruments(limit=MAX_LIMIT):
            b = store.load_bars(inst.code, timeframe, start=start)
            columns = (b.ts, b.open, b.high, b.low, b.close, b.volume, b.value)
            out[inst.code] = list(zip(*(c.tolist() for c in columns), strict=True))
        return out
    finally:
        store.close()


def last_day(code: str) -> date:
    store = open_store(load_settings().store_url)
    try:
        return store.load_bars(code, "1d", limit=1).to_bars()[0].trading_date
    finally:
        store.close()


@pytest.fixture
def clean(env: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., object]:
    """`clean(collect)`: what `collect()` stores in a fresh home with a faultless source."""
    home = load_settings().home

    def in_clean_home(collect: Callable[[], object]) -> object:
        env.setenv("STOCKLAB_HOME", str(tmp_path / "clean"))
        try:
            assert run("collect_codes").status is JobStatus.SUCCEEDED
            return collect()
        finally:
            env.setenv("STOCKLAB_HOME", str(home))

    return in_clean_home


def failed(result: JobRun) -> str:
    assert result.status is JobStatus.FAILED, "the run should have failed"
    return result.error or ""


# -- empty answers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("job", "args", "world", "faults", "message"),
    [
        pytest.param(
            "collect_daily", {}, World(bulk=False), Faults(empty={("daily", A)}),
            f"{A} (2024-09-02~2024-11-15 거래일에 일봉이 없음)", id="daily-by-code",
        ),
        pytest.param(
            "collect_daily", {}, World(), Faults(empty_days={date(2024, 11, 14)}),
            "sim가 거래일 2024-11-14의 일봉을 하나도 주지 않았습니다", id="daily-whole-market",
        ),
        pytest.param(
            "collect_minute", {"codes": [A, B]}, World(), Faults(empty={("minute", A)}),
            f"{A} (2024-11-15 분봉이 없음)", id="minute",
        ),
        pytest.param(
            "collect_flows", {"codes": [A, B], "kinds": ["investor"]}, World(),
            Faults(empty={("investor", A)}), f"{A} investor (", id="flows",
        ),
    ],
)  # fmt: skip
def test_an_empty_answer_fails_the_run_with_its_message(
    use: Callable[..., None],
    job: str,
    args: dict[str, object],
    world: World,
    faults: Faults,
    message: str,
) -> None:
    use(world, faults)
    assert run("collect_codes").status is JobStatus.SUCCEEDED
    result = run(job, **args)
    assert message in failed(result)
    if job != "collect_daily" or not world.bulk:  # per code: the others are collected
        assert result.counts["failed_codes"] == 1
        assert result.rows > 0


# -- daily bars, code by code ----------------------------------------------------------


def test_a_short_answer_per_code_fails_keeps_its_bars_and_a_rerun_completes_it(
    use: Callable[..., None], clean: Callable[..., object]
) -> None:
    world = World(listed={B: date(2024, 10, 2)}, bulk=False)  # B lists after the start
    use(world)
    expected = clean(lambda: (run("collect_daily"), bars())[1])

    use(world, Faults(daily_until={A: date(2024, 11, 13)}))
    assert run("collect_codes").status is JobStatus.SUCCEEDED
    first = run("collect_daily")
    error = failed(first)
    assert (
        f"{A} (출처가 2024-11-13까지만 주었습니다; 2024-11-15까지 있어야 합니다 — "
        "다시 실행하면 나머지를 받습니다)"
    ) in error
    assert B not in error  # a first bar after the planned start is a new listing
    assert first.counts["failed_codes"] == 1
    assert last_day(A) == date(2024, 11, 13)  # what came was valid and is kept
    assert last_day(B) == date(2024, 11, 15)

    use(world)
    again = run("collect_daily")
    assert again.status is JobStatus.SUCCEEDED, again.error
    assert again.counts["bars_1d"] == 2  # A's 11-14 and 11-15, nothing else
    assert bars() == expected


# -- daily bars, the whole market per day ----------------------------------------------


def test_a_whole_market_day_missing_stored_codes_fails_and_a_rerun_completes_it(
    use: Callable[..., None], env: pytest.MonkeyPatch, clean: Callable[..., object]
) -> None:
    world = World()
    use(world)
    expected = clean(lambda: (run("collect_daily"), bars())[1])

    assert run("collect_codes").status is JobStatus.SUCCEEDED
    env.setenv("STOCKLAB_SIM_NOW", "2024-11-13T16:00:00+09:00")
    assert run("collect_daily").status is JobStatus.SUCCEEDED
    env.setenv("STOCKLAB_SIM_NOW", FRIDAY_EVENING)
    use(world, Faults(missing={date(2024, 11, 14): {A, G}}))
    first = run("collect_daily")
    assert "시장 전체" in first.log_tail
    error = failed(first)
    assert f"2024-11-14: 2개 종목이 빠짐 ({A}, {G})" in error
    assert "다시 실행하면 그날부터 받습니다" in error
    assert first.counts["failed_codes"] == 2
    # Their 11-15 bars came but were not saved: the resume point stays before 11-14.
    assert last_day(A) == last_day(G) == date(2024, 11, 13)
    assert last_day(B) == date(2024, 11, 15)

    use(world)
    again = run("collect_daily")
    assert again.status is JobStatus.SUCCEEDED, again.error
    assert again.counts["bars_1d"] == 2 * 2
    assert bars() == expected


def test_a_code_seen_earlier_in_the_run_is_expected_and_a_new_listing_is_not(
    use: Callable[..., None], clean: Callable[..., object]
) -> None:
    world = World(listed={B: date(2024, 10, 2)})  # absent from the first days' answers
    use(world)
    expected = clean(lambda: (run("collect_daily"), bars())[1])

    use(world, Faults(missing={date(2024, 11, 14): {G}}))  # G has no stored bars yet
    assert run("collect_codes").status is JobStatus.SUCCEEDED
    first = run("collect_daily")
    assert "시장 전체" in first.log_tail
    error = failed(first)
    assert f"2024-11-14: 1개 종목이 빠짐 ({G})" in error
    assert B not in error
    assert first.counts["failed_codes"] == 1
    assert last_day(G) == date(2024, 11, 13)

    use(world)
    again = run("collect_daily")
    assert again.status is JobStatus.SUCCEEDED, again.error
    assert bars() == expected
    assert expected[B][0][0] == int(daily_ts(date(2024, 10, 2)).timestamp())


# -- minute bars -----------------------------------------------------------------------


def test_a_closed_sessions_minutes_must_reach_the_close_and_a_rerun_fills_the_tail(
    use: Callable[..., None], clean: Callable[..., object]
) -> None:
    day = date(2024, 11, 15)
    world = World()
    use(world)
    expected = clean(lambda: (run("collect_minute", codes=[A, B]), bars("1m", day))[1])

    use(world, Faults(minutes_until={A: time(14, 0)}))
    assert run("collect_codes").status is JobStatus.SUCCEEDED
    first = run("collect_minute", codes=[A, B])
    error = failed(first)
    assert (
        f"{A} (출처가 2024-11-15 14:00까지만 주었습니다; 장 마감 15:30까지 있어야 합니다"
    ) in error
    assert B not in error
    assert first.counts["failed_codes"] == 1
    kept = bars("1m", day)
    assert kept[A] == [bar for bar in expected[A] if bar[0] <= kept[A][-1][0]]
    assert datetime.fromtimestamp(kept[A][-1][0], KST).time() == time(14, 0)

    use(world)
    again = run("collect_minute", codes=[A, B])
    assert again.status is JobStatus.SUCCEEDED, again.error
    assert bars("1m", day) == expected


# -- --since after the last closed session ---------------------------------------------


def stocklab_cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`stocklab ARGS` in a child process on the collectors' Friday-evening clock."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("STOCKLAB_")}
    return subprocess.run(
        [sys.executable, "-m", "stocklab", *args],
        env={
            **base,
            "STOCKLAB_HOME": str(home),
            "STOCKLAB_SIM_NOW": FRIDAY_EVENING,
            "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src"),
            "COLUMNS": "300",  # the message unwrapped on the pipe
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("what", ["daily", "flows"])
def test_since_after_the_last_closed_session_is_a_usage_error_on_an_empty_store(
    tmp_path: Path, what: str
) -> None:
    home = tmp_path / "empty"
    done = stocklab_cli(home, "collect", what, "--since", "2024-11-18")  # next Monday
    assert done.returncode == 2, done.stdout + done.stderr
    assert "--since" in done.stderr
    message = "2024-11-18: 마지막 장 마감일(2024-11-15) 뒤의 날이라 받을 자료가 없습니다"
    assert message in done.stderr
    assert "모두" not in done.stdout + done.stderr  # not "모두 …까지 있습니다"
    assert not (home / "stocklab.db").exists()  # refused before any run


@pytest.mark.parametrize("job", ["collect_daily", "collect_flows"])
def test_since_after_the_last_closed_session_fails_the_job_and_the_last_session_is_fine(
    env: pytest.MonkeyPatch, job: str
) -> None:
    env.setenv("STOCKLAB_SIM_NOW", "2024-11-15T15:00:00+09:00")  # Friday, still trading
    assert run("collect_codes").status is JobStatus.SUCCEEDED
    error = failed(run(job, codes=[A], since=date(2024, 11, 15)))
    assert "--since 2024-11-15: 마지막 장 마감일(2024-11-14) 뒤의 날이라" in error
    env.setenv("STOCKLAB_SIM_NOW", FRIDAY_EVENING)  # closed now: the 15th can be asked for
    result = run(job, codes=[A], since=date(2024, 11, 15))
    assert result.status is JobStatus.SUCCEEDED, result.error
    assert result.rows > 0
