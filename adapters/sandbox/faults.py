"""Injectable faults and request accounting, shared by both fake CRMs.

What a test can ask for:

- **counting**: every request is recorded with its endpoint name (``salesforce.query``,
  ``hubspot.batch_upsert``, ...; see ``ENDPOINTS`` in the API modules) and final status;
  :meth:`Faults.request_count` takes an fnmatch pattern (``"hubspot.*"``).
- **scripted failures**: "the next N calls to endpoint X answer 503" (:meth:`fail_next`),
  "... answer HubSpot 429 with policy DAILY" (:meth:`rate_limit_next`), "... answer
  Salesforce 403 REQUEST_LIMIT_EXCEEDED" (:meth:`request_limit_next`), "... lose their
  connection" (:meth:`reset_next`), "... are answered late" (:meth:`slow_next`: before
  the change is made; :meth:`answer_late_next`: after it).
- **sessions**: :meth:`expire_sessions` makes every Salesforce session id and HubSpot token
  stop working, as an expired session does.
- **record rules**: :meth:`reject_records` makes records whose field has a given value fail
  validation inside otherwise successful batches (collections, Bulk 2.0, HubSpot 207).
- **rate limits**: HubSpot's rolling ten-second window and daily quota (with the
  ``X-HubSpot-RateLimit-*`` headers on every answer) and Salesforce's daily API request
  allocation (reported in ``Sforce-Limit-Info``; exhausted → 403).

The API modules turn a fault into each CRM's documented answer; this module only decides.
"""

from __future__ import annotations

import fnmatch
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from adapters.sandbox.auth import Credentials
from adapters.sandbox.store import Clock

__all__ = [
    "Faults",
    "HubSpotRateLimit",
    "HubSpotVerdict",
    "RecordRule",
    "RequestRecord",
    "ScriptedFault",
]

FaultKind = Literal[
    "status", "hubspot_rate_limit", "salesforce_request_limit", "reset", "slow", "late"
]
Crm = Literal["salesforce", "hubspot"]
HubSpotPolicy = Literal["TEN_SECONDLY_ROLLING", "DAILY"]


@dataclass
class ScriptedFault:
    """Answer the next ``remaining`` requests whose endpoint matches ``pattern`` with a fault."""

    pattern: str
    remaining: int
    kind: FaultKind
    status: int = 503
    policy: HubSpotPolicy = "TEN_SECONDLY_ROLLING"
    retry_after: int | None = None
    delay: float = 0.0  # seconds, for ``slow`` and ``late``


@dataclass(frozen=True)
class RecordRule:
    """Records of ``object_name`` whose ``field`` equals ``equals`` fail with ``code``.

    ``object_name`` is a Salesforce API name, or a HubSpot object type id, name or
    fully qualified name; ``equals=None`` matches any non-empty value. Compared as text.
    """

    crm: Crm
    object_name: str
    field: str
    equals: str | None
    code: str
    message: str


@dataclass(frozen=True)
class HubSpotRateLimit:
    """HubSpot's limits for one private app: a rolling window and a daily quota."""

    per_interval: int = 190
    interval_ms: int = 10_000
    daily: int = 1_000_000


@dataclass(frozen=True)
class HubSpotVerdict:
    """Whether a HubSpot request may proceed, and the headers to send either way."""

    refused_policy: HubSpotPolicy | None
    headers: dict[str, str]


@dataclass
class RequestRecord:
    endpoint: str
    method: str
    path: str
    status: int | None = None


@dataclass
class _SalesforceUsage:
    used: int = 0
    total: int = 15_000


@dataclass
class _HubSpotWindow:
    limit: HubSpotRateLimit
    recent: deque[float] = field(default_factory=deque)
    daily_used: int = 0


