"""Incremental pulls through the real client: search on the modified date, past the 10,000 cap."""

from __future__ import annotations

import math

from hubspot import HubSpot
from hubspot.crm.associations.v4 import (
    BatchInputPublicDefaultAssociationMultiPost,
    PublicDefaultAssociationMultiPost,
    PublicObjectId,
)
from hubspot.crm.objects import (
    BatchInputSimplePublicObjectBatchInputForCreate,
    SimplePublicObjectBatchInputForCreate,
)

from adapters.hubspot import HubSpotAdapter
from adapters.sandbox import Sandbox
from connector.crm import OutboundRecord

TOTAL = 10_100  # one page more than half a window past the search API's 10,000-result cap


def _contacts(adapter: HubSpotAdapter, count: int) -> list[str]:
    keys = [f"c{i:05d}" for i in range(count)]
    for start in range(0, count, 100):
        chunk = keys[start : start + 100]
        result = adapter.upsert_batch(
            "contacts", [OutboundRecord(k, {"firstname": "Ada", "lastname": k}) for k in chunk]
        )
        assert all(o.ok for o in result.outcomes)
    return keys


def test_a_pull_pages_by_200_and_rewindows_past_the_10000_result_cap(
    adapter: HubSpotAdapter, sandbox: Sandbox
) -> None:
    keys = _contacts(adapter, TOTAL)
    before = len(sandbox.faults.requests())

    pulled = list(adapter.fetch_changes("contacts", None))

    searches = [r for r in sandbox.faults.requests()[before:] if r.endpoint == "hubspot.search"]
    assert all(r.status == 200 for r in searches)  # never paged into the cap's 400
    # 50 pages fill the first window; a second window, starting at the last time seen,
    # reads the record at that time again (skipped) and the 100 after it: one more page.
    assert len(searches) == math.ceil(10_000 / 200) + 1
    assert [p.key for p in pulled] == keys  # each once, oldest first
    assert all(p.crm_id for p in pulled)
    stamps = [p.modified_at for p in pulled]
    assert stamps == sorted(stamps)


def test_a_pull_since_a_time_reads_only_what_changed_from_then(
    adapter: HubSpotAdapter, sandbox: Sandbox
) -> None:
    keys = _contacts(adapter, 450)
    everything = list(adapter.fetch_changes("contacts", None))
    since = everything[300].modified_at
    before = len(sandbox.faults.requests())

    changed = list(adapter.fetch_changes("contacts", since))

    assert [p.key for p in changed] == keys[300:]
    assert len(sandbox.faults.requests()[before:]) == 1  # 150 results: one page of 200


def test_deals_and_a_referrals_deal_link_made_by_sales_users_are_pulled(
    adapter: HubSpotAdapter, sandbox: Sandbox
) -> None:
    contacts = [OutboundRecord(k, {"firstname": "Ada", "lastname": k}) for k in ("a", "b")]
    adapter.upsert_batch("contacts", contacts)
    fields = {"referrer": {"refnet_id": "a"}, "referred": {"refnet_id": "b"}, "status": "won"}
    (written,) = adapter.upsert_batch("refnet_referral", [OutboundRecord("r1", fields)]).outcomes
    assert written.ok and written.crm_id
    # A sales user creates the deal, names the referral and associates the two.
    user = HubSpot(access_token=sandbox.hubspot_token, host=sandbox.hubspot_url)
    deal = user.crm.objects.batch_api.create(
        "deals",
        BatchInputSimplePublicObjectBatchInputForCreate(
            inputs=[
                SimplePublicObjectBatchInputForCreate(
                    properties={"dealname": "Big order", "refnet_referral_id": "r1"}
                )
            ]
        ),
    ).results[0]
    referral_type = adapter.portal_ids().object_type("refnet_referral")
    user.crm.associations.v4.batch_api.create_default(
        referral_type,
        "deals",
        BatchInputPublicDefaultAssociationMultiPost(
            inputs=[
                PublicDefaultAssociationMultiPost(
                    _from=PublicObjectId(id=written.crm_id), to=PublicObjectId(id=deal.id)
                )
            ]
        ),
    )

    (pulled_deal,) = adapter.fetch_changes("deals", None)
    (pulled_referral,) = adapter.fetch_changes("refnet_referral", None)

    assert pulled_deal.crm_id == str(deal.id)
    assert pulled_deal.fields["dealname"] == "Big order"
    assert pulled_deal.fields["refnet_referral_id"] == "r1"
    assert pulled_referral.key == "r1" and pulled_referral.fields["deal"] == str(deal.id)
