"""The one exception tree of refnet.

Every error refnet raises on purpose derives from :class:`RefnetError`. The branches are
named after what the caller does next, so handlers never inspect messages::

    RefnetError
    ├── ConfigError            fix the settings, then start again (exit 6)
    ├── InputError             the user's input is wrong; nothing was written (exit 3)
    │   ├── RecordValidationError   one record, one field
    │   ├── ImportRejected          a whole file, with every row error listed
    │   └── AmbiguousMatch          a name fits several records; the candidates are listed
    ├── NotFoundError          the named record does not exist (exit 4)
    ├── IllegalTransition      a state change the rules forbid (exit 5)
    ├── TransientError         try again later, possibly after ``retry_after`` seconds (exit 7)
    │   └── MemberBusy          a member's ladder is being counted by another transaction
    ├── PermanentError         the remote side refused for good; retrying will not help (exit 8)
    │   └── RecordError        one record refused by a CRM, with its code
    └── SignatureError         a webhook's signature did not verify (never retried)

Messages carry record keys, field names and codes; never secrets and never payloads.
They are written in the reader's language (``connector.i18n``) when the error is raised or,
for :class:`RowError`, when it is printed; the attributes (``record``, ``field``, ``code``,
``kind``, states) stay language-neutral for scripts and ``--json``.
"""

from __future__ import annotations

from dataclasses import dataclass

from connector.i18n import gettext as _
from connector.i18n import ngettext, pgettext

__all__ = [
    "AmbiguousMatch",
    "ConfigError",
    "IllegalTransition",
    "ImportRejected",
    "InputError",
    "MemberBusy",
    "NotFoundError",
    "PermanentError",
    "RecordError",
    "RecordValidationError",
    "RefnetError",
    "RowError",
    "SignatureError",
    "TransientError",
    "kind_word",
]

_KIND = "record kind"


def kind_word(kind: str) -> str:
    """The reader's word for a record kind ("member" → "Mitglied"); unknown kinds as given."""
    return pgettext(_KIND, kind)


def _catalogued_kinds() -> tuple[str, ...]:
    """The kinds errors name, written out so that Babel's extractor catalogues them."""
    return (
        pgettext("record kind", "member"),
        pgettext("record kind", "connection"),
        pgettext("record kind", "referral"),
        pgettext("record kind", "target_profile"),
        pgettext("record kind", "partnership"),
        pgettext("record kind", "agreement"),
        pgettext("record kind", "club"),
        pgettext("record kind", "membership"),
        pgettext("record kind", "introduction"),
        pgettext("record kind", "joint_event"),
        pgettext("record kind", "contribution"),
        pgettext("record kind", "ladder"),
        pgettext("record kind", "sync run"),
        pgettext("record kind", "inbox event"),
    )


class RefnetError(Exception):
    """Root of every error refnet raises on purpose."""

    exit_code: int = 1


class ConfigError(RefnetError):
    """Settings are missing or inconsistent; nothing can run until they are fixed."""

    exit_code = 6


class InputError(RefnetError):
    """Input from a user or a file is invalid; nothing was written."""

    exit_code = 3


class RecordValidationError(InputError):
    """One record has an invalid field."""

    def __init__(self, record: str, field: str, message: str) -> None:
        self.record = record
        self.field = field
        self.reason = message
        super().__init__(
            _("{record}: field '{field}': {message}").format(
                record=record, field=field, message=message
            )
        )


@dataclass(frozen=True)
class RowError:
    """One invalid row of an import file: where it is and what is wrong with which field."""

    file: str
    line: int
    field: str
    message: str
    unit: str = "line"  # "line" in a CSV file, "record" (1-based) in a JSON list

    def __str__(self) -> str:
        # Translated when printed; the field stays as the file names it (the user's header).
        if self.unit == "record":
            text = _("{file} record {line}: field '{field}': {message}")
        else:
            text = _("{file} line {line}: field '{field}': {message}")
        return text.format(file=self.file, line=self.line, field=self.field, message=self.message)


class ImportRejected(InputError):
    """A file was rejected as a whole; ``errors`` lists every bad row."""

    def __init__(self, file: str, errors: list[RowError]) -> None:
        self.file = file
        self.errors = errors
        super().__init__(
            ngettext(
                "{file}: {count} invalid row, nothing imported; first: {first}",
                "{file}: {count} invalid rows, nothing imported; first: {first}",
                len(errors),
            ).format(file=file, count=len(errors), first=errors[0])
            if errors
            else _("{file}: rejected").format(file=file)
        )


class AmbiguousMatch(InputError):
    """A name, e-mail or company given for one record fits several; nothing was changed.

    ``candidates`` holds ``(record id, description)`` pairs, best match first (at most a
    handful; ``total`` says how many fit), so the user can repeat the command with an id.
    """

    def __init__(
        self, kind: str, text: str, candidates: list[tuple[str, str]], total: int | None = None
    ) -> None:
        self.kind = kind
        self.text = text
        self.candidates = candidates
        self.total = total if total is not None else len(candidates)
        shown = (
            ""
            if self.total == len(candidates)
            else _(" (the best {count})").format(count=len(candidates))
        )
        self.headline = _("'{text}' fits {total} {kind}s; name one by id or e-mail{shown}:").format(
            text=text, total=self.total, kind=kind_word(kind), shown=shown
        )
        listed = "; ".join(f"{record_id}: {what}" for record_id, what in candidates)
        super().__init__(f"{self.headline} {listed}")


class NotFoundError(RefnetError):
    """A record named by id does not exist."""

    exit_code = 4

    def __init__(self, kind: str, record_id: str) -> None:
        self.kind = kind
        self.record_id = record_id
        super().__init__(
            _("{kind} '{record_id}' not found").format(kind=kind_word(kind), record_id=record_id)
        )


class IllegalTransition(RefnetError):
    """A state change that the record's state machine does not allow."""

    exit_code = 5

    def __init__(
        self, kind: str, record_id: str, current: str, requested: str, allowed: list[str]
    ) -> None:
        self.kind = kind
        self.record_id = record_id
        self.current = current
        self.requested = requested
        self.allowed = allowed
        allowed_text = ", ".join(allowed) if allowed else _("none (final state)")
        super().__init__(
            _(
                "{kind} '{record_id}': cannot move from '{current}' to '{requested}'; "
                "allowed from '{current}': {allowed}"
            ).format(
                kind=kind_word(kind),
                record_id=record_id,
                current=current,
                requested=requested,
                allowed=allowed_text,
            )
        )


class TransientError(RefnetError):
    """A temporary failure; the same call may succeed later."""

    exit_code = 7

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class MemberBusy(TransientError):
    """Another transaction holds a member's ladder lock (PostgreSQL), and waiting for it
    here could deadlock (connector.store.member_locks); the whole unit of work is retried."""

    def __init__(self, member_ids: list[str]) -> None:
        self.member_ids = member_ids
        super().__init__(
            _("member '{member}' is being updated by another transaction; try again").format(
                member="', '".join(member_ids)
            )
        )


class PermanentError(RefnetError):
    """The remote side refused for good; retrying the same call will not help."""

    exit_code = 8


class RecordError(PermanentError):
    """A CRM refused one record; the rest of its batch is unaffected."""

    def __init__(self, record_key: str, code: str, message: str) -> None:
        self.record_key = record_key
        self.code = code
        super().__init__(
            _("record '{record_key}' refused: {code}: {message}").format(
                record_key=record_key, code=code, message=message
            )
        )


class SignatureError(RefnetError):
    """A webhook request's signature is missing, stale or wrong."""
