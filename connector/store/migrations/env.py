"""Alembic environment: runs on the connection refnet hands over (see connector.store.engine)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from connector.store.all_tables import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things in place; batch mode rebuilds tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("refnet runs migrations on a connection it provides; use connector.store")
_run(connection)
