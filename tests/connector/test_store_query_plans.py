"""The webhook worker's lookups search indexes on both databases, never read whole tables."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, event, select

from connector.events import EventRules, InboundEvent
from connector.inbox import InboxStore, InboxWorker
from connector.inbox.apply import _synced_record, audit_refused_move
from connector.model import Circle, CrmIds, MembershipStatus
from connector.rules import RulesConfig, StageChange
from connector.services import Actor
from connector.store import Store
from connector.store.schema import CrmKeyText, members
from connector.writeback import OutboxWriteBack
from tests.connector.factories import club, member, membership, partnership, referral


@pytest.mark.parametrize("key", ["hubspot_contact_id", "salesforce_contact_id"])
def test_a_member_lookup_by_crm_contact_id_uses_its_index(store: Store, key: str) -> None:
    query = select(members.c.id).where(CrmKeyText(key) == "4711")
    with store.engine.connect() as connection:
        sql = str(query.compile(dialect=connection.dialect))
        if connection.dialect.name == "sqlite":
            plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", ("4711",)).all()
        else:
            # An empty table is cheaper to scan; forbid the scan to learn whether the index
            # can serve the expression at all.
            connection.exec_driver_sql("SET enable_seqscan = off")
            plan = connection.exec_driver_sql(f"EXPLAIN {sql}", {"param_1": "4711"}).all()
    assert f"ix_members_{key}" in " ".join(str(row) for row in plan)


def test_each_crm_key_finds_its_own_member(store: Store) -> None:
    now = datetime.now(UTC)
    rows = [
        {"id": "m-hs", "crm": {"hubspot_contact_id": "1"}},
        {"id": "m-sf", "crm": {"salesforce_contact_id": "1"}},
    ]
    with store.engine.begin() as connection:
        connection.execute(
            members.insert(),
            [
                {**row, "name": row["id"], "circle": "customer", "profile": {}}
                | {"created_at": now, "updated_at": now}
                for row in rows
            ],
        )
        # The key is part of the statement's cache key: the second query must not reuse the
        # first one's SQL with the other key written into it.
        found = [
            connection.execute(select(members.c.id).where(CrmKeyText(key) == "1")).scalars().all()
            for key in ("hubspot_contact_id", "salesforce_contact_id")
        ]
    assert found == [["m-hs"], ["m-sf"]]


# --- every lookup the inbox worker makes per event ----------------------------------------


def _plan_lines(
    connection: Connection, statement: str, parameters: Any, *, forbid_sorts: bool = False
) -> list[str]:
    """The lines of ``statement``'s plan; on PostgreSQL with sequential scans (and, when
    asked, sorts) forbidden: tables in tests are nearly empty, where a scan is cheaper, so a
    scan or sort left in the plan is one no index can spare."""
    if connection.dialect.name == "sqlite":
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
        return [str(row[-1]) for row in plan]
    connection.exec_driver_sql("SET enable_seqscan = off")
    if forbid_sorts:
        connection.exec_driver_sql("SET enable_sort = off")
    plan = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters).all()
    return [str(row[0]).strip() for row in plan]


def _plan_scans(connection: Connection, statement: str, parameters: Any) -> list[str]:
    """The full-table reads in the plan of ``statement`` (empty: every table is searched)."""
    lines = _plan_lines(connection, statement, parameters)
    if connection.dialect.name == "sqlite":
        # "SEARCH t USING INDEX …" is a lookup; "SCAN t" (with or without an index named:
        # then the whole index is read) grows with the table.
        return [line for line in lines if line.startswith("SCAN ")]
    return [line for line in lines if "Seq Scan" in line]


@contextmanager
def _statements(store: Store) -> Iterator[list[tuple[str, Any]]]:
    """Every lookup (SELECT, UPDATE, DELETE) the engine runs meanwhile, with its parameters."""
    seen: list[tuple[str, Any]] = []

    def record(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool
    ) -> None:
        verb = statement.lstrip().split(None, 1)[0].upper()
        if not many and verb in ("SELECT", "UPDATE", "DELETE", "WITH"):
            seen.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", record)


def _hubspot(event_id: int, kind: str, object_id: int, **properties: str) -> InboundEvent:
    return InboundEvent(
        provider="hubspot",
        event_id=f"1:{event_id}:{object_id}",
        event_type=kind,
        object_type=kind.split(".", maxsplit=1)[0],
        object_id=str(object_id),
        occurred_at=datetime(2026, 3, 2, 9, 0, event_id, tzinfo=UTC),
        account_id="1",
        properties=properties,
    )


def test_every_lookup_of_the_inbox_worker_searches_an_index(store: Store) -> None:
    now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    with store.transaction() as tx:
        tx.put_many(
            [
                member("c1"),
                member("c2", email="c2@example.org"),
                member("p1", circle=Circle.PROSPECT).model_copy(
                    update={"crm": CrmIds(hubspot_contact_id="7001")}
                ),
                referral("r1", "c1", "p1"),
                referral("r2", "c2", "p1"),
                club(),
                membership(id="ms-1", member_id="c1", status=MembershipStatus.MEMBER),
                partnership(id="pa-1", member_id="c1"),
            ]
        )
    events = [
        _hubspot(1, "contact.propertyChange", 7101, referred_by="c1"),  # by member id
        _hubspot(2, "contact.propertyChange", 7102, referred_by="c2@example.org"),  # by e-mail
        _hubspot(3, "contact.propertyChange", 7103, referred_by="7001"),  # by CRM contact id
        _hubspot(4, "deal.propertyChange", 9001, refnet_referral_id="r1"),  # link by id
        _hubspot(5, "deal.propertyChange", 9001, dealstage="closedwon"),  # won: settle, ladder
        _hubspot(6, "deal.propertyChange", 9002, referred_by="c2"),  # link by referrer
        _hubspot(7, "deal.propertyChange", 9002, dealstage="closedlost"),
    ]
    InboxStore(store).receive(events, now=now)
    worker = InboxWorker(
        store,
        rules=RulesConfig(),
        event_rules=EventRules(),
        writeback=OutboxWriteBack(store, clock=lambda: now),
        clock=lambda: now,
    )
    with _statements(store) as seen:
        result = worker.step()
        # The partner board's lookups, outside a batch of events: a card by its CRM id, and
        # the last audit entry of a refused move.
        with store.transaction() as tx:
            _synced_record(tx, ("2-123",), "555")
            audit_refused_move(
                tx,
                StageChange("partnership", "pa-1", "board_move_refused", "x", "y", "test"),
                Actor("test"),
            )
    # (c2's deal finds two open referrals, c2 having just referred 7102: noted, ignored.)
    assert (result.done, result.ignored) == (5, 2), result
    assert len(seen) > 20
    scans: dict[str, list[str]] = {}
    with store.engine.connect() as connection:
        for statement, parameters in seen:
            found = _plan_scans(connection, statement, parameters)
            if found:
                scans[statement] = found
    assert scans == {}


# --- the inbox's own statements, with a backlog -------------------------------------------


def test_a_claim_and_its_lease_check_read_the_rows_they_take_not_the_backlog(
    store: Store,
) -> None:
    inbox = InboxStore(store)
    now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    inbox.receive([_hubspot(n, "contact.creation", 7000 + n) for n in range(1, 51)], now=now)
    with _statements(store) as seen:
        claim = inbox.claim_batch(now=now, limit=5, lease=timedelta(minutes=1))
        with store.transaction() as tx:
            held = inbox.held_leases(tx, claim.events)
    # The five stored first (one request: in the order stored), each still held.
    assert [event.event.object_id for event in claim.events] == [str(7000 + n) for n in range(1, 6)]
    assert held == {event.row_id for event in claim.events}
    [(claim_sql, claim_parameters)] = [s for s in seen if s[0].startswith("UPDATE webhook_inbox")]
    [(held_sql, held_parameters)] = [
        s for s in seen if s[0].startswith("SELECT webhook_inbox.id, webhook_inbox.status ")
    ]
    with store.engine.connect() as connection:
        claim_plan = "\n".join(
            _plan_lines(connection, claim_sql, claim_parameters, forbid_sorts=True)
        )
        held_plan = "\n".join(_plan_lines(connection, held_sql, held_parameters, forbid_sorts=True))
    # The claim reads the claimable index in its order and stops at the limit: no sort of
    # every pending row. The lease check looks its rows up by id, not by status.
    if store.engine.dialect.name == "sqlite":
        assert "ix_webhook_inbox_claimable" in claim_plan
        assert "TEMP B-TREE" not in claim_plan and "SCAN" not in claim_plan, claim_plan
        assert "INTEGER PRIMARY KEY" in held_plan and "claimable" not in held_plan, held_plan
    else:
        assert "ix_webhook_inbox_claimable" in claim_plan
        assert "Sort" not in claim_plan and "Seq Scan" not in claim_plan, claim_plan
        assert "pk_webhook_inbox" in held_plan and "claimable" not in held_plan, held_plan
