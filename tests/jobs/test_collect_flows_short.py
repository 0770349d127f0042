"""Short answers are caught and filled in (issue 13, point 6).

LS t1717 answers at most the newest 50 days of any period, with no continuation. The
flows collector asks for the trading days the store lacks and, when an answer falls
short of a stretch, asks again for the days it did not reach, until every day is in or
a re-ask brings nothing new. Days still missing fail the run by name, what came is
kept, and the rerun the failure suggests asks only for the missing days. Days the source
has no row for although its answers reach around them (halts) are not a failure.

The LS runs go through the real runner, `LsMarketData`, and the LS stand-in on loopback
(`T1717_ROWS` rows per answer); the clock is the settings' (`STOCKLAB_SIM_NOW`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from math import ceil
from typing import Any

import pytest

from stocklab.agent.sim import SimMarketData
from stocklab.config import Settings, load_settings
from stocklab.jobs.runner import run_job
from stocklab.krx import trading_days
from stocklab.model import Flow, FlowKind, JobRun, JobStatus
from stocklab.runtime.sources import sim_source
from stocklab.store import open_store
from tests.support.ls_server import (
    APPKEY,
    APPSECRET,
    T1717_ROWS,
    LsTestServer,
    investor_rows,
    ls_server_fixture,  # noqa: F401 (the ls_server fixture)
)

CODE = "000020"  # the first code of the t8436 example
SINCE = date(2021, 5, 17)
EVENING = "2022-05-17T19:00:00+09:00"  # a Tuesday, data final since 18:00
YEAR = trading_days(SINCE, date(2022, 5, 17))


def run(name: str, **args: object) -> JobRun:
    return run_job(name, args, settings=load_settings(), interactive=False)


def flows(code: str = CODE) -> list[Flow]:
    store = open_store(load_settings().store_url)
    try:
        return store.load_flows(code, FlowKind.INVESTOR)
    finally:
        store.close()


def windows(server: LsTestServer, skip: int = 0) -> list[tuple[date, date]]:
    """The periods of the t1717 requests after the first `skip`."""
    found = []
    for seen in server.seen("t1717")[skip:]:
        block = seen.body["t1717InBlock"]  # type: ignore[index]
        found.append((_day(block["fromdt"]), _day(block["todt"])))
    return found


def _day(text: str) -> date:
    return datetime.strptime(text, "%Y%m%d").date()


def asks_for(days: int) -> int:
    """Requests for `days` new days of the newest-first capped t1717: the first answer
    brings `T1717_ROWS`, each re-ask one fewer (it repeats the day it was widened by)."""
    return 1 + ceil(max(0, days - T1717_ROWS) / (T1717_ROWS - 1))


@pytest.fixture
def ls(ls_server: LsTestServer, monkeypatch: pytest.MonkeyPatch) -> LsTestServer:
    """The LS stand-in as the configured source, the clock on a Tuesday evening, and
    the t8436 example's codes in the store."""
    monkeypatch.setenv("STOCKLAB_LS_APPKEY", APPKEY)
    monkeypatch.setenv("STOCKLAB_LS_APPSECRET", APPSECRET)
    monkeypatch.setenv("STOCKLAB_LS_BASE_URL", ls_server.base_url)
    monkeypatch.setenv("STOCKLAB_SIM_NOW", EVENING)
    assert run("collect_codes", source="ls").status is JobStatus.SUCCEEDED
    return ls_server


def collect(**args: Any) -> JobRun:
    return run("collect_flows", source="ls", codes=[CODE], kinds=["investor"], **args)


def test_a_year_of_flows_through_the_50_row_cap_stores_every_day(ls: LsTestServer) -> None:
    ls.rows["t1717"] = rows = investor_rows(YEAR)
    first = collect(since=SINCE)
    assert first.status is JobStatus.SUCCEEDED, first.error
    stored = flows()
    assert [f.day for f in stored] == YEAR  # every trading day, not the newest 50
    assert [f.values["individual_net_qty"] for f in stored] == [r["tjj0008_vol"] for r in rows]
    assert first.counts == {"flows_investor": len(YEAR)}
    asked = windows(ls)
    assert len(asked) == asks_for(len(YEAR))
    assert asked[0] == (SINCE, YEAR[-1])
    assert all(start == SINCE for start, _ in asked)  # each re-ask: the days before

    again = collect(since=SINCE)
    assert again.status is JobStatus.SUCCEEDED, again.error
    assert again.rows == 0
    assert len(windows(ls)) == len(asked)  # nothing missing, nothing asked


