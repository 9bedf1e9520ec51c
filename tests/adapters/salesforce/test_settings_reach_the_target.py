"""The ``[salesforce]`` settings of ``refnet.toml`` / ``REFNET_SALESFORCE__*`` reach the
target ``refnet sync --target salesforce`` builds, and change what it does (issue #17)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from adapters.salesforce.adapter import SalesforceAdapter
from adapters.salesforce.target import build_target
from connector.settings import load_settings


@pytest.fixture(autouse=True)
def _session_login(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # A session login: building the target makes no HTTP call.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REFNET_SALESFORCE__SESSION_ID", "00Dxx!session")
    monkeypatch.setenv("REFNET_SALESFORCE__INSTANCE_URL", "https://example.my.salesforce.com")


def _adapter() -> SalesforceAdapter:
    adapter = build_target(load_settings()).adapter
    assert isinstance(adapter, SalesforceAdapter)
    return adapter


def test_bulk_chunk_size_sets_how_many_records_one_bulk_hand_over_holds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _adapter().write_chunk_size == 10_000
    monkeypatch.setenv("REFNET_SALESFORCE__BULK_CHUNK_SIZE", "4000")
    assert _adapter().write_chunk_size == 4_000
    # Below the bulk threshold a chunk is one collections call's worth, whatever the size.
    monkeypatch.setenv("REFNET_SALESFORCE__BULK_THRESHOLD", "5000")
    assert _adapter().write_chunk_size == 200


def test_request_timeout_bounds_every_bulk_and_pull_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _adapter().bulk.options.request_timeout == 120
    monkeypatch.setenv("REFNET_SALESFORCE__REQUEST_TIMEOUT", "7.5")
    adapter = _adapter()
    assert adapter.bulk.options.request_timeout == 7.5
    assert adapter.reader._timeout == 7.5  # every pull query's timeout


def test_mappings_dir_replaces_the_shipped_mappings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shipped = Path(__file__).resolve().parents[3] / "mappings" / "salesforce"
    mine = tmp_path / "my-mappings"
    shutil.copytree(shipped, mine)
    referral = mine / "referral.yaml"
    referral.write_text(
        referral.read_text(encoding="utf-8").replace("Referrer__c", "Empfehler__c"),
        encoding="utf-8",
    )
    assert "Referrer__c" in _field_names(_adapter())
    monkeypatch.setenv("REFNET_SALESFORCE__MAPPINGS_DIR", str(mine))
    names = _field_names(_adapter())
    assert "Empfehler__c" in names and "Referrer__c" not in names


def _field_names(adapter: SalesforceAdapter) -> set[str]:
    return {f.target for m in adapter.mappings.mappings for f in m.fields}
