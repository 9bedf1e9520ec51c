"""The Metadata API subset ``sf.mdapi`` needs: create/read/update/upsert/delete/listMetadata.

simple-salesforce's ``SfdcMetadataApi`` is a zeep client of the bundled metadata WSDL; it
posts SOAP envelopes to ``/services/Soap/m/<version>/`` with the session id in a
``SessionHeader`` and reads ``SaveResult``/``UpsertResult``/``ReadResult`` back. Every
component type is stored as XML and read back as it was written; ``CustomObject`` and
``CustomField`` components also change the org's schema, so ``describe`` and record
writes see them. Deleting CustomObject/CustomField components is not supported.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # expat >= 2.4.1 refuses entity expansion attacks
from typing import Any
from xml.sax.saxutils import escape

from flask import Flask, Response, request

from adapters.sandbox.auth import USER_ID
from adapters.sandbox.metadata_schema import schema_errors
from adapters.sandbox.salesforce_backend import SalesforceBackend
from adapters.sandbox.salesforce_flows import FlowRunner, OutboundSender, check_flow
from adapters.sandbox.salesforce_metadata_refs import reference_error
from adapters.sandbox.salesforce_records import UpsertInput
from adapters.sandbox.salesforce_schema import API_VERSION, field_from_metadata
from adapters.sandbox.salesforce_validation import check_custom_field, check_permission_set
from adapters.sandbox.store import iso_salesforce

__all__ = ["METADATA_NS", "register_metadata", "start_flow_runner"]

METADATA_NS = "http://soap.sforce.com/2006/04/metadata"
_SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
_XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
_MAX_COMPONENTS = 10


class _Fault(Exception):
    def __init__(self, code: str, message: str, *, prefix: str = "sf") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.prefix = prefix


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _plain(element: ET.Element) -> ET.Element:
    """A copy without namespaces, so it can be re-emitted under the response's default one."""
    copy = ET.Element(_local(element.tag))
    copy.text = element.text
    for child in element:
        copy.append(_plain(child))
    return copy


def _as_dict(element: ET.Element) -> dict[str, Any]:
    """Child elements as a dict; repeated names become lists, leaves become text."""
    result: dict[str, Any] = {}
    for child in element:
        name = _local(child.tag)
        value: Any = _as_dict(child) if len(child) else (child.text or "")
        if name in result:
            existing = result[name]
            result[name] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            result[name] = value
    return result


def _envelope(body: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{_SOAP_NS}" xmlns="{METADATA_NS}" '
        f'xmlns:xsi="{_XSI_NS}"><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>'
    )


def _soap(body: str, status: int = 200) -> Response:
    return Response(_envelope(body), status=status, mimetype="text/xml")


def _fault(code: str, message: str, prefix: str = "sf") -> Response:
    text = f"{code}: {message}" if prefix == "sf" else message
    return _soap(
        f'<soapenv:Fault xmlns:sf="{METADATA_NS}"><faultcode>{prefix}:{code}</faultcode>'
        f"<faultstring>{escape(text)}</faultstring></soapenv:Fault>",
        500,
    )


def _refuse_what_the_schema_refuses(kind: str, component: ET.Element) -> None:
    """Fault the call when a component is not what the WSDL declares for its type.

    Salesforce parses the request against the Metadata WSDL before it looks at any
    component, and answers a whole-call ``soapenv:Client`` fault for an element the type
    does not declare or a value outside an enumeration (e.g. "'massAction' is not a valid
    value for the enum 'WebLinkDisplayType'", certinia/apex-mdapi#54). The sandbox checks
    each component with the same schema (simple-salesforce's ``metadata.wsdl``); its message
    names the component and the element but, unlike Salesforce, never the value (an
    Outbound Message's endpoint carries a token).
    """
    document = ET.Element(f"{{{METADATA_NS}}}{kind}")
    document.extend(list(component))
    errors = schema_errors(ET.tostring(document))
    if errors:
        full_name = str(_as_dict(component).get("fullName", ""))
        raise _Fault("Client", f"{kind} {full_name}: {errors[0]}", prefix="soapenv")


