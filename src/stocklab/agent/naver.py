"""Naver Finance web pages: the adjusted daily chart, and the unadjusted 일별시세 table.

Unofficial pages that can change without notice (../shared/ref/public-data.md §4.1, §4.3):

- `fchart.stock.naver.com/sise.nhn` serves adjusted (수정주가) daily bars as EUC-KR XML,
  counted back from today with no start parameter: `daily_bars`.
- `finance.naver.com/item/sise_day.naver` serves unadjusted rows, ten a page, newest
  first, as EUC-KR HTML that only answers a browser User-Agent: `daily_prices` and
  `daily_bars_unadjusted`.

A bar for today is returned only once KRX's day is over, after the after-hours session
(18:00 KST), whose trades still count in the day's volume: an intraday fetch would store
a bar that later changes. Halted days (open, high and low 0) are left out, and a row whose
prices contradict each other is refused with `BadResponse`, never stored.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import lxml.html
from lxml import etree

from stocklab.agent.base import BadResponse, SourceUnavailable, not_supported
from stocklab.agent.http import Pacer, get
from stocklab.barseries import BarSeries
from stocklab.krx import MarketStatus, calendar_range, market_status, trading_days
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

SOURCE = "naver"
BROWSER_HEADERS = {
    # Naver answers an empty or "page not found" page without a browser User-Agent.
    "User-Agent": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
    ),
    "Referer": "https://finance.naver.com/",
}
SISE_DAY_PATH = "/item/sise_day.naver"
CHART_PATH = "/sise.nhn"
PAGES_PER_SECOND = 2
"""Polite pacing between page fetches; scrapers that hurry get blocked."""
CHART_COUNT_MARGIN = 10
"""Rows asked beyond the trading days: Naver's count includes blank and holiday rows."""

_SISE_HEADER = ("날짜", "종가", "전일비", "시가", "고가", "저가", "거래량")
_UP = frozenset({"상승", "상한가"})
_DOWN = frozenset({"하락", "하한가"})
_KOREAN_CHARSETS = frozenset(
    {"euc-kr", "euc_kr", "euckr", "ks_c_5601-1987", "ksc5601", "cp949", "ms949", "windows-949"}
)
_PAGE_RE = re.compile(r"[?&]page=(\d+)")
_XML_DECLARATION = re.compile(rb"<\?xml[^>]*?encoding=[\"']([\w.:-]+)[\"'][^>]*\?>")
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)

_DOWN_HINT = "네이버 금융이 응답하지 않습니다: 잠시 후 다시 실행하세요"
_BLOCKED_HINT = (
    "네이버가 요청을 막았습니다(403 또는 빈 페이지): 몇 분 뒤 다시 실행하거나 요청 간격을 "
    "늘리세요. 계속되면 공식 출처(--source datagokr)를 쓰세요"
)
_CHANGED_HINT = (
    "네이버 페이지 형식이 바뀐 것 같습니다: stocklab을 업데이트하거나 "
    "다른 출처(--source datagokr)를 쓰세요"
)
_ROW_HINT = "네이버 자료의 오류입니다: 이 날짜는 다른 출처(--source datagokr)로 받으세요"


@dataclass(frozen=True, slots=True)
class DailyPrice:
    """One row of Naver's 일별시세 (unadjusted KRW and shares).

    `change` is 전일비 with the sign of its 상승/하락 label. `close - change` is the base
    price (기준가), which differs from the previous close on ex-rights and split days:
    that is how a collector can tell that adjusted history has moved.
    """

    day: date
    open: int
    high: int
    low: int
    close: int
    volume: int
    change: int

    @property
    def base_price(self) -> int:
        return self.close - self.change


@dataclass(frozen=True, slots=True)
class _ChartRow:
    day: date
    open: int
    high: int
    low: int
    close: int
    volume: int


_Row = DailyPrice | _ChartRow


