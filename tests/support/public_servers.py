"""Stand-ins for data.go.kr and Naver Finance: real HTTP servers on 127.0.0.1.

They answer in the formats ../shared/ref/public-data.md documents (§1, §4.1, §4.3, §5),
quirks included, so the adapters are tested over real sockets with real bytes:

- `FakeDataGoKr`: the FSC JSON envelope with string values, body counters as numbers,
  `numOfRows`/`pageNo` paging against `totalCount`, `"items": ""` for no rows and a lone
  row as an object; `basDt`/`beginBasDt`/`endBasDt` (exclusive)/`likeSrtnCd` filters.
  Like the real gateway it checks `serviceKey` and answers code 30 in XML when the key is
  missing, wrong or double-encoded. `reply` makes it answer a documented error instead.
- `FakeNaver`: `sise_day.naver` pages in EUC-KR with a misleading `<meta charset=utf-8>`,
  the page-not-found page without a browser User-Agent, and the fchart XML with leading
  blank lines, `|||||` rows, suspension rows and `<protocol />` for unknown symbols.

Prices come from sample A (data.go.kr) and sample C (Naver chart) where the fact sheet has
them; the rest are synthetic values in the documented shapes, marked as such.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Self
from urllib.parse import parse_qsl, quote, unquote_plus, urlsplit

import pytest

from stocklab.krx import trading_days


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    content_type: str


@dataclass(frozen=True)
class Seen:
    """One request as the server saw it; `params` are decoded, without `serviceKey`."""

    path: str
    query: str
    params: dict[str, str]
    headers: dict[str, str]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # keep-alive handler threads must not hold up close()


class LoopbackServer:
    """A threaded HTTP server on a free loopback port; subclasses implement `handle`."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.delay = 0.0  # seconds to wait before answering (for timeouts)
        self._server = _Server(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def handle(self, seen: Seen) -> Reply:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(owner: LoopbackServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            params = {
                k: v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "serviceKey"
            }
            headers = {k.lower(): v for k, v in self.headers.items()}
            seen = Seen(parts.path, parts.query, params, headers)
            owner.seen.append(seen)
            if owner.delay:
                time.sleep(owner.delay)
            reply = owner.handle(seen)
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


# == data.go.kr =======================================================================

SERVICE_PATH = "/1160100/service"
PRICE_PATH = f"{SERVICE_PATH}/GetStockSecuritiesInfoService/getStockPriceInfo"
LISTING_PATH = f"{SERVICE_PATH}/GetKrxListedInfoService/getItemInfo"

DECODING_KEY = "stocklab+Test/Key/for+the+loopback/gateway+0123456789ABCDEFabcdef=="
"""A portal-style Decoding key: base64 with `+`, `/` and `=` that must be encoded once."""
ENCODING_KEY = quote(DECODING_KEY, safe="")
"""The same key as the portal's Encoding key."""

SAMPLE_A = {
    # The guide's documented example (fact sheet §5 A), as the JSON form's strings.
    "basDt": "20220919",
    "srtnCd": "900110",
    "isinCd": "HK0000057197",
    "itmsNm": "이스트아시아홀딩스",
    "mrktCtg": "KOSDAQ",
    "clpr": "167",
    "vs": "-8",
    "fltRt": "-4.57",
    "mkp": "173",
    "hipr": "176",
    "lopr": "167",
    "trqu": "2788311",
    "trPrc": "475708047",
    "lstgStCnt": "219932050",
    "mrktTotAmt": "36728652350",
}
SAMSUNG_0919 = {
    # The guide's field-table sample values, with the thousands separators and padding
    # one 2026 test reports. hipr/lopr are synthetic (the guide shows only mkp).
    "basDt": "20220919",
    "srtnCd": "005930",
    "isinCd": "KR7005930003",
    "itmsNm": "삼성전자",
    "mrktCtg": "KOSPI",
    "clpr": " 57,600 ",
    "vs": "-900",
    "fltRt": "-1.54",
    "mkp": "59,000",
    "hipr": "59,100",
    "lopr": "57,500",
    "trqu": "23,334,687",
    "trPrc": "1,360,076,149,300",
    "lstgStCnt": "5,969,782,550",
    "mrktTotAmt": "343,859,474,880,000",
}
QUIRK_ROWS = [
    # Synthetic rows, one documented quirk each (fact sheet §1 "Parsing quirks").
    {
        **SAMPLE_A,
        "srtnCd": "000660",
        "isinCd": "KR7000660001",
        "itmsNm": "SK하이닉스",
        "mrktCtg": "KOSPI",
        "clpr": "91,000",
        "vs": "100",
        "fltRt": ".11",
        "mkp": "90,500",
        "hipr": "91,500",
        "lopr": "90,000",
        "trqu": "41,250",
        "trPrc": "3,753,750,000",
    },
    {
        **SAMPLE_A,
        "srtnCd": "0126Z0",
        "isinCd": "KR70126Z0001",
        "itmsNm": "영숫자코드",
        "mrktCtg": "KOSPI",
        "vs": "N/A",
        "fltRt": "N/A",
    },
    {
        **SAMPLE_A,
        "srtnCd": "278990",
        "isinCd": "KR7278990001",
        "itmsNm": "코넥스종목",
        "mrktCtg": "KONEX",
        "trPrc": "-",
        "lstgStCnt": "",
    },
    {k: v for k, v in SAMPLE_A.items() if k not in ("trPrc", "mrktTotAmt")}
    | {"srtnCd": "950200", "isinCd": "KR7950200001", "itmsNm": "필드없음"},
]
HALTED_ROW = {
    **SAMPLE_A,
    "srtnCd": "950210",
    "isinCd": "KR7950210000",
    "itmsNm": "거래정지",
    "mkp": "0",
    "hipr": "0",
    "lopr": "0",
    "trqu": "0",
    "trPrc": "0",
    "vs": "0",
    "fltRt": "0",
}
FOREIGN_ROWS = [
    {**SAMPLE_A, "srtnCd": "12345", "itmsNm": "코드이상"},  # not a KRX short code
    {**SAMPLE_A, "srtnCd": "950220", "itmsNm": "시장없음", "mrktCtg": ""},
]
MARKET_DAY = "20220919"
MARKET_DAY_ROWS = 2_345
"""Rows on MARKET_DAY, about a real full market (2,400–2,900): three pages at 1,000."""
MARKET_DAY_BARS = MARKET_DAY_ROWS - 1 - len(FOREIGN_ROWS)
"""Bars the adapter should make of them: all but the halted row and the foreign rows."""
SAMSUNG_DAYS = trading_days(date(2022, 9, 13), date(2022, 9, 23))


def _filler(n: int) -> list[dict[str, str]]:
    """Synthetic rows in the documented shape to fill a market day."""
    markets = ("KOSPI", "KOSDAQ", "KONEX")
    rows = []
    for i in range(n):
        close = 1_000 + i * 37 % 90_000
        open_ = close + (i % 7 - 3) * 5
        volume = 1_000 + i * 13
        rows.append(
            {
                "basDt": MARKET_DAY,
                "srtnCd": f"{200_000 + i:06d}",
                "isinCd": f"KR7{200_000 + i:06d}00{i % 10}",
                "itmsNm": f"합성종목{i}",
                "mrktCtg": markets[i % 3],
                "clpr": str(close),
                "vs": str(close - open_),
                "fltRt": "0.50",
                "mkp": str(open_),
                "hipr": str(max(open_, close) + 10),
                "lopr": str(min(open_, close) - 10),
                "trqu": str(volume),
                "trPrc": str(close * volume),
                "lstgStCnt": "10000000",
                "mrktTotAmt": str(close * 10_000_000),
            }
        )
    return rows


def _samsung_history() -> list[dict[str, str]]:
    """005930 around MARKET_DAY (synthetic except the 19th, which is SAMSUNG_0919)."""
    rows = []
    for i, day in enumerate(SAMSUNG_DAYS):
        if day == date(2022, 9, 19):
            continue
        close = 56_000 + i * 300
        rows.append(
            {
                **SAMSUNG_0919,
                "basDt": f"{day:%Y%m%d}",
                "clpr": str(close),
                "mkp": str(close - 200),
                "hipr": str(close + 400),
                "lopr": str(close - 500),
                "trqu": str(10_000_000 + i),
            }
        )
    return rows


def price_items() -> list[dict[str, str]]:
    special = [SAMPLE_A, SAMSUNG_0919, *QUIRK_ROWS, HALTED_ROW, *FOREIGN_ROWS]
    return [*special, *_filler(MARKET_DAY_ROWS - len(special)), *_samsung_history()]


def _listing(bas_dt: str, code: str, name: str, market: str, crno: str) -> dict[str, str]:
    return {
        "basDt": bas_dt,
        "srtnCd": f"A{code}",
        "isinCd": f"KR7{code}003",
        "mrktCtg": market,
        "itmsNm": name,
        "crno": crno,
        "corpNm": f"{name}(주)",
    }


def listing_items() -> list[dict[str, str]]:
    """getItemInfo rows for 2022-09-16 and 2022-09-19; codes carry the `A` prefix seen live.

    451230 is listed from the 19th only, so a test can tell which day was asked for.
    """
    rows = []
    for bas_dt in ("20220916", "20220919"):
        rows += [
            _listing(bas_dt, "005930", "삼성전자", "KOSPI", "1301110006246"),
            _listing(bas_dt, "900110", "이스트아시아홀딩스", "KOSDAQ", ""),  # foreign: no crno
            _listing(bas_dt, "0126Z0", "영숫자코드", "KOSPI", "1101110000001"),
            _listing(bas_dt, "278990", "코넥스종목", "KONEX", "1101110000002"),
            _listing(bas_dt, "1234", "코드이상", "KOSPI", "1101110000003"),
        ]
    rows.append(_listing("20220919", "451230", "신규상장", "KOSDAQ", "1101110000004"))
    return rows


def gateway_error(code: str, name: str, *, status: int = 200) -> Reply:
    """The gateway's XML error, sent even to `resultType=json`."""
    body = (
        "<OpenAPI_ServiceResponse><cmmMsgHeader><errMsg>SERVICE ERROR</errMsg>"
        f"<returnAuthMsg>{name}</returnAuthMsg><returnReasonCode>{code}</returnReasonCode>"
        "</cmmMsgHeader></OpenAPI_ServiceResponse>"
    )
    return Reply(status, body.encode(), "text/xml;charset=UTF-8")


def gateway_error_json(code: str, name: str, *, status: int) -> Reply:
    """The same error JSON-wrapped, as some gateways send it with 401/403."""
    header = {"errMsg": "SERVICE ERROR", "returnAuthMsg": name, "returnReasonCode": code}
    body = json.dumps({"OpenAPI_ServiceResponse": {"cmmMsgHeader": header}})
    return Reply(status, body.encode(), "application/json;charset=UTF-8")


def envelope_error(code: str, message: str) -> Reply:
    """An error inside the normal envelope (e.g. the quota, code 22)."""
    body = {"response": {"header": {"resultCode": code, "resultMsg": message}, "body": {}}}
    return Reply(200, json.dumps(body).encode(), "application/json;charset=UTF-8")


UNEXPECTED_ERRORS = Reply(500, b"Unexpected errors", "text/plain;charset=UTF-8")
SERVICE_TIMEOUT = gateway_error("05", "SERVICETIMEOUT_ERROR", status=504)
MALFORMED_JSON = Reply(
    200, b'{"response":{"header":{"resultCode":"00","resultMsg":"NOR', "application/json"
)


def _envelope(rows: list[dict[str, str]], size: int, page: int, total: int) -> dict[str, Any]:
    items: Any = "" if not rows else {"item": rows[0] if len(rows) == 1 else rows}
    header = {"resultCode": "00", "resultMsg": "NORMAL SERVICE."}
    body = {"numOfRows": size, "pageNo": page, "totalCount": total, "items": items}
    return {"response": {"header": header, "body": body}}


def _raw_param(query: str, name: str) -> str | None:
    for part in query.split("&"):
        key, _, value = part.partition("=")
        if key == name:
            return value
    return None


class FakeDataGoKr(LoopbackServer):
    """data.go.kr's FSC services. Mutate `prices`/`listings` or set `reply` in a test."""

    def __init__(self) -> None:
        super().__init__()
        self.prices = price_items()
        self.listings = listing_items()
        self.page_cap: int | None = None  # serve at most this many rows a page
        self.ignore_like_code = False  # like the ignored `srtnCd`: return every code
        self.reply: Reply | None = None  # answer with this after `reply_after` requests
        self.reply_after = 0

    @property
    def base_url(self) -> str:
        return self.url + SERVICE_PATH

    def handle(self, seen: Seen) -> Reply:
        key = _raw_param(seen.query, "serviceKey")
        if key is None or "%25" in key or unquote_plus(key) != DECODING_KEY:
            return gateway_error("30", "SERVICE_KEY_IS_NOT_REGISTERED_ERROR")
        if self.reply is not None and len(self.seen) > self.reply_after:
            return self.reply
        if seen.path == PRICE_PATH:
            rows = [r for r in self.prices if self._matches(r, seen.params)]
        elif seen.path == LISTING_PATH:
            rows = [r for r in self.listings if self._matches(r, seen.params)]
        else:
            return gateway_error("12", "NO_OPENAPI_SERVICE_ERROR")
        return self._page(rows, seen.params)

    def _matches(self, row: dict[str, str], params: dict[str, str]) -> bool:
        day = row["basDt"]
        if "basDt" in params and day != params["basDt"]:
            return False
        if "beginBasDt" in params and day < params["beginBasDt"]:
            return False
        if "endBasDt" in params and day >= params["endBasDt"]:  # exclusive, as documented
            return False
        like = params.get("likeSrtnCd")
        return self.ignore_like_code or like is None or like in row["srtnCd"]

    def _page(self, rows: list[dict[str, str]], params: dict[str, str]) -> Reply:
        try:
            size, page = int(params.get("numOfRows", "10")), int(params.get("pageNo", "1"))
        except ValueError:
            return envelope_error("10", "INVALID_REQUEST_PARAMETER_ERROR")
        size = min(size, self.page_cap or size)
        chunk = rows[(page - 1) * size : page * size]
        if params.get("resultType") != "json":  # XML is the documented default
            body = (
                "<response><header><resultCode>00</resultCode><resultMsg>NORMAL SERVICE."
                f"</resultMsg></header><body><totalCount>{len(rows)}</totalCount></body>"
                "</response>"
            )
            return Reply(200, body.encode(), "text/xml;charset=UTF-8")
        data = _envelope(chunk, size, page, len(rows))
        body_bytes = json.dumps(data, ensure_ascii=False).encode()
        return Reply(200, body_bytes, "application/json;charset=UTF-8")


@pytest.fixture(name="datagokr")
def datagokr_fixture() -> Iterator[FakeDataGoKr]:
    with FakeDataGoKr() as server:
        yield server


# == Naver ============================================================================

NAVER_TODAY = date(2026, 1, 23)
"""Sample C's last bar, captured mid-session; the tests' clock stands on this day."""
SAMPLE_C_FIRST = "20180802|46550|46800|45500|45550|8560924"
SAMPLE_C_LAST = "20260123|154700|156000|150100|152100|25195543"
SUSPENDED_DAY = date(2026, 1, 14)  # 005930 and 0126Z0 show a suspension row here
BAD_ROW_DAY = date(2026, 1, 20)  # 900110's row with a high below its close
NAMES = {
    "005930": "삼성전자",
    "035720": "카카오",
    "0126Z0": "똠얌홀딩스",  # 똠 exists in CP949 only, not in EUC-KR's 2,350 syllables
    "900110": "이스트아시아홀딩스",
}


@dataclass(frozen=True)
class NaverDay:
    day: date
    open: int
    high: int
    low: int
    close: int
    volume: int


def _walk(days: list[date], first_close: int) -> list[NaverDay]:
    """Synthetic bars: up, down, unchanged in turn, so every 전일비 label shows up."""
    bars, close = [], first_close
    for i, day in enumerate(days):
        step = (0, 150, -100, 250, -200, 0, 100)[i % 7] if i else 0
        close, open_ = close + step, close + (50 if i % 2 else -50)
        bars.append(
            NaverDay(day, open_, max(open_, close) + 300, min(open_, close) - 300, close, 10**6 + i)
        )
    return bars


def _parse_sample(data: str) -> NaverDay:
    day, *numbers = data.split("|")
    o, h, lo, c, v = map(int, numbers)
    return NaverDay(date(int(day[:4]), int(day[4:6]), int(day[6:])), o, h, lo, c, v)


def _suspend(bars: list[NaverDay], day: date) -> list[NaverDay]:
    """A suspension day: Naver shows the last close and zeros (`0|0|0|close|0`)."""
    out = []
    for bar in bars:
        if bar.day == day:
            bar = NaverDay(day, 0, 0, 0, out[-1].close, 0)
        out.append(bar)
    return out


def _history(code: str) -> list[NaverDay]:
    if code == "005930":  # sample C's span: its first and last rows, synthetic between
        days = trading_days(date(2018, 8, 2), NAVER_TODAY)
        bars = _walk(days[1:-1], 46_000)
        bars = [_parse_sample(SAMPLE_C_FIRST), *bars, _parse_sample(SAMPLE_C_LAST)]
        return _suspend(bars, SUSPENDED_DAY)
    if code == "035720":  # 12 pages: the navigation has a 맨뒤 (pgRR) link
        return _walk(trading_days(date(2025, 8, 1), NAVER_TODAY)[-115:], 50_000)
    if code == "0126Z0":  # 3 pages: no pgRR link
        return _suspend(
            _walk(trading_days(date(2025, 12, 1), NAVER_TODAY)[-25:], 9_000), SUSPENDED_DAY
        )
    if code == "900110":
        bars = _walk(trading_days(date(2026, 1, 1), NAVER_TODAY)[-12:], 17_000)
        return [
            NaverDay(b.day, b.open, b.close - 1, b.low, b.close, b.volume)
            if b.day == BAD_ROW_DAY
            else b
            for b in bars
        ]
    return []


def naver_history(code: str) -> list[NaverDay]:
    """What the fake serves for `code`, oldest first (suspension rows included)."""
    return _history(code)


NOT_FOUND_PAGE = (
    '<html><head><meta charset="utf-8"><title>네이버 금융</title></head><body>'
    '<div class="error_content"><p>페이지를 찾을 수 없습니다.</p></div></body></html>'
)
_UP_ICON = "https://ssl.pstatic.net/imgstock/images/images4/ico_up.gif"
_DOWN_ICON = "https://ssl.pstatic.net/imgstock/images/images4/ico_down.gif"


SIGN_STYLES = 5


def _change_cell(change: int, style: int) -> str:
    """전일비 in one of SIGN_STYLES markups.

    Style 0 is the current page (icon class, blind label and colour together); the others
    carry one kind of sign signal each, so every way of reading the sign is tested alone.
    """
    text = f"{abs(change):,}"
    if change == 0:  # 보합: no label at all
        return f'<span class="tah p11">{text}</span>'
    up = change > 0
    em, color = ("bu_pup", "red02") if up else ("bu_pdn", "nv01")
    if style == 0:
        label = "상승" if up else "하락"
        return (
            f'<em class="bu_p {em}"><span class="blind">{label}</span></em>'
            f'<span class="tah p11 {color}">\n\t\t\t\t{text}\n\t\t\t\t</span>'
        )
    if style == 1:  # a limit move, labelled by its blind text only
        label = "상한가" if up else "하한가"
        return (
            f'<em class="bu_p"><span class="blind">{label}</span></em>'
            f'<span class="tah p11">{text}</span>'
        )
    if style == 2:  # older pages: an icon with alt text
        icon, alt = (_UP_ICON, "상승") if up else (_DOWN_ICON, "하락")
        return (
            f'<img src="{icon}" width="7" height="6" style="margin-right:4px;" alt="{alt}">'
            f'<span class="tah p11">{text}</span>'
        )
    if style == 3:  # the icon class alone
        return f'<em class="bu_p {em}"></em><span class="tah p11">{text}</span>'
    return f'<span class="tah p11 {color}">{text}</span>'  # the colour alone


def _sise_row(bar: NaverDay, change: int, style: int) -> str:
    num = '<td class="num"><span class="tah p11">{:,}</span></td>'
    return (
        '<tr onmouseover="mouseOver(this)" onmouseout="mouseOut(this)">\n'
        f'<td align="center"><span class="tah p10 gray03">{bar.day:%Y.%m.%d}</span></td>\n'
        + num.format(bar.close)
        + f'\n<td class="num">{_change_cell(change, style)}</td>\n'
        + "\n".join(num.format(v) for v in (bar.open, bar.high, bar.low, bar.volume))
        + "\n</tr>\n"
    )


def _navi(code: str, page: int, last: int) -> str:
    """`table.Nnavi`: ten page links, 이전/다음, and 맨앞/맨뒤 when there are more than ten."""
    href = f"/item/sise_day.naver?code={code}&amp;page={{}}"
    first = (page - 1) // 10 * 10 + 1
    cells = []
    if last > 10 and page > 10:
        cells.append(f'<td class="pgLL"><a href="{href.format(1)}">맨앞</a></td>')
        cells.append(f'<td class="pgL"><a href="{href.format(first - 1)}">이전</a></td>')
    for n in range(first, min(first + 9, last) + 1):
        on = ' class="on"' if n == page else ""
        cells.append(f'<td{on}><a href="{href.format(n)}">{n}</a></td>')
    if first + 10 <= last:
        cells.append(f'<td class="pgR"><a href="{href.format(first + 10)}">다음</a></td>')
    if last > 10:
        cells.append(f'<td class="pgRR"><a href="{href.format(last)}">맨뒤</a></td>')
    return '<table summary="페이지 네비게이션 리스트" class="Nnavi" align="center"><tr>' + (
        "".join(cells) + "</tr></table>"
    )


def sise_day_html(code: str, page: int) -> str:
    """One 일별시세 page as Naver lays it out: newest first, ten rows, spacers after five."""
    bars = _history(code)
    changes = {b.day: b.close - (bars[i - 1].close if i else b.close) for i, b in enumerate(bars)}
    newest = bars[::-1]
    last = max(1, -(-len(newest) // 10))
    rows = []
    for i, bar in enumerate(newest[(page - 1) * 10 : page * 10]):
        rows.append(_sise_row(bar, changes[bar.day], bars.index(bar) % SIGN_STYLES))
        if i % 5 == 4:
            rows.append('<tr><td colspan="7" height="8"></td></tr>\n')
    header = "".join(
        f"<th>{h}</th>" for h in ("날짜", "종가", "전일비", "시가", "고가", "저가", "거래량")
    )
    return (
        '<html lang="ko"><head><meta charset="utf-8"><title>네이버 금융</title></head><body>\n'
        '<table cellspacing="0" class="type2">\n'
        f"<tr>{header}</tr>\n"
        '<tr><td colspan="7" height="8"></td></tr>\n'
        + "".join(rows)
        + "</table>\n"
        + _navi(code, page, last)
        + "\n</body></html>\n"
    )


def chart_xml(code: str, count: int) -> bytes:
    """fchart's XML: blank lines, then EUC-KR (CP949 in fact) with the last `count` rows."""
    bars = _history(code)
    declaration = '<?xml version="1.0" encoding="EUC-KR" ?>\n'
    if not bars:
        return ("\n\n" + declaration + "<protocol />\n").encode("cp949")
    data = [f"{b.day:%Y%m%d}|{b.open}|{b.high}|{b.low}|{b.close}|{b.volume}" for b in bars]
    holiday = next(i for i, b in enumerate(bars) if b.day.year == NAVER_TODAY.year)
    data.insert(holiday, "|||||")  # a blank row where the new year's holiday was
    tail = data[-count:]
    items = "".join(f'    <item data="{d}" />\n' for d in tail)
    body = (
        "<protocol>\n"
        f'  <chartdata symbol="{code}" name="{NAMES[code]}" count="{len(tail)}" '
        'timeframe="day" precision="0" origintime="19900103">\n'
        f"{items}  </chartdata>\n</protocol>\n"
    )
    return ("\n\n\n" + declaration + body).encode("cp949")


class FakeNaver(LoopbackServer):
    """finance.naver.com's sise_day and fchart.stock.naver.com's sise.nhn on one port."""

    CHART_CONTENT_TYPE: ClassVar[str] = "text/xml"  # no charset: the declaration decides

    def __init__(self) -> None:
        super().__init__()
        self.sise_reply: Reply | None = None  # answer sise_day with this instead
        self.chart_reply: Reply | None = None

    def handle(self, seen: Seen) -> Reply:
        if seen.path == "/item/sise_day.naver":
            return self._sise_day(seen)
        if seen.path == "/sise.nhn":
            return self._chart(seen)
        return Reply(404, NOT_FOUND_PAGE.encode("euc-kr"), "text/html;charset=EUC-KR")

    def _sise_day(self, seen: Seen) -> Reply:
        if not seen.headers.get("user-agent", "").startswith("Mozilla/"):
            return Reply(200, NOT_FOUND_PAGE.encode("euc-kr"), "text/html;charset=EUC-KR")
        if self.sise_reply is not None:
            return self.sise_reply
        html = sise_day_html(seen.params.get("code", ""), int(seen.params.get("page", "1")))
        return Reply(200, html.encode("euc-kr"), "text/html;charset=EUC-KR")

    def _chart(self, seen: Seen) -> Reply:
        if self.chart_reply is not None:
            return self.chart_reply
        p = seen.params
        if p.get("timeframe") != "day" or p.get("requestType") != "0":
            return Reply(400, b"", "text/plain")
        if not p.get("count", "").isdigit() or int(p["count"]) < 1:
            return Reply(400, b"", "text/plain")
        return Reply(200, chart_xml(p.get("symbol", ""), int(p["count"])), self.CHART_CONTENT_TYPE)


@pytest.fixture(name="naver")
def naver_fixture() -> Iterator[FakeNaver]:
    with FakeNaver() as server:
        yield server
