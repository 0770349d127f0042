"""The LS token: expiry, the shared 0600 cache, re-issue on IGW00121 (once), bad keys."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from stocklab.agent.base import AuthError, SourceUnavailable
from stocklab.agent.ls import LsMarketData
from stocklab.agent.ls.token import token_expiry
from stocklab.config import Settings
from stocklab.krx import is_trading_day
from stocklab.model import KST
from stocklab.runtime.sources import ls_market_data
from tests.support.ls_server import (
    APPKEY,
    APPSECRET,
    LsTestServer,
    ls_client,
    ls_server_fixture,  # noqa: F401 (the ls_server fixture)
    ls_source,
    serve,
)

SUPPORT = Path(__file__).resolve().parents[1] / "support"


class Clock:
    """A settable clock, for the token's lifetime."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def kst(*args: int) -> datetime:
    return datetime(*args, tzinfo=KST)


def cached_tokens(home: Path) -> dict[str, dict[str, str]]:
    return json.loads((home / "ls-token.json").read_text())["tokens"]


@pytest.mark.parametrize(
    ("issued", "expires_in", "expected"),
    [
        # 07:00 the next day comes before the 24 hours run out
        (kst(2024, 1, 2, 10, 0), 86400, kst(2024, 1, 3, 6, 55)),
        # issued after midnight: the first 07:00 is the same morning
        (kst(2024, 1, 2, 5, 0), 86400, kst(2024, 1, 2, 6, 55)),
        # a short lifetime ends first
        (kst(2024, 1, 2, 10, 0), 3600, kst(2024, 1, 2, 10, 55)),
        # exactly at 07:00 the next reset is tomorrow's
        (kst(2024, 1, 2, 7, 0), 86400, kst(2024, 1, 3, 6, 55)),
        # issued within the margin before 07:00: used up to 07:00, not expired at birth
        (kst(2024, 1, 2, 6, 58), 86400, kst(2024, 1, 2, 7, 0)),
        # any timezone in, KST rules: 00:00 UTC is 09:00 KST
        (datetime(2024, 1, 2, 0, 0, tzinfo=UTC), 86400, kst(2024, 1, 3, 6, 55)),
    ],
)
def test_expiry_is_the_earlier_of_lifetime_and_next_7am_kst(
    issued: datetime, expires_in: int, expected: datetime
) -> None:
    assert token_expiry(issued, expires_in) == expected


