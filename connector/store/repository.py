"""Reading and writing records: one generic path for every record type.

Rows and records convert by column name; JSON columns take the record's JSON form. Writes
happen inside :meth:`Store.transaction`, so a change and its audit entries commit together
or not at all.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    BindParameter,
    Connection,
    Engine,
    Executable,
    Insert,
    Select,
    Table,
    TextClause,
    bindparam,
    func,
    insert,
    or_,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from connector.errors import InputError, NotFoundError
from connector.i18n import gettext as _
from connector.model import (
    Agreement,
    Club,
    Contribution,
    Introduction,
    JointEvent,
    Member,
    Membership,
    Partnership,
    Record,
    Referral,
    TargetProfile,
    utcnow,
)
from connector.model import (
    Connection as NetworkConnection,
)
from connector.rules.ladder import ReferralTally, tally_referrals
from connector.rules.stages import StageChange
from connector.store import schema
from connector.store.engine import create_store_engine, migrate

__all__ = ["KINDS", "AuditEntry", "Store", "Tx", "kind_of"]

R = TypeVar("R", bound=Record)

_TABLES: dict[type[Record], Table] = {
    Member: schema.members,
    NetworkConnection: schema.connections,
    Referral: schema.referrals,
    TargetProfile: schema.target_profiles,
    Partnership: schema.partnerships,
    Agreement: schema.agreements,
    Club: schema.clubs,
    Membership: schema.memberships,
    Introduction: schema.introductions,
    JointEvent: schema.joint_events,  # issue #18
    Contribution: schema.contributions,
}

# The names users type on the command line and see in messages and the audit trail.
KINDS: dict[str, type[Record]] = {
    "member": Member,
    "connection": NetworkConnection,
    "referral": Referral,
    "target_profile": TargetProfile,
    "partnership": Partnership,
    "agreement": Agreement,
    "club": Club,
    "membership": Membership,
    "introduction": Introduction,
    "joint_event": JointEvent,  # issue #18
    "contribution": Contribution,
}
_KIND_OF = {model: kind for kind, model in KINDS.items()}

# Rows are written parents first, so foreign keys hold inside one transaction.
WRITE_ORDER: tuple[type[Record], ...] = tuple(_TABLES)


def kind_of(model: type[Record]) -> str:
    return _KIND_OF[model]


@functools.cache
def _columns(table: Table) -> tuple[tuple[str, ...], frozenset[str]]:
    """The column names, and those holding JSON: iterating ``table.columns`` builds a list
    per call, which was a tenth of a large import's write time."""
    names = tuple(column.name for column in table.columns)
    json_names = frozenset(c.name for c in table.columns if isinstance(c.type, JSON))
    return names, json_names


def _to_row(record: Record, table: Table) -> dict[str, Any]:
    names, json_names = _columns(table)
    if not json_names:
        # Without JSON columns every value is a field's own Python value, which is what
        # model_dump(mode="python") returns for it (no model declares a serializer); read
        # from the instance, not dumped: the dump was most of a large import's row building.
        values = record.__dict__
        return {name: values[name] for name in names}
    python = record.model_dump(mode="python")
    if json_names:  # JSON columns take the record's JSON form
        python.update(record.model_dump(mode="json", include=set(json_names)))
    return {name: python[name] for name in names}


def _filtered(query: Select[Any], table: Table, equals: Mapping[str, Any]) -> Select[Any]:
    for name, value in equals.items():
        column = table.c[name]
        query = query.where(
            column.in_(value) if isinstance(value, list | tuple) else column == value
        )
    return query


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    kind: str
    record_id: str
    field: str
    old_value: str | None
    new_value: str
    reason: str
    event_ref: str | None


@functools.cache
def _upsert_statement(dialect: str, table: Table) -> Any:
    """``INSERT … ON CONFLICT (id) DO UPDATE`` of every column, for executemany."""
    module: Any = sqlite if dialect == "sqlite" else postgresql
    statement = module.insert(table)
    updates = {c.name: statement.excluded[c.name] for c in table.columns if not c.primary_key}
    return statement.on_conflict_do_update(index_elements=["id"], set_=updates)


# For a unit of work that holds rows back (connector.store.cached.CachingTx).
TABLES = _TABLES
to_row = _to_row
upsert_statement = _upsert_statement


@functools.cache
def _by_columns(table: Table, names: tuple[str, ...]) -> Select[Any]:
    """``SELECT * … WHERE name = :name …`` built once per table and set of columns.

    The webhook worker reads records one at a time; building the expression and its cache
    key anew for every read cost more than running it. A built statement memoizes its key.
    """
    query = select(table)
    for name in names:
        query = query.where(table.c[name] == bindparam(name))
    return query


