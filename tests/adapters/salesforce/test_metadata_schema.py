"""The permission sets refnet ships pass, and a wrong one fails, the Metadata API schema.

The schema is the one in simple-salesforce's ``metadata.wsdl``, loaded by
:mod:`adapters.sandbox.metadata_schema` (the whole exported package is checked against it
in ``test_sfdx.py``).
"""

from __future__ import annotations

from xml.etree import ElementTree

from adapters.salesforce.metadata import (
    integration_permission_set,
    sales_user_permission_set,
)
from adapters.salesforce.sfdx import render_component
from adapters.sandbox.metadata_schema import schema_errors
from mappings.spec import MappingSet


def test_both_permission_sets_pass_the_schema(mappings: MappingSet) -> None:
    for component in (integration_permission_set(mappings), sales_user_permission_set(mappings)):
        document = ElementTree.tostring(render_component(component).getroot())
        assert schema_errors(document) == [], component.full_name


def test_the_schema_refuses_a_permission_set_it_does_not_know(mappings: MappingSet) -> None:
    """The check can fail: a misspelt permission element is refused."""
    component = integration_permission_set(mappings)
    body = dict(component.body)
    body["objectPermissions"] = [{**body["objectPermissions"][0], "allowUpsert": True}]
    tree = render_component(type(component)(component.type, component.full_name, body))
    errors = schema_errors(ElementTree.tostring(tree.getroot()))
    assert errors and "allowUpsert" in errors[0]
