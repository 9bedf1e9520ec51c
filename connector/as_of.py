"""The store as it stood at a moment: what ``refnet report --as-of D`` reports on.

A copy of the store into a temporary SQLite file holding only what existed at ``D``, each
record in the state it had at ``D``; the report then runs on the copy unchanged, so "the
report at D" and "the report of a store holding only the data that existed at D" are the
same computation by construction (tested as a property in tests/connector/test_as_of.py).

What existed at ``D``:

* members, connections, referrals, introductions, contributions: ``created_at <= D``; clubs:
  ``founded_on <= D``; memberships: ``invited_on <= D``; target profiles: always;
* partnerships and agreements (no creation time of their own): unless their first audit
  entry (from no state) is later than ``D`` and no date of their own (``stage_changed_at``,
  ``signed_on``) lies on or before ``D``;
* audit entries: ``at <= D``. Records that refer to a record that did not exist yet are
  left out with it.

Their state at ``D``: a state field (referral and introduction ``status``, ladder stage,
partnership ``stage``, agreement and membership ``status``) changed after ``D`` takes the
``old_value`` of its first audit entry after ``D``; its ``*_changed_at`` becomes the time of
the last entry at or before ``D`` (the creation time without one). Dates that lie after
``D`` (``signed_on``, ``joined_on``, trial dates, a contribution's ``given_on``) are
cleared; a reward given after ``D`` was still pending then. A referral or introduction
whose state changed after ``D`` with no audit of the state before (imported in its state now,
with the time it reached it) was in its first state at ``D``. A referral's amount and
currency, audited on every change, take the ``old_value`` of their first entry after ``D``.
Values that are not audited (names, e-mail addresses, notes, ...) are taken as they are now,
and :func:`as_of_caption` says so wherever a report as of a day is shown.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Table, insert, select

from connector.i18n import format_date
from connector.i18n import gettext as _
from connector.model import Introduction, Referral
from connector.store import Store
from connector.store import schema as tables

__all__ = ["as_of_caption", "rows_as_of", "store_as_of"]

Row = dict[str, Any]

# Table → (audit kinds, state field, the field holding when it last changed or None).
_State = tuple[tuple[str, ...], str, str | None]
_STATES: dict[str, _State] = {
    "members": (("ladder", "member"), "ladder_stage", None),
    "referrals": (("referral",), "status", "status_changed_at"),
    "partnerships": (("partnership",), "stage", "stage_changed_at"),
    "agreements": (("agreement",), "status", None),
    "memberships": (("membership",), "status", None),
    "introductions": (("introduction",), "status", "status_changed_at"),
    "contributions": (("contribution",), "status", None),
}
# Values besides the state that every change audits (``advance --amount``, ``referrals
# update``, a re-import): they take the ``old_value`` of their first audit entry after ``D``.
_VALUES: dict[str, dict[str, Callable[[str], Any]]] = {
    "referrals": {"amount": Decimal, "currency": str},
}
# The state a record starts in, for the tables whose rows know since when they are in theirs.
_FIRST_STATES: dict[str, str] = {
    "referrals": Referral.model_fields["status"].default.value,
    "introductions": Introduction.model_fields["status"].default.value,
}
_CREATED: dict[str, str] = {
    "members": "created_at",
    "connections": "created_at",
    "referrals": "created_at",
    "introductions": "created_at",
    "clubs": "founded_on",
    "memberships": "invited_on",
    "joint_events": "held_on",  # issue #18
    "contributions": "created_at",
}
# Dates kept up to date with an audit entry each (issue #18: a connection's last contact,
# moved by joint events): a value after ``D`` takes the ``old_value`` of the first entry
# after ``D``; without such an entry (an import wrote it) it is cleared, as it was unknown.
_AUDITED_DATES: dict[str, tuple[str, str]] = {"connections": ("connection", "last_contact_on")}
_LATER_DATES: dict[str, tuple[str, ...]] = {
    "members": ("crm_last_activity_on",),  # issue #18
    "agreements": ("signed_on",),
    "memberships": ("trial_started_on", "trial_ends_on", "joined_on", "responded_on", "left_on"),
    "contributions": ("given_on",),
}
# Foreign keys a copied row must satisfy: column → table it points at.
_PARENTS: dict[str, dict[str, str]] = {
    "connections": {"from_id": "members", "to_id": "members", "employee_id": "members"},
    "referrals": {"referrer_id": "members", "referred_id": "members", "recipient_id": "members"},
    "partnerships": {"member_id": "members", "owner_id": "members"},
    "agreements": {"partnership_id": "partnerships"},
    "memberships": {"club_id": "clubs", "member_id": "members"},
    "introductions": {"club_id": "clubs", "member_a_id": "members", "member_b_id": "members"},
    "joint_events": {"host_id": "members", "club_id": "clubs"},  # issue #18
    "contributions": {
        "giver_id": "members",
        "receiver_id": "members",
        "referral_id": "referrals",
    },
}
# References that may point at a record that did not exist yet: the copy keeps the row and
# drops the reference (a club existed before its moderator joined refnet's network).
_OPTIONAL_PARENTS: dict[str, dict[str, str]] = {
    "clubs": {"moderator_id": "members"},
}
_ORDER = (
    tables.members,
    tables.connections,
    tables.referrals,
    tables.target_profiles,
    tables.partnerships,
    tables.agreements,
    tables.clubs,
    tables.memberships,
    tables.introductions,
    tables.joint_events,  # issue #18
    tables.contributions,
)


def as_of_caption(day: date) -> str:
    """What a report as of ``day`` shows as it was then, and what as it is now."""
    return _(
        "As of {day}: members, referrals, states, ladder stages, amounts and currencies as "
        "they stood that day; names, e-mail addresses, notes and other details as they are now."
    ).format(day=format_date(day))


def _existed(value: Any, when: datetime) -> bool:
    if isinstance(value, datetime):
        return value <= when
    if isinstance(value, date):
        return value <= when.date()
    return True


def rows_as_of(store: Store, when: datetime) -> dict[str, list[Row]]:
    """Every table's rows (and the audit log) as they stood at ``when``; see the module."""
    audit = tables.audit_log
    with store.reading() as tx:
        db = tx.connection
        # In the order the changes took effect: an import audits older facts (a rung earned
        # by a referral won years ago) after newer entries of other records.
        order = (audit.c.at, audit.c.id)
        entries = [dict(r) for r in db.execute(select(audit).order_by(*order)).mappings()]
        raw = {t.name: [dict(r) for r in db.execute(select(t)).mappings()] for t in _ORDER}
    history = _History.of(entries, when)
    kept: dict[str, list[Row]] = {}
    ids: dict[str, set[str]] = {}
    for table in _ORDER:
        name = table.name
        state = _STATES.get(name, ((), "", None))
        kinds = state[0]
        rows: list[Row] = []
        for row in raw[name]:
            created = _CREATED.get(name)
            if created is not None and not _existed(row[created], when):
                continue
            if created is None and _born_later(row, kinds, history):
                continue
            parents = _PARENTS.get(name, {})
            if any(row[c] is not None and row[c] not in ids[t] for c, t in parents.items()):
                continue
            rows.append(_rewound(name, row, state, history))
            for column, parent in _OPTIONAL_PARENTS.get(name, {}).items():
                if row[column] is not None and row[column] not in ids[parent]:
                    rows[-1][column] = None
            if name in _AUDITED_DATES:
                rows[-1] = _dated_as_of(rows[-1], *_AUDITED_DATES[name], history)
            for column in _LATER_DATES.get(name, ()):
                if row[column] is not None and not _existed(row[column], when):
                    rows[-1][column] = None
        if name == "contributions":
            rows = _not_yet_given(rows)
        kept[name] = rows
        ids[name] = {row["id"] for row in rows}
    kept[audit.name] = [e for e in entries if e["at"] <= when]
    return kept


