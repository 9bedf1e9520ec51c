"""The store on a real SQLite file: round trips, integrity, transactions, migrations, audit."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from connector.errors import ConfigError, InputError, NotFoundError
from connector.model import (
    Connection,
    Introduction,
    Member,
    Profile,
    ReferralStatus,
    TargetProfile,
)
from connector.rules import StageChange
from connector.store import Store, current_revision, head_revision
from connector.store.all_tables import metadata
from connector.store.schema import members
from tests.connector.factories import agreement, club, member, membership, partnership, referral


def _network() -> list:  # type: ignore[type-arg]
    return [
        member("c1", profile=Profile(industry="food", offers=["CNC", "welding"], needs=["export"])),
        member("c2"),
        TargetProfile(id="tp-1", name="Regional multiplier", industries=["banking"], min_reach=20),
        Connection(id="k1", from_id="c1", to_id="c2", strength=4, willing_to_introduce=True),
        referral("r1", "c1", "c2", status=ReferralStatus.WON, amount="12345.67"),
        partnership(target_profile_id="tp-1"),
        agreement(review_dates=[date(2025, 6, 30)]),
        club(),
        membership(),
        Introduction(id="i1", club_id="club-1", member_a_id="c1", member_b_id="c2", reason="fit"),
    ]


def test_every_record_type_round_trips_unchanged(store: Store) -> None:
    records = _network()
    with store.transaction() as tx:
        tx.put_many(records)
    with store.reading() as tx:
        for record in records:
            assert tx.get(type(record), record.id) == record


def test_amounts_are_exact_and_datetimes_stay_aware_in_utc(store: Store) -> None:
    berlin = timezone(timedelta(hours=1))
    created = datetime(2025, 3, 1, 9, 30, tzinfo=berlin)
    with store.transaction() as tx:
        tx.put_many([member("c1"), member("c2")])
        tx.put(referral("r1", "c1", "c2", amount="0.10", created=created))
    with store.reading() as tx:
        loaded = tx.get(type(referral("x", "a", "b")), "r1")
    assert loaded.amount == Decimal("0.10")
    assert loaded.created_at == created
    assert loaded.created_at.tzinfo is UTC


def test_put_updates_in_place(store: Store) -> None:
    with store.transaction() as tx:
        tx.put(member("c1"))
    with store.transaction() as tx:
        tx.put(member("c1", organisation="Keller GmbH"))
    with store.reading() as tx:
        assert tx.count(Member) == 1
        assert tx.get(Member, "c1").organisation == "Keller GmbH"


def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(InputError, match="integrity"), store.transaction() as tx:
        tx.put(member("c1"))
        tx.put(referral("r1", "c1", "ghost"))
    with store.reading() as tx:
        assert tx.count(Member) == 0, "the whole transaction rolled back"


def test_a_failing_transaction_writes_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.put(member("c1"))
        raise RuntimeError("crash in the middle")
    with store.reading() as tx:
        assert tx.maybe(Member, "c1") is None


def test_unknown_record_is_reported_by_kind_and_id(store: Store) -> None:
    with pytest.raises(NotFoundError) as caught, store.reading() as tx:
        tx.get(Member, "m-404")
    assert str(caught.value) == "member 'm-404' not found"
    assert caught.value.exit_code == 4


def test_find_filters_and_streams_in_id_order(store: Store) -> None:
    with store.transaction() as tx:
        tx.put_many([member(f"c{i}") for i in (3, 1, 2)] + [member("e1", circle="employee")])
    with store.reading() as tx:
        assert [m.id for m in tx.find(Member, circle="customer")] == ["c1", "c2", "c3"]
        assert tx.count(Member, circle="employee") == 1
        assert tx.existing_ids(Member, ["c1", "zz", "e1"]) == {"c1", "e1"}


def test_audit_trail_records_who_what_when_why(store: Store) -> None:
    change = StageChange("referral", "r1", "status", "open", "won", "deal 7 closed")
    with store.transaction() as tx:
        tx.audit(change, actor="webhook", event_ref="hubspot:123")
    with store.reading() as tx:
        (entry,) = tx.audit_trail("r1")
    assert (entry.actor, entry.kind, entry.field, entry.old_value, entry.new_value) == (
        "webhook",
        "referral",
        "status",
        "open",
        "won",
    )
    assert entry.reason == "deal 7 closed" and entry.event_ref == "hubspot:123"
    assert entry.at.tzinfo is UTC


# SQLite cannot reflect the expression indexes on members' CRM ids (autogenerate skips
# them on every backend); the lookups that need them are checked in test_crm_id_lookups_*.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_schema_is_created_by_migrations_and_matches_the_model(database_url: str) -> None:
    store = Store.open(database_url)
    assert current_revision(store.engine) == head_revision()
    with store.engine.connect() as connection:
        diff = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), metadata
        )
    assert diff == []
    assert "audit_log" in inspect(store.engine).get_table_names()
    # Opening again is a no-op, not an error.
    Store.open(database_url)


def test_a_bad_database_url_is_a_config_error_without_the_url(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        Store.open("not a url with s3cret")
    assert "s3cret" not in str(caught.value)
    assert "REFNET_DATABASE_URL" in str(caught.value)


def test_crm_id_lookups_use_an_index(store: Store) -> None:
    lookup = select(members.c.id).where(members.c.crm["hubspot_contact_id"].as_string() == "4711")
    with store.reading() as tx:
        compiled = lookup.compile(tx.connection, compile_kwargs={"literal_binds": True})
        explain = "EXPLAIN QUERY PLAN " if store.engine.dialect.name == "sqlite" else "EXPLAIN "
        if store.engine.dialect.name == "postgresql":
            tx.connection.exec_driver_sql("SET enable_seqscan = off")  # tiny table: force it
        plan = " ".join(str(row) for row in tx.connection.exec_driver_sql(explain + str(compiled)))
    assert "ix_members_hubspot_contact_id" in plan
