"""The fake HubSpot driven by hubspot-api-client 12 over real http (``host=``)."""

from __future__ import annotations

import json

import pytest
from hubspot import HubSpot
from hubspot.crm.associations.v4 import (
    AssociationSpec,
    BatchInputPublicAssociationMultiPost,
    BatchInputPublicDefaultAssociationMultiPost,
    BatchInputPublicFetchAssociationsBatchRequest,
    PublicAssociationMultiPost,
    PublicDefaultAssociationMultiPost,
    PublicFetchAssociationsBatchRequest,
    PublicObjectId,
)
from hubspot.crm.associations.v4.schema import PublicAssociationDefinitionCreateRequest
from hubspot.crm.objects import ApiException as ObjectsApiException
from hubspot.crm.objects import (
    BatchInputSimplePublicObjectBatchInput,
    BatchInputSimplePublicObjectBatchInputForCreate,
    BatchInputSimplePublicObjectBatchInputUpsert,
    BatchReadInputSimplePublicObjectId,
    Filter,
    FilterGroup,
    PublicObjectSearchRequest,
    SimplePublicObjectBatchInput,
    SimplePublicObjectBatchInputForCreate,
    SimplePublicObjectBatchInputUpsert,
    SimplePublicObjectId,
)
from hubspot.crm.pipelines import ApiException as PipelinesApiException
from hubspot.crm.pipelines import PipelineInput, PipelinePatchInput, PipelineStageInput
from hubspot.crm.properties import ApiException as PropertiesApiException
from hubspot.crm.properties import OptionInput as PropertyOption
from hubspot.crm.properties import PropertyCreate, PropertyGroupCreate, PropertyUpdate
from hubspot.crm.schemas import ApiException as SchemasApiException
from hubspot.crm.schemas import (
    ObjectSchemaEgg,
    ObjectTypeDefinitionLabels,
    ObjectTypeDefinitionPatch,
    ObjectTypePropertyCreate,
    OptionInput,
)
from hubspot.crm.schemas.exceptions import ForbiddenException

from adapters.sandbox import Sandbox


def _referral_egg(name: str = "referral") -> ObjectSchemaEgg:
    return ObjectSchemaEgg(
        name=name,
        labels=ObjectTypeDefinitionLabels(singular="Referral", plural="Referrals"),
        primary_display_property="referral_name",
        required_properties=["referral_name"],
        searchable_properties=["referral_name", "refnet_id"],
        associated_objects=["CONTACT", "DEAL"],
        properties=[
            ObjectTypePropertyCreate(
                name="referral_name", label="Name", type="string", field_type="text"
            ),
            ObjectTypePropertyCreate(
                name="refnet_id",
                label="refnet id",
                type="string",
                field_type="text",
                has_unique_value=True,
            ),
            ObjectTypePropertyCreate(
                name="stage",
                label="Stage",
                type="enumeration",
                field_type="select",
                options=[
                    OptionInput(label="New", value="new", display_order=0, hidden=False),
                    OptionInput(label="Won", value="won", display_order=1, hidden=False),
                ],
            ),
            ObjectTypePropertyCreate(
                name="amount", label="Amount", type="number", field_type="number"
            ),
        ],
    )


def _upsert(key: str, **properties: str) -> SimplePublicObjectBatchInputUpsert:
    return SimplePublicObjectBatchInputUpsert(
        id=key, id_property="refnet_id", properties=properties
    )


@pytest.fixture
def referral_type(hs: HubSpot) -> str:
    return str(hs.crm.schemas.core_api.create(object_schema_egg=_referral_egg()).object_type_id)


