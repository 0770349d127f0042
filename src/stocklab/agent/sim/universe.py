"""The simulated market's instruments: a seeded, stable list of KOSPI and KOSDAQ names.

A handful of well-known listings keep their real codes and names, so a user searching
"삼성" finds what they expect; the rest are generated from Korean name parts. The same
seed and size always give the same universe, in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from stocklab.model import Instrument, Market, SecurityKind

SOURCE = "sim"

# (code, name, market, kind, a plausible starting price in KRW)
_KNOWN: tuple[tuple[str, str, Market, SecurityKind, int], ...] = (
    ("005930", "삼성전자", Market.KOSPI, SecurityKind.STOCK, 38_750),
    ("005935", "삼성전자우", Market.KOSPI, SecurityKind.STOCK, 31_200),
    ("000660", "SK하이닉스", Market.KOSPI, SecurityKind.STOCK, 60_500),
    ("207940", "삼성바이오로직스", Market.KOSPI, SecurityKind.STOCK, 365_000),
    ("005380", "현대차", Market.KOSPI, SecurityKind.STOCK, 121_500),
    ("000270", "기아", Market.KOSPI, SecurityKind.STOCK, 32_000),
    ("068270", "셀트리온", Market.KOSPI, SecurityKind.STOCK, 175_000),
    ("005490", "POSCO홀딩스", Market.KOSPI, SecurityKind.STOCK, 246_000),
    ("035420", "NAVER", Market.KOSPI, SecurityKind.STOCK, 142_000),
    ("051910", "LG화학", Market.KOSPI, SecurityKind.STOCK, 337_000),
    ("006400", "삼성SDI", Market.KOSPI, SecurityKind.STOCK, 218_000),
    ("035720", "카카오", Market.KOSPI, SecurityKind.STOCK, 23_500),
    ("105560", "KB금융", Market.KOSPI, SecurityKind.STOCK, 42_100),
    ("055550", "신한지주", Market.KOSPI, SecurityKind.STOCK, 35_600),
    ("012330", "현대모비스", Market.KOSPI, SecurityKind.STOCK, 183_000),
    ("028260", "삼성물산", Market.KOSPI, SecurityKind.STOCK, 101_000),
    ("066570", "LG전자", Market.KOSPI, SecurityKind.STOCK, 68_200),
    ("017670", "SK텔레콤", Market.KOSPI, SecurityKind.STOCK, 42_800),
    ("030200", "KT", Market.KOSPI, SecurityKind.STOCK, 26_950),
    ("015760", "한국전력", Market.KOSPI, SecurityKind.STOCK, 35_250),
    ("034730", "SK", Market.KOSPI, SecurityKind.STOCK, 235_000),
    ("009150", "삼성전기", Market.KOSPI, SecurityKind.STOCK, 91_000),
    ("011200", "HMM", Market.KOSPI, SecurityKind.STOCK, 3_210),
    ("086790", "하나금융지주", Market.KOSPI, SecurityKind.STOCK, 36_900),
    ("00088K", "한화3우B", Market.KOSPI, SecurityKind.STOCK, 18_300),
    ("247540", "에코프로비엠", Market.KOSDAQ, SecurityKind.STOCK, 43_000),
    ("086520", "에코프로", Market.KOSDAQ, SecurityKind.STOCK, 24_500),
    ("196170", "알테오젠", Market.KOSDAQ, SecurityKind.STOCK, 24_800),
    ("028300", "HLB", Market.KOSDAQ, SecurityKind.STOCK, 31_200),
    ("263750", "펄어비스", Market.KOSDAQ, SecurityKind.STOCK, 166_000),
    ("293490", "카카오게임즈", Market.KOSDAQ, SecurityKind.STOCK, 28_000),
    ("035900", "JYP Ent.", Market.KOSDAQ, SecurityKind.STOCK, 23_600),
    ("041510", "에스엠", Market.KOSDAQ, SecurityKind.STOCK, 37_300),
    ("058470", "리노공업", Market.KOSDAQ, SecurityKind.STOCK, 56_200),
    ("039030", "이오테크닉스", Market.KOSDAQ, SecurityKind.STOCK, 69_900),
    ("069500", "KODEX 200", Market.KOSPI, SecurityKind.ETF, 27_565),
    ("229200", "KODEX 코스닥150", Market.KOSPI, SecurityKind.ETF, 13_005),
)

_FIRST = (
    "대한", "한국", "동방", "서울", "세진", "한빛", "대성", "삼화", "동양", "신성",
    "우리", "미래", "태양", "금호", "일진", "대원", "한일", "성우", "유니", "코리아",
    "누리", "청담", "광명", "대림", "국제", "제일", "동화", "삼진", "부산", "경남",
)  # fmt: skip
_MIDDLE = ("", "글로벌", "첨단", "신", "에스", "케이")
_LAST = (
    "전자", "화학", "제약", "바이오", "건설", "철강", "식품", "기계", "반도체", "에너지",
    "소재", "통신", "물산", "산업", "테크", "시스템", "정밀", "중공업", "금속", "로직스",
    "엔터", "게임즈", "헬스케어", "모빌리티", "디스플레이",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Universe:
    """Instruments plus the per-code parameters that drive their prices."""

    instruments: tuple[Instrument, ...]
    base_price: np.ndarray  # int64, KRW on the first simulated day
    volatility: np.ndarray  # float64, daily standard deviation of returns
    drift: np.ndarray  # float64, daily mean return
    liquidity: np.ndarray  # float64, typical daily volume in shares

    def index(self) -> dict[str, int]:
        return {inst.code: i for i, inst in enumerate(self.instruments)}


def build_universe(size: int, seed: int) -> Universe:
    """`size` instruments (at least the well-known ones), deterministic in `seed`."""
    rng = np.random.default_rng([seed, 1])
    known_codes = {k[0] for k in _KNOWN}
    names = [f + m + last for f in _FIRST for m in _MIDDLE for last in _LAST]
    known_names = {k[1] for k in _KNOWN}
    names = [n for n in names if n not in known_names]
    extra = max(size - len(_KNOWN), 0)
    if extra > len(names):
        raise ValueError(f"모의 종목은 최대 {len(names) + len(_KNOWN):,}개까지 만들 수 있습니다")
    picked = rng.choice(len(names), size=extra, replace=False)
    pool = rng.choice(np.arange(1_000, 999_990, 5), size=extra * 2, replace=False)
    codes = [c for c in (f"{int(x):06d}" for x in pool) if c not in known_codes][:extra]
    markets = rng.random(extra) < 0.4
    instruments = [
        Instrument(code=c, name=n, market=m, kind=k, listed_on=date(2000, 1, 4), source=SOURCE)
        for c, n, m, k, _ in _KNOWN[:size]
    ]
    instruments += [
        Instrument(
            code=code,
            name=names[int(i)],
            market=Market.KOSPI if kospi else Market.KOSDAQ,
            listed_on=date(1995 + int(rng.integers(0, 24)), 1 + int(rng.integers(0, 12)), 1),
            source=SOURCE,
        )
        for code, i, kospi in zip(codes, picked, markets, strict=True)
    ]
    n = len(instruments)
    base = np.exp(rng.uniform(np.log(1_200), np.log(250_000), size=n)).astype(np.int64)
    for i, known in enumerate(_KNOWN[:size]):
        base[i] = known[4]
    vol = rng.uniform(0.01, 0.03, size=n)
    drift = rng.normal(0.0001, 0.0002, size=n)
    vol[: min(size, len(_KNOWN))] = rng.uniform(0.012, 0.02, size=min(size, len(_KNOWN)))
    # Cheaper shares trade in larger numbers; about 1–30 billion KRW a day.
    liquidity = np.exp(rng.uniform(np.log(1e9), np.log(3e10), size=n)) / base
    is_fund = np.array([inst.kind is SecurityKind.ETF for inst in instruments])
    vol[is_fund] = 0.01
    return Universe(tuple(instruments), base, vol, drift, liquidity)
