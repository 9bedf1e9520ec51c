"""A live HubSpot portal seen from the webhooks: deals in any pipeline, prospects of contacts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from adapters.hubspot import HubSpotAdapter
from adapters.hubspot.target import writable_objects
from adapters.sandbox import Sandbox, SandboxConfig, run_sandbox
from adapters.sandbox.hubspot_portal_seed import PROJECT_PIPELINE
from connector.events import EventRules
from connector.model import Member, Referral, ReferralStatus
from connector.rules import RulesConfig
from connector.settings import HubSpotSettings, load_settings
from connector.store import Store
from connector.sync.engine import run_sync
from connector.sync.targets import SyncTarget
from tests.connector.factories import member, referral
from tests.webhooks.conftest import (
    T0,
    Clock,
    context_of,
    hubspot_event,
    make_settings,
    post_hubspot,
)
from webhooks import create_app


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    with run_sandbox(tmp_path / "sandbox", SandboxConfig(hubspot_populated=True)) as running:
        yield running


@pytest.fixture
def adapter(sandbox: Sandbox, tmp_path: Path) -> HubSpotAdapter:
    settings = HubSpotSettings(
        access_token=SecretStr(sandbox.hubspot_token), host=sandbox.hubspot_url
    )
    return HubSpotAdapter(settings, portal_file=tmp_path / "portal.json")


def _project_stages(sandbox: Sandbox) -> dict[str, str]:
    """Label → numeric stage id of the portal's second deal pipeline."""
    (pipeline,) = [
        p for p in sandbox.hubspot.pipelines.all("0-3") if p["label"] == PROJECT_PIPELINE
    ]
    return {stage["label"]: stage["id"] for stage in pipeline["stages"]}


def _network(store: Store) -> None:
    with store.transaction() as tx:
        tx.put_many(
            [
                member("c1"),
                member("p1"),
                member("p2"),
                member("p3"),
                referral("r1", "c1", "p1").model_copy(update={"deal_id": "9001"}),
                referral("r2", "c1", "p2").model_copy(update={"deal_id": "9002"}),
                referral("r3", "c1", "p3").model_copy(update={"deal_id": "9003"}),
            ]
        )


def _stage_event(event_id: int, deal: int, stage: str) -> dict[str, Any]:
    return hubspot_event(
        event_id,
        "deal.propertyChange",
        deal,
        occurred_at=T0 - timedelta(seconds=5),
        property_name="dealstage",
        property_value=stage,
    )


def _statuses(store: Store) -> dict[str, ReferralStatus]:
    with store.reading() as tx:
        return {r: tx.get(Referral, r).status for r in ("r1", "r2", "r3")}


def test_a_deal_won_in_the_second_pipeline_marks_its_referral_won(
    store: Store, sandbox: Sandbox, adapter: HubSpotAdapter
) -> None:
    _network(store)
    stages = _project_stages(sandbox)
    app = create_app(
        make_settings(), store=store, rules=RulesConfig(), clock=Clock(),
        targets=[SyncTarget("hubspot", adapter, [])],
    )  # fmt: skip
    events = [
        _stage_event(1, 9001, stages["Auftrag erteilt"]),  # won: closed, probability 1.0
        _stage_event(2, 9002, stages["Kein Auftrag"]),  # lost: closed, probability 0.0
        _stage_event(3, 9003, stages["Verhandlung"]),  # open
    ]

    assert post_hubspot(app.test_client(), events, at=T0).status_code == 200
    step = context_of(app).worker.step()

    assert (step.claimed, step.done, step.ignored) == (3, 2, 1)
    assert _statuses(store) == {
        "r1": ReferralStatus.WON,
        "r2": ReferralStatus.LOST,
        "r3": ReferralStatus.OPEN,
    }
    assert sandbox.request_count("hubspot.list_pipelines") == 1  # read once, then cached


def test_settings_override_what_the_metadata_says(
    store: Store, sandbox: Sandbox, adapter: HubSpotAdapter
) -> None:
    _network(store)
    stages = _project_stages(sandbox)
    rules = EventRules(
        open_stages=(stages["Auftrag erteilt"],), won_stages=("closedwon", stages["Verhandlung"])
    )
    app = create_app(
        make_settings(events=rules), store=store, rules=RulesConfig(), clock=Clock(),
        targets=[SyncTarget("hubspot", adapter, [])],
    )  # fmt: skip
    events = [
        _stage_event(1, 9001, stages["Auftrag erteilt"]),
        _stage_event(2, 9002, stages["Verhandlung"]),
    ]

    post_hubspot(app.test_client(), events, at=T0)
    context_of(app).worker.step()

    assert _statuses(store)["r1"] is ReferralStatus.OPEN
    assert _statuses(store)["r2"] is ReferralStatus.WON


def test_an_unknown_stage_makes_the_pipelines_be_read_again_once(
    sandbox: Sandbox, adapter: HubSpotAdapter
) -> None:
    stages = _project_stages(sandbox)

    assert adapter.stage_outcome("closedwon") is True
    assert adapter.stage_outcome(stages["Kein Auftrag"]) is False
    assert adapter.stage_outcome(stages["Anfrage"]) is None
    assert adapter.deal_stages.reads == 1
    # An admin adds a pipeline after refnet read them.
    added = sandbox.hubspot.pipelines.create(
        "0-3",
        {
            "label": "Rahmenverträge",
            "stages": [
                {"label": "Offen", "metadata": {"probability": "0.5"}},
                {"label": "Unterschrieben", "metadata": {"probability": "1.0", "isClosed": "true"}},
            ],
        },
    )
    signed = added["stages"][1]["id"]

    assert adapter.stage_outcome(signed) is True
    assert adapter.deal_stages.reads == 2
    assert adapter.stage_outcome("no-such-stage") is None
    assert adapter.stage_outcome("no-such-stage") is None  # not read again for the same id
    assert adapter.deal_stages.reads == 3
    assert sandbox.request_count("hubspot.list_pipelines") == 3


def test_a_prospect_from_a_webhook_is_written_onto_its_contact_not_duplicated(
    store: Store, sandbox: Sandbox, adapter: HubSpotAdapter
) -> None:
    """A sales user names a referrer on a contact the portal had: no second contact."""
    with store.transaction() as tx:
        tx.put_many([member("c1")])
    contacts = sandbox.hubspot.schema.resolve("contacts")
    assert contacts is not None
    (made,) = sandbox.hubspot.records.create(contacts, [{"properties": {"lastname": "Vogel"}}])
    assert made.record is not None
    contact_id = made.record.id  # a contact without e-mail: only its id can find it
    app = create_app(make_settings(), store=store, rules=RulesConfig(), clock=Clock())
    event = hubspot_event(
        1, "contact.propertyChange", contact_id, property_name="referred_by", property_value="c1"
    )
    post_hubspot(app.test_client(), [event], at=T0)
    assert context_of(app).worker.step().done == 1
    adapter.provision()
    objects = [o for o in writable_objects(adapter, load_settings()) if o.name == "contacts"]
    before = len(sandbox.hubspot.records.all(contacts))

    synced = run_sync(store, adapter, objects, target="hubspot")

    assert synced.counts.failed == 0 and synced.counts.succeeded == 2  # c1 and the prospect
    assert len(sandbox.hubspot.records.all(contacts)) == before + 1  # c1 only is new
    with store.reading() as tx:
        (prospect,) = [m for m in tx.find(Member) if m.circle == "prospect"]
    written = sandbox.hubspot.records.get(contacts, str(contact_id))
    assert written is not None and written.properties["refnet_id"] == prospect.id
