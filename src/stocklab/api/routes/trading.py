"""Trading: the account, positions, orders and fills; placing and cancelling orders; the
kill switch. Reads come from the store; actions go through the order manager, the same
one the trade job uses (paper by default)."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, HTTPException, Path, Query, Request, Response, status
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    Tag,
    model_validator,
)

from stocklab.api.deps import Code, Reader, SettingsDep
from stocklab.api.errors import BadParam, Refused
from stocklab.api.schemas import problems
from stocklab.errors import HomeUnusable, StorageFailure
from stocklab.krx import price_limits, tick_size
from stocklab.krx.fills import rate_units
from stocklab.model import (
    KST,
    Fill,
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
    check_code,
    josa,
)
from stocklab.store import NotFound
from stocklab.store.base import MAX_LIMIT
from stocklab.trading import risk
from stocklab.trading.orders import OPEN, UNSENT, ClientIdReused, OrderManager
from stocklab.trading.strategy import STRATEGIES

log = logging.getLogger("stocklab.api")

read_router = APIRouter(
    prefix="/api", tags=["trading"], responses=problems(400, 401, 404, 422, 503)
)
write_router = APIRouter(
    prefix="/api", tags=["trading"], responses=problems(400, 401, 404, 422, 503)
)


def manager(request: Request) -> OrderManager:
    """The API's one order manager, built in `create_app` (the source that failed to open
    there says why here, on each trading request)."""
    found: OrderManager | None = request.app.state.order_manager
    if found is None:
        raise request.app.state.order_manager_error.with_traceback(None)
    return found


class LimitsOut(BaseModel):
    """The risk rules' settings, so a client can refuse before sending what they would."""

    max_order_krw: int = Field(description="한 주문의 최대 금액 (원)")
    max_position_bp: int = Field(description="한 종목 평가금액의 자산 대비 한도 (bp, 1% = 100)")
    commission_units: int = Field(description="수수료율 × 10⁸ (주문가능금액 확인에 쓰는 값)")
    phases: list[str] = Field(description="주문을 받는 장 구분 (market/status의 phase)")


class AccountOut(BaseModel):
    account_id: str
    broker: str
    cash: int
    orderable: int
    reserved: int = Field(description="예수금 중 미체결 주문에 묶인 금액")
    equity: int
    positions_value: int
    day_pnl: int
    killed: bool
    limits: LimitsOut


class PositionOut(BaseModel):
    code: str
    name: str | None
    qty: int
    sellable: int
    avg_price: int
    price: int
    value: int
    pnl: int
    pnl_bp: int


CLIENT_ID = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"


