"""금융위원회 public data on data.go.kr: the whole market's daily prices, and the listing.

Two FSC services on 공공데이터포털 (../shared/ref/public-data.md §1):
`GetStockSecuritiesInfoService/getStockPriceInfo` gives one row per stock and trading day
for all of KOSPI, KOSDAQ and KONEX, and `GetKrxListedInfoService/getItemInfo` the listed
codes. Both lag: a trading day's rows appear after 13:00 KST on the next business day.

The portal is loose about its formats, so every value is read defensively: numbers come
as strings, sometimes with commas, `"-"`, `"N/A"` or a dropped leading zero (`".11"`); an
empty day is `"items": ""`; a single row comes as an object instead of a list; and the
gateway reports key and quota problems in XML even to a JSON request, often with HTTP 200.
Every failure becomes a typed error whose hint says what to do. The service key never
appears in an error, a log line or a repr: it is added to the URL below httpx's client.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote, unquote

import httpx
from lxml import etree

from stocklab.agent.base import (
    AuthError,
    BadResponse,
    RateLimited,
    SourceError,
    SourceUnavailable,
    not_supported,
)
from stocklab.agent.http import Pacer, get
from stocklab.barseries import NO_VALUE, BarSeries, BarValidationError
from stocklab.krx import next_trading_day, previous_trading_day
from stocklab.krx.checks import check_date
from stocklab.model import (
    KST,
    Flow,
    Instrument,
    Market,
    Quote,
    Timeframe,
    check_code,
    daily_ts,
    now_kst,
)

SOURCE = "datagokr"
PRICE_PATH = "GetStockSecuritiesInfoService/getStockPriceInfo"
LISTING_PATH = "GetKrxListedInfoService/getItemInfo"
PAGE_ROWS = 1000
"""Rows asked per page: the cap measured on the FSC APIs (the server may return fewer)."""
CALLS_PER_SECOND = 30
"""The guide's limit per key (the runtime passes a limiter every process shares as `pace`)."""
PUBLISHED_AT = time(13, 0)
"""A trading day's rows appear after this time (KST) on the next business day."""
LISTING_LOOKBACK = 5
"""Earlier trading days `instruments()` tries when the newest listing is not out yet."""

logger = logging.getLogger(__name__)

# Result codes from the guide, which the gateway sometimes sends as their names.
_CODE_NAMES = {
    "APPLICATION_ERROR": "1",
    "NODATA_ERROR": "3",
    "HTTP_ERROR": "4",
    "SERVICETIMEOUT_ERROR": "5",
    "INVALID_REQUEST_PARAMETER_ERROR": "10",
    "NO_OPENAPI_SERVICE_ERROR": "12",
    "SERVICE_ACCESS_DENIED_ERROR": "20",
    "LIMITED_NUMBER_OF_SERVICE_REQUESTS_EXCEEDS_ERROR": "22",
    "SERVICE_KEY_IS_NOT_REGISTERED_ERROR": "30",
    "DEADLINE_HAS_EXPIRED_ERROR": "31",
    "UNREGISTERED_IP_ERROR": "32",
    "UNKNOWN_ERROR": "99",
}
_OK = frozenset({"0", "000"})
_NO_DATA = frozenset({"3", "013"})  # 013 is the DART spelling
_QUOTA = frozenset({"22", "020"})  # 020 is the DART spelling
_UNAVAILABLE = frozenset({"4", "5"})

