"""Mappings under arbitrary input: every failure is a MappingError that says where.

An admin edits the YAML by hand and the CRM sends whatever its users typed, so neither may
surface as a KeyError or a pydantic traceback: the loader answers a valid mapping set or a
:class:`MappingError` naming the file, and decoding CRM values answers model updates or a
:class:`RecordValidationError` naming the record and field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector.errors import RecordValidationError
from mappings import MappingError, MappingSet, load_mappings
from mappings.loader import default_directory, parse_mapping
from mappings.spec import ObjectSpec
from mappings.values import from_crm_fields

SHIPPED = default_directory("salesforce")
REFERRAL_YAML = (SHIPPED / "referral.yaml").read_text(encoding="utf-8")
SHIPPED_SET = load_mappings("salesforce")

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
yaml_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=8,
)


@given(text=st.text(max_size=400))
def test_any_text_parses_to_a_spec_or_a_mapping_error(text: str) -> None:
    try:
        spec = parse_mapping(text, Path("fuzz.yaml"))
    except MappingError as error:
        assert error.file == "fuzz.yaml"
        return
    assert isinstance(spec, ObjectSpec)


@given(document=st.dictionaries(st.text(max_size=15), yaml_values, max_size=6))
def test_any_yaml_mapping_parses_to_a_spec_or_a_mapping_error(document: dict[str, Any]) -> None:
    try:
        parse_mapping(yaml.safe_dump(document), Path("fuzz.yaml"))
    except MappingError as error:
        assert error.file == "fuzz.yaml"


def _edit(raw: dict[str, Any], data: st.DataObject) -> None:
    """Change one thing in a mapping document: a top-level key or one key of one field."""
    fields = raw.get("fields")
    editable = [f for f in fields if isinstance(f, dict)] if isinstance(fields, list) else []
    if editable and data.draw(st.booleans(), label="edit a field"):
        target = data.draw(st.sampled_from(editable), label="field")
        key = data.draw(st.sampled_from([*sorted(map(str, target)), "bogus"]), label="key")
    else:
        key = data.draw(st.sampled_from([*sorted(map(str, raw)), "bogus"]), label="key")
        target = raw
    if data.draw(st.booleans(), label="delete"):
        target.pop(key, None)
    else:
        target[key] = data.draw(yaml_values, label="value")


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=60)
@given(data=st.data())
def test_an_edited_shipped_mapping_loads_or_names_its_file(data: st.DataObject) -> None:
    raw = yaml.safe_load(REFERRAL_YAML)
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        _edit(raw, data)
    try:
        loaded = load_mappings(
            "salesforce", SHIPPED, overrides={"referral.yaml": yaml.safe_dump(raw)}
        )
    except MappingError as error:
        assert error.file is not None
        assert Path(error.file).name in {p.name for p in SHIPPED.glob("*.yaml")}
        return
    assert isinstance(loaded, MappingSet)


crm_values = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40)


@given(data=st.data())
def test_any_values_from_the_crm_decode_or_name_the_record_and_field(
    data: st.DataObject,
) -> None:
    mapping = data.draw(st.sampled_from(list(SHIPPED_SET.mappings)), label="object")
    targets = [field.target for field in mapping.pull_fields]
    if not targets:
        return
    values = data.draw(st.dictionaries(st.sampled_from(targets), crm_values), label="values")
    try:
        updates = from_crm_fields(mapping, values, record_key="rec-1")
    except RecordValidationError as error:
        assert "rec-1" in str(error)
        assert any(target in str(error) for target in values)
        return
    pulled_sources = {field.source.path for field in mapping.pull_fields}
    assert set(updates) <= pulled_sources
