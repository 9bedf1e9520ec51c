"""A claimed batch loads what its events name with one query per kind of lookup, up front."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import event

from connector.inbox import InboxWorker
from connector.model import Referral, ReferralStatus
from connector.store import Store
from tests.connector.factories import member, referral
from tests.webhooks.conftest import T0, hubspot_event, post_hubspot


def network(store: Store, count: int) -> None:
    with store.transaction() as tx:
        tx.put_many(
            [member(f"c{i}") for i in range(count)]
            + [member(f"p{i}") for i in range(count)]
            + [referral(f"r{i}", f"c{i}", f"p{i}") for i in range(count)]
        )


def events(first: int, count: int) -> list[dict[str, object]]:
    """Per member: a contact it referred, then a deal linked to its referral and won."""
    made: list[dict[str, object]] = []
    for i in range(first, first + count):
        at = T0 + timedelta(seconds=i)
        made.append(
            hubspot_event(
                3 * i,
                "contact.propertyChange",
                70_000 + i,
                occurred_at=at,
                property_name="referred_by",
                property_value=f"c{i}",
            )
        )
        made.append(
            hubspot_event(
                3 * i + 1,
                "deal.propertyChange",
                90_000 + i,
                occurred_at=at,
                property_name="refnet_referral_id",
                property_value=f"r{i}",
            )
        )
        made.append(
            hubspot_event(
                3 * i + 2,
                "deal.propertyChange",
                90_000 + i,
                occurred_at=at + timedelta(milliseconds=500),
                property_name="dealstage",
                property_value="closedwon",
            )
        )
    return made


@contextmanager
def statements(store: Store) -> Iterator[list[str]]:
    """Every statement the store's engine sends, whitespace collapsed. PostgreSQL's advisory
    locks on a batch's CRM objects are left out: a SELECT that reads no table."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if "pg_advisory" not in statement:
            seen.append(" ".join(statement.split()))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", record)


def selects(seen: list[str]) -> int:
    return sum(1 for statement in seen if statement.split(None, 1)[0].upper() == "SELECT")


def test_a_batch_reads_as_often_for_many_events_as_for_few(
    client: FlaskClient, worker: InboxWorker, store: Store
) -> None:
    network(store, 20)
    worker.max_hold = float("inf")  # one transaction per claimed batch

    def step(first: int, count: int) -> list[str]:
        post_hubspot(client, events(first, count), at=T0)
        with statements(store) as seen:
            result = worker.step()
        assert (result.done, result.rejected, result.failed) == (3 * count, 0, 0), result
        return seen

    few = step(0, 2)
    many = step(2, 16)  # 48 events

    # Reads: the claim and one query per kind of lookup per load of lookups (16 events,
    # then 32, ...), not one per event: a batch 8 times larger reads about as often.
    assert selects(few) >= 8
    assert selects(many) <= selects(few) + 4
    # Writes per event: its mark, its savepoint, the records it changes; audit entries,
    # outbox rows and outcome texts go together at the end.
    assert len(many) <= 6 * 48
    with store.reading() as tx:
        for i in range(18):
            assert tx.get(Referral, f"r{i}").status is ReferralStatus.WON
        assert tx.count(Referral) == 20 + 18  # one opened per referred contact
        trail = [e for e in tx.audit_trail(limit=1000) if e.record_id == "r17"]
    assert [(e.field, e.new_value) for e in trail] == [("deal_id", "90017"), ("status", "won")]
