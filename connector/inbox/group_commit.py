"""Group commit: the inbox writes of concurrent requests share one transaction and one commit.

Every stored event must be committed before its delivery is acknowledged, and on SQLite a
commit is a sync of the file to disk, made one at a time under the file's single write
lock. With a web process's request threads each committing on its own, intake was bound
by syncs, not by work. Here the first thread to arrive commits; threads arriving while it
does queue their rows, and the next of them commits everything that queued in one
transaction. Each request still learns its own result (how many of its events were new)
only after the commit that holds them, so nothing is acknowledged before it is durable.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine

__all__ = ["GroupCommit", "group_commit_for"]

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class _Request(Generic[T, R]):
    payload: T
    done: bool = False
    result: R | None = None
    error: BaseException | None = None


class GroupCommit(Generic[T, R]):
    """Runs ``write`` for the payloads that queued meanwhile, one call (transaction) at a time.

    ``write`` gets the payloads in arrival order and returns one result per payload; if it
    raises, every request of that group gets the exception.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._pending: list[_Request[T, R]] = []
        self._writing = False

    def submit(self, payload: T, write: Callable[[Sequence[T]], list[R]]) -> R:
        request: _Request[T, R] = _Request(payload)
        with self._cond:
            self._pending.append(request)
            while self._writing and not request.done:
                self._cond.wait()
            if not request.done:  # no one is writing: this thread writes the group
                self._writing = True
                group, self._pending = self._pending, []
            else:
                group = []
        if group:
            try:
                results = write([r.payload for r in group])
            except BaseException as exc:
                for member in group:
                    member.error = exc
            else:
                for member, result in zip(group, results, strict=True):
                    member.result = result
            finally:
                with self._cond:
                    for member in group:
                        member.done = True
                    self._writing = False
                    self._cond.notify_all()
        if request.error is not None:
            raise request.error
        return request.result  # type: ignore[return-value]  # set whenever no error is


_GUARD = threading.Lock()
_BY_ENGINE: weakref.WeakKeyDictionary[Engine, GroupCommit[Any, Any]] = weakref.WeakKeyDictionary()


def group_commit_for(engine: Engine) -> GroupCommit[Any, Any]:
    """The group commit of this process for ``engine`` (shared by all its inbox stores)."""
    with _GUARD:
        found = _BY_ENGINE.get(engine)
        if found is None:
            found = _BY_ENGINE[engine] = GroupCommit()
        return found
