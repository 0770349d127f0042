"""Collectors: bring instruments, bars and flows from a source into the store.

Each collector is idempotent and resumable: it starts from what the store already holds
(the last bar or row per code), asks the source only for what is missing, and saves code
by code (each save is atomic), so a rerun after a crash fetches only the rest and never
writes a duplicate. What comes back is checked against the KRX calendar: an empty or short
answer where the calendar expects data is a failure, not a silent success. What a short
answer did bring is saved only where the resume point then still lies before the gap, so
the rerun that the failure calls for fetches exactly what is missing. Stopping errors (a
refused key, the day's quota) end the run at once with the source's hint.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

import numpy as np

from stocklab.agent.base import AuthError, NotSupported, RateLimited, SourceError
from stocklab.barseries import BarSeries
from stocklab.jobs.context import JobContext
from stocklab.krx import (
    is_trading_day,
    last_closed_session,
    next_trading_day,
    previous_trading_day,
    session,
    trading_days,
)
from stocklab.model import KST, FlowKind, Timeframe, check_code, daily_ts
from stocklab.store.base import MAX_LIMIT

BULK_DAYS = 60
"""Up to this many missing days, a source with a whole-market call is asked day by day."""
FLOW_DAYS = 60
"""Trading days of flows fetched for a code the store has none of (unless --since)."""


class CollectError(Exception):
    """The run could not do its work; the message says what failed and what to do."""


def _end_day(ctx: JobContext, source: object) -> date:
    """The last day whose bars the source can have: closed, and published if it lags."""
    end = last_closed_session(ctx.now())
    available = getattr(source, "last_available_day", None)
    if callable(available):
        end = min(end, available(ctx.now()))
    return end


def _codes(ctx: JobContext, codes: Sequence[str] | None) -> list[str]:
    known = [i.code for i in ctx.store.list_instruments(limit=MAX_LIMIT)]
    if not known:
        raise CollectError("저장소에 종목이 없습니다. 먼저 `stocklab collect codes`를 실행하세요")
    if not codes:
        return known
    wanted = [check_code(c.strip()) for c in codes]
    missing = sorted(set(wanted) - set(known))
    if missing:
        raise CollectError(
            f"저장소에 없는 종목: {', '.join(missing[:10])} — 먼저 `stocklab collect codes`로 "
            "종목 목록을 받으세요"
        )
    return wanted


def _stop_or_record(ctx: JobContext, code: str, exc: SourceError, failures: list[str]) -> None:
    """Refused keys and an exhausted daily quota stop the run; other errors skip the code."""
    if isinstance(exc, AuthError) or (isinstance(exc, RateLimited) and exc.daily):
        raise exc
    ctx.log.warning("%s: %s", code, exc)
    failures.append(f"{code} ({exc})")


def _finish(
    ctx: JobContext, what: str, failures: list[str], *, codes: int | None = None, hint: str = ""
) -> None:
    """End the run failed if anything failed; `codes` counts failed codes when the
    messages are not one per code (the whole-market path writes one per day)."""
    failed = len(failures) if codes is None else codes
    ctx.count("failed_codes", failed)
    if failures:
        shown = "; ".join(failures[:5]) + (
            f" 외 {len(failures) - 5}건" if len(failures) > 5 else ""
        )
        raise CollectError(
            f"{what}: {failed}개 종목 실패 — {shown}" + (f" — {hint}" if hint else "")
        )


def _day_of(ts: int) -> date:
    return datetime.fromtimestamp(ts, KST).date()


def _session_day(day: date) -> date:
    """`day` if it is a trading day, else the trading day before it."""
    return day if is_trading_day(day) else previous_trading_day(day)


def check_since(since: date | None, now: datetime) -> None:
    """`since` may not lie after the last closed session: no day from it on has data yet."""
    if since is None:
        return
    last = last_closed_session(now)
    if since > last:
        raise CollectError(
            f"--since {since}: 마지막 장 마감일({last}) 뒤의 날이라 받을 자료가 없습니다; "
            f"{last} 또는 그 전 날짜를 주거나 --since 없이 실행하세요"
        )


# -- instruments -------------------------------------------------------------------------


def collect_codes(ctx: JobContext, source: str | None = None) -> None:
    """Fetch the code list and upsert it; an empty list is a failure."""
    src = ctx.source(source)
    items = src.instruments()
    if not items:
        raise CollectError(f"{src.name}가 빈 종목 목록을 돌려주었습니다; 나중에 다시 시도하세요")
    result = ctx.store.upsert_instruments(items)
    ctx.count("instruments", result.inserted + result.updated)
    ctx.count("unchanged", result.unchanged)
    ctx.log.info(
        "종목 %d개: 새로 %d, 변경 %d, 그대로 %d (출처 %s)",
        result.total, result.inserted, result.updated, result.unchanged, src.name,
    )  # fmt: skip


# -- daily bars --------------------------------------------------------------------------


def collect_daily(
    ctx: JobContext,
    source: str | None = None,
    codes: Sequence[str] | None = None,
    since: date | None = None,
) -> None:
    """Daily bars up to the last closed session, from each code's last stored bar on."""
    check_since(since, ctx.now())
    src = ctx.source(source)
    targets = _codes(ctx, codes)
    end = _end_day(ctx, src)
    overview = [c for c in ctx.store.bar_overview() if c.timeframe is Timeframe.DAY]
    last = {c.code: c.last.astimezone(KST).date() for c in overview}
    first = {c.code: c.first.astimezone(KST).date() for c in overview}
    _step_over_future(ctx, last, end)
    default_start = since or getattr(src, "start", None) or end - timedelta(days=365)
    plan: dict[str, date] = {}
    for code in targets:
        start = since or (next_trading_day(last[code]) if code in last else default_start)
        if start <= end:
            plan[code] = start
    if not plan:
        ctx.log.info("일봉: %d개 종목 모두 %s까지 있습니다", len(targets), end)
        return
    missing_days = trading_days(min(plan.values()), end)
    if not missing_days:
        ctx.log.info("일봉: %s 이후 거래일이 없습니다", min(plan.values()))
        return
    if len(missing_days) <= BULK_DAYS and _bulk_daily(ctx, src, plan, first, missing_days):
        return
    _daily_by_code(ctx, src, plan, end)


