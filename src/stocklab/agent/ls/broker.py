"""`Broker` on the LS증권 OPEN API: orders, today's orders and fills, cash and holdings.

| what                  | TR                             | success                          |
|-----------------------|--------------------------------|----------------------------------|
| place                 | CSPAT00601 현물주문            | 00040 buy / 00039 sell + OrdNo>0 |
| modify                | CSPAT00701 현물정정주문        | 00131 / 00132 + OrdNo>0          |
| cancel                | CSPAT00801 현물취소주문        | 00156 + OrdNo>0                  |
| orders, fills         | t0425 주식체결/미체결 (paged)  | 00000                            |
| balance               | CSPAQ12200 예수금·주문가능금액 | 00136                            |
| holdings              | CSPAQ12300 잔고 (paged)        | 00136                            |

Orders. `IsuNo` is always `"A"+code`: the portal allows the code or `A`+code on a real
account and requires `A`+code on paper, so one form serves both. An order counts as
accepted when its answer carries a `00` code and `OutBlock2.OrdNo > 0`; the expected code
of its family is checked too, and another `00` code with an order number is accepted with
a warning (the number proves a live order, and calling it a refusal would hide one).
Any other code is `BrokerRejected` with LS's code and message. This adapter never sends an
order twice: IGW00201 is `RateLimited` (the gateway took nothing; the caller decides when to
send again), and a timeout, a dropped line, a 5xx or an unreadable answer after sending
is `OrderUnknown` — the order may be live, so look at `orders()` before sending again.
The only resend is the client's after IGW00121: the gateway refused the expired token
before any TR ran, so nothing reached the exchange.

Today's orders (t0425). One row per order number; a modify or cancel is its own row whose
`orgordno` names the order it changed (`original_id`). Quantities decide the status,
because t0425's `status` text is documented only by example ("접수" in the sample;
"정정확인", "취소확인", "완료" in third-party clients):

| row                                                    | status             |
|--------------------------------------------------------|--------------------|
| `status` contains 거부                                 | `rejected`         |
| `status` contains 취소 and 확인 or 완료                | `cancelled`        |
| open (`ordrem`) > 0, nothing filled                    | `accepted`         |
| open > 0, some filled (`cheqty`)                       | `partially_filled` |
| nothing open, `cheqty` ≥ `qty`                         | `filled`           |
| nothing open, less filled (cancelled or modified away) | `cancelled`        |

`hogagb` 03 (시장가) and 13 (시장가 IOC) are market orders, any other code a priced order.
`ordtime` (HHMMSS…) is read to the second on today's KST date.

Fills. t0425 reports per order the cumulative filled quantity (`cheqty`) and its average
price (`cheprice`), not single executions. So `fills()` gives ONE fill per order with a
fill: `fill_id = f"{ordno}-{cheqty}"`, `qty = cheqty`, `price = cheprice`, `at` = the
order's time (t0425 has no execution time, and a fill must read the same on every call).
Every process and restart derives the same fills from the same account state, without
state in the adapter. When more of an order fills, a new fill with a larger cumulative
quantity appears and SUPERSEDES the earlier one: `executions()` (`stocklab.agent.ls.fills`)
turns it into the increase (qty and amount deltas against what the ledger holds for that
order), never the sum, which is what the order manager records. Commission and tax are left
at 0 in `fills()` (t0425 estimates them only for the whole account); `executions()` prices
them with the cost model the order manager passes.

Money. Prices and amounts are integer KRW; a decimal string such as "35000.00" is read
with `Decimal` and refused if it carries a fraction. Averages (`cheprice`, `AvrUprc`) are
the exception: an average of whole-won prices need not be whole, so they are rounded half
up to the won. `Balance.cash` is `D2Dps` (예수금 after today's trades settle, T+2), not
`Dps`: it moves when an order fills, as the store's cash does, while `Dps` waits two days.
`Balance.orderable` is `MnyOrdAbleAmt` (현금 주문가능금액). Holdings count `BnsBaseBalQty`,
which includes today's buys (`BalQty` reads 0 for them).

Secrets: the account number and password echoed in `OutBlock1` are never read, logged or
raised; keys and the token stay inside `LsClient`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from stocklab.agent.base import BadResponse, RateLimited
from stocklab.agent.broker import (
    Balance,
    BrokerFill,
    BrokerOrder,
    BrokerRejected,
    Costs,
    Holding,
    OrderUnknown,
    Placed,
    Recorded,
)
from stocklab.agent.ls import parse
from stocklab.agent.ls.client import LsClient, MaybeSent, Payload
from stocklab.agent.ls.codes import SUCCESS_CODES, Outcome, TrRefused
from stocklab.agent.ls.fills import increments
from stocklab.agent.ls.trs import TRS
from stocklab.model import KST, OrderRequest, OrderType, Side, check_code, now_kst

log = logging.getLogger(__name__)

MAX_PAGES = 100
"""Pages an account query may take; beyond that it fails rather than answer in part."""
BNS_TP = {Side.SELL: "1", Side.BUY: "2"}
"""CSPAT00601 `BnsTpCode`."""
ORDPRC_PTN = {OrderType.LIMIT: "00", OrderType.MARKET: "03"}
"""`OrdprcPtnCode`: 00 지정가, 03 시장가."""
MARKET_HOGAGB = frozenset({"03", "13"})
"""t0425 `hogagb` codes of market orders: 03 시장가, 13 시장가 IOC."""
ISSUE_PREFIXES = ("A", "J", "Q")
"""`IsuNo` prefixes: A stock/ETF, J ELW, Q ETN."""

UNKNOWN_HINT = (
    "주문이 접수됐는지 알 수 없습니다. 다시 보내기 전에 orders()(t0425 주문체결내역)로 "
    "이 주문이 있는지 확인하세요"
)
REJECT_HINTS = {
    "01478": "매도가능수량이 부족합니다. holdings()의 매도가능수량과 미체결 매도주문을 확인하세요",
    "03181": "주문가격이 하한가보다 낮습니다. 가격제한폭 안의 가격으로 다시 주문하세요",
}
REJECT_HINT = "주문 가격(호가단위·가격제한폭)·수량과 주문가능금액을 확인하고 다시 주문하세요"


class LsBroker:
    """The LS broker for one app key; `paper` says whether that key is a 모의투자 key.

    LS decides paper or real by the key alone (same host), so the caller, who chose the
    key, says which it is; `live` is its opposite.
    """

    name = "ls"
    cumulative_fills = True
    """Each fill covers the order's whole filled quantity so far (see the module docstring)."""
    keeps_client_ids = False
    """LS numbers orders itself; reconcile matches a lost answer by `last_order_id`."""

    def __init__(
        self, client: LsClient, *, paper: bool = False, now: Callable[[], datetime] = now_kst
    ) -> None:
        self.client = client
        self.live = not paper
        self._now = now

    def __repr__(self) -> str:
        return f"LsBroker({self.client!r}, {'live' if self.live else 'paper'})"

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> LsBroker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- orders ---------------------------------------------------------------------

    def place(self, request: OrderRequest) -> Placed:
        """CSPAT00601: a new cash order on KRX."""
        in_block = {
            "IsuNo": issue_no(request.code),
            "OrdQty": request.qty,
            "OrdPrc": request.price or 0,
            "BnsTpCode": BNS_TP[request.side],
            "OrdprcPtnCode": ORDPRC_PTN[request.order_type],
            "MgntrnCode": "000",  # 현금 (no credit)
            "LoanDt": "",
            "OrdCndiTpCode": "0",  # no IOC/FOK
            "MbrNo": "KRX",
        }
        expected = Outcome.BUY_ACCEPTED if request.side is Side.BUY else Outcome.SELL_ACCEPTED
        what = f"{_describe(request)} 주문"
        placed = self._order("CSPAT00601", in_block, expected, what)
        log.info("LS %s 접수: 주문번호 %s", what, placed.broker_order_id)
        return placed

    def modify(
        self, broker_order_id: str, request: OrderRequest, open_qty: int | None = None
    ) -> Placed:
        """CSPAT00701: move `request.qty` shares of an open order to a new price or type.

        LS reads `OrdQty` as the quantity to modify; the rest of the order would keep its
        old price, so with `open_qty` larger than `request.qty` the rest is cancelled
        (CSPAT00801) after the modify is taken. The answer's order number is the modify
        order's (its row in `orders()` names `broker_order_id` as `original_id`).
        """
        in_block = {
            "OrgOrdNo": order_no(broker_order_id),
            "IsuNo": issue_no(request.code),
            "OrdQty": request.qty,
            "OrdprcPtnCode": ORDPRC_PTN[request.order_type],
            "OrdCndiTpCode": "0",
            "OrdPrc": request.price or 0,
        }
        what = f"주문번호 {broker_order_id} 정정({_describe(request)})"
        placed = self._order("CSPAT00701", in_block, Outcome.MODIFY_ACCEPTED, what)
        log.info("LS %s 접수: 주문번호 %s", what, placed.broker_order_id)
        if open_qty is not None and open_qty > request.qty:
            try:
                self.cancel(broker_order_id, request.code, open_qty - request.qty)
            except (BrokerRejected, OrderUnknown) as exc:  # the modify stands all the same
                log.warning("LS %s 뒤 남은 수량 취소 실패: %s", what, exc)
        return placed

    def cancel(self, broker_order_id: str, code: str, qty: int) -> Placed:
        """CSPAT00801: cancel `qty` open shares; the answer names the cancel order."""
        if isinstance(qty, bool) or not isinstance(qty, int) or qty <= 0:
            raise ValueError(f"취소 수량 {qty!r}는 1 이상의 정수여야 합니다")
        in_block = {
            "OrgOrdNo": order_no(broker_order_id),
            "IsuNo": issue_no(code),
            "OrdQty": qty,
        }
        what = f"주문번호 {broker_order_id} 취소({code} {qty:,}주)"
        placed = self._order("CSPAT00801", in_block, Outcome.CANCEL_ACCEPTED, what)
        log.info("LS %s 접수: 주문번호 %s", what, placed.broker_order_id)
        return placed

    def _order(self, tr_cd: str, in_block: dict[str, Any], expected: Outcome, what: str) -> Placed:
        """Send one order TR exactly once and read its answer as `Placed` or an error."""
        body = {f"{tr_cd}InBlock1": in_block}
        try:
            payload, _ = self.client.call(tr_cd, TRS[tr_cd].path, body, retries=0)
        except TrRefused as refused:
            raise BrokerRejected(
                f"LS증권이 {what}을 거부했습니다: [{refused.rsp_cd}] {refused.rsp_msg}",
                code=refused.rsp_cd,
                hint=REJECT_HINTS.get(refused.rsp_cd, REJECT_HINT),
                source="ls",
            ) from None
        except RateLimited as limited:
            raise RateLimited(
                f"LS증권이 {what}을 호출 한도 초과(IGW00201)로 받지 않았습니다",
                hint=(
                    "주문은 접수되지 않았습니다. 같은 앱키를 쓰는 다른 프로그램이 있는지 "
                    "확인하고 잠시 뒤 다시 보내세요"
                ),
                source="ls",
                retry_after=limited.retry_after,
            ) from None
        except (MaybeSent, BadResponse) as lost:
            raise _unknown(what, lost.args[0]) from None
        return self._accepted(tr_cd, payload, expected, what)

    def _accepted(self, tr_cd: str, payload: Payload, expected: Outcome, what: str) -> Placed:
        """`Placed` for a `00` answer with an order number; `OrderUnknown` without one."""
        code = str(payload.get("rsp_cd", "")).strip()
        message = str(payload.get("rsp_msg", "")).strip()
        answered = f"성공 코드 [{code}] {message}를 받았지만"
        try:
            with parse.reading(tr_cd):
                out = parse.block(payload, f"{tr_cd}OutBlock2")
                number = parse.integer(out["OrdNo"])
                ord_time = parse.text(out.get("OrdTime", ""))
        except BadResponse as bad:
            raise _unknown(what, f"{answered} {bad.args[0]}") from None
        if number <= 0:
            raise _unknown(what, f"{answered} 주문번호(OrdNo)가 없습니다")
        if SUCCESS_CODES.get(code) is not expected:
            log.warning(
                "LS %s: 기대한 성공 코드가 아닌 [%s] %s에 주문번호 %d가 왔습니다 (접수로 봅니다)",
                what,
                code,
                message,
                number,
            )
        return Placed(str(number), self._on_today(ord_time), message)

    def _on_today(self, clock: str) -> datetime:
        """An `OrdTime` (HHMMSSmmm) on today's KST date; now when it does not read."""
        now = self._now().astimezone(KST)
        try:
            at = datetime.strptime(clock[:9], "%H%M%S%f").time()
        except ValueError:
            return now
        return datetime.combine(now.date(), at, tzinfo=KST)

    # -- today's orders and fills ---------------------------------------------------

    def orders(self) -> list[BrokerOrder]:
        """t0425: today's orders, open and done, by order number."""
        return [row.order for row in self._today()]

    def fills(self) -> list[BrokerFill]:
        """One cumulative fill per order with a fill (see the module docstring)."""
        return [row.fill for row in self._today() if row.fill is not None]

    def executions(
        self,
        fills: list[BrokerFill],
        recorded: Mapping[str, Recorded],
        known: set[str],
        costs: Costs,
    ) -> list[BrokerFill]:
        """The cumulative fills as single executions (`stocklab.agent.ls.fills`)."""
        return increments(fills, recorded, known, costs)

    def client_id_of(self, broker_order_id: str) -> str | None:
        """None: LS does not keep our client ids."""
        return None

    def last_order_id(self) -> str | None:
        """The highest order number LS has given this account today (t0425, one page,
        newest first); None before the day's first order. Order numbers only rise within
        a day, so an order sent after this call gets a larger one — what reconcile matches
        a lost answer by, whatever the clocks say."""
        body = {"t0425InBlock": {**self._query("1"), "cts_ordno": ""}}
        payload, _ = self.client.call("t0425", TRS["t0425"].path, body)
        rows = order_rows(payload, self._now().astimezone(KST).date())
        numbers = [int(row.order.broker_order_id) for row in rows]
        return str(max(numbers)) if numbers else None

    @staticmethod
    def _query(sort: str) -> dict[str, str]:
        return {"expcode": "", "chegb": "0", "medosu": "0", "sortgb": sort}

    def _today(self) -> list[OrderRow]:
        # every code, filled and open, both sides, order number descending
        body = {"t0425InBlock": {**self._query("1"), "cts_ordno": ""}}
        today = self._now().astimezone(KST).date()
        by_number: dict[int, OrderRow] = {}
        for page in self._every_page("t0425", body):
            for row in order_rows(page, today):
                by_number[int(row.order.broker_order_id)] = row
        return [by_number[number] for number in sorted(by_number)]

    # -- cash and holdings ----------------------------------------------------------

    def _deposit(self) -> Payload:
        """The CSPAQ12200 answer (예수금·주문가능금액)."""
        # The in-block as the portal's example sends it (the docs' table names only BalCreTp).
        body = {"CSPAQ12200InBlock1": {"RecCnt": 1, "MgmtBrnNo": "1", "BalCreTp": "1"}}
        payload, _ = self.client.call("CSPAQ12200", TRS["CSPAQ12200"].path, body)
        return payload

    def balance(self) -> Balance:
        """CSPAQ12200: cash after settlement (D2Dps) and what a buy may spend now."""
        return balance_of(self._deposit())

    def key_is_paper(self) -> bool:
        """Whether LS treats this app key as a 모의투자 key: its own answer says so
        ("모의투자 조회가 완료되었습니다."), the only word on it (same host for both)."""
        return "모의투자" in str(self._deposit().get("rsp_msg", ""))

    def holdings(self) -> list[Holding]:
        """CSPAQ12300: every code held, today's buys included, average price per share."""
        body = {
            "CSPAQ12300InBlock1": {
                "RecCnt": 1,
                "BalCreTp": "0",  # every balance kind
                "CmsnAppTpCode": "0",  # valuation without commission
                "D2balBaseQryTp": "0",  # every row, not only D+2 balance > 0
                "UprcTpCode": "0",  # average price, not BEP
            }
        }
        pages = list(self._every_page("CSPAQ12300", body))
        with parse.reading("CSPAQ12300"):
            rows = [row for page in pages for row in parse.rows(page, "CSPAQ12300OutBlock3")]
        return holdings_of(rows)

    def _every_page(self, tr_cd: str, body: Payload) -> Iterator[Payload]:
        """Every page of an account query: part of the orders or holdings would mislead
        a reconcile (a missing order looks unsent), so too many pages is an error."""
        tr = TRS[tr_cd]
        pages = self.client.pages(tr_cd, tr.path, body, tr.cursors, MAX_PAGES + 1)
        for count, page in enumerate(pages, start=1):
            if count > MAX_PAGES:
                raise BadResponse(
                    f"LS증권 {tr_cd} 응답이 {MAX_PAGES}쪽을 넘어 읽기를 멈췄습니다 "
                    "(일부만 읽은 주문·잔고로는 대조할 수 없습니다)",
                    hint="HTS에서 당일 주문·잔고 수를 확인하고, 계속되면 MAX_PAGES를 늘리세요",
                    source="ls",
                )
            yield page