@pytest.mark.parametrize(
    ("served", "gone"),
    [
        pytest.param(YEAR[75:], YEAR[:75], id="history-before-the-source"),
        pytest.param(YEAR[:-1], YEAR[-1:], id="last-day-not-yet-published"),
    ],
)
def test_days_the_source_never_gives_fail_by_name_and_the_rerun_asks_only_for_them(
    ls: LsTestServer, served: list[date], gone: list[date]
) -> None:
    ls.rows["t1717"] = investor_rows(served)
    first = collect(since=SINCE)
    assert first.status is JobStatus.FAILED
    span = f"{gone[0]}" if len(gone) == 1 else f"{gone[0]}~{gone[-1]}"
    assert f"{CODE} investor (거래일 {len(gone)}일 빠짐: {span})" in (first.error or "")
    assert f"`--since {gone[0]}`로 다시 실행하면 빠진 날만 받습니다" in (first.error or "")
    assert first.counts["failed_codes"] == 1
    assert [f.day for f in flows()] == served  # what came is kept
    before = len(ls.seen("t1717"))

    ls.rows["t1717"] = investor_rows(YEAR)  # the source has them now
    again = collect(since=gone[0])
    assert again.status is JobStatus.SUCCEEDED, again.error
    assert again.counts == {"flows_investor": len(gone)}
    assert [f.day for f in flows()] == YEAR
    asked = windows(ls, before)
    assert len(asked) == asks_for(len(gone))
    # Only the missing days, widened by the stored day beside them (to see the edge).
    i, j = YEAR.index(gone[0]), YEAR.index(gone[-1])
    low, high = YEAR[max(i - 1, 0)], YEAR[min(j + 1, len(YEAR) - 1)]
    assert all(low <= start <= end <= high for start, end in asked)


def test_days_the_source_lacks_between_days_it_gave_are_no_failure_and_no_loop(
    ls: LsTestServer,
) -> None:
    halted = YEAR[100:103]
    ls.rows["t1717"] = investor_rows(d for d in YEAR if d not in halted)
    first = collect(since=SINCE)
    assert first.status is JobStatus.SUCCEEDED, first.error
    assert "출처에 자료가 없는 거래일 3일" in first.log_tail
    assert [f.day for f in flows()] == [d for d in YEAR if d not in halted]
    before = len(ls.seen("t1717"))

    again = collect()  # from the first stored day: the halt is asked for once, and passes
    assert again.status is JobStatus.SUCCEEDED, again.error
    assert again.rows == 0
    assert windows(ls, before) == [(YEAR[99], YEAR[103])]


# -- any source that answers short, from either end -------------------------------------


class Capped:
    """The simulator's flows, at most `cap` days an answer, the oldest or the newest."""

    def __init__(self, sim: SimMarketData, cap: int, oldest: bool) -> None:
        self.sim, self.cap, self.oldest = sim, cap, oldest
        self.name, self.start = sim.name, sim.start
        self.asked: list[tuple[date, date]] = []

    def instruments(self, market: object = None) -> Any:
        return self.sim.instruments()

    def investor_flows(self, code: str, start: date, end: date) -> list[Flow]:
        self.asked.append((start, end))
        rows = self.sim.investor_flows(code, start, end)
        return rows[: self.cap] if self.oldest else rows[-self.cap :]

    def close(self) -> None:
        self.sim.close()


@pytest.mark.parametrize("oldest", [True, False], ids=["oldest-first", "newest-first"])
def test_a_capped_source_is_asked_until_every_day_is_in(
    env: pytest.MonkeyPatch, oldest: bool
) -> None:
    opened: list[Capped] = []

    def opener(name: str, settings: Settings, now: Callable[[], datetime] | None = None) -> Any:
        opened.append(Capped(sim_source(settings, now=now), 7, oldest))
        return opened[-1]

    env.setattr("stocklab.jobs.context.open_source", opener)
    assert run("collect_codes").status is JobStatus.SUCCEEDED
    result = run("collect_flows", codes=["005930"], kinds=["investor"], since=date(2024, 9, 2))
    assert result.status is JobStatus.SUCCEEDED, result.error
    days = trading_days(date(2024, 9, 2), date(2024, 11, 15))
    assert [f.day for f in flows("005930")] == days
    assert len(opened[-1].asked) == 1 + ceil((len(days) - 7) / 6)
