"""A real API server on loopback over a real embedded store filled by the simulator."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest
import uvicorn

from stocklab.api import create_app
from stocklab.config import Settings, load_settings
from stocklab.jobs.runner import run_job
from stocklab.model import JobStatus
from stocklab.scheduler.service import Scheduler

SIM_NOW = "2024-11-15T16:00:00+09:00"


@dataclass
class Api:
    base: str
    token: str
    settings: Settings
    client: httpx.Client

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def filled_settings(home: Path, sim_now: str = SIM_NOW, **extra: object) -> Settings:
    settings = load_settings(
        home=home, sim_codes=40, sim_start=date(2024, 6, 3), sim_now=sim_now, **extra
    )
    for job, args in (
        ("collect_codes", {}),
        ("collect_daily", {}),
        ("collect_minute", {"codes": ["005930", "000660"]}),
        ("collect_flows", {"codes": ["005930"], "since": date(2024, 10, 1)}),
    ):
        run = run_job(job, args, settings=settings, interactive=False)
        assert run.status is JobStatus.SUCCEEDED, run.error
    return settings


@pytest.fixture(scope="session")
def served_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("api") / "home"
    filled_settings(home)
    return home


def serve(
    settings: Settings, web_dist: Path | None = None, scheduler: Scheduler | None = None
) -> Iterator[Api]:
    port = _free_port()
    app = create_app(settings, web_dist=web_dist, scheduler=scheduler)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, timeout=30) as client:
        yield Api(base, app.state.token, settings, client)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def api(served_home: Path) -> Iterator[Api]:
    settings = load_settings(
        home=served_home, sim_codes=40, sim_start=date(2024, 6, 3), sim_now=SIM_NOW
    )
    yield from serve(settings)
