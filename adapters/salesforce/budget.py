"""The daily API budget guard, fed by every response of the client's HTTP session.

Salesforce puts the org's rolling 24 h usage on every REST response
(``Sforce-Limit-Info: api-usage=18/15000``; simple-salesforce parses the same header into
``sf.api_usage``). The allowance is shared with every other integration of the org, so refnet
stops itself before it has used ``api_budget_share`` of it: :meth:`ApiBudget.check` raises
:class:`~adapters.salesforce.errors.ApiBudgetExhausted` (a transient error: the sync engine
stops the run cleanly and the next run resumes) when one more call would reach the share.

The same response hook counts the API calls refnet makes (login requests do not count
against the allowance and are not counted) and keeps the ``Retry-After`` of the last failed
response, which simple-salesforce's exceptions do not carry.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from simple_salesforce.api import Salesforce
from simple_salesforce.util import Usage

from adapters.salesforce.errors import ApiBudgetExhausted
from connector.i18n import gettext as _

__all__ = ["ApiBudget", "parse_retry_after"]

# Paths that count against the org's API request allowance (REST, Bulk 2.0, Bulk 1, SOAP
# metadata); login and OAuth token requests do not.
_COUNTED_PATHS = ("/services/data/", "/services/async/", "/services/Soap/m/")


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


class ApiBudget:
    """Counts API calls, tracks the org's usage and stops before refnet's share is used."""

    def __init__(self, share: float) -> None:
        if not 0 < share <= 1:
            raise ValueError("share must be in (0, 1]")
        self.share = share
        self.calls = 0
        self.used: int | None = None
        self.total: int | None = None
        self._last_retry_after: float | None = None

    def attach(self, session: requests.Session) -> None:
        """Watch every response of ``session`` (the one the Salesforce client uses)."""
        if self.observe not in session.hooks["response"]:
            session.hooks["response"].append(self.observe)

    def observe(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """A requests response hook: count the call, read usage and Retry-After."""
        path = response.request.path_url if response.request is not None else ""
        if any(path.startswith(prefix) for prefix in _COUNTED_PATHS):
            self.calls += 1
        info = response.headers.get("Sforce-Limit-Info")
        if info:
            usage = Salesforce.parse_api_usage(info).get("api-usage")
            if isinstance(usage, Usage):
                self.record(usage.used, usage.total)
        self._last_retry_after = (
            parse_retry_after(response.headers.get("Retry-After"))
            if response.status_code >= 400
            else None
        )

    def count_call(self) -> None:
        """Count a call the session hook cannot see (the Metadata API's own transport)."""
        self.calls += 1

    def record(self, used: int, total: int) -> None:
        self.used, self.total = used, total

    @property
    def limit(self) -> int | None:
        """The usage refnet must stay below, or ``None`` before the first response."""
        return math.floor(self.share * self.total) if self.total else None

    def take_retry_after(self) -> float | None:
        """The ``Retry-After`` of the last failed response, once (so it cannot go stale)."""
        value, self._last_retry_after = self._last_retry_after, None
        return value

    def check(self, operation: str) -> None:
        """Raise :class:`ApiBudgetExhausted` if one more call would reach refnet's share."""
        limit = self.limit
        if limit is None or self.used is None:
            return  # nothing known yet: the first response will tell
        if self.used + 1 >= limit:
            raise ApiBudgetExhausted(
                _(
                    "salesforce {operation}: stopped at {used} of {total} daily API calls, "
                    "before refnet's share ({share:.0%}); run again later to resume"
                ).format(operation=operation, used=self.used, total=self.total, share=self.share)
            )
