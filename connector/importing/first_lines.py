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
        self._spaces: set[str] = set()  # spaces with at least one key recorded
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute(
            "CREATE TABLE first_line (space TEXT NOT NULL, key TEXT NOT NULL, "
            "line INTEGER NOT NULL, PRIMARY KEY (space, key)) WITHOUT ROWID"
        )

    def lines(self, space: str, keys: Iterable[str]) -> dict[str, int]:
        """The first line of each of ``keys`` recorded so far (keys never recorded are absent)."""
        found: dict[str, int] = {}
        if space not in self._spaces:
            return found  # nothing recorded: no query (most spaces stay empty)
        wanted = sorted(set(keys))
        for start in range(0, len(wanted), _BATCH):
            batch = wanted[start : start + _BATCH]
            marks = ",".join("?" * len(batch))
            found.update(
                self._db.execute(
                    f"SELECT key, line FROM first_line WHERE space = ? "  # noqa: S608 - only placeholders are formatted in
                    f"AND key IN ({marks})",
                    (space, *batch),
                )
            )
        return found

    def add(self, space: str, firsts: Iterable[tuple[str, int]]) -> None:
        """Record first lines; a key already recorded keeps its earlier line."""
        rows = [(space, key, line) for key, line in firsts]
        if not rows:
            return
        self._spaces.add(space)
        self._db.executemany(
            "INSERT OR IGNORE INTO first_line (space, key, line) VALUES (?, ?, ?)",
            rows,
        )

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> FirstLines:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
