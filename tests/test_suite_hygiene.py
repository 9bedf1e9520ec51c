"""The suite itself must not depend on the machine's speed (timings belong in bench/)."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, settings

TESTS = Path(__file__).resolve().parent


def test_hypothesis_runs_without_a_deadline_or_a_speed_health_check() -> None:
    assert settings.default.deadline is None
    assert HealthCheck.too_slow in settings.default.suppress_health_check


def test_no_test_sets_a_hypothesis_deadline() -> None:
    offenders = [
        f"{path.relative_to(TESTS)}:{number}"
        for path in TESTS.rglob("*.py")
        if path.name != Path(__file__).name
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\bdeadline\s*=\s*(?!None)[\w(.]", line) and "settings" in line
    ]
    assert offenders == []


def test_no_test_reads_a_clock_to_bound_its_work() -> None:
    """Waiting for another process goes through tests/waiting.py, which fails only when
    progress stalls; a test that measures elapsed time fails good work on a busy machine."""
    allowed = {Path(__file__).name, "waiting.py"}
    offenders = [
        f"{path.relative_to(TESTS)}:{number}"
        for path in TESTS.rglob("*.py")
        if path.name not in allowed
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\b(monotonic|perf_counter|process_time)\(\)|\btime\.time\(\)", line)
    ]
    assert offenders == []
