"""A batch closes its events' leases in one statement; a busy referrer is counted, not read."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from connector.inbox import InboxWorker
from connector.inbox.schema import webhook_inbox
from connector.inbox.store import InboxStore, LeaseLost
from connector.inbox.worker import StepResult
from connector.model import Member, Referral, ReferralStatus
from connector.rules import LadderThresholds, RulesConfig
from connector.store import Store
from tests.connector.factories import member, referral
from tests.webhooks.conftest import T0, Clock, hubspot_event, post_hubspot
from tests.webhooks.test_set_based_batches import events, network, statements

LEASE = timedelta(seconds=60)


def _finishing(seen: list[str]) -> list[str]:
    return [s for s in seen if s.startswith("UPDATE webhook_inbox") and "processed_at" in s]


def test_a_batch_closes_its_events_leases_in_one_statement(
    client: FlaskClient, worker: InboxWorker, store: Store
) -> None:
    network(store, 20)
    worker.max_hold = float("inf")  # one transaction per claimed batch
    post_hubspot(client, events(0, 16), at=T0)  # 48 events
    with statements(store) as seen:
        result = worker.step()
    assert (result.done, result.rejected, result.failed) == (48, 0, 0), result
    assert len(_finishing(seen)) == 1  # was one UPDATE per event
    # Per event only the records it changes (referral, prospect, deal outcome); the rest
    # (claim, lookups, lease check, held-back writes, finish) is per batch.
    assert len(seen) <= 3 * 48, len(seen)
    with store.reading() as tx:
        rows = tx.connection.execute(
            select(
                webhook_inbox.c.status, webhook_inbox.c.processed_at, webhook_inbox.c.lease_token
            )
        ).all()
    assert len(rows) == 48
    assert all(r.status == "done" and r.processed_at is not None for r in rows)
    assert all(r.lease_token is None for r in rows)


def test_events_whose_lease_was_taken_over_are_left_to_their_new_holder(
    client: FlaskClient, worker: InboxWorker, store: Store, clock: Clock
) -> None:
    network(store, 4)
    post_hubspot(client, events(0, 4), at=T0)  # 12 events
    inbox = InboxStore(store)
    slow = inbox.claim(now=clock(), limit=100, lease=LEASE)
    clock.advance(seconds=61)  # the slow worker's lease runs out; another takes three over
    taken = inbox.claim(now=clock(), limit=3, lease=LEASE)
    assert len(slow) == 12 and len(taken) == 3

    late = StepResult()
    worker._process_batch(slow, clock(), late)  # the slow worker goes on with its claim
    assert late.done == 9
    new_holder = StepResult()
    worker._process_batch(taken, clock(), new_holder)
    assert new_holder.done == 3

    with store.reading() as tx:
        statuses = tx.connection.execute(select(webhook_inbox.c.status)).scalars().all()
        assert statuses == ["done"] * 12
        for i in range(4):
            assert tx.get(Referral, f"r{i}").status is ReferralStatus.WON
        # Exactly once: one referral per referred contact, one move to won per referral.
        assert tx.count(Referral) == 4 + 4
        won = [
            e for e in tx.audit_trail(limit=1000) if e.field == "status" and e.new_value == "won"
        ]
    assert sorted(e.record_id for e in won) == [f"r{i}" for i in range(4)]


def test_closing_a_lease_no_longer_held_rolls_the_transaction_back(
    client: FlaskClient, store: Store, clock: Clock
) -> None:
    post_hubspot(client, [hubspot_event(1, "ticket.creation", 101)], at=T0)
    inbox = InboxStore(store)
    slow = inbox.claim(now=clock(), limit=10, lease=LEASE)
    clock.advance(seconds=61)
    assert len(inbox.claim(now=clock(), limit=10, lease=LEASE)) == 1
    with pytest.raises(LeaseLost), store.transaction() as tx:
        assert inbox.held_leases(tx, slow) == set()
        inbox.finish_all(tx, slow, now=clock())
    with store.reading() as tx:
        row = tx.connection.execute(select(webhook_inbox.c.processed_at)).one()
    assert row.processed_at is None  # left to its new holder


# --- a referrer with many referrals ------------------------------------------------------


def _busy_events(first: int, count: int) -> list[dict[str, Any]]:
    """Per referral of the busy member: a contact it referred, its deal linked, then won."""
    made: list[dict[str, Any]] = []
    for i in range(first, first + count):
        at = T0 + timedelta(seconds=i)
        made += [
            hubspot_event(
                3 * i,
                "contact.propertyChange",
                70_000 + i,
                occurred_at=at,
                property_name="referred_by",
                property_value="busy",
            ),
            hubspot_event(
                3 * i + 1,
                "deal.propertyChange",
                90_000 + i,
                occurred_at=at,
                property_name="refnet_referral_id",
                property_value=f"r{i:05d}",
            ),
            hubspot_event(
                3 * i + 2,
                "deal.propertyChange",
                90_000 + i,
                occurred_at=at + timedelta(milliseconds=500),
                property_name="dealstage",
                property_value="closedwon",
            ),
        ]
    return made


def _add_referrals(store: Store, first: int, count: int) -> None:
    with store.transaction() as tx:
        tx.put_many(
            [member(f"p{i:05d}") for i in range(first, first + count)]
            + [referral(f"r{i:05d}", "busy", f"p{i:05d}") for i in range(first, first + count)]
        )


def test_a_busy_referrers_batches_read_no_more_as_its_referrals_grow(
    client: FlaskClient,
    worker: InboxWorker,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Thresholds it never reaches: the ladder counts its referrals on every won deal.
    worker.rules = RulesConfig(
        ladder=LadderThresholds(referrer_min_qualified=10_000, partner_min_won=10_000)
    )
    worker.max_hold = float("inf")
    with store.transaction() as tx:
        tx.put(member("busy"))
    _add_referrals(store, 0, 100)
    built: list[str] = []
    validate = Referral.model_validate

    def counting(value: Any, *args: Any, **kwargs: Any) -> Referral:
        built.append("referral")
        return validate(value, *args, **kwargs)

    monkeypatch.setattr(Referral, "model_validate", counting)

    def step(first: int) -> tuple[int, int]:
        post_hubspot(client, _busy_events(first, 8), at=T0)
        built.clear()
        with statements(store) as seen:
            result = worker.step()
        assert (result.done, result.rejected, result.failed) == (24, 0, 0), result
        return len(built), len(seen)

    # A first batch, so both measured ones start alike (a worker loads a whole batch's
    # lookups at once after it got through one, InboxWorker._first_load).
    step(16)
    few_built, few_statements = step(0)  # 100 referrals
    _add_referrals(store, 100, 900)
    many_built, many_statements = step(8)  # 1,000 referrals
    # Only the referrals the events name are read, never all of the busy member's.
    assert many_built == few_built <= 8 * 2, (few_built, many_built)
    assert many_statements == few_statements
    with store.reading() as tx:
        assert tx.get(Member, "busy").ladder_stage is not None
        assert tx.count(Referral) == 1000 + 24