class NaverMarketData:
    """Daily prices scraped from Naver Finance: adjusted chart bars and the 일별시세 table."""

    name = SOURCE

    def __init__(
        self,
        *,
        base_url: str,
        chart_url: str,
        timeout: float = 10.0,
        pace: Callable[[], object] | None = None,
        now: Callable[[], datetime] = now_kst,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._chart_url = chart_url.rstrip("/")
        self._client = httpx.Client(timeout=timeout, headers=BROWSER_HEADERS)
        self._pace = pace or Pacer(PAGES_PER_SECOND).wait
        self._now = now

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._base_url!r}, chart_url={self._chart_url!r})"

    def close(self) -> None:
        self._client.close()

    # -- MarketData -----------------------------------------------------------------

    def daily_bars(self, code: str, start: date, end: date) -> BarSeries:
        """Adjusted (수정주가) daily bars from `start` to `end`, both inclusive.

        The chart counts bars back from today, so the count is the number of KRX trading
        days from `start` to today, plus a margin for the blank rows Naver counts too.
        """
        code = check_code(code)
        _check_range(start, end)
        today = self._today()
        if start > today:
            return BarSeries.empty(Timeframe.DAY)
        params = {
            "symbol": code,
            "timeframe": "day",
            "count": str(_chart_count(start, today)),
            "requestType": "0",
        }
        response = self._get(f"{self._chart_url}{CHART_PATH}", params)
        rows = [r for r in _parse_chart(response.content, code) if start <= r.day <= end]
        return _series(code, self._settled(code, rows, "네이버 차트"))

    def daily_bars_unadjusted(self, code: str, start: date, end: date) -> BarSeries:
        """Unadjusted daily bars from the 일별시세 table (see `daily_prices`)."""
        return _series(check_code(code), self.daily_prices(code, start, end))

    def daily_prices(self, code: str, start: date, end: date) -> list[DailyPrice]:
        """일별시세 rows from `start` to `end`, oldest first.

        Pages run newest first; paging stops at the page that reaches back to `start`, or
        at the last page (the 맨뒤 link, else the largest page link).
        """
        code = check_code(code)
        _check_range(start, end)
        if start > self._today():
            return []
        found: list[DailyPrice] = []
        page = 1
        while True:
            rows, last = self._sise_day_page(code, page)
            found += [r for r in rows if start <= r.day <= end]
            if not rows or min(r.day for r in rows) <= start or page >= last:
                break
            page += 1
        return self._settled(
            code, found, "네이버 일별시세"
        )  # keeps a row shifted onto a later page once

    def instruments(self, market: Market | None = None) -> list[Instrument]:
        raise not_supported(SOURCE, "종목 목록")

    def market_daily(self, day: date) -> BarSeries:
        raise not_supported(SOURCE, "전 종목 일괄 시세")

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

    # -- helpers --------------------------------------------------------------------

    def _today(self) -> date:
        return self._now().astimezone(KST).date()

    def last_available_day(self, now: datetime) -> date:
        """Collectors ask no further than this: today's bar is final after 18:00 KST."""
        status = market_status(now)
        today = status.at.date()
        if status.session_day is None or _day_is_over(status):
            return today
        return today - timedelta(days=1)

    def _settled[R: _Row](self, code: str, rows: Iterable[R], where: str) -> list[R]:
        """One row a day, oldest first, without halted days or today's unfinished bar;
        a row whose prices contradict each other is refused, not passed on."""
        status = market_status(self._now())
        unfinished = None if _day_is_over(status) else status.session_day
        by_day: dict[date, R] = {}
        for row in rows:
            if row.day != unfinished and not _halted(row):
                by_day.setdefault(row.day, row)
        kept = [by_day[day] for day in sorted(by_day)]
        for row in kept:
            _check_prices(row, f"{where} {code} {row.day}")
        return kept

    def _sise_day_page(self, code: str, page: int) -> tuple[list[DailyPrice], int]:
        response = self._get(f"{self._base_url}{SISE_DAY_PATH}", {"code": code, "page": str(page)})
        # The HTTP charset decides, never the page's <meta>: Naver's meta has said utf-8
        # while the bytes were EUC-KR.
        html = response.content.decode(_codec(response.charset_encoding), errors="replace")
        return _parse_sise_day(html, f"네이버 일별시세 {code} {page}쪽", page)

    def _get(self, url: str, params: Mapping[str, str]) -> httpx.Response:
        self._pace()
        response = get(self._client, url, params=params, source=SOURCE, hint=_DOWN_HINT)
        status = response.status_code
        if status in (403, 429):
            raise SourceUnavailable(
                f"HTTP {status}: 네이버가 요청을 거부했습니다", hint=_BLOCKED_HINT, source=SOURCE
            )
        if status >= 500:
            raise SourceUnavailable(f"HTTP {status}", hint=_DOWN_HINT, source=SOURCE)
        if status >= 400:
            raise BadResponse(
                f"HTTP {status}: 주소가 바뀌었을 수 있습니다", hint=_CHANGED_HINT, source=SOURCE
            )
        return response


