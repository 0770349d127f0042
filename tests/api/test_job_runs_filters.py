"""`GET /api/jobs/runs?name&status&limit` against the real server: each filter narrows
what it should, and a bad value is a 4xx naming the parameter."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from stocklab.config import load_settings
from stocklab.model import KST, JobRun, JobStatus
from stocklab.store import open_store
from tests.api.conftest import SIM_NOW, Api, serve

T0 = datetime(2024, 11, 15, 9, 0, tzinfo=KST)
# (job, status), oldest first; run ids say which is which.
RUNS = [
    ("collect_codes", JobStatus.SUCCEEDED),
    ("collect_daily", JobStatus.FAILED),
    ("collect_codes", JobStatus.FAILED),
    ("trade", JobStatus.TIMED_OUT),
    ("collect_minute", JobStatus.RUNNING),
    ("collect_daily", JobStatus.SUCCEEDED),
]


def run_id(i: int) -> str:
    job, status = RUNS[i]
    return f"{job}-{status.value}-{i}"


@pytest.fixture(scope="module")
def runs_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("runs") / "home"
    settings = load_settings(home=home, sim_now=SIM_NOW)
    settings.ensure_home()
    store = open_store(settings.store_url, actor="test")
    for i, (job, status) in enumerate(RUNS):
        started = T0 + timedelta(minutes=10 * i)
        done = status is not JobStatus.RUNNING
        store.save_job_run(
            JobRun(
                run_id=run_id(i),
                job=job,
                status=status,
                trigger="schedule",
                started_at=started,
                ended_at=started + timedelta(minutes=1) if done else None,
                error="boom" if status is JobStatus.FAILED else None,
                pid=None if done else os.getpid(),  # a live process: the server leaves it be
            )
        )
    store.close()
    return home


@pytest.fixture
def api(runs_home: Path) -> Iterator[Api]:
    yield from serve(load_settings(home=runs_home, sim_now=SIM_NOW))


def ids(api: Api, **params: object) -> list[str]:
    answer = api.client.get("/api/jobs/runs", params=params)
    assert answer.status_code == 200, answer.text
    return [r["run_id"] for r in answer.json()]


def test_no_filter_lists_every_run_newest_first(api: Api) -> None:
    assert ids(api) == [run_id(i) for i in reversed(range(len(RUNS)))]


def test_status_failed_returns_only_the_failed_runs(api: Api) -> None:
    answer = api.client.get("/api/jobs/runs", params={"status": "failed"})
    assert answer.status_code == 200
    body = answer.json()
    assert [r["run_id"] for r in body] == [run_id(2), run_id(1)]
    assert {r["status"] for r in body} == {"failed"}
    assert all(r["error"] == "boom" for r in body)


@pytest.mark.parametrize(
    ("status", "expected"),
    [("succeeded", [5, 0]), ("running", [4]), ("timed_out", [3]), ("skipped", [])],
)
def test_each_status_filters(api: Api, status: str, expected: list[int]) -> None:
    assert ids(api, status=status) == [run_id(i) for i in expected]


def test_name_and_status_combine(api: Api) -> None:
    assert ids(api, name="collect_daily", status="failed") == [run_id(1)]
    assert ids(api, name="collect_codes") == [run_id(2), run_id(0)]


def test_limit_one_returns_the_newest_one(api: Api) -> None:
    assert ids(api, limit=1) == [run_id(5)]
    assert ids(api, status="failed", limit=1) == [run_id(2)]
    assert len(ids(api, limit=3)) == 3
    assert len(ids(api, limit=1_000)) == len(RUNS)


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"status": "bogus"}, "status"),
        ({"status": "FAILED!"}, "status"),
        ({"limit": 0}, "limit"),
        ({"limit": 1_001}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"name": "no_such_job"}, "name"),
    ],
)
def test_a_bad_value_is_a_4xx_naming_the_parameter(
    api: Api, params: dict[str, object], param: str
) -> None:
    answer = api.client.get("/api/jobs/runs", params=params)
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    assert body["param"] == param
    assert body["detail"].startswith(f"{param}:")
