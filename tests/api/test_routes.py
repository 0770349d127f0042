"""Every route answers correctly over real HTTP, and bad input is a 4xx naming the parameter."""

from __future__ import annotations

import time
from contextlib import closing
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from stocklab.krx import trading_days
from stocklab.model import KST, Bar, JobStatus
from stocklab.store import open_store
from tests.api.conftest import Api, serve

PROBLEM = "application/problem+json"


def problem(api: Api, path: str, status: int, **params: object) -> dict[str, object]:
    r = api.client.get(path, params=params)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["status"] == status
    assert body["detail"]
    return body


def test_health_reports_store_and_scheduler(api: Api) -> None:
    body = api.client.get("/api/health").json()
    assert body["store"] == {"reachable": True, "backend": "sqlite", "problem": None}
    assert body["scheduler"]["alive"] is False
    assert body["status"] == "degraded"
    assert body["version"]


def test_code_list_search_filter_and_last_close(api: Api) -> None:
    everything = api.client.get("/api/codes", params={"limit": 1000}).json()
    assert everything["total"] == 40
    assert len(everything["items"]) == 40
    samsung = api.client.get("/api/codes", params={"q": "삼성"}).json()
    codes = [row["code"] for row in samsung["items"]]
    assert codes[:2] == ["005930", "005935"]
    assert codes == sorted(codes)
    assert all("삼성" in row["name"] for row in samsung["items"])
    assert samsung["total"] == len(codes) >= 5
    row = samsung["items"][0]
    store = open_store(api.settings.store_url)
    bars = store.load_bars("005930", "1d", limit=2)
    assert row["last_close"] == bars.close[-1]
    assert row["change"] == bars.close[-1] - bars.close[-2]
    assert row["last_date"] == "2024-11-15"
    assert row["source"] == "sim"
    kosdaq = api.client.get("/api/codes", params={"market": "KOSDAQ", "limit": 1000}).json()
    assert kosdaq["items"]
    assert {r["market"] for r in kosdaq["items"]} == {"KOSDAQ"}
    page = api.client.get("/api/codes", params={"limit": 5, "offset": 5}).json()
    assert [r["code"] for r in page["items"]] == [r["code"] for r in everything["items"][5:10]]
    assert problem(api, "/api/codes", 422, limit=100_000)["param"] == "limit"
    assert problem(api, "/api/codes", 422, market="NYSE")["param"] == "market"


def test_one_code_and_its_coverage(api: Api) -> None:
    body = api.client.get("/api/codes/005930").json()
    assert body["instrument"]["name"] == "삼성전자"
    assert body["simulated"] is True
    timeframes = {c["timeframe"]: c for c in body["coverage"]}
    assert set(timeframes) == {"1d", "1m"}
    assert timeframes["1d"]["count"] == len(trading_days(date(2024, 6, 3), date(2024, 11, 15)))
    unknown = problem(api, "/api/codes/123456", 404)
    assert "없습니다" in unknown["detail"]
    assert unknown["param"] == "code"
    assert problem(api, "/api/codes/5930", 422)["param"] == "code"


def test_daily_prices_are_columns_equal_to_the_store(api: Api) -> None:
    body = api.client.get("/api/codes/005930/prices", params={"tf": "1d"}).json()
    stored = open_store(api.settings.store_url).load_bars("005930", "1d")
    assert body["count"] == len(stored)
    assert body["t"] == stored.ts.tolist()
    assert body["close"] == stored.close.tolist()
    assert body["volume"] == stored.volume.tolist()
    assert body["source"] == "sim"
    assert body["t"] == sorted(body["t"])
    ranged = api.client.get(
        "/api/codes/005930/prices", params={"start": "2024-11-01", "end": "2024-11-08"}
    ).json()
    days = [datetime.fromtimestamp(t, KST).date() for t in ranged["t"]]
    assert days == trading_days(date(2024, 11, 1), date(2024, 11, 8))
    latest = api.client.get("/api/codes/005930/prices", params={"limit": 3}).json()
    assert latest["close"] == stored.close[-3:].tolist()
    # Past 5,000 bars the read moves to the thread pool: the answer is the same.
    large = api.client.get("/api/codes/005930/prices", params={"limit": 50_000}).json()
    assert large["t"] == body["t"]
    assert large["close"] == body["close"]