@functools.cache
def _in_column(table: Table, name: str) -> Select[Any]:
    """``SELECT * … WHERE name IN (:values) ORDER BY id``, built once per table and column."""
    values: BindParameter[Any] = bindparam("values", expanding=True)
    return select(table).where(table.c[name].in_(values)).order_by(table.c.id)


@functools.cache
def _by_columns_ordered(table: Table, names: tuple[str, ...]) -> Select[Any]:
    return _by_columns(table, names).order_by(table.c.id)


@functools.cache
def _member_by_crm_key(field_name: str) -> Select[Any]:
    return (
        select(schema.members)
        .where(schema.CrmKeyText(field_name) == bindparam("contact_id"))
        .order_by(schema.members.c.id)
        .limit(1)
    )


AUDIT_INSERT: Insert = insert(schema.audit_log)
_LAST_AUDIT_AT = select(func.max(schema.audit_log.c.at)).where(
    schema.audit_log.c.kind.in_(bindparam("kinds", expanding=True)),
    schema.audit_log.c.record_id == bindparam("record_id"),
    schema.audit_log.c.field == bindparam("field"),
)
_FIND_YIELD = {"yield_per": 1000}

_PAIR_BATCH = 400
# Rows per executemany: an import writes its chunk (2,000 rows) in one statement, as the
# driver takes any number of parameter sets; each execution has a fixed cost in SQLAlchemy.
_WRITE_BATCH = 2000
# The DB-API parameter marker of each positional paramstyle (PEP 249): sqlite3 uses qmark,
# psycopg format/pyformat.
_DRIVER_MARKERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


@functools.cache
def _driver_pair_lookup(table: str, left: str, right: str, size: int, marker: str) -> str:
    """:func:`_pair_lookup` as the driver's own SQL, with positional markers."""
    condition = f"({left} = {marker} AND {right} = {marker})"
    return f"SELECT {left}, {right}, id FROM {table} WHERE " + " OR ".join([condition] * size)  # noqa: S608 - names from the schema


@functools.cache
def _pair_lookup(table: str, left: str, right: str, size: int) -> TextClause:
    """``SELECT left, right, id … WHERE (left = :l0 AND right = :r0) OR …`` for ``size`` pairs.

    An OR of equalities, not a row-value IN: SQLite plans ``(a, b) IN (VALUES …)`` as a scan
    of the table and the OR as one index search per pair. Written as text (names from our
    own schema, values bound) and cached: building it as SQLAlchemy expressions cost more
    than running it.
    """
    conditions = " OR ".join(f"({left} = :l{n} AND {right} = :r{n})" for n in range(size))
    return text(f"SELECT {left}, {right}, id FROM {table} WHERE {conditions}")  # noqa: S608 - names from the schema


_ID_BATCH = 512


@functools.cache
def _by_ids(table: Table, size: int, *, whole: bool) -> Select[Any]:
    """``SELECT … WHERE id IN (:i0, …, :i<size-1>)``, built once per table and size.

    Plain bound parameters, not an expanding ``in_(list)``: SQLAlchemy re-renders an
    expanding IN on every execution, which was a twentieth of a large import's time. Sizes
    are powers of two (the ids padded with repeats), so few statements are ever built.
    """
    marks: list[BindParameter[str]] = [bindparam(f"i{n}") for n in range(size)]
    query = select(table) if whole else select(table.c.id)
    return query.where(table.c.id.in_(marks)).order_by(table.c.id)


@functools.cache
def _count_by_ids(table: Table, size: int) -> Select[Any]:
    """``SELECT count(*) … WHERE id IN (:i0, …)``: how many of the (distinct) ids exist."""
    marks: list[BindParameter[str]] = [bindparam(f"i{n}") for n in range(size)]
    return select(func.count()).select_from(table).where(table.c.id.in_(marks))


