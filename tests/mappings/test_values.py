"""Push: model records (+ computed values) to CRM fields. Pull: CRM values to model updates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from connector.errors import InputError, RecordValidationError
from connector.model import (
    Agreement,
    Circle,
    CompanySize,
    Member,
    Referral,
    ReferralStatus,
)
from mappings import (
    MappingSet,
    ObjectMapping,
    apply_updates,
    from_crm_fields,
    load_mappings,
    to_crm_fields,
)
from mappings.goal_values import METRICS
from mappings.values import seed_fields

WHEN = datetime(2024, 3, 1, 9, 30, 0, 123456, tzinfo=UTC)
SCORES = {
    "multiplier_score": 72.456,
    "is_multiplier": True,
    "win_win_balance": -2,
    "win_win_given": 3,
    "win_win_received": 5,
    "connector_score": 12.345,
    "club_status": "Weber Kundenclub: trial",
    "club_trial_ends_on": date(2026, 1, 15),
}


@pytest.fixture(scope="module")
def mappings() -> MappingSet:
    return load_mappings("salesforce")


def _mapping(mappings: MappingSet, obj: str) -> ObjectMapping:
    mapping = mappings.by_object(obj)
    assert mapping is not None
    return mapping


def _member() -> Member:
    return Member(
        id="m-1",
        name="Anna Berg",
        email="anna@example.com",
        circle=Circle.CUSTOMER,
        profile={"industry": "IT", "offers": ["consulting", "training"], "size": "small"},
        created_at=WHEN,
        updated_at=WHEN,
    )


def test_a_referral_becomes_salesforce_fields_with_lookups_by_external_id(
    mappings: MappingSet,
) -> None:
    referral = Referral(
        id="ref-1",
        referrer_id="m-1",
        referred_id="m-2",
        circle=Circle.CUSTOMER,
        status=ReferralStatus.WON,
        amount=Decimal("1200.50"),
        deal_id="006xx",
        note="pulled, so never pushed",
        created_at=WHEN,
        status_changed_at=WHEN,
    )
    assert to_crm_fields(_mapping(mappings, "Refnet_Referral__c"), referral) == {
        "Referrer__r": {"Refnet_Id__c": "m-1"},
        "Referred__r": {"Refnet_Id__c": "m-2"},
        "Recipient__c": None,  # no recipient: the lookup is cleared
        "Circle__c": "customer",
        "Sentiment__c": "positive",
        "Status__c": "won",
        "Amount__c": 1200.5,
        "Currency__c": "EUR",
        "Given_At__c": "2024-03-01T09:30:00.123Z",
        "Status_Changed_At__c": "2024-03-01T09:30:00.123Z",
    }


def test_computed_values_are_supplied_by_the_caller(mappings: MappingSet) -> None:
    fields = to_crm_fields(_mapping(mappings, "Contact"), _member(), SCORES)
    assert fields == {
        "FirstName": "Anna",
        "LastName": "Berg",
        # no organisation: she stands for her own, so her Contact still has an Account
        "Account": {"Refnet_Id__c": "org:anna-berg"},
        "Refnet_Circle__c": "customer",
        "Refnet_Ladder_Stage__c": "customer",
        "Refnet_Multiplier_Score__c": 72.46,
        "Refnet_Is_Multiplier__c": True,
        "Refnet_Win_Win_Balance__c": -2,
        "Refnet_Given_Count__c": 3,
        "Refnet_Received_Count__c": 5,
        "Refnet_Connector_Score__c": 12.35,
        "Refnet_Club_Status__c": "Weber Kundenclub: trial",
        "Refnet_Club_Trial_Ends__c": "2026-01-15",
        "Refnet_Industry__c": "IT",
        "Refnet_Region__c": None,
        "Refnet_Offers__c": "consulting\ntraining",
        "Refnet_Needs__c": None,
    }
    account = to_crm_fields(_mapping(mappings, "Account"), _member(), SCORES)
    assert account["Refnet_Company_Size__c"] == "small"
    # The name is sent when refnet creates the Account only: sales' spelling stays.
    assert "Name" not in account
    firm = _member().model_copy(update={"organisation": "Berg Consulting GmbH"})
    assert seed_fields(_mapping(mappings, "Account"), firm)["Name"] == "Berg Consulting GmbH"


def test_a_missing_computed_value_is_an_error_not_a_silent_null(mappings: MappingSet) -> None:
    with pytest.raises(RecordValidationError) as caught:
        to_crm_fields(_mapping(mappings, "Contact"), _member(), {"multiplier_score": 1.0})
    assert caught.value.record == "m-1"
    assert "computed value 'is_multiplier' was not supplied" in str(caught.value)


def test_a_record_of_the_wrong_kind_is_refused(mappings: MappingSet) -> None:
    with pytest.raises(InputError, match="maps Referral records, not Member"):
        to_crm_fields(_mapping(mappings, "Refnet_Referral__c"), _member())


def test_agreement_goals_and_progress_are_pushed_through_transforms(mappings: MappingSet) -> None:
    agreement = Agreement(
        id="ag-1",
        partnership_id="p-1",
        period_start=date(2024, 1, 1),
        period_end=date(2024, 12, 31),
        goals=[
            {"metric": "referrals_given", "target": 4, "achieved": 1, "description": "per quarter"},
            {"metric": "won_value", "target": 10000, "achieved": 10000},
        ],
    )
    measured = {
        "goals_measured": "referrals_given: 1 of 4 (25%)",
        "goal_progress": 0.625,
        "goal_referrals_given_target": 4.0,
        "goal_referrals_given_actual": 1.0,
        "goal_won_value_target": 10000.0,
        "goal_won_value_actual": 10000.0,
    }
    computed = {
        **{f"goal_{m}_{part}": None for m in METRICS for part in ("target", "actual")},
        **measured,
    }
    fields = to_crm_fields(_mapping(mappings, "Refnet_Agreement__c"), agreement, computed)
    assert fields == {
        "Partnership__r": {"Refnet_Id__c": "p-1"},
        "Status__c": "draft",
        "Goals__c": "referrals_given: 1 of 4 (25%)",
        "Progress__c": 62.5,
        "Referrals_Given_Target__c": 4,
        "Referrals_Given_Actual__c": 1,
        "Deals_Won_Target__c": None,
        "Deals_Won_Actual__c": None,
        "Won_Value_Target__c": 10000.0,
        "Won_Value_Actual__c": 10000.0,
        "Joint_Events_Target__c": None,
        "Joint_Events_Actual__c": None,
        "Introductions_Target__c": None,
        "Introductions_Actual__c": None,
    }
    # Left out, a computed value is refused rather than sent as a null that wipes the CRM.
    with pytest.raises(RecordValidationError, match="goals_measured"):
        to_crm_fields(_mapping(mappings, "Refnet_Agreement__c"), agreement)


def test_pulled_values_become_validated_model_updates(mappings: MappingSet) -> None:
    contact = _mapping(mappings, "Contact")
    updates = from_crm_fields(
        contact,
        {
            "Refnet_Vision__c": "Be the region's first choice",
            "Email": "anna.berg@example.com",
            "Refnet_Circle__c": "partner",  # pushed: ignored on pull
        },
        record_key="m-1",
    )
    assert updates == {
        "profile.vision": "Be the region's first choice",
        "email": "anna.berg@example.com",
    }
    member = apply_updates(_member(), updates)
    assert member.profile.vision == "Be the region's first choice"
    assert member.profile.size is CompanySize.SMALL  # untouched
    assert member.email == "anna.berg@example.com"


def test_empty_crm_values_clear_the_attribute(mappings: MappingSet) -> None:
    agreement = _mapping(mappings, "Refnet_Agreement__c")
    updates = from_crm_fields(
        agreement, {"Review_Dates__c": None, "Notes__c": "", "Signed_On__c": None}, record_key="a"
    )
    assert updates == {"review_dates": [], "notes": None, "signed_on": None}


def test_a_value_the_model_cannot_take_names_record_and_field(mappings: MappingSet) -> None:
    agreement = _mapping(mappings, "Refnet_Agreement__c")
    with pytest.raises(RecordValidationError) as caught:
        from_crm_fields(agreement, {"Period_End__c": "31.12.2024"}, record_key="ag-9")
    assert (caught.value.record, caught.value.field) == ("ag-9", "Period_End__c")


def test_updates_that_break_the_model_rules_are_refused(mappings: MappingSet) -> None:
    agreement = Agreement(
        id="ag-1",
        partnership_id="p-1",
        period_start=date(2024, 1, 1),
        period_end=date(2024, 12, 31),
    )
    with pytest.raises(RecordValidationError) as caught:
        apply_updates(agreement, {"period_end": date(2023, 1, 1)})
    assert caught.value.record == "ag-1"
    assert "period_end must be after period_start" in str(caught.value)