def _unknown(what: str, why: str) -> OrderUnknown:
    log.warning("LS %s의 결과를 알 수 없습니다: %s", what, why)
    return OrderUnknown(
        f"LS증권 {what}의 결과를 알 수 없습니다: {why}", hint=UNKNOWN_HINT, source="ls"
    )


# -- reading answers (pure) ---------------------------------------------------------------


class OrderRow(NamedTuple):
    """One t0425 row as an order and, when anything filled, its cumulative fill."""

    order: BrokerOrder
    fill: BrokerFill | None


def order_rows(payload: Payload, today: date) -> list[OrderRow]:
    """t0425 rows of one page; `today` dates their `ordtime`."""
    with parse.reading("t0425"):
        return [_order_row(row, today) for row in parse.rows(payload, "t0425OutBlock1")]


def _order_row(row: dict[str, Any], today: date) -> OrderRow:
    number = parse.integer(row["ordno"])
    if number <= 0:
        raise ValueError(f"주문번호 ordno {row['ordno']!r}가 0 이하입니다")
    code = short_code(row["expcode"])
    side = side_of(row["medosu"])
    qty, filled, open_qty = (parse.integer(row[name]) for name in ("qty", "cheqty", "ordrem"))
    order_type = OrderType.MARKET if parse.text(row["hogagb"]) in MARKET_HOGAGB else OrderType.LIMIT
    price = parse.integer(row["price"])
    average = average_won(row["cheprice"]) if filled else None
    if average is not None and average <= 0:
        raise ValueError(f"주문 {number}: 체결수량 {filled}인데 체결가격이 {row['cheprice']!r}")
    original = parse.integer(row["orgordno"])
    placed_at = datetime.combine(today, _clock(row["ordtime"]), tzinfo=KST)
    order = BrokerOrder(
        broker_order_id=str(number),
        code=code,
        side=side,
        order_type=order_type,
        qty=qty,
        price=price if order_type is OrderType.LIMIT and price > 0 else None,
        filled_qty=filled,
        avg_fill_price=average,
        open_qty=open_qty,
        status=order_status(parse.text(row["status"]), qty, filled, open_qty),
        placed_at=placed_at,
        original_id=str(original) if original > 0 else None,
        kind=_kind(original, parse.text(row["status"]), parse.text(row["medosu"])),
    )
    fill = (
        BrokerFill(
            fill_id=f"{number}-{filled}",
            broker_order_id=str(number),
            code=code,
            side=side,
            qty=filled,
            price=average,
            at=placed_at,
        )
        if average is not None
        else None
    )
    return OrderRow(order, fill)


