"""What LS's `rsp_cd` values mean: one table for market data now and for orders later.

Success is not `00000` alone: account queries answer `00136`, a buy `00040`, a cancel
`00156`. Every documented success starts with `00`, which is the rule queries use; an
order must also match its expected family (and carry `OrdNo > 0`), which is why the
families are named here. Codes starting with `IGW` come from LS's API gateway, before
any TR runs. Source: the LS fact sheet, section 1.4.
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType
from typing import Any

import httpx

from stocklab.agent.base import BadResponse


class Outcome(StrEnum):
    """The family a success code belongs to."""

    QUERY_DONE = "query_done"  # 조회 완료, including an empty result
    QUERY_MORE = "query_more"  # account query with more pages
    QUERY_EMPTY = "query_empty"  # account query without rows
    BUY_ACCEPTED = "buy_accepted"
    SELL_ACCEPTED = "sell_accepted"
    MODIFY_ACCEPTED = "modify_accepted"
    CANCEL_ACCEPTED = "cancel_accepted"


SUCCESS_CODES: MappingProxyType[str, Outcome] = MappingProxyType(
    {
        "00000": Outcome.QUERY_DONE,  # t-TR 조회 완료 / 해당자료가 없습니다
        "00136": Outcome.QUERY_DONE,  # CSPAQ*, CIDBQ*, CFOAQ* 조회 완료 (모의투자 포함)
        "00133": Outcome.QUERY_MORE,  # 조회가 계속 됩니다
        "00200": Outcome.QUERY_EMPTY,  # 조회내역이 없습니다
        "00040": Outcome.BUY_ACCEPTED,  # CSPAT00601 매수 주문 완료
        "00039": Outcome.SELL_ACCEPTED,  # CSPAT00601 매도 주문 완료 [3P]
        "00132": Outcome.MODIFY_ACCEPTED,  # 정정주문 완료 (futures; stock unconfirmed)
        "00131": Outcome.MODIFY_ACCEPTED,
        "00156": Outcome.CANCEL_ACCEPTED,  # CSPAT00801 취소주문 완료
    }
)

NOT_IN_PAPER = "01900"
"""모의투자에서는 해당업무가 제공되지 않습니다."""

RATE_LIMITED = "IGW00201"
"""호출 거래건수를 초과하였습니다 (arrives with HTTP 500)."""
TOKEN_EXPIRED = "IGW00121"
"""The token is invalid or expired: re-issue once and retry once."""
AUTH_REFUSED = frozenset({"IGW00001", "IGW00103", "IGW00105"})
"""권한 없음, invalid appkey, invalid appsecret: a new token will not help."""


def is_success(rsp_cd: str) -> bool:
    """The query rule: every documented success code starts with `00`."""
    return rsp_cd.startswith("00")


def read_answer(response: httpx.Response) -> tuple[dict[str, Any] | None, str]:
    """The JSON object of an answer (None if it is not one) and its `rsp_cd` ("" if none).

    LS sends gateway errors such as IGW00201 with HTTP 500, so the body is read whatever
    the status, and the code decides before the status does.
    """
    try:
        body = response.json()
    except ValueError:
        return None, ""
    if not isinstance(body, dict):
        return None, ""
    return body, str(body.get("rsp_cd", "")).strip()


class TrRefused(BadResponse):
    """LS answered a TR with a documented refusal code (not a gateway error)."""

    def __init__(self, tr_cd: str, rsp_cd: str, rsp_msg: str) -> None:
        super().__init__(
            f"LS증권이 {tr_cd} 요청을 거절했습니다: [{rsp_cd}] {rsp_msg}",
            hint="요청 값(종목코드·기간)을 확인하고, 계속되면 LS증권 OPEN API 공지를 확인하세요",
            source="ls",
        )
        self.tr_cd = tr_cd
        self.rsp_cd = rsp_cd
        self.rsp_msg = rsp_msg
