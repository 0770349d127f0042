"""Live trading is switched on in one place only: `stocklab trade run --live`, which shows
what will trade and asks. A schedule, an API call or `jobs run --arg` cannot set it, and
the live account's records never mix with paper's."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from stocklab.config import ConfigError, load_settings
from stocklab.jobs.registry import coerce_args, get_job
from stocklab.runtime.trading import account_name
from stocklab.scheduler.config import load_schedules
from tests.support.ls_server import APPKEY, APPSECRET, LsTestServer, serve

ROOT = Path(__file__).resolve().parents[1]


def stocklab(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOCKLAB_")}
    env.update(STOCKLAB_HOME=str(home), PYTHONPATH=str(ROOT / "src"))
    return subprocess.run(
        [sys.executable, "-m", "stocklab", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("value", ["true", "false", "1"])
def test_jobs_run_cannot_switch_live_on(tmp_path: Path, value: str) -> None:
    done = stocklab(tmp_path / "home", "jobs", "run", "trade", "--arg", f"live={value}")
    assert done.returncode != 0
    assert "stocklab trade run --live" in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "home" / "paper").exists()  # no broker was opened


def test_a_schedule_cannot_switch_live_on(tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path / "home", jobs={"trade": {"args": {"live": True}}})
    with pytest.raises(ConfigError, match=r"\[jobs\.trade\].*trade run --live"):
        load_schedules(settings)


def test_the_run_itself_and_trade_run_may_pass_it() -> None:
    job = get_job("trade")
    assert coerce_args(job, {"live": True}, trusted=True) == {"live": True}
    assert coerce_args(job, {"live": "false"}, trusted=True) == {"live": False}
    with pytest.raises(ValueError, match="true 또는 false"):
        coerce_args(job, {"live": "maybe"}, trusted=True)
    with pytest.raises(ValueError, match="trade run --live"):
        coerce_args(get_job("reconcile"), {"live": True})


def test_live_and_paper_keep_separate_records(tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path / "home")
    assert account_name(settings, live=False) == "paper"
    assert account_name(settings, live=True) == "live"
    same = load_settings(home=tmp_path / "home", trading_account="mine", live_account="mine")
    with pytest.raises(ValueError, match="서로 다른 이름"):
        account_name(same, live=True)


def trade_live(home: Path, server: LsTestServer, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOCKLAB_")}
    env.update(
        STOCKLAB_HOME=str(home),
        PYTHONPATH=str(ROOT / "src"),
        STOCKLAB_LS_APPKEY=APPKEY,
        STOCKLAB_LS_APPSECRET=APPSECRET,
        STOCKLAB_LS_BASE_URL=server.base_url,
        STOCKLAB_STRATEGIES='[{"name": "ten_tick", "codes": ["005930"], "params": {"qty": 1}}]',
        **extra,
    )
    return subprocess.run(
        [sys.executable, "-m", "stocklab", "trade", "run", "--live", "--once"],
        env=env,
        input="n\n",
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_trade_run_live_says_what_will_trade_and_stops_without_a_yes(tmp_path: Path) -> None:
    with serve(paper_key=False) as server:
        done = trade_live(tmp_path / "home", server)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "실거래 모드" in done.stdout
    assert "모의투자" not in done.stdout
    assert "이대로 실거래를 시작할까요?" in done.stdout
    assert "계좌 이름  live" in done.stdout  # the live account's name in the store
    assert "ten_tick" in done.stdout
    assert "005930" in done.stdout
    assert APPSECRET not in done.stdout + done.stderr
    assert server.seen("CSPAT00601") == []
    assert not (tmp_path / "home" / "stocklab.db").exists() or _no_runs(tmp_path / "home")


def test_trade_run_live_with_a_paper_key_says_모의투자(tmp_path: Path) -> None:
    with serve() as server:  # the samples are 모의투자 answers
        done = trade_live(tmp_path / "home", server)
    assert done.returncode == 1, done.stdout + done.stderr
    said = " ".join(done.stdout.split())  # as read, whatever the terminal's width
    assert "LS증권 모의투자 모드" in said
    assert "실제 돈은 움직이지 않습니다" in said
    assert "실거래 모드" not in said
    assert "이대로 LS 모의투자 매매를 시작할까요?" in said
    assert server.seen("CSPAT00601") == []


def test_a_real_key_set_as_paper_is_stopped_before_any_order(tmp_path: Path) -> None:
    with serve(paper_key=False) as server:
        done = trade_live(tmp_path / "home", server, STOCKLAB_LS_PAPER="true")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "실전 키로 답했습니다" in done.stderr
    assert "Traceback" not in done.stderr
    assert "이대로" not in done.stdout  # never asked: it stopped first
    assert server.seen("CSPAT00601") == []


def _no_runs(home: Path) -> bool:
    from stocklab.store import open_store

    with closing(open_store(f"sqlite:///{home / 'stocklab.db'}")) as store:
        return store.list_job_runs(limit=10) == []


def test_an_order_for_another_account_is_refused_by_the_manager(tmp_path: Path) -> None:
    from stocklab.model import OrderRequest, OrderType, Side
    from stocklab.runtime.trading import open_manager
    from stocklab.store import open_store

    settings = load_settings(home=tmp_path / "home")
    with closing(open_store(settings.store_url)) as store:
        manager = open_manager(settings, store)  # paper
        request = OrderRequest(
            client_id="x-1", account_id="live", code="005930", side=Side.BUY, qty=1,
            order_type=OrderType.MARKET,
        )  # fmt: skip
        with pytest.raises(ValueError, match="계좌"):
            manager.submit(request)
        assert store.get_order("x-1") is None