def test_prices_without_a_traded_value_answer_null(api: Api) -> None:
    at = datetime(2024, 11, 14, 9, 0, tzinfo=KST)
    bars = [
        Bar(code="005930", timeframe="1m", ts=at + timedelta(minutes=i), open=55_000,
            high=55_100, low=54_900, close=55_000, volume=10 + i, value=None)
        for i in range(3)
    ]  # fmt: skip
    with closing(open_store(api.settings.store_url)) as store:
        store.save_bars(bars, source="naver")
    body = api.client.get(
        "/api/codes/005930/prices", params={"tf": "1m", "start": "2024-11-14", "end": "2024-11-14"}
    ).json()
    assert body["value"] == [None, None, None]
    assert body["volume"] == [10, 11, 12]


def test_prices_of_a_code_without_bars_or_unknown(api: Api) -> None:
    none_yet = api.client.get(
        "/api/codes/005930/prices", params={"start": "2030-01-02", "end": "2030-01-31"}
    ).json()
    assert none_yet["count"] == 0
    assert none_yet["t"] == []
    unknown = problem(api, "/api/codes/123456/prices", 404)
    assert "없습니다" in unknown["detail"]
    assert unknown["param"] == "code"
    assert problem(api, "/api/codes/5930/prices", 422)["param"] == "code"


def test_minute_prices(api: Api) -> None:
    body = api.client.get(
        "/api/codes/000660/prices", params={"tf": "1m", "start": "2024-11-15"}
    ).json()
    assert body["count"] == 381
    assert body["timeframe"] == "1m"
    first = datetime.fromtimestamp(body["t"][0], KST)
    assert first == datetime(2024, 11, 15, 9, 0, tzinfo=KST)
    aware = api.client.get(
        "/api/codes/000660/prices",
        params={"tf": "1m", "start": "2024-11-15T15:00:00+09:00"},
    ).json()
    assert aware["count"] == 21  # 15:00–15:19 and the closing auction


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"start": "2024-11-08", "end": "2024-11-01"}, "start"),
        ({"start": "2024-13-01"}, "start"),
        ({"end": "2024-11-01T09:00:00"}, "end"),
        ({"tf": "5y"}, "tf"),
        ({"limit": 0}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": 10_000_000}, "limit"),
    ],
)
def test_bad_price_queries_name_the_parameter(
    api: Api, params: dict[str, object], param: str
) -> None:
    body = problem(api, "/api/codes/005930/prices", 400, **params)
    assert body["param"] == param


def test_flows(api: Api) -> None:
    body = api.client.get("/api/codes/005930/flows", params={"kind": "investor"}).json()
    assert body["count"] == len(trading_days(date(2024, 10, 1), date(2024, 11, 15)))
    assert all(sum(row["values"].values()) == 0 for row in body["items"])
    every = api.client.get("/api/codes/005930/flows", params={"start": "2024-11-15"}).json()
    assert {row["kind"] for row in every["items"]} == {"investor", "credit", "short"}
    assert problem(api, "/api/codes/005930/flows", 400, start="2024-11-15", end="2024-11-01")


def test_market_status(api: Api) -> None:
    now = api.client.get("/api/market/status").json()
    assert now["phase"] == "after_hours"
    assert now["session_day"] == "2024-11-15"
    at = api.client.get("/api/market/status", params={"at": "2024-09-17T10:00:00+09:00"}).json()
    assert at["phase"] == "closed"
    assert at["is_trading_day"] is False
    assert at["next_open"].startswith("2024-09-19T09:00:00")
    assert problem(api, "/api/market/status", 400, at="soon")["param"] == "at"