def _id_batches(ids: Sequence[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """The ids in batches of at most ``_ID_BATCH``, each padded to a power of two."""
    for start in range(0, len(ids), _ID_BATCH):
        batch = ids[start : start + _ID_BATCH]
        size = 1 << (len(batch) - 1).bit_length()
        padded = [*batch, *([batch[0]] * (size - len(batch)))]
        yield size, {f"i{n}": value for n, value in enumerate(padded)}


class Tx:
    """Reads and writes on one connection; inside :meth:`Store.transaction` they commit together."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def defer(self, statement: Executable, params: dict[str, Any]) -> None:
        """Run a write nothing in this transaction reads back before :meth:`flush`.

        Here at once; a batch's transaction (connector.store.cached.CachingTx) collects
        them and sends each statement's rows together.
        """
        self.connection.execute(statement, params)

    def flush(self) -> None:
        """Send what :meth:`defer` holds back (nothing here)."""

    def _upsert_statement(self, table: Table) -> Any:
        dialect = self.connection.dialect.name
        if dialect not in ("sqlite", "postgresql"):
            return None
        return _upsert_statement(dialect, table)

    def put_many(self, records: Iterable[Record], *, new: bool = False) -> int:
        """Insert or update records (by id); returns how many were written.

        ``new=True`` is for records the caller has just found missing in this transaction
        (an import reads each chunk's ids first): a plain INSERT, which costs SQLite about
        half the CPU of the upsert; one stored meanwhile is an integrity error, not a
        silent overwrite.
        """
        by_model: dict[type[Record], list[dict[str, Any]]] = {}
        for record in records:
            table = _TABLES[type(record)]
            by_model.setdefault(type(record), []).append(_to_row(record, table))
        written = 0
        for model in WRITE_ORDER:
            rows = by_model.get(model)
            if not rows:
                continue
            table = _TABLES[model]
            for start in range(0, len(rows), _WRITE_BATCH):
                chunk = rows[start : start + _WRITE_BATCH]
                statement = insert(table) if new else self._upsert_statement(table)
                try:
                    if statement is not None:
                        # One statement, rows as parameters: compiled once per table and
                        # sent as multi-row batches (a webhook worker writes one row a time).
                        self.connection.execute(statement, chunk)
                    else:
                        self._upsert_portable(table, chunk)
                except IntegrityError as exc:
                    raise InputError(
                        _("{value}: a write broke the store's integrity ({error}: {orig})").format(
                            value=kind_of(model), error=type(exc.orig).__name__, orig=exc.orig
                        )
                    ) from exc
            written += len(rows)
        return written

    def _upsert_portable(self, table: Table, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            exists = self.connection.execute(
                select(table.c.id).where(table.c.id == row["id"])
            ).first()
            if exists:
                self.connection.execute(table.update().where(table.c.id == row["id"]).values(**row))
            else:
                self.connection.execute(insert(table).values(**row))

    def delete_many(self, model: type[Record], ids: Iterable[str]) -> None:
        """Delete records by id (an import moving natural keys deletes and re-inserts)."""
        table = _TABLES[model]
        for size, values in _id_batches(sorted(set(ids))):
            marks: list[BindParameter[str]] = [bindparam(f"i{n}") for n in range(size)]
            self.connection.execute(table.delete().where(table.c.id.in_(marks)), values)

    def put(self, record: Record) -> None:
        self.put_many([record])

    def find(self, model: type[R], **equals: Any) -> Iterator[R]:
        """Records of ``model`` whose columns equal the given values, ordered by id, streamed."""
        table = _TABLES[model]
        if any(value is None for value in equals.values()):  # IS NULL, not "= NULL"
            query = _filtered(select(table).order_by(table.c.id), table, equals)
            result = self.connection.execute(query, execution_options=_FIND_YIELD)
            keys = list(result.keys())
            for row in result:
                yield model.model_validate(dict(zip(keys, row, strict=True)))
            return
        query = _by_columns_ordered(table, tuple(equals))
        # As an execution option of this call, not of the connection: setting it on the
        # connection changes the connection itself, and PostgreSQL cannot run later
        # INSERTs through a cursor.
        result = self.connection.execute(query, equals, execution_options=_FIND_YIELD)
        # Zipped with the keys once: a RowMapping per row was a tenth of the report's time.
        keys = list(result.keys())
        for row in result:
            yield model.model_validate(dict(zip(keys, row, strict=True)))

    def referral_tally(self, referrer_id: str, *, earliest: int | None = None) -> ReferralTally:
        """What the ladder counts of a member's referrals (see :class:`ReferralTally`).

        Here from every referral of the member, with all their times; ``earliest`` (how many
        of the earliest times the caller needs, 0 for none) lets a batch's transaction
        answer from counts instead (:class:`connector.store.cached.CachingTx`).
        """
        del earliest  # every time is given here
        return tally_referrals(referrer_id, self.find(Referral, referrer_id=referrer_id))

    def page(self, model: type[R], after: str | None, limit: int, **equals: Any) -> list[R]:
        """Up to ``limit`` records with ids after ``after`` in id order (keyset paging).

        Each page is its own short query, so a long walk holds no read transaction open.
        A list value in ``equals`` matches any of its items.
        """
        table = _TABLES[model]
        query = _filtered(select(table).order_by(table.c.id).limit(limit), table, equals)
        if after is not None:
            query = query.where(table.c.id > after)
        return [
            model.model_validate(dict(row)) for row in self.connection.execute(query).mappings()
        ]

    def find_in(self, model: type[R], any_of: Mapping[str, Sequence[str]]) -> list[R]:
        """Records whose value in *any* of the given columns is one of the given values."""
        table = _TABLES[model]
        if set(any_of) == {"id"}:
            return self._by_ids(model, any_of["id"])
        given = {name: list(values) for name, values in any_of.items() if values}
        if len(given) == 1:  # a batch's lookups: one built statement per table and column
            [(name, values)] = given.items()
            result = self.connection.execute(_in_column(table, name), {"values": values})
        else:
            conditions = [table.c[name].in_(values) for name, values in given.items()]
            if not conditions:
                return []
            query = select(table).where(or_(*conditions)).order_by(table.c.id)
            result = self.connection.execute(query)
        keys = list(result.keys())
        return [model.model_validate(dict(zip(keys, row, strict=True))) for row in result]

    def _by_ids(self, model: type[R], ids: Sequence[str]) -> list[R]:
        table = _TABLES[model]
        found: list[R] = []
        batches = list(_id_batches(sorted(set(ids))))
        for size, values in batches:
            result = self.connection.execute(_by_ids(table, size, whole=True), values)
            keys = list(result.keys())
            found.extend(model.model_validate(dict(zip(keys, row, strict=True))) for row in result)
        # One batch comes in the database's id order; several are put in one order here.
        return found if len(batches) < 2 else sorted(found, key=lambda record: record.id)

    def get(self, model: type[R], record_id: str) -> R:
        found = self.maybe(model, record_id)
        if found is None:
            raise NotFoundError(kind_of(model), record_id)
        return found

    def maybe(self, model: type[R], record_id: str) -> R | None:
        table = _TABLES[model]
        result = self.connection.execute(_by_columns(table, ("id",)), {"id": record_id})
        first = result.first()
        return model.model_validate(dict(zip(result.keys(), first, strict=True))) if first else None

    def member_by_email(self, email: str) -> Member | None:
        """The member with this e-mail, compared case-insensitively (first by id if several)."""
        table = schema.members
        query = (
            select(table)
            .where(func.lower(table.c.email) == email.strip().lower())
            .order_by(table.c.id)
            .limit(1)
        )
        row = self.connection.execute(query).mappings().first()
        return Member.model_validate(dict(row)) if row else None

    def member_by_crm_contact(self, field_name: str, contact_id: str) -> Member | None:
        """The member linked to this CRM contact id (``crm[field_name]``), first by id."""
        statement = _member_by_crm_key(field_name)
        result = self.connection.execute(statement, {"contact_id": contact_id})
        row = result.first()
        return Member.model_validate(dict(zip(result.keys(), row, strict=True))) if row else None

    def members_by_crm_contacts(
        self, field_name: str, contact_ids: Iterable[str]
    ) -> dict[str, Member]:
        """:meth:`member_by_crm_contact` of many ids in one query per 500: id → member."""
        wanted = sorted(set(contact_ids))
        found: dict[str, Member] = {}
        key = schema.CrmKeyText(field_name)
        table = schema.members
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            result = self.connection.execute(
                select(table, key.label("crm_key")).where(key.in_(chunk)).order_by(table.c.id)
            )
            keys = list(result.keys())[:-1]
            for row in result:
                contact_id = row[-1]
                if contact_id not in found:  # the first by id, as member_by_crm_contact
                    found[contact_id] = Member.model_validate(
                        dict(zip(keys, row[:-1], strict=True))
                    )
        return found

    def existing_ids(self, model: type[Record], ids: Iterable[str]) -> set[str]:
        table = _TABLES[model]
        found: set[str] = set()
        marker = _DRIVER_MARKERS.get(self.connection.dialect.paramstyle)
        if marker is not None:  # straight to the driver, as ids_by_pair
            wanted = sorted(set(ids))
            for start in range(0, len(wanted), _ID_BATCH):
                batch = wanted[start : start + _ID_BATCH]
                marks = ", ".join([marker] * len(batch))
                where = f"FROM {table.name} WHERE id IN ({marks})"
                counted = self.connection.exec_driver_sql(f"SELECT count(*) {where}", tuple(batch))
                present = counted.scalar_one()
                if present == len(batch):
                    found.update(batch)  # every id exists (references): none fetched
                elif present:
                    rows = self.connection.exec_driver_sql(f"SELECT id {where}", tuple(batch))
                    found.update(rows.scalars())
            return found
        for size, values in _id_batches(sorted(set(ids))):
            distinct = set(values.values())
            # Counted first: almost always every id exists, and then no id is fetched.
            counted = self.connection.execute(_count_by_ids(table, size), values).scalar_one()
            if counted == len(distinct):
                found.update(distinct)
                continue
            statement = _by_ids(table, size, whole=False)
            found.update(self.connection.execute(statement, values).scalars())
        return found

    def ids_by_pair(
        self, model: type[Record], left: str, right: str, pairs: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], str]:
        """The id of the stored record holding each (left, right) natural key, if any.

        Only three columns of the matching rows: an import checks every row's pair, and
        loading whole records of every connection of every member it touches was most of
        a large import's time.
        """
        table = _TABLES[model]
        wanted = list(set(pairs))
        found: dict[tuple[str, str], str] = {}
        marker = _DRIVER_MARKERS.get(self.connection.dialect.paramstyle)
        if marker is not None:
            # Straight to the driver, values in order: SQLAlchemy's handling of 800 named
            # parameters per statement cost more than the lookup itself.
            for start in range(0, len(wanted), _PAIR_BATCH):
                chunk = wanted[start : start + _PAIR_BATCH]
                sql = _driver_pair_lookup(table.name, left, right, len(chunk), marker)
                flat = tuple(value for pair in chunk for value in pair)
                rows = self.connection.exec_driver_sql(sql, flat)
                found.update(((a, b), i) for a, b, i in rows)
            return found
        values: dict[str, str]
        for start in range(0, len(wanted), _PAIR_BATCH):
            chunk = wanted[start : start + _PAIR_BATCH]
            statement = _pair_lookup(table.name, left, right, len(chunk))
            values = {}
            for n, (a, b) in enumerate(chunk):
                values[f"l{n}"], values[f"r{n}"] = a, b
            found.update(((a, b), i) for a, b, i in self.connection.execute(statement, values))
        return found

    def count(self, model: type[Record], **equals: Any) -> int:
        """How many records match (a list value matches any of its items)."""
        table = _TABLES[model]
        query = _filtered(select(func.count()).select_from(table), table, equals)
        return int(self.connection.execute(query).scalar_one())

    def audit(
        self,
        change: StageChange,
        *,
        actor: str,
        event_ref: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """Record one change; ``at`` is when it took effect (now unless it is backdated).

        ``report --as-of`` rewinds states by these times, so a change made "as of" an
        earlier moment must carry that moment, not the time it was typed in.
        """
        # Deferred: the audit is read back only by last_audit_at and audit_trail, which
        # flush first.
        self.defer(
            AUDIT_INSERT,
            {
                "at": at or utcnow(),
                "actor": actor,
                "kind": change.kind,
                "record_id": change.record_id,
                "field": change.field,
                "old_value": change.old,
                "new_value": change.new,
                "reason": change.reason,
                "event_ref": event_ref,
            },
        )

    def last_audit_at(self, kinds: tuple[str, ...], record_id: str, field: str) -> datetime | None:
        """When ``field`` of the record last changed, by the audit (None: never audited).

        Filtered by kind and record id, so it searches ``ix_audit_log_kind_record``.
        """
        self.flush()
        return self._stored_last_audit_at(kinds, record_id, field)

    def _stored_last_audit_at(
        self, kinds: tuple[str, ...], record_id: str, field: str
    ) -> datetime | None:
        params = {"kinds": list(kinds), "record_id": record_id, "field": field}
        value = self.connection.execute(_LAST_AUDIT_AT, params).scalar()
        return value if isinstance(value, datetime) else None

    def audit_trail(self, record_id: str | None = None, *, limit: int = 200) -> list[AuditEntry]:
        self.flush()
        table = schema.audit_log
        query = select(table).order_by(table.c.id.desc()).limit(limit)
        if record_id is not None:
            query = query.where(table.c.record_id == record_id)
        rows = self.connection.execute(query).mappings()
        return [AuditEntry(**{k: v for k, v in row.items() if k != "id"}) for row in rows][::-1]


class Store:
    """The referral network's persistent store (SQLite file by default, any SQLAlchemy URL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str, *, migrate_schema: bool = True) -> Store:
        """Open the store at ``url``, creating or upgrading its schema on first use."""
        engine = create_store_engine(url)
        if migrate_schema:
            migrate(engine)
        return cls(engine)

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """A unit of work: everything written inside commits together or not at all."""
        with self.engine.begin() as connection:
            yield Tx(connection)

    @contextmanager
    def reading(self) -> Iterator[Tx]:
        with self.engine.connect() as connection:
            yield Tx(connection)

    def close(self) -> None:
        self.engine.dispose()