def test_token_is_cached_0600_without_the_key_and_reused(
    ls_server: LsTestServer, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    with ls_source(ls_server, home) as first:
        first.quote("078020")
    cache = home / "ls-token.json"
    assert cache.stat().st_mode & 0o777 == 0o600
    assert APPKEY not in cache.read_text()
    assert APPSECRET not in cache.read_text()
    (entry,) = cached_tokens(home).values()
    assert entry["access_token"] == ls_server.issued[0]
    with ls_source(ls_server, home) as second:
        second.quote("078020")
    assert len(ls_server.issued) == 1
    assert len(ls_server.seen("t1101")) == 2


def test_another_process_reuses_the_cached_token(ls_server: LsTestServer, tmp_path: Path) -> None:
    home = tmp_path / "home"
    with ls_source(ls_server, home) as source:
        source.quote("078020")
    env = {
        **os.environ,
        "STOCKLAB_HOME": str(home),
        "STOCKLAB_LS_APPKEY": APPKEY,
        "STOCKLAB_LS_APPSECRET": APPSECRET,
        "STOCKLAB_LS_BASE_URL": ls_server.base_url,
        "STOCKLAB_SIM_NOW": ls_server.now().isoformat(),  # the same clock as this process
    }
    done = subprocess.run(
        [sys.executable, str(SUPPORT / "ls_collect.py"), "2023-06-01", "2023-06-30", "078020"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["078020", "1", "4530"]
    assert len(ls_server.issued) == 1


def test_clients_starting_together_issue_one_token(ls_server: LsTestServer, tmp_path: Path) -> None:
    # flock excludes separate opens of the lock file even within one process, so threads
    # with a client each race exactly as processes would.
    ls_server.token_delay = 0.3
    is_trading_day(date(2024, 1, 2))  # build the KRX calendar first: it is not thread-safe
    sources = [ls_source(ls_server, tmp_path / "home") for _ in range(4)]
    with ThreadPoolExecutor(len(sources)) as pool:
        prices = list(pool.map(lambda source: source.quote("078020").price, sources))
    for source in sources:
        source.close()
    assert prices == [4545] * 4
    assert len(ls_server.issued) == 1


def test_each_app_key_has_its_own_token(ls_server: LsTestServer, tmp_path: Path) -> None:
    home = tmp_path / "home"
    other_key, other_secret = "K" * 36, "S" * 36
    ls_server.credentials[other_key] = other_secret
    with ls_source(ls_server, home) as first:
        first.quote("078020")
        other = ls_client(ls_server, home, appkey=other_key, appsecret=other_secret)
        with LsMarketData(other) as second:
            second.quote("078020")
        first.quote("078020")  # its token was neither replaced nor invalidated
    assert len(ls_server.issued) == 2
    assert len(cached_tokens(home)) == 2
    assert other_key not in (home / "ls-token.json").read_text()


def test_a_token_past_its_expiry_is_issued_again(ls_server: LsTestServer, tmp_path: Path) -> None:
    home = tmp_path / "home"
    clock = Clock(kst(2024, 1, 2, 10, 0))
    with ls_source(ls_server, home, now=clock) as source:
        source.quote("078020")
        clock.at = kst(2024, 1, 3, 6, 54)
        source.quote("078020")
        assert len(ls_server.issued) == 1
        clock.at = kst(2024, 1, 3, 6, 56)  # past 07:00 less the margin
        source.quote("078020")
        assert len(ls_server.issued) == 2
        (entry,) = cached_tokens(home).values()
        assert datetime.fromisoformat(entry["expires_at"]) == kst(2024, 1, 3, 7, 0)
        clock.at = kst(2024, 1, 3, 6, 59, 59)  # no re-issue loop before the reset
        source.quote("078020")
        assert len(ls_server.issued) == 2
        clock.at = kst(2024, 1, 3, 7, 0)
        source.quote("078020")
    assert len(ls_server.issued) == 3
    (entry,) = cached_tokens(home).values()
    assert entry["access_token"] == ls_server.issued[2]
    assert datetime.fromisoformat(entry["expires_at"]) == kst(2024, 1, 4, 6, 55)


def test_the_documented_expire_in_spelling_is_read(tmp_path: Path) -> None:
    clock = Clock(kst(2024, 1, 2, 10, 0))
    with serve(lifetime_key="expire_in") as server:
        with ls_source(server, tmp_path / "home", now=clock) as source:
            source.quote("078020")
        (entry,) = cached_tokens(tmp_path / "home").values()
    assert datetime.fromisoformat(entry["expires_at"]) == kst(2024, 1, 3, 6, 55)


def test_an_expired_token_is_issued_again_once_and_the_call_retried_once(
    ls_server: LsTestServer, tmp_path: Path
) -> None:
    with ls_source(ls_server, tmp_path / "home") as source:
        source.quote("078020")
        ls_server.expire_tokens()  # as at 07:00 KST
        assert source.quote("078020").price == 4545
    assert len(ls_server.issued) == 2
    assert len(ls_server.seen("t1101")) == 3  # the first, the refused one, its retry
    (entry,) = cached_tokens(tmp_path / "home").values()
    assert entry["access_token"] == ls_server.issued[1]


def test_a_token_refused_for_good_gives_auth_error_without_a_loop(
    ls_server: LsTestServer, tmp_path: Path
) -> None:
    ls_server.fail("t1101", "expired_token", times=None)
    with ls_source(ls_server, tmp_path / "home") as source:
        with pytest.raises(AuthError, match="IGW00121") as caught:
            source.quote("078020")
        assert "STOCKLAB_LS_APPKEY" in caught.value.hint
        assert len(ls_server.issued) == 2  # the first token and exactly one re-issue
        assert len(ls_server.seen("t1101")) == 2  # the call and exactly one retry
        with pytest.raises(AuthError):
            source.quote("078020")
    assert len(ls_server.issued) == 2
    assert len(ls_server.seen("t1101")) == 2


def test_a_token_another_process_already_replaced_is_adopted_not_reissued(
    ls_server: LsTestServer, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    with ls_source(ls_server, home) as first, ls_source(ls_server, home) as second:
        first.quote("078020")
        second.quote("078020")
        ls_server.expire_tokens()
        second.quote("078020")  # refused, re-issues: the cache now holds token 2
        assert len(ls_server.issued) == 2
        first.quote("078020")  # refused with token 1, finds token 2 in the cache
    # Issuing again would have invalidated token 2 (LS does that per app key).
    assert len(ls_server.issued) == 2


def test_a_wrong_app_key_gives_auth_error_with_a_hint(
    ls_server: LsTestServer, tmp_path: Path
) -> None:
    wrong = "W" * 36
    client = ls_client(ls_server, tmp_path / "home", appkey=wrong)
    with LsMarketData(client) as source, pytest.raises(AuthError, match="IGW00103") as caught:
        source.quote("078020")
    assert "STOCKLAB_LS_APPKEY" in str(caught.value)
    assert wrong not in str(caught.value)
    assert not ls_server.issued


def test_a_wrong_secret_gives_auth_error(ls_server: LsTestServer, tmp_path: Path) -> None:
    client = ls_client(ls_server, tmp_path / "home", appsecret="w" * 36)
    with LsMarketData(client) as source, pytest.raises(AuthError, match="IGW00105"):
        source.quote("078020")


def test_no_token_server_gives_source_unavailable(tmp_path: Path) -> None:
    with serve() as server:
        base_url = server.base_url
    source = ls_market_data(
        Settings(
            home=tmp_path / "home", ls_appkey=APPKEY, ls_appsecret=APPSECRET, ls_base_url=base_url
        )
    )
    with source, pytest.raises(SourceUnavailable, match="연결하지 못했습니다"):
        source.quote("078020")


@pytest.mark.parametrize(("key", "secret"), [(None, APPSECRET), (APPKEY, None), ("", "")])
def test_missing_keys_give_auth_error_naming_the_variables(
    tmp_path: Path, key: str | None, secret: str | None
) -> None:
    settings = Settings(home=tmp_path / "home", ls_appkey=key, ls_appsecret=secret)
    with pytest.raises(AuthError) as caught:
        ls_market_data(settings)
    assert "STOCKLAB_LS_APPKEY" in caught.value.hint
    assert "STOCKLAB_LS_APPSECRET" in caught.value.hint


def test_from_settings_keeps_token_and_limits_in_the_data_directory(
    ls_server: LsTestServer, tmp_path: Path
) -> None:
    home = tmp_path / "data"
    settings = Settings(
        home=home, ls_appkey=APPKEY, ls_appsecret=APPSECRET, ls_base_url=ls_server.base_url
    )
    with ls_market_data(settings) as source:
        source.quote("078020")
    assert (home / "ls-token.json").is_file()
    assert (home / "ratelimit" / "ls-t1101").is_file()
    assert home.stat().st_mode & 0o777 == 0o700


def test_a_garbled_cache_is_replaced(ls_server: LsTestServer, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "ls-token.json").write_text('{"tokens": {"abc": ')
    with ls_source(ls_server, home) as source:
        source.quote("078020")
    (entry,) = cached_tokens(home).values()
    assert entry["access_token"] == ls_server.issued[0]


def test_expired_entries_of_other_keys_are_dropped(ls_server: LsTestServer, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    old = {"access_token": "x", "expires_at": (ls_server.now() - timedelta(hours=1)).isoformat()}
    (home / "ls-token.json").write_text(json.dumps({"tokens": {"other": old}}))
    with ls_source(ls_server, home) as source:
        source.quote("078020")
    assert "other" not in cached_tokens(home)


@pytest.mark.parametrize("status", [401, 403, 500])
def test_a_refused_key_shows_the_code_and_message_ls_sent_whatever_the_status(
    ls_server: LsTestServer, tmp_path: Path, status: int
) -> None:
    ls_server.key_refused_status = status
    client = ls_client(ls_server, tmp_path / "home", appkey="W" * 36)
    with LsMarketData(client) as source, pytest.raises(AuthError) as caught:
        source.quote("078020")
    text = str(caught.value)
    assert "[IGW00103] 유효하지 않은 AppKey입니다." in text
    assert f"HTTP {status}" in text  # the status is there too, after LS's own words
