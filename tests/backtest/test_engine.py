"""The engine on series small enough to check by hand: fills at the next bar's open, integer
costs with the tax of the settlement date, the two account models, exits, the lookahead
refusal."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from stocklab.backtest import layout as L
from stocklab.backtest.engine import Config, LookaheadError, Run, run
from stocklab.backtest.kernel import affordable
from stocklab.backtest.result import daily_equity, to_record
from stocklab.krx import add_ticks
from stocklab.krx.fills import FillModel
from stocklab.trading.strategy import Rules, get_strategy
from tests.backtest.helpers import Peeking, Scripted, daily, days_from

# 2024-12-20 (Fri), 23, 24, 26, 27, 30, 2025-01-02: 25 and 31 December and 1 January are
# KRX holidays. A sale on 12-26 settles on 12-30 (tax 0.18%, the 2024 rate); a sale on
# 12-27 settles on 2025-01-02 (0.15%, the 2025 rate).
YEAR_END = days_from(date(2024, 12, 20), 7)
OPENS = [10_000, 10_100, 10_200, 10_300, 10_400, 10_500, 10_600]


def fills_of(result: Run, code: str) -> list[tuple[int, int, int, int, int, int]]:
    """(bar within the code, side, shares, price, commission, tax) of one code's fills."""
    k = result.codes.index(code)
    start = int(result.offsets[k])
    return [
        (r[L.F_BAR] - start, r[L.F_SIDE], r[L.F_QTY], r[L.F_PRICE], r[L.F_COMMISSION], r[L.F_TAX])
        for r in result.fills.tolist()
        if r[L.F_CODE] == k
    ]


def test_a_round_trip_by_hand_with_the_tax_of_the_settlement_date() -> None:
    bars = {c: daily(c, YEAR_END, OPENS) for c in ("000010", "000020")}
    strategy = Scripted(
        entries={"000010": [0], "000020": [1]}, exits={"000010": [2], "000020": [3]}
    )
    result = run(strategy, bars, Config(cash=1_000_000))
    # 000010: signal at the close of 12-20, bought at the open of 12-23 (10,100):
    # floor(1,000,000 / (10,100 × 1.00015)) = 98 shares = 989,800, commission
    # floor(148.47) = 148. Sold at the open of 12-26 (10,300): 1,009,400, commission
    # floor(151.41) = 151, tax 0.18% floor(1,816.92) = 1,816.
    assert fills_of(result, "000010") == [
        (1, 1, 98, 10_100, 148, 0),
        (3, -1, 98, 10_300, 151, 1_816),
    ]
    # 000020: bought 12-24 at 10,200: 98 shares = 999,600, commission floor(149.94) = 149;
    # sold 12-27 at 10,400: 1,019,200, commission floor(152.88) = 152, tax 0.15% = 1,528.
    assert fills_of(result, "000020") == [
        (2, 1, 98, 10_200, 149, 0),
        (4, -1, 98, 10_400, 152, 1_528),
    ]
    cash = {
        "000010": 1_000_000 - 989_800 - 148 + 1_009_400 - 151 - 1_816,
        "000020": 1_000_000 - 999_600 - 149 + 1_019_200 - 152 - 1_528,
    }
    assert result.final_equity_by_code() == cash == {"000010": 1_017_485, "000020": 1_017_771}
    days, equity, invested = daily_equity(result)
    assert len(days) == 7
    # at the close of 12-23, 000010 holds 98 shares at 10,150 next to 10,052 of cash
    assert equity[1] == 10_052 + 98 * 10_150 + 1_000_000
    assert invested[1] == 98 * 10_150
    assert equity[-1] == 1_017_485 + 1_017_771

    record = to_record(result, "bt-test-1")
    first = record.trades[0]
    assert first == {
        "code": "000010", "entry_at": "2024-12-23", "exit_at": "2024-12-26", "qty": 98,
        "entry_price": 10_100, "exit_price": 10_300, "bought": 989_800, "sold": 1_009_400,
        "commission": 299, "tax": 1_816, "pnl": 17_485, "return": 17_485 / 989_800,
        "bars": 3, "reason": "signal",
    }  # fmt: skip
    assert record.stats["tax"] == 1_816 + 1_528
    assert record.stats["commission"] == 148 + 151 + 149 + 152
    assert record.stats["final_equity"] == 2_035_256
    assert record.equity[-1] == (date(2025, 1, 2), 2_035_256)
    assert record.start == date(2024, 12, 20)


