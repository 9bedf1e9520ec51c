"""The one place where HubSpot failures become refnet errors.

hubspot-api-client raises a separate ``ApiException`` tree per sub-package (objects,
schemas, properties, pipelines, associations), with no common base, and lets urllib3's
transport errors through. Every failure is therefore reduced to a :class:`Signal` by duck
typing on ``.status``, ``.headers`` and ``.body`` (HTTP status, the 429 ``policyName``, the
error ``category`` and first detail ``code``, ``Retry-After``), then looked up in
:data:`RULES`, first match wins. The verdict names what the caller does next:

    HubSpot says                                  refnet raises
    429 policyName DAILY                          DailyLimitReached   stop, checkpoint, resume
    429 TEN_SECONDLY_ROLLING / SECONDLY / other   TransientError      wait for the window, retry
    401 (invalid or expired token)                ConfigError         fix hubspot.access_token
    403 (missing scopes, no Enterprise)           AccessDenied        a feature the portal lacks
    408, 423, 5xx, timeouts, dropped connections  TransientError      retry (Retry-After)
    404                                           PermanentError      fail the run
    other 4xx (validation of a whole request)     RequestRejected     fail the request's records
    anything else                                 PermanentError      fail the run

:class:`DailyLimitReached` derives from :class:`~connector.errors.TransientError` on purpose:
the sync engine stops a run on a transient error and resumes it from its checkpoint, which is
what a used-up daily allowance needs; the retry layer never retries it in-process (it resets
at midnight in the portal's time zone). Messages carry the operation, status, policy,
category and code; never ``str(exc)`` (the SDK's text embeds every header and the body),
never tokens or payloads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from urllib3.exceptions import HTTPError as TransportError
from urllib3.exceptions import MaxRetryError
from urllib3.exceptions import TimeoutError as TransportTimeout

from connector.errors import ConfigError, PermanentError, RefnetError, TransientError
from connector.i18n import gettext as _

__all__ = [
    "RULES",
    "AccessDenied",
    "DailyLimitReached",
    "MissingScopes",
    "ProvisioningError",
    "RequestRejected",
    "Rule",
    "Signal",
    "Verdict",
    "classify",
    "signal_of",
]

CRM = "hubspot"
_MAX_REASON = 500


class DailyLimitReached(TransientError):
    """The portal's daily API allowance is used up: stop cleanly and resume later."""


class AccessDenied(PermanentError):
    """HubSpot refused with 403: a missing scope or a feature the portal's tier lacks.

    ``required_scopes`` are the scopes a ``MISSING_SCOPES`` answer names (its error details'
    ``context.requiredScopes`` / ``requiredGranularScopes``).
    """

    def __init__(
        self,
        message: str,
        *,
        category: str | None = None,
        required_scopes: tuple[str, ...] = (),
    ) -> None:
        self.category = category
        self.required_scopes = required_scopes
        super().__init__(message)


class MissingScopes(ConfigError):
    """The access token lacks scopes refnet needs; nothing was stored. ``scopes``: the missing."""

    def __init__(self, missing: tuple[str, ...], needed: tuple[str, ...]) -> None:
        self.scopes = missing
        named = ", ".join(missing) if missing else _("(HubSpot named none)")
        super().__init__(
            _(
                "hubspot: the access token lacks scope(s) {named}. refnet needs these scopes: "
                "{needed}. Grant them to the app (private app: Settings → "
                "Integrations → Private Apps → Scopes), use the new token and run "
                "`refnet hubspot provision` again. Nothing was stored."
            ).format(named=named, needed=", ".join(needed))
        )


class RequestRejected(PermanentError):
    """HubSpot refused a whole request as invalid (4xx); a batch's records all fail with it.

    ``code`` is the detail code or category (e.g. ``VALIDATION_ERROR``); ``reason`` is
    HubSpot's message, kept for per-record outcomes and never logged.
    """

    def __init__(self, message: str, *, status: int | None, code: str, reason: str | None) -> None:
        self.status = status
        self.code = code
        self.reason = reason
        super().__init__(message)


class ProvisioningError(PermanentError):
    """HubSpot refused some schema changes; ``failures`` names each with its code."""

    def __init__(self, failures: dict[str, str], changed: list[str]) -> None:
        self.failures = failures
        self.changed = changed
        names = "; ".join(f"{name}: {code}" for name, code in failures.items())
        super().__init__(
            _("HubSpot refused {count} schema change(s): {names}").format(
                count=len(failures), names=names
            )
        )


