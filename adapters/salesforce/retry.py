"""The one retry layer of the Salesforce adapter (tenacity).

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

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_base, wait_random_exponential

from adapters.salesforce.errors import ApiLimitReached, SessionExpired, classify
from connector.errors import ConfigError, PermanentError, TransientError

__all__ = ["RetryPolicy"]

T = TypeVar("T")
log = logging.getLogger(__name__)


class _RetryAfterOrBackoff(wait_base):
    """Wait what the server asked for, else back off exponentially with jitter."""

    def __init__(self, base: float, maximum: float) -> None:
        self._backoff = wait_random_exponential(multiplier=base, max=maximum)

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        if isinstance(error, TransientError) and error.retry_after is not None:
            return error.retry_after
        return self._backoff(retry_state)


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
        self.attempts = attempts
        self.max_wait = max_wait
        self._wait = _RetryAfterOrBackoff(base_wait, max_wait)
        self._sleep = sleep
        self._reauthenticate = reauthenticate
        self._retry_after = retry_after
        self.reauthentications = 0

    def _retryable(self, error: BaseException) -> bool:
        if not isinstance(error, TransientError):
            return False
        if isinstance(error, ApiLimitReached | SessionExpired):
            return False
        return error.retry_after is None or error.retry_after <= self.max_wait

    def _log_retry(self, retry_state: RetryCallState) -> None:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        wait = retry_state.next_action.sleep if retry_state.next_action else 0.0
        # The error is a refnet error with a message built from status and code only.
        log.warning("retrying in %.1fs (attempt %d): %s", wait, retry_state.attempt_number, error)

    def _rounds(self, fn: Callable[[], T], operation: str, record_key: str | None) -> T:
        def attempt() -> T:
            try:
                return fn()
            except Exception as exc:
                error = classify(
                    exc,
                    operation=operation,
                    record_key=record_key,
                    retry_after=self._retry_after(),
                )
                if error is None or error is exc:
                    raise
                # `from None`: the SDK exception carries the URL and response body.
                raise error from None

        retrying = Retrying(
            sleep=self._sleep,
            stop=stop_after_attempt(self.attempts),
            wait=self._wait,
            retry=retry_if_exception(self._retryable),
            before_sleep=self._log_retry,
            reraise=True,
        )
        return retrying(attempt)

    def call(self, fn: Callable[[], T], *, operation: str, record_key: str | None = None) -> T:
        """Run ``fn`` (one request) under the policy; raise a refnet error if it fails."""
        try:
            return self._rounds(fn, operation, record_key)
        except SessionExpired:
            if self._reauthenticate is None:
                raise ConfigError(
                    "salesforce: the session was rejected as expired and cannot be renewed; "
                    "set a fresh salesforce.session_id or configure a login flow"
                ) from None
            self._reauthenticate()
            self.reauthentications += 1
            log.info("salesforce: re-authenticated after an expired session (%s)", operation)
        try:
            return self._rounds(fn, operation, record_key)
        except SessionExpired:
            raise PermanentError(
                f"salesforce {operation}: session rejected again right after re-authenticating"
            ) from None
