"""The backtest and indicator routes on a real server over a real store."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from stocklab.analysis.indicators import compute
from stocklab.config import Settings
from stocklab.model import Timeframe
from stocklab.store import open_store
from tests.api.conftest import Api, serve


@pytest.fixture
def api(filled: Settings) -> Iterator[Api]:
    yield from serve(filled)


def wait_for(api: Api, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        run = api.client.get(f"/api/jobs/runs/{run_id}")
        if run.status_code == 200 and run.json()["status"] != "running":
            return run.json()
        time.sleep(0.2)
    raise AssertionError(f"{run_id}가 끝나지 않았습니다")


def test_start_a_backtest_then_read_it_with_its_report(api: Api) -> None:
    body = {"strategy": "sma_cross", "params": {"fast": 3, "slow": 10}, "codes": ["000010"]}
    assert api.client.post("/api/backtests", json=body).status_code == 401
    accepted = api.client.post("/api/backtests", json=body, headers=api.auth())
    assert accepted.status_code == 202, accepted.text
    ticket = accepted.json()
    run = wait_for(api, ticket["run_id"])
    assert run["status"] == "succeeded", run["error"]
    backtest_id = ticket["backtest_id"]

    listed = api.client.get("/api/backtests").json()
    assert (listed["total"], listed["offset"]) == (1, 0)
    assert [b["backtest_id"] for b in listed["items"]] == [backtest_id]
    assert "trades" not in listed["items"][0]
    assert listed["items"][0]["code_count"] == 1
    assert api.client.get("/api/backtests", params={"offset": 1}).json()["items"] == []
    one = api.client.get(f"/api/backtests/{backtest_id}").json()
    assert one["params"]["strategy"] == {"fast": 3, "slow": 10}
    assert one["codes"] == ["000010"]
    assert one["code_count"] == 1
    assert one["equity"][0][1] == 10_000_000
    assert one["stats"]["trades"] == sum(t["exit_at"] is not None for t in one["trades"])
    links = one["links"]
    page = api.client.get(links["report"])
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'src="chart/equity.png"' in page.text  # resolves to the chart route below
    assert f"/api/backtests/{backtest_id}/chart/equity.png" in links["charts"]
    for chart in links["charts"]:
        png = api.client.get(chart)
        assert png.headers["content-type"] == "image/png"
        assert png.content[:4] == b"\x89PNG"
    export = api.client.get(links["json_export"])
    assert "attachment" in export.headers["content-disposition"]
    assert export.json()["trades"] == one["trades"]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"strategy": "nope"}, "strategy"),
        ({"strategy": "sma_cross", "params": {"fast": 30}}, "params"),
        ({"strategy": "sma_cross", "codes": ["999999"]}, "codes"),
        ({"strategy": "sma_cross", "start": "2024-02-01", "end": "2024-01-01"}, "start"),
        ({"strategy": "ten_tick"}, "codes"),  # a minute strategy, and no minute bars stored
    ],
)
def test_bad_requests_name_the_field(api: Api, body: dict[str, Any], param: str) -> None:
    answer = api.client.post("/api/backtests", json=body, headers=api.auth())
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["param"] == param


def test_unknown_backtests_and_files_are_404(api: Api) -> None:
    for path in (
        "/api/backtests/bt-nope",
        "/api/backtests/bt-nope/report",
        "/api/backtests/bt-nope/chart/equity.png",
        "/api/backtests/bt-nope/result.json",
    ):
        assert api.client.get(path).status_code == 404, path
    assert api.client.get("/api/backtests/a..b%2F..%2Fetc").status_code in (404, 422)


def test_indicators_line_up_with_the_price_route(api: Api, filled: Settings) -> None:
    names = "sma5,ema12,rsi14,macd,bb20,atr14,vol20"
    ind = api.client.get(
        "/api/codes/000010/indicators", params={"names": names, "start": "2024-01-02"}
    )
    assert ind.status_code == 200, ind.text
    prices = api.client.get("/api/codes/000010/prices", params={"start": "2024-01-02"}).json()
    data = ind.json()
    assert data["t"] == prices["t"]
    assert data["count"] == len(prices["t"])
    cols = data["columns"]
    assert set(cols) == {
        "sma5", "ema12", "rsi14", "macd", "macd_signal", "macd_hist", "bb20_mid",
        "bb20_upper", "bb20_lower", "atr14", "vol20",
    }  # fmt: skip
    assert all(v is not None for v in cols["macd_signal"])  # earlier bars were used to warm up
    bars = open_store(filled.store_url).load_bars("000010", Timeframe.DAY)
    full = compute(["sma5", "vol20"], bars.high, bars.low, bars.close, bars.volume)
    n = len(data["t"])
    np.testing.assert_allclose(cols["sma5"], np.round(full["sma5"][-n:], 4))
    first = api.client.get("/api/codes/000010/indicators", params={"names": "sma5", "limit": 3})
    assert first.json()["count"] == 3
    early = api.client.get(
        "/api/codes/000010/indicators", params={"names": "sma5", "end": "2023-06-02"}
    ).json()
    assert early["columns"]["sma5"] == [None, None]  # not enough history yet: null


def test_indicator_errors(api: Api) -> None:
    unknown = api.client.get("/api/codes/000010/indicators", params={"names": "sma20,wow"})
    assert unknown.status_code == 422
    assert unknown.json()["param"] == "names"
    assert "wow" in unknown.json()["detail"]
    missing = api.client.get("/api/codes/999999/indicators", params={"names": "sma5"})
    assert missing.status_code == 404
    assert api.client.get("/api/codes/000010/indicators").status_code == 422