class Verdict(StrEnum):
    DAILY_LIMIT = "daily_limit"
    RATE_LIMIT = "rate_limit"
    CONFIG = "config"
    ACCESS = "access"
    TRANSIENT = "transient"
    REJECTED = "rejected"
    PERMANENT = "permanent"


@dataclass(frozen=True)
class Signal:
    """What a failure says, reduced to what the rules look at."""

    status: int | None
    policy: str | None = None  # 429 policyName: DAILY, TEN_SECONDLY_ROLLING, SECONDLY
    category: str | None = None  # VALIDATION_ERROR, MISSING_SCOPES, OBJECT_NOT_FOUND, ...
    code: str | None = None  # first error detail code, or a transport code (TIMEOUT)
    retry_after: float | None = None  # the Retry-After header, seconds
    reason: str | None = None  # HubSpot's message: for per-record outcomes, never logged
    scopes: tuple[str, ...] = ()  # the scopes a MISSING_SCOPES answer names


@dataclass(frozen=True)
class Rule:
    verdict: Verdict
    status: int | tuple[int, int] | None = None  # exact, inclusive range, or any
    policies: frozenset[str] | None = None
    codes: frozenset[str] | None = None
    why: str = ""

    def matches(self, signal: Signal) -> bool:
        if isinstance(self.status, int) and signal.status != self.status:
            return False
        if isinstance(self.status, tuple) and not (
            signal.status is not None and self.status[0] <= signal.status <= self.status[1]
        ):
            return False
        if self.policies is not None and signal.policy not in self.policies:
            return False
        return self.codes is None or signal.code in self.codes


RULES: tuple[Rule, ...] = (
    Rule(Verdict.DAILY_LIMIT, 429, frozenset({"DAILY"}), why="resets at midnight portal time"),
    Rule(Verdict.RATE_LIMIT, 429, why="TEN_SECONDLY_ROLLING, SECONDLY or unnamed: a window"),
    Rule(Verdict.CONFIG, 401, why="the token is invalid, revoked or expired"),
    Rule(Verdict.ACCESS, 403, why="missing scopes, or a feature the tier lacks"),
    Rule(Verdict.TRANSIENT, 408, why="request timeout"),
    Rule(Verdict.TRANSIENT, 423, why="record locked by a concurrent write"),
    Rule(Verdict.TRANSIENT, (500, 599), why="server side failure or maintenance"),
    Rule(
        Verdict.TRANSIENT,
        None,
        codes=frozenset({"TIMEOUT", "CONNECTION_ERROR"}),
        why="transport failure before an answer",
    ),
    Rule(Verdict.PERMANENT, 404, why="an object type, pipeline or record that does not exist"),
    Rule(Verdict.REJECTED, (400, 499), why="validation: the request was refused as a whole"),
    Rule(Verdict.PERMANENT, why="everything else"),
)


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value if isinstance(value, str) else None


def _body(raw: Any) -> dict[str, Any]:
    text = _text(raw)
    if not text:
        return {}
    try:
        parsed = json.loads(text)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _header(headers: Any, name: str) -> str | None:
    if headers is None:
        return None
    try:
        items = headers.items()
    except AttributeError:
        return None
    wanted = name.lower()
    return next((str(v) for k, v in items if str(k).lower() == wanted), None)


def _seconds(text: str | None) -> float | None:
    try:
        return max(float(text), 0.0) if text is not None else None
    except ValueError:
        return None  # an HTTP date; HubSpot sends seconds


def _first_code(body: dict[str, Any]) -> str | None:
    details = body.get("errors")
    if isinstance(details, list) and details and isinstance(details[0], dict):
        code = details[0].get("code") or details[0].get("subCategory")
        if code:
            return str(code)
    sub = body.get("subCategory")
    return str(sub) if isinstance(sub, str) else None


def _required_scopes(body: dict[str, Any]) -> tuple[str, ...]:
    """Scopes a ``MISSING_SCOPES`` body names in its details' context (in order, once)."""
    found: list[str] = []
    details = body.get("errors")
    for detail in details if isinstance(details, list) else []:
        context = detail.get("context") if isinstance(detail, dict) else None
        if not isinstance(context, dict):
            continue
        for key in ("requiredScopes", "requiredGranularScopes"):
            values = context.get(key)
            if isinstance(values, list):
                found.extend(str(v) for v in values if str(v) not in found)
    return tuple(dict.fromkeys(found))


