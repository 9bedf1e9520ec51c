"""Salesforce answers for `responses`: realistic shapes, recorded requests.

The real simple-salesforce client talks HTTP; `responses` intercepts it at the transport.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree as ET

import responses
from pydantic import SecretStr
from requests import PreparedRequest

from connector.settings import SalesforceSettings

INSTANCE = "https://acme.my.salesforce.com"
VERSION = "62.0"
BASE = f"{INSTANCE}/services/data/v{VERSION}/"
LOGIN_URL = f"https://login.salesforce.com/services/Soap/u/{VERSION}"
METADATA_URL = f"{INSTANCE}/services/Soap/m/{VERSION}/"
MD_NS = "http://soap.sforce.com/2006/04/metadata"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"

Callback = Callable[[PreparedRequest], tuple[int, dict[str, str], str]]


def session_settings(**overrides: Any) -> SalesforceSettings:
    values: dict[str, Any] = {
        "session_id": SecretStr("SESSION-TOKEN-0"),
        "instance_url": INSTANCE,
        "api_version": VERSION,
    }
    values.update(overrides)
    return SalesforceSettings(**values)


def password_settings(**overrides: Any) -> SalesforceSettings:
    values: dict[str, Any] = {
        "username": "sync@acme.example",
        "password": SecretStr("hunter2-password"),
        "security_token": SecretStr("TOKEN123"),
        "api_version": VERSION,
    }
    values.update(overrides)
    return SalesforceSettings(**values)


def login_body(session_id: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_NS}" xmlns="urn:partner.soap.sforce.com">'
        "<soapenv:Body><loginResponse><result>"
        f"<serverUrl>{INSTANCE}/services/Soap/u/{VERSION}/00Dxx0000001gPL</serverUrl>"
        f"<sessionId>{session_id}</sessionId>"
        "</result></loginResponse></soapenv:Body></soapenv:Envelope>"
    )


def add_login(rsps: responses.RequestsMock, session_id: str) -> None:
    rsps.add(responses.POST, LOGIN_URL, body=login_body(session_id), status=200)


def error_body(code: str, message: str) -> str:
    return json.dumps([{"message": message, "errorCode": code, "fields": []}])


@dataclass
class Usage:
    """The org's API usage reported in each response's Sforce-Limit-Info header."""

    used: int = 0
    total: int = 100_000

    def header(self) -> dict[str, str]:
        self.used += 1
        return {"Sforce-Limit-Info": f"api-usage={self.used}/{self.total}"}


@dataclass
class Collections:
    """Answers sObject Collections upserts record by record, in request order."""

    usage: Usage = field(default_factory=Usage)
    failures: dict[str, tuple[str, str]] = field(default_factory=dict)  # key → (code, message)
    external_id: str = "Refnet_Id__c"
    requests: list[dict[str, Any]] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)

    def __call__(self, request: PreparedRequest) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body or b"{}")
        self.requests.append(body)
        self.tokens.append(str(request.headers.get("Authorization")))
        results = []
        for number, record in enumerate(body["records"]):
            key = record[self.external_id]
            if key in self.failures:
                code, message = self.failures[key]
                results.append(
                    {
                        "success": False,
                        "errors": [{"statusCode": code, "message": message, "fields": []}],
                    }
                )
            else:
                results.append(
                    {"id": f"a01{number:012d}", "success": True, "errors": [], "created": True}
                )
        return 200, self.usage.header(), json.dumps(results)

    def url(self, obj: str) -> str:
        return f"{BASE}composite/sobjects/{obj}/{self.external_id}"

    def register(self, rsps: responses.RequestsMock, obj: str, times: int = 1) -> None:
        for _ in range(times):
            rsps.add_callback(
                responses.PATCH, self.url(obj), callback=self, content_type="application/json"
            )


@dataclass
class BulkJob:
    """A Bulk 2.0 ingest job that fails the given keys and polls ``polls_in_progress`` times."""

    job_id: str = "750xx0000000001AAA"
    failures: dict[str, str] = field(default_factory=dict)  # key → sf__Error
    polls_in_progress: int = 1
    final_state: str = "JobComplete"
    external_id: str = "Refnet_Id__c"
    usage: Usage = field(default_factory=Usage)
    created: dict[str, Any] = field(default_factory=dict)
    uploaded: list[dict[str, str]] = field(default_factory=list)
    header: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"{BASE}jobs/ingest/{self.job_id}"

    def _json(self, body: dict[str, Any], status: int = 200) -> tuple[int, dict[str, str], str]:
        return status, self.usage.header(), json.dumps(body)

    def create(self, request: PreparedRequest) -> tuple[int, dict[str, str], str]:
        self.created = json.loads(request.body or b"{}")
        return self._json({"id": self.job_id, "state": "Open", "object": self.created["object"]})

    def upload(self, request: PreparedRequest) -> tuple[int, dict[str, str], str]:
        body = request.body if isinstance(request.body, bytes) else str(request.body).encode()
        reader = csv.reader(io.StringIO(body.decode("utf-8")))
        self.header = next(reader)
        self.uploaded = [dict(zip(self.header, row, strict=True)) for row in reader]
        return 201, self.usage.header(), ""

    def close(self, request: PreparedRequest) -> tuple[int, dict[str, str], str]:
        return self._json({"id": self.job_id, "state": json.loads(request.body or b"{}")["state"]})

    def poll(self, state: str) -> Callback:
        def answer(request: PreparedRequest) -> tuple[int, dict[str, str], str]:
            failed = len(self.failures) if state != "InProgress" else 0
            return self._json(
                {
                    "id": self.job_id,
                    "state": state,
                    "numberRecordsProcessed": len(self.uploaded),
                    "numberRecordsFailed": failed,
                    "errorMessage": "InvalidBatch : boom" if state == "Failed" else None,
                }
            )

        return answer

    def _csv(self, first: list[str], rows: Iterable[list[str]]) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([*first, *self.header])
        writer.writerows(rows)
        return buffer.getvalue()

    def successful(self, request: PreparedRequest) -> tuple[int, dict[str, str], str]:
        rows = [
            [f"a01{n:012d}", "true", *row.values()]
            for n, row in enumerate(self.uploaded)
            if row[self.external_id] not in self.failures
        ]
        return 200, self.usage.header(), self._csv(["sf__Id", "sf__Created"], rows)

    def failed(self, request: PreparedRequest) -> tuple[int, dict[str, str], str]:
        rows = [
            ["", self.failures[row[self.external_id]], *row.values()]
            for row in self.uploaded
            if row[self.external_id] in self.failures
        ]
        return 200, self.usage.header(), self._csv(["sf__Id", "sf__Error"], rows)

    def register(self, rsps: responses.RequestsMock, *, results: bool = True) -> None:
        """Register the job's calls in the order the adapter makes them."""
        rsps.add_callback(responses.POST, f"{BASE}jobs/ingest", callback=self.create)
        rsps.add_callback(responses.PUT, f"{self.url}/batches", callback=self.upload)
        rsps.add_callback(responses.PATCH, self.url, callback=self.close)
        for _ in range(self.polls_in_progress):
            rsps.add_callback(responses.GET, self.url, callback=self.poll("InProgress"))
        rsps.add_callback(responses.GET, self.url, callback=self.poll(self.final_state))
        if results:
            rsps.add_callback(
                responses.GET, f"{self.url}/successfulResults/", callback=self.successful
            )
            if self.failures or self.final_state != "JobComplete":
                rsps.add_callback(responses.GET, f"{self.url}/failedResults/", callback=self.failed)


