"""One contract suite, every backend.

- sqlite: the embedded default, on a temporary file.
- mongo-wire: the MongoDB backend through real pymongo over TCP to mongoeco's wire-protocol
  server on loopback (see ../shared/ref/mongodb-testing.md); the primary Mongo evidence.
- mongomock: the same backend in process; cases that need bulk upserts are skipped here
  only, because mongomock 4.3 breaks on `bulk_write(UpdateOne)` with pymongo ≥ 4.11.
- mongo-real: opt-in, when STOCKLAB_TEST_MONGODB_URI points at a real server.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from stocklab.store import Store
from stocklab.store.sqlite import SqliteStore

MONGOMOCK_BULK = (
    "mongomock 4.3 cannot run bulk_write(UpdateOne(..., upsert=True)) with pymongo >= 4.11 "
    "(TypeError; https://github.com/mongomock/mongomock/issues/912); "
    "this case runs against the mongoeco wire server instead"
)
BACKENDS = ["sqlite", "mongo-wire", "mongomock", "mongo-real"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "bulk_upsert: the case writes with bulk upserts")


@pytest.fixture(scope="session")
def mongoeco_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if sys.version_info < (3, 13):
        pytest.skip("mongoeco needs Python >= 3.13")
    data = tmp_path_factory.mktemp("mongoeco")
    script = Path(__file__).resolve().parents[1] / "support" / "mongoeco_server.py"
    proc = subprocess.Popen(
        [sys.executable, str(script), str(data)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line.startswith("PORT "):
            proc.kill()
            err = proc.stderr.read() if proc.stderr else ""
            pytest.fail(f"mongoeco server did not start: {line!r} {err[-2000:]}")
        yield f"mongodb://127.0.0.1:{int(line.split()[1])}/?directConnection=true"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _mongo_store(url: str, db: str) -> Store:
    import pymongo

    from stocklab.store.mongo import MongoStore

    client: pymongo.MongoClient = pymongo.MongoClient(
        url, tz_aware=True, serverSelectionTimeoutMS=5000
    )
    return MongoStore(client, db, actor="test")


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    backend = request.param
    db = f"t{uuid.uuid4().hex[:12]}"
    if backend == "sqlite":
        s: Store = SqliteStore(tmp_path / "store.db", actor="test")
    elif backend == "mongo-wire":
        s = _mongo_store(request.getfixturevalue("mongoeco_url"), db)
    elif backend == "mongomock":
        if request.node.get_closest_marker("bulk_upsert"):
            pytest.skip(MONGOMOCK_BULK)
        import mongomock

        from stocklab.store.mongo import MongoStore

        s = MongoStore(mongomock.MongoClient(tz_aware=True), db, actor="test")
    else:
        url = os.environ.get("STOCKLAB_TEST_MONGODB_URI")
        if not url:
            pytest.skip("set STOCKLAB_TEST_MONGODB_URI to run the suite against a real MongoDB")
        s = _mongo_store(url, db)
    try:
        yield s
    finally:
        if backend in ("mongo-wire", "mongo-real"):
            s.client.drop_database(db)  # type: ignore[attr-defined]
        s.close()
