"""A trading process that dies (SIGKILL) at a chosen point, for the crash tests.

usage: trade_crash.py HOME MODE [paper|ls] — MODE is one of
  after_record  the order is in the store, the broker call has not been made
  after_send    the broker accepted the order, the answer never came back
  after_fill    the broker filled the order, the fill was not stored yet (paper: the
                simulator fills it; LS: use `submit`, fill it on the test server, then
                `die_on_fill`)
  submit        place the order and exit normally
  die_on_fill   reconcile, dying when the first fill is about to be stored
With `ls` the orders go through `LsBroker` to the LS test server named by the
STOCKLAB_LS_* variables.
The broker and store are wrapped through their public interfaces; nothing in stocklab
knows about crashing.
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

from stocklab.config import load_settings
from stocklab.model import KST, OrderRequest, OrderType, Side
from stocklab.runtime.trading import open_manager
from stocklab.store import open_store

SUBMIT_AT = datetime(2024, 11, 15, 10, 0, 30, tzinfo=KST)
FILL_BY = datetime(2024, 11, 15, 10, 20, 30, tzinfo=KST)
REQUEST = OrderRequest(
    client_id="crash-1", account_id="paper", code="005930", side=Side.BUY, qty=5,
    order_type=OrderType.MARKET,
)  # fmt: skip


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class Wrapped:
    """Everything passes through to `inner` except the one call that dies."""

    def __init__(self, inner: Any, name: str, before: bool) -> None:
        self._inner, self._name, self._before = inner, name, before

    def __getattr__(self, attr: str) -> Any:
        value = getattr(self._inner, attr)
        if attr != self._name:
            return value

        def dying(*args: Any, **kwargs: Any) -> Any:
            if self._before:
                die()
            value(*args, **kwargs)
            die()

        return dying


def settings_for(home: Path) -> Any:
    return load_settings(home=home, sim_codes=40, sim_start=date(2024, 6, 3))


def main(home: Path, mode: str, broker: str = "paper") -> None:
    clock = {"now": FILL_BY if mode == "die_on_fill" else SUBMIT_AT}
    settings = settings_for(home)
    store = open_store(settings.store_url)
    manager = open_manager(settings, store, live=broker == "ls", now=lambda: clock["now"])
    manager.account()
    if mode == "die_on_fill":
        manager.store = Wrapped(store, "apply_fill", before=True)
        manager.reconcile()
        raise SystemExit("die_on_fill: no fill to store")
    if mode == "after_record":
        manager.broker = Wrapped(manager.broker, "place", before=True)
    elif mode == "after_send":
        manager.broker = Wrapped(manager.broker, "place", before=False)
    manager.submit(REQUEST.model_copy(update={"account_id": manager.account_id}))
    if mode == "submit":
        return
    if mode == "after_fill":
        manager.store = Wrapped(store, "apply_fill", before=True)
        clock["now"] = FILL_BY
        manager.reconcile()
    raise SystemExit(f"{mode}: the process should have died by now")


if __name__ == "__main__":
    main(Path(sys.argv[1]), *sys.argv[2:])
