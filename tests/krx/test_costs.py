"""Commission and securities transaction tax: integer KRW, exact rates, settlement dates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from stocklab.krx import (
    DEFAULT_COMMISSION_RATE,
    NotATradingDay,
    TradeCosts,
    commission,
    trade_costs,
    transaction_tax,
    transaction_tax_rate,
)
from stocklab.model import Market, SecurityKind, Side

KOSPI, KOSDAQ, KONEX = Market.KOSPI, Market.KOSDAQ, Market.KONEX


def test_default_commission_rate_is_0_015_percent() -> None:
    assert Decimal("0.00015") == DEFAULT_COMMISSION_RATE


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (10_000_000, 1_500),  # float math gives 1499.9999999999998 here
        (100_000_000, 15_000),  # and 14999.999999999998 here
        (12_345, 1),  # 1.85175 → 1
        (6_666, 0),  # 0.9999 → 0
        (6_667, 1),  # 1.00005 → 1
        (0, 0),
    ],
)
def test_commission_floors_to_the_won(amount: int, expected: int) -> None:
    assert commission(amount) == expected


def test_commission_with_a_custom_rate() -> None:
    assert commission(1_000_000, Decimal("0.000036396")) == 36  # 36.396
    assert commission(1_000_000, Decimal("0.003")) == 3_000
    assert commission(1_000_000, Decimal(0)) == 0


@pytest.mark.parametrize("bad", [1_000.0, -1, True, "1000"])
def test_commission_refuses_bad_amounts(bad: object) -> None:
    with pytest.raises(ValueError, match="거래금액"):
        commission(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [0.00015, Decimal("-0.001"), Decimal("1.5"), Decimal("NaN")])
def test_commission_refuses_bad_rates(bad: object) -> None:
    with pytest.raises(ValueError, match="수수료율"):
        commission(1_000_000, bad)  # type: ignore[arg-type]


# (settlement date, KOSPI, KOSDAQ, KONEX)
TAX_ROWS = [
    (date(2015, 6, 15), "0.0030", "0.0030", "0.0030"),  # KONEX before 2019-06-03: assumption
    (date(2019, 5, 31), "0.0030", "0.0030", "0.0030"),
    (date(2019, 6, 2), "0.0030", "0.0030", "0.0030"),
    (date(2019, 6, 3), "0.0025", "0.0025", "0.0010"),
    (date(2020, 12, 31), "0.0025", "0.0025", "0.0010"),
    (date(2021, 1, 1), "0.0023", "0.0023", "0.0010"),
    (date(2022, 12, 30), "0.0023", "0.0023", "0.0010"),
    (date(2023, 1, 2), "0.0020", "0.0020", "0.0010"),
    (date(2023, 12, 28), "0.0020", "0.0020", "0.0010"),
    (date(2024, 1, 2), "0.0018", "0.0018", "0.0010"),
    (date(2024, 12, 30), "0.0018", "0.0018", "0.0010"),
    (date(2025, 1, 2), "0.0015", "0.0015", "0.0010"),
    (date(2025, 12, 30), "0.0015", "0.0015", "0.0010"),
    (date(2026, 1, 2), "0.0020", "0.0020", "0.0010"),
    (date(2026, 11, 19), "0.0020", "0.0020", "0.0010"),
]


@pytest.mark.parametrize(("settles", "kospi", "kosdaq", "konex"), TAX_ROWS)
def test_tax_rate_by_settlement_date_and_market(
    settles: date, kospi: str, kosdaq: str, konex: str
) -> None:
    assert transaction_tax_rate(settles, KOSPI) == Decimal(kospi)
    assert transaction_tax_rate(settles, KOSDAQ) == Decimal(kosdaq)
    assert transaction_tax_rate(settles, KONEX) == Decimal(konex)


@pytest.mark.parametrize("kind", [SecurityKind.ETF, SecurityKind.ETN, SecurityKind.ELW])
@pytest.mark.parametrize("market", list(Market))
@pytest.mark.parametrize("settles", [date(2018, 3, 2), date(2024, 6, 3), date(2026, 1, 2)])
def test_funds_and_notes_pay_no_transaction_tax(
    kind: SecurityKind, market: Market, settles: date
) -> None:
    assert transaction_tax_rate(settles, market, kind) == 0


def test_tax_rate_refuses_datetimes_and_unknown_markets() -> None:
    with pytest.raises(TypeError, match="결제일"):
        transaction_tax_rate("2024-06-03", KOSPI)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="NYSE"):
        transaction_tax_rate(date(2024, 6, 3), "NYSE")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("traded", "market", "expected"),
    [
        (date(2024, 12, 26), KOSPI, 18_000),  # settles 2024-12-30: 0.18%
        (date(2024, 12, 27), KOSPI, 15_000),  # settles 2025-01-02: the 2025 cut
        (date(2025, 12, 26), KOSPI, 15_000),  # settles 2025-12-30: still 0.15%
        (date(2025, 12, 29), KOSPI, 20_000),  # settles 2026-01-02: 0.20%
        (date(2025, 12, 30), KOSPI, 20_000),  # settles 2026-01-05
        (date(2024, 12, 26), KOSDAQ, 18_000),
        (date(2024, 12, 27), KOSDAQ, 15_000),
        (date(2025, 12, 29), KOSDAQ, 20_000),
        (date(2024, 12, 27), KONEX, 10_000),
    ],
)
def test_transaction_tax_uses_the_settlement_date(
    traded: date, market: Market, expected: int
) -> None:
    assert transaction_tax(10_000_000, traded, market) == expected


def test_tax_rate_switch_in_2019_follows_settlement() -> None:
    # 2019-05-30 (Thu) settles 2019-06-03 (Mon): the 0.25% rate already applies
    assert transaction_tax(10_000_000, date(2019, 5, 30), KOSPI) == 25_000
    # 2019-05-29 (Wed) settles 2019-05-31: still 0.30%
    assert transaction_tax(10_000_000, date(2019, 5, 29), KOSPI) == 30_000


def test_transaction_tax_floors_to_the_won() -> None:
    assert transaction_tax(12_345, date(2024, 6, 3), KOSPI) == 22  # 22.221
    assert transaction_tax(555, date(2024, 6, 3), KOSDAQ) == 0  # 0.999
    assert transaction_tax(10_000_000, date(2024, 6, 3), KOSPI, SecurityKind.ETF) == 0


def test_transaction_tax_needs_a_trading_day() -> None:
    with pytest.raises(NotATradingDay):
        transaction_tax(10_000_000, date(2024, 12, 31), KOSPI)


def test_trade_costs_buy_pays_commission_only() -> None:
    costs = trade_costs(Side.BUY, 10_000_000, date(2024, 12, 27), KOSPI)
    assert costs == TradeCosts(commission=1_500, tax=0)
    assert costs.total == 1_500


def test_trade_costs_sell_pays_commission_and_tax() -> None:
    costs = trade_costs(Side.SELL, 10_000_000, date(2024, 12, 26), KOSPI)
    assert costs == TradeCosts(commission=1_500, tax=18_000)
    assert costs.total == 19_500
    etf = trade_costs("sell", 10_000_000, date(2024, 12, 26), KOSPI, SecurityKind.ETF)  # type: ignore[arg-type]
    assert etf == TradeCosts(commission=1_500, tax=0)
    custom = trade_costs(Side.SELL, 10_000_000, date(2025, 12, 29), KOSDAQ, rate=Decimal("0.0001"))
    assert custom == TradeCosts(commission=1_000, tax=20_000)


def test_trade_costs_refuses_unknown_side() -> None:
    with pytest.raises(ValueError, match=r"short.*buy, sell"):
        trade_costs("short", 1_000, date(2024, 6, 3), KOSPI)  # type: ignore[arg-type]
