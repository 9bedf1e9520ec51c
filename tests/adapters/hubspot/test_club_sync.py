"""The club where a HubSpot sales user looks: contact properties, the club's moderator and
test phase, introductions' follow-up, through hubspot-api-client into the sandbox portal."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from adapters.hubspot import HubSpotAdapter
from adapters.sandbox import Sandbox
from connector.model import Club, IntroductionStatus, Membership, MembershipStatus
from connector.rules import RulesConfig
from connector.store import Store
from connector.sync.engine import run_sync
from mappings import MappingSet
from mappings.objects import mapped_objects
from tests.connector.club.builders import introduction, synthetic_club


def test_club_properties_and_the_moderator_link_reach_the_portal(
    adapter: HubSpotAdapter, sandbox: Sandbox, store: Store, hubspot_mappings: MappingSet
) -> None:
    synthetic_club(
        store, active=3, referrals_between=2, won_value_each="1000.00", non_member_referrals=0
    )
    with store.transaction() as tx:
        tx.put(tx.get(Club, "club-1").model_copy(update={"moderator_id": "emp"}))
        tx.put(tx.get(Membership, "ms-1").model_copy(update={"status": MembershipStatus.TRIAL}))
        tx.put(
            introduction(
                "int-1",
                "m1",
                "m2",
                status=IntroductionStatus.BUSINESS_DONE,
                follow_up_on=date(2025, 6, 1),
                outcome="Auftrag über Drehteile",
                value=Decimal("8500.00"),
            )
        )
    objects = mapped_objects(hubspot_mappings, RulesConfig().multiplier)
    summary = run_sync(store, adapter, objects, target="hubspot")
    assert summary.counts.failed == 0

    contacts = sandbox.hubspot.schema.resolve("contacts")
    assert contacts is not None
    m1 = sandbox.hubspot.records.find(contacts, "refnet_id", "m1")
    emp = sandbox.hubspot.records.find(contacts, "refnet_id", "emp")
    assert m1 is not None and emp is not None
    assert m1.properties["refnet_club_status"] == "Kundenclub: trial"
    assert m1.properties["refnet_club_trial_ends"] == "2026-01-01"

    ids = adapter.portal_ids()
    club_type = ids.object_type("refnet_club")
    club_kind = sandbox.hubspot.schema.resolve(club_type)
    assert club_kind is not None
    club = sandbox.hubspot.records.find(club_kind, "refnet_id", "club-1")
    assert club is not None
    assert club.properties["pilot_ends_on"] == "2025-12-31"
    assert club.properties["pilot_goal_business"] == "10000.0"
    moderator = sandbox.hubspot.associations.targets(club_type, club.id, "0-1")
    assert list(moderator) == [emp.id]

    intro_kind = sandbox.hubspot.schema.resolve(ids.object_type("refnet_introduction"))
    assert intro_kind is not None
    intro = sandbox.hubspot.records.find(intro_kind, "refnet_id", "int-1")
    assert intro is not None
    assert intro.properties["follow_up_on"] == "2025-06-01"
    assert intro.properties["outcome"] == "Auftrag über Drehteile"
    assert intro.properties["business_value"] == "8500.0"
