"""The API builds its one order manager in `create_app`, without loading the simulator;
a configured source that cannot be opened leaves the rest of the API serving, and the
trading routes answer with that source's own error."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import stocklab
from stocklab.api import create_app
from stocklab.config import load_settings
from stocklab.trading.orders import OrderManager
from tests.api.conftest import SIM_NOW, serve


def test_create_app_builds_the_paper_order_manager(served_home: Path) -> None:
    settings = load_settings(
        home=served_home, sim_codes=40, sim_start=date(2024, 6, 3), sim_now=SIM_NOW
    )
    app = create_app(settings)
    manager = app.state.order_manager
    assert isinstance(manager, OrderManager)
    assert manager.account_id == settings.trading_account
    assert manager.broker.live is False
    assert manager.market.name == "sim"
    assert manager.store is app.state.store  # the API's one store, not a second one


def test_a_source_without_its_key_fails_only_the_trading_routes(served_home: Path) -> None:
    settings = load_settings(
        home=served_home, sim_codes=40, sim_start=date(2024, 6, 3), sim_now=SIM_NOW,
        source="datagokr",
    )  # fmt: skip
    assert settings.datagokr_key is None
    for api in serve(settings):
        assert api.client.get("/api/health").status_code == 200
        assert api.client.get("/api/codes").status_code == 200
        for _ in range(2):  # the same answer every time, not only the first
            account = api.client.get("/api/account")
            assert account.status_code == 503, account.text
            body = account.json()
            assert body["error"] == "AuthError"
            assert body["source"] == "datagokr"
            assert "STOCKLAB_DATAGOKR_KEY" in body["detail"]


def test_building_the_order_manager_loads_no_calendar(served_home: Path) -> None:
    """`stocklab up` serves its first page as fast as before: the manager's simulator
    finds its first session (which loads the KRX calendar, seconds) only when asked."""
    script = (
        "import sys; from datetime import date; from stocklab.api import create_app; "
        "from stocklab.config import load_settings; "
        f"s = load_settings(home={str(served_home)!r}, sim_codes=40, "
        f"sim_start=date(2024, 6, 1), sim_now={SIM_NOW!r}); "
        "app = create_app(s); assert app.state.order_manager is not None; "
        "print('exchange_calendars' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(stocklab.__file__).parents[1])}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
