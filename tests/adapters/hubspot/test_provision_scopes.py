"""Provisioning against a token missing a scope, and the properties-only decision."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.hubspot.errors import MissingScopes
from adapters.hubspot.scopes import REFNET_SCOPES
from adapters.sandbox import Sandbox
from tests.adapters.hubspot.conftest import MakeAdapter


@pytest.mark.parametrize(
    "withheld",
    ["crm.schemas.custom.write", "crm.schemas.contacts.write", "crm.schemas.custom.read"],
)
def test_a_missing_scope_stops_with_the_scopes_to_grant_and_stores_nothing(
    sandbox: Sandbox, make_adapter: MakeAdapter, tmp_path: Path, withheld: str
) -> None:
    sandbox.withhold_scopes(withheld)
    adapter = make_adapter()

    with pytest.raises(MissingScopes) as stopped:
        adapter.provision_report()

    assert stopped.value.scopes == (withheld,)
    message = str(stopped.value)
    assert withheld in message and "Nothing was stored" in message
    assert all(scope in message for scope in REFNET_SCOPES)
    assert sandbox.hubspot.withheld_scopes == {withheld}
    assert not (tmp_path / "refnet.hubspot.json").exists()
    # An Enterprise portal never falls back to properties-only for a missing scope.
    sandbox.withhold_scopes()
    assert make_adapter().provision_report().mode == "custom_objects"


def test_a_portal_whose_limit_allows_no_custom_objects_is_properties_only(
    sandbox: Sandbox, make_adapter: MakeAdapter
) -> None:
    sandbox.set_custom_objects(False)

    report = make_adapter().provision_report()

    assert report.mode == "properties_only"
    assert sandbox.request_count("hubspot.limits_custom_object_types") == 1


def test_properties_only_on_explicit_opt_in_without_probing(
    sandbox: Sandbox, make_adapter: MakeAdapter
) -> None:
    report = make_adapter().provision_report(properties_only=True)

    assert report.mode == "properties_only"
    assert sandbox.request_count("hubspot.list_schemas") == 0
    assert sandbox.request_count("hubspot.limits_custom_object_types") == 0
    assert any("--properties-only" in note for note in report.notes)