def _step_over_future(ctx: JobContext, last: dict[str, date], end: date) -> None:
    """Bars dated after the last closed session (an import's typo, say) never block a
    code: it resumes from its last real bar, and the run says which codes hold them."""
    future = sorted(code for code, day in last.items() if day > end)
    if not future:
        return
    ctx.count("future_stored", len(future))
    shown = ", ".join(future[:10]) + (", …" if len(future) > 10 else "")
    ctx.log.warning(
        "종목 %d개에 마지막 거래일 %s 뒤의 일봉이 저장되어 있습니다 (%s): 그 앞의 봉부터 "
        "이어 받습니다 — 지우려면 stocklab store delete --code 종목 --start %s",
        len(future), end, shown, next_trading_day(end),
    )  # fmt: skip
    for code in future:
        real = ctx.store.load_bars(code, Timeframe.DAY, end=end)
        if len(real):
            last[code] = _day_of(int(real.ts.max()))
        else:
            del last[code]


def _save_bars(ctx: JobContext, bars: BarSeries, source: str, kind: str) -> None:
    result = ctx.store.save_bars(bars, source=source)
    ctx.count(kind, result.inserted + result.updated)
    ctx.count("unchanged", result.unchanged)
    if bars.repaired_count:  # rounding of adjusted prices, widened as the import does
        ctx.count("repaired", bars.repaired_count)
        ctx.log.info(
            "%s: 반올림으로 어긋난 고가·저가를 고친 봉 %d개 (출처 %s)",
            ", ".join(np.unique(bars.code[bars.repaired]).tolist()[:5]),
            bars.repaired_count,
            source,
        )


