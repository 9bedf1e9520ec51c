"""The HubSpot adapter's policy on the one retry layer (:mod:`adapters.retrying`).

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

import time
from collections.abc import Callable
from typing import TypeVar

from adapters.hubspot.errors import DailyLimitReached, classify
from adapters.retrying import Retrier

__all__ = ["RetryPolicy"]

T = TypeVar("T")


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
        self.retrier = Retrier(
            attempts=attempts,
            base_wait=base_wait,
            max_wait=max_wait,
            sleep=sleep,
            never_retry=(DailyLimitReached,),
        )

    @property
    def retries(self) -> int:
        """Retries made so far (for tests and the benches)."""
        return self.retrier.retries

    def call(self, fn: Callable[[], T], *, operation: str) -> T:
        """Run ``fn`` (one request) under the policy; raise a refnet error if it fails."""
        return self.retrier.run(fn, lambda exc: classify(exc, operation=operation))
