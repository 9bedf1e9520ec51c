"""A batch holds its record writes back and sends them together; exactly once and a poisoned
event's isolation still hold."""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, select, text

from connector.errors import InputError
from connector.inbox import InboxWorker
from connector.inbox.schema import webhook_inbox
from connector.model import Circle, CrmIds, Member, Record, Referral, ReferralStatus
from connector.rules import StageChange
from connector.store import Store
from connector.store.cached import CachingTx
from tests.connector.factories import agreement, member, partnership, referral
from tests.webhooks.conftest import T0, post_hubspot
from tests.webhooks.test_set_based_batches import events, network, statements


def executions(seen: list[str], prefix: str) -> int:
    return sum(1 for statement in seen if statement.startswith(prefix))


def test_a_batch_writes_its_records_with_one_execution_per_kind_and_load(
    client: FlaskClient, worker: InboxWorker, store: Store
) -> None:
    network(store, 20)
    worker.max_hold = float("inf")  # one transaction per claimed batch
    post_hubspot(client, events(0, 16), at=T0)  # 48 events: 16 referrals opened, 16 won
    with statements(store) as seen:
        result = worker.step()
    assert (result.done, result.rejected, result.failed) == (48, 0, 0), result
    # 16 referrals opened and 32 updated, 16 prospect members, 16 deal outcomes: sent as
    # held rows before each load of lookups (16 events, then 32) and once at the end,
    # not one execution per record (main: 48, 16 and 16 executions).
    assert executions(seen, "INSERT INTO referrals") <= 3
    assert executions(seen, "INSERT INTO members") <= 3
    assert executions(seen, "INSERT INTO deal_outcomes") <= 3
    # Everything, for 48 events: the claim, the lookups, the writes, the leases closed.
    assert len(seen) <= 40
    with store.reading() as tx:
        for i in range(16):
            assert tx.get(Referral, f"r{i}").status is ReferralStatus.WON
        assert tx.count(Referral) == 20 + 16
        assert tx.count(Member) == 40 + 16


def test_a_held_record_naming_no_stored_parent_is_refused_in_its_own_savepoint(
    store: Store,
) -> None:
    with store.transaction() as tx:
        tx.put_many([member("c1"), member("p1")])
    with store.transaction() as plain:
        tx = CachingTx(plain.connection)
        with tx.savepoint():
            tx.put(referral("r1", "c1", "p1"))
        refused = "referral r2: referred_id names no stored record"
        with pytest.raises(InputError, match=refused), tx.savepoint():
            tx.put(referral("r2", "c1", "nobody"))
        tx.flush()
    with store.reading() as tx:
        assert [r.id for r in tx.find(Referral)] == ["r1"]


def test_a_read_on_the_connection_sees_the_held_records(store: Store) -> None:
    with store.transaction() as plain:
        tx = CachingTx(plain.connection)
        tx.put_many([member("c1"), member("p1"), referral("r1", "c1", "p1")])
        assert tx._held  # nothing sent yet
        stored = plain.connection.execute(select(text("id")).select_from(text("referrals")))
        assert [row.id for row in stored] == ["r1"]
        assert not tx._held


def _refuse_new_referrals_of(store: Store, referrer: str, kept: str) -> None:
    """A trigger in the database refusing one referral's INSERT: a write failing only when
    it is sent, which no check in refnet foresees."""
    with store.transaction() as tx:
        if tx.connection.dialect.name == "sqlite":
            tx.connection.exec_driver_sql(
                "CREATE TRIGGER refuse_referral BEFORE INSERT ON referrals "
                f"WHEN NEW.referrer_id = '{referrer}' AND NEW.id <> '{kept}' "
                "BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END"
            )
        else:
            tx.connection.exec_driver_sql(
                "CREATE FUNCTION refuse_referral() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.referrer_id = '{referrer}' AND NEW.id <> '{kept}' THEN "
                "RAISE EXCEPTION 'refused by a trigger' USING ERRCODE = '23514'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            tx.connection.exec_driver_sql(
                "CREATE TRIGGER refuse_referral BEFORE INSERT ON referrals "
                "FOR EACH ROW EXECUTE FUNCTION refuse_referral()"
            )


