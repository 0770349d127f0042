"""A stand-in for the LS증권 OPEN API on loopback, answering with the portal's own examples.

It is a real HTTP server (`ThreadingHTTPServer` in a thread) that checks every request
the way the fact sheet says the real one works (POST, the documented headers, a token it
issued, `tr_cd` matching the path, `{"<TR>InBlock": {...}}` with the example's fields),
answers with the published samples from `../shared/ref/ls-samples` (read at start, never
copied), pages long answers with `tr_cont`/`tr_cont_key` headers and out-block cursors,
and counts every TR's requests per second. Tests program the failure paths with `fail`.

Anything a client does wrong is recorded in `problems`; `check()` (called when `serve`
ends) fails the test on a protocol problem or on any one-second window holding more
requests of a TR than its limit.

It also takes orders, like a 모의투자 account: CSPAT00601/00701/00801 are validated
field by field (`A`+code, side and price-type codes, the tick grid through `stocklab.krx`,
the price band when `reference` names the code's 기준가, 매도가능수량, 주문가능금액) and
answered in the published examples' shapes with increasing order numbers, or refused
with a zero-filled `OutBlock2` as the CSPAT00701 example shows. Accepted orders go into
`book`; a test fills (`fill`) or rejects (`reject`) them, and t0425 (paged by
`cts_ordno`), CSPAQ12200 and CSPAQ12300 (paged by `tr_cont_key`) report the book, the
cash and the holdings that follow from it. Failure kinds for orders: `slow` and `drop`
take the order into the book before the answer is late or lost, as the real one may.
"""

from __future__ import annotations

import copy
import json
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from stocklab.agent.ls import LsBroker, LsClient, LsMarketData
from stocklab.agent.ratelimit import monotonic
from stocklab.krx import is_valid_price, price_limits
from stocklab.model import KST, check_code
from tests.support.paths import SHARED

SAMPLES = SHARED / "ref" / "ls-samples"
EXCHANGE_NOW = datetime(2024, 11, 15, 10, 0, tzinfo=KST)
"""The exchange clock the server stamps orders with unless a test gives its own."""
TRS = ("t8436", "t8410", "t8412", "t1305", "t1101", "t1717", "t1921", "t1927")
ORDER_TRS = ("CSPAT00601", "CSPAT00701", "CSPAT00801")
ACCOUNT_TRS = ("t0425", "CSPAQ12200", "CSPAQ12300")
SAMPLE_FILES = {"CSPAT00601": "CSPAT00601-buy", "CSPAT00701": "CSPAT00701-reject"}
"""Sample files not named after their TR."""


def _load(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))


_TOKEN = _load("token")
APPKEY: str = _TOKEN["request"]["body"]["appkey"]
APPSECRET: str = _TOKEN["request"]["body"]["appsecretkey"]
"""The published example's (placeholder) credentials: the keys this server accepts."""

LIMITS = {
    "t8436": 2,
    "t1305": 1,
    "t1101": 10,
    "t8412": 1,
    "t8410": 1,
    "t1717": 1,
    "t1921": 1,
    "t1927": 1,
    "CSPAT00601": 10,
    "CSPAT00701": 3,
    "CSPAT00801": 3,
    "t0425": 1,  # the sheet says 2 (one client: 1); the stand-in holds the client to 1
    "CSPAQ12200": 1,
    "CSPAQ12300": 1,
}
"""Personal per-second limits, fact sheet section 1.6."""
CORPORATE_LIMITS = {
    **dict.fromkeys(LIMITS, 3),
    "t8436": 5,
    "t1101": 5,
    "CSPAT00601": 10,
    "t0425": 10,
    "CSPAQ12200": 1,
    "CSPAQ12300": 10,
}

JSON_TYPE = "application/json; charset=utf-8"
FAILURES = {
    "rate_limited": (500, {"rsp_cd": "IGW00201", "rsp_msg": "호출 거래건수를 초과하였습니다."}),
    "expired_token": (500, {"rsp_cd": "IGW00121", "rsp_msg": "유효하지 않은 토큰입니다."}),
    "forbidden": (500, {"rsp_cd": "IGW00001", "rsp_msg": "권한이 없습니다."}),
    "not_in_paper": (
        200,
        {"rsp_cd": "01900", "rsp_msg": "모의투자에서는 해당업무가 제공되지 않습니다."},
    ),
    "refused": (200, {"rsp_cd": "01478", "rsp_msg": "매도가능수량 부족"}),
}
"""Failures answered as LS's JSON error bodies. `fail` also takes `malformed` (JSON cut in
half), `wrong_shape` (a string where rows belong), `html_502`, `slow` (answers after
`slow_seconds`), `drop` (hangs up without an answer) and `stuck` (says more follows,
pointing at the page just served). `slow` and `drop` still carry out the request."""
REJECTS = {
    "below_lower": ("03181", "주문가격이 하한가 미달입니다."),  # [D] the CSPAT00701 example
    "sell_short": ("01478", "매도가능수량 부족"),  # [3P]
    # Invented stand-ins: LS publishes no code for these refusals.
    "above_upper": ("03182", "주문가격이 상한가 초과입니다."),
    "tick": ("02705", "호가단위에 맞지 않는 주문가격입니다."),
    "no_money": ("02714", "주문가능금액이 부족합니다."),
    "unknown_order": ("03561", "원주문번호를 확인하십시오."),
    "over_open": ("03562", "정정/취소 가능수량을 초과하였습니다."),
}
"""Order refusals: (rsp_cd, rsp_msg), answered with HTTP 200 and a zero-filled OutBlock2."""
ACCEPTED = {
    "1": ("00039", "매도 주문이 완료되었습니다."),  # [3P] code; message by analogy with 00040
    "2": ("00040", "매수 주문이 완료되었습니다."),  # [D] the CSPAT00601 example
}
MODIFIED_MSG = "정정주문이 완료되었습니다."
MORE_ACCOUNT_ROWS = ("00133", "조회가 계속 됩니다.")
"""An account query's answer when more pages follow [I: the fact sheet's 00133]."""
T1717_ROWS = 50
"""Rows one t1717 answer holds at most: the newest of the period asked, with no
continuation (`tr_cont` N, no cursor), as the real one answers a long period."""
HANG_UP = 0
"""`handle`'s status for "close the connection without answering"."""
HTML_502 = b"<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>"


