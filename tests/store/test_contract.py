"""The storage contract: every backend must pass every case here unchanged."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pytest

from stocklab.barseries import BarSeries, BarValidationError
from stocklab.model import (
    KST,
    Account,
    BacktestResult,
    BacktestSummary,
    Bar,
    Fill,
    Flow,
    FlowKind,
    Instrument,
    JobRun,
    JobStatus,
    Market,
    Order,
    OrderRequest,
    OrderStatus,
    Position,
    Side,
    Timeframe,
    daily_ts,
)
from stocklab.store import (
    DuplicateKey,
    ReadOnlyError,
    Store,
    VersionConflict,
    WriteResult,
)

bulk = pytest.mark.bulk_upsert
T0 = datetime(2024, 3, 4, 9, 0, tzinfo=KST)


def daily(code: str, days: list[date], base: int = 10_000) -> BarSeries:
    n = len(days)
    close = np.arange(n, dtype=np.int64) * 10 + base
    return BarSeries.from_arrays(
        "1d",
        code,
        [int(daily_ts(d).timestamp()) for d in days],
        close - 5,
        close + 20,
        close - 20,
        close,
        np.arange(n) + 1_000,
        close * 1_000,
    )


def minutes(code: str, n: int, start: datetime = T0, base: int = 5_000) -> BarSeries:
    ts = int(start.timestamp()) + 60 * np.arange(n, dtype=np.int64)
    close = np.full(n, base, dtype=np.int64) + np.arange(n) % 7 * 5
    return BarSeries.from_arrays(
        "1m", code, ts, close, close + 5, close - 5, close, np.arange(n) + 1
    )


def weekdays(start: date, n: int) -> list[date]:
    out, d = [], start
    while len(out) < n:
        if d.weekday() < 5:
            out.append(d)
        d += timedelta(days=1)
    return out


INSTRUMENTS = [
    Instrument(code="005930", name="삼성전자", market=Market.KOSPI),
    Instrument(code="005935", name="삼성전자우", market=Market.KOSPI),
    Instrument(code="035720", name="카카오", market=Market.KOSPI),
    Instrument(code="247540", name="에코프로비엠", market=Market.KOSDAQ),
    Instrument(code="00088K", name="한화3우B", market=Market.KOSPI, source="sim"),
]


# -- instruments ----------------------------------------------------------------------


@bulk
def test_instruments_upsert_counts_and_is_idempotent(store: Store) -> None:
    assert store.upsert_instruments(INSTRUMENTS) == WriteResult(5, 0, 0)
    assert store.upsert_instruments(INSTRUMENTS) == WriteResult(0, 0, 5)
    renamed = Instrument(code="035720", name="카카오(변경)", market=Market.KOSPI)
    assert store.upsert_instruments([renamed, INSTRUMENTS[0]]) == WriteResult(0, 1, 1)
    assert store.get_instrument("035720") == renamed
    assert store.get_instrument("00088K").source == "sim"
    assert store.get_instrument("000001") is None


@bulk
def test_instruments_search_filter_and_page(store: Store) -> None:
    store.upsert_instruments(INSTRUMENTS)
    assert [i.code for i in store.list_instruments(query="삼성")] == ["005930", "005935"]
    assert [i.code for i in store.list_instruments(query="0059")] == ["005930", "005935"]
    assert [i.code for i in store.list_instruments(query="00088k")] == ["00088K"]
    assert [i.code for i in store.list_instruments(market=Market.KOSDAQ)] == ["247540"]
    assert store.count_instruments(market=Market.KOSPI) == 4
    page = store.list_instruments(limit=2, offset=1)
    assert [i.code for i in page] == ["005930", "005935"]
    assert store.list_instruments(query="100%") == []


def test_instrument_bad_input_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="종목코드"):
        store.get_instrument("5930")
    with pytest.raises(ValueError, match="두 번"):
        store.upsert_instruments([INSTRUMENTS[0], INSTRUMENTS[0]])
    with pytest.raises(ValueError, match="limit"):
        store.list_instruments(limit=0)


# -- bars -----------------------------------------------------------------------------


@bulk
def test_bars_round_trip_and_idempotence(store: Store) -> None:
    days = weekdays(date(2024, 1, 2), 30)
    bars = daily("005930", days)
    assert store.save_bars(bars, source="test") == WriteResult(30, 0, 0)
    assert store.save_bars(bars, source="test") == WriteResult(0, 0, 30)
    loaded = store.load_bars("005930", Timeframe.DAY)
    assert loaded.to_bars() == bars.to_bars()
    assert loaded.value.tolist() == bars.value.tolist()


@bulk
def test_bars_changed_rows_count_as_updated(store: Store) -> None:
    days = weekdays(date(2024, 1, 2), 10)
    store.save_bars(daily("005930", days), source="a")
    more = daily("005930", days[5:] + weekdays(date(2024, 2, 1), 3), base=20_000)
    assert store.save_bars(more, source="b") == WriteResult(3, 5, 0)
    loaded = store.load_bars("005930", "1d")
    assert len(loaded) == 13
    assert loaded.close[5] == 20_000
    assert loaded.close[4] == 10_040


@bulk
def test_bars_load_is_sorted_ranged_and_limited(store: Store) -> None:
    days = weekdays(date(2024, 1, 2), 20)
    bars = daily("005930", days)
    shuffled = bars.take(np.random.default_rng(7).permutation(len(bars)))
    store.save_bars(shuffled)
    loaded = store.load_bars("005930", "1d")
    assert loaded.ts.tolist() == sorted(loaded.ts.tolist())
    ranged = store.load_bars("005930", "1d", start=days[3], end=days[6])
    assert [b.trading_date for b in ranged] == days[3:7]
    last3 = store.load_bars("005930", "1d", limit=3)
    assert [b.trading_date for b in last3] == days[-3:]
    within = store.load_bars("005930", "1d", end=days[9], limit=2)
    assert [b.trading_date for b in within] == days[8:10]
    aware = store.load_bars("005930", "1d", start=daily_ts(days[18]))
    assert [b.trading_date for b in aware] == days[18:]
    assert len(store.load_bars("005935", "1d")) == 0


def test_bars_bad_queries_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="거꾸로"):
        store.load_bars("005930", "1d", start=date(2024, 2, 1), end=date(2024, 1, 1))
    with pytest.raises(ValueError, match="시간대"):
        store.load_bars("005930", "1d", start=datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="종목코드"):
        store.load_bars("ABC", "1d")
    with pytest.raises(ValueError, match="5y"):
        store.load_bars("005930", "5y")
    with pytest.raises(ValueError, match="limit"):
        store.load_bars("005930", "1d", limit=10**9)


@bulk
def test_bars_invalid_batch_stores_nothing(store: Store) -> None:
    good = minutes("005930", 5)
    ts = good.ts.copy()
    with pytest.raises(BarValidationError, match="고가"):
        BarSeries.from_arrays(
            "1m", "005930", ts, good.open, good.open - 1, good.low, good.close, good.volume
        )
    broken = BarSeries(
        Timeframe.MINUTE, good.code, ts, good.open, good.open - 10, good.low, good.close,
        good.volume, good.value,
    )  # fmt: skip
    with pytest.raises(BarValidationError):
        store.save_bars(broken)
    assert len(store.load_bars("005930", "1m")) == 0
    assert store.bar_overview() == []


@bulk
def test_bars_accept_records_and_multiple_codes(store: Store) -> None:
    records = [
        Bar(code=c, timeframe="1m", ts=T0 + timedelta(minutes=i), open=100, high=101,
            low=99, close=100, volume=i, value=None)
        for c in ("005930", "035720")
        for i in range(3)
    ]  # fmt: skip
    assert store.save_bars(records, source="rec") == WriteResult(6, 0, 0)
    assert store.load_bars("035720", "1m").to_bars() == records[3:]
    section = store.cross_section("1m", T0 + timedelta(minutes=1))
    assert section.code.tolist() == ["005930", "035720"]
    assert section.volume.tolist() == [1, 1]


@bulk
def test_bar_overview_and_delete(store: Store) -> None:
    days = weekdays(date(2024, 1, 2), 10)
    store.save_bars(daily("005930", days), source="sim")
    store.save_bars(minutes("005930", 30), source="sim")
    store.save_bars(daily("035720", days[:4]), source="naver")
    overview = {(c.code, c.timeframe): c for c in store.bar_overview()}
    assert set(overview) == {("005930", Timeframe.DAY), ("005930", Timeframe.MINUTE),
                             ("035720", Timeframe.DAY)}  # fmt: skip
    d = overview[("005930", Timeframe.DAY)]
    assert (d.count, d.first, d.last, d.source) == (
        10,
        daily_ts(days[0]),
        daily_ts(days[-1]),
        "sim",
    )
    assert overview[("035720", Timeframe.DAY)].source == "naver"
    assert overview[("005930", Timeframe.MINUTE)].count == 30
    one = store.bar_overview("035720")
    assert [(c.code, c.timeframe, c.count) for c in one] == [("035720", Timeframe.DAY, 4)]
    assert store.bar_overview("000001") == []

    assert store.delete_bars("005930", "1d", start=days[0], end=days[2]) == 3
    d = {(c.code, c.timeframe): c for c in store.bar_overview()}[("005930", Timeframe.DAY)]
    assert (d.count, d.first) == (7, daily_ts(days[3]))
    assert store.delete_bars("035720", "1d") == 4
    assert ("035720", Timeframe.DAY) not in {(c.code, c.timeframe) for c in store.bar_overview()}
    assert store.save_bars(daily("035720", days[:4])).inserted == 4


# -- flows ----------------------------------------------------------------------------


def flow(day: date, kind: FlowKind = FlowKind.INVESTOR, foreign: int = 100) -> Flow:
    return Flow(
        code="005930",
        day=day,
        kind=kind,
        values={"foreign_net_qty": foreign, "institution_net_krw": -5_000_000},
        source="test",
    )


@bulk
def test_flows_round_trip_filter_and_idempotence(store: Store) -> None:
    days = weekdays(date(2024, 1, 2), 5)
    rows = [flow(d) for d in days] + [flow(days[0], FlowKind.SHORT, 7)]
    assert store.save_flows(rows) == WriteResult(6, 0, 0)
    assert store.save_flows(rows) == WriteResult(0, 0, 6)
    assert store.save_flows([flow(days[1], foreign=-3)]) == WriteResult(0, 1, 0)
    investor = store.load_flows("005930", FlowKind.INVESTOR)
    assert [f.day for f in investor] == days
    assert investor[1].values["foreign_net_qty"] == -3
    assert store.load_flows("005930", "short") == [rows[-1]]
    assert [f.day for f in store.load_flows("005930", "investor", start=days[3])] == days[3:]
    assert [f.day for f in store.load_flows("005930", "investor", limit=2)] == days[3:]
    with pytest.raises(ValueError, match="거꾸로"):
        store.load_flows("005930", start=days[3], end=days[0])


# -- accounts, orders, fills, positions -----------------------------------------------


def account(cash: int = 10_000_000) -> Account:
    return Account(account_id="paper1", cash=cash, created_at=T0, updated_at=T0)


def order(client_id: str = "c1", qty: int = 10, price: int = 70_000) -> Order:
    req = OrderRequest(
        client_id=client_id, account_id="paper1", code="005930", side=Side.BUY, qty=qty,
        price=price,
    )  # fmt: skip
    return Order(request=req, created_at=T0, updated_at=T0)


def test_account_versions_are_optimistic(store: Store) -> None:
    created = store.create_account(account())
    assert created.version == 1
    with pytest.raises(DuplicateKey):
        store.create_account(account())
    moved = store.update_account(created.model_copy(update={"cash": 9_000_000}))
    assert (moved.version, store.get_account("paper1")) == (2, moved)
    with pytest.raises(VersionConflict):
        store.update_account(created.model_copy(update={"cash": 1}))
    assert store.get_account("paper1").cash == 9_000_000


def test_orders_insert_is_idempotent_by_client_id(store: Store) -> None:
    first = store.insert_order(order())
    assert first.version == 1
    assert store.insert_order(order()) == first
    with pytest.raises(DuplicateKey, match="c1"):
        store.insert_order(order(qty=11))
    sent = store.update_order(first.model_copy(update={"status": OrderStatus.SUBMITTED}))
    assert sent.version == 2
    with pytest.raises(VersionConflict):
        store.update_order(first.model_copy(update={"status": OrderStatus.CANCELLED}))
    store.insert_order(order("c2"))
    assert {o.client_id for o in store.list_orders(account_id="paper1")} == {"c1", "c2"}
    submitted = store.list_orders(statuses=[OrderStatus.SUBMITTED])
    assert [o.client_id for o in submitted] == ["c1"]
    assert store.list_orders(statuses=[]) == []
    assert store.get_order("nope") is None


def test_apply_fill_is_atomic_and_recorded_once(store: Store) -> None:
    acct = store.create_account(account())
    placed = store.insert_order(order(qty=10))
    fill = Fill(
        fill_id="f1", client_id="c1", account_id="paper1", code="005930", side=Side.BUY, qty=4,
        price=70_000, commission=42, ts=T0 + timedelta(seconds=5),
    )  # fmt: skip
    new_order = placed.model_copy(
        update={"status": OrderStatus.PARTIALLY_FILLED, "filled_qty": 4, "filled_amount": 280_000}
    )
    pos = Position(account_id="paper1", code="005930", qty=4, cost=280_042, updated_at=fill.ts)
    new_acct = acct.model_copy(update={"cash": acct.cash - 280_042})
    out = store.apply_fill(fill, new_order, pos, new_acct)
    assert out.recorded
    assert (out.order.version, out.position.version, out.account.version) == (2, 1, 2)
    assert store.get_account("paper1").cash == 10_000_000 - 280_042
    assert store.get_position("paper1", "005930").qty == 4
    assert store.list_fills(account_id="paper1") == [fill]

    again = store.apply_fill(fill, new_order, pos, new_acct)
    assert not again.recorded
    assert again.account == out.account
    assert store.list_fills(client_id="c1") == [fill]

    fill2 = fill.model_copy(update={"fill_id": "f2", "qty": 6})
    with pytest.raises(VersionConflict):  # a stale position must change nothing at all
        store.apply_fill(fill2, out.order, pos, out.account)
    assert store.list_fills(account_id="paper1") == [fill]
    assert store.get_account("paper1") == out.account
    assert store.get_order("c1") == out.order
    assert store.list_positions("paper1") == [out.position]


def test_fills_since_a_time_are_read_by_time_not_by_count(store: Store) -> None:
    acct = store.create_account(account())
    placed = store.insert_order(order(qty=10))
    days = [T0 - timedelta(days=2), T0 - timedelta(seconds=1), T0, T0 + timedelta(hours=3)]
    for n, ts in enumerate(days, start=1):
        fill = Fill(
            fill_id=f"f{n}", client_id="c1", account_id="paper1", code="005930",
            side=Side.BUY, qty=1, price=70_000, ts=ts,
        )  # fmt: skip
        placed = store.get_order("c1") or placed
        acct = store.get_account("paper1") or acct
        pos = store.get_position("paper1", "005930") or Position(
            account_id="paper1", code="005930", qty=0, cost=0, updated_at=ts
        )
        store.apply_fill(
            fill,
            placed.model_copy(
                update={
                    "status": OrderStatus.PARTIALLY_FILLED,
                    "filled_qty": n,
                    "filled_amount": 70_000 * n,
                }
            ),
            pos.model_copy(update={"qty": n, "cost": 70_000 * n}),
            acct.model_copy(update={"cash": acct.cash - 70_000}),
        )
    since = store.list_fills("paper1", since=T0)
    assert [f.fill_id for f in since] == ["f3", "f4"]
    assert [f.fill_id for f in store.list_fills("paper1", limit=1, since=T0)] == ["f3"]
    assert len(store.list_fills("paper1")) == 4
    with pytest.raises(ValueError, match="시간대"):
        store.list_fills("paper1", since=T0.replace(tzinfo=None))


def test_positions_versioned(store: Store) -> None:
    pos = Position(account_id="paper1", code="005930", qty=1, cost=70_000, updated_at=T0)
    saved = store.save_position(pos)
    with pytest.raises(VersionConflict):
        store.save_position(pos)
    again = store.save_position(saved.model_copy(update={"qty": 2, "cost": 140_000}))
    assert store.get_position("paper1", "005930") == again
    assert again.version == 2


# -- job runs, backtests, audit, read-only ------------------------------------------------


def test_job_runs_history(store: Store) -> None:
    run = JobRun(run_id="r1", job="collect_daily", status=JobStatus.RUNNING, started_at=T0, pid=42)
    store.save_job_run(run)
    done = run.model_copy(
        update={"status": JobStatus.SUCCEEDED, "ended_at": T0 + timedelta(seconds=3), "rows": 7}
    )
    store.save_job_run(done)
    store.save_job_run(
        JobRun(run_id="r2", job="collect_codes", status=JobStatus.FAILED,
               started_at=T0 + timedelta(minutes=1), error="boom")
    )  # fmt: skip
    assert store.get_job_run("r1") == done
    assert [r.run_id for r in store.list_job_runs()] == ["r2", "r1"]
    assert [r.run_id for r in store.list_job_runs(job="collect_daily")] == ["r1"]
    assert [r.run_id for r in store.list_job_runs(status=JobStatus.FAILED)] == ["r2"]


def test_job_runs_keep_their_process_identity(store: Store) -> None:
    """What a restart needs to tell a live run from a dead one comes back as saved."""
    run = JobRun(
        run_id="r3", job="collect_flows", status=JobStatus.RUNNING, trigger="api",
        started_at=T0, pid=4242, pid_stamp="boot-1:987654", launcher_pid=77,
        launcher_stamp="boot-1:12", deadline=T0 + timedelta(seconds=1800),
    )  # fmt: skip
    store.save_job_run(run)
    assert store.get_job_run("r3") == run
    cut = run.model_copy(
        update={"status": JobStatus.INTERRUPTED, "ended_at": T0 + timedelta(seconds=5),
                "error": "프로세스 4242가 끝나 있었습니다"}
    )  # fmt: skip
    store.save_job_run(cut)
    assert store.list_job_runs(status=JobStatus.INTERRUPTED) == [cut]
    assert store.list_job_runs(status=JobStatus.RUNNING) == []


def test_backtest_results(store: Store) -> None:
    result = BacktestResult(
        backtest_id="bt1", strategy="sma_cross", params={"fast": 5, "slow": 20},
        codes=["005930"], start=date(2020, 1, 2), end=date(2020, 12, 30), created_at=T0,
        stats={"sharpe": 1.25, "trades": 4}, trades=[{"code": "005930", "qty": 3}],
        equity=[(date(2020, 1, 2), 10_000_000), (date(2020, 1, 3), 10_010_000)],
    )  # fmt: skip
    assert store.save_backtest(result) == WriteResult(1, 0, 0)
    assert store.save_backtest(result) == WriteResult(0, 0, 1)
    assert store.get_backtest("bt1") == result
    (summary,) = store.list_backtests()
    assert summary == BacktestSummary.of(result)
    assert (summary.codes, summary.code_count, summary.stats) == (["005930"], 1, result.stats)
    assert store.count_backtests() == 1


def test_backtest_lists_are_summaries_a_page_at_a_time(store: Store) -> None:
    """A list never carries trades or equity, names at most 20 codes, and pages."""
    codes = [f"{n:06d}" for n in range(1, 31)]
    for n in range(5):
        store.save_backtest(
            BacktestResult(
                backtest_id=f"bt{n}", strategy="sma_cross", codes=codes,
                start=date(2020, 1, 2), end=date(2020, 12, 30),
                created_at=T0 + timedelta(minutes=n), stats={"trades": n},
                trades=[{"code": "000001", "qty": 1}] * 100,
                equity=[(date(2020, 1, 2), 1)] * 100,
            )
        )  # fmt: skip
    first = store.list_backtests(limit=2)
    assert [s.backtest_id for s in first] == ["bt4", "bt3"]  # newest first
    assert [s.backtest_id for s in store.list_backtests(limit=2, offset=2)] == ["bt2", "bt1"]
    assert [s.backtest_id for s in store.list_backtests(limit=2, offset=4)] == ["bt0"]
    assert store.list_backtests(limit=2, offset=5) == []
    assert first[0].codes == codes[:20]
    assert first[0].code_count == 30
    assert not hasattr(first[0], "trades")
    assert store.count_backtests() == 5
    full = store.get_backtest("bt4")
    assert full is not None
    assert len(full.codes) == 30
    assert len(full.trades) == 100


@bulk
def test_every_write_leaves_an_audit_entry(store: Store) -> None:
    store.upsert_instruments(INSTRUMENTS[:2])
    store.save_bars(minutes("005930", 3), source="t")
    store.create_account(account())
    store.load_bars("005930", "1m")  # reads leave no entry
    entries = store.list_audit()
    assert [(e.operation, e.collection, e.count) for e in entries] == [
        ("create_account", "accounts", 1),
        ("save_bars", "bars", 3),
        ("upsert_instruments", "instruments", 2),
    ]
    assert {e.actor for e in entries} == {"test"}
    assert all(e.ts.tzinfo is not None for e in entries)
    assert [e.operation for e in store.list_audit(collection="bars")] == ["save_bars"]
    store.audit_event("auth_failed", "security", {"route": "/api/jobs/x/run"})
    refused = store.list_audit(collection="security")
    assert [(e.operation, e.count, e.detail["route"]) for e in refused] == [
        ("auth_failed", 0, "/api/jobs/x/run")
    ]
    assert store.list_audit(since=entries[0].ts + timedelta(hours=1)) == []


@bulk
def test_reader_sees_writes_but_cannot_write(store: Store) -> None:
    reader = store.reader()
    store.save_bars(minutes("005930", 4))
    assert len(reader.load_bars("005930", "1m")) == 4
    with pytest.raises(ReadOnlyError):
        reader.save_bars(minutes("005930", 1))  # type: ignore[attr-defined]
    with pytest.raises(ReadOnlyError):
        reader.create_account(account())  # type: ignore[attr-defined]
    assert store.get_account("paper1") is None
    assert reader.ping()
