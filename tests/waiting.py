"""Waiting for another process without betting on the machine's speed.

A test that must wait for a subprocess or a server thread to reach some point polls for
it. A fixed deadline ("within 120 s") fails good work on a machine busy with something
else; no bound at all hangs the suite when the work is stuck. So the bound here is on
*progress*: the wait fails only when the observed progress has not moved for a long time
(minutes), which a working program on any machine never does.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["STALLED_AFTER", "wait_until"]

STALLED_AFTER = 300.0  # seconds without any progress: stuck, not slow


def wait_until(
    done: Callable[[], bool],
    *,
    progress: Callable[[], object],
    what: str,
    interval: float = 0.05,
    stalled_after: float = STALLED_AFTER,
) -> None:
    """Poll ``done`` until true; raise AssertionError only if ``progress`` stalls.

    ``progress`` returns anything comparable for equality (a count, a tuple); any change
    of it restarts the stall clock. ``done`` may itself assert (e.g. a process died).
    """
    last = progress()
    last_change = time.monotonic()
    while not done():
        time.sleep(interval)
        now_seen = progress()
        if now_seen != last:
            last, last_change = now_seen, time.monotonic()
        elif time.monotonic() - last_change > stalled_after:
            raise AssertionError(f"{what}: no progress for {stalled_after:.0f} s (at {last!r})")