class _Quiet(ThreadingHTTPServer):
    """Silent when a client hangs up first (the timeout test does that on purpose)."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@dataclass
class Seen:
    """One TR request as the server received it."""

    tr_cd: str
    at: float
    headers: dict[str, str]
    body: dict[str, Any] | None


@dataclass
class _Paging:
    """How a TR pages: rows newest-last, the cursor fields, and what the cursor means."""

    array: str
    key: str | tuple[str, str]
    cursors: tuple[str, ...]
    next_unserved: bool  # cursor = newest row not yet served (t8410/t8412) or oldest served
    newest_first: bool  # rows within a page


_ACCOUNT_CURSORS = {"t0425": ("cts_ordno",)}
"""Body cursors of the account TRs; CSPAQ12300 continues by `tr_cont_key` alone."""

_PAGING = {
    "t8410": _Paging("t8410OutBlock1", "date", ("cts_date",), True, False),
    "t8412": _Paging("t8412OutBlock1", ("date", "time"), ("cts_date", "cts_time"), True, False),
    "t1305": _Paging("t1305OutBlock1", "date", ("date",), False, True),
    "t1921": _Paging("t1921OutBlock1", "mmdate", ("date",), False, True),
    "t1927": _Paging("t1927OutBlock1", "date", ("date",), False, True),
}


@dataclass
class LsTestServer:
    """The programmable LS stand-in; start it with `serve()`."""

    corporate: bool = False
    reissue_invalidates: bool = True
    lifetime_key: str = "expires_in"
    slow_seconds: float = 2.0
    token_delay: float = 0.0
    paper_key: bool = True
    """Whether the key is a 모의투자 key: account queries then say "모의투자 조회가 완료…"."""
    key_refused_status: int = 401
    """The HTTP status of a refused app key or secret (LS gateways have sent 401 and 403)."""
    """Seconds the token endpoint takes, to widen the window for racing issuers."""
    now: Callable[[], datetime] = lambda: EXCHANGE_NOW
    """The exchange clock for order times (OrdTime, ordtime): the test's, never the wall
    clock (a test that moves stocklab's clock moves or skews this one as it needs)."""
    reference: dict[str, int] = field(default_factory=dict)
    """기준가 by code: orders outside its ±30% band are refused (no check for other codes)."""
    modify_code: str = "00132"
    """CSPAT00701's success code: 00132 or 00131 (futures' codes; stock unconfirmed)."""
    book: dict[int, BookOrder] = field(default_factory=dict)
    """Today's orders by number, as t0425 reports them."""
    samples: dict[str, dict[str, Any]] = field(init=False)
    """The published examples by TR, loaded at start; a test may edit its copy."""
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Rows a TR serves instead of its sample's (newest last), e.g. from `daily_rows`."""
    page_size: dict[str, int] = field(default_factory=dict)
    uncontinued: set[str] = field(default_factory=set)
    """Paged TRs whose answer stops after one page without a continuation key (`tr_cont`
    N, blank cursor) even when more rows are left, so the client must ask again."""
    credentials: dict[str, str] = field(default_factory=lambda: {APPKEY: APPSECRET})
    issued: list[str] = field(default_factory=list)
    requests: list[Seen] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    excess: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.samples = {
            tr: _load(SAMPLE_FILES.get(tr, tr)) for tr in (*TRS, *ORDER_TRS, *ACCOUNT_TRS)
        }
        self._account = _Account.from_samples(self.samples)
        self._next_ordno = int(
            self.samples["CSPAT00601"]["response"]["body"]["CSPAT00601OutBlock2"]["OrdNo"]
        )
        self._lock = threading.Lock()
        self._valid: dict[str, str] = {}  # token → appkey
        self._failures: dict[str, list[tuple[str, int | None]]] = {}
        self._continuations: dict[str, tuple[str, dict[str, Any]]] = {}
        self._times: dict[str, list[float]] = {}
        self._httpd: ThreadingHTTPServer | None = None

    # -- programming --------------------------------------------------------------

    def fail(self, tr_cd: str, kind: str, times: int | None = 1) -> None:
        """Answer the next `times` requests of `tr_cd` (every one if None) with `kind`."""
        if kind not in {*FAILURES, "malformed", "wrong_shape", "html_502", "slow", "drop", "stuck"}:
            raise ValueError(kind)
        with self._lock:
            self._failures.setdefault(tr_cd, []).append((kind, times))

    def expire_tokens(self) -> None:
        """Every token issued so far stops working (as at 07:00 KST)."""
        with self._lock:
            self._valid.clear()

    @property
    def base_url(self) -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def seen(self, tr_cd: str) -> list[Seen]:
        with self._lock:
            return [r for r in self.requests if r.tr_cd == tr_cd]

    # -- the checks tests rely on ---------------------------------------------------

    def rate_violations(self) -> list[str]:
        """Every one-second window that held more requests of a TR than its limit."""
        limits = CORPORATE_LIMITS if self.corporate else LIMITS
        found = []
        with self._lock:
            times = {tr: sorted(ts) for tr, ts in self._times.items()}
        for tr, stamps in times.items():
            first = 0
            for last, t in enumerate(stamps):
                while t - stamps[first] >= 1.0:
                    first += 1
                if last - first + 1 > limits[tr]:
                    found.append(
                        f"{tr}: {last - first + 1} requests within {t - stamps[first]:.3f}s "
                        f"(limit {limits[tr]}/s)"
                    )
        return found

    def check(self) -> None:
        assert not self.problems, "LS protocol problems:\n" + "\n".join(self.problems)
        violations = self.rate_violations()
        assert not violations, "LS rate limit exceeded:\n" + "\n".join(violations)

    # -- lifecycle ------------------------------------------------------------------

    def start(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self._answer("POST")

            def do_GET(self) -> None:
                self._answer("GET")

            def _answer(self, method: str) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, extra, payload = server.handle(method, self.path, headers, raw)
                if status == HANG_UP:
                    self.close_connection = True
                    return
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = _Quiet(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    # -- requests -------------------------------------------------------------------

    def handle(
        self, method: str, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        if path == "/oauth2/token":
            return self._token(method, headers, raw)
        now = monotonic()
        tr_cd = headers.get("tr_cd", "")
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        with self._lock:
            self.requests.append(Seen(tr_cd, now, headers, body))
        problem = self._protocol_problem(method, path, headers, body)
        if problem:
            with self._lock:
                self.problems.append(f"{tr_cd or path}: {problem}")
            return _json(400, {"rsp_cd": "TEST0", "rsp_msg": problem})
        assert isinstance(body, dict)
        token = headers["authorization"].removeprefix("Bearer ")
        with self._lock:
            times = self._times.setdefault(tr_cd, [])
            times.append(now)
            if token not in self._valid:
                return _json(*FAILURES["expired_token"])
            limit = (CORPORATE_LIMITS if self.corporate else LIMITS)[tr_cd]
            if sum(1 for t in times if now - t < 1.0) > limit:
                self.excess.append(f"{tr_cd} at {now:.3f}")
                return _json(*FAILURES["rate_limited"])
            kind = self._next_failure(tr_cd)
        if kind in FAILURES:
            return _json(*FAILURES[kind])
        if kind == "html_502":
            return 502, {"content-type": "text/html"}, HTML_502
        in_block = body[_in_block_name(tr_cd)]
        answer, more = self._answer(tr_cd, in_block, headers["tr_cont_key"])
        if kind == "slow":  # late, but carried out: an order is in the book all the same
            time.sleep(self.slow_seconds)
        if kind == "drop":
            return HANG_UP, {}, b""
        if kind == "malformed":
            text = json.dumps(answer, ensure_ascii=False).encode()
            return 200, {"content-type": JSON_TYPE, "tr_cd": tr_cd}, text[: len(text) // 2]
        if kind == "wrong_shape":
            answer = {**answer, **_broken(tr_cd)}
        if kind == "stuck":
            more = {name: in_block[name] for name in _cursors(tr_cd)}
        status, extra, payload = _json(200, answer)
        extra["tr_cd"] = tr_cd
        extra["tr_cont"] = "Y" if more is not None else "N"
        extra["tr_cont_key"] = ""
        if more is not None:
            with self._lock:
                key = f"{tr_cd}{len(self._continuations) + 1:013d}"
                key = f"{tr_cd}STUCK" if kind == "stuck" else key
                self._continuations[key] = (tr_cd, more)
            extra["tr_cont_key"] = key
        return status, extra, payload

    def _next_failure(self, tr_cd: str) -> str | None:
        queue = self._failures.get(tr_cd, [])
        if not queue:
            return None
        kind, times = queue[0]
        if times is not None:
            if times <= 1:
                queue.pop(0)
            else:
                queue[0] = (kind, times - 1)
        return kind

    def _protocol_problem(
        self, method: str, path: str, headers: dict[str, str], body: Any
    ) -> str | None:
        tr_cd = headers.get("tr_cd", "")
        if method != "POST":
            return f"method {method}, every TR is POST"
        if tr_cd not in self.samples:
            return f"tr_cd header {tr_cd!r} is not a TR this server knows"
        if self.samples[tr_cd]["path"] != path:
            return f"{tr_cd} belongs to {self.samples[tr_cd]['path']}, not {path}"
        if headers.get("content-type", "").lower() != JSON_TYPE:
            return f"content-type {headers.get('content-type')!r}, expected {JSON_TYPE!r}"
        if not headers.get("authorization", "").startswith("Bearer "):
            return "authorization header must be 'Bearer <token>'"
        if headers.get("tr_cont") not in ("Y", "N") or "tr_cont_key" not in headers:
            return "tr_cont (Y/N) and tr_cont_key headers are required"
        mac = headers.get("mac_address")
        if self.corporate != (mac is not None):
            return f"mac_address is for corporate accounts only (got {mac!r})"
        if mac is not None and (len(mac) != 12 or not all(c in "0123456789ABCDEF" for c in mac)):
            return f"mac_address {mac!r} must be 12 hex digits"
        if tr_cd in (*ORDER_TRS, *ACCOUNT_TRS):
            problem = _order_body_problem(tr_cd, self.samples[tr_cd], body)
            if problem:
                return problem
            return self._continuation_problem(tr_cd, headers, body[_in_block_name(tr_cd)])
        if not isinstance(body, dict) or not isinstance(body.get(f"{tr_cd}InBlock"), dict):
            return f'body must be {{"{tr_cd}InBlock": {{...}}}}'
        in_block = body[f"{tr_cd}InBlock"]
        example = self.samples[tr_cd]["request"]["body"][f"{tr_cd}InBlock"]
        for name, value in example.items():
            if name not in in_block:
                return f"{tr_cd}InBlock lacks {name}"
            if type(in_block[name]) is not type(value):
                return f"{tr_cd}InBlock.{name} is {in_block[name]!r}, the example sends {value!r}"
        return self._continuation_problem(tr_cd, headers, in_block)

    def _continuation_problem(
        self, tr_cd: str, headers: dict[str, str], in_block: dict[str, Any]
    ) -> str | None:
        cursors = _cursors(tr_cd)
        if headers["tr_cont"] == "N":
            if headers["tr_cont_key"] != "":
                return "tr_cont_key must be empty on a first query"
            if any(str(in_block.get(name, "")).strip() for name in cursors):
                return f"cursors {cursors} must be blank on a first query"
            return None
        with self._lock:
            expected = self._continuations.get(headers["tr_cont_key"])
        if expected is None or expected[0] != tr_cd:
            return f"tr_cont_key {headers['tr_cont_key']!r} was never given for {tr_cd}"
        sent = {name: expected[1][name] for name in cursors}
        wrong = {k: in_block.get(k) for k, v in sent.items() if in_block.get(k) != v}
        return f"cursor {wrong} differs from the out-block's {sent}" if wrong else None

    # -- answers ----------------------------------------------------------------------

    def _answer(
        self, tr_cd: str, in_block: dict[str, Any], cont_key: str
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """The answer body and, when more pages follow, the cursor the next one must send."""
        if tr_cd in (*ORDER_TRS, *ACCOUNT_TRS):
            with self._lock:
                previous = self._continuations.get(cont_key, ("", {}))[1]
                return self._book_answer(tr_cd, in_block, previous)
        answer = copy.deepcopy(self.samples[tr_cd]["response"]["body"])
        code = in_block.get("shcode")
        if tr_cd == "t8436":
            gubun = in_block["gubun"]
            rows = self.rows.get(tr_cd, answer["t8436OutBlock"])
            answer["t8436OutBlock"] = [r for r in rows if gubun == "0" or r["gubun"] == gubun]
            return answer, None
        if tr_cd == "t1101":
            answer["t1101OutBlock"]["shcode"] = code
            return answer, None
        if tr_cd == "t1717":
            rows = self.rows.get(tr_cd, answer["t1717OutBlock"])
            low, high = in_block["fromdt"] or "0", in_block["todt"] or "9"
            chosen = sorted((r for r in rows if low <= r["date"] <= high), key=lambda r: r["date"])
            newest = chosen[::-1][: self.page_size.get(tr_cd, T1717_ROWS)]
            answer["t1717OutBlock"] = newest  # newest first, the rest of the period dropped
            return answer, None
        return self._page(tr_cd, in_block, answer)

    def _page(
        self, tr_cd: str, in_block: dict[str, Any], answer: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        paging = _PAGING[tr_cd]
        rows = self.rows.get(tr_cd, answer[paging.array])

        def key(row: dict[str, Any]) -> str:
            names = paging.key if isinstance(paging.key, tuple) else (paging.key,)
            return "".join(str(row[n]) for n in names)

        low, high, size = "", "99999999999999", self.page_size.get(tr_cd, 20)
        if tr_cd in ("t8410", "t8412"):
            qrycnt = in_block["qrycnt"]
            if not 1 <= qrycnt <= 500:
                self.problems.append(f"{tr_cd}: qrycnt {qrycnt} outside 1..500")
            size = min(qrycnt, self.page_size.get(tr_cd, 500))
            low = in_block["sdate"].strip()
            edate = in_block["edate"].strip()
            if edate and edate != "99999999":
                high = edate + "999999"
        if tr_cd == "t1305":
            size = min(in_block["cnt"], self.page_size.get(tr_cd, 500))
        if tr_cd == "t1927":
            low, high = in_block["sdate"], in_block["edate"] + "999999"
        cursor = "".join(str(in_block[n]).strip() for n in paging.cursors)
        eligible = sorted((r for r in rows if low <= key(r) <= high), key=key)
        if cursor and paging.next_unserved:
            eligible = [r for r in eligible if key(r) <= cursor]
        elif cursor:
            eligible = [r for r in eligible if key(r) < cursor]
        page, rest = eligible[-size:], eligible[:-size]
        out_name = f"{tr_cd}OutBlock"
        out = answer[out_name]
        if paging.next_unserved:
            mark = key(rest[-1]) if rest else ""
        else:
            mark = key(page[0]) if page else ""
        if tr_cd in self.uncontinued:
            mark, rest = "", []
        values = _split(mark, paging.cursors)
        out.update(values)
        if "shcode" in out:
            out["shcode"] = in_block["shcode"]
        for counter in ("rec_count", "cnt"):
            if counter in out:
                out[counter] = len(page)
        answer[paging.array] = page[::-1] if paging.newest_first else page
        return answer, values if rest else None

    # -- the order book: programming ----------------------------------------------------

    def fill(self, ordno: int, qty: int, price: int | None = None) -> None:
        """The exchange fills `qty` more shares of an open order, at its limit by default."""
        with self._lock:
            order = self.book[ordno]
            price = order.price if price is None else price
            if not 0 < qty <= order.ordrem or price <= 0:
                raise ValueError(f"order {ordno} has {order.ordrem} open, not {qty} @ {price}")
            worse = price > order.price if order.side == "2" else price < order.price
            if order.hogagb == "00" and worse:
                raise ValueError(f"order {ordno} is limited to {order.price}, not {price}")
            order.ordrem -= qty
            order.cheqty += qty
            order.cheamt += qty * price
            order.status = "체결" if order.ordrem else "완료"
            self._account.filled(order, qty, price)

    def late_fill(self, ordno: int, qty: int, price: int) -> None:
        """A fill the exchange reports after the order was cancelled (it executed before
        the cancel landed): `qty` more filled, nothing reopened."""
        with self._lock:
            order = self.book[ordno]
            order.cheqty += qty
            order.cheamt += qty * price
            self._account.filled(order, qty, price)

    def reject(self, ordno: int) -> None:
        """The exchange refuses an order LS had taken: status 거부, nothing left open."""
        with self._lock:
            order = self.book[ordno]
            order.ordrem = 0
            order.status = "거부"

    def add_sample_orders(self) -> None:
        """Put the t0425 example's rows into the book, as orders placed before the test."""
        with self._lock:
            for row in self.samples["t0425"]["response"]["body"]["t0425OutBlock1"]:
                order = BookOrder.from_row(row)
                self.book[order.ordno] = order

    # -- the order book: answers ----------------------------------------------------------

    def _book_answer(
        self, tr_cd: str, in_block: dict[str, Any], previous: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """Order and account TRs (under the lock); `previous` is a continuation's state."""
        if tr_cd == "t0425":
            return self._orders_page(in_block)
        if tr_cd == "CSPAQ12300":
            return self._holdings_page(in_block, previous.get("after", ""))
        if tr_cd == "CSPAQ12200":
            return self._cash(in_block), None
        answer = {
            "CSPAT00601": self._place,
            "CSPAT00701": self._modify,
            "CSPAT00801": self._cancel,
        }[tr_cd](in_block)
        return answer, None

    def _place(self, in_block: dict[str, Any]) -> dict[str, Any]:
        code, side, kind, qty = (
            in_block["IsuNo"][1:],
            in_block["BnsTpCode"],
            in_block["OrdprcPtnCode"],
            in_block["OrdQty"],
        )
        refusal = self._price_refusal(code, kind, in_block["OrdPrc"])
        price = int(in_block["OrdPrc"])
        refusal = refusal or self._balance_refusal(code, side, kind, qty, price)
        if refusal:
            return self._refused("CSPAT00601", in_block, refusal)
        order = self._take(code, side, kind, qty, price)
        answer = self._sample_answer("CSPAT00601", in_block)
        answer["CSPAT00601OutBlock2"].update(
            OrdNo=order.ordno,
            SpareOrdNo=order.ordno,
            OrdTime=self._ord_time(),
            OrdPtnCode=f"0{side}",
            ShtnIsuNo=f"A{code}",
            OrdAmt=qty * price,
            MnyOrdAmt=qty * price if side == "2" else 0,
            IsuNm=self._names.get(code, ""),
        )
        answer["rsp_cd"], answer["rsp_msg"] = ACCEPTED[side]
        return answer

    def _modify(self, in_block: dict[str, Any]) -> dict[str, Any]:
        original = self._original(in_block)
        kind = in_block["OrdprcPtnCode"]
        if isinstance(original, str):
            return self._refused("CSPAT00701", in_block, original)
        refusal = self._price_refusal(original.code, kind, in_block["OrdPrc"])
        if refusal:
            return self._refused("CSPAT00701", in_block, refusal)
        qty, price = in_block["OrdQty"], int(in_block["OrdPrc"])
        original.ordrem -= qty
        order = self._take(original.code, original.side, kind, qty, price, "정정확인", original)
        answer = self._sample_answer("CSPAT00701", in_block)
        answer["CSPAT00701OutBlock2"].update(self._changed(order, qty * price))
        answer["rsp_cd"], answer["rsp_msg"] = self.modify_code, MODIFIED_MSG
        return answer

    def _cancel(self, in_block: dict[str, Any]) -> dict[str, Any]:
        original = self._original(in_block)
        if isinstance(original, str):
            return self._refused("CSPAT00801", in_block, original)
        qty = in_block["OrdQty"]
        original.ordrem -= qty
        order = self._take(
            original.code, original.side, original.hogagb, qty, original.price, "취소확인", original
        )
        answer = self._sample_answer("CSPAT00801", in_block)
        answer["CSPAT00801OutBlock2"].update(self._changed(order, 0))
        return answer

    def _original(self, in_block: dict[str, Any]) -> BookOrder | str:
        """The open order a modify or cancel names, or the refusal (a `REJECTS` key)."""
        original = self.book.get(in_block["OrgOrdNo"])
        if original is None or original.code != in_block["IsuNo"][1:]:
            return "unknown_order"
        if in_block["OrdQty"] > original.ordrem:
            return "over_open"
        return original

    def _take(
        self,
        code: str,
        side: str,
        kind: str,
        qty: int,
        price: int,
        status: str = "접수",
        original: BookOrder | None = None,
    ) -> BookOrder:
        """Book an accepted order under the next order number."""
        at = self.now().astimezone(KST)
        order = BookOrder(
            ordno=self._next_ordno,
            orgordno=original.ordno if original else 0,
            code=code,
            side=side,
            hogagb=kind,
            qty=qty,
            price=price,
            ordtime=f"{at:%H%M%S}{at.microsecond // 10_000:02d}",
            ordrem=0 if status == "취소확인" else qty,
            status=status,
            cfmqty=qty if original else 0,
        )
        self.book[order.ordno] = order
        self._next_ordno += 1
        return order

    def _changed(self, order: BookOrder, amount: int) -> dict[str, Any]:
        """OutBlock2 of an accepted modify or cancel: the new number and its parent."""
        return {
            "OrdNo": order.ordno,
            "PrntOrdNo": order.orgordno,
            "OrdTime": self._ord_time(),
            "OrdMktCode": "10",
            "OrdPtnCode": f"0{order.side}",
            "ShtnIsuNo": f"A{order.code}",
            "BnsTpCode": order.side,
            "MgntrnCode": "000",
            "OrdAmt": amount,
            "MnyOrdAmt": amount if order.side == "2" else 0,
            "IsuNm": self._names.get(order.code, ""),
        }

    def _ord_time(self) -> str:
        """`OrdTime`: HHMMSSmmm on the exchange clock."""
        at = self.now().astimezone(KST)
        return f"{at:%H%M%S}{at.microsecond // 1000:03d}"

    def _price_refusal(self, code: str, kind: str, raw: int | float) -> str | None:
        """Why the exchange would refuse this price: off the tick grid or the day's band."""
        if kind == "03":
            return None
        price = Decimal(str(raw))
        if price != price.to_integral_value() or not is_valid_price(int(price)):
            return "tick"
        reference = self.reference.get(code)
        if reference is not None:
            band = price_limits(reference)
            if price < band.lower:
                return "below_lower"
            if price > band.upper:
                return "above_upper"
        return None

    def _balance_refusal(self, code: str, side: str, kind: str, qty: int, price: int) -> str | None:
        """매도가능수량 for a sell; 주문가능금액 for a buy (a market buy at the upper limit)."""
        if side == "1":
            return "sell_short" if qty > self._sellable(code) else None
        if kind == "03":
            reference = self.reference.get(code)
            price = price_limits(reference).upper if reference else 0
        return "no_money" if qty * price > self._orderable() else None

    def _open_sells(self, code: str) -> int:
        return sum(
            o.ordrem for o in self.book.values() if o.side == "1" and o.code == code and o.ordrem
        )

    def _sellable(self, code: str) -> int:
        position = self._account.positions.get(code)
        return (position.qty if position else 0) - self._open_sells(code)

    def _orderable(self) -> int:
        """Cash a new buy may use: what is left once open buy orders are set aside."""
        reserved = 0
        for order in self.book.values():
            if order.side != "2" or not order.ordrem:
                continue
            price = order.price
            if order.hogagb == "03":
                reference = self.reference.get(order.code)
                price = price_limits(reference).upper if reference else 0
            reserved += order.ordrem * price
        return self._account.orderable - reserved

    def _sample_answer(self, tr_cd: str, in_block: dict[str, Any]) -> dict[str, Any]:
        """The published answer with `OutBlock1` echoing this request."""
        answer = copy.deepcopy(self.samples[tr_cd]["response"]["body"])
        if not self.paper_key and "rsp_msg" in answer:  # a real key's answer: no 모의투자
            answer["rsp_msg"] = str(answer["rsp_msg"]).replace("모의투자 ", "")
        echo = answer[f"{tr_cd}OutBlock1"]
        for name, value in in_block.items():
            if name in echo:
                echo[name] = f"{Decimal(str(value)):.2f}" if name == "OrdPrc" else value
        return answer

    def _refused(self, tr_cd: str, in_block: dict[str, Any], reason: str) -> dict[str, Any]:
        """A refusal as the CSPAT00701 example shows one: code, message, zero-filled OutBlock2."""
        answer = self._sample_answer(tr_cd, in_block)
        out = answer[f"{tr_cd}OutBlock2"]
        answer[f"{tr_cd}OutBlock2"] = {
            name: 1 if name == "RecCnt" else 0 if isinstance(value, int) else ""
            for name, value in out.items()
        }
        answer["rsp_cd"], answer["rsp_msg"] = REJECTS[reason]
        return answer

    def _orders_page(
        self, in_block: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """t0425: the book filtered, sorted by order number, paged by `cts_ordno`."""
        code, chegb, medosu = in_block["expcode"].strip(), in_block["chegb"], in_block["medosu"]
        chosen = [
            o
            for o in self.book.values()
            if (not code or o.code == code)
            and (medosu == "0" or o.side == medosu)
            and (chegb == "0" or (chegb == "1" and o.cheqty) or (chegb == "2" and o.ordrem))
        ]
        descending = in_block["sortgb"] == "1"
        chosen.sort(key=lambda o: o.ordno, reverse=descending)
        cursor = in_block["cts_ordno"].strip()
        unserved = [
            o
            for o in chosen
            if not cursor or (o.ordno < int(cursor) if descending else o.ordno > int(cursor))
        ]
        size = self.page_size.get("t0425", 20)
        page, rest = unserved[:size], unserved[size:]
        answer = copy.deepcopy(self.samples["t0425"]["response"]["body"])
        template = answer["t0425OutBlock1"][0]
        answer["t0425OutBlock1"] = [o.row(template) for o in page]
        sold = sum(o.cheamt for o in chosen if o.side == "1")
        bought = sum(o.cheamt for o in chosen if o.side == "2")
        out = answer["t0425OutBlock"]
        out.update(
            tqty=sum(o.qty for o in chosen),
            tcheqty=sum(o.cheqty for o in chosen),
            tordrem=sum(o.ordrem for o in chosen),
            tamt=sold + bought,
            tmdamt=sold,
            tmsamt=bought,
            cts_ordno=str(page[-1].ordno) if rest else "",
        )
        return answer, {"cts_ordno": out["cts_ordno"]} if rest else None

    def _cash(self, in_block: dict[str, Any]) -> dict[str, Any]:
        """CSPAQ12200: the example's account, moved by today's fills and open buys."""
        answer = self._sample_answer("CSPAQ12200", in_block)
        answer["CSPAQ12200OutBlock2"].update(
            Dps=self._account.deposit,
            D2Dps=self._account.d2,
            MnyOrdAbleAmt=self._orderable(),
        )
        return answer

    def _holdings_page(
        self, in_block: dict[str, Any], after: str
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """CSPAQ12300: a row per code held or traded today, by code, paged by key alone."""
        answer = self._sample_answer("CSPAQ12300", in_block)
        template = answer["CSPAQ12300OutBlock3"][0]
        codes = sorted(code for code in self._account.positions if code > after)
        size = self.page_size.get("CSPAQ12300", 20)
        page, rest = codes[:size], codes[size:]
        answer["CSPAQ12300OutBlock3"] = [
            self._account.positions[code].row(template, code, self._open_sells(code))
            for code in page
        ]
        if not rest:
            return answer, None
        answer["rsp_cd"], answer["rsp_msg"] = MORE_ACCOUNT_ROWS
        return answer, {"after": page[-1]}

    @property
    def _names(self) -> dict[str, str]:
        """Issue names the samples know, by code."""
        body = self.samples["CSPAT00601"]["response"]["body"]["CSPAT00601OutBlock2"]
        rows = self.samples["CSPAQ12300"]["response"]["body"]["CSPAQ12300OutBlock3"]
        names = {body["ShtnIsuNo"][1:]: body["IsuNm"]}
        names.update((row["IsuNo"][1:], row["IsuNm"]) for row in rows)
        return names

    # -- token ----------------------------------------------------------------------

    def _token(
        self, method: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        if method != "POST" or not headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            self.problems.append("token: must be a form-encoded POST")
            return _json(400, {"rsp_cd": "TEST0", "rsp_msg": "form POST expected"})
        if form.get("grant_type") != "client_credentials" or form.get("scope") != "oob":
            self.problems.append(f"token: grant_type/scope wrong: {sorted(form)}")
            return _json(400, {"rsp_cd": "TEST0", "rsp_msg": "grant_type/scope"})
        appkey = form.get("appkey", "")
        if appkey not in self.credentials:
            return _json(
                self.key_refused_status,
                {"rsp_cd": "IGW00103", "rsp_msg": "유효하지 않은 AppKey입니다."},
            )
        if form.get("appsecretkey") != self.credentials[appkey]:
            return _json(
                self.key_refused_status,
                {"rsp_cd": "IGW00105", "rsp_msg": "유효하지 않은 AppSecret입니다."},
            )
        answer = copy.deepcopy(_TOKEN["response"]["body"])
        time.sleep(self.token_delay)
        with self._lock:
            token = answer["access_token"]
            if self.issued:
                token = f"{token}-{len(self.issued) + 1}"
            self.issued.append(token)
            if self.reissue_invalidates:
                self._valid = {t: k for t, k in self._valid.items() if k != appkey}
            self._valid[token] = appkey
        answer["access_token"] = token
        answer[self.lifetime_key] = answer.pop("expires_in")
        return _json(200, answer)


def _json(status: int, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    return status, {"content-type": JSON_TYPE}, json.dumps(body, ensure_ascii=False).encode()


def _split(mark: str, cursors: tuple[str, ...]) -> dict[str, str]:
    if len(cursors) == 2:  # t8412: date + time
        return {cursors[0]: mark[:8], cursors[1]: mark[8:]}
    return {cursors[0]: mark}


def _broken(tr_cd: str) -> dict[str, Any]:
    """A data block in the wrong shape: a string where the rows (or the quote) belong."""
    if tr_cd in ("t8436", "t1717", "t1101"):
        name = f"{tr_cd}OutBlock"
    elif tr_cd == "CSPAQ12300":
        name = f"{tr_cd}OutBlock3"
    elif tr_cd.startswith("CSPA"):
        name = f"{tr_cd}OutBlock2"
    else:
        name = f"{tr_cd}OutBlock1"
    return {name: "해당자료가 없습니다"}


# -- the order book -------------------------------------------------------------------


@dataclass
class BookOrder:
    """One of today's orders as the stand-in keeps it; t0425 shows it as one row.

    Status words [I]: 접수 (taken), 체결 (partly filled), 완료 (filled), 거부 (refused),
    and on the rows of modify and cancel orders 정정확인 / 취소확인 (words third-party
    clients read from the real t0425). A modify or cancel takes its quantity off the
    original's `ordrem`.
    """

    ordno: int
    orgordno: int
    code: str
    side: str  # BnsTpCode: 1 sell, 2 buy
    hogagb: str  # OrdprcPtnCode: 00 limit, 03 market
    qty: int
    price: int
    ordtime: str  # HHMMSS and hundredths, as the example's "08410730"
    ordrem: int
    status: str
    cheqty: int = 0
    cheamt: int = 0
    """KRW filled so far, for the average price."""
    cfmqty: int = 0

    @property
    def cheprice(self) -> int:
        """The average fill price, rounded half up to the won [I: t0425 sends whole won]."""
        return (2 * self.cheamt + self.cheqty) // (2 * self.cheqty) if self.cheqty else 0

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> BookOrder:
        return cls(
            ordno=row["ordno"],
            orgordno=row["orgordno"],
            code=row["expcode"],
            side="2" if row["medosu"] == "매수" else "1",
            hogagb=row["hogagb"],
            qty=row["qty"],
            price=row["price"],
            ordtime=row["ordtime"],
            ordrem=row["ordrem"],
            status=row["status"],
            cheqty=row["cheqty"],
            cheamt=row["cheqty"] * row["cheprice"],
            cfmqty=row["cfmqty"],
        )

    def row(self, template: dict[str, Any]) -> dict[str, Any]:
        """This order as a t0425OutBlock1 row shaped like the example's."""
        return {
            **template,
            "ordno": self.ordno,
            "orgordno": self.orgordno,
            "expcode": self.code,
            "medosu": "매수" if self.side == "2" else "매도",
            "qty": self.qty,
            "price": self.price,
            "cheqty": self.cheqty,
            "cheprice": self.cheprice,
            "ordrem": self.ordrem,
            "cfmqty": self.cfmqty,
            "status": self.status,
            "ordgb": "보통" if self.hogagb == "00" else "시장가",
            "hogagb": self.hogagb,
            "ordtime": self.ordtime,
        }


@dataclass
class _Position:
    name: str
    settled: int  # BalQty: held before today
    bought: int  # CrdayBuyExecQty
    sold: int  # CrdaySellExecQty
    bought_amt: int
    sold_amt: int
    cost: Decimal  # the shares held at their average price
    now: Decimal  # the last price seen (NowPrc)

    @property
    def qty(self) -> int:
        """BnsBaseBalQty: today's buys included, today's sells taken off."""
        return self.settled + self.bought - self.sold

    def row(self, template: dict[str, Any], code: str, open_sells: int) -> dict[str, Any]:
        """This holding as a CSPAQ12300OutBlock3 row shaped like the example's."""
        cents = Decimal("0.01")
        average = self.cost / self.qty if self.qty else Decimal(0)
        cost = int(self.cost.to_integral_value(ROUND_HALF_UP))
        value = int((self.qty * self.now).to_integral_value(ROUND_HALF_UP))
        return {
            **template,
            "IsuNo": f"A{code}",
            "IsuNm": self.name,
            "BalQty": self.settled,
            "BnsBaseBalQty": self.qty,
            "CrdayBuyExecQty": self.bought,
            "CrdaySellExecQty": self.sold,
            "CrdayBuyExecAmt": self.bought_amt,
            "CrdaySellExecAmt": self.sold_amt,
            "BuyUnsttQty": self.bought,
            "SellUnsttQty": self.sold,
            "UnsttQty": self.bought + self.sold,
            "SellAbleQty": self.qty - open_sells,
            "SellOrdQty": open_sells,
            "AvrUprc": str(average.quantize(cents, ROUND_HALF_UP)),
            "PchsAmt": cost,
            "NowPrc": str(self.now.quantize(cents, ROUND_HALF_UP)),
            "BalEvalAmt": value,
            "EvalPnl": value - cost,
        }


@dataclass
class _Account:
    """Cash and holdings: the CSPAQ12200/12300 examples' account plus today's fills.

    Dps waits for settlement (T+2); D2Dps and the orderable cash move at the fill, and
    a sale's proceeds may buy again the same day.
    """

    deposit: int  # Dps
    d2: int  # D2Dps
    orderable: int  # MnyOrdAbleAmt before open buy orders are set aside
    positions: dict[str, _Position]

    @classmethod
    def from_samples(cls, samples: dict[str, dict[str, Any]]) -> _Account:
        cash = samples["CSPAQ12200"]["response"]["body"]["CSPAQ12200OutBlock2"]
        rows = samples["CSPAQ12300"]["response"]["body"]["CSPAQ12300OutBlock3"]
        positions = {
            row["IsuNo"][1:]: _Position(
                name=row["IsuNm"],
                settled=row["BalQty"],
                bought=row["CrdayBuyExecQty"],
                sold=row["CrdaySellExecQty"],
                bought_amt=row["CrdayBuyExecAmt"],
                sold_amt=row["CrdaySellExecAmt"],
                cost=row["BnsBaseBalQty"] * Decimal(row["AvrUprc"]),
                now=Decimal(row["NowPrc"]),
            )
            for row in rows
        }
        return cls(cash["Dps"], cash["D2Dps"], cash["MnyOrdAbleAmt"], positions)

    def filled(self, order: BookOrder, qty: int, price: int) -> None:
        amount = qty * price
        position = self.positions.setdefault(
            order.code, _Position("", 0, 0, 0, 0, 0, Decimal(0), Decimal(price))
        )
        position.now = Decimal(price)
        if order.side == "2":
            self.d2 -= amount
            self.orderable -= amount
            position.bought += qty
            position.bought_amt += amount
            position.cost += amount
        else:
            self.d2 += amount
            self.orderable += amount
            position.cost -= position.cost * qty / position.qty
            position.sold += qty
            position.sold_amt += amount


# -- validating order and account requests --------------------------------------------

_CHOICES: dict[str, set[Any]] = {
    "BnsTpCode": {"1", "2"},
    "OrdprcPtnCode": {"00", "03"},  # the stand-in takes limit and market orders
    "MgntrnCode": {"000"},
    "LoanDt": {""},
    "OrdCndiTpCode": {"0", "1", "2"},
    "MbrNo": {"KRX", "NXT"},
    "chegb": {"0", "1", "2"},
    "medosu": {"0", "1", "2"},
    "sortgb": {"1", "2"},
    "RecCnt": {1},
    "BalCreTp": {"0", "1", "9"},
    "CmsnAppTpCode": {"0", "1"},
    "D2balBaseQryTp": {"0", "1"},
    "UprcTpCode": {"0", "1"},
}
"""The documented values of the coded in-block fields."""
_NUMBERS = {"OrdPrc"}
"""N13.2 fields: a JSON number either way (the examples send 35000 and 8350.0)."""


def _order_body_problem(tr_cd: str, sample: dict[str, Any], body: Any) -> str | None:
    """What is wrong with an order or account TR's body: exactly the example's fields,
    of its types, with documented values."""
    name = _in_block_name(tr_cd)
    if not isinstance(body, dict) or set(body) != {name} or not isinstance(body[name], dict):
        return f'body must be {{"{name}": {{...}}}} and nothing else'
    in_block, example = body[name], sample["request"]["body"][name]
    if set(in_block) != set(example):
        return f"{name} has fields {sorted(in_block)}, the documented ones are {sorted(example)}"
    for key, value in in_block.items():
        if key in _NUMBERS:
            typed = isinstance(value, int | float) and not isinstance(value, bool)
        else:
            typed = type(value) is type(example[key])
        if not typed:
            return f"{name}.{key} is {value!r}, the example sends {example[key]!r}"
        if key in _CHOICES and value not in _CHOICES[key]:
            return f"{name}.{key} {value!r} is not one of {sorted(_CHOICES[key])}"
    return _value_problem(name, in_block)


def _value_problem(name: str, in_block: dict[str, Any]) -> str | None:
    issue = in_block.get("IsuNo")
    if issue is not None and not (issue[:1] == "A" and _is_code(issue[1:])):
        return f"{name}.IsuNo {issue!r} must be 'A' + a KRX short code (모의투자 requires it)"
    for key in ("OrdQty", "OrgOrdNo"):
        if key in in_block and in_block[key] <= 0:
            return f"{name}.{key} {in_block[key]!r} must be positive"
    if "OrdPrc" in in_block:
        price, kind = in_block["OrdPrc"], in_block["OrdprcPtnCode"]
        if kind == "03" and price != 0:
            return f"{name}: a market order (03) carries OrdPrc 0, not {price!r}"
        if kind == "00" and price <= 0:
            return f"{name}: a limit order (00) needs OrdPrc > 0"
    code = in_block.get("expcode", "").strip()
    if code and not _is_code(code):
        return f"{name}.expcode {code!r} must be blank or a KRX short code"
    return None


def _is_code(value: str) -> bool:
    try:
        check_code(value)
    except ValueError:
        return False
    return True


def _in_block_name(tr_cd: str) -> str:
    """Account and order TRs (CSPAT*, CSPAQ*) take InBlock1; t-TRs take InBlock."""
    return f"{tr_cd}InBlock1" if tr_cd.startswith("CSPA") else f"{tr_cd}InBlock"


def _cursors(tr_cd: str) -> tuple[str, ...]:
    paging = _PAGING.get(tr_cd)
    return paging.cursors if paging else _ACCOUNT_CURSORS.get(tr_cd, ())


@contextmanager
def serve(**options: Any) -> Iterator[LsTestServer]:
    """A running server; on a clean exit, the protocol and rate-limit checks must pass."""
    server = LsTestServer(**options)
    server.start()
    try:
        yield server
    finally:
        server.stop()
    server.check()


@pytest.fixture(name="ls_server")
def ls_server_fixture() -> Iterator[LsTestServer]:
    """`ls_server`: a running LS stand-in; the test fails if a request broke the protocol
    or a limit. Import it into a test module to use it."""
    with serve() as server:
        yield server


def ls_client(
    server: LsTestServer,
    home: Path,
    *,
    appkey: str = APPKEY,
    appsecret: str = APPSECRET,
    **options: Any,
) -> LsClient:
    """A client of `server`, by default with the published example's keys and on the
    server's clock."""
    options.setdefault("now", server.now)
    return LsClient(
        appkey=appkey, appsecret=appsecret, home=home, base_url=server.base_url, **options
    )


def ls_source(
    server: LsTestServer, home: Path, now: Callable[[], datetime] | None = None, **options: Any
) -> LsMarketData:
    """`LsMarketData` on `server`, with its clock `now` (the client's token clock too;
    the server's clock by default)."""
    now = now or server.now
    return LsMarketData(ls_client(server, home, now=now, **options), now=now)


def ls_broker(
    server: LsTestServer,
    home: Path,
    *,
    paper: bool = True,
    now: Callable[[], datetime] | None = None,
    **options: Any,
) -> LsBroker:
    """`LsBroker` on `server` (a paper key by default), with its clock `now` (the
    server's clock by default)."""
    now = now or server.now
    return LsBroker(ls_client(server, home, now=now, **options), paper=paper, now=now)


# -- rows in the samples' exact shape, for multi-page answers -------------------------


def daily_rows(days: Iterable[date], tr_cd: str = "t8410") -> list[dict[str, Any]]:
    """One t8410 (or t1305) row per day, shaped like the sample's; prices vary by day."""
    template = _load(tr_cd)["response"]["body"][f"{tr_cd}OutBlock1"][0]
    found = []
    for i, day in enumerate(days):
        row = dict(template)
        base = 4000 + 5 * i
        row.update(date=f"{day:%Y%m%d}", open=base, high=base + 50, low=base - 25, close=base + 10)
        row["jdiff_vol" if tr_cd == "t8410" else "volume"] = 1000 + i
        row["value"] = 4 + i
        found.append(row)
    return found


def investor_rows(days: Iterable[date]) -> list[dict[str, Any]]:
    """One t1717 row per day, shaped like the sample's; the net buying varies by day
    (individuals buy what foreigners sell)."""
    template = _load("t1717")["response"]["body"]["t1717OutBlock"][0]
    found = []
    for i, day in enumerate(days):
        row = dict(template)
        row.update(date=f"{day:%Y%m%d}", close=3600 + i, volume=300_000 + i)
        row.update(tjj0008_vol=100 + i, tjj0016_vol=-(100 + i))
        found.append(row)
    return found


def minute_rows(day: date, count: int, first_end: str = "090100") -> list[dict[str, Any]]:
    """`count` t8412 rows of one day, labelled by their end time from `first_end` on."""
    template = _load("t8412")["response"]["body"]["t8412OutBlock1"][0]
    start = datetime.combine(day, datetime.strptime(first_end, "%H%M%S").time())
    found = []
    for i in range(count):
        row = dict(template)
        base = 4400 + i
        end = start + timedelta(minutes=i)
        row.update(
            date=f"{day:%Y%m%d}",
            time=f"{end:%H%M%S}",
            open=base,
            high=base + 5,
            low=base - 5,
            close=base + 1,
            jdiff_vol=100 + i,
            value=i % 3,
        )
        found.append(row)
    return found
