"""The one place where Salesforce failures become refnet errors.

Every exception the adapter sees (simple-salesforce's one-class-per-status tree, zeep's SOAP
faults from the Metadata API, requests' transport errors) is first reduced to a
:class:`Signal` (HTTP status, Salesforce ``errorCode``), then looked up in :data:`RULES`,
first match wins. The verdict names what the caller does next:

    Salesforce says                                  refnet raises
    403 REQUEST_LIMIT_EXCEEDED (ConcurrentPerOrg…)   TransientError      wait, retry
    403 REQUEST_LIMIT_EXCEEDED (daily total)         ApiLimitReached     stop, checkpoint, resume
    401 / INVALID_SESSION_ID                         SessionExpired      re-authenticate once
    login refused                                    ConfigError         fix the credentials
    408, 429, 5xx, timeouts, dropped connections     TransientError      retry (Retry-After)
    400 for one record                               RecordError         record the failure
    anything else (400, 403, 404, 300, faults)       PermanentError      fail the run

:class:`ApiLimitReached` derives from :class:`~connector.errors.TransientError` on purpose:
the sync engine stops a run on a transient error and resumes it from its checkpoint, which is
exactly what a used-up daily allowance needs. The retry layer never retries it in-process
(the allowance is a rolling 24 hours). Messages carry the operation, status and code; never
the SDK's ``str(exc)`` (it embeds the URL and the response body), never tokens or payloads.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import requests
from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceError
from zeep.exceptions import Fault, TransportError

from connector.errors import (
    ConfigError,
    PermanentError,
    RecordError,
    RefnetError,
    TransientError,
)
from connector.i18n import gettext as _

__all__ = [
    "RULES",
    "ApiBudgetExhausted",
    "ApiLimitReached",
    "ProvisioningError",
    "Rule",
    "SessionExpired",
    "Signal",
    "Verdict",
    "classify",
    "signal_of",
]

CRM = "salesforce"


class ApiLimitReached(TransientError):
    """The org's daily API allowance is used up: stop cleanly and resume later."""


class ApiBudgetExhausted(ApiLimitReached):
    """refnet's own guard stopped before ``api_budget_share`` of the allowance was used."""


class SessionExpired(TransientError):
    """The session token was rejected; the retry layer re-authenticates once and retries."""


class ProvisioningError(PermanentError):
    """Salesforce refused some metadata components; ``failures`` maps each to its codes."""

    def __init__(self, failures: dict[str, list[str]], changed: list[str]) -> None:
        self.failures = failures
        self.changed = changed
        names = "; ".join(f"{name}: {', '.join(codes)}" for name, codes in failures.items())
        super().__init__(
            _("Salesforce refused {count} metadata component(s): {names}").format(
                count=len(failures), names=names
            )
        )


class Verdict(StrEnum):
    DAILY_LIMIT = "daily_limit"
    REAUTH = "reauth"
    CONFIG = "config"
    TRANSIENT = "transient"
    RECORD = "record"
    PERMANENT = "permanent"


@dataclass(frozen=True)
class Signal:
    """What a failure says, reduced to what the rules look at."""

    status: int | None
    code: str | None
    detail: str | None = None  # matched by rules (e.g. which limit); never put in a message


@dataclass(frozen=True)
class Rule:
    verdict: Verdict
    status: int | tuple[int, int] | None = None  # exact, inclusive range, or any
    codes: frozenset[str] | None = None  # any of these errorCodes, or any
    detail_contains: str | None = None
    why: str = ""

    def matches(self, signal: Signal) -> bool:
        if isinstance(self.status, int) and signal.status != self.status:
            return False
        if isinstance(self.status, tuple) and not (
            signal.status is not None and self.status[0] <= signal.status <= self.status[1]
        ):
            return False
        if self.codes is not None and signal.code not in self.codes:
            return False
        return self.detail_contains is None or self.detail_contains in (signal.detail or "")


_LIMIT = frozenset({"REQUEST_LIMIT_EXCEEDED"})

