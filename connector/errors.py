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
    ├── PermanentError         the remote side refused for good; retrying will not help (exit 8)
    │   └── RecordError        one record refused by a CRM, with its code
    └── SignatureError         a webhook's signature did not verify (never retried)

Messages carry record keys, field names and codes; never secrets and never payloads.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AmbiguousMatch",
    "ConfigError",
    "IllegalTransition",
    "ImportRejected",
    "InputError",
    "NotFoundError",
    "PermanentError",
    "RecordError",
    "RecordValidationError",
    "RefnetError",
    "RowError",
    "SignatureError",
    "TransientError",
]


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
        super().__init__(f"{record}: field '{field}': {message}")


@dataclass(frozen=True)
class RowError:
    """One invalid row of an import file: where it is and what is wrong with which field."""

    file: str
    line: int
    field: str
    message: str
    unit: str = "line"  # "line" in a CSV file, "record" (1-based) in a JSON list

    def __str__(self) -> str:
        return f"{self.file} {self.unit} {self.line}: field '{self.field}': {self.message}"


class ImportRejected(InputError):
    """A file was rejected as a whole; ``errors`` lists every bad row."""

    def __init__(self, file: str, errors: list[RowError]) -> None:
        self.file = file
        self.errors = errors
        super().__init__(
            f"{file}: {len(errors)} invalid row(s), nothing imported; first: {errors[0]}"
            if errors
            else f"{file}: rejected"
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
        shown = "" if self.total == len(candidates) else f" (the best {len(candidates)})"
        self.headline = f"'{text}' fits {self.total} {kind}s; name one by id or e-mail{shown}:"
        listed = "; ".join(f"{record_id}: {what}" for record_id, what in candidates)
        super().__init__(f"{self.headline} {listed}")


class NotFoundError(RefnetError):
    """A record named by id does not exist."""

    exit_code = 4

    def __init__(self, kind: str, record_id: str) -> None:
        self.kind = kind
        self.record_id = record_id
        super().__init__(f"{kind} '{record_id}' not found")


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
        allowed_text = ", ".join(allowed) if allowed else "none (final state)"
        super().__init__(
            f"{kind} '{record_id}': cannot move from '{current}' to '{requested}'; "
            f"allowed from '{current}': {allowed_text}"
        )


class TransientError(RefnetError):
    """A temporary failure; the same call may succeed later."""

    exit_code = 7

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class PermanentError(RefnetError):
    """The remote side refused for good; retrying the same call will not help."""

    exit_code = 8


class RecordError(PermanentError):
    """A CRM refused one record; the rest of its batch is unaffected."""

    def __init__(self, record_key: str, code: str, message: str) -> None:
        self.record_key = record_key
        self.code = code
        super().__init__(f"record '{record_key}' refused: {code}: {message}")


class SignatureError(RefnetError):
    """A webhook request's signature is missing, stale or wrong."""
