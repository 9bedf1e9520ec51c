"""A synthetic referral network of any size, the same for every bench script.

Members: two in three are customers (with an organisation, so they also become Accounts),
the rest prospects. Referrals: each from one member to another, their statuses cycling
through the lifecycle, a third of them with an amount. Records are built without
validation (``model_construct``): the values are valid by construction, and building a
million validated models would dominate the benches' setup time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from connector.model import Circle, Member, Referral, ReferralStatus, Sentiment
from connector.store import Store

__all__ = ["T0", "member_id", "referral_id", "synthetic_network"]

T0 = datetime(2025, 1, 1, tzinfo=UTC)
_STATUSES = list(ReferralStatus)
_CHUNK = 50_000  # records per transaction


def member_id(i: int) -> str:
    return f"m{i:07d}"


def referral_id(n: int) -> str:
    return f"r{n:08d}"


def _member(i: int) -> Member:
    customer = i % 3 != 0
    return Member.model_construct(
        id=member_id(i),
        name=f"Member {i}",
        organisation=f"Firma {i} GmbH" if customer else None,
        circle=Circle.CUSTOMER if customer else Circle.PROSPECT,
        created_at=T0,
    )


def _referral(n: int, members: int) -> Referral:
    return Referral.model_construct(
        id=referral_id(n),
        referrer_id=member_id((n * 7) % members),
        referred_id=member_id((n * 7 + 1) % members),
        circle=Circle.CUSTOMER,
        sentiment=Sentiment.POSITIVE,
        status=_STATUSES[n % len(_STATUSES)],
        amount=Decimal(n % 9000) if n % 3 == 0 else None,
        created_at=T0 + timedelta(minutes=n),
        status_changed_at=T0 + timedelta(minutes=n),
    )


def synthetic_network(store: Store, *, members: int, referrals: int) -> None:
    """Write ``members`` members and ``referrals`` referrals between them into ``store``."""
    for start in range(0, members, _CHUNK):
        with store.transaction() as tx:
            tx.put_many(_member(i) for i in range(start, min(start + _CHUNK, members)))
    for start in range(0, referrals, _CHUNK):
        with store.transaction() as tx:
            tx.put_many(_referral(n, members) for n in range(start, min(start + _CHUNK, referrals)))
