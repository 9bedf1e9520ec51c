"""Importing members, connections, referrals and the partner/club programme.

All or nothing per file: every row is validated (fields, references to other records, the
stage rules for records that already exist) before anything is written, and every problem
found is reported with file, line and field. Only a file without a single bad row is written,
in one transaction. Re-importing a file updates the same records (ids are stable).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from connector.errors import IllegalTransition, ImportRejected, RowError
from connector.importing.readers import SourceRow, read_rows
from connector.model import Agreement, Circle, Member, Partnership, Record, Referral, new_id
from connector.rules import (
    AGREEMENT,
    INTRODUCTION,
    LADDER,
    MEMBERSHIP,
    PARTNER_PIPELINE,
    REFERRAL,
    RulesConfig,
    StageChange,
    StateMachine,
)
from connector.services import Actor, evaluate_ladder
from connector.store import KINDS, Store, Tx, kind_of

__all__ = ["ImportReport", "import_file"]

# kind → (field, kind it refers to) for every reference a record holds.
_REFERENCES: dict[str, tuple[tuple[str, str], ...]] = {
    "connection": (("from_id", "member"), ("to_id", "member"), ("employee_id", "member")),
    "referral": (("referrer_id", "member"), ("referred_id", "member"), ("recipient_id", "member")),
    "partnership": (
        ("member_id", "member"),
        ("target_profile_id", "target_profile"),
        ("owner_id", "member"),
    ),
    "agreement": (("partnership_id", "partnership"),),
    "membership": (("club_id", "club"), ("member_id", "member")),
    "introduction": (("club_id", "club"), ("member_a_id", "member"), ("member_b_id", "member")),
}

# kind → (state field, its state machine) for records whose state an import may change.
_STATEFUL: dict[str, tuple[str, StateMachine[Any]]] = {
    "member": ("ladder_stage", LADDER),
    "referral": ("status", REFERRAL),
    "partnership": ("stage", PARTNER_PIPELINE),
    "agreement": ("status", AGREEMENT),
    "membership": ("status", MEMBERSHIP),
    "introduction": ("status", INTRODUCTION),
}

# Natural keys that must be unique besides the id.
_UNIQUE_PAIRS: dict[str, tuple[str, str]] = {
    "connection": ("from_id", "to_id"),
    "membership": ("club_id", "member_id"),
}


@dataclass
class ImportReport:
    """What an import wrote."""

    file: str
    created: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    updated: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    changes: list[StageChange] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values())


@dataclass
class _Parsed:
    row: SourceRow
    record: Record

    @property
    def kind(self) -> str:
        """The record's kind (a contact row yields a member and a connection)."""
        return kind_of(type(self.record))


def _validate(row: SourceRow, errors: list[RowError]) -> Record | None:
    model = KINDS[row.kind]
    try:
        return model.model_validate(row.data)
    except ValidationError as exc:
        for problem in exc.errors(include_url=False, include_input=False):
            errors.append(row.error(row.column_for(tuple(problem["loc"])), problem["msg"]))
        return None


def _contact_records(
    row: SourceRow, employee_id: str, errors: list[RowError], tx: Tx
) -> list[Record]:
    """An employee's contact: the member (found by id or e-mail, else new) and the connection."""
    data = dict(row.data)
    link = {k: data.pop(k) for k in ("strength", "willing_to_introduce", "context") if k in data}
    email = (data.get("email") or "").strip()
    if not data.get("id"):
        if not email:
            errors.append(row.error("email", "an id or an e-mail is needed to identify a contact"))
            return []
        known = tx.member_by_email(email)
        data["id"] = known.id if known else new_id("mem", email)
    data.setdefault("circle", Circle.PROSPECT.value)
    member_row = SourceRow("member", row.file, row.number, row.unit, data, row.column_for)
    member = _validate(member_row, errors)
    if member is None:
        return []
    connection_row = SourceRow(
        "connection",
        row.file,
        row.number,
        row.unit,
        {
            "id": new_id("con", f"{employee_id}->{member.id}"),
            "from_id": employee_id,
            "to_id": member.id,
            "employee_id": employee_id,
            "strength": link.get("strength", 3),
            **{k: v for k, v in link.items() if k != "strength"},
        },
        row.column_for,
    )
    connection = _validate(connection_row, errors)
    return [member, connection] if connection else [member]


def _check_unique(parsed: list[_Parsed], errors: list[RowError]) -> None:
    seen: dict[tuple[str, str], SourceRow] = {}
    pairs: dict[tuple[str, str, str], SourceRow] = {}
    for item in parsed:
        kind = item.kind
        key = (kind, item.record.id)
        if key in seen:
            first = seen[key]
            errors.append(
                item.row.error("id", f"duplicate id; first used at {first.unit} {first.number}")
            )
        seen.setdefault(key, item.row)
        if kind in _UNIQUE_PAIRS:
            left, right = _UNIQUE_PAIRS[kind]
            pair = (kind, getattr(item.record, left), getattr(item.record, right))
            if pair in pairs and pairs[pair] is not item.row:
                errors.append(item.row.error(right, f"duplicate {left}/{right} pair"))
            pairs.setdefault(pair, item.row)