_KEY_HINT = (
    "STOCKLAB_DATAGOKR_KEY에 공공데이터포털 마이페이지의 일반 인증키"
    "(Encoding 또는 Decoding 키 어느 쪽이든)를 그대로 넣었는지 확인하세요"
)
_AUTH_HINTS = {
    "20": "이 API의 활용신청이 승인되었는지 확인하세요 "
    "(금융위원회_주식시세정보, 금융위원회_KRX상장종목정보 각각 신청해야 합니다)",
    "30": "서비스키가 등록되지 않았습니다: 활용신청 승인 후 포털에 반영되기까지 최대 하루 "
    "걸릴 수 있으니 내일 다시 실행하세요. " + _KEY_HINT,
    "31": "활용기간이 끝났습니다: 공공데이터포털 마이페이지에서 활용기간 연장을 신청하세요",
    "32": "등록되지 않은 IP입니다: 활용신청 정보에 이 컴퓨터의 공인 IP를 등록하거나 "
    "IP 제한을 해제하세요",
}
MISSING_KEY_HINT = (
    "공공데이터포털(data.go.kr)에서 '금융위원회_주식시세정보'와 '금융위원회_KRX상장종목정보'를 "
    "활용신청한 뒤 발급된 인증키를 STOCKLAB_DATAGOKR_KEY에 넣으세요"
)
_QUOTA_HINT = (
    "오늘 호출 한도(개발계정 하루 10,000건)를 다 썼습니다: 내일 다시 실행하거나 "
    "공공데이터포털에서 활용사례를 등록해 트래픽 증설(운영계정)을 신청하세요"
)
_DOWN_HINT = "공공데이터포털이 응답하지 않습니다(점검·장애): 잠시 후 다시 실행하세요"
_GATEWAY_HINT = (
    "공공데이터포털 게이트웨이 오류입니다: 잠시 후 다시 실행하세요. 새로 발급한 키라면 "
    "승인이 반영될 때까지(최대 하루) 기다린 뒤 다시 시도하세요"
)
_BAD_HINT = (
    "공공데이터포털 응답이 문서와 다릅니다: 잠시 후 다시 실행하고, 계속되면 stocklab을 "
    "업데이트하거나 다른 출처(--source naver 또는 ls)를 쓰세요"
)

_ROW_HINT = "포털 자료의 오류입니다: 이 종목·날짜는 다른 출처(--source naver 또는 ls)로 받으세요"

_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)
_MISSING = frozenset({"", "-", "N/A"})
_EMPTY_BODY: Mapping[str, Any] = {"items": "", "totalCount": 0}  # what NODATA stands for


@dataclass(frozen=True, slots=True)
class PriceRow:
    """One `getStockPriceInfo` item, units converted: KRW, shares, percent as Decimal.

    Values the portal left empty (`""`, `"-"`, `"N/A"`, absent) are None. Halted stocks
    are kept here with open/high/low 0; `traded` says whether the row makes a bar.
    """

    day: date
    code: str
    name: str
    isin: str
    market: Market
    close: int | None
    change: int | None  # vs, 전일대비
    change_pct: Decimal | None  # fltRt, 등락률 %
    open: int | None
    high: int | None
    low: int | None
    volume: int | None
    value: int | None  # trPrc, 거래대금 KRW
    listed_shares: int | None
    market_cap: int | None

    @property
    def traded(self) -> bool:
        """True when the row has real prices (a halt day has open/high/low 0)."""
        prices = (self.open, self.high, self.low, self.close)
        return all(p is not None and p > 0 for p in prices) and self.volume is not None


def published_through(now: datetime) -> date:
    """The latest trading day whose rows data.go.kr should have at `now`.

    A day's rows appear after 13:00 KST on the next business day (KRX trading days stand
    in for business days), so at Tuesday 10:00 that is Friday and at 14:00 Monday.
    """
    local = now.astimezone(KST)
    last = previous_trading_day(local.date())
    release = datetime.combine(next_trading_day(last), PUBLISHED_AT, tzinfo=KST)
    return last if local >= release else previous_trading_day(last)


class _ServiceKeyTransport(httpx.BaseTransport):
    """Adds `serviceKey` to the query on the way out, below httpx's client.

    httpx logs each request's URL at INFO and attaches the request to its errors; both
    see the request without the key. The key goes out percent-encoded exactly once.
    """

    def __init__(self, encoded_key: str) -> None:
        self._param = b"serviceKey=" + encoded_key.encode("ascii")
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        query = request.url.query
        url = request.url.copy_with(query=query + b"&" + self._param if query else self._param)
        keyed = httpx.Request(
            request.method, url, headers=request.headers, extensions=request.extensions
        )
        return self._inner.handle_request(keyed)

    def close(self) -> None:
        self._inner.close()


