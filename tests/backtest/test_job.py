"""The `backtest` job over a real embedded store: the record, its report, and refusals."""

from __future__ import annotations

import pytest

from stocklab.backtest.report import report_dir
from stocklab.config import Settings
from stocklab.jobs.runner import run_job
from stocklab.model import JobStatus
from stocklab.store import open_store
from stocklab.trading import strategy as strategies
from tests.backtest.conftest import CODES
from tests.backtest.helpers import Peeking


def test_the_job_stores_the_result_and_writes_the_report(filled: Settings) -> None:
    args = {
        "strategy": "sma_cross",
        "params": '{"fast": 3, "slow": 10}',  # as text, the way a command line gives it
        "codes": "000010,000020",
        "start": "2023-09-01",
        "cash": "5000000",
        "shared_cash": "true",
        "participation": "0.5",
        "backtest_id": "bt-20240101000000-abcdef",
    }
    run = run_job("backtest", args, settings=filled, interactive=False)
    assert run.status is JobStatus.SUCCEEDED, run.error
    record = open_store(filled.store_url).get_backtest("bt-20240101000000-abcdef")
    assert record is not None
    assert record.codes == ["000010", "000020"]
    assert str(record.start) >= "2023-09-01"
    assert record.params == {
        "strategy": {"fast": 3, "slow": 10},
        "timeframe": "1d",
        "cash": 5_000_000,
        "shared_cash": True,
        "commission_rate": "0.00015",
        "participation": "0.5",
    }
    assert record.stats["initial_equity"] == 5_000_000  # one shared account
    assert run.counts == {"backtests": 1, "trades": len(record.trades)}
    folder = report_dir(filled.home, record.backtest_id)
    assert (folder / "report.html").is_file()
    assert (folder / "result.json").is_file()


def test_all_stored_codes_by_default(filled: Settings) -> None:
    run = run_job("backtest", {"strategy": "sma_cross"}, settings=filled, interactive=False)
    assert run.status is JobStatus.SUCCEEDED, run.error
    (record,) = open_store(filled.store_url).list_backtests()
    assert record.codes == list(CODES)
    assert record.stats["initial_equity"] == 10_000_000 * len(CODES)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({}, "strategy 인자가 필요"),
        ({"strategy": "nope"}, "알 수 없는 전략"),
        ({"strategy": "sma_cross", "params": "{fast: 3}"}, "JSON 객체"),
        ({"strategy": "sma_cross", "codes": "999999"}, "봉이 있는 종목이 없습니다"),
        ({"strategy": "sma_cross", "start": "2024-01-01", "end": "2023-01-01"}, "거꾸로"),
        ({"strategy": "sma_cross", "shared_cash": "maybe"}, "true 또는 false"),
        ({"strategy": "sma_cross", "participation": "lots"}, "participation"),
    ],
)
def test_bad_arguments_fail_the_run_with_a_reason(
    filled: Settings, args: dict[str, str], message: str
) -> None:
    run = run_job("backtest", args, settings=filled, interactive=False)
    assert run.status is JobStatus.FAILED
    assert message in (run.error or "")


def test_a_lookahead_strategy_fails_the_run_before_it_trades(
    filled: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(strategies.STRATEGIES, "peeking", Peeking)
    run = run_job("backtest", {"strategy": "peeking"}, settings=filled, interactive=False)
    assert run.status is JobStatus.FAILED
    assert "미래의 봉" in (run.error or "")
    assert "000010" in (run.error or "")
    assert open_store(filled.store_url).list_backtests() == []
