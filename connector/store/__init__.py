"""The store: an embedded SQLite file by default, PostgreSQL (any SQLAlchemy URL) by setting."""

from connector.store.engine import create_store_engine, current_revision, head_revision, migrate
from connector.store.repository import KINDS, AuditEntry, Store, Tx, kind_of

__all__ = [
    "KINDS",
    "AuditEntry",
    "Store",
    "Tx",
    "create_store_engine",
    "current_revision",
    "head_revision",
    "kind_of",
    "migrate",
]