def _encode_key(key: str) -> str:
    """Percent-encode the Decoding key once; an Encoding key (it has `%`) stays as it is."""
    return quote(key, safe="%" if "%" in key else "")


class DataGoKrMarketData:
    """Daily prices and the listing from the FSC services on data.go.kr."""

    name = SOURCE

    def __init__(
        self,
        service_key: str,
        *,
        base_url: str,
        timeout: float = 20.0,
        pace: Callable[[], object] | None = None,
        now: Callable[[], datetime] = now_kst,
    ) -> None:
        key = service_key.strip()
        if not key:
            raise AuthError(
                "공공데이터포털 서비스키가 없습니다", hint=MISSING_KEY_HINT, source=SOURCE
            )
        encoded = _encode_key(key)
        self._secrets = tuple(s for s in {key, encoded, unquote(key)} if s)
        self._base_url = base_url.rstrip("/")
        self._client = httpx.Client(timeout=timeout, transport=_ServiceKeyTransport(encoded))
        self._pace = pace or Pacer(CALLS_PER_SECOND).wait
        self._now = now

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._base_url!r})"

    def last_available_day(self, now: datetime) -> date:
        """Collectors ask no further than this: a day appears at 13:00 the next trading day."""
        return published_through(now)

    def close(self) -> None:
        self._client.close()

    # -- MarketData -----------------------------------------------------------------

    def market_daily(self, day: date) -> BarSeries:
        """Every stock's bar for `day`, sorted by code; empty for a holiday or a day not
        yet published. Halted stocks (open/high/low 0) have no bar."""
        return _bars(self.price_rows(day))

    def daily_bars(self, code: str, start: date, end: date) -> BarSeries:
        """One stock's bars from `start` to `end`, both inclusive."""
        code = check_code(code)
        _check_range(start, end)
        params = {
            "likeSrtnCd": code,  # `srtnCd` is not a parameter: the portal would ignore it
            "beginBasDt": _yyyymmdd(start),
            "endBasDt": _yyyymmdd(end + timedelta(days=1)),  # the portal's end is exclusive
        }
        rows = [r for r in self._rows(params) if r.code == code and start <= r.day <= end]
        return _bars(rows)

    def instruments(self, market: Market | None = None) -> list[Instrument]:
        """The listed codes as of the newest published day (see `published_through`).

        When that day's listing is not out yet (the portal runs late), earlier trading
        days are tried, up to `LISTING_LOOKBACK` of them.
        """
        day = published_through(self._now())
        items = self._fetch(LISTING_PATH, {"basDt": _yyyymmdd(day)})
        for _ in range(LISTING_LOOKBACK):
            if items:
                break
            day = previous_trading_day(day)
            items = self._fetch(LISTING_PATH, {"basDt": _yyyymmdd(day)})
        found: dict[str, Instrument] = {}
        for item in items:
            instrument = _instrument(item)
            if instrument and (market is None or instrument.market == market):
                found.setdefault(instrument.code, instrument)
        logger.info("getItemInfo %s: 종목 %d개", day, len(found))
        return sorted(found.values(), key=lambda i: i.code)

    def minute_bars(self, code: str, day: date) -> BarSeries:
        raise not_supported(SOURCE, "분봉 데이터")

    def quote(self, code: str) -> Quote:
        raise not_supported(SOURCE, "현재가·호가 정보")

    def investor_flows(self, code: str, start: date, end: date) -> list[Flow]:
        raise not_supported(SOURCE, "투자자별 매매동향 자료")

    def credit_balance(self, code: str, start: date, end: date) -> list[Flow]:
        raise not_supported(SOURCE, "신용잔고 자료")

    def short_selling(self, code: str, start: date, end: date) -> list[Flow]:
        raise not_supported(SOURCE, "공매도 자료")

    # -- rows -----------------------------------------------------------------------

    def price_rows(self, day: date) -> list[PriceRow]:
        """Every KOSPI/KOSDAQ/KONEX stock's row for `day`, as reported (halts included)."""
        check_date(day)
        return [r for r in self._rows({"basDt": _yyyymmdd(day)}) if r.day == day]

    def _rows(self, params: Mapping[str, str]) -> list[PriceRow]:
        """Rows of real KRX codes in a known market, once per (code, day)."""
        rows: dict[tuple[str, date], PriceRow] = {}
        for item in self._fetch(PRICE_PATH, params):
            row = _price_row(item)
            if row is not None:
                rows.setdefault((row.code, row.day), row)
        return list(rows.values())

    # -- HTTP -----------------------------------------------------------------------

    def _fetch(self, path: str, params: Mapping[str, str]) -> list[Mapping[str, Any]]:
        """Every item matching `params`, paging until `totalCount` items are in.

        The stride is the page size the server actually returns: portal APIs may cap
        `numOfRows` silently, and asking page 2 of 1,000 would then skip rows.
        """
        operation = path.rsplit("/", 1)[-1]
        items: list[Mapping[str, Any]] = []
        size, page = PAGE_ROWS, 1
        while True:
            body = self._call(path, {**params, "numOfRows": str(size), "pageNo": str(page)})
            batch = _items(body)
            total = _total(body)
            items.extend(batch)
            logger.debug(
                "%s %s 페이지 %d: %d행 (전체 %d)", operation, params, page, len(batch), total
            )
            if len(items) >= total:
                return items
            if page == 1 and batch and len(batch) < size:
                size = len(batch)  # the server's page size; page 1 at this size is done
            elif len(batch) < size:
                raise BadResponse(
                    f"{operation}: 전체 {total:,}행 중 {len(items):,}행만 받았습니다 "
                    f"({page}페이지가 {len(batch)}행)",
                    hint=_BAD_HINT,
                    source=SOURCE,
                )
            page += 1

    def _call(self, path: str, params: Mapping[str, str]) -> Mapping[str, Any]:
        self._pace()
        response = get(
            self._client,
            f"{self._base_url}/{path}",
            params={**params, "resultType": "json"},
            source=SOURCE,
            hint=_DOWN_HINT,
        )
        return self._body(response)

    def _body(self, response: httpx.Response) -> Mapping[str, Any]:
        """The envelope's body, or the typed error the status or the body stands for."""
        status = response.status_code
        reply = _read_reply(response.content)
        if reply is not None and reply.code is not None and reply.code not in _OK:
            if reply.code in _NO_DATA:
                return _EMPTY_BODY
            raise _error(reply.code, self._redact(reply.message), status)
        snippet = self._redact(response.content[:200].decode("utf-8", "replace")).strip()
        if snippet.lower().startswith("unexpected errors"):
            raise SourceUnavailable(
                f"HTTP {status}: Unexpected errors", hint=_GATEWAY_HINT, source=SOURCE
            )
        if status >= 500 or status == 408:
            raise SourceUnavailable(f"HTTP {status}: {snippet}", hint=_DOWN_HINT, source=SOURCE)
        if status in (401, 403):
            raise AuthError(f"HTTP {status}: {snippet}", hint=_AUTH_HINTS["30"], source=SOURCE)
        if status == 429:
            raise RateLimited(f"HTTP 429: {snippet}", hint="잠시 후 다시 실행하세요", source=SOURCE)
        if status >= 400:
            raise BadResponse(f"HTTP {status}: {snippet}", hint=_BAD_HINT, source=SOURCE)
        if reply is None or reply.body is None:
            raise BadResponse(
                f"JSON 응답 봉투(response.header/body)를 읽을 수 없습니다: {snippet!r}",
                hint=_BAD_HINT,
                source=SOURCE,
            )
        return reply.body

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


