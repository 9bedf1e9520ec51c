"""From a stored event to the network: exactly once, in occurrence order, nothing lost."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

import connector.inbox.worker as worker_module
from connector.errors import IllegalTransition
from connector.inbox import InboxStore, InboxWorker
from connector.inbox.schema import deal_outcomes, webhook_inbox
from connector.inbox.store import LeaseLost
from connector.model import (
    Circle,
    CrmIds,
    LadderStage,
    Member,
    MembershipStatus,
    Referral,
    ReferralStatus,
)
from connector.rules import RulesConfig
from connector.store import Store
from connector.writeback import mark_written, pending_writebacks
from tests.connector.factories import club, member, membership, referral
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


@pytest.fixture(autouse=True)
def network(store: Store) -> None:
    """c1 (customer) referred p1 to us; the referral is linked to HubSpot deal 9001."""
    with store.transaction() as tx:
        tx.put_many(
            [
                member("c1"),
                member("c2"),
                member("p1", circle=Circle.PROSPECT, email="p1@example.org"),
                member("p2", circle=Circle.PROSPECT),
                referral("r1", "c1", "p1").model_copy(update={"deal_id": "9001"}),
                club(),
                membership(id="ms-1", member_id="c1", status=MembershipStatus.MEMBER),
                membership(id="ms-2", member_id="c2", status=MembershipStatus.MEMBER),
            ]
        )


def _stage(event_id: int, deal: int, stage: str, **at: float) -> dict[str, object]:
    return hubspot_event(
        event_id,
        "deal.propertyChange",
        deal,
        occurred_at=T0 + timedelta(**at),
        property_name="dealstage",
        property_value=stage,
    )


def _referral(store: Store, referral_id: str) -> Referral:
    with store.reading() as tx:
        return tx.get(Referral, referral_id)


def _inbox(store: Store) -> list[tuple[str, str, str | None]]:
    with store.reading() as tx:
        rows = tx.connection.execute(
            select(
                webhook_inbox.c.event_id, webhook_inbox.c.status, webhook_inbox.c.outcome
            ).order_by(webhook_inbox.c.id)
        ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def test_signed_won_deal_marks_the_referral_won_promotes_and_queues_write_back(
    client: FlaskClient, worker: InboxWorker, store: Store
) -> None:
    assert post_hubspot(client, [_stage(1, 9001, "closedwon")], at=T0).status_code == 200
    result = worker.step()
    assert (result.claimed, result.done) == (1, 1)

    assert _referral(store, "r1").status is ReferralStatus.WON
    with store.reading() as tx:
        assert tx.get(Member, "c1").ladder_stage is LadderStage.REFERRER
        trail = [(e.kind, e.record_id, e.new_value, e.event_ref, e.actor) for e in tx.audit_trail()]
    assert trail == [
        ("referral", "r1", "won", WON_REF, "webhook:hubspot"),
        ("ladder", "c1", "referrer", WON_REF, "webhook:hubspot"),
    ]
    outbox = pending_writebacks(store)
    assert {(e.kind, e.record_id) for e in outbox} == {("referral", "r1"), ("member", "c1")}
    assert {e.event_ref for e in outbox} == {WON_REF}
    assert mark_written(store, [e.id for e in outbox]) == 2
    assert pending_writebacks(store) == []
    assert _inbox(store)[0][1] == "done"


def test_duplicate_deliveries_are_processed_once(
    client: FlaskClient, worker: InboxWorker, store: Store
) -> None:
    event = _stage(1, 9001, "closedwon")
    post_hubspot(client, [event, event], at=T0)
    post_hubspot(client, [{**event, "attemptNumber": 1}], at=T0)
    assert worker.step().done == 1
    # Redelivered after processing: acknowledged, stored nowhere, applied never again.
    again = post_hubspot(client, [{**event, "attemptNumber": 2}], at=T0)
    assert again.get_json() == {"accepted": 0, "duplicates": 1}
    assert worker.step().claimed == 0
    with store.reading() as tx:
        assert len(tx.audit_trail()) == 2


@pytest.mark.parametrize("delivery", [["won", "lost"], ["lost", "won"]])
def test_a_lost_that_occurred_before_the_won_never_overrides_it(
    client: FlaskClient, worker: InboxWorker, store: Store, delivery: list[str]
) -> None:
    events = {
        "lost": _stage(1, 9001, "closedlost", minutes=1),
        "won": _stage(2, 9001, "closedwon", minutes=2),
    }
    for name in delivery:
        post_hubspot(client, [events[name]], at=T0)
    worker.step()
    assert _referral(store, "r1").status is ReferralStatus.WON
    outcomes = {event_id.split(":")[2]: outcome for event_id, _status, outcome in _inbox(store)}
    assert "superseded" in (outcomes["1"] or "")


def test_a_late_stale_lost_after_processing_changes_nothing(
    client: FlaskClient, worker: InboxWorker, store: Store
) -> None:
    post_hubspot(client, [_stage(2, 9001, "closedwon", minutes=2)], at=T0)
    worker.step()
    post_hubspot(client, [_stage(1, 9001, "closedlost", minutes=1)], at=T0)
    worker.step()
    assert _referral(store, "r1").status is ReferralStatus.WON
    assert "stale" in (_inbox(store)[1][2] or "")
    with store.reading() as tx:
        outcome = tx.connection.execute(select(deal_outcomes.c.outcome)).scalar_one()
    assert outcome == "won"


def test_a_restart_between_receipt_and_processing_loses_nothing(
    store: Store, clock: Clock, tmp_path: object
) -> None:
    first = create_app(make_settings(), store=store, rules=RulesConfig(), clock=clock)
    assert (
        post_hubspot(first.test_client(), [_stage(1, 9001, "closedwon")], at=T0).status_code == 200
    )
    url = store.engine.url.render_as_string(hide_password=False)
    store.close()  # the process dies: nothing in memory survives

    reopened = Store.open(url)
    fresh = create_app(make_settings(), store=reopened, rules=RulesConfig(), clock=clock)
    assert context_of(fresh).worker.step().done == 1
    assert _referral(reopened, "r1").status is ReferralStatus.WON
    reopened.close()


def test_a_worker_that_dies_holding_a_claim_loses_nothing(
    client: FlaskClient, worker: InboxWorker, store: Store, clock: Clock
) -> None:
    post_hubspot(client, [_stage(1, 9001, "closedwon")], at=T0)
    dead = InboxStore(store).claim(now=clock(), limit=10, lease=timedelta(seconds=60))
    assert len(dead) == 1  # claimed, then the worker is killed before finishing
    assert worker.step().claimed == 0, "the lease keeps others off while it runs"
    clock.advance(seconds=61)
    assert worker.step().done == 1
    assert _referral(store, "r1").status is ReferralStatus.WON
    # The dead worker's late finish is refused: the event is not applied twice.
    inbox = InboxStore(store)
    with pytest.raises(LeaseLost), inbox.batch() as tx:
        assert inbox.held_leases(tx, dead) == set()
        inbox.finish_all(tx, dead, now=clock())


def test_two_workers_claim_disjoint_events(client: FlaskClient, store: Store, clock: Clock) -> None:
    events = [hubspot_event(i, "ticket.creation", 100 + i) for i in range(10)]
    post_hubspot(client, events, at=T0)
    inbox = InboxStore(store)
    first = inbox.claim(now=clock(), limit=4, lease=timedelta(seconds=60))
    second = inbox.claim(now=clock(), limit=10, lease=timedelta(seconds=60))
    assert len(first) == 4 and len(second) == 6
    assert not {c.row_id for c in first} & {c.row_id for c in second}


def test_a_contact_referred_by_a_member_opens_a_referral_and_a_prospect(
    client: FlaskClient, worker: InboxWorker, store: Store
) -> None:
    post_hubspot(
        client,
        [
            hubspot_event(
                7, "contact.propertyChange", 7001, property_name="referred_by", property_value="c1"
            ),
            hubspot_event(
                8,
                "contact.propertyChange",
                7002,
                property_name="referred_by",
                property_value="P1@example.org",
            ),
            hubspot_event(
                9,
                "contact.propertyChange",
                7003,
                property_name="referred_by",
                property_value="nobody@example.org",
            ),
        ],
        at=T0,
    )
    result = worker.step()
    assert (result.done, result.ignored) == (2, 1)
    with store.reading() as tx:
        prospects = [m for m in tx.find(Member, circle="prospect") if m.crm.hubspot_contact_id]
        opened = [r for r in tx.find(Referral) if r.id != "r1"]
    assert sorted(m.crm.hubspot_contact_id for m in prospects) == ["7001", "7002"]
    assert sorted((r.referrer_id, r.status.value) for r in opened) == [
        ("c1", "open"),
        ("p1", "open"),
    ]
    assert "referrer unknown" in (_inbox(store)[2][2] or "")
    # The same change delivered as a new event again opens nothing new.
    post_hubspot(
        client,
        [
            hubspot_event(
                10, "contact.propertyChange", 7001, property_name="referred_by", property_value="c1"
            )
        ],
        at=T0,
    )
    worker.step()
    with store.reading() as tx:
        assert tx.count(Referral) == 3


def test_hold_period_parks_the_credit_until_the_deal_stayed_won(store: Store, clock: Clock) -> None:
    app = create_app(
        make_settings(hold_period=timedelta(days=1)), store=store, rules=RulesConfig(), clock=clock
    )
    post_hubspot(app.test_client(), [_stage(1, 9001, "closedwon")], at=T0)
    worker = context_of(app).worker
    assert worker.step().done == 0
    assert _referral(store, "r1").status is ReferralStatus.OPEN
    clock.advance(hours=23)
    assert worker.step().settled == 0
    clock.advance(hours=1)
    assert worker.step().settled == 1
    assert _referral(store, "r1").status is ReferralStatus.WON
    with store.reading() as tx:
        assert tx.get(Member, "c1").ladder_stage is LadderStage.REFERRER
        assert {e.event_ref for e in tx.audit_trail()} == {WON_REF}
    assert {(e.kind, e.record_id) for e in pending_writebacks(store)} == {
        ("referral", "r1"),
        ("member", "c1"),
    }


def test_a_deal_lost_during_the_hold_period_is_never_credited(store: Store, clock: Clock) -> None:
    app = create_app(
        make_settings(hold_period=timedelta(days=1)), store=store, rules=RulesConfig(), clock=clock
    )
    client = app.test_client()
    worker = context_of(app).worker
    post_hubspot(client, [_stage(1, 9001, "closedwon")], at=T0)
    worker.step()
    clock.advance(hours=2)
    post_hubspot(client, [_stage(2, 9001, "closedlost", hours=2)], at=clock())
    worker.step()
    clock.advance(days=2)
    worker.step()
    assert _referral(store, "r1").status is ReferralStatus.LOST
    with store.reading() as tx:
        assert tx.get(Member, "c1").ladder_stage is LadderStage.CUSTOMER


def test_a_won_referral_between_club_members_is_logged_as_club_referral(
    client: FlaskClient, worker: InboxWorker, store: Store
) -> None:
    with store.transaction() as tx:
        tx.put(referral("r2", "c1", "p2", recipient="c2").model_copy(update={"deal_id": "9002"}))
    post_hubspot(client, [_stage(3, 9002, "closedwon")], at=T0)
    worker.step()
    with store.reading() as tx:
        club_entries = [e for e in tx.audit_trail("r2") if e.field == "club_referral"]
    assert [(e.new_value, e.event_ref) for e in club_entries] == [
        ("club-1", "hubspot:62515:4711:3:9002")
    ]
    assert {("member", "c2"), ("club", "club-1"), ("referral", "r2")} <= {
        (e.kind, e.record_id) for e in pending_writebacks(store)
    }


def test_a_referral_linked_after_its_deal_closed_picks_up_the_outcome(
    client: FlaskClient, worker: InboxWorker, store: Store
) -> None:
    with store.transaction() as tx:
        tx.put(referral("r3", "c2", "p2"))
    post_hubspot(client, [_stage(4, 9003, "closedwon")], at=T0)
    worker.step()
    assert "no referral linked yet" in (_inbox(store)[0][2] or "")
    link = hubspot_event(
        5,
        "deal.propertyChange",
        9003,
        occurred_at=T0 + timedelta(minutes=5),
        property_name="refnet_referral_id",
        property_value="r3",
    )
    post_hubspot(client, [link], at=T0)
    worker.step()
    linked = _referral(store, "r3")
    assert (linked.deal_id, linked.status) == ("9003", ReferralStatus.WON)


def test_a_failure_is_retried_with_back_off_then_parked(
    client: FlaskClient,
    worker: InboxWorker,
    store: Store,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(worker_module, "apply_intents", broken)
    worker.max_attempts = 2
    post_hubspot(client, [_stage(1, 9001, "closedwon")], at=T0)
    assert worker.step().retried == 1
    assert worker.step().claimed == 0, "backing off"
    clock.advance(seconds=3)
    assert worker.step().failed == 1
    assert _inbox(store)[0][1:] == ("failed", "error: RuntimeError (attempt 2)")
    metrics = client.get("/metrics").get_json()
    assert metrics["inbox"]["failed"] == 1
    assert _referral(store, "r1").status is ReferralStatus.OPEN


def test_a_won_deal_for_a_referral_already_lost_changes_nothing(
    client: FlaskClient, worker: InboxWorker, store: Store
) -> None:
    with store.transaction() as tx:
        tx.put(_referral_copy(store, "r1", status=ReferralStatus.LOST))
    post_hubspot(client, [_stage(1, 9001, "closedwon")], at=T0)
    result = worker.step()
    assert (result.ignored, result.retried) == (1, 0)
    assert "already lost" in (_inbox(store)[0][2] or "")
    assert _referral(store, "r1").status is ReferralStatus.LOST


def test_a_move_the_rules_refuse_is_rejected_and_not_retried(
    client: FlaskClient,
    worker: InboxWorker,
    store: Store,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise IllegalTransition("referral", "r1", "lost", "won", [])

    monkeypatch.setattr(worker_module, "apply_intents", refuse)
    post_hubspot(client, [_stage(1, 9001, "closedwon")], at=T0)
    assert worker.step().rejected == 1
    clock.advance(hours=2)
    assert worker.step().claimed == 0
    _event_id, status, outcome = _inbox(store)[0]
    assert status == "rejected"
    assert outcome is not None and outcome.startswith("rejected: IllegalTransition: referral 'r1'")


def _referral_copy(store: Store, referral_id: str, **update: object) -> Referral:
    return _referral(store, referral_id).model_copy(update=update)


def test_concurrent_workers_apply_every_event_exactly_once(
    app: Flask, client: FlaskClient, store: Store, clock: Clock
) -> None:
    events = [
        hubspot_event(
            1000 + i,
            "contact.propertyChange",
            8000 + i,
            property_name="referred_by",
            property_value="c1",
        )
        for i in range(60)
    ]
    post_hubspot(client, events, at=T0)
    workers = [
        InboxWorker(
            store,
            rules=RulesConfig(),
            event_rules=make_settings().event_rules(),
            clock=clock,
            batch_size=7,
        )
        for _ in range(4)
    ]

    def run(w: InboxWorker) -> None:
        while w.step().claimed:
            pass

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    clock.advance(minutes=5)  # anything released for retry becomes claimable again
    while workers[0].step().claimed:
        pass
    with store.reading() as tx:
        refs = [e.event_ref for e in tx.audit_trail(limit=1000)]
        assert tx.count(Referral, referrer_id="c1") == 61
    assert len(refs) == 60 and len(set(refs)) == 60
    assert {status for _id, status, _outcome in _inbox(store)} == {"done"}


def test_a_deal_associated_with_the_referred_contact_is_linked_and_closes_it(
    client: FlaskClient, worker: InboxWorker, store: Store
) -> None:
    with store.transaction() as tx:
        tx.put(
            member("p3", circle=Circle.PROSPECT).model_copy(
                update={"crm": CrmIds(hubspot_contact_id="7003")}
            )
        )
        tx.put(referral("r4", "c2", "p3"))
    association = hubspot_event(
        6,
        "deal.associationChange",
        9004,
        associationType="DEAL_TO_CONTACT",
        fromObjectId=9004,
        toObjectId=7003,
        associationRemoved=False,
    )
    del association["objectId"]
    won = _stage(7, 9004, "closedwon", minutes=1)
    post_hubspot(client, [association, won], at=T0)
    assert worker.step().done == 2
    linked = _referral(store, "r4")
    assert (linked.deal_id, linked.status) == ("9004", ReferralStatus.WON)