def _bulk_daily(
    ctx: JobContext,
    src: object,
    plan: dict[str, date],
    first: dict[str, date],
    days: list[date],
) -> bool:
    """Whole-market answers, one per missing day; False if the source has no such call.

    A code is expected on a day it is planned for if it was trading by then: its first
    stored bar is no later, or it came in an earlier day's answer of this run. A code
    with neither is a new listing and is not expected yet. An expected code missing from
    day D's answer is a failure, and none of its bars after D is saved in this run: its
    last stored bar stays before D, so the rerun starts at D for it (and, since the
    saves skip what is stored, ends with exactly the bars of a clean run).
    """
    market_daily = getattr(src, "market_daily", None)
    if market_daily is None:
        return False
    name = src.name  # type: ignore[attr-defined]
    codes = np.array(sorted(plan), dtype="<U6")
    starts = np.array([int(daily_ts(plan[c]).timestamp()) for c in codes.tolist()])
    never = np.iinfo(np.int64).max
    listed = np.array(
        [int(daily_ts(first[c]).timestamp()) if c in first else never for c in codes.tolist()]
    )
    seen = np.zeros(len(codes), dtype=bool)  # came in an answer of this run
    held = np.zeros(len(codes), dtype=bool)  # missing on a day: nothing later is saved
    failures: list[str] = []
    ctx.progress.start(len(days), f"일봉 {days[0]}~{days[-1]} ({name}, 시장 전체)")
    try:
        for day in days:
            try:
                bars = market_daily(day)
            except NotSupported:
                return False
            if len(bars) == 0:
                raise CollectError(
                    f"{name}가 거래일 {day}의 일봉을 하나도 주지 않았습니다; 출처가 아직 "
                    "그날 자료를 내지 않았을 수 있습니다 (나중에 다시 실행하세요)"
                )
            at = int(daily_ts(day).timestamp())
            pos = np.searchsorted(codes, bars.code)
            hit = (pos < len(codes)) & (codes[np.minimum(pos, len(codes) - 1)] == bars.code)
            present = np.zeros(len(codes), dtype=bool)
            present[pos[hit & (bars.ts == at)]] = True
            gone = (starts <= at) & ((listed <= at) | seen) & ~held & ~present
            if gone.any():
                held |= gone
                failures.append(_missing_on(day, codes[gone].tolist()))
                ctx.log.warning("%s", failures[-1])
            seen |= present
            wanted = np.zeros(len(bars), dtype=bool)
            wanted[hit] = (bars.ts[hit] >= starts[pos[hit]]) & ~held[pos[hit]]
            _save_bars(ctx, bars.take(wanted), name, "bars_1d")
            ctx.progress.advance()
    finally:
        ctx.progress.finish()
    ctx.log.info("일봉: %d일 × 시장 전체, 종목 %d개 대상 (출처 %s)", len(days), len(plan), name)
    _finish(
        ctx, "일봉 수집(시장 전체)", failures, codes=int(held.sum()),
        hint="빠진 종목은 그날 앞에서 멈췄으니 다시 실행하면 그날부터 받습니다",
    )  # fmt: skip
    return True


def _missing_on(day: date, missing: list[str]) -> str:
    shown = ", ".join(missing[:10]) + (", …" if len(missing) > 10 else "")
    return f"{day}: {len(missing)}개 종목이 빠짐 ({shown})"


def _daily_by_code(ctx: JobContext, src: object, plan: dict[str, date], end: date) -> None:
    name = src.name  # type: ignore[attr-defined]
    last_session = _session_day(end)
    failures: list[str] = []
    ctx.progress.start(len(plan), f"일봉 ~{end} ({name})")
    try:
        for code, start in plan.items():
            try:
                bars = src.daily_bars(code, start, end)  # type: ignore[attr-defined]
            except SourceError as exc:
                _stop_or_record(ctx, code, exc, failures)
                ctx.progress.advance()
                continue
            bars = bars.take(bars.ts <= int(daily_ts(end).timestamp()))
            if len(bars) == 0:
                failures.append(f"{code} ({start}~{end} 거래일에 일봉이 없음)")
            else:
                # What came is valid and ends the code's stored history, so the rerun
                # resumes right after it; only the tail is checked (a first bar after
                # `start` is a new listing).
                _save_bars(ctx, bars, name, "bars_1d")
                got = _day_of(int(bars.ts.max()))
                if got < last_session:
                    failures.append(
                        f"{code} (출처가 {got}까지만 주었습니다; {last_session}까지 있어야 "
                        "합니다 — 다시 실행하면 나머지를 받습니다)"
                    )
            ctx.progress.advance()
    finally:
        ctx.progress.finish()
    ctx.log.info("일봉: 종목 %d개, %s까지 (출처 %s)", len(plan), end, name)
    _finish(ctx, "일봉 수집", failures)


# -- minute bars -------------------------------------------------------------------------


def _minute_day(now: datetime) -> date:
    """Today once its session has opened, else the last session."""
    local = now.astimezone(KST)
    today = local.date()
    if is_trading_day(today) and local >= session(today).open + timedelta(minutes=1):
        return today
    return previous_trading_day(today)


