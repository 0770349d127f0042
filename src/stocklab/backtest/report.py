"""Reports a person can open: an HTML page with PNG charts beside it, and a JSON export.

A backtest's files live in `<home>/backtests/<id>/`: `report.html`, `chart/*.png` and
`result.json` (the stored record). The page links its charts and the JSON by relative
paths, so the folder opens as it is from disk and the API serves the same names under
`/api/backtests/<id>/`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from stocklab.analysis.indicators import compute
from stocklab.barseries import BarSeries
from stocklab.model import BacktestResult

if TYPE_CHECKING:
    from stocklab.analysis.plots import Marks

REPORT = "report.html"
RESULT = "result.json"
CHARTS = "chart"
EQUITY_CHART = "equity"
MAX_PRICE_CHARTS = 6
"""Price charts drawn (codes with the most trades first)."""
MAX_TRADE_ROWS = 500
TRADE_HEAD = ["종목", "진입", "청산", "수량", "매수가", "매도가", "비용", "손익", "사유"]


def trade_cells(t: dict[str, Any]) -> list[str]:
    """One trade as the report's and the CLI's tables show it (columns of TRADE_HEAD)."""
    return [
        t["code"],
        t["entry_at"],
        t["exit_at"] or "보유 중",
        f"{t['qty']:,}",
        f"{t['entry_price']:,}",
        f"{t['exit_price']:,}" if t["exit_price"] is not None else "-",
        f"{t['commission'] + t['tax']:,}",
        f"{t['pnl']:,}",
        t["reason"],
    ]


_KST_OFFSET = 9 * 3600

STAT_LABELS: dict[str, str] = {
    "initial_equity": "시작 자산",
    "final_equity": "최종 자산",
    "total_return": "총수익률",
    "annual_return": "연환산 수익률",
    "volatility": "변동성 (연)",
    "sharpe": "샤프 비율",
    "sortino": "소르티노 비율",
    "max_drawdown": "최대 낙폭",
    "max_drawdown_duration": "최장 낙폭 기간 (거래일)",
    "trades": "거래 수 (청산)",
    "win_rate": "승률",
    "profit_factor": "손익비 (이익/손실)",
    "avg_trade_pnl": "거래당 평균 손익",
    "exposure": "평균 투자 비중",
    "turnover": "회전율 (거래대금/평균 자산)",
    "commission": "수수료",
    "tax": "거래세",
    "costs": "비용 합계",
    "open_positions": "끝에 보유 중인 종목",
    "codes": "종목 수",
    "bars": "봉 수",
}
_PERCENT = {"total_return", "annual_return", "volatility", "max_drawdown", "win_rate", "exposure"}
_KRW = {"initial_equity", "final_equity", "avg_trade_pnl", "commission", "tax", "costs"}


def format_stat(key: str, value: float | int | None) -> str:
    """A statistic as a person reads it: percentages, won with separators, two decimals."""
    if value is None:
        return "-"
    if key in _PERCENT:
        return f"{value * 100:,.2f}%"
    if key in _KRW:
        return f"{value:,}원"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.2f}"


def report_dir(home: Path, backtest_id: str) -> Path:
    return home / "backtests" / backtest_id


def export_json(record: BacktestResult, path: Path) -> Path:
    """The record as JSON (UTF-8, Korean kept readable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(record.model_dump_json(indent=1), encoding="utf-8")
    return path


def overlay_names(strategy: str, params: Mapping[str, Any]) -> list[str]:
    """What to draw over the price: the averages the strategy itself compares, else sma20."""
    own = params.get("strategy", {})
    if strategy == "sma_cross" and {"fast", "slow"} <= set(own):
        return [f"sma{own['fast']}", f"sma{own['slow']}"]
    return ["sma20"]


def _kst(ts: np.ndarray) -> np.ndarray:
    return (np.asarray(ts, dtype=np.int64) + _KST_OFFSET).astype("datetime64[s]")


def _when(stamp: str) -> np.datetime64:
    return np.datetime64(datetime.fromisoformat(stamp).replace(tzinfo=None), "s")


def _marks(rows: list[dict[str, Any]], at: str, price: str) -> Marks:
    from stocklab.analysis.plots import Marks

    done = [r for r in rows if r[at] is not None]
    return Marks(
        np.array([_when(r[at]) for r in done], dtype="datetime64[s]"),
        np.array([r[price] for r in done], dtype=np.int64),
    )


def write_charts(record: BacktestResult, folder: Path, bars: Mapping[str, BarSeries]) -> list[str]:
    """The equity chart and price charts of the busiest codes; returns their names."""
    from stocklab.analysis.plots import equity_chart, price_chart

    out = folder / CHARTS
    out.mkdir(parents=True, exist_ok=True)
    days = np.array([d for d, _ in record.equity], dtype="datetime64[D]")
    values = np.array([v for _, v in record.equity], dtype=np.int64)
    title = f"{record.strategy} {record.backtest_id}"
    (out / f"{EQUITY_CHART}.png").write_bytes(equity_chart(days, values, title=title))
    names = [EQUITY_CHART]
    by_code: dict[str, list[dict[str, Any]]] = {}
    for t in record.trades:
        by_code.setdefault(t["code"], []).append(t)
    busiest = sorted(
        (c for c in record.codes if c in bars and len(bars[c])),
        key=lambda c: -len(by_code.get(c, [])),
    )
    overlays = overlay_names(record.strategy, record.params)
    for code in busiest[:MAX_PRICE_CHARTS]:
        s = bars[code]
        rows = by_code.get(code, [])
        png = price_chart(
            _kst(s.ts),
            s.close,
            volume=s.volume,
            overlays=compute(overlays, s.high, s.low, s.close, s.volume),
            buys=_marks(rows, "entry_at", "entry_price"),
            sells=_marks(rows, "exit_at", "exit_price"),
            title=f"{code} - {record.strategy}",
        )
        (out / f"price-{code}.png").write_bytes(png)
        names.append(f"price-{code}")
    return names


def _table(head: list[str], rows: list[list[str]], numeric_from: int = 1) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="{"n" if i >= numeric_from else ""}">{html.escape(v)}</td>'
            for i, v in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _per_code(record: BacktestResult) -> list[list[str]]:
    rows = []
    for code in record.codes:
        mine = [t for t in record.trades if t["code"] == code]
        closed = [t for t in mine if t["exit_at"] is not None]
        wins = sum(t["pnl"] > 0 for t in closed)
        rows.append(
            [
                code,
                f"{len(closed):,}",
                f"{wins / len(closed) * 100:.1f}%" if closed else "-",
                f"{sum(t['pnl'] for t in mine):,}원",
                f"{sum(t['commission'] + t['tax'] for t in mine):,}원",
            ]
        )
    return rows


_STYLE = """
body{font-family:system-ui,'Noto Sans KR','Apple SD Gothic Neo',sans-serif;margin:2rem;
color:#222;max-width:72rem}
h1 small{font-size:.55em;color:#777;font-weight:normal}
table{border-collapse:collapse;margin:.5rem 0 1.5rem;font-size:.9rem}
th,td{border-bottom:1px solid #ddd;padding:.25rem .6rem;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
img{max-width:100%;border:1px solid #eee;margin:.5rem 0}
.note{color:#666;font-size:.85rem}
"""


def render_html(record: BacktestResult, charts: list[str]) -> str:
    p = record.params
    model = "공유 자금 (한 계좌)" if p.get("shared_cash") else "종목별 계좌"
    cash = p.get("cash")
    summary = (
        f"{record.start} ~ {record.end} · 종목 {len(record.codes):,}개 · {model} · "
        f"시작 자금 {cash:,}원"
        + (" (계좌마다)" if not p.get("shared_cash") else "")
        + f" · 수수료율 {p.get('commission_rate')} · 거래량 참여율 {p.get('participation')}"
    )
    stats = [
        [label, format_stat(key, record.stats.get(key))]
        for key, label in STAT_LABELS.items()
        if key in record.stats
    ]
    params = ", ".join(f"{k}={v}" for k, v in p.get("strategy", {}).items()) or "기본값"
    shown = record.trades[:MAX_TRADE_ROWS]
    trade_rows = [trade_cells(t) for t in shown]
    more = (
        f'<p class="note">거래 {len(record.trades):,}건 중 처음 {MAX_TRADE_ROWS}건만 보입니다; '
        f'전부는 <a href="{RESULT}">{RESULT}</a>에 있습니다.</p>'
        if len(record.trades) > MAX_TRADE_ROWS
        else ""
    )
    prices = "".join(
        f'<img src="{CHARTS}/{name}.png" alt="{html.escape(name)}">'
        for name in charts
        if name != EQUITY_CHART
    )
    title = f"백테스트 {record.strategy} {record.backtest_id}"
    return f"""<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{_STYLE}</style></head><body>
<h1>백테스트 {html.escape(record.strategy)} <small>{html.escape(record.backtest_id)}</small></h1>
<p>{html.escape(summary)}</p>
<p>전략 인자: {html.escape(params)} · 만든 때 {record.created_at:%Y-%m-%d %H:%M:%S %Z}</p>
<h2>성과</h2>
{_table(["지표", "값"], stats)}
<h2>자산과 낙폭</h2>
<img src="{CHARTS}/{EQUITY_CHART}.png" alt="equity and drawdown">
<h2>종목별</h2>
{_table(["종목", "거래 수", "승률", "손익", "비용"], _per_code(record))}
<h2>가격과 매매 (▲ 매수, ▼ 매도)</h2>
{prices or '<p class="note">가격 차트 없음</p>'}
<h2>거래</h2>
{_table(TRADE_HEAD, trade_rows, 3)}
{more}
<p class="note">JSON: <a href="{RESULT}">{RESULT}</a> · 신호는 다음 봉 시가에 체결, 익절·손절은
지정가·역지정가로 다음 봉부터; 수수료·거래세(결제일 기준 세율)는 원 단위 내림.</p>
</body></html>
"""


def write_report(
    record: BacktestResult, folder: Path, bars: Mapping[str, BarSeries] | None = None
) -> Path:
    """Charts, the page and the JSON export into `folder`; returns the page's path.

    Without `bars` (the prices) only the equity chart can be drawn.
    """
    charts = write_charts(record, folder, bars or {})
    export_json(record, folder / RESULT)
    page = folder / REPORT
    page.write_text(render_html(record, charts), encoding="utf-8")
    return page