# -- replies ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Reply:
    code: str | None  # canonical result code; None when the body carries none
    message: str
    body: Mapping[str, Any] | None  # the JSON envelope's body; None for XML


def _read_reply(content: bytes) -> _Reply | None:
    """The result code in any shape the portal answers with; None if the body has none."""
    raw = content.lstrip(b"\xef\xbb\xbf \t\r\n")
    if raw.startswith(b"<"):
        return _read_xml(raw)
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    gateway = data.get("OpenAPI_ServiceResponse")
    if isinstance(gateway, dict):
        header = gateway.get("cmmMsgHeader")
        header = header if isinstance(header, dict) else {}
        message = header.get("returnAuthMsg") or header.get("errMsg") or ""
        return _Reply(_canonical(header.get("returnReasonCode")), str(message), None)
    response = data.get("response")
    if not isinstance(response, dict) or not isinstance(response.get("header"), dict):
        return None
    header, body = response["header"], response.get("body")
    return _Reply(
        _canonical(header.get("resultCode")),
        str(header.get("resultMsg") or ""),
        body if isinstance(body, dict) else {},
    )


def _read_xml(raw: bytes) -> _Reply | None:
    """The gateway's `OpenAPI_ServiceResponse`, or an XML envelope where JSON was asked."""
    try:
        root = etree.fromstring(raw, _XML_PARSER)
    except etree.XMLSyntaxError:
        return None
    if root.tag == "OpenAPI_ServiceResponse":
        message = root.findtext(".//returnAuthMsg") or root.findtext(".//errMsg") or ""
        return _Reply(_canonical(root.findtext(".//returnReasonCode")), message.strip(), None)
    if root.tag == "response":
        message = root.findtext("header/resultMsg") or ""
        return _Reply(_canonical(root.findtext("header/resultCode")), message.strip(), None)
    return None


