"""The order lifecycle table allows exactly the moves it lists."""

from __future__ import annotations

import pytest

from stocklab.model import OrderStatus as S
from stocklab.trading.lifecycle import TRANSITIONS, IllegalTransition, advance, from_broker


@pytest.mark.parametrize(
    ("path"),
    [
        [S.NEW, S.SUBMITTED, S.ACCEPTED, S.PARTIALLY_FILLED, S.FILLED],
        [S.NEW, S.SUBMITTED, S.REJECTED],
        [S.NEW, S.SUBMITTED, S.ACCEPTED, S.CANCEL_REQUESTED, S.CANCELLED],
        [S.NEW, S.SUBMITTED, S.ACCEPTED, S.CANCEL_REQUESTED, S.FILLED],  # cancel came too late
        [S.NEW, S.SUBMITTED, S.ACCEPTED, S.EXPIRED],
        [S.NEW, S.CANCELLED],
        [S.ACCEPTED, S.CANCEL_REQUESTED, S.CANCELLED, S.FILLED],  # all filled, reported late
        [S.ACCEPTED, S.PARTIALLY_FILLED, S.MODIFY_REQUESTED, S.REPLACED],
        [S.ACCEPTED, S.MODIFY_REQUESTED, S.ACCEPTED],  # the modify was refused
        [S.ACCEPTED, S.REPLACED],  # modified in the broker's own app
    ],
)
def test_real_paths_are_allowed(path: list[S]) -> None:
    status = path[0]
    for nxt in path[1:]:
        status = advance(status, nxt)
    assert status is path[-1]


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.FILLED, S.CANCELLED),
        (S.CANCELLED, S.ACCEPTED),
        (S.REJECTED, S.SUBMITTED),
        (S.EXPIRED, S.ACCEPTED),
        (S.CANCELLED, S.PARTIALLY_FILLED),
        (S.REPLACED, S.ACCEPTED),
        (S.NEW, S.MODIFY_REQUESTED),
        (S.NEW, S.FILLED),
        (S.ACCEPTED, S.SUBMITTED),
    ],
)
def test_impossible_moves_are_refused(current: S, target: S) -> None:
    with pytest.raises(IllegalTransition, match=current.value):
        advance(current, target)


def test_final_states_are_final_and_every_status_is_in_the_table() -> None:
    assert set(TRANSITIONS) == set(S)
    for final in (S.FILLED, S.REJECTED, S.REPLACED):
        assert TRANSITIONS[final] == frozenset()
    for ended in (S.CANCELLED, S.EXPIRED):  # only a late fill report moves them, to filled
        assert TRANSITIONS[ended] == frozenset({S.FILLED})
    for final in (S.FILLED, S.CANCELLED, S.REJECTED, S.EXPIRED, S.REPLACED):
        assert not final.is_open
    assert from_broker("partially_filled") is S.PARTIALLY_FILLED
    with pytest.raises(ValueError, match="브로커"):
        from_broker("접수")
