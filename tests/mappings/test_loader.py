"""The shipped mappings load; wrong ones fail at load, naming file, object and field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from connector.errors import ConfigError
from connector.model import enums
from mappings import MappingError, MappingSet, load_mappings
from mappings.spec import Direction, FieldType

BASE = """\
model: referral
object: Refnet_Referral__c
label: Referral
plural_label: Referrals
external_id: {field: Refnet_Id__c}
name_field: {label: Referral Number, type: AutoNumber, display_format: "REF-{0000}"}
fields:
  - {source: status, target: Status__c, type: Picklist, picklist: ReferralStatus, label: Status}
  - {source: note, target: Note__c, type: LongTextArea, label: Note, direction: pull}
"""


def _load(tmp_path: Path, *extra_fields: str, base: str = BASE) -> MappingSet:
    text = base + "".join(f"  - {field}\n" for field in extra_fields)
    (tmp_path / "referral.yaml").write_text(text)
    return load_mappings("salesforce", tmp_path)


def _error(tmp_path: Path, *extra_fields: str, base: str = BASE) -> MappingError:
    with pytest.raises(MappingError) as caught:
        _load(tmp_path, *extra_fields, base=base)
    error = caught.value
    assert isinstance(error, ConfigError)
    assert error.file is not None and error.file.endswith("referral.yaml")
    assert str(error).startswith(error.file)
    return error


def test_the_shipped_salesforce_mappings_load() -> None:
    mappings = load_mappings("salesforce")
    assert set(mappings.objects) == {
        "Refnet_Referral__c",
        "Refnet_Partnership__c",
        "Refnet_Agreement__c",
        "Refnet_Club__c",
        "Refnet_Membership__c",
        "Refnet_Connection__c",
        "Refnet_Introduction__c",
        "Refnet_Joint_Event__c",  # issue #18
        "Refnet_Contribution__c",
        "Contact",
        "Account",
    }
    contact = mappings.by_object("Contact")
    assert contact is not None
    assert contact.computed_sources == [
        "club_status",
        "club_trial_ends_on",
        "connector_score",
        "is_multiplier",
        "multiplier_score",
        "win_win_balance",
        "win_win_given",
        "win_win_received",
    ]
    stage = next(f for f in contact.fields if f.target == "Refnet_Ladder_Stage__c")
    assert stage.enum is enums.LadderStage and stage.picklist_values == [
        "customer",
        "referrer",
        "partner",
    ]


def test_ownership_is_declared_per_field() -> None:
    mappings = load_mappings("salesforce")
    agreement = mappings.by_object("Refnet_Agreement__c")
    assert agreement is not None
    assert {f.source.path for f in agreement.pull_fields} == {
        "period_start",
        "period_end",
        "review_dates",
        "signed_on",
        "notes",
    }
    assert {f.spec.direction for f in agreement.push_fields} == {Direction.PUSH}


def test_lookups_resolve_to_objects_and_their_external_ids() -> None:
    mappings = load_mappings("salesforce")
    agreement = mappings.by_object("Refnet_Agreement__c")
    assert agreement is not None
    (lookup,) = [f for f in agreement.fields if f.spec.type is FieldType.EXTERNAL_ID_LOOKUP]
    assert (lookup.reference_object, lookup.reference_field) == (
        "Refnet_Partnership__c",
        "Refnet_Id__c",
    )


def test_a_valid_minimal_mapping_loads(tmp_path: Path) -> None:
    (mapping,) = _load(tmp_path).mappings
    assert [f.target for f in mapping.fields] == ["Status__c", "Note__c"]


@pytest.mark.parametrize(
    ("field", "target", "message"),
    [
        (
            "{source: referer_id, target: Referrer__c, type: Text, label: Referrer}",
            "Referrer__c",
            "Referral has no attribute 'referer_id'",
        ),
        (
            "{source: sentiment, target: Sentiment__c, type: Picklist, picklist: Mood, "
            "label: Sentiment}",
            "Sentiment__c",
            "unknown enum 'Mood'",
        ),
        (
            "{source: note, target: Note2__c, type: Text, transform: shout, label: Shout}",
            "Note2__c",
            "unknown transform 'shout'",
        ),
        (
            "{source: circle, target: Status__c, type: Picklist, picklist: Circle, label: C}",
            "Status__c",
            "duplicate target field",
        ),
        (
            "{source: currency, target: Note__c, type: Text, label: Currency}",
            "Note__c",
            "both pushed and pulled",
        ),
        (
            "{source: status, target: Manual_Status__c, type: Picklist, "
            "picklist: ReferralStatus, label: Manual, direction: pull}",
            "Manual_Status__c",
            "'status' is both pushed (to Status__c) and pulled (from Manual_Status__c)",
        ),
        (
            "{source: amount, target: Amount__c, type: Money, label: Amount}",
            "Amount__c",
            "type: Input should be 'Text', 'LongTextArea'",
        ),
        (
            "{source: created_at, target: Given__c, type: Checkbox, label: Given}",
            "Given__c",
            "type Checkbox cannot hold datetime values from 'created_at'",
        ),
        (
            "{source: sentiment, target: Sentiment__c, type: Picklist, picklist: Circle, "
            "label: Sentiment}",
            "Sentiment__c",
            "picklist 'Circle' does not match 'sentiment', which holds Sentiment values",
        ),
        (
            "{source: currency, target: Currency__c, type: Picklist, picklist: Circle, "
            "label: Currency}",
            "Currency__c",
            "needs a source whose values are that enum",
        ),
        (
            "{source: computed.multiplier_score, target: Score__c, type: Number, label: S, "
            "direction: pull}",
            "Score__c",
            "is a computed value: it can be pushed, never pulled",
        ),
        (
            "{source: computed.karma, target: Karma__c, type: Number, label: Karma}",
            "Karma__c",
            "unknown computed value 'karma'",
        ),
        (
            "{source: amount, target: Amount__c, type: Number, transform: round2, label: A, "
            "direction: pull}",
            "Amount__c",
            "transform 'round2' has no inverse",
        ),
        (
            "{source: note, target: Note_Short__c, type: Text, length: 300, label: N}",
            "Note_Short__c",
            "Text length must be 1..255",
        ),
        (
            "{source: note, target: Bad__Name__c, type: Text, label: N}",
            "Bad__Name__c",
            "is not a valid API name",
        ),
        (
            "{source: referrer_id, target: Referrer__c, type: ExternalIdLookup, "
            "references: Refnet_Member__c, relationship_name: Referrals, label: Referrer}",
            "Referrer__c",
            "references 'Refnet_Member__c', which no mapping defines",
        ),
        (
            "{source: referrer_id, target: Referrer__c, type: ExternalIdLookup, "
            "references: Contact, relationship_name: Referrals, label: Referrer}",
            "Referrer__c",
            "'Contact' has no mapping, so name its 'reference_field'",
        ),
        (
            "{source: referrer_id, target: Referrer__c, type: Text, picklist: Circle, label: R}",
            "Referrer__c",
            "'picklist' does not apply to type Text",
        ),
    ],
)
def test_a_wrong_field_fails_at_load_naming_file_object_and_field(
    tmp_path: Path, field: str, target: str, message: str
) -> None:
    error = _error(tmp_path, field)
    assert error.object_name == "Refnet_Referral__c"
    assert error.field == target
    assert message in str(error)


def test_an_unknown_model_is_named(tmp_path: Path) -> None:
    error = _error(tmp_path, base=BASE.replace("model: referral", "model: referal"))
    assert error.object_name == "Refnet_Referral__c"
    assert "unknown model 'referal'" in str(error)


def test_a_custom_object_without_labels_is_refused(tmp_path: Path) -> None:
    error = _error(tmp_path, base=BASE.replace("plural_label: Referrals\n", ""))
    assert "a custom object needs plural_label" in str(error)


def test_broken_yaml_is_named_with_its_line(tmp_path: Path) -> None:
    error = _error(tmp_path, base=BASE + "  - {source: [\n")
    assert "not valid YAML at line" in str(error)


def test_the_same_object_in_two_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(BASE)
    (tmp_path / "b.yaml").write_text(BASE)
    with pytest.raises(MappingError, match=r"already mapped in a\.yaml") as caught:
        load_mappings("salesforce", tmp_path)
    assert caught.value.file is not None and caught.value.file.endswith("b.yaml")


def test_a_relationship_name_used_twice_on_one_parent_is_refused(tmp_path: Path) -> None:
    lookup = (
        "{{source: {src}, target: {tgt}, type: ExternalIdLookup, references: Contact, "
        "reference_field: Refnet_Id__c, relationship_name: Refnet_Referrals, label: X}}"
    )
    with pytest.raises(MappingError) as caught:
        _load(
            tmp_path,
            lookup.format(src="referrer_id", tgt="Referrer__c"),
            lookup.format(src="referred_id", tgt="Referred__c"),
        )
    assert caught.value.field == "Referred__c"
    assert "relationship name 'Refnet_Referrals' on 'Contact' is already used" in str(caught.value)


def test_a_text_name_needs_a_pushed_name_field(tmp_path: Path) -> None:
    base = textwrap.dedent(
        """\
        model: club
        object: Refnet_Club__c
        label: Club
        plural_label: Clubs
        external_id: {field: Refnet_Id__c}
        name_field: {label: Club Name, type: Text}
        fields: []
        """
    )
    (tmp_path / "referral.yaml").write_text(base)
    with pytest.raises(MappingError, match="needs a pushed field with target 'Name'"):
        load_mappings("salesforce", tmp_path)


def test_a_missing_directory_is_a_mapping_error(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="does not exist"):
        load_mappings("salesforce", tmp_path / "nowhere")
