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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from stocklab.agent.ls import LsClient, LsMarketData
from stocklab.agent.ratelimit import monotonic
from stocklab.model import now_kst
from tests.support.paths import SHARED

SAMPLES = SHARED / "ref" / "ls-samples"
TRS = ("t8436", "t8410", "t8412", "t1305", "t1101", "t1717", "t1921", "t1927")


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
}
"""Personal per-second limits, fact sheet section 1.6."""
CORPORATE_LIMITS = {**dict.fromkeys(LIMITS, 3), "t8436": 5, "t1101": 5}

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
`slow_seconds`) and `stuck` (says more follows, pointing at the page just served)."""
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
    """Seconds the token endpoint takes, to widen the window for racing issuers."""
    samples: dict[str, dict[str, Any]] = field(init=False)
    """The published examples by TR, loaded at start; a test may edit its copy."""
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Rows a TR serves instead of its sample's (newest last), e.g. from `daily_rows`."""
    page_size: dict[str, int] = field(default_factory=dict)
    credentials: dict[str, str] = field(default_factory=lambda: {APPKEY: APPSECRET})
    issued: list[str] = field(default_factory=list)
    requests: list[Seen] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    excess: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.samples = {tr: _load(tr) for tr in TRS}
        self._lock = threading.Lock()
        self._valid: dict[str, str] = {}  # token → appkey
        self._failures: dict[str, list[tuple[str, int | None]]] = {}
        self._continuations: dict[str, tuple[str, dict[str, Any]]] = {}
        self._times: dict[str, list[float]] = {}
        self._httpd: ThreadingHTTPServer | None = None

    # -- programming --------------------------------------------------------------

    def fail(self, tr_cd: str, kind: str, times: int | None = 1) -> None:
        """Answer the next `times` requests of `tr_cd` (every one if None) with `kind`."""
        if kind not in {*FAILURES, "malformed", "wrong_shape", "html_502", "slow", "stuck"}:
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
        if kind == "slow":
            time.sleep(self.slow_seconds)
        in_block = body[f"{tr_cd}InBlock"]
        answer, more = self._answer(tr_cd, in_block)
        if kind == "malformed":
            text = json.dumps(answer, ensure_ascii=False).encode()
            return 200, {"content-type": JSON_TYPE, "tr_cd": tr_cd}, text[: len(text) // 2]
        if kind == "wrong_shape":
            answer = {**answer, **_broken(tr_cd)}
        if kind == "stuck":
            cursors = _PAGING[tr_cd].cursors
            more = {name: in_block[name] for name in cursors}
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
        paging = _PAGING.get(tr_cd)
        cursors = paging.cursors if paging else ()
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
        wrong = {k: in_block.get(k) for k, v in expected[1].items() if in_block.get(k) != v}
        return f"cursor {wrong} differs from the out-block's {expected[1]}" if wrong else None

    # -- answers ----------------------------------------------------------------------

    def _answer(
        self, tr_cd: str, in_block: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """The answer body and, when more pages follow, the cursor the next one must send."""
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
            answer["t1717OutBlock"] = [r for r in rows if low <= r["date"] <= high]
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
        values = _split(mark, paging.cursors)
        out.update(values)
        if "shcode" in out:
            out["shcode"] = in_block["shcode"]
        for counter in ("rec_count", "cnt"):
            if counter in out:
                out[counter] = len(page)
        answer[paging.array] = page[::-1] if paging.newest_first else page
        return answer, values if rest else None

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
            return _json(401, {"rsp_cd": "IGW00103", "rsp_msg": "유효하지 않은 AppKey입니다."})
        if form.get("appsecretkey") != self.credentials[appkey]:
            return _json(401, {"rsp_cd": "IGW00105", "rsp_msg": "유효하지 않은 AppSecret입니다."})
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
    name = f"{tr_cd}OutBlock" if tr_cd in ("t8436", "t1717", "t1101") else f"{tr_cd}OutBlock1"
    return {name: "해당자료가 없습니다"}


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
    """A client of `server`, by default with the published example's keys."""
    return LsClient(
        appkey=appkey, appsecret=appsecret, home=home, base_url=server.base_url, **options
    )


def ls_source(
    server: LsTestServer, home: Path, now: Callable[[], datetime] = now_kst, **options: Any
) -> LsMarketData:
    """`LsMarketData` on `server`, with its clock `now` (the client's token clock too)."""
    return LsMarketData(ls_client(server, home, now=now, **options), now=now)


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
