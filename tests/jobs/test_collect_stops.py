"""Stopping errors end a collection at once; any other source error skips only its code.

A refused key (`AuthError`) or the day's quota (`RateLimited(daily=True)`, data.go.kr's
code 22) would fail every later call too, so the run stops at the first one with the
source's hint. Anything else (a timeout, a malformed answer, a per-second limit) is about
one code: the others are collected and the run fails naming that code.

The source is the simulator behind a wrapper that raises a chosen error for chosen codes
and records what it was asked; it is put where `JobContext` opens sources, so the real
runner and the real embedded store do the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import pytest

from stocklab.agent.base import (
    AuthError,
    BadResponse,
    NotSupported,
    RateLimited,
    SourceError,
    SourceUnavailable,
)
from stocklab.agent.sim import SimMarketData
from stocklab.barseries import BarSeries
from stocklab.config import Settings, load_settings
from stocklab.jobs.runner import run_job
from stocklab.model import Flow, FlowKind, Instrument, JobRun, JobStatus, Market, Timeframe
from stocklab.runtime.sources import sim_source
from stocklab.store import open_store

A, B, C = "005930", "000660", "035720"
HINT = "테스트 힌트: 키를 확인하세요"


class Flaky:
    """The simulator, except that asking for a code in `errors` raises its error.

    `asked` lists the codes (or whole-market days) asked for, in order. With `bulk`
    the source offers the whole market per day; `day_error` is then raised for it.
    """

    def __init__(
        self,
        sim: SimMarketData,
        errors: dict[str, SourceError],
        bulk: bool = False,
        day_error: SourceError | None = None,
    ) -> None:
        self.sim, self.errors, self.bulk, self.day_error = sim, errors, bulk, day_error
        self.name = sim.name
        self.start = sim.start
        self.asked: list[str] = []

    def _ask(self, code: str) -> None:
        self.asked.append(code)
        if code in self.errors:
            raise self.errors[code]

    def instruments(self, market: Market | None = None) -> list[Instrument]:
        return self.sim.instruments(market)

    def market_daily(self, day: date) -> BarSeries:
        if not self.bulk:
            raise NotSupported("no whole-market call", source="fake")
        self.asked.append(day.isoformat())
        if self.day_error is not None:
            raise self.day_error
        return self.sim.market_daily(day)

    def daily_bars(self, code: str, start: date, end: date) -> BarSeries:
        self._ask(code)
        return self.sim.daily_bars(code, start, end)

    def minute_bars(self, code: str, day: date) -> BarSeries:
        self._ask(code)
        return self.sim.minute_bars(code, day)

    def investor_flows(self, code: str, start: date, end: date) -> list[Flow]:
        self._ask(code)
        return self.sim.investor_flows(code, start, end)

    def credit_balance(self, code: str, start: date, end: date) -> list[Flow]:
        self._ask(code)
        return self.sim.credit_balance(code, start, end)

    def short_selling(self, code: str, start: date, end: date) -> list[Flow]:
        self._ask(code)
        return self.sim.short_selling(code, start, end)

    def close(self) -> None:
        self.sim.close()


@pytest.fixture
def use(env: pytest.MonkeyPatch) -> Callable[..., list[Flaky]]:
    """`use(errors, ...)`: the source every following run opens; returns those opened."""
    opened: list[Flaky] = []

    def install(
        errors: dict[str, SourceError], bulk: bool = False, day_error: SourceError | None = None
    ) -> list[Flaky]:
        def opener(
            name: str, settings: Settings, now: Callable[[], datetime] | None = None
        ) -> Flaky:
            sim = sim_source(settings, now=now)
            opened.append(Flaky(sim, errors, bulk, day_error))
            return opened[-1]

        env.setattr("stocklab.jobs.context.open_source", opener)
        return opened

    return install


def run(name: str, **args: object) -> JobRun:
    return run_job(name, args, settings=load_settings(), interactive=False)


JOBS = {
    "collect_daily": {},
    "collect_minute": {},
    "collect_flows": {"kinds": ["investor"]},
}


def stored(job: str, code: str) -> int:
    """How many rows `job` keeps for `code` in the store."""
    store = open_store(load_settings().store_url)
    try:
        if job == "collect_flows":
            return len(store.load_flows(code, FlowKind.INVESTOR))
        timeframe = Timeframe.DAY if job == "collect_daily" else Timeframe.MINUTE
        return len(store.load_bars(code, timeframe))
    finally:
        store.close()


STOPPING = {
    "refused-key": AuthError("앱 키가 거부되었습니다", hint=HINT, source="fake"),
    "daily-quota": RateLimited(
        "LIMITED_NUMBER_OF_SERVICE_REQUESTS_EXCEEDS_ERROR (22)",
        hint=HINT,
        source="fake",
        daily=True,
    ),
}
SKIPPING = {
    "unavailable": SourceUnavailable("응답이 없습니다 (시간 초과)", hint="나중에", source="fake"),
    "per-second-limit": RateLimited("IGW00201", hint="잠시 뒤", source="fake", retry_after=1.0),
    "bad-response": BadResponse("JSON이 잘렸습니다", source="fake"),
}


@pytest.mark.parametrize("job", list(JOBS))
@pytest.mark.parametrize("error", list(STOPPING))
def test_a_stopping_error_on_the_first_code_stops_the_run_with_the_hint(
    use: Callable[..., list[Flaky]], job: str, error: str
) -> None:
    opened = use({A: STOPPING[error]})
    assert run("collect_codes").status is JobStatus.SUCCEEDED
    result = run(job, codes=[A, B, C], **JOBS[job])
    assert result.status is JobStatus.FAILED
    assert opened[-1].asked == [A], "later codes must not be asked"
    assert str(STOPPING[error]) == result.error  # the source's message and its hint
    assert HINT in (result.error or "")
    assert result.rows == 0
    assert [stored(job, code) for code in (A, B, C)] == [0, 0, 0]


@pytest.mark.parametrize("job", list(JOBS))
@pytest.mark.parametrize("error", list(SKIPPING))
def test_another_source_error_skips_only_its_code(
    use: Callable[..., list[Flaky]], job: str, error: str
) -> None:
    opened = use({B: SKIPPING[error]})
    assert run("collect_codes").status is JobStatus.SUCCEEDED
    result = run(job, codes=[A, B, C], **JOBS[job])
    assert result.status is JobStatus.FAILED
    assert opened[-1].asked == [A, B, C], "the codes after the failed one are still asked"
    message = result.error or ""
    assert f"1개 종목 실패 — {B} ({SKIPPING[error]})" in message
    assert A not in message
    assert C not in message
    assert result.counts["failed_codes"] == 1
    assert result.rows > 0
    assert stored(job, A) > 0
    assert stored(job, C) > 0
    assert stored(job, B) == 0


@pytest.mark.parametrize("error", list(STOPPING))
def test_a_stopping_error_on_a_whole_market_day_stops_before_the_next_day(
    use: Callable[..., list[Flaky]], error: str
) -> None:
    opened = use({}, bulk=True, day_error=STOPPING[error])
    assert run("collect_codes").status is JobStatus.SUCCEEDED
    result = run("collect_daily")
    assert result.status is JobStatus.FAILED
    assert opened[-1].asked == ["2024-09-02"], "later days must not be asked"
    assert HINT in (result.error or "")
    assert result.rows == 0