def collect_minute(
    ctx: JobContext,
    source: str | None = None,
    codes: Sequence[str] | None = None,
    day: date | None = None,
) -> None:
    """The minute bars of one session (today's so far, by default) after those stored."""
    src = ctx.source(source)
    targets = _codes(ctx, codes)
    target = day or _minute_day(ctx.now())
    if not is_trading_day(target):
        raise CollectError(f"{target}는 거래일이 아닙니다")
    # Once the session has closed, its minutes must reach the closing auction's print
    # (LS labels it 15:30 and the adapter files it at 15:29; the simulator at 15:30).
    # Today's minutes before then are partial by nature and are not checked.
    close = session(target).close
    closing_bar = int((close - timedelta(minutes=1)).timestamp())
    closed = ctx.now() >= close + timedelta(minutes=1)
    failures: list[str] = []
    ctx.progress.start(len(targets), f"분봉 {target} ({src.name})")
    try:
        for code in targets:
            stored = ctx.store.load_bars(code, Timeframe.MINUTE, start=target, end=target, limit=1)
            after = int(stored.ts[-1]) if len(stored) else 0
            try:
                bars = src.minute_bars(code, target)
            except SourceError as exc:
                _stop_or_record(ctx, code, exc, failures)
                ctx.progress.advance()
                continue
            if len(bars) == 0 and not len(stored):
                failures.append(f"{code} ({target} 분봉이 없음)")
            new = bars.take(bars.ts > after)
            if len(new):
                _save_bars(ctx, new, src.name, "bars_1m")
                after = int(new.ts.max())
            if closed and 0 < after < closing_bar:
                # The rerun asks for the whole day again and keeps what is after the
                # last stored minute, so it fills exactly this tail.
                failures.append(
                    f"{code} (출처가 {target} {datetime.fromtimestamp(after, KST):%H:%M}까지만 "
                    f"주었습니다; 장 마감 {close:%H:%M}까지 있어야 합니다 — 다시 실행하면 "
                    "나머지를 받습니다)"
                )
            ctx.progress.advance()
    finally:
        ctx.progress.finish()
    ctx.log.info("분봉: %s, 종목 %d개 (출처 %s)", target, len(targets), src.name)
    _finish(ctx, "분봉 수집", failures)


# -- flows ---------------------------------------------------------------------------------

_FLOW_CALLS = {
    FlowKind.INVESTOR: "investor_flows",
    FlowKind.CREDIT: "credit_balance",
    FlowKind.SHORT: "short_selling",
}


def collect_flows(
    ctx: JobContext,
    source: str | None = None,
    codes: Sequence[str] | None = None,
    since: date | None = None,
    kinds: Sequence[str] | None = None,
) -> None:
    """Investor flows, margin balances and short selling: every trading day the store lacks.

    Per code and kind the days wanted are the KRX trading days from `since` (by default
    the code's first stored day of that kind, or `FLOW_DAYS` trading days back; never
    before a known listing day or the source's first day) to the last closed session,
    and only the stretches the store lacks are asked for. A source may answer fewer days
    than asked without saying that more follow (LS t1717 gives the newest 50 rows of any
    period), so the days an answer did not reach are asked for again until all are in or
    a re-ask brings nothing new. A day the answers reached around (a halt) is one the
    source has no row for, not a short answer; so, without `since`, are the days before
    a new code's first row. What came is saved; days still missing fail the run, named,
    with the `--since` whose rerun fetches just them.
    """
    check_since(since, ctx.now())
    src = ctx.source(source)
    targets = _codes(ctx, codes)
    wanted = [FlowKind(k) for k in kinds] if kinds else list(_FLOW_CALLS)
    end = _end_day(ctx, src)
    default_start = trading_days(end - timedelta(days=FLOW_DAYS * 2), end)[-FLOW_DAYS]
    listed = {i.code: i.listed_on for i in ctx.store.list_instruments(limit=MAX_LIMIT)}
    history = getattr(src, "start", None)
    failures: list[str] = []
    rerun_from: date | None = None
    asked = 0
    ctx.progress.start(len(targets) * len(wanted), f"수급 ~{end} ({src.name})")
    try:
        for code in targets:
            for kind in wanted:
                stored = {f.day for f in ctx.store.load_flows(code, kind, start=since, end=end)}
                start = since or (min(stored) if stored else default_start)
                for first in (listed.get(code), history):
                    if first is not None:
                        start = max(start, first)
                days = trading_days(start, end) if start <= end else []
                if any(day not in stored for day in days):
                    fill = _FlowFill(ctx, src, code, kind, days, stored, since is None)
                    try:
                        missing = fill.run()
                    except NotSupported:
                        missing = []
                    except SourceError as exc:
                        _stop_or_record(ctx, code, exc, failures)
                        missing = fill.lacking()[:1]  # only to name the rerun's --since
                    asked += fill.asked
                    gaps = len(fill.lacking()) - len(missing) if fill.done else 0
                    if gaps:
                        ctx.log.info(
                            "%s %s: 출처에 자료가 없는 거래일 %d일 (거래정지 등)",
                            code, kind.value, gaps,
                        )  # fmt: skip
                    if missing:
                        rerun_from = min(rerun_from or missing[0], missing[0])
                    if missing and fill.done:
                        failures.append(f"{code} {kind.value} ({_days_missing(missing)})")
                ctx.progress.advance()
    finally:
        ctx.progress.finish()
    ctx.log.info("수급: 종목 %d개, %s까지, 요청 %d회 (출처 %s)", len(targets), end, asked, src.name)
    hint = (
        f"받은 날은 저장했습니다; `--since {rerun_from}`로 다시 실행하면 빠진 날만 받습니다"
        if rerun_from
        else ""
    )
    _finish(ctx, "수급 수집", failures, hint=hint)


