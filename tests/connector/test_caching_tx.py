"""A batch's unit of work: what it remembers and holds back stays true through savepoints."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from connector.model import CrmIds, Member, Referral
from connector.rules import StageChange
from connector.store import Store, Tx
from connector.store.cached import CachingTx
from connector.store.schema import audit_log
from tests.connector.factories import T0, member, referral


@pytest.fixture(autouse=True)
def network(store: Store) -> None:
    with store.transaction() as tx:
        tx.put_many(
            [
                member("c1"),
                member("c2"),
                member("p1"),
                referral("r1", "c1", "p1"),
                referral("r2", "c2", "p1"),
            ]
        )


def change(record_id: str, new: str) -> StageChange:
    return StageChange("referral", record_id, "status", None, new, "test")


def audited(store: Store) -> list[tuple[str, str]]:
    with store.reading() as tx:
        rows = tx.connection.execute(
            select(audit_log.c.record_id, audit_log.c.new_value).order_by(audit_log.c.id)
        ).all()
    return [(record_id, new) for record_id, new in rows]


def test_a_savepoint_that_rolls_back_takes_its_held_writes_and_what_was_remembered(
    store: Store,
) -> None:
    with store.transaction() as plain:
        tx = CachingTx(plain.connection)
        with tx.savepoint():
            tx.audit(change("r1", "first"), actor="test")
        with pytest.raises(RuntimeError), tx.savepoint():
            tx.put(referral("r3", "c1", "c2"))
            assert tx.maybe(Referral, "r3") is not None
            tx.audit(change("r3", "opened"), actor="test")
            raise RuntimeError("poisoned")
        # Not remembered any more, and not in the store either.
        assert tx.maybe(Referral, "r3") is None
        tx.flush()
    assert audited(store) == [("r1", "first")]


def test_a_flush_in_a_savepoint_that_rolls_back_keeps_the_earlier_writes_for_later(
    store: Store,
) -> None:
    with store.transaction() as plain:
        tx = CachingTx(plain.connection)
        with tx.savepoint():
            tx.audit(change("r1", "kept"), actor="test")
        with pytest.raises(RuntimeError), tx.savepoint():
            tx.audit(change("r2", "dropped"), actor="test")
            # A read of the audit sends what is held, inside this savepoint...
            assert [e.new_value for e in tx.audit_trail()] == ["kept", "dropped"]
            raise RuntimeError("poisoned")
        # ... so its rollback undid the earlier entry too: it is held again, and sent (once)
        # before anything else runs on the connection, here this count.
        assert tx._held and not tx._sent_in_savepoint
        assert plain.connection.execute(select(func.count()).select_from(audit_log)).scalar() == 1
        assert not tx._held
        tx.flush()
    assert audited(store) == [("r1", "kept")]


def test_remembered_answers_follow_every_write(store: Store) -> None:
    with store.transaction() as plain:
        tx = CachingTx(plain.connection)
        tx.preload_found(Referral, "referrer_id", ["c1", "c2"])
        tx.put(referral("r0", "c1", "c2"))  # joins c1's answer, first by id
        tx.put(tx.get(Referral, "r2").model_copy(update={"referrer_id": "c1"}))  # leaves c2's
        tx.put(referral("r9", "p1", "c2"))  # no remembered answer: asked from the store
        for referrer in ("c1", "c2", "p1"):
            remembered = [r.id for r in tx.find(Referral, referrer_id=referrer)]
            stored = [r.id for r in Tx(plain.connection).find(Referral, referrer_id=referrer)]
            assert remembered == stored
        assert [r.id for r in tx.find(Referral, referrer_id="c1")] == ["r0", "r1", "r2"]
        assert [r.id for r in tx.find(Referral, referrer_id="c1", referred_id="c2")] == ["r0"]


def test_a_member_found_by_crm_contact_id_follows_writes_of_its_crm_ids(store: Store) -> None:
    with store.transaction() as plain:
        tx = CachingTx(plain.connection)
        tx.preload_crm_contacts("hubspot_contact_id", ["501", "502"])
        assert tx.member_by_crm_contact("hubspot_contact_id", "501") is None
        linked = tx.get(Member, "p1").model_copy(update={"crm": CrmIds(hubspot_contact_id="501")})
        tx.put(linked)
        found = tx.member_by_crm_contact("hubspot_contact_id", "501")
        assert found is not None and found.id == "p1"
        # Another member (first by id) takes the same contact id: the store's rule holds.
        tx.put(tx.get(Member, "c1").model_copy(update={"crm": CrmIds(hubspot_contact_id="501")}))
        found = tx.member_by_crm_contact("hubspot_contact_id", "501")
        assert found is not None and found.id == "c1"
        assert tx.member_by_crm_contact("hubspot_contact_id", "502") is None


def test_the_last_audit_time_counts_entries_still_held_back(store: Store) -> None:
    earlier, later = T0 + timedelta(days=1), T0 + timedelta(days=2)
    with store.transaction() as plain:
        plain.audit(change("c1", "referrer"), actor="test", at=earlier)
    with store.transaction() as plain:
        tx = CachingTx(plain.connection)
        kinds = ("referral",)
        tx.preload_last_audit(kinds, "status", ["c1", "c2"])
        assert tx.last_audit_at(kinds, "c1", "status") == earlier
        assert tx.last_audit_at(kinds, "c2", "status") is None
        with tx.savepoint():
            tx.audit(change("c2", "won"), actor="test", at=later)
            assert tx.last_audit_at(kinds, "c2", "status") == later
        with pytest.raises(RuntimeError), tx.savepoint():
            tx.audit(change("c1", "won"), actor="test", at=later)
            assert tx.last_audit_at(kinds, "c1", "status") == later
            raise RuntimeError("poisoned")
        assert tx.last_audit_at(kinds, "c1", "status") == earlier
        assert tx.last_audit_at(kinds, "c2", "status") == later
