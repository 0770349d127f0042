"""Daily investor flows, margin balances and short selling for simulated codes.

Each code and kind draws from its own seeded stream, one row of draws per trading day
since the simulator's first day (callers pass every day from there, and `keep`, the days
they want records of: the draws are cheap, the records are not), so a day's numbers never
change when a longer range is asked for. They are shaped like the
real ones: investor net buying sums to zero across groups, the margin balance moves by
new loans minus repayments, and short volume is a small share of the day's volume.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from stocklab.model import Flow, FlowKind

SOURCE = "sim"


def investor_rows(
    code: str, days: list[date], volume: np.ndarray, rng: np.random.Generator, keep: slice
) -> list[Flow]:
    draws = rng.normal(0, 0.06, size=(len(days), 3))
    foreign, institution, other_corp = (
        np.rint(draws[:, j] * volume).astype(np.int64) for j in range(3)
    )
    other_corp //= 4
    individual = -(foreign + institution + other_corp)
    return [
        Flow(
            code=code,
            day=days[i],
            kind=FlowKind.INVESTOR,
            values={
                "individual_net_qty": int(individual[i]),
                "foreign_net_qty": int(foreign[i]),
                "institution_net_qty": int(institution[i]),
                "other_corp_net_qty": int(other_corp[i]),
            },
            source=SOURCE,
        )
        for i in range(len(days))[keep]
    ]


def credit_rows(
    code: str,
    days: list[date],
    volume: np.ndarray,
    close: np.ndarray,
    float_shares: float,
    rng: np.random.Generator,
    keep: slice,
) -> list[Flow]:
    start = int(float_shares * rng.uniform(0.002, 0.02))
    draws = rng.uniform(0.0, 0.04, size=(len(days), 2))
    new = np.rint(volume * draws[:, 0]).astype(np.int64)
    wanted = np.rint(volume * draws[:, 1]).astype(np.int64)
    repaid = np.empty_like(new)
    balance = np.empty_like(new)
    held = start
    for i in range(len(days)):  # repayments never exceed what is lent out
        repaid[i] = min(int(wanted[i]), held + int(new[i]))
        held += int(new[i]) - int(repaid[i])
        balance[i] = held
    return [
        Flow(
            code=code,
            day=days[i],
            kind=FlowKind.CREDIT,
            values={
                "new_qty": int(new[i]),
                "repaid_qty": int(repaid[i]),
                "balance_qty": int(balance[i]),
                "balance_krw": int(balance[i]) * int(close[i]),
                "supply_rate_bp": int(new[i] * 10_000 // max(int(volume[i]), 1)),
                "balance_rate_bp": int(balance[i] * 10_000 // max(int(float_shares), 1)),
            },
            source=SOURCE,
        )
        for i in range(len(days))[keep]
    ]


def short_rows(
    code: str,
    days: list[date],
    volume: np.ndarray,
    close: np.ndarray,
    rng: np.random.Generator,
    keep: slice,
) -> list[Flow]:
    short = np.rint(volume * rng.uniform(0.0, 0.08, size=len(days))).astype(np.int64)
    return [
        Flow(
            code=code,
            day=days[i],
            kind=FlowKind.SHORT,
            values={
                "short_qty": int(short[i]),
                "short_krw": int(short[i]) * int(close[i]),
                "short_share_bp": int(short[i] * 10_000 // max(int(volume[i]), 1)),
                "short_avg_price": int(close[i]),
                "volume": int(volume[i]),
            },
            source=SOURCE,
        )
        for i in range(len(days))[keep]
    ]
