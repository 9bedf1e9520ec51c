"""The one retry layer of the HubSpot adapter (tenacity).

Each call wraps exactly one HTTP request, so a retry repeats only that request; every record
write is an upsert (or update) on the refnet id and every association create is idempotent,
so repeating one is safe. Failures are classified by :func:`adapters.hubspot.errors.classify`
inside the attempt, so tenacity only ever sees refnet errors:

* :class:`~connector.errors.TransientError` (429 TEN_SECONDLY_ROLLING, 5xx, timeouts) is
  retried up to ``attempts`` times, waiting the server's ``Retry-After`` when it sent one,
  else a jittered exponential backoff. The rate limiter
  (:mod:`adapters.hubspot.ratelimit`) also saw the 429's headers and paces the retry. A
  ``Retry-After`` longer than ``max_wait`` is not slept through: the error goes up and the
  sync engine stops the run, resumable.
* :class:`~adapters.hubspot.errors.DailyLimitReached` is never retried (the allowance resets
  at midnight portal time); it goes up and the sync engine stops cleanly.

urllib3 is given ``Retry(total=0)`` (:mod:`adapters.hubspot.client`): attempts would
multiply otherwise. ``sleep`` is injectable so tests run instantly.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_base, wait_random_exponential

from adapters.hubspot.errors import DailyLimitReached, classify
from connector.errors import TransientError

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
    """Runs one request at a time with classification and retries."""

    def __init__(
        self,
        *,
        attempts: int = 6,
        base_wait: float = 1.0,
        max_wait: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.attempts = attempts
        self.max_wait = max_wait
        self._wait = _RetryAfterOrBackoff(base_wait, max_wait)
        self._sleep = sleep
        self.retries = 0

    def _retryable(self, error: BaseException) -> bool:
        if not isinstance(error, TransientError) or isinstance(error, DailyLimitReached):
            return False
        return error.retry_after is None or error.retry_after <= self.max_wait

    def _log_retry(self, retry_state: RetryCallState) -> None:
        self.retries += 1
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        wait = retry_state.next_action.sleep if retry_state.next_action else 0.0
        # A refnet error whose message holds operation, status, policy and code only.
        log.warning("retrying in %.1fs (attempt %d): %s", wait, retry_state.attempt_number, error)

    def call(self, fn: Callable[[], T], *, operation: str) -> T:
        """Run ``fn`` (one request) under the policy; raise a refnet error if it fails."""

        def attempt() -> T:
            try:
                return fn()
            except Exception as exc:
                error = classify(exc, operation=operation)
                if error is None or error is exc:
                    raise
                # `from None`: the SDK exception carries every header and the body.
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