def _canonical(code: object) -> str | None:
    """`"03"` → `"3"`, a name → its number; DART's three-digit codes stay as they are."""
    if code is None:
        return None
    text = str(code).strip()
    if text.upper() in _CODE_NAMES:
        return _CODE_NAMES[text.upper()]
    if text.isdigit() and len(text) <= 2:
        return str(int(text))
    return text or None


def _error(code: str, message: str, status: int) -> SourceError:
    text = f"공공데이터포털 오류 코드 {code}: {message or '(메시지 없음)'}"
    if code in _AUTH_HINTS:
        return AuthError(text, hint=_AUTH_HINTS[code], source=SOURCE)
    if code in _QUOTA:
        return RateLimited(text, hint=_QUOTA_HINT, source=SOURCE, daily=True)
    if code in _UNAVAILABLE or status >= 500:
        return SourceUnavailable(text, hint=_DOWN_HINT, source=SOURCE)
    return BadResponse(text, hint=_BAD_HINT, source=SOURCE)


def _items(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """`items.item` as a list: `""` (no rows) → [], a single object → [it]."""
    items = body.get("items")
    if items is None or items == "":
        return []
    if not isinstance(items, dict):
        raise BadResponse(f"items가 객체가 아닙니다: {items!r:.80}", hint=_BAD_HINT, source=SOURCE)
    item = items.get("item")
    if item is None or item == "":
        return []
    rows = [item] if isinstance(item, dict) else item
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise BadResponse(
            f"items.item이 객체 목록이 아닙니다: {item!r:.80}", hint=_BAD_HINT, source=SOURCE
        )
    return rows


def _total(body: Mapping[str, Any]) -> int:
    try:
        total = _int(body.get("totalCount"))
    except ValueError:
        total = None
    if total is None:
        raise BadResponse(
            f"totalCount를 읽을 수 없습니다: {body.get('totalCount')!r}",
            hint=_BAD_HINT,
            source=SOURCE,
        )
    return total


# -- values -------------------------------------------------------------------------


def _text(value: object) -> str | None:
    """A cell as text; `""`, `"-"`, `"N/A"` and absent cells are None."""
    if value is None:
        return None
    text = str(value).replace(",", "").strip()
    return None if text.upper() in _MISSING else text


def _decimal(value: object) -> Decimal | None:
    """`"1,234"`, `" -1.54 "`, `".11"` → Decimal; missing → None; junk → ValueError."""
    text = _text(value)
    if text is None:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"숫자가 아닙니다: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"숫자가 아닙니다: {value!r}")
    return number


def _int(value: object) -> int | None:
    """A whole number of KRW or shares; never goes through float."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    number = _decimal(value)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise ValueError(f"정수가 아닙니다: {value!r}")
    return int(number)


def _short_code(value: object) -> str | None:
    """A KRX short code, or None. getItemInfo writes codes with an `A` prefix (`A005930`)."""
    text = str(value or "").strip().upper()
    if len(text) == 7 and text.startswith("A"):
        text = text[1:]
    try:
        return check_code(text)
    except ValueError:
        return None


def _market(value: object) -> Market | None:
    try:
        return Market(str(value or "").strip().upper())
    except ValueError:
        return None


def _price_row(item: Mapping[str, Any]) -> PriceRow | None:
    """The row, or None when it is not a KRX stock (bad code, unknown market)."""
    code, market = _short_code(item.get("srtnCd")), _market(item.get("mrktCtg"))
    if code is None or market is None:
        return None
    where = f"getStockPriceInfo {code} {item.get('basDt')!r}"
    try:
        return PriceRow(
            day=_parse_day(item.get("basDt")),
            code=code,
            name=str(item.get("itmsNm") or "").strip(),
            isin=str(item.get("isinCd") or "").strip(),
            market=market,
            close=_int(item.get("clpr")),
            change=_int(item.get("vs")),
            change_pct=_decimal(item.get("fltRt")),
            open=_int(item.get("mkp")),
            high=_int(item.get("hipr")),
            low=_int(item.get("lopr")),
            volume=_int(item.get("trqu")),
            value=_int(item.get("trPrc")),
            listed_shares=_int(item.get("lstgStCnt")),
            market_cap=_int(item.get("mrktTotAmt")),
        )
    except ValueError as exc:
        raise BadResponse(
            f"{where} 행을 읽을 수 없습니다: {exc}", hint=_BAD_HINT, source=SOURCE
        ) from None


def _instrument(item: Mapping[str, Any]) -> Instrument | None:
    code, market = _short_code(item.get("srtnCd")), _market(item.get("mrktCtg"))
    name = str(item.get("itmsNm") or "").strip()[:100]
    if code is None or market is None or not name:
        return None
    return Instrument(code=code, name=name, market=market, source=SOURCE)


def _parse_day(value: object) -> date:
    try:
        return datetime.strptime(str(value).strip(), "%Y%m%d").date()
    except ValueError:
        raise ValueError(f"basDt {value!r}가 YYYYMMDD가 아닙니다") from None


def _yyyymmdd(day: date) -> str:
    return f"{check_date(day):%Y%m%d}"


def _check_range(start: date, end: date) -> None:
    check_date(start, "시작일")
    check_date(end, "종료일")
    if start > end:
        raise ValueError(f"기간이 거꾸로입니다: 시작일 {start} > 종료일 {end}")


def _bars(rows: Sequence[PriceRow]) -> BarSeries:
    """Bars of the traded rows, sorted by (code, day); a row breaking OHLC rules is refused."""
    traded = [r for r in rows if r.traded]
    if len(traded) < len(rows):
        logger.info("거래가 없는(정지 등) %d행은 봉으로 만들지 않았습니다", len(rows) - len(traded))
    if not traded:
        return BarSeries.empty(Timeframe.DAY)
    try:
        series = BarSeries.from_arrays(
            Timeframe.DAY,
            [r.code for r in traded],
            [int(daily_ts(r.day).timestamp()) for r in traded],
            [r.open for r in traded],
            [r.high for r in traded],
            [r.low for r in traded],
            [r.close for r in traded],
            [r.volume for r in traded],
            [NO_VALUE if r.value is None else r.value for r in traded],
            repair=True,  # adjusted prices rounded to the won: see repair_rounding
        )
    except BarValidationError as exc:
        raise BadResponse(
            f"공공데이터포털 시세가 봉 규칙에 맞지 않습니다: {exc}",
            hint=_ROW_HINT,
            source=SOURCE,
        ) from None
    return series.sorted()