def _day_is_over(status: MarketStatus) -> bool:
    """True unless `status` falls on a trading day before its after-hours session ended."""
    if status.session_day is None:
        return True
    return status.phase == "closed" and status.next_open.date() > status.session_day


def _halted(row: _Row) -> bool:
    return row.open == 0 or row.high == 0 or row.low == 0


def _check_prices(row: _Row, where: str) -> None:
    if 0 < row.low <= min(row.open, row.close) and max(row.open, row.close) <= row.high:
        return
    raise BadResponse(
        f"{where} 행의 가격이 서로 맞지 않습니다 "
        f"(시가 {row.open:,} 고가 {row.high:,} 저가 {row.low:,} 종가 {row.close:,})",
        hint=_ROW_HINT,
        source=SOURCE,
    )


def _series(code: str, rows: Sequence[_Row]) -> BarSeries:
    if not rows:
        return BarSeries.empty(Timeframe.DAY)
    return BarSeries.from_arrays(
        Timeframe.DAY,
        code,
        [int(daily_ts(r.day).timestamp()) for r in rows],
        [r.open for r in rows],
        [r.high for r in rows],
        [r.low for r in rows],
        [r.close for r in rows],
        [r.volume for r in rows],
        repair=True,  # adjusted prices rounded to the won: see repair_rounding
    )


def _check_range(start: date, end: date) -> None:
    check_date(start, "시작일")
    check_date(end, "종료일")
    if start > end:
        raise ValueError(f"기간이 거꾸로입니다: 시작일 {start} > 종료일 {end}")


def _codec(charset: str | None) -> str:
    """Python's codec for a declared charset; EUC-KR means CP949, its superset, in practice."""
    name = (charset or "cp949").strip().lower()
    if name in _KOREAN_CHARSETS:
        return "cp949"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return "cp949"


def _bad(message: str) -> BadResponse:
    return BadResponse(message, hint=_CHANGED_HINT, source=SOURCE)


def _number(text: str, where: str) -> int:
    digits = text.replace(",", "").strip()
    if not (digits.isascii() and digits.isdigit()):
        raise _bad(f"{where}: 숫자가 아닙니다 ({text!r})")
    return int(digits)


def _parse_date(text: str, fmt: str, where: str) -> date:
    try:
        return datetime.strptime(text.strip(), fmt).date()
    except ValueError:
        raise _bad(f"{where}: 날짜가 아닙니다 ({text!r})") from None


# -- the chart XML ------------------------------------------------------------------


def _chart_count(start: date, today: date) -> int:
    first, _ = calendar_range()
    if start < first:  # before the calendar: every calendar day is an upper bound
        return len(trading_days(first, today)) + (first - start).days + CHART_COUNT_MARGIN
    return len(trading_days(start, today)) + CHART_COUNT_MARGIN


def _parse_chart(content: bytes, code: str) -> list[_ChartRow]:
    """Rows of the chart XML; `<protocol />` (an unknown symbol) gives none.

    Blank lines precede the declaration, so they are stripped, and the bytes are decoded
    by the declared encoding before parsing.
    """
    raw = content.lstrip()
    declaration = _XML_DECLARATION.match(raw)
    encoding = _codec(declaration.group(1).decode("ascii") if declaration else "utf-8")
    try:
        text = raw[declaration.end() if declaration else 0 :].decode(encoding)
        root = etree.fromstring(text, _XML_PARSER)
    except (UnicodeDecodeError, etree.XMLSyntaxError) as exc:
        raise _bad(f"네이버 차트 {code}: XML을 읽을 수 없습니다 ({exc})") from None
    if root.tag != "protocol":
        raise _bad(f"네이버 차트 {code}: 최상위 요소가 <{root.tag}>입니다 (<protocol> 예상)")
    chart = root.find("chartdata")
    if chart is None:
        return []
    rows = []
    for item in chart.iter("item"):
        data = item.get("data") or ""
        fields = data.split("|")
        if len(fields) != 6:
            raise _bad(f"네이버 차트 {code}: 행 {data!r}의 칸이 6개가 아닙니다")
        if not any(f.strip() for f in fields):
            continue  # "|||||": a holiday or the pre-open
        where = f"네이버 차트 {code} 행 {data!r}"
        day = _parse_date(fields[0], "%Y%m%d", where)
        o, h, lo, c, v = (_number(f, where) for f in fields[1:])
        rows.append(_ChartRow(day, o, h, lo, c, v))
    return rows


