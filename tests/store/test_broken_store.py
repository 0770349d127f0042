"""A store that fails under the API: a full disk, damaged pages, a file that is no database.

The API answers 503 problem+json naming the database and the cause (never a 500), also to
unauthenticated requests whose refusal it cannot audit; the kill switch, a file, goes on
and off regardless; `/api/health` runs a quick integrity check and says `degraded`.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from stocklab.api import create_app
from stocklab.config import Settings, load_settings
from stocklab.errors import StorageFailure
from stocklab.jobs.runner import run_job
from stocklab.model import JobStatus
from stocklab.store import Store, StoreCorrupt, StoreUnavailable
from stocklab.store.sqlite import SqliteStore
from tests.support.disks import damage, fill, tmpfs

SIM_NOW = "2024-11-15T16:00:00+09:00"
PROBLEM = "application/problem+json"


def filled(home: Path, codes: int = 10, start: date = date(2024, 6, 3)) -> Settings:
    """A real store filled by the simulator: the code list and `codes` codes' daily bars."""
    settings = load_settings(home=home, sim_codes=codes, sim_start=start, sim_now=SIM_NOW)
    for job in ("collect_codes", "collect_daily"):
        run = run_job(job, {}, settings=settings, interactive=False)
        assert run.status is JobStatus.SUCCEEDED, run.error
    return settings


def is_problem(response: object, status: int, *words: str) -> None:
    """`response` is problem+json with `status`, its detail naming every one of `words`."""
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"].startswith(PROBLEM)  # type: ignore[attr-defined]
    detail = response.json()["detail"]  # type: ignore[attr-defined]
    missing = [w for w in words if w not in detail]
    assert not missing, f"{missing} not in: {detail}"


@pytest.fixture(params=["full-disk", "corrupt"])
def broken(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[TestClient, Settings, str]]:
    """An API whose store fails every write: (client, settings, words its error must say).

    full-disk: the data directory on a 4 MB tmpfs, filled to the last byte after the app
    has started (skips, saying why, where mounting is not allowed; "corrupt" always runs).
    corrupt: every page of the database but the header overwritten before the app starts.
    """
    if request.param == "full-disk":
        with tmpfs(tmp_path / "disk", "4m") as disk:
            settings = filled(disk / "home")
            with TestClient(create_app(settings, web_dist=None)) as client:
                assert client.get("/api/store/overview").status_code == 200
                client.post("/api/kill", json={"on": False})  # a refusal audited, WAL open
                fill(disk)
                yield client, settings, "disk is full"
        return
    settings = filled(tmp_path / "home")
    damage(settings.home / "stocklab.db", 0.02, 1.0)
    with TestClient(create_app(settings, web_dist=None)) as client:
        yield client, settings, "손상"


def test_a_refused_request_on_a_failing_store_is_never_a_500(
    broken: tuple[TestClient, Settings, str],
) -> None:
    """The refusal's audit entry cannot be written: the answer still is no 500 — 503
    naming the store (or the refusal itself, 401, if the audit is kept elsewhere)."""
    client, settings, cause = broken
    db = str(settings.home / "stocklab.db")
    for headers in ({}, {"Authorization": "Bearer wrong-token-wrong-token"}):
        response = client.post("/api/kill", json={"on": True}, headers=headers)
        assert response.status_code in (401, 503), response.text
        if response.status_code == 503:
            is_problem(response, 503, db, cause)
        else:
            is_problem(response, 401)
    assert not (settings.home / "kill-switch").exists()


def test_the_kill_switch_works_when_the_store_does_not(
    broken: tuple[TestClient, Settings, str],
) -> None:
    client, settings, cause = broken
    auth = {"Authorization": f"Bearer {client.app.state.token}"}  # type: ignore[attr-defined]
    on = client.post("/api/kill", json={"on": True}, headers=auth)
    assert on.status_code == 200, on.text
    assert on.json()["killed"] is True
    assert cause in on.json()["warning"]
    assert (settings.home / "kill-switch").exists()
    assert client.get("/api/kill").json() == {"killed": True, "cancelled": []}
    off = client.post("/api/kill", json={"on": False}, headers=auth)
    assert off.status_code == 200, off.text
    assert off.json()["killed"] is False
    assert cause in off.json()["warning"]
    assert not (settings.home / "kill-switch").exists()


