"""Importing members, connections, referrals and the partner/club programme.

All or nothing per command: every file of one import runs in ONE transaction; every row is
validated (its cells, its references, the stage rules) and every problem of every file is
collected in one pass before anything is reported. One bad row rolls the whole command back.
Rows are read and written in chunks inside that transaction, so memory stays bounded by the
chunk however long the file: the ids seen, kept to report a duplicate with the line of its
first use, are on disk (:mod:`connector.importing.first_lines`); a natural key already
written is found through the store's record holding it.

A re-import never loses data: a row updates only the values it sets (an empty cell or a
missing column keeps the stored value; ``<leer>``/``<empty>`` clears one). A ladder stage
from a file climbs at most one rung, is never lowered (a lower stage is reported as a
proposal), and every stage a file sets is audited with the file and line as its reason.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from typing import Any, TypedDict, Unpack
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from connector.errors import IllegalTransition, ImportRejected, RowError, kind_word
from connector.goal_text import ParsedGoal, parse_goal_text
from connector.i18n import gettext as _
from connector.importing.collector import fewer_collections
from connector.importing.first_lines import FirstLines
from connector.importing.readers import open_source
from connector.importing.rows import SourceFile, SourceRow
from connector.joint_events import refresh_ties
from connector.model import (
    Agreement,
    Circle,
    Connection,
    JointEvent,
    LadderStage,
    Member,
    Partnership,
    Record,
    Referral,
    ReferralStatus,
    new_id,
    utcnow,
)
from connector.money import MoneyConfig
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
from connector.services import Actor, evaluate_ladder, owe_reward
from connector.store import KINDS, Store, Tx
from connector.store.member_locks import without_member_locks
from connector.validation_messages import validation_problems

__all__ = ["ImportOptions", "ImportProgress", "ImportReport", "import_file", "import_files"]

# Called after each chunk with the file's name and how many of its rows have been read.
ImportProgress = Callable[[str, int], None]

CHUNK_ROWS = 2000
BERLIN = ZoneInfo("Europe/Berlin")
_RUNGS = list(LadderStage)

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
    # issue #18; attendee_ids is a list, each of its ids is checked
    "joint_event": (("host_id", "member"), ("club_id", "club"), ("attendee_ids", "member")),
    "contribution": (
        ("giver_id", "member"),
        ("receiver_id", "member"),
        ("referral_id", "referral"),
    ),
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

# Values besides the state whose changes are audited (``report --as-of`` rewinds them).
_AUDITED_VALUES: dict[str, tuple[str, ...]] = {"referral": ("amount", "currency")}

# Natural keys that must be unique besides the id.
_UNIQUE_PAIRS: dict[str, tuple[str, str]] = {
    "connection": ("from_id", "to_id"),
    "membership": ("club_id", "member_id"),
}


@dataclass
class ImportReport:
    """What an import wrote from one file, and how the file was read."""

    file: str
    created: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    updated: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    changes: list[StageChange] = field(default_factory=list)
    proposals: list[str] = field(default_factory=list)  # demotions a file asked for
    encoding: str = "utf-8"
    delimiter: str | None = None
    ignored_columns: tuple[str, ...] = ()
    ladder_candidates: set[str] = field(default_factory=set, repr=False)
    # Referrals imported as won: the reward rule may owe their referrers a thank-you.
    won_referrals: set[str] = field(default_factory=set, repr=False)
    # Joint events imported: their attendees' ties get the event's day as last contact.
    joint_events: set[str] = field(default_factory=set, repr=False)
    # What the import did that the user should know: free-text goals read or kept as notes.
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values())


class ImportOptions(TypedDict, total=False):
    """How files are read and written; the defaults are :func:`_import_files`'s."""

    kind: str | None
    employee_id: str | None
    zone: ZoneInfo
    encoding: str | None
    delimiter: str | None
    money: MoneyConfig | None
    chunk_rows: int
    dry_run: bool
    progress: ImportProgress | None


def import_file(
    store: Store, path: Path, *, rules: RulesConfig, actor: Actor, **options: Unpack[ImportOptions]
) -> ImportReport:
    """Import one file, all or nothing; raise :class:`ImportRejected` listing every bad row."""
    return import_files(store, [path], rules=rules, actor=actor, **options)[0]


