"""Per-member locks around the ladder count, on PostgreSQL, in an order that cannot deadlock.

Why: two inbox workers winning two different deals of one referrer at the same moment each
count that referrer's won referrals without the other's uncommitted win (READ COMMITTED),
and the customer → referrer → partner ladder stayed a rung low until the member's next
event. So a transaction counts a member's referrals only while it holds that member's
transaction-scoped advisory lock, and reads what it counts only after taking it: the second
of two such transactions then counts after the first committed, and sees both wins.

No deadlock among the inbox workers, by the order locks are waited for in:

* a batch waits for its CRM objects' locks (``InboxStore.lock_objects``, a key space of
  its own) only as its transaction's first statement, holding no member lock yet;
* it waits for member locks only before its first event writes anything (the members
  found busy before, then those of its first load, :func:`stop_waiting`), and only for a
  key above every member key it already holds;
* any other member lock it only tries (``pg_try_advisory_xact_lock``): if another
  transaction holds it, :class:`MemberBusy`, and the batch commits what it has done and
  goes on in a new transaction that takes the busy members first (no attempt counted; each
  such turn adds a member, so the batch gets through).

So whoever waits for an object lock holds no member lock, member locks are waited for only
upwards in key order, and nobody waits for a member while holding rows it wrote: no cycle
of waits can form. A batch's transaction is *planned* (:func:`plan`): it takes its members'
locks when it loads what it will count (``connector.inbox.apply.preload``), outside the
events' savepoints (a ROLLBACK TO SAVEPOINT releases a lock taken inside one), so a member
its load did not foresee is :class:`MemberBusy` too, and the next transaction takes it
first. A held outcome settling (``InboxWorker.settle_due``) only tries and is settled on a
later pass if busy. Any other transaction (``refnet advance``, signing an agreement) waits
upwards and tries backwards as above; one that already wrote a row a batch then wants could
still close a cycle through that row lock, which PostgreSQL breaks by aborting one of the
two after its deadlock timeout (a batch is then retried; the command fails and can be run again).
An import counts without member locks (:func:`without_member_locks`): a worker winning a
deal of a member the import counts at that moment can still leave it a rung low.

SQLite needs none of this: a transaction that writes holds the file's single write lock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

from sqlalchemy import text

from connector.errors import MemberBusy
from connector.store.repository import Tx

__all__ = [
    "hold_for_count",
    "hold_members",
    "member_lock_key",
    "plan",
    "stop_waiting",
    "without_member_locks",
]

# Many at once, waiting for each in turn in the order given (ascending keys).
_WAIT = text(
    "SELECT pg_advisory_xact_lock(key) "
    "FROM unnest(CAST(:keys AS bigint[])) WITH ORDINALITY AS k(key, n) ORDER BY n"
)
# Many at once, without waiting: which of them this transaction got.
_TRY = text(
    "SELECT key FROM unnest(CAST(:keys AS bigint[])) WITH ORDINALITY AS k(key, n) "
    "WHERE pg_try_advisory_xact_lock(key) ORDER BY n"
)


@dataclass
class _Held:
    """The member locks one transaction holds (until it ends)."""

    planned: bool = False
    exempt: bool = False  # counts without member locks (an import, see without_member_locks)
    may_wait: bool = True  # False once it may hold row locks another holder could want
    members: set[str] = field(default_factory=set)
    top: int | None = None  # the largest key held

    def took(self, member_id: str, key: int) -> None:
        self.members.add(member_id)
        self.top = key if self.top is None else max(self.top, key)


# Per transaction object; gone with it (a Tx lives exactly as long as its transaction).
_HELD: WeakKeyDictionary[Tx, _Held] = WeakKeyDictionary()


def member_lock_key(member_id: str) -> int:
    """A stable signed 64-bit advisory lock key for one member.

    Hashed with a prefix of its own, so member keys never meet the CRM objects' keys
    (``connector.inbox.store._lock_key``) but by a 2**-64 chance, which would only make two
    transactions wait for each other in the same deadlock-free order.
    """
    digest = hashlib.sha256(b"refnet-member\x1f" + member_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _on_postgres(tx: Tx) -> bool:
    return tx.connection.dialect.name == "postgresql"


def plan(tx: Tx) -> None:
    """Mark ``tx`` as a batch that takes its member locks up front (see the module)."""
    if _on_postgres(tx):
        _HELD.setdefault(tx, _Held()).planned = True


def stop_waiting(tx: Tx) -> None:
    """From now on ``tx`` only tries member locks (:class:`MemberBusy` if one is held).

    For a transaction about to write rows that a holder of a member lock may want to write
    too (a batch's events; a held outcome settling its deal): waiting for that holder then
    could close a cycle through a row lock, which PostgreSQL would only break by aborting
    one of the two after its deadlock timeout.
    """
    if _on_postgres(tx):
        _HELD.setdefault(tx, _Held()).may_wait = False


def without_member_locks(tx: Tx) -> None:
    """Let ``tx`` count ladders without member locks: an import, which may count a hundred
    thousand members in one transaction, and PostgreSQL's shared lock table (by default 64
    locks per connection for all) would run out long before."""
    if _on_postgres(tx):
        _HELD.setdefault(tx, _Held()).exempt = True


def hold_members(tx: Tx, member_ids: Iterable[str]) -> list[str]:
    """Take the locks of these members for the rest of ``tx``; the ones newly taken.

    Waits only for keys above every member key ``tx`` already holds (and not at all after
    :func:`stop_waiting`); the others are tried, and :class:`MemberBusy` (naming those held
    elsewhere) if any is. Call it outside a savepoint that may roll back. Nothing on SQLite.
    """
    if not _on_postgres(tx):
        return []
    held = _HELD.setdefault(tx, _Held())
    wanted = sorted(
        ((member_lock_key(m), m) for m in set(member_ids) if m not in held.members),
    )
    if not wanted:
        return []
    top = held.top
    # (A key equal to the top one is that very lock, held already: taken again at once.)
    if not held.may_wait:
        backwards, forwards = wanted, []
    else:
        backwards = [(key, m) for key, m in wanted if top is not None and key < top]
        forwards = [(key, m) for key, m in wanted if top is None or key >= top]
    if backwards:
        got = set(tx.connection.execute(_TRY, {"keys": [key for key, _m in backwards]}).scalars())
        for key, member_id in backwards:
            if key in got:  # held now whatever happens next, until the transaction ends
                held.took(member_id, key)
        busy = [member_id for key, member_id in backwards if key not in got]
        if busy:
            raise MemberBusy(busy)
    if forwards:
        tx.connection.execute(_WAIT, {"keys": [key for key, _m in forwards]})
        for key, member_id in forwards:
            held.took(member_id, key)
    return [member_id for _key, member_id in wanted]


def hold_for_count(tx: Tx, member_id: str) -> None:
    """Hold ``member_id`` before its referrals are counted for the ladder.

    In a planned batch the member must already be held (taken when the batch loaded it);
    else :class:`MemberBusy`, and the batch takes it first in its next transaction. Any
    other transaction (a held outcome settling, ``refnet advance``, a sync reading a stage
    back) takes it here, before it reads anything of the member: it has no cache that could
    be older. An import counts without (:func:`without_member_locks`).
    """
    if not _on_postgres(tx):
        return
    held = _HELD.get(tx)
    if held is not None and (held.exempt or member_id in held.members):
        return
    if held is not None and held.planned:
        raise MemberBusy([member_id])
    hold_members(tx, [member_id])
