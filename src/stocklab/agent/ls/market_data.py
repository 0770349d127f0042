"""`MarketData` from the LS증권 OPEN API: codes, daily and minute bars, quotes and flows.

Daily data for a date is final once that day's after-hours session has ended (18:00
KST): volume and value still grow in the after-hours sessions, so an earlier read would
store a bar that later changes. Minute bars are returned once their minute has ended.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

from stocklab.agent.base import NotSupported
from stocklab.agent.ls import parse
from stocklab.agent.ls.client import LsClient, Payload
from stocklab.agent.ls.trs import TRS
from stocklab.barseries import BarSeries
from stocklab.krx import market_status, session
from stocklab.model import Flow, Instrument, Market, Quote, Timeframe, check_code, now_kst

log = logging.getLogger(__name__)

MAX_ROWS = 500
"""`qrycnt`/`cnt` per page: the documented maximum of the uncompressed charts."""
MAX_PAGES = 100
MINUTE = timedelta(minutes=1)
_GUBUN = {None: "0", Market.KOSPI: "1", Market.KOSDAQ: "2"}


def final_through(now: datetime) -> date:
    """The latest date whose daily data is final at `now`.

    Today once its after-hours session has ended (the phase after `after_hours` is
    `closed`), or when today is no trading day; otherwise yesterday.
    """
    status = market_status(now)
    today = status.at.date()
    if status.session_day is None:
        return today
    if status.phase == "closed" and status.at >= session(today).close:
        return today
    return today - timedelta(days=1)


class LsMarketData:
    """The LS source: one `LsClient` (one app key), records with `source="ls"`."""

    name = "ls"

    def __init__(self, client: LsClient, *, now: Callable[[], datetime] = now_kst) -> None:
        self.client = client
        self._now = now

    def last_available_day(self, now: datetime) -> date:
        """Collectors ask no further than this: daily data is final after 18:00 KST."""
        return final_through(now)

    def __repr__(self) -> str:
        return f"LsMarketData({self.client!r})"

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> LsMarketData:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- codes ----------------------------------------------------------------------

    def instruments(self, market: Market | None = None) -> list[Instrument]:
        """t8436: KOSPI and KOSDAQ codes (LS lists no KONEX)."""
        gubun = _GUBUN.get(market)
        if gubun is None:
            raise NotSupported(
                f"LS증권 종목 목록(t8436)에는 {market} 시장이 없습니다",
                hint="KOSPI 또는 KOSDAQ을 고르거나 시장을 지정하지 마세요",
                source="ls",
            )
        return [
            instrument
            for page in self._pages("t8436", {"gubun": gubun})
            for instrument in parse.instruments(page)
        ]

    # -- bars -----------------------------------------------------------------------

    def daily_bars(self, code: str, start: date, end: date) -> BarSeries:
        """t8410 adjusted (수정주가) daily bars from `start` to `end`, final days only.

        Pages go back from `end` by the continuation key. An answer whose last page is
        full but carries no key stopped short, not at the history's start: the days
        before its earliest row are asked for again, until a page is not full.
        """
        code, end = self._bounds(code, start, end)
        if start > end:
            return BarSeries.empty(Timeframe.DAY)
        found: list[parse.BarRow] = []
        upto = end
        for _ in range(MAX_PAGES):
            rows, full = self._t8410(code, start, upto)
            found += rows
            earliest = min((row.at.date() for row in rows), default=start)
            if not full or not start < earliest <= upto:
                break
            log.info(
                "LS t8410 %s: %d행 쪽이 연속키 없이 끝나 %s 이전을 다시 묻습니다",
                code, MAX_ROWS, earliest,
            )  # fmt: skip
            upto = earliest - timedelta(days=1)
        return parse.bar_series("t8410", code, Timeframe.DAY, _within(found, start, end))

    def _t8410(self, code: str, start: date, end: date) -> tuple[list[parse.BarRow], bool]:
        """One t8410 query with its continuation: the rows, and whether the last page was full."""
        body = {
            "shcode": code,
            "gubun": "2",
            "qrycnt": MAX_ROWS,
            "sdate": f"{start:%Y%m%d}",
            "edate": f"{end:%Y%m%d}",
            "cts_date": "",
            "comp_yn": "N",
            "sujung": "Y",
        }
        rows: list[parse.BarRow] = []
        full = False
        for page in self._pages("t8410", body):
            page_rows = parse.day_rows("t8410", page)
            rows += page_rows
            full = len(page_rows) >= MAX_ROWS
        return rows, full

    def daily_bars_t1305(self, code: str, start: date, end: date) -> BarSeries:
        """t1305 (기간별주가) daily bars, unadjusted: the path the fact sheet also names.

        t1305 takes no period; it pages back from the latest day until `start` is passed.
        """
        code, end = self._bounds(code, start, end)
        if start > end:
            return BarSeries.empty(Timeframe.DAY)
        body = {
            "shcode": code,
            "dwmcode": 1,
            "date": "",
            "idx": 0,
            "cnt": MAX_ROWS,
            "exchgubun": "K",
        }
        found: list[parse.BarRow] = []
        for page in self._pages("t1305", body):
            rows = parse.day_rows("t1305", page)
            found += _within(rows, start, end)
            if not rows or min(row.at for row in rows).date() < start:
                break
        return parse.bar_series("t1305", code, Timeframe.DAY, found)

    def market_daily(self, day: date) -> BarSeries:
        raise NotSupported(
            "LS증권 OPEN API에는 하루치 전 종목 일봉을 한 번에 주는 TR이 없습니다",
            hint="종목별 daily_bars를 쓰거나, 하루치 전 종목은 --source datagokr를 쓰세요",
            source="ls",
        )

    def minute_bars(self, code: str, day: date) -> BarSeries:
        """t8412 one-minute bars of one day, each at its minute's start, ended minutes only.

        LS labels a bar with its end (the first bar of a day is 09:01), so one minute is
        taken off; the closing-auction print labelled 15:30 becomes the 15:29 bar.
        """
        code = check_code(code)
        now = self._now()
        body = {
            "shcode": code,
            "ncnt": 1,
            "qrycnt": MAX_ROWS,
            "nday": "0",
            "sdate": f"{day:%Y%m%d}",
            "stime": "",
            "edate": f"{day:%Y%m%d}",
            "etime": "",
            "cts_date": "",
            "cts_time": "",
            "comp_yn": "N",
        }
        ended = [
            row._replace(at=row.at - MINUTE)
            for page in self._pages("t8412", body, limit=10)
            for row in parse.minute_rows(page)
            if row.at.date() == day and row.at <= now
        ]
        return parse.bar_series("t8412", code, Timeframe.MINUTE, ended)

    # -- quote ----------------------------------------------------------------------

    def quote(self, code: str) -> Quote:
        """t1101: the current price and the 10-level book on each side."""
        code = check_code(code)
        payload, _ = self.client.call(
            "t1101", TRS["t1101"].path, {"t1101InBlock": {"shcode": code}}
        )
        return parse.quote(payload, code, self._now())

    # -- flows ----------------------------------------------------------------------

    def investor_flows(self, code: str, start: date, end: date) -> list[Flow]:
        """t1717 daily net buying per investor group (shares)."""
        code, end = self._bounds(code, start, end)
        if start > end:
            return []
        body = {
            "shcode": code,
            "gubun": "0",
            "fromdt": f"{start:%Y%m%d}",
            "todt": f"{end:%Y%m%d}",
            "exchgubun": "K",
        }
        pages = self._pages("t1717", body)
        return _days(
            (flow for page in pages for flow in parse.investor_flows(page, code)), start, end
        )

    def credit_balance(self, code: str, start: date, end: date) -> list[Flow]:
        """t1921 margin loans (융자): new, repaid, balance; the amount converted to KRW."""
        code, end = self._bounds(code, start, end)
        if start > end:
            return []
        body = {"shcode": code, "gubun": "1", "date": "", "idx": 0}
        return self._flows_back_to("t1921", body, parse.credit_flows, code, start, end)

    def short_selling(self, code: str, start: date, end: date) -> list[Flow]:
        """t1927 daily short selling; the value converted to KRW, the share to bp."""
        code, end = self._bounds(code, start, end)
        if start > end:
            return []
        body = {"shcode": code, "date": "", "sdate": f"{start:%Y%m%d}", "edate": f"{end:%Y%m%d}"}
        return self._flows_back_to("t1927", body, parse.short_flows, code, start, end)

    # -- helpers --------------------------------------------------------------------

    def _bounds(self, code: str, start: date, end: date) -> tuple[str, date]:
        """A checked code and `end` cut to the last final day (may end before `start`)."""
        if start > end:
            raise ValueError(f"기간이 거꾸로입니다: 시작 {start} > 끝 {end}")
        return check_code(code), min(end, final_through(self._now()))

    def _pages(
        self, tr_cd: str, in_block: dict[str, Any], limit: int = MAX_PAGES
    ) -> Iterator[Payload]:
        tr = TRS[tr_cd]
        return self.client.pages(tr_cd, tr.path, {f"{tr_cd}InBlock": in_block}, tr.cursors, limit)

    def _flows_back_to(
        self,
        tr_cd: str,
        in_block: dict[str, Any],
        read: Callable[[Payload, str], list[Flow]],
        code: str,
        start: date,
        end: date,
    ) -> list[Flow]:
        """Flows of a TR that pages from the latest day back, stopping once past `start`."""
        found: list[Flow] = []
        for page in self._pages(tr_cd, in_block):
            flows = read(page, code)
            found += flows
            if not flows or min(flow.day for flow in flows) < start:
                break
        return _days(found, start, end)


def _within(rows: Iterable[parse.BarRow], start: date, end: date) -> list[parse.BarRow]:
    return [row for row in rows if start <= row.at.date() <= end]


def _days(flows: Iterable[Flow], start: date, end: date) -> list[Flow]:
    """Flows from `start` to `end`, oldest first, one per day."""
    by_day = {flow.day: flow for flow in flows if start <= flow.day <= end}
    return [by_day[day] for day in sorted(by_day)]