def test_writes_and_reads_on_a_failing_store_answer_503_naming_it(
    broken: tuple[TestClient, Settings, str],
) -> None:
    client, settings, cause = broken
    db = str(settings.home / "stocklab.db")
    auth = {"Authorization": f"Bearer {client.app.state.token}"}  # type: ignore[attr-defined]
    order = {"code": "005930", "side": "buy", "qty": 1, "order_type": "market"}
    # The paper broker's book (a file beside the database) may be the first to fail.
    is_problem(client.post("/api/orders", json=order, headers=auth), 503, str(settings.home))
    health = client.get("/api/health")
    assert health.status_code == 200
    assert health.json()["status"] == "degraded"
    assert db in health.json()["store"]["problem"]
    if cause == "손상":  # a full disk still reads
        for path in ("/api/store/overview", "/api/codes", "/api/codes/005930/prices"):
            is_problem(client.get(path), 503, db, cause)


def test_health_finds_damaged_pages_in_the_middle_of_a_populated_database(
    tmp_path: Path,
) -> None:
    """A server started on a damaged file says so at once; one already running rechecks
    when the file changes (at most every half minute: the scan reads every page). Bars
    are most of a real database, as of these 40 codes over 10 months (the middle pages)."""
    settings = filled(tmp_path / "home", codes=40, start=date(2024, 1, 2))
    db = settings.home / "stocklab.db"
    with TestClient(create_app(settings, web_dist=None)) as client:
        before = client.get("/api/health").json()["store"]
        assert before["reachable"] is True
        assert before["problem"] is None
        codes = [row["code"] for row in client.get("/api/codes").json()["items"]]
    assert damage(db, 0.4, 0.6) > 0
    with TestClient(create_app(settings, web_dist=None)) as client:
        health = client.get("/api/health")
        assert health.status_code == 200
        assert health.json()["status"] == "degraded"
        store = health.json()["store"]
        assert store["reachable"] is False
        assert str(db) in store["problem"]
        # Every read either is served from intact pages or says the file is damaged.
        answers = [client.get(f"/api/codes/{code}/prices") for code in codes]
        answers.append(client.get("/api/codes"))
        assert {a.status_code for a in answers} <= {200, 503}
        damaged = [a for a in answers if a.status_code == 503]
        assert damaged, "no read touched the damaged pages"
        for answer in damaged:
            is_problem(answer, 503, str(db), "손상")


@pytest.mark.parametrize(
    ("make", "kind", "words"),
    [
        (lambda db: damage(db, 0.02, 1.0), StoreCorrupt, "손상"),
        (lambda db: db.write_bytes(b"not a database\n" * 1000), StoreCorrupt, "손상"),
        (lambda db: (db.unlink(), db.mkdir()), StoreUnavailable, "디렉터리입니다"),
    ],
    ids=["damaged-pages", "not-a-database", "a-directory"],
)
def test_the_store_raises_typed_errors_naming_the_file(
    tmp_path: Path, make: Callable[[Path], object], kind: type[Exception], words: str
) -> None:
    """Through the store's own interface: what the sqlite3 driver raises (or the place
    itself) becomes one typed StoreError, a StorageFailure the CLI and API map once."""
    db = filled(tmp_path / "home").home / "stocklab.db"
    make(db)
    for readonly in (True, False):
        with pytest.raises(kind, match=words) as caught:
            SqliteStore(db, readonly=readonly).bar_overview()
        assert str(db) in str(caught.value)
        assert isinstance(caught.value, StorageFailure)


def test_a_sound_store_is_healthy_on_every_backend(store: Store) -> None:
    """The contract's `health()`: None when the store answers and checks out."""
    assert store.health() is None
    assert store.reader().health() is None


def test_a_mongodb_server_that_goes_away_is_a_503_naming_it(tmp_path: Path) -> None:
    """The MongoDB backend through real pymongo to the mongoeco wire server (see
    tests/store/conftest.py), stopped under a running API: 503 and `degraded`, not 500."""
    if sys.version_info < (3, 13):
        pytest.skip("mongoeco needs Python >= 3.13")
    script = Path(__file__).resolve().parents[1] / "support" / "mongoeco_server.py"
    server = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        line = server.stdout.readline() if server.stdout else ""
        assert line.startswith("PORT "), line
        url = f"mongodb://127.0.0.1:{int(line.split()[1])}/gone?directConnection=true"
        settings = load_settings(home=tmp_path / "home", store=url, sim_now=SIM_NOW)
        with TestClient(create_app(settings, web_dist=None)) as client:
            assert client.get("/api/store/overview").status_code == 200
            server.kill()
            server.wait(timeout=10)
            is_problem(client.get("/api/store/overview"), 503, "127.0.0.1", "답하지 않습니다")
            health = client.get("/api/health").json()
            assert health["status"] == "degraded"
            assert "127.0.0.1" in health["store"]["problem"]
    finally:
        server.kill()
        server.wait(timeout=10)
