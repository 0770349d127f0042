"""`LsBroker` on real HTTP against the LS stand-in: each order TR field by field, the
published refusal, t0425 paging and the cumulative-fill rule, cash and holdings from the
examples and from the book, and the rule that matters most: an order is sent once, and
an unknown outcome is found again in `orders()`."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from stocklab.agent.base import AuthError, BadResponse, RateLimited, SourceError
from stocklab.agent.broker import (
    Balance,
    Broker,
    BrokerFill,
    BrokerOrder,
    BrokerRejected,
    Holding,
    OrderUnknown,
    Placed,
)
from stocklab.agent.ls import LsBroker
from stocklab.agent.ls import broker as ls_broker_module
from stocklab.agent.ls.broker import holdings_of, order_no, order_status, short_code
from stocklab.config import Settings
from stocklab.model import KST, OrderRequest, OrderType, Side
from stocklab.runtime import sources
from tests.support.ls_server import (
    APPKEY,
    APPSECRET,
    SAMPLES,
    LsTestServer,
    ls_broker,
    ls_server_fixture,  # noqa: F401 (the ls_server fixture)
    serve,
)

NOW = datetime(2025, 6, 2, 10, 15, 30, 123_000, tzinfo=KST)
AT = NOW.replace(microsecond=0)
"""t0425 times are read to the second."""


def clock() -> datetime:
    return NOW


def sample(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def order(
    side: Side, code: str, qty: int, price: int | None = None, client_id: str = "c1"
) -> OrderRequest:
    return OrderRequest(
        client_id=client_id,
        account_id="ls",
        code=code,
        side=side,
        qty=qty,
        order_type=OrderType.LIMIT if price else OrderType.MARKET,
        price=price,
    )


@pytest.fixture
def server(ls_server: LsTestServer) -> LsTestServer:
    ls_server.now = clock
    return ls_server


@pytest.fixture
def broker(server: LsTestServer, tmp_path: Path) -> Iterator[LsBroker]:
    with ls_broker(server, tmp_path / "home", now=clock) as broker:
        yield broker


def test_it_is_a_broker_and_says_paper_or_live(server: LsTestServer, tmp_path: Path) -> None:
    paper = ls_broker(server, tmp_path / "home")
    live = ls_broker(server, tmp_path / "home", paper=False)
    paper.close()
    live.close()
    assert isinstance(paper, Broker)
    assert (paper.name, paper.live, live.live) == ("ls", False, True)
    assert repr(paper) == f"LsBroker(LsClient({server.base_url!r}, personal), paper)"


# -- place ------------------------------------------------------------------------------


def test_a_limit_buy_as_the_published_example(server: LsTestServer, broker: LsBroker) -> None:
    placed = broker.place(order(Side.BUY, "272210", 1, 35000))
    example = sample("CSPAT00601-buy")
    (seen,) = server.seen("CSPAT00601")
    # The example's request, on KRX instead of NXT.
    assert seen.body == {
        "CSPAT00601InBlock1": {**example["request"]["body"]["CSPAT00601InBlock1"], "MbrNo": "KRX"}
    }
    assert seen.headers["tr_cd"] == "CSPAT00601"
    assert placed == Placed("32004", NOW, "매수 주문이 완료되었습니다.")
    booked = server.book[32004]
    assert (booked.code, booked.side, booked.qty, booked.price, booked.ordrem) == (
        "272210",
        "2",
        1,
        35000,
        1,
    )


@pytest.mark.parametrize(
    ("request_", "fields", "message"),
    [
        (
            order(Side.SELL, "005930", 1, 70000),
            {"OrdPrc": 70000, "BnsTpCode": "1", "OrdprcPtnCode": "00"},
            "매도 주문이 완료되었습니다.",
        ),
        (
            order(Side.BUY, "005930", 2),
            {"OrdPrc": 0, "BnsTpCode": "2", "OrdprcPtnCode": "03"},
            "매수 주문이 완료되었습니다.",
        ),
        (
            order(Side.SELL, "005930", 1),
            {"OrdPrc": 0, "BnsTpCode": "1", "OrdprcPtnCode": "03"},
            "매도 주문이 완료되었습니다.",
        ),
    ],
    ids=["limit-sell", "market-buy", "market-sell"],
)
def test_sells_and_market_orders_field_by_field(
    server: LsTestServer,
    broker: LsBroker,
    request_: OrderRequest,
    fields: dict[str, Any],
    message: str,
) -> None:
    placed = broker.place(request_)
    (seen,) = server.seen("CSPAT00601")
    assert seen.body == {
        "CSPAT00601InBlock1": {
            "IsuNo": "A005930",
            "OrdQty": request_.qty,
            **fields,
            "MgntrnCode": "000",
            "LoanDt": "",
            "OrdCndiTpCode": "0",
            "MbrNo": "KRX",
        }
    }
    assert placed == Placed("32004", NOW, message)


@pytest.mark.parametrize(
    ("request_", "code", "words"),
    [
        (order(Side.BUY, "005930", 1, 60050), "02705", "호가단위"),  # tick 100 above 50,000
        (order(Side.SELL, "005930", 2, 70000), "01478", "매도가능수량"),  # one share held
        (order(Side.BUY, "272210", 20_000, 35000), "02714", "주문가능금액"),  # 700,000,000 KRW
    ],
    ids=["tick", "sell-short", "no-money"],
)
def test_an_exchange_refusal_is_broker_rejected_with_its_code(
    server: LsTestServer, broker: LsBroker, request_: OrderRequest, code: str, words: str
) -> None:
    with pytest.raises(BrokerRejected, match=words) as caught:
        broker.place(request_)
    assert caught.value.code == code
    assert caught.value.hint
    assert caught.value.source == "ls"
    assert len(server.seen("CSPAT00601")) == 1
    assert server.book == {}


# -- modify and cancel --------------------------------------------------------------------


def test_the_published_modify_refusal_is_broker_rejected(
    server: LsTestServer, broker: LsBroker
) -> None:
    server.reference["005930"] = 12000  # lower limit 8,400: the example's 8,350 is below it
    first = broker.place(order(Side.BUY, "005930", 1, 9000))
    example = sample("CSPAT00701-reject")
    with pytest.raises(BrokerRejected) as caught:
        broker.modify(first.broker_order_id, order(Side.BUY, "005930", 1, 8350))
    body = example["response"]["body"]
    assert caught.value.code == body["rsp_cd"] == "03181"
    assert body["rsp_msg"] in str(caught.value)
    assert "하한가" in caught.value.hint
    (seen,) = server.seen("CSPAT00701")
    assert seen.body == {
        "CSPAT00701InBlock1": {
            **example["request"]["body"]["CSPAT00701InBlock1"],
            "OrgOrdNo": 32004,
            "OrdPrc": 8350,
        }
    }
    assert list(server.book) == [32004]
    assert server.book[32004].ordrem == 1  # untouched


@pytest.mark.parametrize("modify_code", ["00132", "00131"])
def test_modify_then_cancel_and_the_rows_they_leave(
    server: LsTestServer, broker: LsBroker, modify_code: str
) -> None:
    server.modify_code = modify_code
    first = broker.place(order(Side.BUY, "005930", 10, 60000))
    modified = broker.modify(first.broker_order_id, order(Side.BUY, "005930", 10, 60100))
    cancelled = broker.cancel(modified.broker_order_id, "005930", 10)
    assert modified == Placed("32005", NOW, "정정주문이 완료되었습니다.")
    assert cancelled == Placed("32006", NOW, sample("CSPAT00801")["response"]["body"]["rsp_msg"])
    assert server.seen("CSPAT00701")[0].body == {
        "CSPAT00701InBlock1": {
            "OrgOrdNo": 32004,
            "IsuNo": "A005930",
            "OrdQty": 10,
            "OrdprcPtnCode": "00",
            "OrdCndiTpCode": "0",
            "OrdPrc": 60100,
        }
    }
    assert server.seen("CSPAT00801")[0].body == {
        "CSPAT00801InBlock1": {"OrgOrdNo": 32005, "IsuNo": "A005930", "OrdQty": 10}
    }
    common = {"code": "005930", "side": Side.BUY, "order_type": OrderType.LIMIT, "qty": 10}
    done = {"filled_qty": 0, "avg_fill_price": None, "open_qty": 0, "status": "cancelled"}
    assert broker.orders() == [
        BrokerOrder("32004", **common, price=60000, **done, placed_at=AT),
        BrokerOrder(
            "32005",
            **common,
            price=60100,
            **done,
            placed_at=AT,
            original_id="32004",
            kind="modify",
        ),
        BrokerOrder(
            "32006",
            **common,
            price=60100,
            **done,
            placed_at=AT,
            original_id="32005",
            kind="cancel",
        ),
    ]


def test_changing_an_order_that_is_not_open_is_refused(
    server: LsTestServer, broker: LsBroker
) -> None:
    first = broker.place(order(Side.BUY, "005930", 2, 60000))
    with pytest.raises(BrokerRejected) as unknown:
        broker.cancel("99999", "005930", 1)
    with pytest.raises(BrokerRejected) as too_many:
        broker.cancel(first.broker_order_id, "005930", 3)
    assert (unknown.value.code, too_many.value.code) == ("03561", "03562")
    for bad in ("", "abc", "0", "-5", "12345678901", "３２"):
        with pytest.raises(ValueError, match="주문번호"):
            broker.cancel(bad, "005930", 1)
    with pytest.raises(ValueError, match="수량"):
        broker.cancel(first.broker_order_id, "005930", 0)
    assert len(server.seen("CSPAT00801")) == 2  # the bad arguments never left


# -- never twice ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "taken"),
    [("slow", True), ("drop", True), ("malformed", True), ("html_502", False)],
)
def test_an_unknown_outcome_is_order_unknown_never_a_resend(
    server: LsTestServer, tmp_path: Path, kind: str, taken: bool
) -> None:
    server.fail("CSPAT00601", kind)
    server.slow_seconds = 1.0
    with ls_broker(server, tmp_path / "home", now=clock, timeout=0.3) as broker:
        with pytest.raises(OrderUnknown) as caught:
            broker.place(order(Side.BUY, "005930", 3, 60000))
        assert "orders()" in caught.value.hint
        assert len(server.seen("CSPAT00601")) == 1  # sent once, never again
        found = broker.orders()
    # The real server may have taken it: reconcile finds it in t0425.
    assert [(o.broker_order_id, o.status, o.open_qty) for o in found] == (
        [("32004", "accepted", 3)] if taken else []
    )


def test_a_rate_limited_order_is_not_retried(server: LsTestServer, broker: LsBroker) -> None:
    server.fail("CSPAT00601", "rate_limited")
    with pytest.raises(RateLimited, match="IGW00201") as caught:
        broker.place(order(Side.BUY, "005930", 1, 60000))
    assert len(server.seen("CSPAT00601")) == 1
    assert "접수되지 않았습니다" in caught.value.hint
    assert server.book == {}


def test_an_expired_token_is_refused_at_the_gateway_and_the_order_sent_once_more(
    server: LsTestServer, broker: LsBroker
) -> None:
    broker.balance()
    server.expire_tokens()
    placed = broker.place(order(Side.BUY, "005930", 1, 60000))
    assert placed.broker_order_id == "32004"
    assert len(server.seen("CSPAT00601")) == 2  # the first never passed the gateway
    assert list(server.book) == [32004]


# -- orders and fills --------------------------------------------------------------------


def test_the_published_t0425_row_field_by_field(server: LsTestServer, broker: LsBroker) -> None:
    server.add_sample_orders()
    assert broker.orders() == [
        BrokerOrder(
            broker_order_id="84",
            code="005930",
            side=Side.BUY,
            order_type=OrderType.LIMIT,
            qty=2,
            price=60000,
            filled_qty=0,
            avg_fill_price=None,
            open_qty=2,
            status="accepted",
            placed_at=datetime(2025, 6, 2, 8, 41, 7, tzinfo=KST),
        )
    ]
    (seen,) = server.seen("t0425")
    assert seen.body == {
        "t0425InBlock": {"expcode": "", "chegb": "0", "medosu": "0", "sortgb": "1", "cts_ordno": ""}
    }


def test_orders_over_several_pages_with_partial_fills(
    server: LsTestServer, broker: LsBroker
) -> None:
    server.page_size["t0425"] = 2
    broker.place(order(Side.BUY, "005930", 10, 60000))  # 32004: 7 of 10 at two prices
    broker.place(order(Side.BUY, "272210", 5, 35000))  # 32005: filled
    broker.place(order(Side.BUY, "005930", 3))  # 32006: market, filled
    broker.place(order(Side.SELL, "005930", 1, 70000))  # 32007: refused by the exchange
    broker.place(order(Side.BUY, "272210", 2, 35050))  # 32008: open
    server.fill(32004, 4, 60000)
    server.fill(32004, 3, 59900)
    server.fill(32005, 5)
    server.fill(32006, 3, 60500)
    server.reject(32007)
    found = broker.orders()
    pages = server.seen("t0425")
    assert [p.body["t0425InBlock"]["cts_ordno"] for p in pages] == ["", "32007", "32005"]
    assert [(p.headers["tr_cont"], bool(p.headers["tr_cont_key"])) for p in pages] == [
        ("N", False),
        ("Y", True),
        ("Y", True),
    ]
    buy, sell, limit, market = Side.BUY, Side.SELL, OrderType.LIMIT, OrderType.MARKET
    assert found == [
        BrokerOrder("32004", "005930", buy, limit, 10, 60000, 7, 59957, 3, "partially_filled", AT),
        BrokerOrder("32005", "272210", buy, limit, 5, 35000, 5, 35000, 0, "filled", AT),
        BrokerOrder("32006", "005930", buy, market, 3, None, 3, 60500, 0, "filled", AT),
        BrokerOrder("32007", "005930", sell, limit, 1, 70000, 0, None, 0, "rejected", AT),
        BrokerOrder("32008", "272210", buy, limit, 2, 35050, 0, None, 2, "accepted", AT),
    ]


def test_fills_are_cumulative_per_order_and_stable_across_calls_and_processes(
    server: LsTestServer, tmp_path: Path
) -> None:
    home = tmp_path / "home"  # one user's data directory, as two job processes share it
    first, second = ls_broker(server, home, now=clock), ls_broker(server, home, now=clock)
    with first, second:
        first.place(order(Side.BUY, "005930", 10, 60100))
        first.place(order(Side.BUY, "272210", 1, 35000))  # nothing filled: no fill
        server.fill(32004, 4, 60000)
        seen = [first.fills(), first.fills(), second.fills()]
        server.fill(32004, 6, 60100)
        later = second.fills()
    partial = BrokerFill("32004-4", "32004", "005930", Side.BUY, 4, 60000, AT)
    assert seen == [[partial]] * 3
    # More filled: a new id whose cumulative quantity supersedes the first.
    assert later == [BrokerFill("32004-10", "32004", "005930", Side.BUY, 10, 60060, AT)]


def test_too_many_pages_fail_instead_of_answering_in_part(
    server: LsTestServer, broker: LsBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ls_broker_module, "MAX_PAGES", 1)
    server.page_size["t0425"] = 1
    broker.place(order(Side.BUY, "005930", 1, 60000))
    broker.place(order(Side.BUY, "005930", 1, 60100))
    with pytest.raises(BadResponse, match="1쪽을 넘어"):
        broker.orders()
    assert len(server.seen("t0425")) == 2


@pytest.mark.parametrize(
    ("status", "qty", "filled", "open_qty", "expected"),
    [
        ("접수", 5, 0, 5, "accepted"),
        ("체결", 5, 2, 3, "partially_filled"),
        ("완료", 5, 5, 0, "filled"),
        ("정정확인", 5, 0, 5, "accepted"),  # a modify order's own row
        ("접수", 5, 0, 0, "cancelled"),  # an original modified or cancelled away
        ("체결", 5, 2, 0, "cancelled"),  # partly filled, the rest cancelled
        ("취소확인", 5, 0, 0, "cancelled"),
        ("취소완료", 5, 0, 0, "cancelled"),
        ("거부", 5, 0, 0, "rejected"),
        ("거부", 5, 0, 5, "rejected"),
    ],
)
def test_status_mapping(status: str, qty: int, filled: int, open_qty: int, expected: str) -> None:
    assert order_status(status, qty, filled, open_qty) == expected


# -- cash and holdings ---------------------------------------------------------------------


def test_balance_and_holdings_from_the_published_examples(
    server: LsTestServer, broker: LsBroker
) -> None:
    assert broker.balance() == Balance(cash=500_000_000, orderable=500_000_000)
    # BalQty reads 0 for the share bought today; BnsBaseBalQty counts it.
    assert broker.holdings() == [Holding(code="005930", qty=1, sellable=1, avg_price=60000)]
    for tr_cd in ("CSPAQ12200", "CSPAQ12300"):
        (seen,) = server.seen(tr_cd)
        assert seen.body == sample(tr_cd)["request"]["body"]


def test_cash_and_holdings_follow_orders_and_fills(server: LsTestServer, broker: LsBroker) -> None:
    broker.place(order(Side.BUY, "005930", 10, 60000))
    assert broker.balance() == Balance(cash=500_000_000, orderable=499_400_000)
    server.fill(32004, 10)
    # Cash is D2Dps: it moves at the fill, while Dps waits for settlement.
    assert broker.balance() == Balance(cash=499_400_000, orderable=499_400_000)
    assert broker.holdings() == [Holding("005930", qty=11, sellable=11, avg_price=60000)]
    broker.place(order(Side.SELL, "005930", 5, 61000))
    assert broker.holdings() == [Holding("005930", qty=11, sellable=6, avg_price=60000)]


def test_holdings_over_two_pages_without_sold_out_codes(
    server: LsTestServer, broker: LsBroker
) -> None:
    server.page_size["CSPAQ12300"] = 1
    broker.place(order(Side.SELL, "005930", 1, 70000))
    broker.place(order(Side.BUY, "272210", 3, 35100))
    server.fill(32004, 1)
    server.fill(32005, 1, 35000)
    server.fill(32005, 2, 35050)
    assert broker.holdings() == [Holding("272210", qty=3, sellable=3, avg_price=35033)]
    pages = server.seen("CSPAQ12300")
    assert [p.headers["tr_cont"] for p in pages] == ["N", "Y"]


@pytest.mark.parametrize("tr_cd", ["CSPAQ12300", "t0425"])
def test_a_block_in_the_wrong_shape_is_bad_response(
    server: LsTestServer, broker: LsBroker, tr_cd: str
) -> None:
    server.fail(tr_cd, "wrong_shape")
    with pytest.raises(BadResponse, match=f"{tr_cd}OutBlock"):
        broker.holdings() if tr_cd == "CSPAQ12300" else broker.orders()


def test_holdings_rows_read_as_documented() -> None:
    row = sample("CSPAQ12300")["response"]["body"]["CSPAQ12300OutBlock3"][0]
    rows = [
        {**row, "AvrUprc": "60050.50", "BnsBaseBalQty": 2, "SellAbleQty": 1},
        {**row, "IsuNo": "A005930", "AvrUprc": "60000.00", "BnsBaseBalQty": 2, "SellAbleQty": 2},
        {**row, "IsuNo": "A000660", "BnsBaseBalQty": 0, "SellAbleQty": 0},
    ]
    # One code on two rows is summed; a fractional average is rounded half up to the won.
    assert holdings_of(rows) == [Holding("005930", qty=4, sellable=3, avg_price=60025)]
    assert short_code("A005930") == short_code(" 005930 ") == "005930"
    assert order_no("0032004") == 32004


# -- settings and secrets --------------------------------------------------------------------


def test_from_settings(server: LsTestServer, tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path / "home",
        ls_appkey=APPKEY,
        ls_appsecret=APPSECRET,
        ls_base_url=server.base_url,
    )
    with sources.ls_broker(settings, paper=True) as broker:
        assert broker.live is False
        assert broker.balance().orderable == 500_000_000
    with pytest.raises(AuthError, match="앱키"):
        sources.ls_broker(Settings(home=tmp_path / "home"), paper=False)


def test_secrets_and_the_account_number_stay_out_of_logs_errors_and_reprs(
    server: LsTestServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[SourceError] = []
    with ls_broker(server, tmp_path / "home", now=clock, timeout=0.3) as broker:
        broker.place(order(Side.BUY, "005930", 1, 60000))
        broker.balance()
        broker.holdings()
        with pytest.raises(BrokerRejected) as refused:
            broker.place(order(Side.SELL, "005930", 9, 70000))
        server.fail("CSPAT00601", "slow")
        server.slow_seconds = 1.0
        with pytest.raises(OrderUnknown) as unknown:
            broker.place(order(Side.BUY, "005930", 1))
        errors += [refused.value, unknown.value]
        shown = [repr(broker), caplog.text, *map(str, errors), *map(repr, errors)]
    echoed = sample("CSPAQ12200")["response"]["body"]["CSPAQ12200OutBlock1"]
    secrets = [APPKEY, APPSECRET, *server.issued, echoed["AcntNo"], echoed["Pwd"]]
    for text in shown:
        for secret in secrets:
            assert secret not in text
    assert "32004" in caplog.text  # the log did record the order


def test_the_stand_in_refuses_malformed_order_requests(tmp_path: Path) -> None:
    good = sample("CSPAT00601-buy")["request"]["body"]["CSPAT00601InBlock1"]
    bad = [
        {**good, "IsuNo": "272210"},  # paper needs A+code
        {**good, "BnsTpCode": "B"},
        {**good, "OrdprcPtnCode": "05"},
        {**good, "OrdprcPtnCode": "03"},  # a market order with a price
        {**good, "OrdQty": "1"},
        {key: value for key, value in good.items() if key != "MbrNo"},
    ]
    with serve() as server, ls_broker(server, tmp_path / "home") as broker:
        for in_block in bad:
            with pytest.raises(BadResponse, match="TEST0"):
                broker.client.call("CSPAT00601", "/stock/order", {"CSPAT00601InBlock1": in_block})
        assert len(server.problems) == len(bad)
        assert server.book == {}
        server.problems.clear()  # each was meant to be refused