def import_files(
    store: Store,
    paths: Sequence[Path],
    *,
    rules: RulesConfig,
    actor: Actor,
    **options: Unpack[ImportOptions],
) -> list[ImportReport]:
    """Import files in order in ONE transaction: all of them, or (on any error) nothing.

    Raises :class:`ImportRejected` with every problem of every file (sorted by file, line).
    ``chunk_rows`` (rows read, checked and written at a time) changes memory and speed,
    never the outcome. ``dry_run`` does everything (every check, the counts, the stage
    changes) and then rolls the transaction back; ``progress`` hears after every chunk.
    """
    try:
        with fewer_collections():
            return _import_files(store, paths, rules=rules, actor=actor, **options)
    except _DryRunDone as done:
        return done.reports


class _DryRunDone(Exception):
    """Raised inside the transaction so that it rolls back; carries what would be written."""

    def __init__(self, reports: list[ImportReport]) -> None:
        super().__init__("dry run")
        self.reports = reports


def _import_files(
    store: Store,
    paths: Sequence[Path],
    *,
    rules: RulesConfig,
    actor: Actor,
    kind: str | None = None,
    employee_id: str | None = None,
    zone: ZoneInfo = BERLIN,
    encoding: str | None = None,
    delimiter: str | None = None,
    money: MoneyConfig | None = None,
    chunk_rows: int = CHUNK_ROWS,
    dry_run: bool = False,
    progress: ImportProgress | None = None,
) -> list[ImportReport]:
    errors: list[RowError] = []
    reports: list[ImportReport] = []
    with store.transaction() as tx:
        # Too many members for one lock each (connector.store.member_locks).
        without_member_locks(tx)
        if employee_id is not None and tx.maybe(Member, employee_id) is None:
            errors.append(
                RowError(
                    "--employee",
                    0,
                    "--employee",
                    _("unknown member '{id}'").format(id=employee_id),
                )
            )
        for path in paths:
            chosen = kind or ("contact" if employee_id and path.suffix.lower() == ".csv" else None)
            try:
                source = open_source(
                    path, chosen, zone=zone, encoding=encoding, delimiter=delimiter
                )
            except ImportRejected as exc:
                errors.extend(exc.errors)
                continue
            report = ImportReport(
                path.name,
                encoding=source.encoding,
                delimiter=source.delimiter,
                ignored_columns=source.ignored_columns,
            )
            _FileImport(
                tx, source, report, actor, employee_id, errors, rules, money or MoneyConfig()
            ).run(chunk_rows, progress)
            reports.append(report)
        if errors:
            # Raised inside the transaction: everything written so far is rolled back.
            label = ", ".join(p.name for p in paths)
            raise ImportRejected(label, sorted(errors, key=lambda e: (e.file, e.line)))
        for report in reports:
            file_actor = Actor(actor.name, event_ref=actor.event_ref or f"import:{report.file}")
            for member_id in sorted(report.ladder_candidates):
                report.changes.extend(
                    evaluate_ladder(
                        tx,
                        member_id,
                        rules,
                        cause=_("import of {file}").format(file=report.file),
                        actor=file_actor,
                    )
                )
            for referral_id in sorted(report.won_referrals):
                won = tx.get(Referral, referral_id)
                # Owed from the day it was won, so history imported later reads true.
                report.changes.extend(
                    owe_reward(tx, won, rules, actor=file_actor, at=won.status_changed_at)
                )
            for event_id in sorted(report.joint_events):
                # After every file of the command: ties imported with the event are refreshed too.
                report.changes.extend(
                    refresh_ties(
                        tx,
                        tx.get(JointEvent, event_id),
                        _("import of {file}").format(file=report.file),
                        file_actor,
                    )
                )
        if dry_run:
            raise _DryRunDone(reports)
    return reports


def _duplicate_id(unit: str, first: int) -> str:
    if unit == "record":
        text = _("duplicate id; first used at record {number}; keep one row")
    else:
        text = _("duplicate id; first used at line {number}; keep one row")
    return text.format(number=first)


def _changed_at(record: Record) -> datetime | None:
    """When the file says the record reached its state (None: now, the time of the import).

    ``report --as-of`` rewinds states by their audit times; a referral imported as won on
    the day it was won (``status_changed_at``) must count as won from that day, not from
    the import. A time in the future is not believed: the audit says now.
    """
    name = _changed_at_field(record)
    value = getattr(record, name, None) if name else None
    return min(value, utcnow()) if isinstance(value, datetime) else None