@dataclass(frozen=True)
class _History:
    """What the audit says about the day ``when``, per (kind, record id, field)."""

    when: datetime
    first_after: dict[tuple[str, str, str], Row] = field(default_factory=dict)
    """The first entry after ``when``: its ``old_value`` is the value on that day."""
    last_before: dict[tuple[str, str, str], datetime] = field(default_factory=dict)
    """When the value of that day was set."""
    born_later: set[tuple[str, str]] = field(default_factory=set)
    """(kind, record id) whose first entry, from no state, is after ``when``."""

    @classmethod
    def of(cls, entries: list[Row], when: datetime) -> _History:
        """Read from the audit entries in the order they happened."""
        history = cls(when)
        first_seen: set[tuple[str, str]] = set()
        for entry in entries:
            record = (entry["kind"], entry["record_id"])
            if record not in first_seen:
                first_seen.add(record)
                if entry["old_value"] is None and entry["at"] > when:
                    history.born_later.add(record)
            key = (*record, entry["field"])
            if entry["at"] > when:
                history.first_after.setdefault(key, entry)
            else:
                history.last_before[key] = entry["at"]
        return history


def _dated_as_of(row: Row, kind: str, column: str, history: _History) -> Row:
    if row[column] is None or _existed(row[column], history.when):
        return row
    later = history.first_after.get((kind, row["id"], column))
    old = later["old_value"] if later is not None else None
    return {**row, column: date.fromisoformat(old) if old else None}


