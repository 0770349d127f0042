"""Trading over the API during a simulated session: orders, positions, account, kill."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from stocklab.krx import price_limits
from stocklab.model import OrderStatus
from tests.api.conftest import Api, filled_settings, serve

SESSION = "2024-11-15T10:00:30+09:00"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    settings = filled_settings(tmp_path / "home", sim_now=SESSION)
    yield from serve(settings)


def test_orders_need_the_token_and_bad_prices_are_refused_with_the_valid_values(api: Api) -> None:
    ticket = {"code": "005930", "side": "buy", "qty": 3, "order_type": "limit", "price": 10_001}
    assert api.client.post("/api/orders", json=ticket).status_code == 401
    refused = api.client.post("/api/orders", json=ticket, headers=api.auth())
    assert refused.status_code == 409  # well formed; today's band refuses it
    body = refused.json()
    assert body["rule"] == "price"
    assert "가격제한폭" in body["detail"]
    quote = api.client.get("/api/codes/005930/quote").json()
    assert quote["lower"] <= quote["price"] <= quote["upper"]
    assert quote["tick"] == 50  # 20,000–50,000 KRW band
    assert quote["source"] == "sim"
    assert f"{quote['lower']:,}원 ~ {quote['upper']:,}원" in body["detail"]


def test_an_unknown_code_is_refused_before_the_broker(api: Api) -> None:
    ticket = {"code": "123456", "side": "buy", "qty": 1, "order_type": "market"}
    refused = api.client.post("/api/orders", json=ticket, headers=api.auth())
    assert refused.status_code == 404, refused.text  # a code nobody lists
    body = refused.json()
    assert body["rule"] == "code"
    assert "123456" in body["detail"]
    assert "종목 목록" in body["detail"]
    orders = api.client.get("/api/orders").json()
    assert [(o["request"]["code"], o["status"], o["broker_order_id"]) for o in orders] == [
        ("123456", "rejected", None)  # recorded, refused, never sent
    ]


def test_a_market_order_fills_and_shows_in_positions_and_account(api: Api) -> None:
    before = api.client.get("/api/account").json()
    assert before["killed"] is False
    placed = api.client.post(
        "/api/orders",
        json={
            "code": "005930",
            "side": "buy",
            "qty": 2,
            "order_type": "market",
            "client_id": "t-1",
        },
        headers=api.auth(),
    )
    assert placed.status_code == 201, placed.text
    body = placed.json()
    assert body["status"] == OrderStatus.ACCEPTED.value
    assert body["request"]["client_id"] == "t-1"
    again = api.client.post(
        "/api/orders",
        json={
            "code": "005930",
            "side": "buy",
            "qty": 2,
            "order_type": "market",
            "client_id": "t-1",
        },
        headers=api.auth(),
    )
    assert again.json()["version"] == body["version"]  # the same order, not a second one
    orders = api.client.get("/api/orders").json()
    assert [o["request"]["client_id"] for o in orders] == ["t-1"]
    assert api.client.get("/api/orders", params={"open": True}).json()
    assert api.client.get("/api/fills").json() == []


def test_cancel_and_kill(api: Api) -> None:
    closes = api.client.get("/api/codes/005930/prices", params={"limit": 1}).json()["close"]
    floor = price_limits(closes[-1]).lower  # today's lowest allowed price: it will not fill
    ticket = {"code": "005930", "side": "buy", "qty": 1, "order_type": "limit",
              "price": floor, "client_id": "t-2"}  # fmt: skip
    placed = api.client.post("/api/orders", json=ticket, headers=api.auth())
    assert placed.status_code == 201, placed.text
    assert api.client.delete("/api/orders/t-2").status_code == 401
    cancelled = api.client.delete("/api/orders/t-2", headers=api.auth())
    assert cancelled.json()["status"] == "cancelled"
    assert api.client.delete("/api/orders/nope", headers=api.auth()).status_code == 404
    killed = api.client.post("/api/kill", json={"on": True}, headers=api.auth()).json()
    assert killed["killed"] is True
    assert api.client.get("/api/kill").json() == {"killed": True, "cancelled": []}
    blocked = api.client.post(
        "/api/orders",
        json={"code": "005930", "side": "buy", "qty": 1, "order_type": "market"},
        headers=api.auth(),
    )
    assert blocked.status_code == 409
    assert "긴급 정지" in blocked.json()["detail"]
    api.client.post("/api/kill", json={"on": False}, headers=api.auth())
    assert api.client.get("/api/account").json()["killed"] is False
    assert api.client.get("/api/positions").json() == []


def test_strategies_are_listed_with_their_parameters(api: Api) -> None:
    listed = {s["name"]: s for s in api.client.get("/api/strategies").json()}
    assert listed["sma_cross"]["defaults"] == {"fast": 5, "slow": 20}
    assert listed["sma_cross"]["timeframe"] == "1d"
    assert listed["ten_tick"]["params"]["properties"]["qty"]["minimum"] == 1


def test_an_unknown_field_is_refused_naming_it(api: Api) -> None:
    ticket = {"code": "005930", "side": "buy", "qty": 1, "type": "market"}  # order_type misspelt
    refused = api.client.post("/api/orders", json=ticket, headers=api.auth())
    assert refused.status_code == 422, refused.text
    assert refused.json()["param"] == "type"
    assert refused.json()["detail"].startswith("type: ")
    assert api.client.get("/api/orders").json() == []  # nothing recorded, nothing sent
    kill = api.client.post("/api/kill", json={"on": True, "cancel": True}, headers=api.auth())
    assert kill.status_code == 422
    assert kill.json()["param"] == "cancel"
    assert api.client.get("/api/kill").json()["killed"] is False


def test_a_retry_with_the_same_key_answers_the_first_order(api: Api) -> None:
    ticket = {"code": "005930", "side": "buy", "qty": 2, "order_type": "market"}
    first = api.client.post(
        "/api/orders", json=ticket, headers={**api.auth(), "Idempotency-Key": "web-k1"}
    )
    assert first.status_code == 201, first.text
    again = api.client.post(
        "/api/orders", json={**ticket, "client_id": "web-k1"}, headers=api.auth()
    )
    assert again.status_code == 200
    assert again.json()["request"]["client_id"] == "web-k1"
    assert again.json()["version"] == api.client.get("/api/orders").json()[0]["version"]
    key = {**api.auth(), "Idempotency-Key": "web-k1"}
    other = api.client.post("/api/orders", json={**ticket, "qty": 3}, headers=key)
    assert other.status_code == 409
    assert "web-k1" in other.json()["detail"]
    mixed = api.client.post(
        "/api/orders",
        json={**ticket, "client_id": "web-k2"},
        headers={**api.auth(), "Idempotency-Key": "web-k3"},
    )
    assert mixed.status_code == 400
    assert mixed.json()["param"] == "Idempotency-Key"
    orders = api.client.get("/api/orders").json()
    assert [o["request"]["client_id"] for o in orders] == ["web-k1"]  # placed once


def test_a_refusal_names_its_rule_as_a_field_not_in_the_words(api: Api) -> None:
    ticket = {"code": "005930", "side": "buy", "qty": 3, "order_type": "limit", "price": 10_001}
    body = api.client.post("/api/orders", json=ticket, headers=api.auth()).json()
    assert body["rule"] == "price"
    assert not body["detail"].startswith("[")
    (order,) = api.client.get("/api/orders").json()
    assert (order["rule"], order["reason"]) == ("price", body["detail"])


def test_modify_an_open_order_through_patch(api: Api) -> None:
    quote = api.client.get("/api/codes/005930/quote").json()
    low = quote["lower"]  # a buy at the lower limit stays open
    ticket = {"code": "005930", "side": "buy", "qty": 4, "order_type": "limit", "price": low}
    placed = api.client.post(
        "/api/orders", json={**ticket, "client_id": "web-m1"}, headers=api.auth()
    )
    assert placed.status_code == 201, placed.text
    assert (
        api.client.patch("/api/orders/web-m1", json={"price": low + quote["tick"]}).status_code
        == 401
    )
    typo = api.client.patch("/api/orders/web-m1", json={"prce": 1}, headers=api.auth())
    assert typo.status_code == 422
    assert typo.json()["param"] == "prce"
    changed = api.client.patch(
        "/api/orders/web-m1", json={"price": low + quote["tick"], "qty": 3}, headers=api.auth()
    )
    assert changed.status_code == 200, changed.text
    new = changed.json()
    assert (new["replaces"], new["request"]["qty"], new["request"]["price"]) == (
        "web-m1", 3, low + quote["tick"]
    )  # fmt: skip
    assert new["status"] == "accepted"
    by_id = {o["request"]["client_id"]: o for o in api.client.get("/api/orders").json()}
    assert by_id["web-m1"]["status"] == "replaced"
    one = api.client.get(f"/api/orders/{new['request']['client_id']}")
    assert one.status_code == 200
    assert one.json()["replaces"] == "web-m1"
    assert api.client.get("/api/orders/web-m1").json()["status"] == "replaced"
    assert api.client.get("/api/orders/nope-1").status_code == 404
    again = api.client.patch("/api/orders/web-m1", json={"price": low}, headers=api.auth())
    assert again.status_code == 409
    missing = api.client.patch("/api/orders/nope-1", json={"price": low}, headers=api.auth())
    assert missing.status_code == 404
    assert "nope-1이 없습니다" in missing.json()["detail"]
    more = api.client.patch(
        f"/api/orders/{new['request']['client_id']}", json={"qty": 9}, headers=api.auth()
    )
    assert more.status_code == 409
    assert "새 주문" in more.json()["detail"]
    gone = api.client.delete(f"/api/orders/{new['request']['client_id']}", headers=api.auth())
    assert gone.json()["status"] == "cancelled"


def test_the_account_carries_the_risk_limits_a_ticket_checks_before_sending(
    tmp_path: Path,
) -> None:
    settings = filled_settings(
        tmp_path / "home", sim_now=SESSION, risk_max_order_krw=123_000, risk_max_position_pct=0.25
    )
    for api in serve(settings):
        limits = api.client.get("/api/account").json()["limits"]
        assert limits == {
            "max_order_krw": 123_000,
            "max_position_bp": 2_500,
            "commission_units": 15_000,  # 0.015 % as 10⁻⁸ units
            "phases": ["pre_open", "open"],
        }
        price = api.client.get("/api/codes/005930/quote").json()["price"]
        qty = 123_000 // price  # the largest quantity under the limit, as the ticket's 최대
        at = {"code": "005930", "side": "buy", "order_type": "limit", "price": price}
        ok = api.client.post("/api/orders", json={**at, "qty": qty}, headers=api.auth())
        assert ok.status_code == 201, ok.text
        over = api.client.post("/api/orders", json={**at, "qty": qty + 1}, headers=api.auth())
        assert (over.status_code, over.json()["rule"]) == (409, "max_order_value")
