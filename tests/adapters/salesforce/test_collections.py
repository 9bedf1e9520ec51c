"""Upserts through sObject Collections: exact call counts, request shape, per-record outcomes."""

from __future__ import annotations

import json
import math
from collections.abc import Callable

import pytest
import responses
from responses.registries import OrderedRegistry

from adapters.salesforce.adapter import SalesforceAdapter
from connector.crm import OutboundRecord
from connector.errors import ConfigError
from tests.adapters.salesforce.fakes import BASE, Collections, session_settings

OBJ = "Refnet_Referral__c"


def _records(count: int, prefix: str = "ref") -> list[OutboundRecord]:
    return [
        OutboundRecord(
            f"{prefix}-{n:05d}",
            {"Status__c": "open", "Referrer__r": {"Refnet_Id__c": f"m-{n}"}, "Note__c": None},
        )
        for n in range(count)
    ]


def test_ten_thousand_records_take_exactly_fifty_collection_calls(
    make_adapter: Callable[..., SalesforceAdapter],
) -> None:
    adapter = make_adapter(session_settings(bulk_threshold=1_000_000))
    fake = Collections()
    records = _records(10_000)
    with responses.RequestsMock(
        registry=OrderedRegistry, assert_all_requests_are_fired=True
    ) as rsps:
        fake.register(rsps, OBJ, times=math.ceil(10_000 / 200))
        result = adapter.upsert_batch(OBJ, records)

    assert len(fake.requests) == 50
    assert result.api_calls == 50
    assert [len(body["records"]) for body in fake.requests] == [200] * 50
    assert [o.key for o in result.outcomes] == [r.key for r in records]
    assert all(o.ok and o.created and o.crm_id for o in result.outcomes)
    sent = [rec["Refnet_Id__c"] for body in fake.requests for rec in body["records"]]
    assert sent == [r.key for r in records]


def test_request_is_an_upsert_by_external_id_with_all_or_none_off(
    make_adapter: Callable[..., SalesforceAdapter],
) -> None:
    adapter = make_adapter()
    fake = Collections()
    with responses.RequestsMock(
        registry=OrderedRegistry, assert_all_requests_are_fired=True
    ) as rsps:
        fake.register(rsps, OBJ)
        adapter.upsert_batch(OBJ, _records(2))

    (body,) = fake.requests
    assert body["allOrNone"] is False
    assert body["records"][0] == {
        "attributes": {"type": OBJ},
        "Status__c": "open",
        "Referrer__r": {"Refnet_Id__c": "m-0"},
        "Note__c": None,
        "Refnet_Id__c": "ref-00000",
    }
    assert fake.tokens == ["Bearer SESSION-TOKEN-0"]


def test_failed_rows_are_recorded_with_their_reason_and_the_rest_kept(
    make_adapter: Callable[..., SalesforceAdapter],
) -> None:
    adapter = make_adapter()
    fake = Collections(
        failures={
            "ref-00001": ("REQUIRED_FIELD_MISSING", "Required fields are missing: [Referrer__c]"),
            "ref-00003": ("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "Status: bad value"),
        }
    )
    with responses.RequestsMock(
        registry=OrderedRegistry, assert_all_requests_are_fired=True
    ) as rsps:
        fake.register(rsps, OBJ)
        result = adapter.upsert_batch(OBJ, _records(5))

    assert [o.key for o in result.succeeded] == ["ref-00000", "ref-00002", "ref-00004"]
    failed = {o.key: (o.code, o.message) for o in result.failed}
    assert failed == {
        "ref-00001": ("REQUIRED_FIELD_MISSING", "Required fields are missing: [Referrer__c]"),
        "ref-00003": ("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "Status: bad value"),
    }
    assert result.api_calls == 1


def test_a_key_repeated_in_one_batch_is_refused_without_being_sent(
    make_adapter: Callable[..., SalesforceAdapter],
) -> None:
    adapter = make_adapter()
    fake = Collections()
    records = [*_records(2), OutboundRecord("ref-00000", {"Status__c": "won"})]
    with responses.RequestsMock(
        registry=OrderedRegistry, assert_all_requests_are_fired=True
    ) as rsps:
        fake.register(rsps, OBJ)
        result = adapter.upsert_batch(OBJ, records)

    assert len(fake.requests[0]["records"]) == 2
    assert [(o.key, o.ok, o.code) for o in result.outcomes] == [
        ("ref-00000", True, None),
        ("ref-00001", True, None),
        ("ref-00000", False, "DUPLICATE_KEY"),
    ]


def test_a_short_answer_leaves_the_unanswered_records_failed(
    make_adapter: Callable[..., SalesforceAdapter],
) -> None:
    adapter = make_adapter()
    with responses.RequestsMock(
        registry=OrderedRegistry, assert_all_requests_are_fired=True
    ) as rsps:
        rsps.add(
            responses.PATCH,
            Collections().url(OBJ),
            json=[{"id": "a01", "success": True, "errors": [], "created": False}],
        )
        result = adapter.upsert_batch(OBJ, _records(2))

    assert [(o.ok, o.created, o.code) for o in result.outcomes] == [
        (True, False, None),
        (False, False, "NO_RESULT"),
    ]


def test_objects_without_a_mapping_are_a_config_error(
    make_adapter: Callable[..., SalesforceAdapter],
) -> None:
    with pytest.raises(ConfigError, match="no mapping for object 'Lead'"):
        make_adapter().upsert_batch("Lead", _records(1))


def test_members_are_linked_to_existing_contacts_by_salesforce_id(
    make_adapter: Callable[..., SalesforceAdapter],
) -> None:
    adapter = make_adapter()
    with responses.RequestsMock(
        registry=OrderedRegistry, assert_all_requests_are_fired=True
    ) as rsps:
        rsps.add(
            responses.PATCH,
            f"{BASE}composite/sobjects",
            json=[
                {"id": "003A", "success": True, "errors": []},
                {
                    "success": False,
                    "errors": [{"statusCode": "ENTITY_IS_DELETED", "message": "deleted"}],
                },
            ],
        )
        result = adapter.link_records("Contact", {"m-1": "003A", "m-2": "003B"})
        body = json.loads(rsps.calls[0].request.body)

    assert body == {
        "allOrNone": False,
        "records": [
            {"attributes": {"type": "Contact"}, "id": "003A", "Refnet_Id__c": "m-1"},
            {"attributes": {"type": "Contact"}, "id": "003B", "Refnet_Id__c": "m-2"},
        ],
    }
    assert [(o.key, o.ok, o.code) for o in result.outcomes] == [
        ("m-1", True, None),
        ("m-2", False, "ENTITY_IS_DELETED"),
    ]
    assert result.api_calls == 1
