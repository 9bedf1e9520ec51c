"""The sandbox's SQLite file: one connection, one lock, explicit transactions.

Both fake CRMs keep their state here (tables prefixed ``sf_`` and ``hs_``), so a sandbox
started again on the same file finds its schema, records and credentials. The server
answers requests on several threads; every statement runs under one re-entrant lock,
which is plenty for a loopback test server and keeps SQLite's threading rules simple.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["Clock", "Store", "from_ms", "iso_hubspot", "iso_salesforce", "parse_iso_ms"]

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);

CREATE TABLE IF NOT EXISTS sf_objects (
    name TEXT PRIMARY KEY COLLATE NOCASE, key_prefix TEXT NOT NULL UNIQUE,
    spec TEXT NOT NULL, xml TEXT);
CREATE TABLE IF NOT EXISTS sf_fields (
    object TEXT NOT NULL COLLATE NOCASE, name TEXT NOT NULL COLLATE NOCASE,
    position INTEGER NOT NULL, spec TEXT NOT NULL, xml TEXT, PRIMARY KEY (object, name));
CREATE TABLE IF NOT EXISTS sf_records (
    id TEXT PRIMARY KEY, object TEXT NOT NULL COLLATE NOCASE, fields TEXT NOT NULL,
    created_ms INTEGER NOT NULL, modstamp_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS sf_records_by_object ON sf_records (object, modstamp_ms);
CREATE TABLE IF NOT EXISTS sf_index (
    object TEXT NOT NULL COLLATE NOCASE, field TEXT NOT NULL COLLATE NOCASE,
    value TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (object, field, value, id));
CREATE TABLE IF NOT EXISTS sf_metadata (
    type TEXT NOT NULL, full_name TEXT NOT NULL COLLATE NOCASE, xml TEXT NOT NULL,
    PRIMARY KEY (type, full_name));

CREATE TABLE IF NOT EXISTS hs_types (
    type_id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, spec TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS hs_properties (
    type_id TEXT NOT NULL, name TEXT NOT NULL, position INTEGER NOT NULL, spec TEXT NOT NULL,
    PRIMARY KEY (type_id, name));
CREATE TABLE IF NOT EXISTS hs_groups (
    type_id TEXT NOT NULL, name TEXT NOT NULL, spec TEXT NOT NULL, PRIMARY KEY (type_id, name));
CREATE TABLE IF NOT EXISTS hs_records (
    id INTEGER PRIMARY KEY, type_id TEXT NOT NULL, properties TEXT NOT NULL,
    created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS hs_records_by_type ON hs_records (type_id, id);
CREATE TABLE IF NOT EXISTS hs_index (
    type_id TEXT NOT NULL, property TEXT NOT NULL, value TEXT NOT NULL, id INTEGER NOT NULL,
    PRIMARY KEY (type_id, property, value, id));
CREATE TABLE IF NOT EXISTS hs_pipelines (
    id TEXT PRIMARY KEY, type_id TEXT NOT NULL, spec TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS hs_assoc_types (
    from_type TEXT NOT NULL, to_type TEXT NOT NULL, type_id INTEGER NOT NULL,
    category TEXT NOT NULL, label TEXT, name TEXT, inverse_id INTEGER NOT NULL,
    PRIMARY KEY (from_type, to_type, type_id));
CREATE TABLE IF NOT EXISTS hs_associations (
    from_type TEXT NOT NULL, from_id INTEGER NOT NULL, to_type TEXT NOT NULL,
    to_id INTEGER NOT NULL, type_id INTEGER NOT NULL,
    PRIMARY KEY (from_type, from_id, to_type, to_id, type_id));
"""


class Clock:
    """Milliseconds since the epoch, strictly increasing across calls.

    Strictly increasing so that "modified after my last checkpoint" queries in tests are
    deterministic even when two writes land in the same millisecond. ``now`` is injectable
    for tests that need to move time.
    """

    def __init__(self, now: Callable[[], float] = time.time) -> None:
        self._now = now
        self._last = 0
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        with self._lock:
            self._last = max(self._last + 1, int(self._now() * 1000))
            return self._last

    def seconds(self) -> float:
        """The raw injected time, for rate-limit windows."""
        return self._now()


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def iso_salesforce(ms: int) -> str:
    """Salesforce's datetime shape: ``2024-05-01T10:00:00.000+0000``."""
    moment = from_ms(ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def iso_hubspot(ms: int) -> str:
    """HubSpot's datetime shape: ``2024-05-01T10:00:00.000Z``."""
    moment = from_ms(ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


_OFFSET_WITHOUT_COLON = re.compile(r"([+-]\d{2})(\d{2})$")


def parse_iso_ms(text: str) -> int | None:
    """Epoch milliseconds of an ISO 8601 date-time (``Z``, ``+0000`` or ``+00:00``); naive = UTC."""
    normalised = _OFFSET_WITHOUT_COLON.sub(r"\1:\2", text.strip())
    try:
        moment = datetime.fromisoformat(normalised)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


class Store:
    """The SQLite file (or memory) behind both fake CRMs."""

    def __init__(self, path: Path | None, clock: Clock | None = None) -> None:
        self.path = path
        self.clock = clock or Clock()
        # isolation_level=None: transactions are explicit (BEGIN/SAVEPOINT) so that an
        # allOrNone batch can roll back exactly what it wrote.
        self._conn = sqlite3.connect(
            str(path) if path else ":memory:", check_same_thread=False, isolation_level=None
        )
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._depth = 0
        with self._lock:
            # A throw-away test server: commits need not reach the disk before returning
            # (each fsync would cost more than the request itself); WAL keeps readers cheap.
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=OFF")
            self._conn.executescript(_DDL)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run a block atomically; nested blocks become savepoints that roll back alone."""
        with self._lock:
            savepoint = f"sp{self._depth}"
            self._conn.execute("BEGIN IMMEDIATE" if self._depth == 0 else f"SAVEPOINT {savepoint}")
            self._depth += 1
            try:
                yield self._conn
            except BaseException:
                self._depth -= 1
                if self._depth == 0:
                    self._conn.execute("ROLLBACK")
                else:
                    self._conn.execute(f"ROLLBACK TO {savepoint}")
                    self._conn.execute(f"RELEASE {savepoint}")
                raise
            self._depth -= 1
            self._conn.execute("COMMIT" if self._depth == 0 else f"RELEASE {savepoint}")

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._conn.execute(sql, params))

    def query_one(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Row | None:
        with self._lock:
            row: sqlite3.Row | None = self._conn.execute(sql, params).fetchone()
            return row

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        with self.transaction() as conn:
            conn.execute(sql, params)

    def next_value(self, counter: str, start: int = 1) -> int:
        """The next number of a named, persistent sequence (ids, key prefixes, job ids)."""
        with self.transaction() as conn:
            row = conn.execute("SELECT value FROM counters WHERE name = ?", (counter,)).fetchone()
            value = start if row is None else int(row["value"]) + 1
            conn.execute(
                "INSERT INTO counters (name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                (counter, value),
            )
            return value

    def meta(self, key: str, default: Callable[[], str]) -> str:
        """A persistent setting, created from ``default`` the first time it is asked for."""
        with self.transaction() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            if row is not None:
                return str(row["value"])
            value = default()
            conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, value))
            return value