def _changed_at_field(record: Record) -> str:
    """The field holding since when ``record`` is in its state ('' if it has none)."""
    return next((n for n in ("status_changed_at", "stage_changed_at") if hasattr(record, n)), "")


def _first_state(kind: str) -> object:
    """The state a new record of ``kind`` starts in (its model's default)."""
    state_field = _STATEFUL[kind][0]
    return KINDS[kind].model_fields[state_field].default


def _chunks(rows: Iterator[SourceRow], size: int) -> Iterator[list[SourceRow]]:
    if size < 1:
        raise ValueError(f"chunk_rows must be at least 1, not {size}")
    while chunk := list(islice(rows, size)):
        yield chunk


def _has_text_goals(goals: Any) -> bool:
    return isinstance(goals, str) or (
        isinstance(goals, list) and any(isinstance(g, str) for g in goals)
    )


def _merge(old: Record | None, data: dict[str, Any]) -> dict[str, Any]:
    """The stored record with the row's values on top (nested parts merged key by key)."""
    if old is None:
        return data
    merged = old.model_dump()
    for key, value in data.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    if isinstance(old, Member):
        circle = data.get("circle")
        if circle is not None and circle != Circle.CUSTOMER and "ladder_stage" not in data:
            merged["ladder_stage"] = None  # leaving the customer circle leaves the ladder
    if "updated_at" in merged:
        merged["updated_at"] = utcnow()
    return merged


def _pair_key(pair: tuple[str, str]) -> str:
    # Length-prefixed, so no id can contain a separator that makes two pairs one key.
    return f"{len(pair[0])}:{pair[0]}{pair[1]}"


def _pair_of(kind: str, record: Record) -> tuple[str, str]:
    left, right = _UNIQUE_PAIRS[kind]
    values = record.__dict__  # the fields' values: read per row three times, kept cheap
    return str(values[left]), str(values[right])


class _ChunkKeys:
    """The ids and natural keys (a connection's from/to) one chunk of one kind uses: their
    first lines in earlier chunks, looked up in one pass, and the ones the chunk adds,
    recorded when the chunk is done.

    A natural key written to the store needs no entry of its own: the store's holder of
    the pair, seen earlier in the file, says where it was first used (the line of the
    holder's id). Only the keys of rows not written (refused, or waiting for their pair to
    be freed) are recorded, so a large file costs one key per row, not two.
    """

    def __init__(
        self,
        tx: Tx,
        first_lines: FirstLines,
        kind: str,
        ids: list[str],
        records: list[Record | None],
    ) -> None:
        self.first_lines = first_lines
        self.kind = kind
        # (left, right) → the id of the stored record holding it (before this chunk).
        self.holders: dict[tuple[str, str], str] = {}
        self.pairs: dict[str, int] = {}
        if kind in _UNIQUE_PAIRS:
            left, right = _UNIQUE_PAIRS[kind]
            pairs = [_pair_of(kind, r) for r in records if r is not None]
            self.holders = tx.ids_by_pair(KINDS[kind], left, right, pairs)
            self.pairs = first_lines.lines(f"{kind} pair", (_pair_key(p) for p in pairs))
        # First lines of the chunk's ids and of the pairs' holders in earlier chunks.
        self.earlier: dict[str, int] = first_lines.lines(kind, [*ids, *self.holders.values()])
        chunk_ids = set(ids)
        self.ids: dict[str, int] = {k: v for k, v in self.earlier.items() if k in chunk_ids}
        self.new_ids: list[tuple[str, int]] = []
        self.new_pairs: list[tuple[str, int, str]] = []  # (pair key, line, record id)

    def remember(self, written: set[str]) -> None:
        self.first_lines.add(self.kind, self.new_ids)
        self.first_lines.add(
            f"{self.kind} pair",
            ((pair, line) for pair, line, record_id in self.new_pairs if record_id not in written),
        )


