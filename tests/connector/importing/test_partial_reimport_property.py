"""Property: re-importing members with any subset of the columns changes exactly those
columns; every omitted column keeps its stored value."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector.importing import import_file
from connector.importing.formats import MEMBERS
from connector.model import Member
from connector.rules import RulesConfig
from connector.services import Actor
from connector.store import Store

ORIGINAL = {
    "id": "k1",
    "name": "Jürgen Müller",
    "email": "jm@mueller.example",
    "organisation": "Müller GmbH",
    "circle": "customer",
    "ladder_stage": "customer",
    "industry": "Maschinenbau",
    "region": "Ulm",
    "size": "medium",
    "offers": "CNC; Schweißen",
    "needs": "Export",
    "goals": "Wachstum",
    "vision": "Marktführer",
    "salesforce_contact_id": "003000000000001AAA",
    "salesforce_account_id": "001000000000001AAA",
    "hubspot_contact_id": "101",
    "hubspot_company_id": "201",
    "created_at": "2025-01-02T03:04:05+00:00",
}
# A value for every column that differs from the original (and keeps the record valid).
CHANGED = {
    "name": "Jürgen Müller-Lang",
    "email": "jml@mueller.example",
    "organisation": "Müller AG",
    "circle": "Kunde",
    "ladder_stage": "Empfehler",
    "industry": "Logistik",
    "region": "Köln",
    "size": "groß",
    "offers": "Lager",
    "needs": "Personal",
    "goals": "Export",
    "vision": "Weltweit",
    "salesforce_contact_id": "003000000000002AAA",
    "salesforce_account_id": "001000000000002AAA",
    "hubspot_contact_id": "102",
    "hubspot_company_id": "202",
    "created_at": "31.12.2025 14:30",
}
OPTIONAL = sorted(CHANGED)


def _csv(rows: list[dict[str, str]], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, delimiter=";", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({c: row[c] for c in columns} for row in rows)
    return out.getvalue()


def _columns_of(member: Member) -> dict[str, str]:
    return MEMBERS.to_row(member)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(subset=st.sets(st.sampled_from(OPTIONAL)))
def test_partial_reimport_changes_only_the_given_columns(
    new_database_url,
    tmp_path: Path,
    subset: set[str],  # type: ignore[no-untyped-def]
) -> None:
    store = Store.open(new_database_url())
    try:
        path = tmp_path / f"members-{uuid.uuid4().hex[:6]}.csv"
        path.write_text(_csv([ORIGINAL], list(ORIGINAL)), encoding="utf-8")
        rules, actor = RulesConfig(), Actor("test")
        import_file(store, path, rules=rules, actor=actor)
        with store.reading() as tx:
            before = _columns_of(tx.get(Member, "k1"))
        columns = ["id", *sorted(subset)]
        path.write_text(_csv([{"id": "k1", **CHANGED}], columns), encoding="cp1252")
        import_file(store, path, rules=rules, actor=actor)
        with store.reading() as tx:
            after = _columns_of(tx.get(Member, "k1"))
        for column in OPTIONAL:
            if column in subset:
                continue
            assert after[column] == before[column], f"omitted column {column} changed"
        for column in subset - {"circle"}:  # Kunde is the circle it already had
            assert after[column] != before[column], f"given column {column} not updated"
    finally:
        store.close()
