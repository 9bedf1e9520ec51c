"""Contributions for tests: a small ledger with known numbers beside the synthetic club."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from connector.model import Contribution, ContributionKind, ContributionStatus

RECORDED = datetime(2025, 1, 1, tzinfo=UTC)


def contribution(
    contribution_id: str,
    kind: ContributionKind,
    giver: str | None,
    receiver: str | None,
    *,
    on: date | None = date(2025, 5, 1),
    value: str | None = None,
    **extra: Any,
) -> Contribution:
    return Contribution(
        id=contribution_id,
        kind=kind,
        giver_id=giver,
        receiver_id=receiver,
        description=extra.pop("description", f"{kind.value} {contribution_id}"),
        given_on=on,
        value=Decimal(value) if value is not None else None,
        currency="EUR" if value is not None else None,
        created_at=extra.pop("created_at", RECORDED),
        **extra,
    )


def pending_reward(contribution_id: str, receiver: str, referral_id: str) -> Contribution:
    return contribution(
        contribution_id,
        ContributionKind.REWARD,
        None,
        receiver,
        on=None,
        value="50.00",
        status=ContributionStatus.PENDING,
        referral_id=referral_id,
        description="Gutschein Weinhandlung",
    )
