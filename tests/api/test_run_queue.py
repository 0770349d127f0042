""" "Run now" is bounded and checked before anything is recorded: past the queue's limit a
429 with Retry-After, and a job that cannot run this way (a backtest needs arguments) a
400 — neither leaves a run record behind."""

from __future__ import annotations

import contextlib
import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from stocklab.config import Settings, load_settings
from stocklab.model import JobRun, JobStatus
from stocklab.scheduler.service import Scheduler
from stocklab.store import open_store
from tests.api.conftest import SIM_NOW, Api, serve
from tests.support.scheduling import JOB_MODULES, QUIET, child_pythonpath, poll

PROBLEM = "application/problem+json"
HANG = {"cron": "0 0 1 1 *", "enabled": False, "timeout": 30, "args": {"seconds": 600}}


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("PYTHONPATH", child_pythonpath())
    monkeypatch.setenv("STOCKLAB_JOB_MODULES", JOB_MODULES)
    monkeypatch.setenv("STOCKLAB_JOBS", json.dumps({**QUIET, "test_hang": HANG}))
    monkeypatch.setenv("STOCKLAB_JOB_QUEUE_LIMIT", "2")
    return load_settings(home=tmp_path / "home", sim_now=SIM_NOW)


def _stop_jobs(settings: Settings) -> None:
    store = open_store(settings.store_url)

    def stopped() -> bool:
        running = store.list_job_runs(status=JobStatus.RUNNING, limit=100)
        for run in running:
            if run.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(run.pid, signal.SIGTERM)
        return not running

    poll(stopped, timeout=30, every=0.5)


@pytest.fixture(params=["scheduler", "thread"])
def api(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Api]:
    """The API as `stocklab up` runs it (with the scheduler), and on its own."""
    if request.param == "thread":
        yield from serve(settings)
        _stop_jobs(settings)  # no scheduler here to stop them
        return
    scheduler = Scheduler(settings)
    scheduler.start()
    try:
        yield from serve(settings, scheduler=scheduler)
    finally:
        scheduler.shutdown()


def test_run_now_past_the_limit_is_429_and_records_nothing(api: Api) -> None:
    store = open_store(api.settings.store_url)
    accepted = [api.client.post("/api/jobs/test_hang/run", headers=api.auth()) for _ in range(2)]
    assert [r.status_code for r in accepted] == [202, 202], [r.text for r in accepted]
    for name in ("test_hang", "collect_codes"):  # the limit is the API's, over every job
        refused = api.client.post(f"/api/jobs/{name}/run", headers=api.auth())
        assert refused.status_code == 429, refused.text
        assert refused.headers["content-type"].startswith(PROBLEM)
        assert int(refused.headers["retry-after"]) > 0
        body = refused.json()
        assert body["status"] == 429
        assert "한도 2" in body["detail"]
        assert "STOCKLAB_JOB_QUEUE_LIMIT" in body["detail"]
    runs = store.list_job_runs(limit=100)
    assert sorted(r.run_id for r in runs) == sorted(r.json()["run_id"] for r in accepted)
    # once the queue has room again, a run is accepted
    first = accepted[0].json()["run_id"]

    def run_of(run_id: str) -> JobRun:
        run = store.get_job_run(run_id)
        assert run is not None
        return run

    pid = poll(lambda: run_of(first).pid, timeout=20)
    os.killpg(pid, signal.SIGTERM)  # its job process stops, as a person might stop it
    poll(lambda: run_of(first).status is JobStatus.INTERRUPTED, timeout=20)
    again = api.client.post("/api/jobs/test_hang/run", headers=api.auth())
    assert again.status_code == 202, again.text


def test_a_job_that_needs_arguments_is_refused_without_a_record(api: Api) -> None:
    store = open_store(api.settings.store_url)
    refused = api.client.post("/api/jobs/backtest/run", headers=api.auth())
    assert refused.status_code == 400, refused.text
    body = refused.json()
    assert body["param"] == "name"
    assert "POST /api/backtests" in body["detail"]
    unknown = api.client.post("/api/jobs/no_such_job/run", headers=api.auth())
    assert unknown.status_code == 400
    assert store.list_job_runs(limit=100) == []


def test_the_limit_is_in_the_openapi_document(api: Api) -> None:
    doc = api.client.get("/api/openapi.json").json()
    for path in ("/api/jobs/{name}/run", "/api/backtests"):
        answers = doc["paths"][path]["post"]["responses"]
        assert "application/problem+json" in answers["429"]["content"], path
