"""A unit of work that remembers the records it has read or written, for a batch of events.

The webhook worker applies a claimed batch in one transaction, and its events read the same
few records again and again (a referral, then its referrer for the ladder, then again for
the reward): each read was a statement through SQLAlchemy and a pydantic model built anew,
most of the worker's CPU. :class:`CachingTx` answers reads by id from what this transaction
already read or wrote, and :meth:`CachingTx.preload` loads the records a whole batch will
name with one query per kind, up front.

What it remembers is only true inside its own transaction, and only while every write to
the record tables goes through :meth:`put_many` (the store's one write path). Each event
runs in :meth:`CachingTx.savepoint`; when one rolls back, everything remembered is
forgotten, since the records written in it are gone. Records are frozen models, so handing
out the same instance twice is safe.

Writes are held back and sent per statement with all their rows at :meth:`flush`: audit
entries, outbox rows and the inbox's outcome text (:meth:`defer`), and the records
themselves (:meth:`put_many`, whose rows were one statement each, most of what a worker's
event still cost). A held write is sent before anything else runs on the transaction's
connection (a ``before_execute`` hook), so every statement, whoever runs it, sees the
transaction's own writes; what a batch's events read by id is answered from memory, so
most of an event's writes wait for the batch's end. A savepoint's held writes share its
fate: dropped if it rolls back, kept for the flush if it is released. A held record whose
parent (a foreign key) does not exist is refused as :meth:`put_many` refuses it, in the
event that wrote it; if sending the held writes fails nonetheless, :class:`HeldWritesFailed`
says so (the worker applies that transaction's events again without holding records).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Dialect, Executable, Insert, Table, case, event, func, select
from sqlalchemy.exc import DBAPIError

from connector.errors import InputError
from connector.i18n import gettext as _
from connector.model import Member, Record, Referral, ReferralStatus
from connector.rules.ladder import CREDITED_STATUSES, ReferralTally, tally_referrals
from connector.store import schema
from connector.store.repository import (
    AUDIT_INSERT,
    TABLES,
    WRITE_ORDER,
    Tx,
    kind_of,
    to_row,
    upsert_statement,
)

__all__ = ["CachingTx", "DriverInsert", "HeldWritesFailed", "driver_insert"]

R = TypeVar("R", bound=Record)

_SAVEPOINT = "refnet_event"

# What the ladder credits (connector.rules.ladder.tally_referrals): qualified or won, won.
_CREDITED = tuple(sorted(status.value for status in CREDITED_STATUSES))
_WON = (ReferralStatus.WON.value,)
_REFERRALS = schema.referrals
# Per referrer: all its referrals, those credited, those won, the newest one's creation.
_TALLY_COLUMNS = (
    _REFERRALS.c.referrer_id,
    func.count(),
    func.count(case((_REFERRALS.c.status.in_(_CREDITED), 1))),
    func.count(case((_REFERRALS.c.status.in_(_WON), 1))),
    func.max(_REFERRALS.c.created_at),
)
_UNKNOWN = object()  # put_many: the record's earlier version was never seen
_MODEL_OF_TABLE: dict[str, type[Record]] = {table.name: model for model, table in TABLES.items()}


class HeldWritesFailed(RuntimeError):
    """Sending a transaction's held-back writes failed: the transaction as a whole is lost
    (never one event's fault, so no event is rejected for it)."""


class DriverInsert:
    """A held INSERT (or upsert) compiled once and run straight on the driver.

    Through SQLAlchemy's execution each row of an ``executemany`` had its parameters built
    and processed one by one (about half of sending a batch's held writes). The SQL and
    every column's own bind processor (aware datetimes to UTC, JSON, money in cents) come
    from SQLAlchemy, so the stored values are the same as through ``execute``, as in the
    inbox's intake (connector.inbox.store._DriverIntake).

    On PostgreSQL (psycopg: named parameters) SQLAlchemy sent many rows as one multi-row
    INSERT whose text changed with the row count and outgrew what psycopg caches its
    parsing of: psycopg parsed it anew for every execution, ~40 % of intake's CPU in a
    profile. Here one short statement is parsed once and psycopg's ``executemany`` sends
    it for every row in one pipeline (one round trip); its row count is the sum over the
    rows.
    """

    def __init__(
        self, sql: str, names: tuple[str, ...], processors: list[Any], *, named: bool = False
    ) -> None:
        self.sql = sql
        self.names = names
        self.processors = processors
        self.named = named  # the driver takes a mapping per row, not a tuple

    def with_processor(self, name: str, process: Callable[[Any], Any]) -> DriverInsert:
        """This statement with ``name``'s values converted by ``process`` instead."""
        processors = [
            process if column == name else own
            for column, own in zip(self.names, self.processors, strict=True)
        ]
        return DriverInsert(self.sql, self.names, processors, named=self.named)

    def parameters(
        self, rows: Sequence[Mapping[str, Any]]
    ) -> list[tuple[Any, ...]] | list[dict[str, Any]]:
        """The driver's parameter sets of ``rows``: tuples, or mappings where it takes names."""
        names = self.names
        # Every value through its column's processor, None included, as SQLAlchemy does
        # (JSON's None is JSON null, not SQL NULL); most columns (text) have none.
        processed = [(i, process) for i, process in enumerate(self.processors) if process]
        # A datetime's bound form is a pure function of the instant, and rows share few
        # (an inbox request's receipt time, twice in each row): each converted once.
        converted: dict[tuple[int, datetime], Any] = {}
        named = self.named
        parameters: list[Any] = []
        for row in rows:
            values = [row[name] for name in names]
            for i, process in processed:
                value = values[i]
                if type(value) is not datetime:
                    values[i] = process(value)
                    continue
                found = converted.get((i, value), converted)
                if found is converted:
                    found = converted[(i, value)] = process(value)
                values[i] = found
            parameters.append(dict(zip(names, values, strict=True)) if named else tuple(values))
        return parameters


@functools.cache
def driver_insert(
    statement: Insert, dialect: Dialect, keys: tuple[str, ...]
) -> DriverInsert | None:
    """None where a parameter is no column (or no key of the rows).

    Compiled for an executemany: no implicit ``RETURNING`` of the new ids, which nobody
    reads (PostgreSQL's dialect adds one to a single-row INSERT).
    """
    table = statement.table
    compiled = statement.compile(dialect=dialect, column_keys=list(keys), for_executemany=True)
    names = tuple(compiled.positiontup or ()) if compiled.positional else tuple(compiled.binds)
    if not isinstance(table, Table) or not names:
        return None
    if any(name not in table.c or name not in keys for name in names):
        return None
    # The dialect's own type (SQLite's DATETIME text, not the generic DateTime, which
    # would leave the value to the driver's default adapter).
    processors = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    ]
    return DriverInsert(str(compiled), names, processors, named=not compiled.positional)


