"""A source or broker that fails is the server's trouble, not the request's: 503 with the
source's own words and hint (404 for a code the source does not have), the connection
stays usable, and nothing is recorded as sent that was not."""

from __future__ import annotations

import socket
from datetime import date
from pathlib import Path

from stocklab.config import Settings, load_settings
from stocklab.runtime.sources import open_source
from stocklab.store import open_store
from tests.api.conftest import serve

PROBLEM = "application/problem+json"


def _closed_port() -> int:
    """A loopback port nobody listens on: every call to it is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_broker_answers_503_and_records_nothing(served_home: Path) -> None:
    settings = load_settings(
        home=served_home, sim_codes=40, sim_start=date(2024, 6, 3),
        sim_now="2024-11-15T10:30:00+09:00", ls_appkey="k" * 20, ls_appsecret="s" * 20,
        ls_base_url=f"http://127.0.0.1:{_closed_port()}",
    )  # fmt: skip
    assert settings.market_source == "ls"
    before = {o.client_id for o in open_store(settings.store_url).list_orders("paper")}
    for api in serve(settings):
        quote = api.client.get("/api/codes/005930/quote")
        assert quote.status_code == 503, quote.text
        assert quote.headers["content-type"] == PROBLEM
        body = quote.json()
        assert body["source"] == "ls"
        assert body["error"] == "SourceUnavailable"
        assert "LS증권" in body["detail"]
        assert "STOCKLAB_LS_BASE_URL" in body["hint"]

        order = {"code": "005930", "side": "buy", "qty": 1, "price": 50_000, "client_id": "u-1"}
        placed = api.client.post("/api/orders", json=order, headers=api.auth())
        assert placed.status_code == 503, placed.text
        assert placed.json()["source"] == "ls"
        listed = api.client.get("/api/orders")
        assert listed.status_code == 200  # the connection and the server are fine
        assert "u-1" not in {o["request"]["client_id"] for o in listed.json()}
        assert api.client.get("/api/health").status_code == 200
    after = {o.client_id for o in open_store(settings.store_url).list_orders("paper")}
    assert after == before


def test_a_stored_code_the_simulator_no_longer_has_is_404(served_home: Path) -> None:
    settings = load_settings(
        home=served_home, sim_codes=10, sim_start=date(2024, 6, 3),
        sim_now="2024-11-15T10:30:00+09:00",
    )  # fmt: skip
    stored = {i.code for i in open_store(settings.store_url).list_instruments(limit=500)}
    assert len(stored) == 40
    for api in serve(settings):
        gone = sorted(stored - _sim_codes(settings))[0]
        quote = api.client.get(f"/api/codes/{gone}/quote")
        assert quote.status_code == 404, quote.text
        assert gone in quote.json()["detail"]
        assert quote.json()["error"] == "UnknownCode"


def _sim_codes(settings: Settings) -> set[str]:
    return {i.code for i in open_source("sim", settings).instruments()}
