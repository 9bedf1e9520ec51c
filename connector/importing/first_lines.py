"""Where each id (or natural key) was first used in one import, kept on disk, not in memory.

A duplicate row must be reported with the line of the key's first use however far apart
the two rows are; at a million connections a dict of ids and pairs held 200+ MiB and grew
with the file. The keys live in a private temporary SQLite database instead (the standard
library's ``sqlite3``, whatever store the import writes to): its page cache is bounded and
spills to a temp file, so memory stays flat; the database is deleted when it is closed.
Lookups and inserts go a chunk at a time.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

__all__ = ["FirstLines"]

# Below SQLite's bound-parameter limit (999 before 3.32).
_BATCH = 400


class FirstLines:
    """Key (an id, a contact's identity) → first line, per ``space`` (a record kind)."""

    def __init__(self) -> None:
        # "" opens a private temporary database on disk, deleted on close (SQLite docs,
        # "In-Memory Databases" / "Temporary Databases"); no journal: it is thrown away.
        self._db = sqlite3.connect("", isolation_level=None)
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        # One transaction for the database's whole life, never committed (it is thrown away):
        # in autocommit every statement ended a transaction of its own, whose end walks the
        # page cache; at a million keys 3.2 s of CPU and 4.3 s wall, 1.6 s / 1.7 s in one.
        # Closing drops it (Python docs, sqlite3 "Connection.close": "close() does not
        # automatically call commit()"), and the temporary file goes with it.
        self._db.execute("BEGIN")
        # One table per space (created when its first key comes): no space column to store
        # and compare in every row, and a space with no keys costs no query.
        self._tables: dict[str, str] = {}

    def lines(self, space: str, keys: Iterable[str]) -> dict[str, int]:
        """The first line of each of ``keys`` recorded so far (keys never recorded are absent)."""
        found: dict[str, int] = {}
        table = self._tables.get(space)
        if table is None:
            return found  # nothing recorded: no query
        wanted = sorted(set(keys))
        for start in range(0, len(wanted), _BATCH):
            batch = wanted[start : start + _BATCH]
            marks = ",".join("?" * len(batch))
            found.update(
                self._db.execute(
                    f"SELECT key, line FROM {table} WHERE key IN ({marks})",  # noqa: S608 - our own table name and placeholders only
                    batch,
                )
            )
        return found

    def add(self, space: str, firsts: Iterable[tuple[str, int]]) -> None:
        """Record first lines; a key already recorded keeps its earlier line."""
        rows = firsts if isinstance(firsts, list) else list(firsts)
        if not rows:
            return
        table = self._tables.get(space)
        if table is None:
            table = self._tables[space] = f"space_{len(self._tables)}"
            self._db.execute(
                f"CREATE TABLE {table} (key TEXT PRIMARY KEY, line INTEGER NOT NULL) WITHOUT ROWID"
            )
        self._db.executemany(f"INSERT OR IGNORE INTO {table} (key, line) VALUES (?, ?)", rows)  # noqa: S608 - our own table name

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> FirstLines:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
