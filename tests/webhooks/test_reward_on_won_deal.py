"""A deal won in the CRM owes the referrer a thank-you through the same rules as by hand:
the reward is stored pending, audited with the event and queued for the CRMs."""

from __future__ import annotations

from decimal import Decimal

from connector.model import Contribution, ContributionStatus
from connector.rules import RewardRuleConfig, RulesConfig, reward_id
from connector.store import Store
from connector.writeback import pending_writebacks
from tests.connector.factories import member, referral
from tests.webhooks.conftest import (
    T0,
    Clock,
    context_of,
    hubspot_event,
    make_settings,
    post_hubspot,
)
from webhooks import create_app

WON_REF = "hubspot:62515:4711:1:9001"


def test_a_won_deal_owes_the_referrer_a_reward_once(store: Store, clock: Clock) -> None:
    with store.transaction() as tx:
        tx.put_many(
            [
                member("c1"),
                member("p1", circle="prospect"),
                referral("r1", "c1", "p1").model_copy(update={"deal_id": "9001"}),
            ]
        )
    rules = RulesConfig(
        reward=RewardRuleConfig(on_referral_won=True, value=Decimal("50"), currency="EUR")
    )
    app = create_app(make_settings(), store=store, rules=rules, clock=clock)
    won = hubspot_event(
        1, "deal.propertyChange", 9001, occurred_at=T0, property_name="dealstage",
        property_value="closedwon",
    )  # fmt: skip
    client = app.test_client()
    assert post_hubspot(client, [won], at=T0).status_code == 200
    assert post_hubspot(client, [won], at=T0).status_code == 200  # redelivered
    worker = context_of(app).worker
    worker.step()
    worker.step()

    with store.reading() as tx:
        (reward,) = tx.find(Contribution)
        trail = [(e.kind, e.record_id, e.new_value, e.event_ref) for e in tx.audit_trail()]
    assert (reward.id, reward.status, reward.receiver_id, reward.value) == (
        reward_id("r1"),
        ContributionStatus.PENDING,
        "c1",
        Decimal("50.00"),
    )
    assert reward.created_at == T0  # when the deal was won, not when the worker ran
    assert ("contribution", reward.id, "pending", WON_REF) in trail
    assert ("contribution", reward.id) in {(e.kind, e.record_id) for e in pending_writebacks(store)}
