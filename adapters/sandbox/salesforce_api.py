"""The fake Salesforce as a WSGI app: auth, the request pipeline and the REST/Bulk/SOAP parts.

Every request is counted under its endpoint name (``salesforce.<name>``), may be answered
by a scripted fault, must carry a valid session (``Authorization: Bearer <session id>``,
except the versions list, the token endpoint and the SOAP endpoints, which check their own
credentials), and counts against the org's daily API allocation, reported in the
``Sforce-Limit-Info: api-usage=N/M`` header of every REST answer.

Logins: ``POST /services/oauth2/token`` (grant types ``client_credentials`` with HTTP
Basic or form credentials, and ``password``) and the SOAP ``login`` call at
``/services/Soap/u/<version>``. simple-salesforce builds both URLs as
``https://{domain}.salesforce.com/...``; :func:`login_domain` gives a ``domain`` value
that points it here instead (see its docstring).
"""

from __future__ import annotations

import base64
import binascii
import time
import xml.etree.ElementTree as ET  # expat >= 2.4.1 refuses entity expansion attacks
from xml.sax.saxutils import escape

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from adapters.sandbox.auth import ORG_ID, USER_ID
from adapters.sandbox.disruptions import NETWORK_FAULTS, disrupt
from adapters.sandbox.faults import RequestRecord, ScriptedFault
from adapters.sandbox.salesforce_backend import (
    LATEST_VERSIONS,
    SalesforceBackend,
    sf_error,
    sf_json,
    version_ok,
)
from adapters.sandbox.salesforce_bulk import register_bulk
from adapters.sandbox.salesforce_metadata import register_metadata
from adapters.sandbox.salesforce_rest import register_rest

__all__ = ["create_salesforce_app", "login_domain"]

# Endpoints that do not take the REST bearer session (they authenticate otherwise or not at all).
_OPEN_ENDPOINTS = {
    "salesforce.versions",
    "salesforce.oauth_token",
    "salesforce.soap_login",
    "salesforce.metadata",
}
_FAULT_CODES = {500: "UNKNOWN_EXCEPTION", 502: "SERVER_UNAVAILABLE", 503: "SERVER_UNAVAILABLE"}
_PARTNER_NS = "urn:partner.soap.sforce.com"


def login_domain(base_url: str, path: str = "/services/oauth2/token") -> str:
    """A ``domain=`` value that makes simple-salesforce's login requests reach the sandbox.

    simple-salesforce builds ``https://{domain}.salesforce.com/services/oauth2/token``
    (client credentials, password grant) and ``.../services/Soap/u/{v}`` (SOAP login). A
    domain of ``127.0.0.1:PORT/services/oauth2/token?`` turns the rest of that URL into a
    harmless query string, so the request lands on this server's endpoint. The token answer
    then names the sandbox as ``instance_url``. For the SOAP login pass
    ``path="/services/Soap/u/62.0"``.
    """
    host = base_url.split("://", 1)[-1].rstrip("/")
    return f"{host}{path}?sandbox="


def _fault_response(fault: ScriptedFault) -> Response:
    if fault.kind == "salesforce_request_limit":
        return sf_error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
    code = _FAULT_CODES.get(fault.status, "UNKNOWN_EXCEPTION")
    response = sf_error(fault.status, code, f"Sandbox fault: HTTP {fault.status}")
    if fault.retry_after is not None:
        response.headers["Retry-After"] = str(fault.retry_after)
    return response


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() in ("bearer", "oauth") and token else None


