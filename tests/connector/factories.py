"""Small builders for records in tests; each call gives valid defaults that a test overrides."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from connector.model import (
    Agreement,
    Circle,
    Club,
    ClubRules,
    Goal,
    GoalMetric,
    Member,
    Membership,
    Partnership,
    Referral,
    ReferralStatus,
    Sentiment,
)

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def member(member_id: str, circle: Circle = Circle.CUSTOMER, **extra: Any) -> Member:
    return Member(id=member_id, name=f"Member {member_id}", circle=circle, **extra)


def referral(
    referral_id: str,
    referrer: str,
    referred: str,
    *,
    status: ReferralStatus = ReferralStatus.OPEN,
    sentiment: Sentiment = Sentiment.POSITIVE,
    recipient: str | None = None,
    amount: str | None = None,
    created: datetime = T0,
) -> Referral:
    return Referral(
        id=referral_id,
        referrer_id=referrer,
        referred_id=referred,
        recipient_id=recipient,
        circle=Circle.CUSTOMER,
        sentiment=sentiment,
        status=status,
        amount=Decimal(amount) if amount is not None else None,
        created_at=created,
        status_changed_at=created,
    )


def club(**extra: Any) -> Club:
    defaults: dict[str, Any] = {
        "id": "club-1",
        "name": "Kundenclub",
        "founded_on": date(2025, 1, 15),
        "rules": [
            ClubRules(version=1, text="Give before you take.", effective_from=date(2025, 1, 15)),
            ClubRules(version=2, text="Meet monthly.", effective_from=date(2026, 1, 1)),
        ],
    }
    return Club(**{**defaults, **extra})


def membership(**extra: Any) -> Membership:
    defaults: dict[str, Any] = {
        "id": "ms-1",
        "club_id": "club-1",
        "member_id": "c1",
        "invited_on": date(2025, 2, 1),
    }
    return Membership(**{**defaults, **extra})


def partnership(**extra: Any) -> Partnership:
    return Partnership(**{"id": "p-1", "member_id": "c1", **extra})


def agreement(**extra: Any) -> Agreement:
    defaults: dict[str, Any] = {
        "id": "a-1",
        "partnership_id": "p-1",
        "period_start": date(2025, 1, 1),
        "period_end": date(2025, 12, 31),
        "goals": [Goal(metric=GoalMetric.REFERRALS_GIVEN, target=4, achieved=1)],
    }
    return Agreement(**{**defaults, **extra})
