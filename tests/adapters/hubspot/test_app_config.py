"""`refnet hubspot app-config`: every generated file parses and lists what refnet handles."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.hubspot import HubSpotAdapter
from adapters.hubspot.app_config import (
    CARD_PROPERTIES,
    REQUIRED_SCOPES,
    build_app_project,
    write_app_project,
)
from adapters.hubspot.portal import PipelineIds, PortalIds
from connector.cli.app import app as refnet_cli
from connector.event_subscriptions import PARTNER_OBJECT, Subscription, hubspot_subscriptions
from connector.events import EventRules, InboundEvent, interpret
from mappings import MappingSet

TARGET = "https://hooks.example.de/hubspot/events"
_STANDARD_TYPE_IDS = {"contact": "0-1", "deal": "0-3"}


def _event_for(subscription: Subscription, rules: EventRules) -> InboundEvent:
    """A representative event of the subscription, as the webhook endpoint would store it."""
    if subscription.event == "associationChange":
        properties = {
            "associationType": rules.deal_contact_associations[0],
            "toObjectId": "501",
            "associationRemoved": "false",
        }
    else:
        assert subscription.property_name is not None
        value = {"dealstage": "closedwon", "hs_is_closed_won": "true"}.get(
            subscription.property_name, "profile"
        )
        properties = {subscription.property_name: value}
    return InboundEvent(
        provider="hubspot",
        event_id="1",
        event_type=f"object.{subscription.event}",
        object_type=subscription.object_type,
        object_id="42",
        occurred_at=datetime(2026, 3, 2, tzinfo=UTC),
        properties=properties,
    )


def _listed(webhooks: dict[str, object]) -> set[tuple[str, str, str | None]]:
    config = webhooks["config"]
    assert isinstance(config, dict)
    subscriptions = config["subscriptions"]
    listed: set[tuple[str, str, str | None]] = set()
    for entry in subscriptions["crmObjects"]:
        assert entry["active"] is True
        kind = entry["subscriptionType"].removeprefix("object.")
        listed.add((entry["objectType"], kind, entry.get("propertyName")))
    for entry in subscriptions["legacyCrmObjects"]:
        object_type, kind = entry["subscriptionType"].split(".")
        listed.add((object_type, kind, entry.get("propertyName")))
    return listed


def test_every_generated_file_parses_and_lists_every_subscription_refnet_handles(
    tmp_path: Path, hubspot_mappings: MappingSet
) -> None:
    rules = EventRules()
    project = build_app_project(hubspot_mappings, target_url=TARGET, rules=rules)
    paths = write_app_project(project, tmp_path)
    assert len(paths) == 8

    for path in paths:
        if path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
    hsproject = json.loads((tmp_path / "hsproject.json").read_text())
    assert hsproject["srcDir"] == "src"
    assert (tmp_path / hsproject["srcDir"] / "app" / "app-hsmeta.json").is_file()
    app = json.loads((tmp_path / "src/app/app-hsmeta.json").read_text())
    assert app["type"] == "app"
    assert set(app["config"]["auth"]["requiredScopes"]) == set(REQUIRED_SCOPES)

    handled = hubspot_subscriptions(rules)
    # "Handled" is checked against the handler, not assumed: each subscription's event gives
    # the webhook worker something to do.
    for subscription in handled:
        assert interpret(_event_for(subscription, rules), rules), subscription
    webhooks = json.loads((tmp_path / "src/app/webhooks/webhooks-hsmeta.json").read_text())
    assert webhooks["config"]["settings"]["targetUrl"] == TARGET
    assert _listed(webhooks) == {(s.object_type, s.event, s.property_name) for s in handled}
    assert ("deal", "propertyChange", "dealstage") in _listed(webhooks)
    assert (PARTNER_OBJECT, "propertyChange", "hs_pipeline_stage") in _listed(webhooks)

    readme = (tmp_path / "README.md").read_text()
    for subscription in handled:
        assert f"`{subscription.legacy_type}`" in readme
    for scope in REQUIRED_SCOPES:
        assert f"`{scope}`" in readme


def test_a_renamed_property_in_the_rules_changes_the_app_too(hubspot_mappings: MappingSet) -> None:
    rules = EventRules(referral_id_properties=("empfehlung_id",))
    project = build_app_project(hubspot_mappings, target_url=TARGET, rules=rules)
    listed = _listed(json.loads(project.files["src/app/webhooks/webhooks-hsmeta.json"]))
    assert ("deal", "propertyChange", "empfehlung_id") in listed
    assert ("deal", "propertyChange", "refnet_referral_id") not in listed


def test_the_contact_card_shows_properties_refnet_pushes(hubspot_mappings: MappingSet) -> None:
    project = build_app_project(hubspot_mappings, target_url=TARGET)
    card = json.loads(project.files["src/app/cards/refnet-card-hsmeta.json"])
    assert card["type"] == "card" and card["config"]["objectTypes"] == ["contacts"]
    assert card["config"]["entrypoint"] == "/app/cards/RefnetContactCard.jsx"
    source = project.files["src/app/cards/RefnetContactCard.jsx"]
    shown = re.findall(r'"(refnet_[a-z_]+)"', source)
    contacts = hubspot_mappings.by_object("contacts")
    assert contacts is not None
    pushed = {f.target for f in contacts.push_fields}
    assert shown == list(CARD_PROPERTIES)
    assert set(shown) <= pushed
    assert {"refnet_ladder_stage", "refnet_multiplier_score", "refnet_referrals_given"} <= set(
        shown
    )


def test_with_a_provisioned_portal_the_partner_object_and_its_stages_are_named(
    hubspot_mappings: MappingSet,
) -> None:
    portal = PortalIds(
        object_types={PARTNER_OBJECT: "2-4711"},
        pipelines={
            PARTNER_OBJECT: PipelineIds(
                object_type="2-4711",
                pipeline_id="9",
                stages={"contact": "100000003", "agreement": "100000004"},
            )
        },
    )
    project = build_app_project(hubspot_mappings, target_url=TARGET, portal=portal)
    listed = _listed(json.loads(project.files["src/app/webhooks/webhooks-hsmeta.json"]))
    assert ("2-4711", "propertyChange", "hs_pipeline_stage") in listed
    env = dict(
        line.split("=", 1)
        for line in project.files["webhooks.env"].splitlines()
        if line and not line.startswith("#")
    )
    assert env["REFNET_WEBHOOK_HUBSPOT_PUBLIC_BASE_URL"] == "https://hooks.example.de"
    assert "2-4711" in json.loads(env["REFNET_WEBHOOK_EVENTS__PARTNER_TYPES"].strip("'"))
    stage_ids = json.loads(env["REFNET_WEBHOOK_EVENTS__PARTNER_STAGE_IDS"].strip("'"))
    assert stage_ids == {"100000003": "contact", "100000004": "agreement"}
    # The settings read exactly what was written.
    rules = EventRules(partner_types=("2-4711",), partner_stage_ids=stage_ids)
    event = InboundEvent(
        provider="hubspot",
        event_id="1",
        event_type="object.propertyChange",
        object_type="2-4711",
        object_id="42",
        occurred_at=datetime(2026, 3, 2, tzinfo=UTC),
        properties={"hs_pipeline_stage": "100000004"},
    )
    assert [getattr(i, "stage", None) for i in interpret(event, rules)] == ["agreement"]


def test_the_cli_writes_the_project_after_provisioning(
    tmp_path: Path, adapter: HubSpotAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    adapter.provision()
    monkeypatch.setenv("REFNET_DATABASE_URL", f"sqlite:///{tmp_path / 'refnet.db'}")
    out = tmp_path / "app"
    result = CliRunner().invoke(
        refnet_cli, ["hubspot", "app-config", str(out), "--target-url", TARGET]
    )
    assert result.exit_code == 0, result.output
    assert "portal ids used" in result.output
    webhooks = json.loads((out / "src/app/webhooks/webhooks-hsmeta.json").read_text())
    type_id = adapter.portal.require().object_types[PARTNER_OBJECT]
    assert (type_id, "propertyChange", "hs_pipeline_stage") in _listed(webhooks)
    refused = CliRunner().invoke(
        refnet_cli, ["hubspot", "app-config", str(out), "--target-url", "http://x/hubspot/events"]
    )
    assert refused.exit_code != 0
