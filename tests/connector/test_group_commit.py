"""Group commit: requests arriving while one commits share the next commit, and each learns
its own result only after the commit holding it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import pytest

from connector.events import InboundEvent
from connector.inbox import InboxStore
from connector.inbox.group_commit import GroupCommit
from connector.model import utcnow
from connector.store import Store
from tests.waiting import wait_until


def _start_queueing(
    commit: GroupCommit[int, int],
    submit: Callable[[int], None],
    numbers: range,
    where: str,
) -> list[threading.Thread]:
    """Threads submitting ``numbers``, started, once all of them are pending in ``commit``."""
    threads = [threading.Thread(target=submit, args=(n,)) for n in numbers]
    for thread in threads:
        thread.start()
    wait_until(
        lambda: len(commit._pending) == len(threads),
        progress=lambda: len(commit._pending),
        what=f"{len(threads)} requests queueing {where}",
    )
    return threads


def test_requests_queued_during_a_commit_share_the_next_one() -> None:
    commit: GroupCommit[int, int] = GroupCommit()
    first_writing, release_first = threading.Event(), threading.Event()
    groups: list[list[int]] = []

    def write(payloads: Sequence[int]) -> list[int]:
        groups.append(list(payloads))
        if payloads[0] == 0:
            first_writing.set()
            release_first.wait()
        return [p * 10 for p in payloads]

    results: dict[int, int] = {}

    def submit(number: int) -> None:
        results[number] = commit.submit(number, write)

    first = threading.Thread(target=submit, args=(0,))
    first.start()
    first_writing.wait()
    others = _start_queueing(commit, submit, range(1, 6), "behind the running commit")
    assert results == {}, "nobody may answer before its commit is done"
    release_first.set()
    for thread in [first, *others]:
        thread.join()
    assert groups[0] == [0]
    assert sorted(groups[1]) == [1, 2, 3, 4, 5] and len(groups) == 2
    assert results == {n: n * 10 for n in range(6)}


def test_requests_arriving_while_the_writer_waits_for_the_gate_ride_in_its_commit() -> None:
    # The gate stands for SQLite's write lock, held here by another process's commit.
    commit: GroupCommit[int, int] = GroupCommit()
    other_process = threading.Lock()
    other_process.acquire()
    groups: list[list[int]] = []

    def write(payloads: Sequence[int]) -> list[int]:
        groups.append(list(payloads))
        return [p * 10 for p in payloads]

    results: dict[int, int] = {}

    def submit(number: int) -> None:
        results[number] = commit.submit(number, write, gate=lambda: other_process)

    threads = _start_queueing(commit, submit, range(4), "while the first waits for the gate")
    assert groups == [] and results == {}
    other_process.release()
    for thread in threads:
        thread.join()
    assert [sorted(group) for group in groups] == [[0, 1, 2, 3]]
    assert results == {n: n * 10 for n in range(4)}


def test_a_gate_that_fails_fails_the_waiting_requests_and_frees_the_next() -> None:
    commit: GroupCommit[int, int] = GroupCommit()

    class Unavailable:
        def __enter__(self) -> None:
            raise OSError("lock file unreadable")

        def __exit__(self, *_exc: object) -> None:
            return None

    with pytest.raises(OSError, match="lock file unreadable"):
        commit.submit(1, lambda payloads: [p for p in payloads], gate=Unavailable)
    assert commit.submit(2, lambda payloads: [p + 1 for p in payloads]) == 3  # not stuck


def test_a_failed_commit_fails_every_request_of_its_group() -> None:
    commit: GroupCommit[int, int] = GroupCommit()

    def broken(_payloads: Sequence[int]) -> list[int]:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        commit.submit(1, broken)
    assert commit.submit(2, lambda payloads: [p + 1 for p in payloads]) == 3  # not stuck


def _event(number: int) -> InboundEvent:
    return InboundEvent(
        provider="hubspot",
        event_id=f"1:1:{number}:{number}",
        event_type="deal.propertyChange",
        object_type="deal",
        object_id=str(number),
        occurred_at=utcnow(),
        properties={"amount": "1"},
    )


def test_concurrent_receipts_store_each_event_once_and_count_it_once(store: Store) -> None:
    inbox = InboxStore(store)
    accepted: list[int] = []
    duplicates: list[int] = []
    lock = threading.Lock()

    def deliver(start: int) -> None:
        # Overlapping deliveries: each event arrives in two requests.
        result = inbox.receive([_event(n) for n in range(start, start + 10)], now=utcnow())
        with lock:
            accepted.append(result.accepted)
            duplicates.append(result.duplicates)

    threads = [threading.Thread(target=deliver, args=(start,)) for start in range(0, 100, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(accepted) == 105  # events 0..104, each accepted by exactly one request
    assert sum(accepted) + sum(duplicates) == 20 * 10
    assert inbox.stats(now=utcnow()).pending == 105