def _not_yet_given(rows: list[Row]) -> list[Row]:
    """Contributions whose ``given_on`` was cleared (given after ``D``): a reward was still
    owed then (pending); anything else recorded ahead of its day did not exist yet."""
    kept = []
    for row in rows:
        if row["status"] != "given" or row["given_on"] is not None:
            kept.append(row)
        elif row["kind"] == "reward":
            kept.append({**row, "status": "pending"})
    return kept


def _born_later(row: Row, kinds: tuple[str, ...], history: _History) -> bool:
    """A record without a creation time whose first audit entry (from no state) is later.

    An import writes such an entry on the day of the import for a record that may be older:
    its own dates (a stage reached, an agreement signed, on or before ``when``) prove it
    existed then.
    """
    if not any((kind, row["id"]) in history.born_later for kind in kinds):
        return False
    proofs = [row.get("stage_changed_at"), row.get("signed_on")]
    return not any(p is not None and _existed(p, history.when) for p in proofs)


def _rewound(table: str, row: Row, state: _State, history: _History) -> Row:
    row = _state_rewound(table, row, state, history)
    kinds = state[0]
    for column, parse in _VALUES.get(table, {}).items():
        later = history.first_after.get((kinds[0], row["id"], column))
        if later is not None:
            old = later["old_value"]
            row = {**row, column: None if old is None else parse(old)}
    return row


def _state_rewound(table: str, row: Row, state: _State, history: _History) -> Row:
    kinds, column, changed_at = state
    when = history.when
    if changed_at is not None and _existed(row[changed_at], when):
        return row  # its last change happened by then: the state now is the state then
    for kind in kinds:
        later = history.first_after.get((kind, row["id"], column))
        # No entry from no state: an import wrote the state as it was; nothing to rewind to.
        if later is None or later["old_value"] is None:
            continue
        row = {**row, column: later["old_value"]}
        if changed_at is not None:
            row[changed_at] = (
                history.last_before.get((kind, row["id"], column))
                or row.get("created_at")
                or row[changed_at]
            )
    first = _FIRST_STATES.get(table)
    if first is not None and changed_at is not None and not _existed(row[changed_at], when):
        # Imported in a later state with no audit of the one before (the file knows only
        # the state now and since when): before that moment it was still in its first state.
        row = {**row, column: first, changed_at: row["created_at"]}
    return row


@contextmanager
def store_as_of(store: Store, when: datetime | None) -> Iterator[Store]:
    """``store`` itself when ``when`` is None, else a temporary copy as it stood at ``when``."""
    if when is None:
        yield store
        return
    rows = rows_as_of(store, when)
    with tempfile.TemporaryDirectory(prefix="refnet-as-of-") as folder:
        copy = Store.open(f"sqlite:///{Path(folder) / 'as-of.db'}")
        try:
            with copy.transaction() as tx:
                for table in (*_ORDER, tables.audit_log):
                    _insert(tx.connection, table, rows[table.name])
            yield copy
        finally:
            copy.close()


def _insert(connection: Any, table: Table, rows: list[Row]) -> None:
    if rows:
        connection.execute(insert(table), rows)
