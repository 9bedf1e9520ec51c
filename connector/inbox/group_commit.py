"""Group commit: the inbox writes of concurrent requests share one transaction and one commit.

Every stored event must be committed before its delivery is acknowledged, and on SQLite a
commit is a sync of the file to disk, made one at a time under the file's single write
lock. With a web process's request threads each committing on its own, intake was bound
by syncs, not by work. Here the first thread to arrive commits; threads arriving while it
does queue their rows, and the next of them commits everything that queued in one
transaction. Each request still learns its own result (how many of its events were new)
only after the commit that holds them, so nothing is acknowledged before it is durable.

The writer takes its group only once it holds the write gate (SQLite's write lock, shared
with the other web processes and the inbox workers): what arrives while it queues behind
another process's commit rides along in this one. Taken before the gate, a group held the
requests of the moment the writer started queueing, and a commit's sync carried less.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine

__all__ = ["GroupCommit", "group_commit_for"]

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class _Request(Generic[T, R]):
    payload: T
    # Set when the request's group has committed, or when it is to write the next group.
    turn: threading.Event = field(default_factory=threading.Event)
    done: bool = False
    result: R | None = None
    error: BaseException | None = None


class GroupCommit(Generic[T, R]):
    """Runs ``write`` for the payloads that queued meanwhile, one call (transaction) at a time.

    ``write`` gets the payloads in arrival order and returns one result per payload; if it
    raises, every request of that group gets the exception. Each waiting request has an
    event of its own: a commit wakes the requests it answered and the one that writes next,
    not every waiting thread (with 16 request threads, waking all of them on each commit
    cost more interpreter time than the commit's own work).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[_Request[T, R]] = []
        self._writing = False

    def submit(
        self,
        payload: T,
        write: Callable[[Sequence[T]], list[R]],
        gate: Callable[[], AbstractContextManager[object]] = nullcontext,
    ) -> R:
        """``payload``'s result once the commit holding it is done.

        ``gate`` is entered around each ``write`` (the store's write lock); the group is
        what has queued by the time it is held.
        """
        request: _Request[T, R] = _Request(payload)
        with self._lock:
            self._pending.append(request)
            leads = not self._writing
            self._writing = True
        if not leads:
            request.turn.wait()
        if not request.done:  # this thread writes the group that queued meanwhile
            self._write(write, gate)
        if request.error is not None:
            raise request.error
        return request.result  # type: ignore[return-value]  # set whenever no error is

    def _write(
        self,
        write: Callable[[Sequence[T]], list[R]],
        gate: Callable[[], AbstractContextManager[object]],
    ) -> None:
        group: list[_Request[T, R]] = []
        try:
            with gate():
                group = self._take_pending()
                results = write([r.payload for r in group])
        except BaseException as exc:
            if not group:  # the gate failed before the group was taken: it is this one's
                group = self._take_pending()
            for member in group:
                member.error = exc
        else:
            for member, result in zip(group, results, strict=True):
                member.result = result
        finally:
            with self._lock:
                for member in group:
                    member.done = True
                following = self._pending[0] if self._pending else None
                self._writing = following is not None
            for member in group:
                member.turn.set()
            if following is not None:  # hand the writing on: it takes all that queued
                following.turn.set()

    def _take_pending(self) -> list[_Request[T, R]]:
        """Every request queued so far, in arrival order, as the group to write now."""
        with self._lock:
            group, self._pending = self._pending, []
        return group


_GUARD = threading.Lock()
_BY_ENGINE: weakref.WeakKeyDictionary[Engine, GroupCommit[Any, Any]] = weakref.WeakKeyDictionary()


def group_commit_for(engine: Engine) -> GroupCommit[Any, Any]:
    """The group commit of this process for ``engine`` (shared by all its inbox stores)."""
    with _GUARD:
        found = _BY_ENGINE.get(engine)
        if found is None:
            found = _BY_ENGINE[engine] = GroupCommit()
        return found
