"""Goal progress measured from the data reaches HubSpot's agreement object (#17 item 3)."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.hubspot import HubSpotAdapter
from adapters.sandbox import Sandbox
from connector.rules import RulesConfig
from connector.store import Store
from connector.sync.engine import run_sync
from mappings import MappingSet
from mappings.objects import mapped_objects
from tests.adapters.goal_network import add_joint_events, add_third_win, goal_network


def _agreement(sandbox: Sandbox, adapter: HubSpotAdapter) -> dict[str, Any]:
    kind = sandbox.hubspot.schema.resolve(adapter.portal_ids().object_type("refnet_agreement"))
    assert kind is not None
    (record,) = sandbox.hubspot.records.all(kind)
    return dict(record.properties)


def test_measured_goals_are_synced_and_follow_the_data(
    adapter: HubSpotAdapter, sandbox: Sandbox, store: Store, hubspot_mappings: MappingSet
) -> None:
    goal_network(store)
    objects = mapped_objects(hubspot_mappings, RulesConfig().multiplier)
    assert run_sync(store, adapter, objects, target="hubspot").counts.failed == 0
    first = _agreement(sandbox, adapter)
    assert float(first["target_referrals_won"]) == 3 and float(first["actual_referrals_won"]) == 2
    assert float(first["actual_won_value"]) == 15_000
    # Issue #18: joint events are recorded, so the goal measures itself (none yet).
    assert float(first["actual_joint_events"]) == 0
    assert float(first["progress"]) == pytest.approx(100 * (2 / 3 + 0.5 + 0) / 3, abs=0.01)
    assert "joint_events: 0 of 2" in first["goals"]

    add_third_win(store)
    add_joint_events(store)
    assert run_sync(store, adapter, objects, target="hubspot").counts.failed == 0
    second = _agreement(sandbox, adapter)
    assert float(second["actual_referrals_won"]) == 3 and float(second["progress"]) == 100
    assert float(second["actual_joint_events"]) == 2
