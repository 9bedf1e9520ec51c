"""Every state machine: each legal move passes, every other move is refused with a clear error."""

from __future__ import annotations

from enum import StrEnum
from itertools import product
from typing import Any

import pytest

from connector.errors import IllegalTransition
from connector.model import (
    AgreementStatus,
    IntroductionStatus,
    LadderStage,
    MembershipStatus,
    PartnerStage,
    ReferralStatus,
)
from connector.rules import (
    AGREEMENT,
    INTRODUCTION,
    LADDER,
    MEMBERSHIP,
    PARTNER_PIPELINE,
    REFERRAL,
    StateMachine,
)

# The legal moves, written out independently of the implementation's tables.
EXPECTED: list[tuple[StateMachine[Any], type[StrEnum], set[tuple[str, str]]]] = [
    (
        REFERRAL,
        ReferralStatus,
        {
            ("open", "contacted"), ("open", "qualified"), ("open", "won"), ("open", "lost"),
            ("contacted", "qualified"), ("contacted", "won"), ("contacted", "lost"),
            ("qualified", "won"), ("qualified", "lost"),
        },
    ),
    (
        PARTNER_PIPELINE,
        PartnerStage,
        {
            ("analysis", "profile"), ("profile", "contact"), ("contact", "agreement"),
            ("agreement", "optimisation"), ("agreement", "contact"), ("optimisation", "agreement"),
            ("analysis", "dropped"), ("profile", "dropped"), ("contact", "dropped"),
            ("agreement", "dropped"), ("optimisation", "dropped"),
        },
    ),
    (
        AGREEMENT,
        AgreementStatus,
        {
            ("draft", "proposed"), ("draft", "failed"), ("proposed", "signed"),
            ("proposed", "failed"), ("proposed", "draft"), ("signed", "ended"),
        },
    ),
    (
        MEMBERSHIP,
        MembershipStatus,
        {
            ("invited", "trial"), ("invited", "left"), ("trial", "member"), ("trial", "left"),
            ("member", "paused"), ("member", "left"), ("paused", "member"), ("paused", "left"),
            ("invited", "declined"), ("declined", "invited"),
        },
    ),
    (
        INTRODUCTION,
        IntroductionStatus,
        {("suggested", "made"), ("suggested", "dismissed"), ("made", "business_done")},
    ),
    (
        LADDER,
        LadderStage,
        {
            ("customer", "referrer"), ("referrer", "partner"),
            ("partner", "referrer"), ("referrer", "customer"),
        },
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("machine", "states", "legal"), EXPECTED, ids=lambda x: getattr(x, "kind", "")
)
def test_every_pair_of_states_is_legal_exactly_when_expected(
    machine: StateMachine[Any], states: type[StrEnum], legal: set[tuple[str, str]]
) -> None:
    for current, requested in product(states, states):
        pair = (current.value, requested.value)
        if pair in legal:
            machine.check("rec-1", current, requested)
        else:
            with pytest.raises(IllegalTransition) as caught:
                machine.check("rec-1", current, requested)
            assert caught.value.current == current.value
            assert caught.value.requested == requested.value


def test_illegal_move_names_record_current_and_requested_state() -> None:
    with pytest.raises(IllegalTransition) as caught:
        REFERRAL.check("ref-42", ReferralStatus.WON, ReferralStatus.OPEN)
    message = str(caught.value)
    assert "referral 'ref-42'" in message
    assert "'won'" in message and "'open'" in message
    assert "final state" in message
    assert caught.value.exit_code == 5


def test_the_error_lists_what_is_allowed_instead() -> None:
    with pytest.raises(IllegalTransition) as caught:
        PARTNER_PIPELINE.check("p-1", PartnerStage.ANALYSIS, PartnerStage.AGREEMENT)
    assert caught.value.allowed == ["dropped", "profile"]


def test_ladder_never_skips_a_rung() -> None:
    with pytest.raises(IllegalTransition):
        LADDER.check("m-1", LadderStage.CUSTOMER, LadderStage.PARTNER)
    with pytest.raises(IllegalTransition):
        LADDER.check("m-1", LadderStage.PARTNER, LadderStage.CUSTOMER)
