"""The market-data protocol every source implements, and the errors they raise.

Sources translate the outside world into records and never save them: the collectors
in `stocklab.jobs` do that. Every error says what the user can do about it (`hint`),
because a collector runs unattended and its run history is what a person reads later.

Flow rows (`model.Flow.values`) use these names, with the unit in the suffix
(`_qty` shares, `_krw` won, `_bp` basis points of a percent):

- investor (`FlowKind.INVESTOR`): `<group>_net_qty` for each group in `INVESTOR_GROUPS`;
  sources fill the groups they report (at least individual, foreign, institution);
- credit (`FlowKind.CREDIT`, margin loans 융자): `new_qty`, `repaid_qty`, `balance_qty`,
  `balance_krw`, `supply_rate_bp` (공여율), `balance_rate_bp` (잔고율);
- short selling (`FlowKind.SHORT`): `short_qty`, `short_krw`, `short_share_bp`
  (share of the day's volume), `short_avg_price`, `volume`.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol, runtime_checkable

from stocklab.barseries import BarSeries
from stocklab.errors import (  # noqa: F401 — the sources' errors, re-exported
    AuthError,
    BadResponse,
    NotSupported,
    RateLimited,
    SourceError,
    SourceUnavailable,
    UnknownCode,
)
from stocklab.model import Flow, Instrument, Market, Quote

INVESTOR_GROUPS = (
    "individual",  # 개인
    "foreign",  # 외국인 합계 (등록 + 미등록)
    "institution",  # 기관 합계
    "other_corp",  # 기타법인
    "securities",  # 금융투자 (증권)
    "insurance",  # 보험
    "investment_trust",  # 투신
    "bank",  # 은행
    "merchant_bank",  # 종금·기타금융
    "pension_fund",  # 연기금
    "private_equity",  # 사모펀드
    "nation",  # 국가·지자체
    "foreign_registered",  # 등록외국인
    "foreign_unregistered",  # 미등록외국인
    "other",  # 기타계
)

CREDIT_KEYS = (
    "new_qty",
    "repaid_qty",
    "balance_qty",
    "balance_krw",
    "supply_rate_bp",
    "balance_rate_bp",
)
SHORT_KEYS = ("short_qty", "short_krw", "short_share_bp", "short_avg_price", "volume")


@runtime_checkable
class MarketData(Protocol):
    """What a market-data source offers. Unsupported calls raise `NotSupported`.

    Daily bars are keyed by KRX trading date (00:00 KST); a source never returns a bar
    for a session that has not closed. Minute bars carry the minute's start time.
    """

    name: str

    def instruments(self, market: Market | None = None) -> list[Instrument]: ...

    def daily_bars(self, code: str, start: date, end: date) -> BarSeries: ...

    def market_daily(self, day: date) -> BarSeries:
        """Every code's daily bar for one trading day, where the source can do it in bulk."""
        ...

    def minute_bars(self, code: str, day: date) -> BarSeries: ...

    def quote(self, code: str) -> Quote: ...

    def investor_flows(self, code: str, start: date, end: date) -> list[Flow]: ...

    def credit_balance(self, code: str, start: date, end: date) -> list[Flow]: ...

    def short_selling(self, code: str, start: date, end: date) -> list[Flow]: ...

    def close(self) -> None: ...


def not_supported(source: str, what: str) -> NotSupported:
    """The error for an operation a source lacks, naming sources that have it."""
    return NotSupported(
        f"{source}는 {what}를 제공하지 않습니다",
        hint="--source sim 또는 ls를 쓰세요",
        source=source,
    )