class MetadataOrg:
    """A stateful Metadata API: readMetadata / createMetadata / updateMetadata over SOAP."""

    def __init__(self, refuse: dict[str, tuple[str, str]] | None = None) -> None:
        self.components: dict[tuple[str, str], list[ET.Element]] = {}
        self.calls: list[tuple[str, str, int]] = []  # (operation, type, component count)
        self.refuse = refuse or {}
        self.assignments: list[dict[str, Any]] = []  # PermissionSetAssignment bodies

    def __call__(self, request: PreparedRequest) -> tuple[int, dict[str, str], str]:
        body = request.body if isinstance(request.body, bytes) else str(request.body).encode()
        envelope = ET.fromstring(body)
        operation = next(iter(envelope.find(f"{{{SOAP_NS}}}Body") or []))
        name = operation.tag.rpartition("}")[2]
        if name == "readMetadata":
            return self._read(operation)
        return self._save(name, operation)

    def _type_of(self, element: ET.Element) -> str:
        xsi = "{http://www.w3.org/2001/XMLSchema-instance}type"
        return element.attrib[xsi].rpartition(":")[2]

    def _read(self, operation: ET.Element) -> tuple[int, dict[str, str], str]:
        kind = operation.findtext(f"{{{MD_NS}}}type") or ""
        names = [e.text or "" for e in operation.findall(f"{{{MD_NS}}}fullNames")]
        self.calls.append(("readMetadata", kind, len(names)))
        records = []
        for name in names:
            children = self.components.get((kind, name))
            inner = "".join(ET.tostring(child, encoding="unicode") for child in children or [])
            records.append(f'<records xsi:type="{kind}">{inner}</records>')
        return self._envelope("readMetadataResponse", f"<result>{''.join(records)}</result>")

    def _save(self, name: str, operation: ET.Element) -> tuple[int, dict[str, str], str]:
        items = operation.findall(f"{{{MD_NS}}}metadata")
        kind = self._type_of(items[0]) if items else ""
        self.calls.append((name, kind, len(items)))
        results = []
        for item in items:
            full_name = item.findtext(f"{{{MD_NS}}}fullName") or ""
            if full_name in self.refuse:
                code, message = self.refuse[full_name]
                results.append(
                    f"<result><errors><message>{message}</message><statusCode>{code}</statusCode>"
                    f"</errors><fullName>{full_name}</fullName><success>false</success></result>"
                )
                continue
            exists = (kind, full_name) in self.components
            if (name == "createMetadata") == exists:
                code = "DUPLICATE_DEVELOPER_NAME" if exists else "INVALID_CROSS_REFERENCE_KEY"
                results.append(
                    f"<result><errors><message>nope</message><statusCode>{code}</statusCode>"
                    f"</errors><fullName>{full_name}</fullName><success>false</success></result>"
                )
                continue
            self.components[(kind, full_name)] = list(item)
            results.append(
                f"<result><fullName>{full_name}</fullName><success>true</success></result>"
            )
        return self._envelope(f"{name}Response", "".join(results))

    def _envelope(self, element: str, inner: str) -> tuple[int, dict[str, str], str]:
        text = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<soapenv:Envelope xmlns:soapenv="{SOAP_NS}" xmlns="{MD_NS}" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<soapenv:Body><{element}>{inner}</{element}></soapenv:Body></soapenv:Envelope>"
        )
        return 200, {"Content-Type": "text/xml"}, text

    def register(self, rsps: responses.RequestsMock, *, rest: bool = True) -> None:
        rsps.add_callback(responses.POST, METADATA_URL, callback=self)
        if rest:  # provisioning then assigns the integration permission set over REST
            rsps.add_callback(
                responses.GET,
                f"{INSTANCE}/services/oauth2/userinfo",
                callback=self.userinfo,
                content_type="application/json",
            )
            rsps.add_callback(responses.GET, f"{BASE}query/", callback=self.query)
            rsps.add_callback(
                responses.POST, f"{BASE}sobjects/PermissionSetAssignment/", callback=self.assign
            )
            rsps.add_callback(
                responses.POST, f"{BASE}sobjects/PermissionSetAssignment", callback=self.assign
            )

    USER_ID = "005xx0000000001AAA"
    SET_ID = "0PSxx0000000001AAA"

    def userinfo(self, request: PreparedRequest) -> tuple[int, dict[str, str], str]:
        return 200, {}, json.dumps({"user_id": self.USER_ID})

    def query(self, request: PreparedRequest) -> tuple[int, dict[str, str], str]:
        soql = str(request.url)
        if "PermissionSetAssignment" in soql:
            rows = [{"Id": f"0Pa{i}"} for i, _ in enumerate(self.assignments)]
        elif ("PermissionSet", "Refnet_Integration") in self.components:
            rows = [{"Id": self.SET_ID}]
        else:
            rows = []
        return 200, {}, json.dumps({"totalSize": len(rows), "done": True, "records": rows})

    def assign(self, request: PreparedRequest) -> tuple[int, dict[str, str], str]:
        self.assignments.append(json.loads(request.body or b"{}"))
        return 201, {}, json.dumps({"id": "0Paxx", "success": True, "errors": []})

    def value(self, kind: str, full_name: str, path: str) -> list[str]:
        """Texts at ``path`` (``a/b/c`` in the metadata namespace) inside a stored component."""
        root = ET.Element("component")
        root.extend(self.components[(kind, full_name)])
        steps = "/".join(f"md:{part}" for part in path.split("/"))
        return [e.text or "" for e in root.findall(steps, {"md": MD_NS})]
