"""The LS client on real HTTP: documented headers, every error path and its typed error,
continuation safety, and secrets kept out of reprs, errors and logs."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from pathlib import Path

import pytest

from stocklab.agent.base import (
    AuthError,
    BadResponse,
    NotSupported,
    RateLimited,
    SourceError,
    SourceUnavailable,
)
from stocklab.agent.ls import LsMarketData
from stocklab.agent.ls.codes import SUCCESS_CODES, TrRefused, is_success
from stocklab.agent.ls.trs import TRS
from tests.support.ls_server import (
    APPKEY,
    APPSECRET,
    LsTestServer,
    daily_rows,
    ls_client,
    ls_server_fixture,  # noqa: F401 (the ls_server fixture)
    ls_source,
    serve,
)


def test_requests_carry_the_documented_headers(ls_server: LsTestServer, tmp_path: Path) -> None:
    with ls_source(ls_server, tmp_path / "home") as source:
        source.quote("078020")
    (seen,) = ls_server.seen("t1101")
    documented = {"content-type", "authorization", "tr_cd", "tr_cont", "tr_cont_key"}
    assert documented <= set(seen.headers)
    assert "mac_address" not in seen.headers  # personal account
    assert seen.headers["content-type"] == "application/json; charset=utf-8"
    assert seen.headers["authorization"] == f"Bearer {ls_server.issued[0]}"
    assert (seen.headers["tr_cd"], seen.headers["tr_cont"], seen.headers["tr_cont_key"]) == (
        "t1101",
        "N",
        "",
    )
    assert seen.body == {"t1101InBlock": {"shcode": "078020"}}


def test_corporate_accounts_send_a_mac_address_and_use_corporate_limits(tmp_path: Path) -> None:
    with serve(corporate=True) as server:
        with ls_source(server, tmp_path / "home", corporate=True) as source:
            for _ in range(3):  # 3/s for corporate t1717, 1/s for personal
                source.investor_flows("001200", date(2023, 6, 1), date(2023, 6, 30))
        seen = server.seen("t1717")
    assert len(seen) == 3
    assert seen[2].at - seen[0].at < 1.0  # at 1/s the third would wait 2.1 s
    assert len(seen[0].headers["mac_address"]) == 12


def test_rate_limited_answers_are_retried_with_backoff(
    ls_server: LsTestServer, tmp_path: Path
) -> None:
    ls_server.fail("t1101", "rate_limited", times=2)
    with ls_source(ls_server, tmp_path / "home", backoff=0.1) as source:
        assert source.quote("078020").price == 4545
    seen = ls_server.seen("t1101")
    assert len(seen) == 3
    assert seen[1].at - seen[0].at >= 0.1
    assert seen[2].at - seen[1].at >= 0.2  # doubled


def test_rate_limited_for_good_becomes_rate_limited_after_the_bound(
    ls_server: LsTestServer, tmp_path: Path
) -> None:
    ls_server.fail("t1101", "rate_limited", times=None)
    with (
        ls_source(ls_server, tmp_path / "home", backoff=0.01, retries=2) as source,
        pytest.raises(RateLimited, match="IGW00201") as caught,
    ):
        source.quote("078020")
    assert len(ls_server.seen("t1101")) == 3
    assert caught.value.retry_after == pytest.approx(0.04)
    assert "다른 프로그램" in caught.value.hint


@pytest.mark.parametrize(
    ("kind", "error", "words"),
    [
        ("malformed", BadResponse, "JSON 객체가 아닙니다"),
        ("wrong_shape", BadResponse, "객체여야 합니다"),
        ("html_502", SourceUnavailable, "HTTP 502"),
        ("forbidden", AuthError, "IGW00001"),
        ("not_in_paper", NotSupported, "모의투자"),
        ("refused", TrRefused, "01478"),
    ],
)
def test_each_error_answer_gives_its_typed_error(
    ls_server: LsTestServer, tmp_path: Path, kind: str, error: type[SourceError], words: str
) -> None:
    ls_server.fail("t1101", kind)
    with ls_source(ls_server, tmp_path / "home") as source:
        with pytest.raises(error, match=words) as caught:
            source.quote("078020")
        assert caught.value.hint
        assert caught.value.source == "ls"
        assert source.quote("078020").price == 4545  # the next call is answered again
    assert len(ls_server.seen("t1101")) == 2  # no blind retry of any of these


def test_a_refusal_keeps_its_code_for_the_caller(ls_server: LsTestServer, tmp_path: Path) -> None:
    ls_server.fail("t1101", "refused")
    with ls_source(ls_server, tmp_path / "home") as source, pytest.raises(TrRefused) as caught:
        source.quote("078020")
    assert (caught.value.rsp_cd, caught.value.rsp_msg) == ("01478", "매도가능수량 부족")
    assert isinstance(caught.value, BadResponse)


def test_rows_in_the_wrong_shape_give_bad_response(ls_server: LsTestServer, tmp_path: Path) -> None:
    ls_server.fail("t8410", "wrong_shape")
    with (
        ls_source(ls_server, tmp_path / "home") as source,
        pytest.raises(BadResponse, match="t8410OutBlock1"),
    ):
        source.daily_bars("078020", date(2023, 6, 1), date(2023, 6, 30))


def test_a_timeout_gives_source_unavailable(ls_server: LsTestServer, tmp_path: Path) -> None:
    ls_server.fail("t1101", "slow")
    ls_server.slow_seconds = 1.0
    with (
        ls_source(ls_server, tmp_path / "home", timeout=0.3) as source,
        pytest.raises(SourceUnavailable, match="제한 시간"),
    ):
        source.quote("078020")


def test_a_server_that_repeats_a_page_ends_the_query_instead_of_looping(
    ls_server: LsTestServer, tmp_path: Path
) -> None:
    ls_server.fail("t8410", "stuck", times=None)
    with (
        ls_source(ls_server, tmp_path / "home") as source,
        pytest.raises(BadResponse, match="되풀이"),
    ):
        source.daily_bars("078020", date(2023, 6, 1), date(2023, 6, 30))
    assert len(ls_server.seen("t8410")) == 2


def test_continuation_stops_at_the_page_limit(
    ls_server: LsTestServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ls_server.rows["t8410"] = daily_rows(date(2023, 1, 2) + timedelta(days=i) for i in range(9))
    ls_server.page_size["t8410"] = 3
    in_block = {"shcode": "078020", "gubun": "2", "qrycnt": 500, "sdate": "", "edate": ""}
    body = {"t8410InBlock": {**in_block, "cts_date": "", "comp_yn": "N", "sujung": "Y"}}
    with ls_client(ls_server, tmp_path / "home") as client:
        pages = list(client.pages("t8410", "/stock/chart", body, ("cts_date",), limit=2))
    assert len(pages) == 2
    assert "쪽 수 한도" in caplog.text


def test_documented_success_codes_are_successes() -> None:
    assert all(is_success(code) for code in SUCCESS_CODES)
    assert {"00000", "00136", "00040", "00039", "00156", "00132", "00131", "00133", "00200"} <= set(
        SUCCESS_CODES
    )
    for failure in ("01478", "03181", "01900", "IGW00201", "IGW00121", ""):
        assert not is_success(failure)


def test_rate_limits_follow_the_fact_sheet() -> None:
    personal = {tr: TRS[tr].per_second(corporate=False) for tr in ("t8436", "t8410", "t1101")}
    assert personal == {"t8436": 2, "t8410": 1, "t1101": 10}
    assert TRS["t1101"].per_second(corporate=True) == 5
    assert TRS["t8412"].cursors == ("cts_date", "cts_time")


def test_secrets_stay_out_of_reprs_errors_and_logs(
    ls_server: LsTestServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[Exception] = []
    with ls_source(ls_server, tmp_path / "home") as source:
        source.quote("078020")
        ls_server.expire_tokens()
        source.quote("078020")
        for kind in ("malformed", "forbidden", "html_502", "rate_limited"):
            ls_server.fail("t1101", kind, times=None if kind == "rate_limited" else 1)
            source.client.retries = 0
            with pytest.raises(SourceError) as caught:
                source.quote("078020")
            errors.append(caught.value)
        shown = [repr(source), repr(source.client), repr(source.client._tokens)]
    wrong = LsMarketData(ls_client(ls_server, tmp_path / "other", appsecret="s" * 36))
    with wrong, pytest.raises(AuthError) as caught:
        wrong.quote("078020")
    errors.append(caught.value)
    shown += [str(e) for e in errors] + [repr(e) for e in errors] + [caplog.text]
    secrets = [APPKEY, APPSECRET, "s" * 36, *ls_server.issued]
    assert len(ls_server.issued) == 2
    for text in shown:
        for secret in secrets:
            assert secret not in text
    assert "t1101" in caplog.text  # the log did record the calls
