"""The inbox claim statement is the one safe for concurrent workers on each backend."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.dialects import postgresql, sqlite

from connector.inbox.store import claim_statement
from tests.webhooks.conftest import T0


def _sql(dialect_name: str) -> str:
    statement = claim_statement(
        dialect_name, now=T0, limit=50, lease=timedelta(seconds=60), token="t"
    )
    dialect = postgresql.dialect() if dialect_name == "postgresql" else sqlite.dialect()
    return " ".join(str(statement.compile(dialect=dialect)).split())


def test_postgresql_claims_skip_rows_other_workers_hold() -> None:
    sql = _sql("postgresql")
    assert sql.startswith("UPDATE webhook_inbox SET")
    assert "WHERE webhook_inbox.id IN (SELECT webhook_inbox.id FROM webhook_inbox" in sql
    assert sql.endswith(
        "ORDER BY webhook_inbox.available_at LIMIT %(param_1)s::INTEGER FOR UPDATE SKIP LOCKED)"
    )


def test_sqlite_claims_are_one_statement_without_row_locks() -> None:
    sql = _sql("sqlite")
    assert sql.startswith("UPDATE webhook_inbox SET")
    assert "FOR UPDATE" not in sql
    assert "LIMIT ?" in sql