def _is_api_exception(exc: BaseException) -> bool:
    # One class tree per SDK sub-package and no common base: recognise them by shape.
    return type(exc).__module__.startswith("hubspot.") and hasattr(exc, "status")


def signal_of(exc: BaseException) -> Signal | None:
    """Reduce a failure to a :class:`Signal`; ``None`` for exceptions that are not ours."""
    if _is_api_exception(exc):
        status = getattr(exc, "status", None)
        if not isinstance(status, int) or status == 0:
            # The SDK's status 0: a TLS failure or a request it could not build.
            return Signal(None, code="CLIENT_ERROR")
        body = _body(getattr(exc, "body", None))
        headers = getattr(exc, "headers", None)
        category = body.get("category") or body.get("errorType")
        message = body.get("message")
        return Signal(
            status,
            policy=str(body["policyName"]) if body.get("policyName") else None,
            category=str(category) if category else None,
            code=_first_code(body),
            retry_after=_seconds(_header(headers, "Retry-After")),
            reason=str(message)[:_MAX_REASON] if message else None,
            scopes=_required_scopes(body),
        )
    if isinstance(exc, MaxRetryError):
        timed_out = isinstance(exc.reason, TransportTimeout)
        return Signal(None, code="TIMEOUT" if timed_out else "CONNECTION_ERROR")
    if isinstance(exc, TransportTimeout):
        return Signal(None, code="TIMEOUT")
    if isinstance(exc, TransportError | ConnectionError):
        return Signal(None, code="CONNECTION_ERROR")
    return None


def verdict_of(signal: Signal) -> Rule:
    return next(rule for rule in RULES if rule.matches(signal))


def describe(signal: Signal) -> str:
    """``HTTP 429 policy DAILY``, ``HTTP 400 VALIDATION_ERROR INVALID_OPTION``, ``TIMEOUT``."""
    parts = [
        f"HTTP {signal.status}" if signal.status else None,
        f"policy {signal.policy}" if signal.policy else None,
        signal.category,
        signal.code if signal.code != signal.category else None,
    ]
    return " ".join(part for part in parts if part) or "unknown failure"


def classify(exc: BaseException, *, operation: str) -> RefnetError | None:
    """The refnet error for ``exc`` (``None`` when it is not a HubSpot or transport failure).

    ``operation`` names the call in the message (e.g. ``upsert refnet_referral``).
    """
    if isinstance(exc, RefnetError):
        return exc
    signal = signal_of(exc)
    if signal is None:
        return None
    verdict = verdict_of(signal).verdict
    what = describe(signal)
    where = f"{CRM} {operation}"
    if verdict is Verdict.DAILY_LIMIT:
        return DailyLimitReached(
            _(
                "{where}: daily API limit reached ({what}); stopped cleanly, run again "
                "after midnight portal time to resume"
            ).format(where=where, what=what)
        )
    if verdict is Verdict.RATE_LIMIT:
        return TransientError(
            _("{where}: rate limited ({what})").format(where=where, what=what),
            retry_after=signal.retry_after,
        )
    if verdict is Verdict.CONFIG:
        return ConfigError(
            _(
                "{where}: the access token was refused ({what}); set a valid "
                "hubspot.access_token (REFNET_HUBSPOT__ACCESS_TOKEN)"
            ).format(where=where, what=what)
        )
    if verdict is Verdict.ACCESS:
        return AccessDenied(
            _("{where}: access denied ({what})").format(where=where, what=what),
            category=signal.category,
            required_scopes=signal.scopes,
        )
    if verdict is Verdict.TRANSIENT:
        return TransientError(
            _("{where}: temporary failure ({what})").format(where=where, what=what),
            retry_after=signal.retry_after,
        )
    if verdict is Verdict.REJECTED:
        return RequestRejected(
            _("{where}: request refused ({what})").format(where=where, what=what),
            status=signal.status,
            code=signal.code or signal.category or f"HTTP_{signal.status}",
            reason=signal.reason,
        )
    return PermanentError(_("{where}: refused ({what})").format(where=where, what=what))