def test_schema_create_answers_type_id_fqn_and_associations(hs: HubSpot, sandbox: Sandbox) -> None:
    schema = hs.crm.schemas.core_api.create(object_schema_egg=_referral_egg())
    assert schema.object_type_id.startswith("2-")
    assert schema.fully_qualified_name == f"p{sandbox.portal_id}_referral"
    assert {a.to_object_type_id for a in schema.associations} == {"0-1", "0-3"}
    assert all(a.from_object_type_id == schema.object_type_id for a in schema.associations)
    names = {p.name: p for p in schema.properties}
    assert names["refnet_id"].has_unique_value is True
    assert {"hs_object_id", "hs_createdate", "hs_lastmodifieddate"} <= set(names)
    listed = hs.crm.schemas.core_api.get_all()
    assert [s.name for s in listed.results] == ["referral"]
    assert hs.crm.schemas.core_api.get_by_id(schema.fully_qualified_name).object_type_id == (
        schema.object_type_id
    )
    patched = hs.crm.schemas.core_api.update(
        schema.object_type_id,
        object_type_definition_patch=ObjectTypeDefinitionPatch(searchable_properties=["refnet_id"]),
    )
    assert patched.searchable_properties == ["refnet_id"]
    with pytest.raises(SchemasApiException) as duplicate:  # each package has its own class
        hs.crm.schemas.core_api.create(object_schema_egg=_referral_egg())
    assert duplicate.value.status == 400


def test_a_portal_without_custom_objects_refuses_schemas(hs: HubSpot, sandbox: Sandbox) -> None:
    sandbox.set_custom_objects(False)
    with pytest.raises(ForbiddenException) as error:
        hs.crm.schemas.core_api.create(object_schema_egg=_referral_egg())
    body = json.loads(error.value.body)
    assert body["category"] == "MISSING_SCOPES"
    assert body["errors"][0]["context"]["requiredGranularScopes"] == ["crm.schemas.custom.write"]
    assert hs.crm.schemas.core_api.get_all().results == []


def test_properties_and_groups_on_standard_objects(hs: HubSpot) -> None:
    groups = hs.crm.properties.groups_api
    group = groups.create(
        "contacts", property_group_create=PropertyGroupCreate(name="refnet", label="refnet")
    )
    assert group.name == "refnet"
    created = hs.crm.properties.core_api.create(
        "contacts",
        property_create=PropertyCreate(
            name="refnet_id",
            label="refnet id",
            type="string",
            field_type="text",
            group_name="refnet",
            has_unique_value=True,
        ),
    )
    assert (created.name, created.group_name, created.has_unique_value) == (
        "refnet_id",
        "refnet",
        True,
    )
    names = [p.name for p in hs.crm.properties.core_api.get_all("contacts").results]
    assert {"email", "refnet_id", "lastmodifieddate"} <= set(names)
    with pytest.raises(PropertiesApiException) as conflict:
        hs.crm.properties.core_api.create(
            "contacts",
            property_create=PropertyCreate(
                name="refnet_id", label="x", type="string", field_type="text", group_name="refnet"
            ),
        )
    assert conflict.value.status == 409
    assert json.loads(conflict.value.body)["category"] == "OBJECT_ALREADY_EXISTS"
    with pytest.raises(PropertiesApiException) as no_group:
        hs.crm.properties.core_api.create(
            "contacts",
            property_create=PropertyCreate(
                name="other", label="x", type="string", field_type="text", group_name="missing"
            ),
        )
    assert no_group.value.status == 400


def test_pipelines_with_stages_and_stage_validation(hs: HubSpot, referral_type: str) -> None:
    pipeline = hs.crm.pipelines.pipelines_api.create(
        referral_type,
        pipeline_input=PipelineInput(
            label="Referrals",
            display_order=0,
            stages=[
                PipelineStageInput(label="Open", display_order=0, metadata={}),
                PipelineStageInput(label="Won", display_order=1, metadata={}),
            ],
        ),
    )
    assert [s.label for s in pipeline.stages] == ["Open", "Won"]
    assert [p.id for p in hs.crm.pipelines.pipelines_api.get_all(referral_type).results] == [
        pipeline.id
    ]
    deal_pipelines = hs.crm.pipelines.pipelines_api.get_all("deals").results
    assert "closedwon" in {s.id for s in deal_pipelines[0].stages}
    with pytest.raises(PipelinesApiException) as deal_error:
        hs.crm.pipelines.pipelines_api.create(
            "deals",
            pipeline_input=PipelineInput(
                label="No probability",
                display_order=1,
                stages=[PipelineStageInput(label="A", display_order=0, metadata={})],
            ),
        )
    assert deal_error.value.status == 400
    api = hs.crm.objects.batch_api
    _, status, _ = api.upsert_with_http_info(
        referral_type,
        batch_input_simple_public_object_batch_input_upsert=BatchInputSimplePublicObjectBatchInputUpsert(
            inputs=[
                _upsert(
                    "r-1",
                    referral_name="A",
                    hs_pipeline=pipeline.id,
                    hs_pipeline_stage=pipeline.stages[1].id,
                ),
                _upsert(
                    "r-2", referral_name="B", hs_pipeline=pipeline.id, hs_pipeline_stage="closedwon"
                ),
            ]
        ),
    )
    assert status == 207


