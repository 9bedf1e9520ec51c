"""The queue for SQLite's write lock that intake and inbox workers share (inbox.write_lock)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from connector.events import InboundEvent
from connector.inbox import InboxStore, enable_sqlite_wal
from connector.inbox.schema import webhook_inbox
from connector.inbox.write_lock import SqliteWriteLock, write_lock_for
from connector.store import Store

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _event(number: int) -> InboundEvent:
    return InboundEvent(
        provider="hubspot",
        event_id=f"lock-{number}",
        event_type="contact.propertyChange",
        object_type="contact",
        object_id=str(number),
        occurred_at=NOW,
        account_id="777",
        properties={"referred_by": "m-1"},
    )


def test_intake_queues_behind_another_process_holding_the_lock_then_stores(tmp_path: Path) -> None:
    database = tmp_path / "lock.db"
    store = Store.open(f"sqlite:///{database}")
    inbox = InboxStore(store)
    # A second lock on the same file: its own descriptor, as another process would have.
    other_process = SqliteWriteLock(str(database))
    results: list[int] = []
    with other_process.held():
        receiving = threading.Thread(
            target=lambda: results.append(inbox.receive([_event(1)], now=NOW).accepted)
        )
        receiving.start()
        receiving.join(0.5)
        # Still queued (not failed, not written past the holder) while the lock is held.
        assert receiving.is_alive()
        assert results == []
    receiving.join(30)
    assert results == [1]
    with store.reading() as tx:
        stored = tx.connection.execute(select(webhook_inbox.c.event_id)).scalars().all()
    assert stored == ["lock-1"]
    store.close()


def test_a_writer_that_queued_stays_away_four_times_its_hold_and_one_that_did_not_barely(
    tmp_path: Path,
) -> None:
    database = str(tmp_path / "pause.db")
    worker_side = SqliteWriteLock(database)
    with worker_side.held():  # nobody else writes: no pause beyond a scheduler turn
        pass
    assert worker_side.pause_after_hold() < 0.01

    intake_side = SqliteWriteLock(database)
    taken, released = threading.Event(), threading.Event()

    def hold_for_intake() -> None:
        with intake_side.held():
            taken.set()
            released.wait(5)

    holder = threading.Thread(target=hold_for_intake)
    holder.start()
    assert taken.wait(5)
    threading.Timer(0.2, released.set).start()
    with worker_side.held():  # queued behind intake: busy
        threading.Event().wait(0.05)
    holder.join()
    pause = worker_side.pause_after_hold()
    assert pause >= 4 * 0.05
    assert pause <= 1.0


def test_an_in_memory_database_takes_no_file_lock() -> None:
    store = Store.open("sqlite://")
    lock = write_lock_for(store.engine)
    assert lock.path is None
    with lock.held():
        pass
    store.close()


def test_every_sqlite_connection_syncs_each_commit_in_wal_mode_too(tmp_path: Path) -> None:
    """Durable before the 2xx: FULL (2) syncs the WAL on every commit; NORMAL (1) would not."""
    store = Store.open(f"sqlite:///{tmp_path / 'durable.db'}")
    assert enable_sqlite_wal(store)
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2
    store.close()


def test_a_lock_file_that_cannot_be_created_leaves_the_locking_to_sqlite(tmp_path: Path) -> None:
    missing = tmp_path / "gone" / "store.db"  # its directory does not exist
    lock = SqliteWriteLock(str(missing))
    with lock.held():  # no error here: the write inside reports the store's state
        pass
    assert not Path(f"{missing}.writelock").exists()


def _until(condition: Callable[[], bool]) -> bool:
    """Wait (bounded) until another thread got somewhere; no time is asserted."""
    for _ in range(500):
        if condition():
            return True
        threading.Event().wait(0.01)
    return False


def test_the_holder_sees_whether_another_process_or_thread_queues(tmp_path: Path) -> None:
    database = str(tmp_path / "want.db")
    worker_side = SqliteWriteLock(database)
    other_process = SqliteWriteLock(database)  # descriptors of its own, as another process
    assert worker_side.wanted() is False
    for queued_lock in (other_process, worker_side):  # another process, then a thread
        with worker_side.held():
            assert worker_side.wanted() is False  # holding it is not waiting for it
            done = threading.Event()

            def write(lock: SqliteWriteLock = queued_lock, done: threading.Event = done) -> None:
                with lock.held():
                    done.set()

            writer = threading.Thread(target=write)
            writer.start()
            assert _until(worker_side.wanted)
            assert not done.is_set()  # still queued behind this hold
        writer.join(30)
        assert done.is_set()
        assert worker_side.wanted() is False
        assert other_process.wanted() is False
