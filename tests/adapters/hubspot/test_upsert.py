"""Batch upserts by refnet id and associations v4, through the real client over HTTP."""

from __future__ import annotations

import math

import requests

from adapters.hubspot import HubSpotAdapter
from adapters.sandbox import Sandbox
from connector.crm import OutboundRecord
from connector.rules import RulesConfig
from connector.store import Store
from connector.sync.engine import run_sync
from mappings import MappingSet
from mappings.objects import MappedObject
from tests.adapters.hubspot.conftest import FakeClock, MakeAdapter
from tests.connector.factories import member, referral

REFERRAL = "refnet_referral"


def _type_id(adapter: HubSpotAdapter, name: str) -> str:
    return adapter.portal_ids().object_type(name)


def _upserts(sandbox: Sandbox, type_id: str, since: int = 0) -> int:
    return sum(
        1 for r in sandbox.faults.requests("hubspot.batch_upsert")[since:] if type_id in r.path
    )


def _contacts(adapter: HubSpotAdapter, keys: list[str]) -> None:
    result = adapter.upsert_batch(
        "contacts",
        [OutboundRecord(k, {"firstname": "Ada", "lastname": k.upper()}) for k in keys],
    )
    assert all(o.ok for o in result.outcomes)


def _referral_fields(referrer: str, referred: str, **extra: object) -> dict[str, object]:
    return {
        "referrer": {"refnet_id": referrer},
        "referred": {"refnet_id": referred},
        "recipient": None,
        "status": "open",
        "circle": "customer",
        "given_at": "2025-01-01T00:00:00.000Z",
        **extra,
    }


def test_ten_thousand_referrals_take_the_minimum_of_calls(
    adapter: HubSpotAdapter, sandbox: Sandbox, store: Store, hubspot_mappings: MappingSet
) -> None:
    members = [member(f"m{i:03d}", circle="prospect") for i in range(200)]
    referrals = [
        referral(f"r{i:05d}", f"m{i % 200:03d}", f"m{(i + 1) % 200:03d}") for i in range(10_000)
    ]
    with store.transaction() as tx:
        tx.put_many(members)
        tx.put_many(referrals)
    weights = RulesConfig().multiplier
    contacts = hubspot_mappings.by_object("contacts")
    mapping = hubspot_mappings.by_object(REFERRAL)
    assert contacts is not None and mapping is not None
    before = len(sandbox.faults.requests())

    summary = run_sync(
        store,
        adapter,
        [MappedObject(contacts, weights), MappedObject(mapping, weights)],
        target="hubspot",
    )

    assert summary.status == "completed"
    assert summary.counts.succeeded == 10_200 and summary.counts.failed == 0
    requests = sandbox.faults.requests()[before:]
    referral_type = _type_id(adapter, REFERRAL)
    upserts = [r for r in requests if r.endpoint == "hubspot.batch_upsert"]
    associations = [r for r in requests if r.endpoint == "hubspot.associations_batch_create"]
    assert sum(1 for r in upserts if referral_type in r.path) == math.ceil(10_000 / 100)
    assert sum(1 for r in upserts if "contacts" in r.path) == math.ceil(200 / 100)
    # Two links per referral (referrer, referred), 1,000 pairs per call: the minimum.
    assert len(associations) == math.ceil(2 * 10_000 / 1000)
    # Every contact id was learnt from the contacts' own upsert: no lookups by refnet id.
    assert not [r for r in requests if r.endpoint == "hubspot.batch_read"]
    # The run's pull reads CRM-owned fields first: one empty search page per pulled object;
    # after the push it reads its own writes back (so the next run's pull starts after them).
    first_write = next(i for i, r in enumerate(requests) if r.endpoint == "hubspot.batch_upsert")
    searches = [r for r in requests[:first_write] if r.endpoint == "hubspot.search"]
    assert len(searches) == 2
    writes = [r for r in requests if r.endpoint.endswith(("batch_upsert", "batch_create"))]
    assert len(writes) == 100 + 2 + 20
    assert len(requests) == summary.counts.api_calls
    assert [p.after_push for p in summary.pulls] == [False, False, True, True]
    assert sum(p.read for p in summary.pulls if p.after_push) == 10_200

    before = len(sandbox.faults.requests())
    again = run_sync(
        store,
        adapter,
        [MappedObject(contacts, weights), MappedObject(mapping, weights)],
        target="hubspot",
    )
    # Nothing changed: no write, one search per object, and nothing read is new.
    assert again.counts.sent == 0
    assert [r.endpoint for r in sandbox.faults.requests()[before:]] == ["hubspot.search"] * 2
    assert sum(p.read for p in again.pulls) == 0

    # Spot-check one referral in the portal: its properties and both labelled links.
    kind = sandbox.hubspot.schema.resolve(referral_type)
    assert kind is not None
    record = sandbox.hubspot.records.find(kind, "refnet_id", "r04242")
    assert record is not None and record.properties["status"] == "open"
    ids = adapter.portal_ids()
    linked = sandbox.hubspot.associations.targets(referral_type, record.id, "0-1")
    labels = {kind.type_id for kinds in linked.values() for kind in kinds}
    assert labels == {
        ids.association(REFERRAL, "referrer").type_id,
        ids.association(REFERRAL, "referred").type_id,
    }