def test_batch_upsert_answers_200_then_207_with_per_input_errors(
    hs: HubSpot, referral_type: str
) -> None:
    api = hs.crm.objects.batch_api
    first, status, _ = api.upsert_with_http_info(
        referral_type,
        batch_input_simple_public_object_batch_input_upsert=BatchInputSimplePublicObjectBatchInputUpsert(
            inputs=[
                _upsert("r-1", referral_name="A", stage="new"),
                _upsert("r-2", referral_name="B"),
            ]
        ),
    )
    assert status == 200 and type(first).__name__ == "BatchResponseSimplePublicUpsertObject"
    assert [r.new for r in first.results] == [True, True]
    assert first.results[0].properties["refnet_id"] == "r-1" and first.status == "COMPLETE"
    second, status, _ = api.upsert_with_http_info(
        referral_type,
        batch_input_simple_public_object_batch_input_upsert=BatchInputSimplePublicObjectBatchInputUpsert(
            inputs=[
                _upsert("r-1", stage="won"),
                _upsert("r-3", referral_name="C", stage="bogus"),
                _upsert("r-4", referral_name="D", nope="x"),
                _upsert("r-5", stage="new"),  # a required property is missing on create
            ]
        ),
    )
    assert status == 207 and second.num_errors == 3
    assert [(r.id, r.new) for r in second.results] == [(first.results[0].id, False)]
    codes = {e.context["ids"][0]: e.errors[0].code for e in second.errors}
    assert codes == {
        "r-3": "INVALID_OPTION",
        "r-4": "PROPERTY_DOESNT_EXIST",
        "r-5": "REQUIRED_PROPERTY",
    }
    assert all(e.category == "VALIDATION_ERROR" for e in second.errors)


def test_batch_upsert_refuses_non_unique_id_properties_and_duplicates(
    hs: HubSpot, referral_type: str
) -> None:
    api = hs.crm.objects.batch_api
    with pytest.raises(ObjectsApiException) as not_unique:
        api.upsert(
            referral_type,
            batch_input_simple_public_object_batch_input_upsert=BatchInputSimplePublicObjectBatchInputUpsert(
                inputs=[
                    SimplePublicObjectBatchInputUpsert(
                        id="A", id_property="referral_name", properties={}
                    )
                ]
            ),
        )
    assert not_unique.value.status == 400
    with pytest.raises(ObjectsApiException) as duplicates:
        api.upsert(
            referral_type,
            batch_input_simple_public_object_batch_input_upsert=BatchInputSimplePublicObjectBatchInputUpsert(
                inputs=[_upsert("r-1", referral_name="A"), _upsert("r-1", referral_name="B")]
            ),
        )
    assert "Duplicate IDs" in json.loads(duplicates.value.body)["message"]
    with pytest.raises(ObjectsApiException) as too_many:
        api.upsert(
            referral_type,
            batch_input_simple_public_object_batch_input_upsert=BatchInputSimplePublicObjectBatchInputUpsert(
                inputs=[_upsert(f"r-{i}", referral_name="x") for i in range(101)]
            ),
        )
    assert too_many.value.status == 400


