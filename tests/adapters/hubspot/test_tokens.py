"""A public app's OAuth tokens: refreshed before they expire and on a 401, through the
official client's oauth API against the sandbox's token endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from adapters.hubspot import HubSpotAdapter
from adapters.sandbox import Sandbox, SandboxConfig, run_sandbox
from connector.errors import ConfigError
from connector.settings import HubSpotSettings
from mappings import MappingSet
from tests.adapters.hubspot.conftest import FakeClock

TOKEN_ENDPOINT = "hubspot.oauth_token"


@pytest.fixture
def timed_sandbox(tmp_path: Path, clock: FakeClock) -> Iterator[Sandbox]:
    # The sandbox's token lifetimes run on the test's clock.
    with run_sandbox(tmp_path / "sandbox", SandboxConfig(now=clock.time)) as running:
        yield running


def _oauth_settings(sandbox: Sandbox, **overrides: object) -> HubSpotSettings:
    app = sandbox.hubspot.credentials.hubspot_oauth
    values: dict[str, object] = {
        "client_id": app.client_id,
        "client_secret": SecretStr(app.client_secret),
        "refresh_token": SecretStr(app.refresh_token),
        "host": sandbox.hubspot_url,
    }
    values.update(overrides)
    return HubSpotSettings.model_validate(values)


def _adapter(
    sandbox: Sandbox, tmp_path: Path, clock: FakeClock, mappings: MappingSet, **overrides: object
) -> HubSpotAdapter:
    return HubSpotAdapter(
        _oauth_settings(sandbox, **overrides),
        mappings,
        portal_file=tmp_path / "refnet.hubspot.json",
        sleep=clock.sleep,
        clock=clock.time,
    )


def test_tokens_are_refreshed_before_they_expire_not_on_every_call(
    timed_sandbox: Sandbox, tmp_path: Path, clock: FakeClock, hubspot_mappings: MappingSet
) -> None:
    adapter = _adapter(timed_sandbox, tmp_path, clock, hubspot_mappings)
    adapter.provision()
    calls = timed_sandbox.request_count("hubspot.*")
    assert timed_sandbox.request_count(TOKEN_ENDPOINT) == 1
    assert calls > 20  # provisioning made many calls on the one token

    # 26 minutes on: within the 5-minute margin of the 30-minute lifetime, so renewed first.
    clock.now += 26 * 60
    adapter.provision()
    assert timed_sandbox.request_count(TOKEN_ENDPOINT) == 2
    assert adapter.tokens is not None and adapter.tokens.refreshes == 2
    unauthorized = [r for r in timed_sandbox.faults.requests() if r.status == 401]
    assert unauthorized == []


def test_a_401_on_a_token_the_clock_thought_good_refreshes_and_repeats_once(
    timed_sandbox: Sandbox, tmp_path: Path, clock: FakeClock, hubspot_mappings: MappingSet
) -> None:
    adapter = _adapter(timed_sandbox, tmp_path, clock, hubspot_mappings)
    adapter.provision()
    timed_sandbox.faults.expire_sessions()  # HubSpot revokes every token it issued

    report = adapter.provision_report(dry_run=True)

    assert report.changed == []
    assert timed_sandbox.request_count(TOKEN_ENDPOINT) == 2
    statuses = [r.status for r in timed_sandbox.faults.requests() if r.endpoint != TOKEN_ENDPOINT]
    assert statuses.count(401) == 1


def test_a_refused_refresh_token_is_a_config_error_without_the_token(
    timed_sandbox: Sandbox, tmp_path: Path, clock: FakeClock, hubspot_mappings: MappingSet
) -> None:
    with pytest.raises(ConfigError) as caught:
        _adapter(
            timed_sandbox,
            tmp_path,
            clock,
            hubspot_mappings,
            refresh_token=SecretStr("na1-revoked-token-value"),
        )
    assert "REFNET_HUBSPOT__REFRESH_TOKEN" in str(caught.value)
    assert "na1-revoked-token-value" not in str(caught.value)


def test_a_refresh_token_without_client_credentials_is_a_config_error(
    timed_sandbox: Sandbox, tmp_path: Path, clock: FakeClock, hubspot_mappings: MappingSet
) -> None:
    with pytest.raises(ConfigError, match="REFNET_HUBSPOT__CLIENT_ID"):
        _adapter(timed_sandbox, tmp_path, clock, hubspot_mappings, client_id=None)