def test_signals_fill_at_the_next_bar_never_the_same_one() -> None:
    opens = [10_000 + 1_000 * i for i in range(7)]
    bars = {"000010": daily("000010", YEAR_END, opens, closes=[o + 500 for o in opens])}
    result = run(Scripted(entries={"000010": [2]}, exits={"000010": [4]}), bars)
    assert [(f[0], f[3]) for f in fills_of(result, "000010")] == [(3, 13_000), (5, 15_000)]
    last = run(Scripted(entries={"000010": [6]}), bars)  # no bar after the last one
    assert len(last.fills) == 0
    assert len(last.trades) == 0


def test_shared_cash_and_per_code_accounts_differ_when_cash_is_short() -> None:
    bars = {c: daily(c, YEAR_END, OPENS) for c in ("000010", "000020", "000030")}
    # 000010 and 000020 want to enter at the same open; 000030 enters when 000010 sells
    strategy = Scripted(
        entries={"000010": [0], "000020": [0], "000030": [2]}, exits={"000010": [2]}
    )
    accounts = run(strategy, bars, Config(cash=1_000_000))
    shared = run(strategy, bars, Config(cash=1_000_000, shared_cash=True))
    assert [f[:3] for f in fills_of(accounts, "000020")] == [(1, 1, 98)]
    assert fills_of(shared, "000020") == []  # 000010 took all the cash first
    # in the shared account, the sale at 12-26's open pays for 000030's buy at the same open
    cash_after_sale = 1_000_000 - 989_800 - 148 + 1_009_400 - 151 - 1_816
    assert cash_after_sale == 1_017_485
    assert fills_of(shared, "000030") == [(3, 1, 98, 10_300, 151, 0)]  # 98 × 10,300 × 1.00015
    assert accounts.initial_equity == 3_000_000
    assert shared.initial_equity == 1_000_000
    assert accounts.equity[-1] != shared.equity[-1]
    with pytest.raises(ValueError, match="공유 자금"):
        shared.final_equity_by_code()


def test_take_profit_in_ticks_crosses_a_tick_band() -> None:
    days = days_from(date(2024, 3, 4), 5)
    target = add_ticks(1_995, 10)  # 1995 → 2000 in ticks of 1, then ticks of 5: 2025
    assert target == 2_025
    reached = daily(
        "000010", days, [2_000, 1_995, 2_000, 2_010, 2_000],
        closes=[2_000, 2_000, 2_010, 2_010, 2_000],
        highs=[2_000, 2_000, 2_020, 2_030, 2_000],
        lows=[1_990, 1_990, 1_995, 2_000, 1_990],
    )  # fmt: skip
    gapped = daily(
        "000020", days, [2_000, 1_995, 2_040, 2_050, 2_000],
        closes=[2_000, 2_000, 2_045, 2_050, 2_000],
        highs=[2_000, 2_000, 2_060, 2_060, 2_000],
        lows=[1_990, 1_990, 2_030, 2_040, 1_990],
    )  # fmt: skip
    strategy = Scripted(
        entries={"000010": [0], "000020": [0]},
        rules=Rules(take_profit_ticks=10, sizing="qty", size=10),
    )
    result = run(strategy, {"000010": reached, "000020": gapped})
    assert [f[:4] for f in fills_of(result, "000010")] == [(1, 1, 10, 1_995), (3, -1, 10, 2_025)]
    assert [f[:4] for f in fills_of(result, "000020")] == [(1, 1, 10, 1_995), (2, -1, 10, 2_040)]
    record = to_record(result, "bt-test-tp")
    assert {t["reason"] for t in record.trades} == {"take_profit"}


def test_stop_loss_fills_at_the_stop_or_at_a_gap_below_it() -> None:
    days = days_from(date(2024, 3, 4), 4)
    touched = daily(
        "000010", days, [10_000, 10_000, 9_800, 9_000], lows=[9_900, 9_950, 9_400, 8_900]
    )
    gapped = daily(
        "000020", days, [10_000, 10_000, 9_300, 9_000], lows=[9_900, 9_950, 9_200, 8_900]
    )
    rules = Rules(stop_loss_pct=Decimal("0.05"), sizing="qty", size=10)  # stop 9,500
    strategy = Scripted(entries={"000010": [0], "000020": [0]}, rules=rules)
    result = run(strategy, {"000010": touched, "000020": gapped})
    assert [f[:4] for f in fills_of(result, "000010")] == [(1, 1, 10, 10_000), (2, -1, 10, 9_500)]
    assert [f[:4] for f in fills_of(result, "000020")] == [(1, 1, 10, 10_000), (2, -1, 10, 9_300)]
    assert {t["reason"] for t in to_record(result, "bt-test-sl").trades} == {"stop_loss"}


