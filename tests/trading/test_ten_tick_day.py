"""The seed's scenario for a whole simulated trading day on the paper broker: it buys,
sells ten ticks higher, pays exactly the fees and tax of `krx.costs`, and the cash
ledger adds up to the won."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from stocklab.config import load_settings
from stocklab.jobs.runner import run_job
from stocklab.krx import add_ticks, settlement_date, transaction_tax_rate
from stocklab.krx.fills import fee, rate_units
from stocklab.model import KST, Market, SecurityKind, Side
from stocklab.runtime.trading import open_trader
from stocklab.store import open_store

DAY = date(2024, 11, 15)
CASH = 50_000_000


def test_ten_tick_trades_a_day_and_the_ledger_adds_up(tmp_path: Path) -> None:
    clock = {"now": datetime(2024, 11, 14, 18, 30, tzinfo=KST)}
    settings = load_settings(
        home=tmp_path / "home",
        sim_codes=40,
        sim_start=date(2024, 6, 3),
        paper_cash=CASH,
        strategies=[{"name": "ten_tick", "codes": ["00088K"], "params": {"qty": 10}}],
    )
    assert run_job("collect_codes", settings=settings, interactive=False).error is None
    store = open_store(settings.store_url)
    trader = open_trader(settings, store, now=lambda: clock["now"])
    t = datetime.combine(DAY, datetime.min.time(), KST).replace(hour=9, minute=0, second=30)
    while t < t.replace(hour=15, minute=20):
        clock["now"] = t
        trader.cycle()
        t += timedelta(minutes=5)
    clock["now"] = t.replace(hour=15, minute=45)
    trader.manager.reconcile()  # the day is over: leftovers expire, last fills land

    fills = store.list_fills(account_id=settings.trading_account)
    buys = [f for f in fills if f.side is Side.BUY]
    sells = [f for f in fills if f.side is Side.SELL]
    assert len(buys) >= 2, "a day of ten_tick should complete several round trips"
    assert sells
    for sell in sells:  # every sell is ten ticks above the buy it closes
        buy = max((b for b in buys if b.ts <= sell.ts), key=lambda b: b.ts)
        assert sell.price == add_ticks(buy.price, 10)
    tax_rate = rate_units(
        transaction_tax_rate(settlement_date(DAY), Market.KOSPI, SecurityKind.STOCK)
    )
    assert tax_rate == 180_000  # 0.18% in 2024
    for f in fills:
        assert f.commission == fee(f.qty * f.price, 15_000)
        assert f.tax == (fee(f.qty * f.price, tax_rate) if f.side is Side.SELL else 0)
    ledger = CASH
    for f in fills:
        if f.side is Side.BUY:
            ledger -= f.qty * f.price + f.commission
        else:
            ledger += f.qty * f.price - f.commission - f.tax
    broker = trader.manager.broker
    account = store.get_account(settings.trading_account)
    assert account is not None
    assert account.cash == ledger == broker.balance().cash
    held = {h.code: h.qty for h in broker.holdings()}
    stored = {p.code: p.qty for p in store.list_positions(settings.trading_account) if p.qty}
    assert stored == held
    assert sum(f.qty for f in buys) - sum(f.qty for f in sells) == held.get("00088K", 0)
    orders = store.list_orders(settings.trading_account, limit=1000)
    assert len({o.client_id for o in orders}) == len(orders)
    assert not [o for o in orders if o.status.is_open]
