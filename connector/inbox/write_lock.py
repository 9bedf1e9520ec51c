"""One queue for SQLite's write lock across refnet's processes: web intake and inbox workers.

SQLite has a single write lock per database file, and a writer that finds it taken does
not queue: its busy handler sleeps and polls again (1, 2, 5, ... up to 100 ms between
tries, for up to ``busy_timeout``). Under load that is a lottery the poller keeps losing:
an inbox worker committing one short transaction after another took the lock back before
a web process's sleep ended, so intake stalled for seconds (and answered 503 after the
5 s timeout) although each hold was a few milliseconds.

Here the hot writers (intake's group commit, a worker's claim and its batch transactions)
first take an exclusive ``flock`` on a file beside the database, ``<file>.writelock``.
``flock`` waits in the kernel and is handed over the moment its holder lets go, so a
writer waits for the transactions ahead of it, not for a sleep to run out. Inside a
process a thread lock comes first (``flock`` belongs to the open file, which the
process's threads share). SQLite's own locking stays in force underneath: a writer that
does not take this lock (a CLI command, another tool) is still kept apart by SQLite and
only waits the old way. In-memory databases and PostgreSQL (row locks, many writers) need
none of this.

A writer that has to queue says so while it waits: it holds a shared ``flock`` on
``<file>.writelock.want``, so the holder can ask :meth:`SqliteWriteLock.wanted` (an
exclusive try on a descriptor of its own) and keep a transaction open longer only while
nobody waits (the inbox worker: one transaction per claimed batch when intake is quiet).
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from sqlalchemy import Engine

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: SQLite's own locking alone
    fcntl = None  # type: ignore[assignment]

__all__ = ["SqliteWriteLock", "write_lock_for"]


class SqliteWriteLock:
    """Exclusive access to a SQLite file's write lock, queued across threads and processes."""

    def __init__(self, database: str | None) -> None:
        self._thread_lock = threading.Lock()
        self.path = f"{database}.writelock" if database and fcntl is not None else None
        self._file: IO[bytes] | None = None
        self._pid: int | None = None
        # The "someone waits" file: held shared while this process's threads queue (how
        # many do: _waiting), tried exclusively on its own descriptor by wanted().
        self._want_guard = threading.Lock()
        self._waiting = 0
        self._want_files: tuple[IO[bytes], IO[bytes]] | None = None
        self._want_pid: int | None = None
        # Per thread: whether its last hold had to queue, and how long it held the lock.
        self._last = threading.local()

    def _lock_file(self) -> IO[bytes]:
        # Opened per process: a descriptor inherited over fork would share its lock with
        # the parent (flock belongs to the open file description).
        if self._file is None or self._pid != os.getpid():
            assert self.path is not None
            self._file = open(self.path, "ab")  # noqa: SIM115 - held for the process's life
            self._pid = os.getpid()
        return self._file

    @contextmanager
    def held(self) -> Iterator[None]:
        if not self._thread_lock.acquire(blocking=False):  # another thread writes: queue
            with self._wanting():
                self._thread_lock.acquire()
        try:
            lock_file = self._open_lock_file()
            if lock_file is None:
                yield
                return
            waited = False
            try:
                fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # another process writes now: queue for it
                waited = True
                with self._wanting():
                    fcntl.flock(lock_file, fcntl.LOCK_EX)
            taken = time.monotonic()
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)
                self._last.hold = (waited, time.monotonic() - taken)
        finally:
            self._thread_lock.release()

    @contextmanager
    def _wanting(self) -> Iterator[None]:
        """While this thread queues: the want file held shared (once for the process)."""
        with self._want_guard:
            files = self._open_want_files()
            self._waiting += 1
            if self._waiting == 1 and files is not None:
                fcntl.flock(files[0], fcntl.LOCK_SH)
        try:
            yield
        finally:
            with self._want_guard:
                self._waiting -= 1
                if self._waiting == 0 and files is not None:
                    fcntl.flock(files[0], fcntl.LOCK_UN)

    def wanted(self) -> bool:
        """Whether another writer (a thread or process) queues for the lock now."""
        with self._want_guard:
            if self._waiting:
                return True
            files = self._open_want_files()
            if files is None:
                return False
            try:
                fcntl.flock(files[1], fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(files[1], fcntl.LOCK_UN)
            return False

    def _open_want_files(self) -> tuple[IO[bytes], IO[bytes]] | None:
        """Two descriptors of the want file (flock conflicts between descriptors, even in
        one process): one held shared while waiting, one to try. Per process, as the lock
        file; None where there is no lock file."""
        if self.path is None:
            return None
        if self._want_files is None or self._want_pid != os.getpid():
            if self._want_pid is not None and self._want_pid != os.getpid():
                # A forked child inherits the count of its parent's waiting threads, not them.
                self._waiting = 0
            try:
                want = f"{self.path}.want"
                self._want_files = (open(want, "ab"), open(want, "ab"))  # noqa: SIM115
            except OSError:
                return None
            self._want_pid = os.getpid()
        return self._want_files

    def _open_lock_file(self) -> IO[bytes] | None:
        if self.path is None:
            return None
        try:
            return self._lock_file()
        except OSError:
            # No lock file (the directory is gone or read-only): SQLite's own locking still
            # keeps writers apart, and the write itself reports the store's state (503).
            return None

    def yield_turn(self) -> None:
        """Between a background writer's transactions: let intake have the lock first.

        ``flock`` wakes its waiters when released, but a holder that goes on running
        would take it again before they are scheduled, so the inbox worker always sleeps
        a moment. When its last transaction had to queue behind another process (intake
        is busy), it stays away four times as long as it held the lock: the worker then
        takes at most a fifth of the write lock's time, and intake the rest. When nothing
        else writes, it goes on at once.
        """
        if self.path is not None:
            time.sleep(self.pause_after_hold())

    def pause_after_hold(self) -> float:
        """Seconds :meth:`yield_turn` stays away after this thread's last hold."""
        waited, held_for = getattr(self._last, "hold", (False, 0.0))
        pause = min(held_for * _BUSY_YIELD_FACTOR, _MAX_YIELD_SECONDS) if waited else 0.0
        return max(pause, _YIELD_SECONDS)


_YIELD_SECONDS = 0.002
_BUSY_YIELD_FACTOR = 4.0
_MAX_YIELD_SECONDS = 1.0
_GUARD = threading.Lock()
_BY_ENGINE: weakref.WeakKeyDictionary[Engine, SqliteWriteLock] = weakref.WeakKeyDictionary()


def write_lock_for(engine: Engine) -> SqliteWriteLock:
    """The write lock of ``engine``'s SQLite file (one per engine in this process)."""
    with _GUARD:
        found = _BY_ENGINE.get(engine)
        if found is None:
            database = engine.url.database
            on_disk = database not in (None, "", ":memory:") and not str(database).startswith(
                "file::memory:"
            )
            found = _BY_ENGINE[engine] = SqliteWriteLock(
                os.path.abspath(database) if on_disk and database else None
            )
        return found
