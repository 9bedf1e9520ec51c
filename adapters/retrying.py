"""The one retry layer both CRM adapters run their requests through (tenacity).

A request's failure is classified inside the attempt by the adapter's own classifier, so
tenacity only ever sees refnet errors. :class:`~connector.errors.TransientError` is retried
up to ``attempts`` times, waiting the server's ``Retry-After`` when it sent one (and giving
up at once when that is longer than ``max_wait``), else a jittered exponential backoff.
Errors the adapter names in ``never_retry`` (daily limits, expired sessions) go up at once.
No HTTP-level retries sit underneath: attempts would multiply. ``sleep`` is injectable so
tests run instantly.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_base, wait_random_exponential

from connector.errors import TransientError

__all__ = ["Classifier", "Retrier"]

T = TypeVar("T")
# Turns a raised exception into the refnet error to raise instead; None leaves it alone.
Classifier = Callable[[Exception], BaseException | None]
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


class Retrier:
    """Runs one request at a time with classification and retries; counts the retries."""

    def __init__(
        self,
        *,
        attempts: int,
        base_wait: float = 1.0,
        max_wait: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        never_retry: tuple[type[BaseException], ...] = (),
    ) -> None:
        self.attempts = attempts
        self.max_wait = max_wait
        self.retries = 0
        self._wait = _RetryAfterOrBackoff(base_wait, max_wait)
        self._sleep = sleep
        self._never_retry = never_retry

    def _retryable(self, error: BaseException) -> bool:
        if not isinstance(error, TransientError) or isinstance(error, self._never_retry):
            return False
        return error.retry_after is None or error.retry_after <= self.max_wait

    def _log_retry(self, retry_state: RetryCallState) -> None:
        self.retries += 1
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        wait = retry_state.next_action.sleep if retry_state.next_action else 0.0
        # A refnet error: its message holds operation, status and code, never a secret.
        log.warning("retrying in %.1fs (attempt %d): %s", wait, retry_state.attempt_number, error)

    def run(self, fn: Callable[[], T], classify: Classifier) -> T:
        """Run ``fn`` (one request); raise the classified refnet error if it keeps failing."""

        def attempt() -> T:
            try:
                return fn()
            except Exception as exc:
                error = classify(exc)
                if error is None or error is exc:
                    raise
                # `from None`: the SDK exception carries URLs, headers and response bodies.
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
