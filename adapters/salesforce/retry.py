"""The Salesforce adapter's policy on the one retry layer (:mod:`adapters.retrying`).

Each call wraps exactly one HTTP request (or one SOAP call), so a retry repeats only that
request; every write is an upsert on an external id, so repeating one is safe. Failures are
classified by :func:`adapters.salesforce.errors.classify` inside the attempt, so tenacity only
ever sees refnet errors:

* :class:`~connector.errors.TransientError` is retried up to ``attempts`` times, waiting the
  server's ``Retry-After`` when it sent one, else a jittered exponential backoff. A
  ``Retry-After`` longer than ``max_wait`` is not slept through: the error goes up and the
  sync engine stops the run, resumable.
* :class:`~adapters.salesforce.errors.ApiLimitReached` is never retried (the allowance is a
  rolling 24 hours).
* :class:`~adapters.salesforce.errors.SessionExpired` triggers one re-authentication and one
  more round; a session rejected again right after a fresh login is a permanent failure.

No urllib3 ``Retry`` is configured on the session: attempts would multiply. ``sleep`` is
injectable so tests run instantly.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from adapters.retrying import Retrier
from adapters.salesforce.errors import ApiLimitReached, SessionExpired, classify
from connector.errors import ConfigError, PermanentError
from connector.i18n import gettext as _

__all__ = ["RetryPolicy"]

T = TypeVar("T")
log = logging.getLogger(__name__)


class RetryPolicy:
    """Runs one request at a time with classification, retries and one re-authentication."""

    def __init__(
        self,
        *,
        attempts: int = 5,
        base_wait: float = 1.0,
        max_wait: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        reauthenticate: Callable[[], None] | None = None,
        retry_after: Callable[[], float | None] = lambda: None,
    ) -> None:
        self.retrier = Retrier(
            attempts=attempts,
            base_wait=base_wait,
            max_wait=max_wait,
            sleep=sleep,
            never_retry=(ApiLimitReached, SessionExpired),
        )
        self._reauthenticate = reauthenticate
        self._retry_after = retry_after
        self.reauthentications = 0

    def _rounds(self, fn: Callable[[], T], operation: str, record_key: str | None) -> T:
        return self.retrier.run(
            fn,
            lambda exc: classify(
                exc, operation=operation, record_key=record_key, retry_after=self._retry_after()
            ),
        )

    def call(self, fn: Callable[[], T], *, operation: str, record_key: str | None = None) -> T:
        """Run ``fn`` (one request) under the policy; raise a refnet error if it fails."""
        try:
            return self._rounds(fn, operation, record_key)
        except SessionExpired:
            if self._reauthenticate is None:
                raise ConfigError(
                    _(
                        "salesforce: the session was rejected as expired and cannot be renewed; "
                        "set a fresh salesforce.session_id or configure a login flow"
                    )
                ) from None
            self._reauthenticate()
            self.reauthentications += 1
            log.info("salesforce: re-authenticated after an expired session (%s)", operation)
        try:
            return self._rounds(fn, operation, record_key)
        except SessionExpired:
            raise PermanentError(
                _(
                    "salesforce {operation}: session rejected again right after re-authenticating"
                ).format(operation=operation)
            ) from None