def test_a_multi_status_answer_fails_only_the_inputs_it_names(
    adapter: HubSpotAdapter, sandbox: Sandbox
) -> None:
    _contacts(adapter, ["a", "b"])
    referral_type = _type_id(adapter, REFERRAL)
    sandbox.faults.reject_records(
        "hubspot", referral_type, "status", "lost", code="INVALID_OPTION", message="lost is closed"
    )
    records = [
        OutboundRecord(f"r{i}", _referral_fields("a", "b", status="lost" if i % 3 == 0 else "won"))
        for i in range(9)
    ]

    result = adapter.upsert_batch(REFERRAL, records)

    failed = {o.key: o for o in result.failed}
    assert sorted(failed) == ["r0", "r3", "r6"]
    assert {o.code for o in failed.values()} == {"INVALID_OPTION"}
    assert all("lost is closed" in (o.message or "") for o in failed.values())
    assert [o.key for o in result.succeeded] == ["r1", "r2", "r4", "r5", "r7", "r8"]
    assert all(o.crm_id and o.created for o in result.succeeded)
    statuses = [r.status for r in sandbox.faults.requests("hubspot.batch_upsert")]
    assert statuses[-1] == 207
    # Only the written referrals were linked: one call, 2 links for each of the 6.
    assert result.api_calls == 2
    kind = sandbox.hubspot.schema.resolve(referral_type)
    assert kind is not None
    stored = {r.properties["refnet_id"] for r in sandbox.hubspot.records.all(kind)}
    assert stored == {"r1", "r2", "r4", "r5", "r7", "r8"}


def test_a_ten_secondly_rate_limit_storm_is_waited_out_without_losing_a_record(
    adapter: HubSpotAdapter, sandbox: Sandbox, clock: FakeClock
) -> None:
    _contacts(adapter, ["a", "b"])
    sandbox.faults.rate_limit_next("hubspot.batch_upsert", times=4)
    before = sandbox.request_count("hubspot.batch_upsert")
    records = [OutboundRecord(f"r{i}", _referral_fields("a", "b")) for i in range(150)]

    result = adapter.upsert_batch(REFERRAL, records)

    assert [o.ok for o in result.outcomes] == [True] * 150
    statuses = [r.status for r in sandbox.faults.requests("hubspot.batch_upsert")[before:]]
    assert statuses == [429, 429, 429, 429, 200, 200]
    assert len(clock.sleeps) >= 4 and sum(clock.sleeps) > 0  # waited, in fake time only
    kind = sandbox.hubspot.schema.resolve(_type_id(adapter, REFERRAL))
    assert kind is not None and len(sandbox.hubspot.records.all(kind)) == 150


def test_a_server_error_is_retried_once_by_tenacity_and_never_by_urllib3(
    adapter: HubSpotAdapter, sandbox: Sandbox
) -> None:
    sandbox.faults.fail_next("hubspot.batch_upsert", times=1, status=503)
    before = sandbox.request_count("hubspot.batch_upsert")

    result = adapter.upsert_batch("contacts", [OutboundRecord("a", {"lastname": "A"})])

    assert result.outcomes[0].ok
    assert sandbox.request_count("hubspot.batch_upsert") - before == 2
    assert result.api_calls == 2


