"""A partner with a signed goal agreement and won referrals, for the CRM goal-sync tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

from connector.joint_events import add_event
from connector.model import (
    AgreementStatus,
    Circle,
    Goal,
    GoalMetric,
    JointEventKind,
    PartnerStage,
    Referral,
    ReferralStatus,
)
from connector.services import Actor
from connector.store import Store
from tests.connector.factories import agreement, member, partnership, referral

WON_ON = datetime(2026, 3, 2, 10, tzinfo=UTC)


def won(referral_id: str, amount: str) -> Referral:
    return referral(
        referral_id, "p1", f"x-{referral_id}", status=ReferralStatus.WON, amount=amount,
        created=WON_ON,
    )  # fmt: skip


def goal_network(store: Store) -> None:
    """Partner p1, agreement ag-1 for 2026: 3 deals won, 30,000 won value, 2 joint events."""
    with store.transaction() as tx:
        tx.put_many(
            [
                member("p1", Circle.PARTNER, organisation="Vogel Sondermaschinen GmbH"),
                *(member(f"x-r{n}", Circle.PROSPECT) for n in range(1, 5)),
            ]
        )
        tx.put(partnership(id="pa-1", member_id="p1", stage=PartnerStage.AGREEMENT))
        tx.put(
            agreement(
                id="ag-1",
                partnership_id="pa-1",
                status=AgreementStatus.SIGNED,
                period_start=date(2026, 1, 1),
                period_end=date(2026, 12, 31),
                goals=[
                    Goal(metric=GoalMetric.REFERRALS_WON, description="3 Abschlüsse", target=3),
                    Goal(metric=GoalMetric.WON_VALUE, target=30_000),
                    Goal(metric=GoalMetric.JOINT_EVENTS, target=2),
                ],
            )
        )
        tx.put_many([won("r1", "10000.00"), won("r2", "5000.00")])


def add_third_win(store: Store) -> None:
    with store.transaction() as tx:
        tx.put(won("r3", "15000.00"))


def add_joint_events(store: Store) -> None:
    """Two partner events in 2026 that p1 attended (issue #18): the joint-event goal is met."""
    with store.transaction() as tx:
        tx.put(member("emp", Circle.EMPLOYEE))
    for n, day in enumerate((date(2026, 3, 10), date(2026, 5, 12)), start=1):
        add_event(
            store,
            title=f"Partnerabend {n}",
            held_on=day,
            host_id="emp",
            kind=JointEventKind.PARTNER_EVENT,
            attendee_ids=["p1"],
            reason="partner event",
            actor=Actor("test"),
        )