def _save_result(full_name: str, error: tuple[str, str] | None, created: bool | None) -> str:
    parts = []
    if created is not None:
        parts.append(f"<created>{'true' if created and error is None else 'false'}</created>")
    if error is not None:
        parts.append(
            f"<errors><message>{escape(error[1])}</message>"
            f"<statusCode>{escape(error[0])}</statusCode></errors>"
        )
    parts.append(f"<fullName>{escape(full_name)}</fullName>")
    parts.append(f"<success>{'true' if error is None else 'false'}</success>")
    return f"<result>{''.join(parts)}</result>"


class _MetadataViews:
    def __init__(self, backend: SalesforceBackend) -> None:
        self.backend = backend
        self.schema = self.backend.schema
        self.store = self.backend.store

    def stored(self, kind: str, full_name: str) -> str | None:
        if kind == "CustomObject":
            obj = self.schema.object(full_name)
            return None if obj is None else full_name
        if kind == "CustomField":
            object_name, _, field_name = full_name.partition(".")
            spec = self.schema.field_map(object_name).get(field_name.lower())
            return None if spec is None or not spec.custom else full_name
        row = self.store.query_one(
            "SELECT full_name FROM sf_metadata WHERE type = ? AND full_name = ?", (kind, full_name)
        )
        return None if row is None else str(row["full_name"])

    def save(self, kind: str, component: ET.Element, creating: bool) -> tuple[str, str] | None:
        """Apply one component; the (statusCode, message) error, if any."""
        spec = _as_dict(component)
        full_name = str(spec.get("fullName", ""))
        xml = ET.tostring(_plain(component), encoding="unicode")
        refused = reference_error(kind, full_name, spec, self.schema, self.read_stored)
        if refused is not None:
            return refused
        if kind == "CustomObject":
            if not full_name.endswith("__c"):
                return ("FIELD_INTEGRITY_EXCEPTION", "Custom object names must end with __c")
            if creating:
                name_field = spec.get("nameField")
                self.schema.new_custom_object(
                    full_name,
                    str(spec.get("label") or full_name),
                    str(spec.get("pluralLabel") or spec.get("label") or full_name),
                    name_field if isinstance(name_field, dict) else {},
                )
            else:
                self.schema.update_object(
                    full_name, str(spec.get("label", "")), str(spec.get("pluralLabel", ""))
                )
            obj = self.schema.object(full_name)
            assert obj is not None
            without_fields = _plain(component)
            for child in list(without_fields):
                if child.tag == "fields":
                    without_fields.remove(child)
            self.schema.save_object(obj, ET.tostring(without_fields, encoding="unicode"))
            for inline in component:
                if _local(inline.tag) == "fields":
                    inline_name = str(_as_dict(inline).get("fullName", ""))
                    error = self.save_field(f"{full_name}.{inline_name}", inline)
                    if error:
                        return error
            return None
        if kind == "CustomField":
            return self.save_field(full_name, component)
        if kind == "Flow":
            # A record-triggered Flow the sandbox could not run is refused, not stored
            # silently (adapters.sandbox.salesforce_flows says what it runs).
            unsupported = check_flow(spec, self.field_names)
            if unsupported:
                return ("FIELD_INTEGRITY_EXCEPTION", unsupported)
        if kind == "PermissionSet":
            problem = check_permission_set(self.schema, spec)
            if problem:
                return problem
            self._permission_set_record(full_name, str(spec.get("label") or full_name))
        self.store.execute(
            "INSERT INTO sf_metadata (type, full_name, xml) VALUES (?, ?, ?) "
            "ON CONFLICT(type, full_name) DO UPDATE SET xml = excluded.xml",
            (kind, full_name, xml),
        )
        return None

    def field_names(self, object_name: str) -> set[str]:
        return {spec.name for spec in self.schema.fields(object_name)}

    def read_stored(self, kind: str, full_name: str) -> dict[str, Any] | None:
        """A stored component of a type the org keeps as plain XML, as a dict."""
        row = self.store.query_one(
            "SELECT xml FROM sf_metadata WHERE type = ? AND full_name = ?", (kind, full_name)
        )
        if row is None:
            return None
        return _as_dict(ET.fromstring(str(row["xml"])))  # noqa: S314 - XML the sandbox wrote

    def _permission_set_record(self, name: str, label: str) -> None:
        """Every deployed permission set is also a PermissionSet record, which assignments
        point at (DOC Object Reference, PermissionSet: ``Name`` is its API name)."""
        records = self.backend.records
        obj = self.schema.object("PermissionSet")
        assert obj is not None  # a standard object of every sandbox
        fields = self.schema.field_map("PermissionSet")
        existing = records.find("PermissionSet", "Name", name)
        key = existing[0] if existing else None
        records.upsert(obj, fields["id"], [UpsertInput(key, {"Name": name, "Label": label})])

    def save_field(self, full_name: str, component: ET.Element) -> tuple[str, str] | None:
        object_name, _, field_name = full_name.partition(".")
        if self.schema.object(object_name) is None:
            return (
                "INVALID_CROSS_REFERENCE_KEY",
                f"In field: fullName - no CustomObject named {object_name} found",
            )
        if not field_name.endswith("__c"):
            return ("FIELD_INTEGRITY_EXCEPTION", "Custom field names must end with __c")
        spec = _as_dict(component)
        problem = check_custom_field(self.schema, object_name, field_name, spec)
        if problem:
            return problem
        reference = spec.get("referenceTo")
        if reference and self.schema.object(str(reference)) is None:
            return (
                "FIELD_INTEGRITY_EXCEPTION",
                f"referenceTo value of '{reference}' does not resolve to a valid sObject type",
            )
        element = _plain(component)
        for child in element:
            if child.tag == "fullName":
                child.text = full_name
        self.schema.save_field(
            object_name,
            field_from_metadata(field_name, spec),
            ET.tostring(element, encoding="unicode"),
        )
        return None

    def write(self, operation: str, components: list[ET.Element]) -> str:
        results = []
        for component in components:
            kind = _local(component.get(f"{{{_XSI_NS}}}type", "")).split(":")[-1]
            full_name = str(_as_dict(component).get("fullName", ""))
            exists = self.stored(kind, full_name) is not None
            error: tuple[str, str] | None = None
            if operation == "createMetadata" and exists:
                error = ("DUPLICATE_DEVELOPER_NAME", f"There is already a {kind} named {full_name}")
            elif operation == "updateMetadata" and not exists:
                error = (
                    "INVALID_CROSS_REFERENCE_KEY",
                    f"In field: fullName - no {kind} named {full_name} found",
                )
            else:
                error = self.save(kind, component, creating=not exists)
            created = (not exists) if operation == "upsertMetadata" else None
            results.append(_save_result(full_name, error, created))
        return f"<{operation}Response>{''.join(results)}</{operation}Response>"

    def read_component(self, kind: str, full_name: str) -> str:
        if self.stored(kind, full_name) is None:
            return f'<records xsi:type="{kind}"/>'  # Salesforce answers an empty record
        if kind == "CustomObject":
            xml = (
                self.schema.object_xml(full_name)
                or f"<CustomObject><fullName>{escape(full_name)}</fullName></CustomObject>"
            )
            element = ET.fromstring(xml)  # noqa: S314 - XML the sandbox wrote itself
            for field_name, field_xml in self.schema.field_xml(full_name):
                if field_xml:
                    field_element = ET.fromstring(field_xml)  # noqa: S314 - as above
                    field_element.tag = "fields"
                    for child in field_element:
                        if child.tag == "fullName":
                            child.text = field_name
                    element.append(field_element)
        elif kind == "CustomField":
            object_name, _, field_name = full_name.partition(".")
            xml = dict(self.schema.field_xml(object_name)).get(field_name) or "<x/>"
            element = ET.fromstring(xml)  # noqa: S314 - as above
        else:
            row = self.store.query_one(
                "SELECT xml FROM sf_metadata WHERE type = ? AND full_name = ?", (kind, full_name)
            )
            element = ET.fromstring(str(row["xml"]) if row else "<x/>")  # noqa: S314 - as above
        body = "".join(ET.tostring(child, encoding="unicode") for child in element)
        return f'<records xsi:type="{kind}">{body}</records>'

    def list_components(self, kind: str) -> list[str]:
        if kind == "CustomObject":
            return [obj.name for obj in self.schema.objects() if obj.custom]
        if kind == "CustomField":
            return [
                f"{obj.name}.{spec.name}"
                for obj in self.schema.objects()
                for spec in self.schema.fields(obj.name)
                if spec.custom
            ]
        rows = self.store.query("SELECT full_name FROM sf_metadata WHERE type = ?", (kind,))
        return [str(row["full_name"]) for row in rows]

    def file_properties(self, kind: str, full_name: str) -> str:
        now = iso_salesforce(self.store.clock.now_ms())
        return (
            f"<result><createdById>{USER_ID}</createdById><createdByName>Sandbox</createdByName>"
            f"<createdDate>{now}</createdDate><fileName>{escape(full_name)}</fileName>"
            f"<fullName>{escape(full_name)}</fullName><id>{USER_ID}</id>"
            f"<lastModifiedById>{USER_ID}</lastModifiedById>"
            f"<lastModifiedByName>Sandbox</lastModifiedByName>"
            f"<lastModifiedDate>{now}</lastModifiedDate><type>{escape(kind)}</type></result>"
        )

    def handle(self, operation: str, call: ET.Element) -> str:
        if operation in ("createMetadata", "updateMetadata", "upsertMetadata"):
            components = [c for c in call if _local(c.tag) == "metadata"]
            if len(components) > _MAX_COMPONENTS:
                raise _Fault(
                    "EXCEEDED_ID_LIMIT", f"Cannot submit more than {_MAX_COMPONENTS} components"
                )
            for component in components:
                kind = _local(component.get(f"{{{_XSI_NS}}}type", "")).split(":")[-1]
                _refuse_what_the_schema_refuses(kind, component)
            return self.write(operation, components)
        values = _as_dict(call)
        if operation == "readMetadata":
            names = values.get("fullNames", [])
            names = names if isinstance(names, list) else [names]
            records = "".join(self.read_component(str(values.get("type")), str(n)) for n in names)
            return f"<readMetadataResponse><result>{records}</result></readMetadataResponse>"
        if operation == "deleteMetadata":
            kind = str(values.get("type"))
            if kind in ("CustomObject", "CustomField"):
                raise _Fault("INVALID_TYPE", f"The sandbox cannot delete {kind} components")
            names = values.get("fullNames", [])
            results = []
            for name in names if isinstance(names, list) else [names]:
                self.store.execute(
                    "DELETE FROM sf_metadata WHERE type = ? AND full_name = ?", (kind, str(name))
                )
                results.append(_save_result(str(name), None, None))
            return f"<deleteMetadataResponse>{''.join(results)}</deleteMetadataResponse>"
        if operation == "listMetadata":
            queries = [c for c in call if _local(c.tag) == "queries"]
            results = [
                self.file_properties(kind, name)
                for query in queries
                for kind in [str(_as_dict(query).get("type"))]
                for name in self.list_components(kind)
            ]
            return f"<listMetadataResponse>{''.join(results)}</listMetadataResponse>"
        raise _Fault("INVALID_OPERATION", f"The sandbox does not implement {operation}")

    def metadata(self, version: str, org: str | None = None) -> Response:
        try:
            envelope = ET.fromstring(request.get_data())  # noqa: S314 - loopback test server
        except ET.ParseError:
            return _fault("INVALID_XML", "The request is not well-formed XML")
        session = envelope.find(f".//{{{METADATA_NS}}}SessionHeader/{{{METADATA_NS}}}sessionId")
        state = self.backend.credentials.salesforce_session_state(
            session.text if session is not None else None
        )
        if state != "valid":
            return _fault(
                "INVALID_SESSION_ID",
                "Invalid Session ID found in SessionHeader: Illegal Session",
            )
        body = envelope.find(f"{{{_SOAP_NS}}}Body")
        call = body[0] if body is not None and len(body) else None
        if call is None:
            return _fault("INVALID_XML", "The SOAP body is empty")
        try:
            return _soap(self.handle(_local(call.tag), call))
        except _Fault as fault:
            return _fault(fault.code, fault.message, fault.prefix)


def register_metadata(app: Flask, backend: SalesforceBackend) -> None:
    """Add the Metadata SOAP endpoint (endpoint name ``salesforce.metadata``)."""
    views = _MetadataViews(backend)
    for rule in ("/services/Soap/m/<version>", "/services/Soap/m/<version>/<org>"):
        app.add_url_rule(
            rule, endpoint="salesforce.metadata", view_func=views.metadata, methods=["POST"]
        )


def start_flow_runner(backend: SalesforceBackend, sender: OutboundSender) -> FlowRunner:
    """Run deployed record-triggered Flows after every committed REST/Bulk save."""
    views = _MetadataViews(backend)
    runner = FlowRunner(
        views.read_stored,
        views.list_components,
        views.field_names,
        backend.records.get,
        sender,
        API_VERSION,
    )
    backend.records.save_listeners.append(runner.record_saved)
    return runner
