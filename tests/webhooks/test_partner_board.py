"""A card moved on the Network Partners board: the HubSpot event reaches refnet, the stage
rules decide, and an illegal move is refused, audited and put back in HubSpot (the sandbox
portal, through the real adapter and hubspot-api-client)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hubspot import HubSpot
from hubspot.crm.objects import BatchInputSimplePublicObjectBatchInput, SimplePublicObjectBatchInput
from pydantic import SecretStr
from sqlalchemy import select

from adapters.hubspot import HubSpotAdapter
from adapters.hubspot.target import writable_objects
from adapters.sandbox import Sandbox, run_sandbox
from connector.events import EventRules
from connector.model import Partnership, PartnerStage
from connector.rules import RulesConfig
from connector.settings import HubSpotSettings, load_settings
from connector.store import Store
from connector.sync.engine import run_sync
from connector.sync.schema import sync_state
from connector.sync.targets import SyncTarget
from mappings import load_mappings
from tests.connector.factories import member, partnership
from tests.webhooks.conftest import (
    T0,
    Clock,
    context_of,
    hubspot_event,
    make_settings,
    post_hubspot,
)
from webhooks import create_app

PARTNER = "refnet_partnership"


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    with run_sandbox(tmp_path / "sandbox") as running:
        yield running


class Board:
    """The synced portal: the partnership's HubSpot id, type id and the stage ids."""

    def __init__(self, store: Store, sandbox: Sandbox, tmp_path: Path) -> None:
        settings = HubSpotSettings(
            access_token=SecretStr(sandbox.hubspot_token), host=sandbox.hubspot_url
        )
        self.adapter = HubSpotAdapter(
            settings, load_mappings("hubspot"), portal_file=tmp_path / "refnet.hubspot.json"
        )
        self.adapter.provision()
        self.target = SyncTarget(
            "hubspot", self.adapter, writable_objects(self.adapter, load_settings())
        )
        assert (
            run_sync(store, self.adapter, self.target.objects, target="hubspot").counts.failed == 0
        )
        portal = self.adapter.portal.require()
        self.type_id = portal.object_types[PARTNER]
        self.stage_ids = portal.pipelines[PARTNER].stages  # step → stage id
        with store.reading() as tx:
            self.crm_id = tx.connection.execute(
                select(sync_state.c.crm_id).where(sync_state.c.record_id == "pa-1")
            ).scalar_one()
        self.client = HubSpot(access_token=sandbox.hubspot_token, host=sandbox.hubspot_url)

    def move_card(self, step: str) -> dict[str, Any]:
        """What a sales user does: drag the card; returns the event HubSpot then sends."""
        stage_id = self.stage_ids[step]
        self.client.crm.objects.batch_api.update(
            self.type_id,
            BatchInputSimplePublicObjectBatchInput(
                inputs=[
                    SimplePublicObjectBatchInput(
                        id=self.crm_id, properties={"hs_pipeline_stage": stage_id}
                    )
                ]
            ),
        )
        return hubspot_event(
            1,
            "object.propertyChange",
            int(self.crm_id),
            objectTypeId=self.type_id,
            property_name="hs_pipeline_stage",
            property_value=stage_id,
        )

    def stage_in_hubspot(self) -> str:
        record = self.client.crm.objects.basic_api.get_by_id(
            self.type_id, self.crm_id, properties=["hs_pipeline_stage"]
        )
        return str(record.properties["hs_pipeline_stage"])

    def rules(self) -> EventRules:
        """The event settings `refnet hubspot app-config` writes for this portal."""
        return EventRules(
            partner_types=(PARTNER, self.type_id),
            partner_stage_ids={stage_id: step for step, stage_id in self.stage_ids.items()},
        )


@pytest.fixture
def board(store: Store, sandbox: Sandbox, tmp_path: Path) -> Board:
    with store.transaction() as tx:
        tx.put_many([member("c1"), member("e1", circle="employee")])
        tx.put(partnership(id="pa-1", member_id="c1", owner_id="e1", stage=PartnerStage.CONTACT))
    return Board(store, sandbox, tmp_path)