class _AppViews:
    """The request pipeline (before/after hooks, errors) and the login endpoints."""

    def __init__(self, backend: SalesforceBackend) -> None:
        self.backend = backend

    def pipeline(self) -> Response | None:
        endpoint = request.endpoint or "salesforce.unknown"
        g.record = self.backend.faults.record_request(endpoint, request.method, request.path)
        fault = self.backend.faults.take_scripted(endpoint)
        if fault is not None and fault.kind in NETWORK_FAULTS:
            if disrupt(fault):
                return Response(status=500)  # the connection is gone; nobody reads this
            fault = None
        if fault is not None and fault.kind == "late":
            g.answer_delay = fault.delay  # served now, answered in finish()
            fault = None
        if fault is not None:
            return _fault_response(fault)
        version = (request.view_args or {}).get("version")
        if version is not None and not version_ok(str(version)):
            return sf_error(404, "NOT_FOUND", "The requested resource does not exist")
        if endpoint in _OPEN_ENDPOINTS or request.endpoint is None:
            return None
        if self.backend.credentials.salesforce_session_state(_bearer()) != "valid":
            return sf_error(401, "INVALID_SESSION_ID", "Session expired or invalid")
        if not self.backend.faults.admit_salesforce():
            return sf_error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
        return None

    def finish(self, response: Response) -> Response:
        record: RequestRecord | None = g.get("record")
        if record is not None:
            record.status = response.status_code
        if request.path.startswith("/services/data/v"):
            used, total = self.backend.faults.salesforce_usage()
            response.headers["Sforce-Limit-Info"] = f"api-usage={used}/{total}"
        delay = g.get("answer_delay")
        if delay:
            time.sleep(float(delay))  # the change is made; the answer comes too late
        return response

    def http_error(self, error: HTTPException) -> Response:
        """Routing errors and unexpected failures, in Salesforce's error-array shape."""
        code = error.code or 500
        if code == 404:
            return sf_error(404, "NOT_FOUND", "The requested resource does not exist")
        if code == 405:
            return sf_error(
                405, "METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not allowed."
            )
        if code >= 500:
            return sf_error(code, "UNKNOWN_EXCEPTION", "An unexpected error occurred (sandbox)")
        return sf_error(code, "INVALID_REQUEST", error.description or "Invalid request")

    def versions(self) -> Response:
        return sf_json(
            [
                {"label": label, "url": f"/services/data/v{version}", "version": version}
                for label, version in LATEST_VERSIONS
            ]
        )

    def oauth_token(self) -> Response:
        grant = request.form.get("grant_type", "")
        client_id = request.form.get("client_id", "")
        client_secret = request.form.get("client_secret", "")
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                client_id, _, client_secret = base64.b64decode(encoded).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                client_id = client_secret = ""
        if grant not in ("client_credentials", "password"):
            return sf_json(
                {
                    "error": "unsupported_grant_type",
                    "error_description": "grant type not supported",
                },
                400,
            )
        if not self.backend.credentials.check_client(client_id, client_secret):
            return sf_json(
                {"error": "invalid_client", "error_description": "invalid client credentials"},
                400,
            )
        if grant == "password" and not self.backend.credentials.check_user(
            request.form.get("username", ""), request.form.get("password", "")
        ):
            return sf_json(
                {"error": "invalid_grant", "error_description": "authentication failure"}, 400
            )
        instance = request.host_url.rstrip("/")
        return sf_json(
            {
                "access_token": self.backend.credentials.issue_salesforce_session(),
                "instance_url": instance,
                "id": f"{instance}/id/{ORG_ID}/{USER_ID}",
                "token_type": "Bearer",
                "issued_at": str(self.backend.store.clock.now_ms()),
                "signature": base64.b64encode(b"sandbox-signature").decode(),
            }
        )

    def userinfo(self) -> Response:
        """The OAuth UserInfo endpoint (DOC Salesforce Help, "UserInfo Endpoint"): who the
        session belongs to; the pipeline has already checked the bearer session."""
        return sf_json(
            {
                "sub": f"{request.host_url.rstrip('/')}/id/{ORG_ID}/{USER_ID}",
                "user_id": USER_ID,
                "organization_id": ORG_ID,
                "preferred_username": self.backend.credentials.login.username,
                "active": True,
            }
        )

    def soap_login(self, version: str) -> Response:
        try:
            envelope = ET.fromstring(request.get_data())  # noqa: S314 - loopback test server
        except ET.ParseError:
            envelope = ET.Element("invalid")
        username = envelope.findtext(f".//{{{_PARTNER_NS}}}username") or ""
        password = envelope.findtext(f".//{{{_PARTNER_NS}}}password") or ""
        soap = "http://schemas.xmlsoap.org/soap/envelope/"
        if not self.backend.credentials.check_user(username, password):
            message = "Invalid username, password, security token; or user locked out."
            body = (
                f'<soapenv:Envelope xmlns:soapenv="{soap}" '
                'xmlns:sf="urn:fault.partner.soap.sforce.com" '
                'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>'
                "<soapenv:Fault><faultcode>INVALID_LOGIN</faultcode>"
                f"<faultstring>INVALID_LOGIN: {message}</faultstring><detail>"
                '<sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>INVALID_LOGIN'
                f"</sf:exceptionCode><sf:exceptionMessage>{message}</sf:exceptionMessage>"
                "</sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"
            )
            return Response(body, status=500, mimetype="text/xml")
        instance = request.host_url.rstrip("/")
        session = self.backend.credentials.issue_salesforce_session()
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{soap}" '
            f'xmlns="{_PARTNER_NS}"><soapenv:Body><loginResponse><result>'
            f"<metadataServerUrl>{instance}/services/Soap/m/{version}/{ORG_ID[:15]}"
            "</metadataServerUrl><passwordExpired>false</passwordExpired><sandbox>true</sandbox>"
            f"<serverUrl>{instance}/services/Soap/u/{version}/{ORG_ID[:15]}</serverUrl>"
            f"<sessionId>{escape(session)}</sessionId><userId>{USER_ID}</userId>"
            "</result></loginResponse></soapenv:Body></soapenv:Envelope>"
        )
        return Response(body, status=200, mimetype="text/xml")


def create_salesforce_app(backend: SalesforceBackend) -> Flask:
    """The fake Salesforce: REST (``/services/data``), Bulk 2.0, Metadata SOAP and logins."""
    app = Flask("refnet_sandbox_salesforce")
    # simple-salesforce mixes "query/" and "describe" (no slash); answer both, never redirect.
    app.url_map.strict_slashes = False
    register_rest(app, backend)
    register_bulk(app, backend)
    register_metadata(app, backend)
    views = _AppViews(backend)
    app.before_request(views.pipeline)
    app.after_request(views.finish)
    app.register_error_handler(HTTPException, views.http_error)
    app.add_url_rule("/services/data", "salesforce.versions", views.versions, methods=["GET"])
    app.add_url_rule(
        "/services/oauth2/token", "salesforce.oauth_token", views.oauth_token, methods=["POST"]
    )
    app.add_url_rule(
        "/services/Soap/u/<version>", "salesforce.soap_login", views.soap_login, methods=["POST"]
    )
    app.add_url_rule(
        "/services/oauth2/userinfo", "salesforce.userinfo", views.userinfo, methods=["GET"]
    )
    return app