def _check_references(tx: Tx, parsed: list[_Parsed], errors: list[RowError]) -> None:
    in_file: dict[str, set[str]] = defaultdict(set)
    wanted: dict[str, set[str]] = defaultdict(set)
    for item in parsed:
        kind = item.kind
        in_file[kind].add(item.record.id)
        for attribute, target in _REFERENCES.get(kind, ()):
            value = getattr(item.record, attribute)
            if value is not None:
                wanted[target].add(value)
    known = {
        target: in_file[target] | tx.existing_ids(KINDS[target], ids - in_file[target])
        for target, ids in wanted.items()
    }
    for item in parsed:
        for attribute, target in _REFERENCES.get(item.kind, ()):
            value = getattr(item.record, attribute)
            if value is not None and value not in known[target]:
                errors.append(item.row.error(attribute, f"unknown {target} '{value}'"))


def _stage_changes(tx: Tx, parsed: list[_Parsed], errors: list[RowError]) -> list[StageChange]:
    """Stage changes of records that exist already, each checked against its state machine."""
    changes: list[StageChange] = []
    for item in parsed:
        kind = item.kind
        if kind not in _STATEFUL:
            continue
        old = tx.maybe(KINDS[kind], item.record.id)
        if old is None:
            continue
        state_field, machine = _STATEFUL[kind]
        before, after = getattr(old, state_field), getattr(item.record, state_field)
        if before == after or before is None or after is None:
            continue
        try:
            machine.check(item.record.id, before, after)
        except IllegalTransition as exc:
            errors.append(item.row.error(state_field, str(exc)))
            continue
        changes.append(
            StageChange(
                machine.kind,
                item.record.id,
                state_field,
                before.value,
                after.value,
                f"imported from {item.row.file} {item.row.unit} {item.row.number}",
            )
        )
    return changes


def import_file(
    store: Store,
    path: Path,
    *,
    rules: RulesConfig,
    actor: Actor,
    kind: str | None = None,
    employee_id: str | None = None,
) -> ImportReport:
    """Import one file, all or nothing; raise :class:`ImportRejected` listing every bad row."""
    report = ImportReport(path.name)
    errors: list[RowError] = []
    with store.transaction() as tx:
        parsed: list[_Parsed] = []
        for row in read_rows(path, kind):
            if row.kind == "contact":
                if employee_id is None:
                    raise ImportRejected(
                        path.name, [row.error("(file)", "a contact list needs --employee")]
                    )
                records = _contact_records(row, employee_id, errors, tx)
                parsed.extend(_Parsed(row, record) for record in records)
            else:
                record = _validate(row, errors)
                if record is not None:
                    parsed.append(_Parsed(row, record))
        if employee_id is not None and tx.maybe(Member, employee_id) is None:
            errors.append(RowError(path.name, 0, "--employee", f"unknown member '{employee_id}'"))
        _check_unique(parsed, errors)
        _check_references(tx, parsed, errors)
        changes = _stage_changes(tx, parsed, errors)
        if errors:
            raise ImportRejected(path.name, sorted(errors, key=lambda e: (e.file, e.line)))
        records = _records_to_write(tx, parsed, report)
        tx.put_many(records)
        file_actor = Actor(actor.name, event_ref=actor.event_ref or f"import:{path.name}")
        for change in changes:
            tx.audit(change, actor=file_actor.name, event_ref=file_actor.event_ref)
        report.changes.extend(changes)
        for member_id in _ladder_candidates(tx, records):
            report.changes.extend(
                evaluate_ladder(
                    tx, member_id, rules, cause=f"import of {path.name}", actor=file_actor
                )
            )
    return report


def _records_to_write(tx: Tx, parsed: list[_Parsed], report: ImportReport) -> list[Record]:
    by_kind: dict[str, dict[str, Record]] = defaultdict(dict)
    for item in parsed:
        kind = item.kind
        # A contact already in the network keeps its record (a contact list must not turn a
        # customer back into a prospect); only the connection is added.
        if (
            item.row.kind == "contact"
            and kind == "member"
            and (item.record.id in by_kind[kind] or tx.maybe(Member, item.record.id))
        ):
            continue
        by_kind[kind][item.record.id] = item.record
    records: list[Record] = []
    for kind, items in by_kind.items():
        existing = tx.existing_ids(KINDS[kind], items)
        if len(items) > len(existing):
            report.created[kind] += len(items) - len(existing)
        if existing:
            report.updated[kind] += len(existing)
        records.extend(items.values())
    return records


def _ladder_candidates(tx: Tx, records: list[Record]) -> list[str]:
    """Members whose ladder stage the imported records may move: referrers and partners."""
    ids: set[str] = set()
    for record in records:
        if isinstance(record, Referral):
            ids.add(record.referrer_id)
        elif isinstance(record, Partnership):
            ids.add(record.member_id)
        elif isinstance(record, Agreement):
            ids.add(tx.get(Partnership, record.partnership_id).member_id)
    return sorted(ids)