def test_contacts_upsert_by_email_and_batch_create_rules(hs: HubSpot) -> None:
    api = hs.crm.objects.batch_api
    contacts = api.upsert(
        "contacts",
        batch_input_simple_public_object_batch_input_upsert=BatchInputSimplePublicObjectBatchInputUpsert(
            inputs=[
                SimplePublicObjectBatchInputUpsert(
                    id="Ada@Example.com", id_property="email", properties={"firstname": "Ada"}
                )
            ]
        ),
    )
    again = api.upsert(
        "contacts",
        batch_input_simple_public_object_batch_input_upsert=BatchInputSimplePublicObjectBatchInputUpsert(
            inputs=[
                SimplePublicObjectBatchInputUpsert(
                    id="ada@example.com", id_property="email", properties={"lastname": "L"}
                )
            ]
        ),
    )
    assert again.results[0].id == contacts.results[0].id and again.results[0].new is False
    bad = SimplePublicObjectBatchInputForCreate(properties={"email": "not-an-email"})
    good = SimplePublicObjectBatchInputForCreate(properties={"email": "b@example.com"})
    with pytest.raises(ObjectsApiException) as whole_batch:
        api.create(
            "contacts",
            batch_input_simple_public_object_batch_input_for_create=BatchInputSimplePublicObjectBatchInputForCreate(
                inputs=[good, bad]
            ),
        )
    assert whole_batch.value.status == 400
    _, read_status, _ = api.read_with_http_info(
        "contacts",
        batch_read_input_simple_public_object_id=BatchReadInputSimplePublicObjectId(
            inputs=[SimplePublicObjectId(id="b@example.com")],
            id_property="email",
            properties=["email"],
        ),
    )
    assert read_status == 207  # nothing of the refused batch was written
    good.object_write_trace_id, bad.object_write_trace_id = "t-1", "t-2"
    partial, status, _ = api.create_with_http_info(
        "contacts",
        batch_input_simple_public_object_batch_input_for_create=BatchInputSimplePublicObjectBatchInputForCreate(
            inputs=[good, bad]
        ),
    )
    assert status == 207 and partial.errors[0].context["objectWriteTraceId"] == ["t-2"]
    assert partial.results[0].properties["email"] == "b@example.com"


def test_search_filters_sorts_and_pages(hs: HubSpot, referral_type: str) -> None:
    api = hs.crm.objects.batch_api
    first = api.upsert(
        referral_type,
        batch_input_simple_public_object_batch_input_upsert=BatchInputSimplePublicObjectBatchInputUpsert(
            inputs=[_upsert(f"r-{i}", referral_name=f"N{i}", amount=str(i)) for i in range(5)]
        ),
    )
    checkpoint = max(r.properties["hs_lastmodifieddate"] for r in first.results)
    api.upsert(
        referral_type,
        batch_input_simple_public_object_batch_input_upsert=BatchInputSimplePublicObjectBatchInputUpsert(
            inputs=[_upsert("r-0", amount="50"), _upsert("r-3", amount="30")]
        ),
    )
    search = hs.crm.objects.search_api
    changed = search.do_search(
        referral_type,
        public_object_search_request=PublicObjectSearchRequest(
            filter_groups=[
                FilterGroup(
                    filters=[
                        Filter(property_name="hs_lastmodifieddate", operator="GT", value=checkpoint)
                    ]
                )
            ],
            sorts=["hs_lastmodifieddate"],
            properties=["refnet_id", "amount"],
            limit=10,
        ),
    )
    assert changed.total == 2
    assert [r.properties["refnet_id"] for r in changed.results] == ["r-0", "r-3"]
    pages, after = [], None
    while True:
        page = search.do_search(
            referral_type,
            public_object_search_request=PublicObjectSearchRequest(
                filter_groups=[
                    FilterGroup(filters=[Filter(property_name="amount", operator="GTE", value="2")])
                ],
                sorts=[{"propertyName": "amount", "direction": "DESCENDING"}],
                properties=["refnet_id"],
                limit=2,
                after=after,
            ),
        )
        assert page.total == 4
        pages.append([r.properties["refnet_id"] for r in page.results])
        if page.paging is None:
            break
        after = page.paging.next.after
    assert pages == [["r-0", "r-3"], ["r-4", "r-2"]]
    text = search.do_search(
        referral_type, public_object_search_request=PublicObjectSearchRequest(query="n2", limit=5)
    )
    assert [r.id for r in text.results] == [first.results[2].id]


