"""The real hubspot-api-client against the loopback sandbox, with time that only moves on sleep.

Every sleep (the rate limiter's, the retry layer's) goes to :class:`FakeClock`, which records
it and moves time on instead of waiting, so no test really sleeps; the sandbox can share the
same clock (``SandboxConfig(now=clock.time)``) so its rate-limit window moves with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from adapters.hubspot import HubSpotAdapter
from adapters.sandbox import Sandbox, run_sandbox
from connector.settings import HubSpotSettings
from mappings import MappingSet, load_mappings


class FakeClock:
    """Seconds that advance only when something sleeps; every sleep is recorded."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0.0)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def hubspot_mappings() -> MappingSet:
    return load_mappings("hubspot")


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    with run_sandbox(tmp_path / "sandbox") as running:
        yield running


def settings_for(sandbox: Sandbox) -> HubSpotSettings:
    return HubSpotSettings(access_token=SecretStr(sandbox.hubspot_token), host=sandbox.hubspot_url)


MakeAdapter = Callable[..., HubSpotAdapter]


@pytest.fixture
def make_adapter(
    sandbox: Sandbox, tmp_path: Path, clock: FakeClock, hubspot_mappings: MappingSet
) -> MakeAdapter:
    """A new adapter (fresh id cache, as a new run has) on the test's sandbox and portal file."""

    def make(**overrides: Any) -> HubSpotAdapter:
        options: dict[str, Any] = {
            "portal_file": tmp_path / "refnet.hubspot.json",
            "sleep": clock.sleep,
            "clock": clock.time,
        }
        options.update(overrides)
        return HubSpotAdapter(settings_for(sandbox), hubspot_mappings, **options)

    return make


@pytest.fixture
def adapter(make_adapter: MakeAdapter) -> HubSpotAdapter:
    """An adapter on a provisioned (Enterprise) portal."""
    provisioned = make_adapter()
    provisioned.provision()
    return provisioned


def writes(sandbox: Sandbox, since: int = 0) -> list[str]:
    """Endpoints of the requests after the ``since``-th that change something."""
    return [
        r.endpoint
        for r in sandbox.faults.requests()[since:]
        if r.method != "GET" and not r.endpoint.endswith(("search", "batch_read"))
    ]
