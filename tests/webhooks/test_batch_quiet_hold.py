"""A claimed batch's transaction goes on past ``max_hold`` only while no other writer queues
for SQLite's write lock, and on PostgreSQL (where nobody queues behind it) up to the same
limit (connector.inbox.worker, InboxWorker._may_go_on)."""

from __future__ import annotations

import threading

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event

from connector.inbox import InboxWorker
from connector.inbox.write_lock import SqliteWriteLock
from connector.store import Store
from tests.conftest import on_postgres
from tests.webhooks.conftest import T0, post_hubspot
from tests.webhooks.test_held_record_writes import executions
from tests.webhooks.test_set_based_batches import events, network, statements
from tests.webhooks.test_write_lock import _until

# finish_all: one statement per batch transaction, closing the leases of its events.
_FINISH = "UPDATE webhook_inbox SET lease_token"


# Past max_hold after every group of events; the quiet limit (max_hold x factor) far off
# (1,000 s) or max_hold itself. Nobody queues for the write lock meanwhile, and on
# PostgreSQL nobody ever queues behind a batch: there too one transaction, up to the limit.
@pytest.mark.parametrize(
    ("quiet_hold_factor", "transactions"),
    [(1e12, 1), (1.0, 16)],  # 16: one per group (object) of events
    ids=["within-the-quiet-limit", "at-the-quiet-limit"],
)
def test_a_batch_stays_in_one_transaction_while_nobody_queues_up_to_its_quiet_limit(
    client: FlaskClient,
    worker: InboxWorker,
    store: Store,
    quiet_hold_factor: float,
    transactions: int,
) -> None:
    network(store, 8)
    worker.max_hold, worker.quiet_hold_factor = 1e-9, quiet_hold_factor
    post_hubspot(client, events(0, 8), at=T0)  # 24 events: 8 contacts, 8 deals (16 groups)
    with statements(store) as seen:
        result = worker.step()
    assert (result.done, result.rejected, result.retried) == (24, 0, 0)
    assert executions(seen, _FINISH) == transactions


@pytest.mark.skipif(on_postgres(), reason="SQLite's write lock queue only (PostgreSQL: above)")
def test_a_writer_queueing_meanwhile_ends_the_transaction_at_the_next_group(
    client: FlaskClient, worker: InboxWorker, store: Store
) -> None:
    network(store, 8)
    worker.max_hold, worker.quiet_hold_factor = 1e-9, 1e12
    post_hubspot(client, events(0, 8), at=T0)
    database = store.engine.url.database
    assert database is not None
    intake = SqliteWriteLock(database)  # descriptors of its own, as a web process
    wrote = threading.Event()

    def queue_for_the_lock() -> None:
        with intake.held():
            wrote.set()

    writer = threading.Thread(target=queue_for_the_lock)

    def on_begin(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement == "BEGIN IMMEDIATE" and not writer.is_alive() and not wrote.is_set():
            writer.start()  # the batch holds the lock now: the writer queues behind it
            assert _until(lambda: intake._waiting == 1)

    event.listen(store.engine, "before_cursor_execute", on_begin)
    try:
        with statements(store) as seen:
            result = worker.step()
    finally:
        event.remove(store.engine, "before_cursor_execute", on_begin)
    writer.join(30)
    assert wrote.is_set()
    assert (result.done, result.rejected, result.retried) == (24, 0, 0)
    # The transaction the writer queued behind ended after its first group (one event);
    # once the writer was served (within a transaction or two: it must be scheduled
    # before the worker takes the lock again), the rest went together.
    finishes = [statement for statement in seen if statement.startswith(_FINISH)]
    closed = [statement.split(" IN (")[1].split(")")[0].count("?") for statement in finishes]
    assert sum(closed) == 24
    assert 2 <= len(finishes) <= 4, closed
    assert closed[0] == 1
    assert closed[-1] >= 12, closed