def test_search_cannot_page_beyond_10000_results(hs: HubSpot) -> None:
    with pytest.raises(ObjectsApiException) as error:
        hs.crm.objects.search_api.do_search(
            "contacts",
            public_object_search_request=PublicObjectSearchRequest(limit=100, after="10000"),
        )
    assert error.value.status == 400
    assert json.loads(error.value.body)["category"] == "VALIDATION_ERROR"
    with pytest.raises(ObjectsApiException) as too_big:
        hs.crm.objects.search_api.do_search(
            "contacts", public_object_search_request=PublicObjectSearchRequest(limit=201)
        )
    assert too_big.value.status == 400


def test_associations_v4_labels_batch_create_and_read(hs: HubSpot, referral_type: str) -> None:
    referral = hs.crm.objects.batch_api.upsert(
        referral_type,
        batch_input_simple_public_object_batch_input_upsert=BatchInputSimplePublicObjectBatchInputUpsert(
            inputs=[_upsert("r-1", referral_name="A")]
        ),
    ).results[0]
    contact = hs.crm.objects.batch_api.upsert(
        "contacts",
        batch_input_simple_public_object_batch_input_upsert=BatchInputSimplePublicObjectBatchInputUpsert(
            inputs=[
                SimplePublicObjectBatchInputUpsert(
                    id="a@example.com", id_property="email", properties={}
                )
            ]
        ),
    ).results[0]
    definitions = hs.crm.associations.v4.schema.definitions_api
    (default,) = definitions.get_all(referral_type, "contacts").results
    assert (default.category, default.label) == ("USER_DEFINED", None)
    labelled = definitions.create(
        referral_type,
        "contacts",
        public_association_definition_create_request=PublicAssociationDefinitionCreateRequest(
            label="Referrer", name="referrer", inverse_label="Referred"
        ),
    ).results
    assert [r.label for r in labelled] == ["Referrer", "Referred"]
    batch = hs.crm.associations.v4.batch_api
    created = batch.create(
        referral_type,
        "contacts",
        batch_input_public_association_multi_post=BatchInputPublicAssociationMultiPost(
            inputs=[
                PublicAssociationMultiPost(
                    _from=PublicObjectId(id=referral.id),
                    to=PublicObjectId(id=contact.id),
                    types=[
                        AssociationSpec(
                            association_category="USER_DEFINED", association_type_id=default.type_id
                        ),
                        AssociationSpec(
                            association_category="USER_DEFINED",
                            association_type_id=labelled[0].type_id,
                        ),
                    ],
                ),
                PublicAssociationMultiPost(
                    _from=PublicObjectId(id=referral.id),
                    to=PublicObjectId(id="999"),
                    types=[
                        AssociationSpec(
                            association_category="USER_DEFINED", association_type_id=default.type_id
                        )
                    ],
                ),
            ]
        ),
    )
    assert created.num_errors == 1
    assert (created.results[0].to_object_id, created.results[0].labels) == (
        contact.id,
        ["Referrer"],
    )
    # The inverse direction is readable from the contact's side, with the inverse label.
    read = batch.get_page(
        "contacts",
        referral_type,
        batch_input_public_fetch_associations_batch_request=BatchInputPublicFetchAssociationsBatchRequest(
            inputs=[PublicFetchAssociationsBatchRequest(id=contact.id)]
        ),
    )
    (linked,) = read.results[0].to
    assert linked.to_object_id == referral.id
    assert {t.label for t in linked.association_types} == {None, "Referred"}


def test_default_associations_between_standard_objects(hs: HubSpot) -> None:
    api = hs.crm.objects.batch_api
    deal = api.create(
        "deals",
        batch_input_simple_public_object_batch_input_for_create=BatchInputSimplePublicObjectBatchInputForCreate(
            inputs=[
                SimplePublicObjectBatchInputForCreate(
                    properties={"dealname": "D", "pipeline": "default", "dealstage": "closedwon"}
                )
            ]
        ),
    ).results[0]
    contact = api.create(
        "contacts",
        batch_input_simple_public_object_batch_input_for_create=BatchInputSimplePublicObjectBatchInputForCreate(
            inputs=[SimplePublicObjectBatchInputForCreate(properties={"email": "c@example.com"})]
        ),
    ).results[0]
    answer = hs.crm.associations.v4.batch_api.create_default(
        "deals",
        "contacts",
        batch_input_public_default_association_multi_post=BatchInputPublicDefaultAssociationMultiPost(
            inputs=[
                PublicDefaultAssociationMultiPost(
                    _from=PublicObjectId(id=deal.id), to=PublicObjectId(id=contact.id)
                )
            ]
        ),
    )
    spec = answer.results[0].association_spec
    assert (spec.association_category, spec.association_type_id) == ("HUBSPOT_DEFINED", 3)


