"""A writer that may be SIGKILLed between its write and the write's audit entry.

argv: backend (sqlite|mongodb) target (file path | URL) db operation (account|bars) kill|run.
With `kill` the process kills itself where the audit entry would be appended: after the
write's own statements ran, before its transaction commits.
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import date
from typing import Any

from stocklab.barseries import BarSeries
from stocklab.model import Account, Timeframe, daily_ts


def open_store(backend: str, target: str, db: str) -> Any:
    if backend == "sqlite":
        from stocklab.store.sqlite import SqliteStore

        return SqliteStore(target, actor="kill-test")
    import pymongo

    from stocklab.store.mongo import MongoStore

    client: pymongo.MongoClient = pymongo.MongoClient(target, tz_aware=True)
    return MongoStore(client, db, actor="kill-test")


def main(backend: str, target: str, db: str, operation: str, mode: str) -> None:
    store = open_store(backend, target, db)
    if mode == "kill":
        store._append_audit = lambda tx, entry: os.kill(os.getpid(), signal.SIGKILL)
    t0 = daily_ts(date(2024, 3, 4))
    if operation == "account":
        store.create_account(Account(account_id="paper1", cash=1_000, created_at=t0, updated_at=t0))
    else:
        ts = [int(daily_ts(date(2024, 3, d)).timestamp()) for d in (4, 5, 6)]
        store.save_bars(
            BarSeries.from_rows(
                Timeframe.DAY, "005930", [(t, 100, 110, 90, 105, 1_000, -1) for t in ts]
            ),
            source="kill-test",
        )
    print("done", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:6])