def test_held_writes_that_fail_when_sent_cost_only_the_event_that_wrote_them(
    client: FlaskClient, worker: InboxWorker, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    network(store, 8)
    _refuse_new_referrals_of(store, "c3", kept="r3")
    worker.max_hold = float("inf")
    post_hubspot(client, events(0, 8), at=T0)  # 24 events
    with caplog.at_level(logging.WARNING, logger="refnet.inbox"):
        result = worker.step()
    # The held rows failed as they were sent (the trigger), once:
    assert [r.message for r in caplog.records if "held writes" in r.message] == [
        "inbox batch: held writes failed"
    ]
    # The batch is applied again writing each record at once: the contact referred by c3
    # is rejected alone, everything else is applied exactly once.
    assert (result.done, result.rejected, result.retried, result.failed) == (23, 1, 0, 0)
    with store.reading() as tx:
        rows = tx.connection.execute(
            select(webhook_inbox.c.status, webhook_inbox.c.attempts, webhook_inbox.c.outcome)
        ).all()
        assert sorted(status for status, _attempts, _outcome in rows) == ["done"] * 23 + [
            "rejected"
        ]
        assert {attempts for _status, attempts, _outcome in rows} == {1}
        (refused,) = [outcome for status, _attempts, outcome in rows if status == "rejected"]
        assert "InputError" in refused
        assert tx.count(Referral) == 8 + 7
        for i in range(8):
            assert tx.get(Referral, f"r{i}").status is ReferralStatus.WON
        trail = [e for e in tx.audit_trail(limit=1000) if e.record_id == "r5"]
    assert [(e.field, e.new_value) for e in trail] == [("deal_id", "90005"), ("status", "won")]


def test_the_last_audit_times_stay_known_when_held_entries_are_sent(store: Store) -> None:
    with store.transaction() as plain:
        tx = CachingTx(plain.connection)
        kinds = ("referral",)
        tx.preload_last_audit(kinds, "status", ["r1"])
        assert tx.last_audit_at(kinds, "r1", "status") is None
        tx.audit(StageChange("referral", "r1", "status", None, "won", "test"), actor="t", at=T0)
        plain.connection.execute(select(text("1")))  # sends the held entry
        assert not tx._held
        with statements(store) as seen:
            assert tx.last_audit_at(kinds, "r1", "status") == T0
        assert seen == []  # known without asking the store again


def test_held_rows_are_stored_as_the_store_writes_them(store: Store) -> None:
    """Held rows may go straight to the driver (SQLite): the stored values, JSON, money,
    dates and aware datetimes included, are those of the store's own write path."""
    crm = CrmIds(hubspot_contact_id="501")
    later = T0 + timedelta(hours=5, microseconds=7)

    def written(suffix: str) -> list[Record]:
        return [
            Member(
                id=f"m{suffix}",
                name="Mitglied",
                circle=Circle.PARTNER,
                email="m@example.de",
                crm=crm,
                created_at=later,
                updated_at=later,
            ),
            # Whole seconds too: SQLite's text of a datetime must be the store's own.
            referral(f"r{suffix}", "c1", "p1", amount="4881196.87", recipient="p2", created=T0),
            partnership(id=f"pa{suffix}", member_id="c1", stage_changed_at=later),
            agreement(id=f"a{suffix}", partnership_id=f"pa{suffix}"),
        ]

    with store.transaction() as tx:
        tx.put_many([member("c1"), member("p1"), member("p2"), *written("-plain")])
    with store.transaction() as plain:
        tx = CachingTx(plain.connection)
        tx.put_many(written("-held"))
        assert len(tx._held) == 4
        tx.flush()
    with store.reading() as tx:
        for table in ("members", "referrals", "partnerships", "agreements"):
            # As stored: no result processing on the way back.
            result = tx.connection.exec_driver_sql(f"SELECT * FROM {table} ORDER BY id")
            stored = [dict(row) for row in result.mappings()]
            held = [row for row in stored if str(row["id"]).endswith("-held")]
            kept = [row for row in stored if str(row["id"]).endswith("-plain")]
            assert len(held) == len(kept) == 1
            for row in (*held, *kept):
                row.pop("id")
                row.pop("partnership_id", None)
            assert held == kept, table
        assert tx.get(Referral, "r-held").amount == Decimal("4881196.87")
        assert tx.get(Member, "m-held").crm == crm


def test_an_event_whose_writes_are_all_held_opens_no_savepoint(
    client: FlaskClient, worker: InboxWorker, store: Store
) -> None:
    network(store, 20)
    worker.max_hold = float("inf")
    post_hubspot(client, events(0, 16), at=T0)  # 48 events
    sent: list[str] = []

    def trace(connection: Any, *_args: object) -> None:
        # Every statement the driver runs, the savepoints on its cursor included.
        if hasattr(connection, "set_trace_callback"):
            connection.set_trace_callback(sent.append)

    def untrace(connection: Any, *_args: object) -> None:
        if hasattr(connection, "set_trace_callback"):
            connection.set_trace_callback(None)

    event.listen(store.engine, "checkout", trace)
    event.listen(store.engine, "checkin", untrace)
    try:
        result = worker.step()
    finally:
        event.remove(store.engine, "checkout", trace)
        event.remove(store.engine, "checkin", untrace)
    assert (result.done, result.rejected) == (48, 0)
    if store.engine.dialect.name == "sqlite":
        assert sent  # traced
        # Its lookups were loaded before it and its writes are sent after it: no event ran
        # a statement of its own, so none needed a savepoint (main: 48).
        assert [s for s in sent if "SAVEPOINT" in s] == []