class _FileImport:
    """One file's rows checked and written, chunk by chunk, inside the command's transaction."""

    def __init__(
        self,
        tx: Tx,
        source: SourceFile,
        report: ImportReport,
        actor: Actor,
        employee_id: str | None,
        errors: list[RowError],
        rules: RulesConfig,
        money: MoneyConfig,
    ) -> None:
        self.tx = tx
        self.rules = rules
        self.money = money
        self.source = source
        self.report = report
        self.employee_id = employee_id
        self.errors = errors
        self.actor = Actor(actor.name, event_ref=actor.event_ref or f"import:{source.path.name}")
        # Ids and natural keys already used in this file, with their first line: on disk, so
        # a million rows cost no more memory than a thousand (see first_lines.py).
        self.first_lines = FirstLines()
        self.failed: dict[str, set[str]] = defaultdict(set)  # ids of rows that had errors
        # Ids whose first row in the file was not written (refused, or waiting): the store
        # still holds their stored values, natural keys included.
        self.unwritten: dict[str, set[str]] = defaultdict(set)
        # Rows whose natural key is still held in the store by a record whose own row has
        # not come yet (it may move away later in the file); written at the end of the file
        # once the holder has moved, refused if it never does. Only such rows are held.
        self.waiting: dict[str, list[tuple[SourceRow, Record, Record | None]]] = defaultdict(list)

    def run(self, chunk_rows: int, progress: ImportProgress | None) -> None:
        done = 0
        with self.first_lines:
            for chunk in _chunks(self.source.rows, chunk_rows):
                if self.source.kind == "contact":
                    self._contacts(chunk)
                else:
                    self._chunk(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(self.source.path.name, done)
            for kind in list(self.waiting):
                self._write_waiting(kind)

    # -- ordinary rows ---------------------------------------------------------------------
    def _chunk(self, chunk: list[SourceRow]) -> None:
        by_kind: dict[str, list[SourceRow]] = defaultdict(list)
        for row in chunk:
            by_kind[row.kind].append(row)
        for kind, rows in by_kind.items():
            model = KINDS[kind]
            ids = [str(row.data["id"]) for row in rows if isinstance(row.data.get("id"), str)]
            # Which ids are stored is counted first: a first import loads nothing, and a
            # re-import loads only the records it updates.
            present = sorted(self.tx.existing_ids(model, ids)) if ids else []
            stored = {r.id: r for r in self.tx.find_in(model, {"id": present})} if present else {}
            checked: list[tuple[SourceRow, Record | None, Record | None]] = []
            for row in rows:
                record_id = row.data.get("id")
                old = stored.get(record_id) if isinstance(record_id, str) else None
                record = self._validate(row, _merge(old, self._with_defaults(row, old)))
                checked.append((row, record, old))
            uniques = _ChunkKeys(
                self.tx, self.first_lines, kind, ids, [r for _row, r, _old in checked]
            )
            valid: list[tuple[SourceRow, Record, Record | None]] = []
            for row, record, old in checked:
                record_id = row.data.get("id")
                if not self._unique(row, record, uniques) or row.problems or record is None:
                    if isinstance(record_id, str):
                        self.failed[kind].add(record_id)
                    self.errors.extend(row.problems)
                    continue
                staged = self._stage(row, old, record)
                if staged is not None:
                    valid.append((row, staged, old))
            broken = self._check_references(kind, rows, valid)
            for row, record, _old in valid:
                if row.number in broken:
                    self.failed[kind].add(record.id)
            valid = [item for item in valid if item[0].number not in broken]
            valid = self._check_stored_pairs(kind, valid, uniques)
            written = {record.id for _row, record, _old in valid}
            self.unwritten[kind].update(i for i, _line in uniques.new_ids if i not in written)
            uniques.remember(written)
            self._write(kind, valid)

    def _with_defaults(self, row: SourceRow, old: Record | None) -> dict[str, Any]:
        """The row's values, plus the configured defaults a new record takes from settings.

        A new club without its own test phase gets ``[rules.club] default_trial_months``
        (the model's own default of 12 would ignore the setting).
        """
        if row.kind == "club" and old is None and "trial_months" not in row.data:
            return {**row.data, "trial_months": self.rules.club.default_trial_months}
        if row.kind == "referral" and old is None and not row.data.get("currency"):
            return {**row.data, "currency": self.money.default_currency}
        if row.kind == "agreement" and _has_text_goals(row.data.get("goals")):
            return self._text_goals(row)
        return row.data

    def _text_goals(self, row: SourceRow) -> dict[str, Any]:
        """Free-text goals of an older file as structured goals, or kept in the notes.

        See :mod:`connector.goal_text`; each text read or kept is listed in the report.
        """
        data = dict(row.data)
        given = data["goals"]
        items = given.replace("\n", ";").split(";") if isinstance(given, str) else given
        try:
            start = date.fromisoformat(str(data.get("period_start")))
            end = date.fromisoformat(str(data.get("period_end")))
        except ValueError:
            return data  # the period is invalid: validation names it, goals are not guessed
        goals: list[Any] = []
        kept: list[str] = []
        where = f"agreement '{data.get('id')}' (line {row.number})"
        for item in items:
            if not isinstance(item, str):
                goals.append(item)
                continue
            text = item.strip()
            if not text:
                continue
            parsed = parse_goal_text(text, start, end)
            if isinstance(parsed, ParsedGoal):
                goals.append(
                    {"metric": parsed.metric.value, "target": parsed.target, "description": text}
                )
                self.report.notes.append(
                    f"{where}: goal '{text}' read as {parsed.metric.value}, target "
                    f"{parsed.target:g} over {start} – {end}"
                )
            else:
                kept.append(text)
                self.report.notes.append(
                    f"{where}: goal '{text}' kept as a note, not measured: it {parsed}"
                )
        data["goals"] = goals
        if kept:
            lines = "\n".join(f"Ziel (nicht messbar): {text}" for text in kept)
            data["notes"] = f"{data['notes']}\n{lines}" if data.get("notes") else lines
        return data

    def _validate(self, row: SourceRow, data: dict[str, Any]) -> Record | None:
        try:
            return KINDS[row.kind].model_validate(data)
        except ValidationError as exc:
            for location, message in validation_problems(exc):
                self.errors.append(row.error(row.column_for(location), message))
            return None

    def _unique(self, row: SourceRow, record: Record | None, keys: _ChunkKeys) -> bool:
        record_id = row.data.get("id")
        if not isinstance(record_id, str):
            return True
        first = keys.ids.get(record_id)
        if first is not None:
            self.errors.append(row.error("id", _duplicate_id(row.unit, first)))
            return False
        keys.ids[record_id] = row.number
        keys.new_ids.append((record_id, row.number))
        if record is not None and row.kind in _UNIQUE_PAIRS:
            left, right = _UNIQUE_PAIRS[row.kind]
            values = _pair_of(row.kind, record)
            pair = _pair_key(values)
            earlier = keys.pairs.get(pair)
            holder = keys.holders.get(values) if keys.holders else None
            # Held in the store by a record whose first row came in an earlier chunk and was
            # written: that row set this pair, so this one repeats it.
            if (
                earlier is None
                and holder is not None
                and holder != record_id
                and holder in keys.earlier
                and holder not in self.unwritten[row.kind]
            ):
                earlier = keys.earlier[holder]
            if earlier is not None:
                self.errors.append(
                    row.error(
                        right,
                        _("duplicate {left}/{right} pair; first at line {line}").format(
                            left=left, right=right, line=earlier
                        ),
                    )
                )
                return False
            keys.pairs[pair] = row.number
            keys.new_pairs.append((pair, row.number, record_id))
        return True

    def _stage(self, row: SourceRow, old: Record | None, record: Record) -> Record | None:
        """Apply the stage rules to a row's record; None if the row is refused."""
        if row.kind not in _STATEFUL:
            return record
        state_field, machine = _STATEFUL[row.kind]
        after = getattr(record, state_field)
        before = getattr(old, state_field) if old is not None else None
        # Audit reasons are stored in the language of the process that imports (a German
        # import writes German reasons); they are not translated again when shown.
        if row.unit == "record":
            reason = _("imported from {file} record {number}")
        else:
            reason = _("imported from {file} line {number}")
        reason = reason.format(file=row.file, number=row.number)
        if old is not None:
            self._audit_values(row.kind, old, record, reason)
        if old is None:
            # A new record that comes in past its first state (a member imported as partner,
            # a referral imported as won) is audited too; one in its first state is not.
            first = LadderStage.CUSTOMER if machine is LADDER else _first_state(row.kind)
            if after is not None and after != first:
                self._audit(
                    StageChange(machine.kind, record.id, state_field, None, after.value, reason),
                    at=_changed_at(record),
                )
            return record
        if before == after or before is None or after is None:
            return record
        if machine is LADDER and _RUNGS.index(after) < _RUNGS.index(before):
            if row.unit == "record":
                text = _(
                    "member {id}: {file} record {number} says '{after}', stays '{before}' "
                    "(a demotion is only proposed; to make it, run "
                    "refnet advance member {id} {after} --reason ...)"
                )
            else:
                text = _(
                    "member {id}: {file} line {number} says '{after}', stays '{before}' "
                    "(a demotion is only proposed; to make it, run "
                    "refnet advance member {id} {after} --reason ...)"
                )
            self.report.proposals.append(
                text.format(
                    id=record.id,
                    file=row.file,
                    number=row.number,
                    after=after.value,
                    before=before.value,
                )
            )
            return record.model_copy(update={state_field: before})
        try:
            machine.check(record.id, before, after)
        except IllegalTransition as exc:
            fix = ""
            if machine is LADDER:
                rung = _RUNGS[_RUNGS.index(before) + 1].value
                fix = _("; the ladder climbs one rung at a time: set '{rung}' first").format(
                    rung=rung
                )
            self.errors.append(row.error(state_field, f"{exc}{fix}"))
            self.failed[row.kind].add(record.id)
            return None
        at = _changed_at(record)
        if at is not None and at == _changed_at(old):
            # The file moved the state but did not say when (no or the same change time):
            # it changed with this import, not when the record reached its former state.
            at = utcnow()
            record = record.model_copy(update={_changed_at_field(record): at})
        self._audit(
            StageChange(machine.kind, record.id, state_field, before.value, after.value, reason),
            at=at,
        )
        return record

    def _audit_values(self, kind: str, old: Record, record: Record, reason: str) -> None:
        """A re-import that changes a referral's amount or currency audits it (as the CLI
        does), so ``report --as-of`` an earlier day shows the value it had then."""
        for name in _AUDITED_VALUES.get(kind, ()):
            before, now = getattr(old, name), getattr(record, name)
            if before != now:
                self._audit(
                    StageChange(
                        kind,
                        record.id,
                        name,
                        None if before is None else str(before),
                        "(cleared)" if now is None else str(now),
                        reason,
                    )
                )

    def _audit(self, change: StageChange, *, at: datetime | None = None) -> None:
        self.tx.audit(change, actor=self.actor.name, event_ref=self.actor.event_ref, at=at)
        self.report.changes.append(change)

    def _check_references(
        self,
        kind: str,
        rows: list[SourceRow],
        valid: list[tuple[SourceRow, Record, Record | None]],
    ) -> set[int]:
        """Every reference of every row (also of rows with other errors) must exist.

        Returns the lines whose references are broken (they must not reach the store).
        """
        references = _REFERENCES.get(kind, ())
        broken: set[int] = set()
        if not references:
            return broken
        records = {row.number: record for row, record, _old in valid}

        def cited() -> Iterator[tuple[SourceRow, str, str, str]]:
            """(row, attribute, kind referred to, id) for every reference of every row."""
            for row in rows:
                record = records.get(row.number)
                for attribute, target in references:
                    value = (
                        getattr(record, attribute)
                        if record is not None
                        else row.data.get(attribute)
                    )
                    if isinstance(value, str):  # most references: one id, no list built
                        if value:
                            yield row, attribute, target, value
                        continue
                    for one in value if isinstance(value, list) else ():
                        if isinstance(one, str) and one:
                            yield row, attribute, target, one

        wanted: dict[str, set[str]] = defaultdict(set)
        for row in rows:  # the ids only, without the tuples cited() builds for errors
            record = records.get(row.number)
            for attribute, target in references:
                value = (
                    getattr(record, attribute) if record is not None else row.data.get(attribute)
                )
                if isinstance(value, str):
                    wanted[target].add(value)
                elif isinstance(value, list):
                    wanted[target].update(one for one in value if isinstance(one, str))
        for ids in wanted.values():
            ids.discard("")
        known = {t: self.tx.existing_ids(KINDS[t], ids) for t, ids in wanted.items()}
        if all(ids <= known[t] for t, ids in wanted.items()):
            return broken  # every reference exists (the usual case): no second pass
        for row, attribute, target, value in cited():
            if value in known[target]:
                continue
            if value in self.failed[target]:
                message = _("{kind} '{id}' has errors of its own (see above)").format(
                    kind=kind_word(target), id=value
                )
            else:
                message = _("unknown {kind} '{id}'").format(kind=kind_word(target), id=value)
            self.errors.append(row.error(attribute, message))
            broken.add(row.number)
        return broken

    def _check_stored_pairs(
        self, kind: str, valid: list[tuple[SourceRow, Record, Record | None]], keys: _ChunkKeys
    ) -> list[tuple[SourceRow, Record, Record | None]]:
        """A natural key (from/to of a connection, club/member of a membership) the store
        already holds under another id is a row error that names that id, never the store's
        integrity error after the fact -- unless the file moves that holder to another pair:
        in this chunk (then :meth:`_write` frees the pair first), or later in the file (then
        the row waits until the end of the file). Returns the rows to write now."""
        if kind not in _UNIQUE_PAIRS or not valid or not keys.holders:
            return valid  # no pair of the chunk is stored yet (a first import): no conflict
        holders = {item[1].id: keys.holders.get(_pair_of(kind, item[1])) for item in valid}
        return self._settle_pairs(kind, valid, holders, waiting_allowed=True)

    def _settle_pairs(
        self,
        kind: str,
        candidates: list[tuple[SourceRow, Record, Record | None]],
        holders: dict[str, str | None],
        *,
        waiting_allowed: bool,
    ) -> list[tuple[SourceRow, Record, Record | None]]:
        """Split rows into those written now, those that wait, and those refused.

        A pair's holder that is written with the candidates moves away (its file pair
        differs, or the row would be a duplicate); one that waits keeps the pair, so its
        dependants wait too; one whose row was refused keeps it for good: a row error.
        Repeated until nothing changes, as refusing or holding one row can affect another.
        """
        left, right = _UNIQUE_PAIRS[kind]
        waiting_ids = {record.id for _row, record, _old in self.waiting[kind]}
        if not waiting_allowed:
            waiting_ids = set()
        refused: set[str] = set()
        held: set[str] = set()
        changed = True
        while changed:
            changed = False
            going = {r.id for _row, r, _old in candidates if r.id not in refused | held}
            for row, record, _old in candidates:
                holder = holders[record.id]
                if record.id in refused or record.id in held:
                    continue
                if holder is None or holder == record.id or holder in going:
                    continue
                if waiting_allowed and (
                    holder in held
                    or holder in waiting_ids
                    or (
                        holder not in self.unwritten[kind]
                        and holder not in self.failed[kind]
                        and not self.first_lines.lines(kind, [holder])
                    )
                ):
                    held.add(record.id)  # its holder has not moved yet: wait for it
                else:
                    self.errors.append(
                        row.error(
                            right,
                            _(
                                "this {left}/{right} pair is already stored as {kind} "
                                "'{holder}'; use id '{holder}' to update it"
                            ).format(left=left, right=right, kind=kind_word(kind), holder=holder),
                        )
                    )
                    refused.add(record.id)
                    self.failed[kind].add(record.id)
                changed = True
        self.waiting[kind].extend(item for item in candidates if item[1].id in held)
        return [item for item in candidates if item[1].id not in refused | held]

    def _write_waiting(self, kind: str) -> None:
        """At the end of the file: the rows that waited for their pair, written if its
        holder has moved meanwhile (or moves with them), refused if it has not."""
        waiting = self.waiting.pop(kind)
        left, right = _UNIQUE_PAIRS[kind]
        pairs = {item[1].id: _pair_of(kind, item[1]) for item in waiting}
        stored = self.tx.ids_by_pair(KINDS[kind], left, right, pairs.values())
        holders = {record_id: stored.get(pair) for record_id, pair in pairs.items()}
        ready = self._settle_pairs(kind, waiting, holders, waiting_allowed=False)
        refused = {item[1].id for item in waiting} - {item[1].id for item in ready}
        self.unwritten[kind].update(refused)
        self._write(kind, ready)

    def _write(self, kind: str, valid: list[tuple[SourceRow, Record, Record | None]]) -> None:
        # Written even when other rows had errors: later rows may refer to these, and the
        # command's transaction is rolled back as a whole if any error was found.
        # Records found missing when the chunk was read are inserted (cheaper than upserting);
        # one whose id the model normalised (" m1 " from JSON) was looked up under another
        # spelling, so it is upserted as before.
        new = [r for row, r, old in valid if old is None and r.id == row.data.get("id")]
        if kind in _UNIQUE_PAIRS:
            # Records moving to another natural key are deleted and inserted again, so no
            # write can meet a pair another record is about to leave (moves, swaps).
            moving = [
                r
                for _row, r, old in valid
                if old is not None and (_pair_of(kind, old) != _pair_of(kind, r))
            ]
            self.tx.delete_many(KINDS[kind], [r.id for r in moving])
            new.extend(moving)
        fresh = {id(record) for record in new}
        self.tx.put_many(new, new=True)
        self.tx.put_many(record for _row, record, _old in valid if id(record) not in fresh)
        for _row, record, old in valid:
            if old is None:
                self.report.created[kind] += 1
            else:
                self.report.updated[kind] += 1
            self._note_ladder_candidate(record)

    def _note_ladder_candidate(self, record: Record) -> None:
        """Members whose ladder stage the imported records may move: referrers and partners
        (and imported joint events, whose ties are refreshed once every file is written)."""
        if isinstance(record, Referral):
            self.report.ladder_candidates.add(record.referrer_id)
            if record.status is ReferralStatus.WON:
                self.report.won_referrals.add(record.id)
        elif isinstance(record, Partnership):
            self.report.ladder_candidates.add(record.member_id)
        elif isinstance(record, JointEvent):
            self.report.joint_events.add(record.id)
        elif isinstance(record, Agreement):
            partnership = self.tx.maybe(Partnership, record.partnership_id)
            if partnership is not None:
                self.report.ladder_candidates.add(partnership.member_id)

    # -- an employee's contacts ------------------------------------------------------------
    def _contacts(self, chunk: list[SourceRow]) -> None:
        if self.employee_id is None:
            self.errors.append(
                RowError(self.source.path.name, 0, "(file)", _("a contact list needs --employee"))
            )
            for _skipped in self.source.rows:
                pass  # the file is refused as a whole; stop reading it
            return
        for row in chunk:
            self.errors.extend(row.problems)
            if row.problems:
                continue
            self._contact(row, self.employee_id)

    def _contact(self, row: SourceRow, employee_id: str) -> None:
        """An employee's contact: the member (by id, e-mail or name + company) and the link."""
        data = dict(row.data)
        link: dict[str, Any] = {
            k: data.pop(k)
            for k in ("strength", "willing_to_introduce", "context", "last_contact_on")
            if k in data
        }
        connected_on = data.pop("connected_on", None)
        email = str(data.get("email") or "").strip()
        name = str(data.get("name") or "").strip()
        organisation = str(data.get("organisation") or "").strip()
        known: Member | None = None
        if data.get("id"):
            identity = f"id:{data['id']}"
            known = self.tx.maybe(Member, str(data["id"]))
        elif email:
            identity = f"email:{email.casefold()}"
            known = self.tx.member_by_email(email)
        elif name:
            # No e-mail (most LinkedIn connections): the same name at the same company.
            identity = f"name:{name.casefold()}|{organisation.casefold()}"
            known = next(
                (
                    m
                    for m in self.tx.find(Member, name=name)
                    if (m.organisation or "").casefold() == organisation.casefold()
                ),
                None,
            )
        else:
            self.errors.append(row.error("name", _("a contact needs a name, an e-mail or an id")))
            return
        first = self.first_lines.lines("contact", [identity]).get(identity)
        if first is not None:
            self.errors.append(
                row.error(
                    "email" if identity.startswith("email") else "name",
                    _("the same contact as line {line}; delete one of the two lines").format(
                        line=first
                    ),
                )
            )
            return
        self.first_lines.add("contact", [(identity, row.number)])
        if known is None:
            data["id"] = data.get("id") or new_id("mem", identity.split(":", 1)[1])
            data.setdefault("circle", Circle.PROSPECT.value)
            member = self._validate(
                SourceRow(
                    "member", row.file, row.number, row.unit, data, row.column_for, (), row.headers
                ),
                data,
            )
            if member is None:
                return
        else:
            # A contact already in the network keeps its record (a contact list must not
            # turn a customer back into a prospect); only the connection is added.
            member = known
        connection_id = new_id("con", f"{employee_id}->{member.id}")
        old_link = self.tx.maybe(Connection, connection_id)
        link_data: dict[str, Any] = {
            "id": connection_id,
            "from_id": employee_id,
            "to_id": member.id,
            "employee_id": employee_id,
            **link,
        }
        if old_link is None:
            link_data.setdefault("strength", 3)
            if connected_on is not None:
                link_data["created_at"] = connected_on
        connection_row = SourceRow(
            "connection", row.file, row.number, row.unit, link_data, row.column_for, (), row.headers
        )
        connection = self._validate(connection_row, _merge(old_link, link_data))
        if connection is None:
            return
        if known is None:
            self.tx.put(member)
            self.report.created["member"] += 1
        self.tx.put(connection)
        if old_link is None:
            self.report.created["connection"] += 1
        else:
            self.report.updated["connection"] += 1