def _kind(original: int, status: str, medosu: str) -> str:
    """new, or for a row that names an original: cancel (취소 in its status or side
    text) or modify (정정)."""
    if original <= 0:
        return "new"
    return "cancel" if "취소" in status or "취소" in medosu else "modify"


def order_status(status: str, qty: int, filled: int, open_qty: int) -> str:
    """A t0425 row's `BrokerOrder.status`; the table is in the module docstring."""
    if "거부" in status:
        return "rejected"
    if "취소" in status and ("확인" in status or "완료" in status):
        return "cancelled"
    if open_qty > 0:
        return "partially_filled" if filled > 0 else "accepted"
    return "filled" if filled >= qty else "cancelled"


def balance_of(payload: Payload) -> Balance:
    """CSPAQ12200 `OutBlock2`: `D2Dps` as cash, `MnyOrdAbleAmt` as orderable."""
    with parse.reading("CSPAQ12200"):
        out = parse.block(payload, "CSPAQ12200OutBlock2")
        return Balance(
            cash=parse.integer(out["D2Dps"]), orderable=parse.integer(out["MnyOrdAbleAmt"])
        )


def holdings_of(rows: Iterable[dict[str, Any]]) -> list[Holding]:
    """CSPAQ12300 `OutBlock3` rows as holdings, one per code, empty rows left out.

    A code on several rows (balance kinds such as cash and loan) is summed, its average
    price weighted by quantity.
    """
    totals: dict[str, tuple[int, int, Decimal]] = {}
    with parse.reading("CSPAQ12300"):
        for row in rows:
            qty = parse.integer(row["BnsBaseBalQty"])
            if qty <= 0:
                continue
            code = short_code(row["IsuNo"])
            held, sellable, cost = totals.get(code, (0, 0, Decimal(0)))
            totals[code] = (
                held + qty,
                sellable + parse.integer(row["SellAbleQty"]),
                cost + qty * parse.decimal(row["AvrUprc"]),
            )
    return [
        Holding(code=code, qty=qty, sellable=sellable, avg_price=_won(cost / qty))
        for code, (qty, sellable, cost) in totals.items()
    ]