def test_a_link_to_a_missing_record_fails_the_record_and_is_retried_next_time(
    adapter: HubSpotAdapter, make_adapter: MakeAdapter, sandbox: Sandbox
) -> None:
    _contacts(adapter, ["a"])
    records = [OutboundRecord("r1", _referral_fields("a", "ghost"))]

    result = adapter.upsert_batch(REFERRAL, records)

    (outcome,) = result.outcomes
    assert not outcome.ok and outcome.code == "ASSOCIATED_RECORD_MISSING"
    assert outcome.crm_id  # the referral itself was written
    assert "ghost" in (outcome.message or "")

    # Once the contact exists, a new run (no cached ids) reads it by refnet id and links.
    _contacts(adapter, ["ghost"])
    fresh = make_adapter()
    reads = sandbox.request_count("hubspot.batch_read")
    again = fresh.upsert_batch(REFERRAL, records)
    assert again.outcomes[0].ok
    assert sandbox.request_count("hubspot.batch_read") - reads == 1


def test_records_the_adapter_cannot_encode_fail_alone(adapter: HubSpotAdapter) -> None:
    _contacts(adapter, ["a", "b"])
    records = [
        OutboundRecord("p1", {"partner": {"refnet_id": "a"}, "hs_pipeline_stage": "nowhere"}),
        OutboundRecord("p2", {"partner": {"refnet_id": "a"}, "hs_pipeline_stage": "contact"}),
        OutboundRecord("p2", {"partner": {"refnet_id": "b"}, "hs_pipeline_stage": "profile"}),
    ]

    result = adapter.upsert_batch("refnet_partnership", records)

    assert [(o.key, o.ok, o.code) for o in result.outcomes] == [
        ("p1", False, "UNKNOWN_STAGE"),
        ("p2", True, None),
        ("p2", False, "DUPLICATE_KEY"),
    ]


def test_pipeline_stages_are_written_as_the_portals_stage_ids(
    adapter: HubSpotAdapter, sandbox: Sandbox
) -> None:
    _contacts(adapter, ["a"])
    fields = {"partner": {"refnet_id": "a"}, "run_by": None, "hs_pipeline_stage": "agreement"}
    adapter.upsert_batch("refnet_partnership", [OutboundRecord("p1", fields)])

    pipeline = adapter.portal_ids().pipeline("refnet_partnership")
    kind = sandbox.hubspot.schema.resolve(pipeline.object_type)
    assert kind is not None
    (record,) = sandbox.hubspot.records.all(kind)
    assert record.properties["hs_pipeline"] == pipeline.pipeline_id
    assert record.properties["hs_pipeline_stage"] == pipeline.stages["agreement"]


def test_a_dropped_connection_is_retried_by_tenacity_alone(
    make_adapter: MakeAdapter, sandbox: Sandbox
) -> None:
    # Left at its default, urllib3 retries a GET whose connection dropped three times on
    # its own (POSTs it never retries); refnet hands it Retry(total=0), so each tenacity
    # attempt is exactly one request.
    sandbox.faults.reset_next("hubspot.list_schemas", times=2)
    adapter = make_adapter()

    adapter.provision()

    assert sandbox.request_count("hubspot.list_schemas") == 3
    assert adapter.policy.retries == 2


def test_the_sandbox_refuses_an_association_batch_above_hubspots_limit(
    adapter: HubSpotAdapter, sandbox: Sandbox
) -> None:
    """More than 1,000 inputs in one v4 batch/create: a 400 VALIDATION_ERROR, nothing made."""
    adapter.provision()
    referral_type = _type_id(adapter, REFERRAL)
    kind = adapter.portal_ids().association(REFERRAL, "referrer")
    spec = {"associationCategory": kind.category, "associationTypeId": kind.type_id}
    body = {
        "inputs": [
            {
                "from": {"id": str(n)},
                "to": {"id": str(n + 5000)},
                "types": [spec],
            }
            for n in range(1001)
        ]
    }
    answer = requests.post(
        f"{sandbox.hubspot_url}/crm/v4/associations/{referral_type}/contacts/batch/create",
        json=body,
        headers={"Authorization": f"Bearer {sandbox.hubspot_token}"},
        timeout=30,
    )
    assert answer.status_code == 400
    error = answer.json()
    assert (error["status"], error["category"]) == ("error", "VALIDATION_ERROR")
    assert "1001 > 1000" in error["message"]
