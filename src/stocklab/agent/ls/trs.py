"""The TRs stocklab calls: path, per-second limit and continuation cursor of each.

Limits are the portal's "초당 전송 건수" (fact sheet section 1.6), personal and corporate
accounts apart. A TR missing here gets one call per second, the lowest published limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class Tr:
    code: str
    path: str
    personal: int
    corporate: int
    cursors: tuple[str, ...] = ()
    """Out-block fields copied into the in-block on a continued query."""

    def per_second(self, corporate: bool) -> int:
        return self.corporate if corporate else self.personal


_ALL = (
    # market data
    Tr("t8436", "/stock/etc", 2, 5),
    Tr("t8410", "/stock/chart", 1, 3, ("cts_date",)),
    Tr("t8412", "/stock/chart", 1, 3, ("cts_date", "cts_time")),
    Tr("t1305", "/stock/market-data", 1, 3, ("date",)),
    Tr("t1101", "/stock/market-data", 10, 5),
    Tr("t1102", "/stock/market-data", 10, 5),
    Tr("t8407", "/stock/market-data", 5, 3),
    Tr("t1717", "/stock/frgr-itt", 1, 3),
    Tr("t1921", "/stock/etc", 1, 3, ("date",)),
    Tr("t1927", "/stock/etc", 1, 3, ("date",)),
    # account and orders (the broker's)
    Tr("CSPAT00601", "/stock/order", 10, 10),
    Tr("CSPAT00701", "/stock/order", 3, 3),
    Tr("CSPAT00801", "/stock/order", 3, 3),
    Tr("t0425", "/stock/accno", 1, 10, ("cts_ordno",)),  # personal: 2, one client says 1
    Tr("t0424", "/stock/accno", 2, 10),
    Tr("CSPAQ12200", "/stock/accno", 1, 1),
    Tr("CSPAQ12300", "/stock/accno", 1, 10),
)

TRS: MappingProxyType[str, Tr] = MappingProxyType({tr.code: tr for tr in _ALL})

DEFAULT_PER_SECOND = 1


def per_second(tr_cd: str, corporate: bool) -> int:
    """The call limit of a TR for this kind of account."""
    tr = TRS.get(tr_cd)
    return tr.per_second(corporate) if tr else DEFAULT_PER_SECOND