def test_holding_limit() -> None:
    days = days_from(date(2024, 3, 4), 7)
    bars = {"000010": daily("000010", days, [10_000] * 7)}
    rules = Rules(max_holding_bars=2, sizing="qty", size=250)
    result = run(Scripted(entries={"000010": [0]}, rules=rules), bars)
    # bought at bar 1, held through bars 1 and 2, sold at the open of bar 3
    assert [f[:3] for f in fills_of(result, "000010")] == [(1, 1, 250), (3, -1, 250)]
    assert [t["reason"] for t in to_record(result, "bt-test-mh").trades] == ["max_holding"]


def test_orders_take_at_most_their_share_of_a_bars_volume() -> None:
    days = days_from(date(2024, 3, 4), 7)
    thin = {"000010": daily("000010", days, [10_000] * 7, volume=1_000)}  # 10%: 100 shares
    rules = Rules(sizing="qty", size=250)
    result = run(Scripted(entries={"000010": [0]}, exits={"000010": [3]}, rules=rules), thin)
    # 250 shares bought in slices of 100 at bars 1, 2, 3; the exit signal at bar 3's close
    # sells 100 at bar 4, 100 at bar 5 and the last 50 at bar 6
    assert [f[:3] for f in fills_of(result, "000010")] == [
        (1, 1, 100), (2, 1, 100), (3, 1, 50), (4, -1, 100), (5, -1, 100), (6, -1, 50),
    ]  # fmt: skip
    (trade,) = to_record(result, "bt-test-part").trades
    assert (trade["qty"], trade["entry_at"], trade["exit_at"]) == (250, "2024-03-05", "2024-03-12")


def test_a_bar_without_volume_fills_nothing() -> None:
    days = days_from(date(2024, 3, 4), 5)
    bars = {"000010": daily("000010", days, [10_000] * 5, volume=[100, 0, 0, 100, 100])}
    result = run(
        Scripted(entries={"000010": [0]}),
        bars,
        Config(cash=1_000_000, fills=FillModel(participation=Decimal(1))),
    )
    assert [f[:3] for f in fills_of(result, "000010")] == [(3, 1, 99)]


def test_open_positions_are_valued_at_the_last_close() -> None:
    bars = {"000010": daily("000010", YEAR_END, OPENS)}
    result = run(Scripted(entries={"000010": [0]}), bars, Config(cash=1_000_000))
    record = to_record(result, "bt-test-open")
    (trade,) = record.trades
    assert (trade["exit_at"], trade["reason"], trade["exit_price"]) == (None, "open", None)
    assert trade["pnl"] == 98 * (10_650 - 10_100) - 148
    assert record.stats["open_positions"] == 1
    assert record.stats["trades"] == 0  # closed trades only


def test_affordable_shares_are_exact_and_do_not_overflow() -> None:
    assert affordable(10_001, 10_000, 15_000) == 0  # 10,000 × 1.00015 = 10,001.5
    assert affordable(10_002, 10_000, 15_000) == 1
    assert affordable(0, 10_000, 15_000) == 0
    big = 1_000_000_000_000
    assert affordable(big, 1, 15_000) == big * 100_000_000 // (100_000_000 + 15_000)


def test_a_strategy_that_looks_ahead_is_refused_before_it_runs() -> None:
    rng = np.random.default_rng(5)
    opens = (10_000 + np.cumsum(rng.integers(-100, 101, 60)) // 10 * 10).tolist()
    bars = {"000010": daily("000010", days_from(date(2024, 3, 4), 60), opens)}
    with pytest.raises(LookaheadError, match=r"미래의 봉.*000010의 2024-03-"):
        run(Peeking(), bars)
    assert len(run(get_strategy("sma_cross", {"fast": 2, "slow": 5}), bars).axis) == 60


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="시작 자금"):
        Config(cash=0)
    with pytest.raises(ValueError, match="참여율"):
        Config(fills=FillModel(participation=Decimal(2)))
    bars = {"000010": daily("000010", YEAR_END, OPENS).take(slice(0, 0))}
    with pytest.raises(ValueError, match="봉이 있는 종목이 없습니다"):
        run(Scripted(entries={}), bars)
