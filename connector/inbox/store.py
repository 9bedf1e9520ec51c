"""The inbox table's operations: receive (deduplicated), claim (leased), finish, report.

Claims are one ``UPDATE … WHERE id IN (SELECT … LIMIT n)`` statement: on PostgreSQL the
sub-select takes ``FOR UPDATE SKIP LOCKED`` so concurrent workers take disjoint rows; on
SQLite the statement runs under the database's single write lock, which gives the same
guarantee. A claim is a lease: rows of a worker that died become claimable again when it
runs out, so a crash between receipt and processing loses nothing.

Finishing is conditional on still holding the lease and commits together with the domain
change, so an event is applied at most once even if two workers raced for it; together
with the lease it is applied exactly once.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import secrets
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Dialect,
    Update,
    bindparam,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from connector.errors import TransientError
from connector.events import InboundEvent
from connector.i18n import gettext as _
from connector.inbox.group_commit import group_commit_for
from connector.inbox.payloads import IncomingEvent, PayloadError, decode_payload
from connector.inbox.schema import webhook_inbox
from connector.inbox.write_lock import write_lock_for
from connector.store import Store, Tx
from connector.store.cached import driver_insert

__all__ = [
    "PENDING",
    "Claim",
    "ClaimedEvent",
    "InboxStats",
    "InboxStore",
    "LeaseLost",
    "ReceiveResult",
    "claim_statement",
    "enable_sqlite_wal",
]

log = logging.getLogger("refnet.inbox")

PENDING = "pending"
_T = webhook_inbox
_CHUNK = 200  # rows per round on backends without a driver path (neither SQLite nor PostgreSQL)

# Built once: the worker runs these for every event, and building the expression (and its
# cache key) per event cost more than running it; a built statement memoizes its key.
_SET_OUTCOME = (
    update(_T)
    .where(_T.c.id == bindparam("row_id"))
    .values(status=bindparam("new_status"), outcome=bindparam("new_outcome"))
)
_FAIL_INVALID = (
    update(_T)
    .where(_T.c.id == bindparam("row_id"), _T.c.lease_token == bindparam("token"))
    .values(
        status="failed",
        outcome=bindparam("new_outcome"),
        processed_at=bindparam("now"),
        lease_token=None,
        lease_until=None,
    )
)
# unnest returns the keys in the array's order and each is locked as its row is produced, so
# the sorted array is locked in ascending order: every batch takes its locks in one global
# order, and two batches never wait on each other in a cycle.
_ADVISORY_LOCKS = text(
    "SELECT pg_advisory_xact_lock(key) FROM unnest(CAST(:keys AS bigint[])) AS key"
)
# A batch's events whose leases are still held, and their finish in one statement at the
# end of the batch's transaction (InboxStore.held_leases, InboxStore.finish_all).
_LEASED = (_T.c.id.in_(bindparam("ids", expanding=True))) & (_T.c.lease_token == bindparam("token"))
# The status is read, not searched: with ``status = 'pending'`` in the WHERE both SQLite
# and PostgreSQL chose the claimable index over the primary key and read every pending row
# (~5 / ~12 ms per batch transaction with a backlog of 50,000).
_HELD = select(_T.c.id, _T.c.status).where(_LEASED)
_FINISH_ALL = (
    update(_T)
    .where(_LEASED)
    .values(processed_at=bindparam("now"), lease_token=None, lease_until=None)
)


@dataclass(frozen=True)
class ReceiveResult:
    accepted: int
    duplicates: int


@dataclass(frozen=True)
class ClaimedEvent:
    row_id: int
    event: InboundEvent
    attempts: int
    lease_token: str

    @property
    def object_key(self) -> tuple[str, str, str]:
        return (self.event.provider, self.event.object_type, self.event.object_id)


@dataclass(frozen=True)
class Claim:
    """What one claim leased: the events to apply, and how many failed validation."""

    events: list[ClaimedEvent]
    invalid: int = 0


@dataclass(frozen=True)
class InboxStats:
    by_status: dict[str, int]
    oldest_pending_received_at: datetime | None
    lag_seconds: float

    @property
    def pending(self) -> int:
        return self.by_status.get(PENDING, 0)


class LeaseLost(Exception):  # a signal between inbox and worker, not an error
    """The row is no longer ours (lease expired and taken over, or already finished)."""


_ROW_COLUMNS = (
    "provider",
    "event_id",
    "event_type",
    "object_type",
    "object_id",
    "occurred_at",
    "received_at",
    "payload",
    "status",
    "attempts",
    "available_at",
)


def _row(event: InboundEvent | IncomingEvent, now: datetime) -> dict[str, Any]:
    # An IncomingEvent carries its payload as the CRM sent it (validated when claimed); a
    # neutral event is stored as itself.
    payload = event.payload if isinstance(event, IncomingEvent) else event.model_dump(mode="json")
    return {
        "provider": event.provider,
        "event_id": event.event_id,
        "event_type": event.event_type,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "occurred_at": event.occurred_at,
        "received_at": now,
        "payload": payload,
        "status": PENDING,
        "attempts": 0,
        "available_at": now,
    }


class _DriverIntake:
    """The inbox INSERT for SQLite and PostgreSQL, compiled once and run on the driver.

    Going through SQLAlchemy's statement execution cost about 0.6 ms of CPU per request of
    ten events on SQLite (cache lookup, parameter sets, RETURNING rows) - more than the
    rest of the request; on PostgreSQL psycopg parsed SQLAlchemy's multi-row INSERT anew
    for every request (:class:`DriverInsert`). The SQL and the columns' bind processors
    (aware datetimes to UTC) come from SQLAlchemy, so the stored values are the same as
    through ``execute`` (only the payload's JSON is written by orjson, with other spacing).
    The driver's ``executemany`` runs the statement once per row, and its row count (rows
    changed, summed: a duplicate skipped by ``ON CONFLICT DO NOTHING`` changes none) is how
    many were new.
    """

    def __init__(self, dialect: Dialect) -> None:
        dialect_insert = sqlite.insert if dialect.name == "sqlite" else postgresql.insert
        statement = dialect_insert(_T).on_conflict_do_nothing(
            index_elements=["provider", "event_id"]
        )
        # Compiled as the worker's held INSERTs are: the dialect's own column types (SQLite's
        # DATETIME text, which every other statement binds and compares with), each
        # distinct datetime converted once per group; the payload written by orjson.
        compiled = driver_insert(statement, dialect, _ROW_COLUMNS)
        assert compiled is not None  # every parameter is a column
        self.driver = compiled.with_processor("payload", _json_text)

    def run(self, tx: Tx, rows: Sequence[dict[str, Any]]) -> int:
        # exec_driver_sql: no compiling or parameter processing, but the driver's errors
        # still arrive as SQLAlchemy's (intake answers those with 503).
        sql, parameters = self.driver.sql, self.driver.parameters(rows)
        return int(tx.connection.exec_driver_sql(sql, parameters).rowcount)


def _json_text(payload: Any) -> str:
    """The stored text of an event's payload, read back by the column's ``json.loads``.

    orjson writes it in a tenth of ``json.dumps``'s time (the column's own processor), the
    same values with other spacing. Intake refuses NaN and infinities (which orjson would
    write as null); what orjson cannot write exactly it refuses (integers beyond 64 bits,
    lone surrogates), and those go to ``json.dumps`` as before.
    """
    try:
        return orjson.dumps(payload).decode()
    except TypeError:  # orjson.JSONEncodeError
        return json.dumps(payload)


@functools.cache
def _driver_intake(dialect: Dialect) -> _DriverIntake:
    return _DriverIntake(dialect)


def _lock_key(key: tuple[str, str, str]) -> int:
    """A stable signed 64-bit number for a PostgreSQL advisory lock on one CRM object."""
    digest = hashlib.sha256("\x1f".join(key).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def claim_statement(
    dialect: str, *, now: datetime, limit: int, lease: timedelta, token: str
) -> Update:
    """The one statement that leases up to ``limit`` claimable events to ``token``.

    ``UPDATE … WHERE id IN (SELECT id … LIMIT n FOR UPDATE SKIP LOCKED)`` on PostgreSQL;
    SQLite has no row locks and runs the whole statement under its single write lock.
    """
    claimable = (
        select(_T.c.id)
        .where(
            _T.c.status == PENDING,
            _T.c.available_at <= now,
            or_(_T.c.lease_until.is_(None), _T.c.lease_until < now),
        )
        # Oldest claimable first, in the claimable index's order (status, available_at),
        # read from it and stopped at ``limit``; ties (one request's events) come in the
        # index's order (SQLite: row id; PostgreSQL: the rows' place in the table, in
        # practice the order stored), and a claim is sorted by object and occurrence
        # after it anyway. By id, both read every pending row and sorted them
        # (~20 ms per claim with a backlog of 50,000, under SQLite's write lock), or
        # PostgreSQL walked the primary key through every event ever done; adding id to
        # this order made PostgreSQL sort the backlog again.
        .order_by(_T.c.available_at)
        .limit(limit)
    )
    if dialect == "postgresql":
        claimable = claimable.with_for_update(skip_locked=True)
    return (
        update(_T)
        .where(_T.c.id.in_(claimable.scalar_subquery()))
        .values(lease_token=token, lease_until=now + lease, attempts=_T.c.attempts + 1)
    )


class InboxStore:
    """The webhook inbox on the refnet store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        # SQLite has one writer at a time and makes the others poll with sleeps; queueing
        # the hot writers of every process on one lock instead hands the write lock over
        # at once (connector.inbox.write_lock). PostgreSQL writers do not need it.
        self._sqlite_lock = write_lock_for(store.engine) if self.dialect == "sqlite" else None

    def _write_lock(self) -> AbstractContextManager[None]:
        return self._sqlite_lock.held() if self._sqlite_lock is not None else nullcontext()

    def write_lock_wanted(self) -> bool | None:
        """Whether another writer queues for SQLite's write lock now (None: no such queue,
        PostgreSQL or an in-memory database; connector.inbox.write_lock)."""
        if self._sqlite_lock is None or self._sqlite_lock.path is None:
            return None
        return self._sqlite_lock.wanted()

    def yield_write_lock(self) -> None:
        """Between a background writer's transactions: let waiting intake go first."""
        if self._sqlite_lock is not None:
            self._sqlite_lock.yield_turn()

    @property
    def dialect(self) -> str:
        return self.store.engine.dialect.name

    def receive(
        self, events: Sequence[InboundEvent | IncomingEvent], *, now: datetime
    ) -> ReceiveResult:
        """Store events durably, skipping any already stored; returns when committed.

        Raises :class:`TransientError` when the store cannot be written (the caller answers
        5xx so the CRM retries); the message names no event content.
        """
        unique = list({(e.provider, e.event_id): e for e in events}.values())
        in_request_duplicates = len(events) - len(unique)
        rows = [_row(e, now) for e in unique]
        try:
            # Concurrent requests of this process share one transaction and one commit;
            # each returns only once the commit holding its rows is done.
            inserted: int = group_commit_for(self.store.engine).submit(
                rows, self._insert_groups, self._write_lock
            )
        except SQLAlchemyError as exc:
            raise TransientError(
                _("webhook inbox unavailable ({error})").format(error=type(exc).__name__),
                retry_after=5,
            ) from None
        return ReceiveResult(inserted, in_request_duplicates + len(unique) - inserted)

    def _insert_groups(self, groups: Sequence[list[dict[str, Any]]]) -> list[int]:
        """Insert each request's rows in one transaction; how many of each were new.

        Called under the write lock (the group commit takes it before the group)."""
        with self.store.transaction() as tx:
            return [self._insert_new(tx, rows) for rows in groups]

    def _insert_new(self, tx: Tx, rows: list[dict[str, Any]]) -> int:
        if self.dialect in ("sqlite", "postgresql"):
            return _driver_intake(self.store.engine.dialect).run(tx, rows)
        inserted = 0
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start : start + _CHUNK]
            # Other backends: skip what exists; the unique constraint still guards a race.
            for row in chunk:
                exists = tx.connection.execute(
                    select(_T.c.id).where(
                        _T.c.provider == row["provider"], _T.c.event_id == row["event_id"]
                    )
                ).first()
                if exists is None:
                    tx.connection.execute(insert(_T).values(**row))
                    inserted += 1
        return inserted

    def claim(self, *, now: datetime, limit: int, lease: timedelta) -> list[ClaimedEvent]:
        """Lease up to ``limit`` claimable events, ordered by object, then occurrence time."""
        return self.claim_batch(now=now, limit=limit, lease=lease).events

    def claim_batch(self, *, now: datetime, limit: int, lease: timedelta) -> Claim:
        """Lease up to ``limit`` claimable events and validate them (see :meth:`claim`).

        Intake stores HubSpot events as sent; here each stored payload becomes the neutral
        event. One that does not validate is marked ``failed`` at once with an outcome
        naming the event and the field (``refnet inbox list --status failed`` shows it,
        ``refnet inbox retry`` puts it back), and the rest of the batch goes on. Validation
        runs after the claim's transaction, so it never holds SQLite's write lock.
        """
        token = secrets.token_hex(16)
        with self._write_lock(), self.store.transaction() as tx:
            claim = claim_statement(self.dialect, now=now, limit=limit, lease=lease, token=token)
            mine: ColumnElement[bool]
            if self.dialect in ("sqlite", "postgresql"):
                # The claimed ids come back with the claim: no search by lease token, which
                # has no index and would read the whole (ever growing) inbox.
                ids = list(tx.connection.execute(claim.returning(_T.c.id)).scalars())
                if not ids:
                    return Claim([])
                mine = _T.c.id.in_(ids)
            else:
                tx.connection.execute(claim)
                mine = _T.c.lease_token == token
            rows = tx.connection.execute(
                select(_T.c.id, _T.c.provider, _T.c.event_id, _T.c.payload, _T.c.attempts)
                .where(mine)
                .order_by(
                    _T.c.provider, _T.c.object_type, _T.c.object_id, _T.c.occurred_at, _T.c.id
                )
            ).all()
        events: list[ClaimedEvent] = []
        invalid: list[tuple[Any, str]] = []
        for row in rows:
            try:
                event = decode_payload(row.payload, provider=row.provider, event_id=row.event_id)
            except PayloadError as exc:
                invalid.append((row, str(exc)))
                continue
            events.append(ClaimedEvent(row.id, event, row.attempts, token))
        if invalid:
            self._fail_invalid(invalid, token=token, now=now)
        return Claim(events, len(invalid))

    def _fail_invalid(self, invalid: list[tuple[Any, str]], *, token: str, now: datetime) -> None:
        """Mark events whose payload does not validate as failed, each with its reason.

        Final at once: a stored payload does not change, so retrying with back-off would
        only fail again. Conditional on the lease like every finish.
        """
        with self._write_lock(), self.store.transaction() as tx:
            tx.connection.execute(
                _FAIL_INVALID,
                [
                    {"row_id": row.id, "token": token, "new_outcome": reason[:500], "now": now}
                    for row, reason in invalid
                ],
            )
        for row, _reason in invalid:  # the reason stays in the store: it names CRM fields
            log.error(
                "event failed validation",
                extra={
                    "provider": row.provider,
                    "event_id": row.event_id,
                    "inbox_id": row.id,
                    "status": "failed",
                    "code": "PayloadError",
                },
            )

    @contextmanager
    def batch(self) -> Iterator[Tx]:
        """One transaction for a claimed batch; each event runs in a SAVEPOINT within it.

        On SQLite it begins ``IMMEDIATE``: the batch will write, and taking the write lock
        first means nothing read in it is stale (a deferred transaction that read before
        another writer committed could not write at all). It also makes pysqlite's
        transaction real before the first SAVEPOINT, which would otherwise open (and its
        RELEASE commit) a transaction of its own per event.
        """
        with self._write_lock(), self.store.transaction() as tx:
            if self.dialect == "sqlite":
                tx.connection.exec_driver_sql("BEGIN IMMEDIATE")
            yield tx

    def lock_objects(self, tx: Tx, claimed: Iterable[ClaimedEvent]) -> None:
        """Before a batch reads anything: hold the CRM objects of all its events.

        A batch loads what its events will look up when it begins (``connector.store.
        cached``). On PostgreSQL (READ COMMITTED) another worker may be applying an event
        of the same deal meanwhile; had this batch read the deal's referral before that
        worker committed, it would apply its own event to what it read, not to what is.
        Waiting for those locks first means every read of the batch sees the other's
        commit, and the locks keep the two from interleaving events of one deal or contact
        until the batch ends. SQLite needs nothing: the batch holds the file's single write
        lock from its ``BEGIN IMMEDIATE``.
        """
        if self.dialect != "postgresql":
            return
        keys = sorted({_lock_key(event.object_key) for event in claimed})
        if keys:
            tx.connection.execute(_ADVISORY_LOCKS, {"keys": keys})

    # --- a batch's leases: checked once when its transaction begins, closed in one statement

    def held_leases(self, tx: Tx, claimed: Sequence[ClaimedEvent]) -> set[int]:
        """The row ids of ``claimed`` whose lease this worker still holds, read in ``tx``.

        They stay held until ``tx`` ends: on SQLite ``tx`` holds the file's write lock
        (:meth:`batch` begins IMMEDIATE), so no other worker can take a lease over meanwhile;
        on PostgreSQL the rows are locked (FOR UPDATE) and a claim skips locked rows. So one
        check per transaction is as good as one per event before its domain change.
        """
        held: set[int] = set()
        for token, events in _by_token(claimed).items():
            query = _HELD.with_for_update() if self.dialect == "postgresql" else _HELD
            ids = [event.row_id for event in events]
            rows = tx.connection.execute(query, {"ids": ids, "token": token})
            held.update(row.id for row in rows if row.status == PENDING)
        return held

    def finish_all(self, tx: Tx, finished: Sequence[ClaimedEvent], *, now: datetime) -> None:
        """Close the leases of the events ``tx`` finished (their statuses and outcomes are
        written by :meth:`set_outcome`), in one statement per claim; :class:`LeaseLost` if
        any was no longer held, and the caller's transaction must then roll back whole."""
        for token, events in _by_token(finished).items():
            ids = [event.row_id for event in events]
            result = tx.connection.execute(_FINISH_ALL, {"ids": ids, "token": token, "now": now})
            if result.rowcount != len(ids):
                raise LeaseLost(ids)

    @staticmethod
    def set_outcome(tx: Tx, claimed: ClaimedEvent, *, status: str, outcome: str) -> None:
        # Deferred (a batch sends all its outcomes together): nothing reads it back before
        # the commit, and it is the same transaction as the event's lease closing.
        tx.defer(
            _SET_OUTCOME,
            {"row_id": claimed.row_id, "new_status": status, "new_outcome": outcome[:500]},
        )

    def release(
        self,
        claimed: ClaimedEvent,
        *,
        now: datetime,
        outcome: str,
        retry_at: datetime | None,
        tx: Tx | None = None,
    ) -> None:
        """Give a claimed event back after a failure: retry at ``retry_at``, or fail it for good.

        In ``tx`` when given (the batch's transaction), else in a transaction of its own.
        """
        values: dict[str, Any] = {"lease_token": None, "lease_until": None, "outcome": outcome}
        if retry_at is None:
            values.update(status="failed", processed_at=now)
        else:
            values.update(available_at=retry_at)
        statement = (
            update(_T)
            .where(_T.c.id == claimed.row_id, _T.c.lease_token == claimed.lease_token)
            .values(**values)
        )
        if tx is not None:
            tx.connection.execute(statement)
            return
        with self.store.transaction() as own:
            own.connection.execute(statement)

    def stats(self, *, now: datetime) -> InboxStats:
        """Counts by status and the age of the oldest pending event (the inbox lag)."""
        with self.store.reading() as tx:
            counts = {
                row.status: int(row.n)
                for row in tx.connection.execute(
                    select(_T.c.status, func.count().label("n")).group_by(_T.c.status)
                )
            }
            oldest = tx.connection.execute(
                select(func.min(_T.c.received_at)).where(_T.c.status == PENDING)
            ).scalar_one()
        if isinstance(oldest, str):  # SQLite hands aggregates back untyped
            oldest = datetime.fromisoformat(oldest)
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=now.tzinfo)
        lag = max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
        return InboxStats(counts, oldest, lag)

    def backlog_seconds(self, *, now: datetime) -> float:
        """How long the oldest claimable event has been waiting (0 when none waits).

        Events backing off after a failure are not claimable yet, so they do not count:
        one poisoned event must not make the whole service look stuck.
        """
        with self.store.reading() as tx:
            oldest = tx.connection.execute(
                select(func.min(_T.c.available_at)).where(
                    _T.c.status == PENDING, _T.c.available_at <= now
                )
            ).scalar_one()
        if oldest is None:
            return 0.0
        # SQLite hands aggregates back untyped (text, naive).
        when = oldest if isinstance(oldest, datetime) else datetime.fromisoformat(str(oldest))
        if when.tzinfo is None:
            when = when.replace(tzinfo=now.tzinfo)
        return max((now - when).total_seconds(), 0.0)

    def claimable_count(self, *, now: datetime) -> int:
        """How many events a worker could claim now (pending, not backing off)."""
        with self.store.reading() as tx:
            return int(
                tx.connection.execute(
                    select(func.count()).where(_T.c.status == PENDING, _T.c.available_at <= now)
                ).scalar_one()
            )

    def probe_write(self, *, now: datetime) -> None:
        """Write a row into the inbox and roll it back; :class:`TransientError` if it fails.

        ``SELECT 1`` succeeds on a store that refuses every write (a read-only file, a full
        disk, a replica); this is the same kind of write an incoming event needs.
        """
        probe = {
            "provider": "readyz",
            "event_id": secrets.token_hex(8),
            "event_type": "probe",
            "object_type": "probe",
            "object_id": "probe",
            "occurred_at": now,
            "received_at": now,
            "payload": {},
            "status": "probe",
            "attempts": 0,
            "available_at": now,
        }
        try:
            with self._write_lock(), self.store.engine.connect() as connection:
                transaction = connection.begin()
                try:
                    connection.execute(insert(_T).values(**probe))
                finally:
                    transaction.rollback()
        except SQLAlchemyError as exc:
            raise TransientError(
                _("webhook inbox not writable ({error})").format(error=type(exc).__name__)
            ) from None

    def ping(self) -> None:
        """Raise :class:`TransientError` unless the store answers a trivial query."""
        try:
            with self.store.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            raise TransientError(
                _("store unreachable ({error})").format(error=type(exc).__name__)
            ) from None


def _by_token(claimed: Sequence[ClaimedEvent]) -> dict[str, list[ClaimedEvent]]:
    """Claimed events by the lease token of their claim (one per claim)."""
    grouped: dict[str, list[ClaimedEvent]] = {}
    for event in claimed:
        grouped.setdefault(event.lease_token, []).append(event)
    return grouped


def enable_sqlite_wal(store: Store) -> bool:
    """Put a SQLite store in WAL mode (persistent in the file); False if not done.

    In the default rollback journal every reader blocks a commit, and the web threads, the
    inbox worker and the CLI share one file; with WAL readers never block the writer and a
    committed event still survives the process being killed. A store that cannot be
    reached now is left alone: the service starts and answers 503 until it is back.
    """
    if store.engine.dialect.name != "sqlite":
        return False
    try:
        with store.engine.connect() as connection:
            mode = connection.exec_driver_sql("PRAGMA journal_mode=WAL").scalar()
    except SQLAlchemyError:
        return False
    return str(mode).lower() == "wal"