# -- the 일별시세 page --------------------------------------------------------------


def _classes(element: Any) -> list[str]:
    return (element.get("class") or "").split()


def _first(doc: Any, tag: str, cls: str) -> Any | None:
    found = doc.xpath(f'.//{tag}[contains(concat(" ", normalize-space(@class), " "), " {cls} ")]')
    return found[0] if found else None


def _parse_sise_day(html: str, where: str, page: int) -> tuple[list[DailyPrice], int]:
    """The page's rows (newest first) and the last page number.

    A page without the price table is a block ("page not found" or empty); a table that
    is not the documented one means the page has changed.
    """
    doc = lxml.html.document_fromstring(html) if html.strip() else None
    table = None if doc is None else _first(doc, "table", "type2")
    if table is None:
        raise SourceUnavailable(
            f"{where}: 시세 표가 없는 페이지가 왔습니다 (차단 또는 '페이지를 찾을 수 없습니다')",
            hint=_BLOCKED_HINT,
            source=SOURCE,
        )
    header = tuple(th.text_content().strip() for th in table.iter("th"))
    if header != _SISE_HEADER:
        raise _bad(f"{where}: 표 머리글 {header}이 {_SISE_HEADER}와 다릅니다")
    rows = [row for tr in table.iter("tr") if (row := _sise_row(tr, where)) is not None]
    return rows, _last_page(doc, page)


def _cell_text(cell: Any) -> str:
    """The number of a cell: its `span.tah`, without the 상승/하락 label beside it."""
    spans = [s.text_content() for s in cell.iter("span") if "tah" in _classes(s)]
    return " ".join(spans).strip() if spans else cell.text_content().strip()


def _sise_row(tr: Any, where: str) -> DailyPrice | None:
    cells = tr.findall("td")
    if len(cells) != len(_SISE_HEADER):
        return None  # the header and the spacer rows
    texts = [_cell_text(c) for c in cells]
    if not texts[0]:
        return None
    where = f"{where} {texts[0]} 행"
    day = _parse_date(texts[0], "%Y.%m.%d", where)
    close, magnitude, open_, high, low, volume = (_number(t, where) for t in texts[1:])
    sign = _sign(cells[2])
    if magnitude and sign is None:
        raise _bad(f"{where}: 전일비 {magnitude:,}에 상승·하락 표시가 없습니다")
    return DailyPrice(day, open_, high, low, close, volume, magnitude * (sign or 0))


def _sign(cell: Any) -> int | None:
    """+1/-1 from the 전일비 label: `span.blind` text or an older `img alt`, else the
    `em.bu_pup`/`bu_pdn` icon or the red02/nv01 colour. None when there is none (보합)."""
    labels = [s.text_content().strip() for s in cell.iter("span") if "blind" in _classes(s)]
    labels += [(img.get("alt") or "").strip() for img in cell.iter("img")]
    for label in labels:
        if label in _UP:
            return 1
        if label in _DOWN:
            return -1
    classes = [c for el in cell.iter("em", "span") for c in _classes(el)]
    if any(c.startswith("bu_pup") or c == "red02" for c in classes):
        return 1
    if any(c.startswith("bu_pdn") or c == "nv01" for c in classes):
        return -1
    return None


def _last_page(doc: Any, current: int) -> int:
    """The largest `page=` link in `table.Nnavi`: the 맨뒤 (`td.pgRR`) link when the table has
    one, else the largest page link shown (few pages); this page when there is no table."""
    navi = _first(doc, "table", "Nnavi")
    hrefs = navi.xpath(".//a/@href") if navi is not None else []
    return max([current, *(int(m.group(1)) for h in hrefs if (m := _PAGE_RE.search(h)))])