class _Ticket(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[0-9A-Z]{6}$", description="KRX 단축코드")
    side: Side
    qty: int = Field(ge=1, le=10_000_000)
    client_id: str | None = Field(default=None, pattern=CLIENT_ID)


class LimitOrderIn(_Ticket):
    """지정가: `price` is required (the default kind when `order_type` is left out)."""

    order_type: Literal[OrderType.LIMIT] = OrderType.LIMIT
    price: int = Field(ge=1, le=100_000_000, description="지정가 (원)")


class MarketOrderIn(_Ticket):
    """시장가: no price."""

    order_type: Literal[OrderType.MARKET]


def _order_kind(value: Any) -> str:
    kind = value.get("order_type", "limit") if isinstance(value, dict) else None
    kind = getattr(value, "order_type", kind)
    return "market" if kind == OrderType.MARKET else "limit"


OrderIn = Annotated[
    Annotated[LimitOrderIn, Tag("limit")] | Annotated[MarketOrderIn, Tag("market")],
    Discriminator(_order_kind),
]
"""An order ticket. `client_id` (or the `Idempotency-Key` header) is the caller's key,
chosen before the first try: a retry with it answers the first order, never a second."""


class KillIn(BaseModel):
    """Booleans are JSON booleans: "off", 0 or "yes" would switch the wrong way."""

    model_config = ConfigDict(extra="forbid")
    on: StrictBool = True
    cancel_open: StrictBool = True


class KillOut(BaseModel):
    killed: bool
    cancelled: list[str] = Field(default_factory=list)
    warning: str | None = Field(
        default=None, description="정지는 되었지만 기록·취소를 못 했을 때 그 이유 (저장소 오류)"
    )


@read_router.get("/account", response_model=AccountOut, summary="계좌: 예수금, 평가, 오늘 손익")
def account(request: Request, settings: SettingsDep) -> AccountOut:
    m = manager(request)
    acct = m.account()
    balance = m.broker.balance()
    value = sum(p.value for p in _positions(m, request))
    return AccountOut(
        account_id=acct.account_id,
        broker=acct.broker,
        cash=balance.cash,
        orderable=balance.orderable,
        reserved=max(balance.cash - balance.orderable, 0),
        equity=balance.cash + value,
        positions_value=value,
        day_pnl=m.day_pnl(),
        killed=risk.is_killed(settings.home),
        limits=LimitsOut(
            max_order_krw=m.limits.max_order_krw,
            max_position_bp=int(m.limits.max_position_pct * 10_000),
            commission_units=rate_units(m.limits.commission_rate),
            phases=list(m.limits.phases),
        ),
    )


def _positions(m: OrderManager, request: Request) -> list[PositionOut]:
    reader = request.app.state.reader
    sellable = {h.code: h.sellable for h in m.broker.holdings()}
    out = []
    for p in reader.list_positions(m.account_id):
        if p.qty <= 0:
            continue
        price = m.market.quote(p.code).price
        inst = reader.get_instrument(p.code)
        avg = p.cost // p.qty
        pnl = (price - avg) * p.qty
        out.append(
            PositionOut(
                code=p.code,
                name=inst.name if inst else None,
                qty=p.qty,
                sellable=sellable.get(p.code, 0),
                avg_price=avg,
                price=price,
                value=price * p.qty,
                pnl=pnl,
                pnl_bp=round(pnl * 10_000 / p.cost) if p.cost else 0,
            )
        )
    return out


@read_router.get("/positions", response_model=list[PositionOut], summary="보유 종목과 평가손익")
def positions(request: Request) -> list[PositionOut]:
    return _positions(manager(request), request)


@read_router.get("/orders", response_model=list[Order], summary="주문 (최근 것부터)")
def orders(
    request: Request,
    reader: Reader,
    status_: Annotated[list[OrderStatus] | None, Query(alias="status")] = None,
    open_only: Annotated[bool, Query(alias="open")] = False,
    limit: Annotated[int, Query(ge=1, le=1_000)] = 200,
) -> list[Order]:
    wanted = OPEN if open_only else status_
    return reader.list_orders(request.app.state.settings.trading_account, wanted, limit)


@read_router.get(
    "/orders/{client_id}",
    operation_id="get_order",
    response_model=Order,
    summary="주문 하나 (정정된 주문은 replaces로 원주문을 가리킵니다)",
)
def one_order(
    client_id: Annotated[str, Path(max_length=64)], request: Request, reader: Reader
) -> Order:
    order = reader.get_order(client_id)
    if order is None or order.account_id != request.app.state.settings.trading_account:
        raise NotFound(f"주문 {client_id}{josa(client_id, '이', '가')} 없습니다")
    return order


@read_router.get("/fills", response_model=list[Fill], summary="체결 (오래된 것부터)")
def fills(
    request: Request,
    reader: Reader,
    client_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 1_000,
) -> list[Fill]:
    return reader.list_fills(request.app.state.settings.trading_account, client_id, limit)


class QuoteOut(BaseModel):
    code: str
    at: datetime
    price: int
    reference: int = Field(description="기준가 (전일 종가): 오늘 가격제한폭의 기준")
    lower: int
    upper: int
    tick: int = Field(description="현재가 구간의 호가단위")
    market: str
    kind: str
    volume: int
    source: str


@read_router.get(
    "/codes/{code}/quote", response_model=QuoteOut, summary="현재가, 기준가, 가격제한폭, 호가단위"
)
def quote(code: Code, request: Request) -> QuoteOut:
    m = manager(request)
    inst = request.app.state.reader.get_instrument(code)
    if inst is None:
        raise NotFound(f"종목 {code}가 없습니다")
    q = m.market.quote(code)
    reference = q.prev_close or q.price
    day = q.ts.astimezone(KST).date()
    band = price_limits(reference, inst.market, inst.kind, day)
    return QuoteOut(
        code=code,
        at=q.ts,
        price=q.price,
        reference=reference,
        lower=band.lower,
        upper=band.upper,
        tick=tick_size(q.price, inst.market, inst.kind, day),
        market=inst.market.value,
        kind=inst.kind.value,
        volume=q.volume,
        source=q.source,
    )


class StrategyOut(BaseModel):
    name: str
    timeframe: str
    description: str
    params: dict[str, Any] = Field(description="인자의 JSON Schema (기본값, 범위)")
    defaults: dict[str, Any]


@read_router.get("/strategies", response_model=list[StrategyOut], summary="내장 전략과 인자")
def strategies() -> list[StrategyOut]:
    return [
        StrategyOut(
            name=name,
            timeframe=kind.timeframe.value,
            description=kind.description,
            params=kind.Params.model_json_schema(),
            defaults=kind().params.model_dump(),
        )
        for name, kind in STRATEGIES.items()
    ]


@read_router.get(
    "/kill", response_model=KillOut, response_model_exclude_none=True, summary="긴급 정지 상태"
)
def kill_state(settings: SettingsDep) -> KillOut:
    return KillOut(killed=risk.is_killed(settings.home))


_BY_ID = {"client_id": "$response.body#/client_id"}
ORDER_LINKS = {
    "GetOrder": {"operationId": "get_order", "parameters": _BY_ID},
    "ModifyOrder": {"operationId": "modify_order", "parameters": _BY_ID},
    "CancelOrder": {"operationId": "cancel_order", "parameters": _BY_ID},
}
"""What a client can do next with the order it placed (the stateful fuzzer follows these)."""


@write_router.post(
    "/orders",
    response_model=Order,
    status_code=status.HTTP_201_CREATED,
    summary="주문 (토큰 필요; 같은 키로 다시 보내면 처음 주문을 답합니다)",
    responses={**problems(409), 201: {"description": "받은 주문", "links": ORDER_LINKS}},
)
def place(
    body: OrderIn,
    request: Request,
    response: Response,
    idempotency_key: Annotated[
        str | None,
        Header(
            pattern=CLIENT_ID, description="주문 키 (본문의 client_id와 둘 중 하나만, 또는 같은 값)"
        ),
    ] = None,
) -> Order:
    m = manager(request)
    if body.client_id and idempotency_key and body.client_id != idempotency_key:
        raise BadParam("Idempotency-Key", "본문의 client_id와 다릅니다; 같은 키 하나만 쓰세요")
    key = body.client_id or idempotency_key
    try:
        check_code(body.code)
        req = OrderRequest(
            client_id=key or f"web-{m.now():%Y%m%d%H%M%S}-{secrets.token_hex(3)}",
            account_id=m.account_id,
            code=body.code,
            side=body.side,
            qty=body.qty,
            order_type=body.order_type,
            price=body.price if isinstance(body, LimitOrderIn) else None,
        )
    except ValueError as exc:
        raise BadParam("body", str(exc)) from None
    retry = key is not None and m.store.get_order(req.client_id) is not None
    try:
        order = m.submit(req)
    except ClientIdReused as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from None
    if order.status is OrderStatus.REJECTED:
        raise _refused(order, "주문이 거절되었습니다")
    if retry:
        response.status_code = status.HTTP_200_OK
    return order


class ModifyIn(BaseModel):
    """A 정정: the new price and/or a smaller quantity (the rest is cancelled); at least one."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})

    price: int = Field(default=None, ge=1, le=100_000_000)  # type: ignore[assignment]
    qty: int = Field(default=None, ge=1, le=10_000_000)  # type: ignore[assignment]

    @model_validator(mode="after")
    def _something(self) -> ModifyIn:
        if self.price is None and self.qty is None:
            raise ValueError("price나 qty 중 하나는 주세요")
        return self


@write_router.patch(
    "/orders/{client_id}",
    operation_id="modify_order",
    response_model=Order,
    summary="주문 정정 (토큰 필요): 새 주문을 답합니다 (replaces가 원주문)",
    responses=problems(409),
)
def modify(client_id: str, body: ModifyIn, request: Request) -> Order:
    m = manager(request)
    order = m.store.get_order(client_id)
    if order is None or order.account_id != m.account_id:
        raise NotFound(f"주문 {client_id}{josa(client_id, '이', '가')} 없습니다")
    if not order.status.is_open:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail=f"주문 {client_id}{josa(client_id, '은', '는')} 이미 끝나 정정할 수 없습니다",
        )
    try:
        new = m.modify(client_id, price=body.price, qty=body.qty)
    except ValueError as exc:  # beyond what is still open, off the tick grid: the order's state
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from None
    if new.status is OrderStatus.REJECTED:
        raise _refused(new, "정정이 거절되었습니다")
    return new


def _refused(order: Order, fallback: str) -> Refused:
    """A well-formed order the market, the account or a rule refused as things stand:
    409 (the state conflicts, not the request), 404 for a code nobody lists, 503 when the
    broker could not be reached (the order never left)."""
    rule = order.rule or "broker"
    status_ = 503 if rule == UNSENT else 404 if rule == "code" else 409
    return Refused(rule, order.reason or fallback, status_)


@write_router.delete(
    "/orders/{client_id}",
    operation_id="cancel_order",
    response_model=Order,
    summary="주문 취소 (토큰 필요)",
    responses=problems(409),
)
def cancel(client_id: str, request: Request) -> Order:
    m = manager(request)
    if m.store.get_order(client_id) is None:
        raise NotFound(f"주문 {client_id}{josa(client_id, '이', '가')} 없습니다")
    try:
        return m.cancel(client_id)
    except ValueError as exc:  # already done: the order's state, not the request, is at odds
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from None


@write_router.post(
    "/kill",
    response_model=KillOut,
    response_model_exclude_none=True,  # `warning` only when there is one
    summary="긴급 정지 켜기·끄기 (토큰 필요)",
)
def kill(body: KillIn, request: Request, settings: SettingsDep) -> KillOut:
    """The switch is a file, set first; the store's record and the cancels follow, and a
    store that fails them leaves the switch set and says so (200 with `warning`)."""
    try:
        risk.set_kill(settings.home, body.on, reason="api")
    except OSError as exc:
        raise HomeUnusable(
            f"긴급 정지 파일 {risk.kill_path(settings.home)}를 바꿀 수 없습니다: "
            f"{exc.strerror or exc}"
        ) from None
    cancelled: list[str] = []
    try:
        request.app.state.store.audit_event("kill_switch", "trading", {"on": body.on, "by": "api"})
        if body.on and body.cancel_open:
            cancelled = [o.client_id for o in manager(request).cancel_all()]
    except StorageFailure as exc:
        log.error("kill switch %s, but the store failed: %s", "on" if body.on else "off", exc)
        undone = "기록과 미체결 주문 취소" if body.on and body.cancel_open else "기록"
        warning = f"긴급 정지 파일은 바꿨지만 저장소 오류로 {undone}를 하지 못했습니다: {exc}"
        return KillOut(killed=body.on, cancelled=cancelled, warning=warning)
    return KillOut(killed=body.on, cancelled=cancelled)