def _serve(store: Store, board: Board) -> Any:
    settings = make_settings(events=board.rules())
    return create_app(
        settings, store=store, rules=RulesConfig(), clock=Clock(), targets=[board.target]
    )


def test_an_illegal_move_on_the_board_is_refused_audited_and_put_back(
    store: Store, board: Board
) -> None:
    # contact → optimisation skips the joint goal agreement (step 4).
    event = board.move_card("optimisation")
    assert board.stage_in_hubspot() == board.stage_ids["optimisation"]
    app = _serve(store, board)
    assert post_hubspot(app.test_client(), [event], at=T0).status_code == 200
    step = context_of(app).worker.step()

    assert step.done == 1
    assert board.stage_in_hubspot() == board.stage_ids["contact"]
    with store.reading() as tx:
        assert tx.get(Partnership, "pa-1").stage is PartnerStage.CONTACT
        refused = [e for e in tx.audit_trail("pa-1") if e.field == "board_move_refused"]
    assert len(refused) == 1
    assert (refused[0].old_value, refused[0].new_value) == ("optimisation", "contact")
    assert "cannot move from 'contact' to 'optimisation'" in (refused[0].reason or "")


def test_a_legal_move_on_the_board_is_taken_over_by_the_rules(store: Store, board: Board) -> None:
    event = board.move_card("agreement")
    app = _serve(store, board)
    assert post_hubspot(app.test_client(), [event], at=T0).status_code == 200
    assert context_of(app).worker.step().done == 1

    assert board.stage_in_hubspot() == board.stage_ids["agreement"]
    with store.reading() as tx:
        moved = tx.get(Partnership, "pa-1")
        entries = [e for e in tx.audit_trail("pa-1") if e.field == "stage"]
    assert moved.stage is PartnerStage.AGREEMENT
    assert entries[-1].actor == "webhook:hubspot"
    assert (entries[-1].old_value, entries[-1].new_value) == ("contact", "agreement")


def test_refnets_own_write_back_coming_back_as_an_event_changes_nothing(
    store: Store, board: Board
) -> None:
    event = board.move_card("contact")  # the stage refnet already has
    app = _serve(store, board)
    post_hubspot(app.test_client(), [event], at=T0)
    context_of(app).worker.step()
    with store.reading() as tx:
        assert [e for e in tx.audit_trail("pa-1") if e.actor == "webhook:hubspot"] == []


# --- the same moves found by a sync (no webhook configured) ---------------------------------


def _sync(store: Store, board: Board) -> Any:
    return run_sync(store, board.adapter, board.target.objects, target="hubspot")


def test_a_sync_reads_an_illegal_board_move_back_refuses_it_and_puts_it_back(
    store: Store, board: Board
) -> None:
    board.move_card("optimisation")
    summary = _sync(store, board)

    assert summary.counts.failed == 0
    assert board.stage_in_hubspot() == board.stage_ids["contact"]
    with store.reading() as tx:
        assert tx.get(Partnership, "pa-1").stage is PartnerStage.CONTACT
        refused = [e for e in tx.audit_trail("pa-1") if e.field == "board_move_refused"]
    assert [(e.actor, e.old_value, e.new_value) for e in refused] == [
        ("sync", "optimisation", "contact")
    ]
    # Put back once: the next sync finds the board as refnet left it.
    _sync(store, board)
    with store.reading() as tx:
        assert len([e for e in tx.audit_trail("pa-1") if e.field == "board_move_refused"]) == 1


def test_a_sync_takes_a_legal_board_move_over_through_the_rules(store: Store, board: Board) -> None:
    board.move_card("agreement")
    assert _sync(store, board).counts.failed == 0

    assert board.stage_in_hubspot() == board.stage_ids["agreement"]
    with store.reading() as tx:
        assert tx.get(Partnership, "pa-1").stage is PartnerStage.AGREEMENT
        moves = [e for e in tx.audit_trail("pa-1") if e.field == "stage"]
    assert (moves[-1].actor, moves[-1].old_value, moves[-1].new_value) == (
        "sync",
        "contact",
        "agreement",
    )