@functools.cache
def _record_rank(dialect: str) -> dict[Executable, int]:
    """Record upserts before every other held write, parents before children (negative:
    the others keep rank 0 and their order)."""
    return {
        upsert_statement(dialect, TABLES[model]): rank - len(WRITE_ORDER)
        for rank, model in enumerate(WRITE_ORDER)
    }


@functools.cache
def _parents(table: Table) -> tuple[tuple[str, type[Record]], ...]:
    """The columns of ``table`` naming another record (foreign keys), with its model."""
    return tuple(
        (key.parent.name, _MODEL_OF_TABLE[key.column.table.name])
        for key in sorted(table.foreign_keys, key=lambda key: key.parent.name)
        if key.column.table.name in _MODEL_OF_TABLE
    )


class CachingTx(Tx):
    """A :class:`Tx` answering reads by id (and by CRM contact id) from what it has seen."""

    def __init__(self, connection: Connection, *, hold_records: bool = True) -> None:
        super().__init__(connection)
        # False: records are written at once (a batch applied again after its held writes
        # failed, HeldWritesFailed), the other held writes still wait for the flush.
        self.hold_records = hold_records
        # (model, id) → the record as this transaction last saw it; None: known not to exist.
        self._records: dict[tuple[type[Record], str], Record | None] = {}
        # (CRM field, contact id) → the id of the member linked to it (None: none is).
        self._by_crm: dict[tuple[str, str], str | None] = {}
        # Member id → its keys in _by_crm (a member written drops them without a scan).
        self._crm_keys_of: dict[str, set[tuple[str, str]]] = {}
        # Answers of find(model, column=value): model → (column, value) → id → record, kept
        # true by every put_many (a written record joins or leaves each answer it matches).
        self._found: dict[type[Record], dict[str, dict[Any, dict[str, Record]]]] = {}
        # Referrer id → what the ladder counts of its referrals (without times), from one
        # aggregate query and kept true by every put_many (see _referral_written).
        self._tallies: dict[str, ReferralTally] = {}
        # (kinds, field, record id) → the latest audit time stored (before held writes).
        self._last_audit: dict[tuple[tuple[str, ...], str, str], datetime | None] = {}
        # Whatever else a caller remembers for this transaction (cleared with the rest).
        self.memo: dict[Hashable, Any] = {}
        # Held-back writes: of released savepoints (or outside any), of the open savepoint,
        # and those of the first kind that a flush sent from inside the open savepoint
        # (undone with it, so held again if it rolls back).
        self._held: list[tuple[Executable, dict[str, Any]]] = []
        self._held_in_savepoint: list[tuple[Executable, dict[str, Any]]] = []
        self._sent_in_savepoint: list[tuple[Executable, dict[str, Any]]] = []
        # The held audit entries by record id (last_audit_at asks for one record's).
        self._held_audit: dict[str, list[dict[str, Any]]] = {}
        self._in_savepoint = False
        self._savepoint: Any = None  # the driver's cursor of the open event's SAVEPOINT
        self._flushing = False
        # Anything run on this connection (a read by another module, a lookup, the commit's
        # last statements) first opens the event's savepoint and sends what is held, so it
        # sees this transaction's writes and is undone with the event.
        event.listen(connection, "before_execute", self._before_execute)
        # Statements run straight on the driver (exec_driver_sql) pass no before_execute:
        # this transaction's own (ids_by_pair, existing_ids) flush first; any other one
        # with writes held or no savepoint open is a mistake, refused loudly here.
        event.listen(connection, "before_cursor_execute", self._before_cursor_execute)

    def _before_execute(self, *_args: Any) -> None:
        if self._flushing:
            return
        self._open_savepoint()
        if self._held or self._held_in_savepoint:
            self.flush()

    def _before_cursor_execute(self, *_args: Any) -> None:
        if self._flushing:
            return
        if self._held or self._held_in_savepoint or (self._in_savepoint and not self._savepoint):
            raise RuntimeError("a statement on the driver would miss a batch's held writes")

    def existing_ids(self, model: type[Record], ids: Iterable[str]) -> set[str]:
        self._before_execute()
        return super().existing_ids(model, ids)

    def ids_by_pair(
        self, model: type[Record], left: str, right: str, pairs: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], str]:
        self._before_execute()
        return super().ids_by_pair(model, left, right, pairs)

    def forget(self) -> None:
        """Drop everything remembered (a savepoint rolled back: its writes are undone)."""
        self._records.clear()
        self._by_crm.clear()
        self._crm_keys_of.clear()
        self._found.clear()
        self._tallies.clear()
        self._last_audit.clear()
        self.memo.clear()

    def forget_members(self, member_ids: Iterable[str]) -> None:
        """Drop what this transaction read of these members and of their referrals (their
        lock was just taken: connector.store.member_locks), so it is read again."""
        for member_id in member_ids:
            self._records.pop((Member, member_id), None)
            self._tallies.pop(member_id, None)
            for columns in self._found.values():
                for column in ("member_id", "referrer_id"):
                    columns.get(column, {}).pop(member_id, None)
            for key in [key for key in self._last_audit if key[2] == member_id]:
                del self._last_audit[key]

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A SAVEPOINT (one event): if it rolls back, so do its held writes and what this
        transaction remembers."""
        if self._in_savepoint:
            raise RuntimeError("CachingTx savepoints do not nest")
        self._in_savepoint = True
        try:
            yield
        except BaseException:
            if self._savepoint is not None:
                self._run_on_driver(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
                self._run_on_driver(f"RELEASE SAVEPOINT {_SAVEPOINT}")
            self.forget()
            self._held = self._sent_in_savepoint + self._held
            self._held_audit = {}
            for statement, params in self._held:
                if statement is AUDIT_INSERT:
                    self._held_audit.setdefault(params["record_id"], []).append(params)
            raise
        else:
            if self._savepoint is not None:
                self._run_on_driver(f"RELEASE SAVEPOINT {_SAVEPOINT}")
            self._held.extend(self._held_in_savepoint)
        finally:
            if self._savepoint is not None:
                self._savepoint.close()
                self._savepoint = None
            self._held_in_savepoint = []
            self._sent_in_savepoint = []
            self._in_savepoint = False

    def _open_savepoint(self) -> None:
        """The event's SAVEPOINT, opened before the first statement that runs in it: an
        event whose writes are all held runs none, and needs none (its held writes are
        dropped with it)."""
        if self._in_savepoint and self._savepoint is None:
            # Plain SQL on the driver's cursor (the same on SQLite and PostgreSQL), not
            # Connection.begin_nested(): SQLAlchemy compiles its savepoint statements anew
            # each time, which was a tenth of the worker's CPU. Nothing else in the
            # transaction uses savepoints, so SQLAlchemy need not know of them.
            self._savepoint = self.connection.connection.cursor()
            self._run_on_driver(f"SAVEPOINT {_SAVEPOINT}")

    def _run_on_driver(self, statement: str) -> None:
        assert self._savepoint is not None
        self._savepoint.execute(statement)

    def defer(self, statement: Executable, params: dict[str, Any]) -> None:
        (self._held_in_savepoint if self._in_savepoint else self._held).append((statement, params))
        if statement is AUDIT_INSERT:
            self._held_audit.setdefault(params["record_id"], []).append(params)

    def flush(self) -> None:
        """Send the held writes: one execution per statement with all its rows, records
        first (parents before children, as :meth:`Tx.put_many` writes them), the rest in
        the order they were first held."""
        writes = self._held + self._held_in_savepoint
        if not writes:
            return
        by_statement: dict[Executable, list[dict[str, Any]]] = {}
        for statement, params in writes:
            by_statement.setdefault(statement, []).append(params)
        rank = _record_rank(self.connection.dialect.name)
        ordered = sorted(by_statement.items(), key=lambda item: rank.get(item[0], 0))
        self._open_savepoint()  # what is sent here is undone if the event rolls back
        self._flushing = True
        try:
            for statement, rows in ordered:
                self._send(statement, rows)
        except DBAPIError as exc:
            raise HeldWritesFailed(
                f"held writes not stored ({type(exc.orig).__name__}: {exc.orig})"
            ) from exc
        finally:
            self._flushing = False
        if self._in_savepoint:
            self._sent_in_savepoint.extend(self._held)
        self._held = []
        self._held_in_savepoint = []
        self._fold_held_audit()
        self._held_audit = {}

    def _send(self, statement: Executable, rows: list[dict[str, Any]]) -> None:
        """One execution with all the rows; an INSERT straight on the driver, see
        :class:`DriverInsert`."""
        keys = tuple(rows[0])
        driver = (
            driver_insert(statement, self.connection.dialect, keys)
            if isinstance(statement, Insert)
            else None
        )
        if driver is None or any(tuple(row) != keys for row in rows):
            self.connection.execute(statement, rows)
        else:
            self.connection.exec_driver_sql(driver.sql, driver.parameters(rows))

    def _fold_held_audit(self) -> None:
        """The audit entries just stored join the latest times remembered (stored ones)."""
        if not self._held_audit:
            return
        for key, stored in list(self._last_audit.items()):
            kinds, field, record_id = key
            latest = stored
            for row in self._held_audit.get(record_id, ()):
                if (
                    row["kind"] in kinds
                    and row["field"] == field
                    and (latest is None or row["at"] > latest)
                ):
                    latest = row["at"]
            self._last_audit[key] = latest

    # --- loading a batch's records up front --------------------------------------------------

    def preload(self, model: type[Record], ids: Iterable[str]) -> None:
        """Load the records of ``model`` with these ids in one query (per 500), and remember
        the ones that do not exist as missing."""
        wanted = [i for i in set(ids) if (model, i) not in self._records]
        if not wanted:
            return
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            for record in self.find_in(model, {"id": chunk}):
                self._records[(model, record.id)] = record
            for record_id in chunk:
                self._records.setdefault((model, record_id), None)

    def preload_found(self, model: type[Record], column: str, values: Iterable[str]) -> None:
        """Load the answers of ``find(model, column=value)`` for every value, in one query
        (per 500 values)."""
        answers = self._found.setdefault(model, {}).setdefault(column, {})
        wanted = [v for v in set(values) if v not in answers]
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            loaded: dict[Any, dict[str, Record]] = {v: {} for v in chunk}
            for record in self.find_in(model, {column: chunk}):
                self._records[(model, record.id)] = record
                loaded[getattr(record, column)][record.id] = record
            answers.update(loaded)

    def preload_referrals_of(self, referrer_ids: Iterable[str], *, whole_at_most: int) -> None:
        """Load what the rules read of these members' referrals: one aggregate per 500.

        A member with at most ``whole_at_most`` referrals has them all loaded (the answer
        of ``find(Referral, referrer_id=...)``, one more query); of one with more (a busy
        referrer with tens of thousands), only the counts the ladder needs are kept, so a
        batch never reads or builds all of its referrals.
        """
        known = self._found.get(Referral, {}).get("referrer_id", {})
        wanted = sorted({i for i in referrer_ids if i not in self._tallies and i not in known})
        few: list[str] = []
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            totals = self._load_tallies(chunk)
            few += [i for i in chunk if totals.get(i, 0) <= whole_at_most]
        self.preload_found(Referral, "referrer_id", few)

    def _load_tallies(self, referrer_ids: list[str]) -> dict[str, int]:
        """Count these members' referrals in one query; how many each has in all."""
        rows = self.connection.execute(
            select(*_TALLY_COLUMNS)
            .where(_REFERRALS.c.referrer_id.in_(referrer_ids))
            .group_by(_REFERRALS.c.referrer_id)
        ).all()
        totals: dict[str, int] = {}
        for referrer_id, total, credited, won, newest in rows:
            totals[referrer_id] = total
            if isinstance(newest, datetime):  # else the member is counted one by one
                self._tallies[referrer_id] = ReferralTally(credited, won, newest)
        for referrer_id in referrer_ids:
            if referrer_id not in totals:
                self._tallies[referrer_id] = ReferralTally()
        return totals

    def referral_tally(self, referrer_id: str, *, earliest: int | None = None) -> ReferralTally:
        """From the member's referrals if this transaction holds them all, else from counts
        (one aggregate) and, only if ``earliest`` asks for times, the earliest few of them
        (one query each for credited and won: never every referral of a busy referrer)."""
        known = self._found.get(Referral, {}).get("referrer_id", {}).get(referrer_id)
        if known is not None or earliest is None:
            records = (
                known.values()
                if known is not None
                else self.find(Referral, referrer_id=referrer_id)
            )
            return tally_referrals(referrer_id, cast("Iterable[Referral]", records))
        if referrer_id not in self._tallies:
            self._load_tallies([referrer_id])
        counted = self._tallies.get(referrer_id)
        if counted is None:  # the database gave no comparable time
            return super().referral_tally(referrer_id)
        if earliest <= 0:
            return counted
        return replace(
            counted,
            qualified_or_won_at=self._earliest_times(referrer_id, _CREDITED, earliest),
            won_at=self._earliest_times(referrer_id, _WON, earliest),
        )

    def _earliest_times(
        self, referrer_id: str, statuses: tuple[str, ...], count: int
    ) -> tuple[datetime, ...]:
        """When the member's ``count`` earliest referrals in these statuses got there."""
        column = _REFERRALS.c.status_changed_at
        times = self.connection.execute(
            select(column)
            .where(_REFERRALS.c.referrer_id == referrer_id, _REFERRALS.c.status.in_(statuses))
            .order_by(column)
            .limit(count)
        ).scalars()
        return tuple(times)

    def preload_last_audit(
        self, kinds: tuple[str, ...], field: str, record_ids: Iterable[str]
    ) -> None:
        """:meth:`last_audit_at` of many records in one query (per 500)."""
        self.flush()  # the stored times are then the whole answer
        table = schema.audit_log
        wanted = sorted({i for i in record_ids if (kinds, field, i) not in self._last_audit})
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = self.connection.execute(
                select(table.c.record_id, func.max(table.c.at))
                .where(
                    table.c.kind.in_(kinds),
                    table.c.record_id.in_(chunk),
                    table.c.field == field,
                )
                .group_by(table.c.record_id)
            ).all()
            found = {record_id: at for record_id, at in rows}
            for record_id in chunk:
                at = found.get(record_id)
                if at is None or isinstance(at, datetime):  # else: asked one by one
                    self._last_audit[(kinds, field, record_id)] = at

    def preload_crm_contacts(self, field_name: str, contact_ids: Iterable[str]) -> None:
        """Load the members linked to these CRM contact ids in one query (per 500)."""
        wanted = [c for c in set(contact_ids) if (field_name, c) not in self._by_crm]
        if not wanted:
            return
        found = self.members_by_crm_contacts(field_name, wanted)
        for contact_id in wanted:
            member = found.get(contact_id)
            self._link_crm((field_name, contact_id), None if member is None else member.id)
            if member is not None:
                self._records[(Member, member.id)] = member

    # --- reads -------------------------------------------------------------------------------

    def maybe(self, model: type[R], record_id: str) -> R | None:
        key = (model, record_id)
        if key in self._records:
            return cast("R | None", self._records[key])
        found = super().maybe(model, record_id)
        self._records[key] = found
        return found

    def find(self, model: type[R], **equals: Any) -> Iterator[R]:
        """Answered from a remembered answer of one of its columns when there is one (in id
        order, as the store answers), else by the store."""
        answers = self._found.get(model, {})
        for column, value in equals.items():
            known = answers.get(column, {}).get(value)
            if known is not None:
                matching = [
                    cast("R", record)
                    for record in known.values()
                    if all(getattr(record, name) == wanted for name, wanted in equals.items())
                ]
                yield from sorted(matching, key=lambda record: record.id)
                return
        for record in super().find(model, **equals):
            self._records[(model, record.id)] = record
            yield record

    def member_by_crm_contact(self, field_name: str, contact_id: str) -> Member | None:
        key = (field_name, contact_id)
        if key in self._by_crm:
            member_id = self._by_crm[key]
            return None if member_id is None else self.maybe(Member, member_id)
        found = super().member_by_crm_contact(field_name, contact_id)
        self._link_crm(key, None if found is None else found.id)
        if found is not None:
            self._records[(Member, found.id)] = found
        return found

    def last_audit_at(self, kinds: tuple[str, ...], record_id: str, field: str) -> datetime | None:
        """As :meth:`Tx.last_audit_at`, counting the audit entries still held back (no flush:
        the ladder asks this for every referral won)."""
        key = (kinds, field, record_id)
        if key in self._last_audit:
            latest = self._last_audit[key]
        else:
            latest = self._stored_last_audit_at(kinds, record_id, field)
        for row in self._held_audit.get(record_id, ()):
            if (
                row["kind"] in kinds
                and row["record_id"] == record_id
                and row["field"] == field
                and (latest is None or row["at"] > latest)
            ):
                latest = row["at"]
        return latest

    # --- writes ------------------------------------------------------------------------------

    def put_many(self, records: Iterable[Record], *, new: bool = False) -> int:
        """Held back until the next statement on this connection (see the module's text);
        ``new=True`` (a plain INSERT) is sent at once."""
        written = list(records)
        hold = self.hold_records and not new
        if not hold:
            count = super().put_many(written, new=new)
        else:
            upserts: list[tuple[Executable, dict[str, Any]]] = []
            for record in written:
                table = TABLES[type(record)]
                statement = self._upsert_statement(table)
                if statement is None:  # no upsert in this dialect: written at once
                    super().put_many([record])
                else:
                    upserts.append((statement, to_row(record, table)))
            count = len(written)
        earlier_versions: list[object] = []
        for record in written:
            key = (type(record), record.id)
            # Every record in a remembered answer is also remembered by id, so the old
            # version says which answer it leaves.
            earlier = self._records.get(key, _UNKNOWN)
            earlier_versions.append(earlier)
            old = None if earlier is _UNKNOWN else cast("Record | None", earlier)
            self._records[key] = record
            if isinstance(record, Referral) and self._tallies:
                self._referral_written(earlier, record)
            for column, answers in self._found.get(type(record), {}).items():
                value = getattr(record, column)
                if old is not None and getattr(old, column) != value:
                    answers.get(getattr(old, column), {}).pop(record.id, None)
                if value in answers:
                    answers[value][record.id] = record
            if isinstance(record, Member):
                self._member_written(record)
        if hold:
            # The store's foreign keys, checked now (with the records just written): a held
            # record missing its parent would otherwise fail the whole batch at the flush.
            for record, earlier in zip(written, earlier_versions, strict=True):
                self._check_parents(record, earlier)
            for statement, row in upserts:
                self.defer(statement, row)
        return count

    def _check_parents(self, record: Record, earlier: object) -> None:
        """Refuse a record naming a parent that does not exist; a parent its stored version
        named already exists (the foreign key keeps it from being deleted)."""
        for column, model in _parents(TABLES[type(record)]):
            parent_id = getattr(record, column)
            if parent_id is None:
                continue
            if isinstance(earlier, Record) and getattr(earlier, column) == parent_id:
                continue
            if self.maybe(model, parent_id) is None:
                raise InputError(
                    _("{kind} {id}: {field} names no stored record ({parent})").format(
                        kind=kind_of(type(record)), id=record.id, field=column, parent=parent_id
                    )
                )

    def _referral_written(self, earlier: object, referral: Referral) -> None:
        """Keep the referral counts true: the earlier version leaves its referrer's count,
        the new one joins its referrer's."""
        if earlier is _UNKNOWN:  # it may have been another referrer's: count again
            self._tallies.clear()
            return
        if isinstance(earlier, Referral):
            self._count(
                earlier,
                -1,
                same_newest=earlier.referrer_id == referral.referrer_id
                and earlier.created_at == referral.created_at,
            )
        self._count(referral, +1, same_newest=True)

    def _count(self, referral: Referral, sign: int, *, same_newest: bool) -> None:
        counted = self._tallies.get(referral.referrer_id)
        if counted is None:
            return
        newest = counted.last_referral_at
        if sign < 0 and not same_newest and newest is not None and referral.created_at >= newest:
            del self._tallies[referral.referrer_id]  # the newest left: count again if asked
            return
        if sign > 0 and (newest is None or referral.created_at > newest):
            newest = referral.created_at
        credited = sign if referral.status.value in _CREDITED else 0
        won = sign if referral.status.value in _WON else 0
        self._tallies[referral.referrer_id] = ReferralTally(
            counted.qualified_or_won + credited, counted.won + won, newest
        )

    def _member_written(self, member: Member) -> None:
        """A member's CRM ids may have changed: look its old and new ones up again.

        Dropped rather than updated, so the rule "the first member by id wins" stays the
        store's to answer.
        """
        linked = {(name, value) for name, value in member.crm if value}
        stale = self._crm_keys_of.pop(member.id, set())
        stale.update(key for key in linked if key in self._by_crm)
        for key in stale:
            member_id = self._by_crm.pop(key, None)
            if member_id is not None and member_id != member.id:
                self._crm_keys_of.get(member_id, set()).discard(key)

    def _link_crm(self, key: tuple[str, str], member_id: str | None) -> None:
        self._by_crm[key] = member_id
        if member_id is not None:
            self._crm_keys_of.setdefault(member_id, set()).add(key)