RULES: tuple[Rule, ...] = (
    Rule(
        Verdict.TRANSIENT,
        403,
        _LIMIT,
        "ConcurrentPerOrgLongTxn",
        "too many long-running requests at once; clears in seconds",
    ),
    Rule(Verdict.DAILY_LIMIT, 403, _LIMIT, why="TotalRequests: the rolling 24 h allowance"),
    Rule(Verdict.DAILY_LIMIT, None, _LIMIT, why="the same limit as a SOAP fault (Metadata API)"),
    Rule(Verdict.CONFIG, None, frozenset({"AUTHENTICATION_FAILED"}), why="login refused"),
    Rule(Verdict.REAUTH, 401, why="session expired or revoked"),
    Rule(Verdict.REAUTH, None, frozenset({"INVALID_SESSION_ID"}), why="as a SOAP fault"),
    Rule(Verdict.TRANSIENT, 408, why="request timeout"),
    Rule(Verdict.TRANSIENT, 429, why="rate limited"),
    Rule(Verdict.TRANSIENT, (500, 599), why="server side failure or maintenance"),
    Rule(
        Verdict.TRANSIENT,
        None,
        frozenset({"TIMEOUT", "CONNECTION_ERROR", "SERVER_UNAVAILABLE", "UNABLE_TO_LOCK_ROW"}),
        why="transport failure or a lock held by another transaction",
    ),
    Rule(Verdict.RECORD, 400, why="validation of one record (only when a record key is known)"),
    Rule(Verdict.PERMANENT, why="everything else: malformed request, no access, not found"),
)


def _first_error(content: Any) -> tuple[str | None, str | None]:
    """``(errorCode, message)`` of a REST error body (a JSON list, sometimes a dict)."""
    if isinstance(content, list) and content and isinstance(content[0], dict):
        content = content[0]
    if isinstance(content, dict):
        code = content.get("errorCode") or content.get("error")
        message = content.get("message") or content.get("error_description")
        return (str(code) if code else None, str(message) if message else None)
    return None, None


def signal_of(exc: BaseException) -> Signal | None:
    """Reduce a failure to a :class:`Signal`; ``None`` for exceptions that are not ours."""
    if isinstance(exc, SalesforceAuthenticationFailed):
        return Signal(None, "AUTHENTICATION_FAILED", str(exc.code) if exc.code else None)
    if isinstance(exc, SalesforceError):
        code, message = _first_error(exc.content)
        return Signal(exc.status, code, message)
    if isinstance(exc, Fault):
        code = str(exc.code or "").rpartition(":")[2] or None
        return Signal(None, code, str(exc.message or ""))
    if isinstance(exc, TransportError):
        return Signal(exc.status_code or None, None)
    if isinstance(exc, requests.Timeout):
        return Signal(None, "TIMEOUT")
    if isinstance(exc, requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
        return Signal(None, "CONNECTION_ERROR")
    return None


def _describe(signal: Signal) -> str:
    parts = [f"HTTP {signal.status}" if signal.status else None, signal.code]
    return " ".join(part for part in parts if part) or "unknown failure"


def classify(
    exc: BaseException,
    *,
    operation: str,
    record_key: str | None = None,
    retry_after: float | None = None,
) -> RefnetError | None:
    """The refnet error for ``exc`` (``None`` when it is not a Salesforce failure).

    ``operation`` names the call in the message (e.g. ``upsert Refnet_Referral__c``);
    ``record_key`` turns a 400 into a :class:`RecordError` for that record; ``retry_after``
    (seconds, from the failed response's ``Retry-After``) rides on transient errors.
    """
    if isinstance(exc, RefnetError):
        return exc
    signal = signal_of(exc)
    if signal is None:
        return None
    rule = next(
        r
        for r in RULES
        if r.matches(signal) and (r.verdict is not Verdict.RECORD or record_key is not None)
    )
    what = _describe(signal)
    where = f"{CRM} {operation}"
    if rule.verdict is Verdict.DAILY_LIMIT:
        return ApiLimitReached(
            _(
                "{where}: API request limit reached ({what}); stopped cleanly, run again "
                "later to resume"
            ).format(where=where, what=what)
        )
    if rule.verdict is Verdict.REAUTH:
        return SessionExpired(_("{where}: session expired ({what})").format(where=where, what=what))
    if rule.verdict is Verdict.CONFIG:
        code = f" ({signal.detail})" if signal.detail else ""
        return ConfigError(
            _("{crm}: login refused{code}; check the salesforce settings").format(
                crm=CRM, code=code
            )
        )
    if rule.verdict is Verdict.TRANSIENT:
        return TransientError(
            _("{where}: temporary failure ({what})").format(where=where, what=what),
            retry_after=retry_after,
        )
    if rule.verdict is Verdict.RECORD and record_key is not None:
        return RecordError(record_key, signal.code or f"HTTP_{signal.status}", f"{where}: {what}")
    return PermanentError(_("{where}: refused ({what})").format(where=where, what=what))