def test_unknown_object_types_and_tokens(hs: HubSpot, sandbox: Sandbox) -> None:
    with pytest.raises(ObjectsApiException) as unknown:
        hs.crm.objects.search_api.do_search(
            "widgets", public_object_search_request=PublicObjectSearchRequest()
        )
    assert unknown.value.status == 400
    assert json.loads(unknown.value.body)["message"] == "Unable to infer object type from: widgets"
    stranger = HubSpot(access_token="pat-na1-wrong", host=sandbox.hubspot_url)
    with pytest.raises(ObjectsApiException) as unauthorized:
        stranger.crm.objects.search_api.do_search(
            "contacts", public_object_search_request=PublicObjectSearchRequest()
        )
    assert unauthorized.value.status == 401
    assert json.loads(unauthorized.value.body)["category"] == "INVALID_AUTHENTICATION"


def test_updates_single_reads_and_listing(hs: HubSpot, referral_type: str) -> None:
    api = hs.crm.objects.batch_api
    created = api.upsert(
        referral_type,
        batch_input_simple_public_object_batch_input_upsert=BatchInputSimplePublicObjectBatchInputUpsert(
            inputs=[_upsert(f"r-{i}", referral_name=f"N{i}") for i in range(3)]
        ),
    ).results
    updated, status, _ = api.update_with_http_info(
        referral_type,
        batch_input_simple_public_object_batch_input=BatchInputSimplePublicObjectBatchInput(
            inputs=[
                SimplePublicObjectBatchInput(id=created[0].id, properties={"stage": "won"}),
                SimplePublicObjectBatchInput(id="424242", properties={"stage": "won"}),
            ]
        ),
    )
    assert status == 207 and updated.errors[0].category == "OBJECT_NOT_FOUND"
    single = hs.crm.objects.basic_api.get_by_id(
        referral_type, "r-0", properties=["stage"], id_property="refnet_id"
    )
    assert (single.id, single.properties["stage"]) == (created[0].id, "won")
    first_page = hs.crm.objects.basic_api.get_page(referral_type, limit=2)
    second_page = hs.crm.objects.basic_api.get_page(
        referral_type, limit=2, after=first_page.paging.next.after
    )
    assert [r.id for r in first_page.results + second_page.results] == [r.id for r in created]
    assert second_page.paging is None

    changed = hs.crm.properties.core_api.update(
        referral_type,
        "stage",
        property_update=PropertyUpdate(
            label="Referral stage",
            options=[
                PropertyOption(label="New", value="new", display_order=0, hidden=False),
                PropertyOption(label="Lost", value="lost", display_order=1, hidden=False),
            ],
        ),
    )
    assert changed.label == "Referral stage" and [o.value for o in changed.options] == [
        "new",
        "lost",
    ]
    _, status, _ = api.upsert_with_http_info(
        referral_type,
        batch_input_simple_public_object_batch_input_upsert=BatchInputSimplePublicObjectBatchInputUpsert(
            inputs=[_upsert("r-1", stage="won")]  # "won" is no longer an option
        ),
    )
    assert status == 207

    pipelines = hs.crm.pipelines
    pipeline = pipelines.pipelines_api.create(
        referral_type,
        pipeline_input=PipelineInput(
            label="P",
            display_order=0,
            stages=[PipelineStageInput(label="A", display_order=0, metadata={})],
        ),
    )
    renamed = pipelines.pipelines_api.update(
        referral_type, pipeline.id, pipeline_patch_input=PipelinePatchInput(label="Q")
    )
    assert renamed.label == "Q"
    stage = pipelines.pipeline_stages_api.create(
        referral_type,
        pipeline.id,
        pipeline_stage_input=PipelineStageInput(label="B", display_order=1, metadata={}),
    )
    stages = pipelines.pipeline_stages_api.get_all(referral_type, pipeline.id).results
    assert [s.id for s in stages] == [pipeline.stages[0].id, stage.id]