# -- fields -------------------------------------------------------------------------------


def issue_no(code: str) -> str:
    """`IsuNo` for a KRX short code: `A` + code (required on paper, accepted on real)."""
    return "A" + check_code(code)


def short_code(value: object) -> str:
    """A code as LS writes it (`005930`, `A005930`) as a KRX short code."""
    code = parse.text(value)
    if len(code) == 7 and code.startswith(ISSUE_PREFIXES):
        code = code[1:]
    return check_code(code)


def order_no(broker_order_id: str) -> int:
    """An LS order number (`OrgOrdNo`, N10) from a `broker_order_id`."""
    text = broker_order_id.strip() if isinstance(broker_order_id, str) else ""
    if not text.isascii() or not text.isdigit() or len(text) > 10 or int(text) <= 0:
        raise ValueError(
            f"LS 주문번호 {broker_order_id!r}는 1~10자리 양의 정수여야 합니다 "
            "(place()가 돌려준 broker_order_id를 쓰세요)"
        )
    return int(text)


def side_of(value: object) -> Side:
    """t0425 `medosu` ("매수", "매도", possibly with 정정/취소 attached)."""
    text = parse.text(value)
    if "매수" in text:
        return Side.BUY
    if "매도" in text:
        return Side.SELL
    raise ValueError(f"매매구분 medosu {value!r}가 매수·매도가 아닙니다")


def average_won(value: object) -> int:
    """An average price ("60000.00", 60050) rounded half up to the won."""
    return _won(parse.decimal(value))


def _won(value: Decimal) -> int:
    return int(value.to_integral_value(ROUND_HALF_UP))


def _clock(value: object) -> time:
    """`ordtime` (HHMMSS followed by fractions, e.g. "08410730") to the second."""
    return datetime.strptime(parse.text(value)[:6], "%H%M%S").time()


def _describe(request: OrderRequest) -> str:
    side = "매수" if request.side is Side.BUY else "매도"
    price = "시장가" if request.price is None else f"{request.price:,}원"
    return f"{side} {request.code} {request.qty:,}주 {price}"
