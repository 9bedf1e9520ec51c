"""A running sandbox per test (fresh SQLite file, free ports) and real clients pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hubspot import HubSpot
from simple_salesforce import Salesforce

from adapters.sandbox import Sandbox, SandboxConfig, run_sandbox

# Small query pages so paging is exercised with a handful of records.
QUERY_PAGE = 3


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    with run_sandbox(tmp_path / "sandbox", SandboxConfig(query_batch_size=QUERY_PAGE)) as running:
        yield running


@pytest.fixture
def sf(sandbox: Sandbox) -> Salesforce:
    return Salesforce(
        instance_url=sandbox.salesforce_url,
        session_id=sandbox.session_id,
        session=sandbox.salesforce_session(),
        version="62.0",
    )


@pytest.fixture
def hs(sandbox: Sandbox) -> HubSpot:
    return HubSpot(access_token=sandbox.hubspot_token, host=sandbox.hubspot_url)


@pytest.fixture
def mdapi_trusts_sandbox(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """zeep (behind ``sf.mdapi``) builds its own requests session; it trusts the environment."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", sandbox.combined_ca_bundle)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