class Faults:
    """Thread-safe fault switchboard; one instance serves both fake CRMs."""

    def __init__(
        self,
        credentials: Credentials,
        clock: Clock,
        *,
        hubspot_limit: HubSpotRateLimit | None = None,
        salesforce_daily_limit: int = 15_000,
    ) -> None:
        self._credentials = credentials
        self._clock = clock
        self._lock = threading.Lock()
        self._requests: list[RequestRecord] = []
        self._scripted: list[ScriptedFault] = []
        self._rules: list[RecordRule] = []
        self._hubspot = _HubSpotWindow(hubspot_limit) if hubspot_limit else None
        self._salesforce = _SalesforceUsage(total=salesforce_daily_limit)

    # -- accounting -------------------------------------------------------------------------

    def record_request(self, endpoint: str, method: str, path: str) -> RequestRecord:
        record = RequestRecord(endpoint, method, path)
        with self._lock:
            self._requests.append(record)
        return record

    def request_count(self, pattern: str = "*") -> int:
        """How many requests hit endpoints matching ``pattern`` (fnmatch, e.g. ``hubspot.*``)."""
        return len(self.requests(pattern))

    def requests(self, pattern: str = "*") -> list[RequestRecord]:
        with self._lock:
            return [r for r in self._requests if fnmatch.fnmatchcase(r.endpoint, pattern)]

    def reset_counts(self) -> None:
        with self._lock:
            self._requests.clear()

    # -- scripted failures ------------------------------------------------------------------

    def fail_next(
        self, endpoint: str, times: int = 1, *, status: int = 503, retry_after: int | None = None
    ) -> None:
        """The next ``times`` calls to ``endpoint`` (fnmatch) answer ``status``."""
        self._script(ScriptedFault(endpoint, times, "status", status, retry_after=retry_after))

    def rate_limit_next(
        self,
        endpoint: str = "hubspot.*",
        times: int = 1,
        *,
        policy: HubSpotPolicy = "TEN_SECONDLY_ROLLING",
    ) -> None:
        """The next ``times`` HubSpot calls to ``endpoint`` answer 429 with ``policy``."""
        self._script(ScriptedFault(endpoint, times, "hubspot_rate_limit", 429, policy))

    def request_limit_next(self, endpoint: str = "salesforce.*", times: int = 1) -> None:
        """The next ``times`` Salesforce calls answer 403 ``REQUEST_LIMIT_EXCEEDED``."""
        self._script(ScriptedFault(endpoint, times, "salesforce_request_limit", 403))

    def reset_next(self, endpoint: str, times: int = 1) -> None:
        """The next ``times`` calls to ``endpoint`` get their connection closed, no answer."""
        self._script(ScriptedFault(endpoint, times, "reset"))

    def slow_next(self, endpoint: str, times: int = 1, *, seconds: float) -> None:
        """The next ``times`` calls to ``endpoint`` are answered only after ``seconds``.

        The request is carried out after the wait, as a CRM does for a client that gave up
        waiting: a client timeout does not mean the write did not happen.
        """
        self._script(ScriptedFault(endpoint, times, "slow", delay=seconds))

    def _script(self, fault: ScriptedFault) -> None:
        if fault.remaining < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._scripted.append(fault)

    def answer_late_next(self, endpoint: str, times: int = 1, *, seconds: float) -> None:
        """The next ``times`` calls to ``endpoint`` take effect at once, answered ``seconds``
        later: a client that stops waiting sooner sees a timeout for a change that was made.

        Salesforce only (its request pipeline carries it out).
        """
        self._script(ScriptedFault(endpoint, times, "late", delay=seconds))

    def take_scripted(self, endpoint: str) -> ScriptedFault | None:
        """The first pending fault for ``endpoint``, consuming one use of it."""
        with self._lock:
            for fault in self._scripted:
                if fnmatch.fnmatchcase(endpoint, fault.pattern):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._scripted.remove(fault)
                    return fault
        return None

    # -- sessions ---------------------------------------------------------------------------

    def expire_sessions(self) -> None:
        """Every Salesforce session id and HubSpot token now answers 401 (expired)."""
        self._credentials.expire_all()

    def restore_sessions(self) -> None:
        """The sandbox's initial session id and token work again."""
        self._credentials.restore()

    # -- record rules -----------------------------------------------------------------------

    def reject_records(
        self,
        crm: Crm,
        object_name: str,
        field: str,
        equals: str | None,
        *,
        code: str | None = None,
        message: str = "Rejected by a sandbox validation rule",
    ) -> RecordRule:
        """Records whose ``field`` equals ``equals`` fail validation (per record, not per batch).

        ``code`` defaults to Salesforce's ``FIELD_CUSTOM_VALIDATION_EXCEPTION``; on HubSpot
        it is the ``code`` of the error detail inside a ``VALIDATION_ERROR`` (default
        ``INVALID_VALUE``).
        """
        default = "FIELD_CUSTOM_VALIDATION_EXCEPTION" if crm == "salesforce" else "INVALID_VALUE"
        rule = RecordRule(crm, object_name, field, equals, code or default, message)
        with self._lock:
            self._rules.append(rule)
        return rule

    def matching_rule(
        self, crm: Crm, object_names: set[str], values: Mapping[str, Any]
    ) -> RecordRule | None:
        """The first rule that rejects a record of an object known by ``object_names``."""
        lowered_names = {name.lower() for name in object_names}
        lowered_values = {key.lower(): value for key, value in values.items()}
        with self._lock:
            rules = list(self._rules)
        for rule in rules:
            if rule.crm != crm or rule.object_name.lower() not in lowered_names:
                continue
            value = lowered_values.get(rule.field.lower())
            if value is None or value == "":
                continue
            if rule.equals is None or _as_text(value) == rule.equals:
                return rule
        return None

    # -- rate limits ------------------------------------------------------------------------

    def set_hubspot_rate_limit(self, limit: HubSpotRateLimit | None) -> None:
        """Turn HubSpot's limits (and their headers) on with ``limit``, or off with ``None``."""
        with self._lock:
            self._hubspot = _HubSpotWindow(limit) if limit else None

    def admit_hubspot(self) -> HubSpotVerdict:
        """Count one HubSpot request against the limits; refused requests are not counted."""
        with self._lock:
            window = self._hubspot
            if window is None:
                return HubSpotVerdict(None, {})
            now = self._clock.seconds()
            horizon = now - window.limit.interval_ms / 1000
            while window.recent and window.recent[0] <= horizon:
                window.recent.popleft()
            policy: HubSpotPolicy | None = None
            if window.daily_used >= window.limit.daily:
                policy = "DAILY"
            elif len(window.recent) >= window.limit.per_interval:
                policy = "TEN_SECONDLY_ROLLING"
            else:
                window.recent.append(now)
                window.daily_used += 1
            return HubSpotVerdict(policy, self._hubspot_headers(window))

    def hubspot_headers(self) -> dict[str, str]:
        """The current ``X-HubSpot-RateLimit-*`` headers (empty when limits are off)."""
        with self._lock:
            return {} if self._hubspot is None else self._hubspot_headers(self._hubspot)

    @staticmethod
    def _hubspot_headers(window: _HubSpotWindow) -> dict[str, str]:
        limit = window.limit
        return {
            "X-HubSpot-RateLimit-Daily": str(limit.daily),
            "X-HubSpot-RateLimit-Daily-Remaining": str(max(limit.daily - window.daily_used, 0)),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(limit.interval_ms),
            "X-HubSpot-RateLimit-Max": str(limit.per_interval),
            "X-HubSpot-RateLimit-Remaining": str(max(limit.per_interval - len(window.recent), 0)),
        }

    def set_salesforce_usage(self, used: int, total: int | None = None) -> None:
        """Set the org's daily API usage (e.g. near the allocation, to test back-off)."""
        with self._lock:
            self._salesforce.used = used
            if total is not None:
                self._salesforce.total = total

    def admit_salesforce(self) -> bool:
        """Count one Salesforce API call; ``False`` once the daily allocation is used up."""
        with self._lock:
            if self._salesforce.used >= self._salesforce.total:
                return False
            self._salesforce.used += 1
            return True

    def salesforce_usage(self) -> tuple[int, int]:
        with self._lock:
            return self._salesforce.used, self._salesforce.total

    def clear(self) -> None:
        """Drop scripted faults and record rules (counts and rate-limit settings stay)."""
        with self._lock:
            self._scripted.clear()
            self._rules.clear()


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
