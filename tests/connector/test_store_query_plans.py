"""Webhook lookups by CRM contact id use their expression index on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from connector.store import Store
from connector.store.schema import CrmKeyText, members


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
