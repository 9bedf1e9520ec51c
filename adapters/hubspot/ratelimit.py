"""A client-side limiter that keeps refnet under the portal's rolling request window.

HubSpot allows ``X-HubSpot-RateLimit-Max`` requests per
``X-HubSpot-RateLimit-Interval-Milliseconds`` (190 per 10 s on Professional and
Enterprise) and answers every response with what remains. The limiter learns both from
the headers of each answer (successes and failures alike), keeps the send times of the
requests in the current window, and before each request sleeps just long enough that no
more than ``max × (1 − headroom)`` requests fall into any window. The headroom absorbs the
gap between our send time and HubSpot's arrival time; requests that others make with the
same app show up as a smaller ``Remaining`` than our own count explains and are counted as
if sent now, so the limiter also backs off for them.

Until the first answer carries the headers, nothing is throttled: there is no limit to keep
yet, and a 429 is still handled by the retry layer. ``X-HubSpot-RateLimit-Daily-Remaining``
at or below ``daily_reserve`` stops the next request before it is sent
(:class:`~adapters.hubspot.errors.DailyLimitReached`), so a run ends cleanly instead of
spending its last calls on 429s. ``clock`` and ``sleep`` are injectable for tests.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping

from adapters.hubspot.errors import DailyLimitReached
from connector.i18n import gettext as _

__all__ = ["RateLimiter"]

_MAX = "x-hubspot-ratelimit-max"
_REMAINING = "x-hubspot-ratelimit-remaining"
_INTERVAL = "x-hubspot-ratelimit-interval-milliseconds"
_DAILY_REMAINING = "x-hubspot-ratelimit-daily-remaining"


def _int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


class RateLimiter:
    """Counts and paces requests; one instance per adapter (all its SDK clients share it)."""

    def __init__(
        self,
        *,
        headroom: float = 0.05,
        daily_reserve: int = 0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not 0.0 <= headroom < 1.0:
            raise ValueError("headroom must be in [0, 1)")
        self.headroom = headroom
        self.daily_reserve = daily_reserve
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._sent: deque[float] = deque()
        self.max_per_interval: int | None = None
        self.interval: float | None = None  # seconds
        self.daily_remaining: int | None = None
        self.requests = 0  # requests sent (every attempt, as HubSpot counts them)
        self.waited = 0.0  # seconds slept to stay under the limit

    @property
    def allowed(self) -> int | None:
        """Requests refnet lets itself send per interval (``None``: no limit known yet)."""
        if self.max_per_interval is None:
            return None
        spare = math.ceil(self.max_per_interval * self.headroom)
        return max(1, self.max_per_interval - spare)

    def _expire(self, now: float) -> None:
        assert self.interval is not None
        while self._sent and self._sent[0] <= now - self.interval:
            self._sent.popleft()

    def before_request(self) -> None:
        """Wait until one more request fits the window; refuse when the day's calls are gone."""
        with self._lock:
            if self.daily_remaining is not None and self.daily_remaining <= self.daily_reserve:
                raise DailyLimitReached(
                    _(
                        "hubspot: daily API allowance down to {daily_remaining} call(s) (reserve "
                        "{daily_reserve}); stopped cleanly, run again after midnight portal time "
                        "to resume"
                    ).format(daily_remaining=self.daily_remaining, daily_reserve=self.daily_reserve)
                )
            now = self._clock()
            allowed = self.allowed
            if allowed is not None and self.interval is not None:
                self._expire(now)
                while len(self._sent) >= allowed:
                    wait = self._sent[0] + self.interval - now
                    if wait > 0:
                        self._sleep(wait)
                        self.waited += wait
                    now = max(self._clock(), now + max(wait, 0.0))
                    self._expire(now)
            self._sent.append(now)
            self.requests += 1

    def after_response(self, headers: Mapping[str, str] | None) -> None:
        """Learn the limits from an answer's ``X-HubSpot-RateLimit-*`` headers."""
        if not headers:
            return
        lowered = {str(k).lower(): str(v) for k, v in headers.items()}
        with self._lock:
            maximum, interval_ms = _int(lowered, _MAX), _int(lowered, _INTERVAL)
            if maximum is not None and maximum > 0 and interval_ms is not None and interval_ms > 0:
                self.max_per_interval, self.interval = maximum, interval_ms / 1000.0
            daily = _int(lowered, _DAILY_REMAINING)
            if daily is not None:
                self.daily_remaining = daily
            remaining = _int(lowered, _REMAINING)
            if remaining is not None and self.max_per_interval is not None:
                self._count_others(self.max_per_interval - remaining)

    def _count_others(self, used_by_portal: int) -> None:
        # HubSpot's window may hold a request ours already dropped (it counts arrival, we
        # count sending): tolerate one before treating the rest as someone else's.
        unexplained = used_by_portal - len(self._sent) - 1
        if unexplained > 0:
            now = self._clock()
            self._sent.extend([now] * unexplained)