def _days_missing(days: list[date]) -> str:
    """`N일 빠짐: first~last` (or the one day)."""
    span = f"{days[0]}" if len(days) == 1 else f"{days[0]}~{days[-1]}"
    return f"거래일 {len(days)}일 빠짐: {span}"


class _FlowFill:
    """Ask one source for the trading days `days` of one code and kind that `stored` lacks.

    Missing days are asked for in stretches of consecutive trading days, each widened by
    the stored (or received) day on either side, so that an answer reaching both
    neighbours shows the days between them are ones the source has no row for. The days
    of a stretch before the earliest or after the latest day of its answer were not
    reached (a short answer) and are asked for again, as long as the answer brought a
    new day; otherwise they stay missing, except, when `open_start`, the days before the
    first one any answer holds: the code's history at the source begins after them.
    Every answer is saved as it comes.
    """

    def __init__(
        self,
        ctx: JobContext,
        src: object,
        code: str,
        kind: FlowKind,
        days: list[date],
        stored: set[date],
        open_start: bool = False,
    ) -> None:
        self.ctx, self.code, self.kind, self.days = ctx, code, kind, days
        self.open_start = open_start
        self.call = getattr(src, _FLOW_CALLS[kind])
        self.known = set(stored)
        self.asked = 0
        self.done = False

    def lacking(self) -> list[date]:
        """The days neither stored nor received so far, oldest first."""
        return [day for day in self.days if day not in self.known]

    def run(self) -> list[date]:
        """Ask, save, ask again; the days still missing, oldest first."""
        days = self.days
        todo = _runs([i for i, day in enumerate(days) if day not in self.known])
        missing: list[int] = []
        while todo:
            lo, hi = todo.pop()
            reached, brought = self._ask(lo, hi)
            if reached is None:  # not a row: the source has nothing for these days
                missing += range(lo, hi + 1)
                continue
            before = [i for i in range(lo, hi + 1) if days[i] < reached[0]]
            after = [i for i in range(lo, hi + 1) if days[i] > reached[1]]
            for part in (before, after):
                if not part:
                    continue
                if brought:  # a short answer: ask for the rest again
                    todo.append((part[0], part[-1]))
                elif not (self.open_start and part is before and part[0] == 0):
                    missing += part
        self.done = True
        return [days[i] for i in sorted(missing)]

    def _ask(self, lo: int, hi: int) -> tuple[tuple[date, date] | None, bool]:
        """Ask for days[lo..hi], widened by a known neighbour on each side, and save what
        is new; the first and last day the answer holds, and whether it brought a day of
        the stretch."""
        days, known = self.days, self.known
        first = lo - 1 if lo > 0 and days[lo - 1] in known else lo
        last = hi + 1 if hi + 1 < len(days) and days[hi + 1] in known else hi
        self.asked += 1
        rows = [
            r for r in self.call(self.code, days[first], days[last])
            if days[first] <= r.day <= days[last]
        ]  # fmt: skip
        new = list({r.day: r for r in rows if r.day not in known}.values())
        if new:
            result = self.ctx.store.save_flows(new)
            self.ctx.count(f"flows_{self.kind.value}", result.inserted + result.updated)
            known.update(r.day for r in new)
        if not rows:
            return None, False
        came = {r.day for r in new}
        brought = any(days[i] in came for i in range(lo, hi + 1))
        return (min(r.day for r in rows), max(r.day for r in rows)), brought


def _runs(indices: list[int]) -> list[tuple[int, int]]:
    """Consecutive indices grouped into (first, last) runs."""
    out: list[tuple[int, int]] = []
    for i in indices:
        if out and out[-1][1] == i - 1:
            out[-1] = (out[-1][0], i)
        else:
            out.append((i, i))
    return out