def test_store_overview(api: Api) -> None:
    body = api.client.get("/api/store/overview").json()
    assert body["instruments"] == 40
    assert body["codes"] == 40
    assert body["bars"] == sum(s["count"] for s in body["series"])


def test_jobs_schedule_and_history(api: Api) -> None:
    body = api.client.get("/api/jobs").json()
    names = [j["name"] for j in body["jobs"]]
    assert names[:4] == ["collect_codes", "collect_daily", "collect_minute", "collect_flows"]
    assert body["jobs"][1]["last_status"] == "succeeded"
    runs = api.client.get("/api/jobs/runs", params={"name": "collect_daily"}).json()
    assert runs[0]["status"] == "succeeded"
    assert runs[0]["counts"]["bars_1d"] > 0
    assert problem(api, "/api/jobs/runs", 400, name="nope")["param"] == "name"


def test_run_now_needs_the_token_and_audits_refusals(api: Api) -> None:
    refused = api.client.post("/api/jobs/collect_codes/run")
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"
    wrong = api.client.post(
        "/api/jobs/collect_codes/run", headers={"Authorization": "Bearer not-the-token-at-all"}
    )
    assert wrong.status_code == 401
    store = open_store(api.settings.store_url)
    audit = store.list_audit(operation="auth_failed")
    assert [a.detail["reason"] for a in audit[:2]] == ["wrong", "missing"]
    assert api.token not in str([a.detail for a in audit])
    accepted = api.client.post("/api/jobs/collect_codes/run", headers=api.auth())
    assert accepted.status_code == 202
    run_id = accepted.json()["run_id"]
    assert api.client.get(f"/api/jobs/runs/{run_id}").status_code == 200  # followable at once
    deadline = time.monotonic() + 60
    run = None
    while time.monotonic() < deadline:
        run = store.get_job_run(run_id)
        if run is not None and run.status is not JobStatus.RUNNING:
            break
        time.sleep(0.2)
    assert run is not None
    assert run.status is JobStatus.SUCCEEDED, run.error
    assert run.trigger == "api"
    one = api.client.get(f"/api/jobs/runs/{run_id}").json()
    assert (one["run_id"], one["status"], one["counts"]) == (run_id, "succeeded", {"unchanged": 40})
    assert api.client.get("/api/jobs/runs/nope").status_code == 404
    missing = api.client.post("/api/jobs/nope/run", headers=api.auth())
    assert missing.status_code == 400


def test_large_answers_are_compressed(api: Api) -> None:
    r = api.client.get("/api/codes", params={"limit": 1000}, headers={"Accept-Encoding": "gzip"})
    assert r.headers.get("content-encoding") == "gzip"
    assert r.json()["total"] == 40


def test_openapi_and_docs(api: Api) -> None:
    schema = api.client.get("/api/openapi.json").json()
    paths = set(schema["paths"])
    assert {"/api/health", "/api/codes", "/api/codes/{code}/prices", "/api/jobs"} <= paths
    assert api.client.get("/api/docs").status_code == 200
    assert api.client.get("/api/nothing").status_code == 404


def test_the_web_client_is_served_with_cache_rules(api: Api, tmp_path: Path) -> None:
    """Hashed assets may be kept for a year; index.html, which names them, never is, and
    every client-side route answers it (but an unknown /api address stays a 404)."""
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text('<script src="/assets/index-abc123.js"></script>')
    (dist / "assets" / "index-abc123.js").write_text("console.log('stocklab')")
    for web in serve(api.settings, web_dist=dist):
        asset = web.client.get("/assets/index-abc123.js")
        assert asset.text == "console.log('stocklab')"
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        for path in ("/", "/stocks/005930"):
            page = web.client.get(path)
            assert page.text.startswith("<script")
            assert page.headers["cache-control"] == "no-cache"
        assert web.client.get("/api/nothing").status_code == 404
