"""Contributions read from other records: the club's moderated introductions.

An introduction the moderator made (``made`` or ``business_done``) is the company giving
both members a contact (seed 002, precondition 3: keep connecting members). It counts in
the win-win balance like a recorded introduction, from the company's side (no giver), so
nobody has to record it twice; suggested and dismissed ones gave nothing yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from connector.model import (
    Contribution,
    ContributionKind,
    Introduction,
    IntroductionStatus,
)
from connector.store import Tx

__all__ = ["introduction_contributions", "ledger_of"]

_DONE = (IntroductionStatus.MADE, IntroductionStatus.BUSINESS_DONE)
_DESCRIPTION = 255  # the ledger's description column


def introduction_contributions(introductions: Iterable[Introduction]) -> list[Contribution]:
    """One contribution from the company to each member of every introduction made."""
    derived: list[Contribution] = []
    for intro in introductions:
        if intro.status not in _DONE:
            continue
        text = (intro.reason or "club introduction")[:_DESCRIPTION]
        for side, member_id in (("a", intro.member_a_id), ("b", intro.member_b_id)):
            derived.append(
                Contribution.model_construct(
                    id=f"{intro.id}.{side}",
                    kind=ContributionKind.INTRODUCTION,
                    giver_id=None,
                    receiver_id=member_id,
                    description=text,
                    status=Contribution.model_fields["status"].default,
                    given_on=intro.status_changed_at.date(),
                    value=None,
                    currency=None,
                    event_ref=None,
                    referral_id=None,
                    created_at=intro.status_changed_at,
                )
            )
    return derived


def ledger_of(tx: Tx, member_ids: Sequence[str]) -> list[Contribution]:
    """Every contribution the members gave or received: recorded and derived."""
    ids = list(member_ids)
    recorded = tx.find_in(Contribution, {"giver_id": ids, "receiver_id": ids})
    introductions = tx.find_in(Introduction, {"member_a_id": ids, "member_b_id": ids})
    return [*recorded, *introduction_contributions(introductions)]
