"""Every login flow simple-salesforce offers, chosen from the settings; clear config errors."""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import responses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from adapters.salesforce.client import choose_flow, make_salesforce_client
from connector.errors import ConfigError
from connector.settings import SalesforceSettings
from tests.adapters.salesforce.fakes import INSTANCE, LOGIN_URL, VERSION, add_login

TOKEN_URL = "https://login.salesforce.com/services/oauth2/token"
TOKEN_ANSWER = {"access_token": "OAUTH-TOKEN", "instance_url": INSTANCE}


def _key_file(tmp_path: Path) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "server.key"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def test_password_and_token_log_in_over_soap() -> None:
    settings = SalesforceSettings(
        username="sync@acme.example",
        password=SecretStr("pw"),
        security_token=SecretStr("TOK"),
        api_version=VERSION,
    )
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        add_login(rsps, "SESSION-1")
        sf = make_salesforce_client(settings)
        body = rsps.calls[0].request.body

    assert sf.session_id == "SESSION-1"
    assert sf.base_url == f"{INSTANCE}/services/data/v{VERSION}/"
    assert "pwTOK" in str(body)  # SOAP login sends password + token


def test_jwt_bearer_signs_with_the_private_key(tmp_path: Path) -> None:
    settings = SalesforceSettings(
        username="sync@acme.example",
        consumer_key="3MVG9-key",
        private_key_file=_key_file(tmp_path),
        api_version=VERSION,
    )
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add(responses.POST, TOKEN_URL, json=TOKEN_ANSWER)
        sf = make_salesforce_client(settings)
        form = parse_qs(str(rsps.calls[0].request.body))

    assert form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    assert form["assertion"][0].count(".") == 2  # a signed JWT
    assert sf.session_id == "OAUTH-TOKEN"
    assert choose_flow(settings).name == "JWT bearer"


def test_client_credentials_use_basic_auth_against_my_domain() -> None:
    settings = SalesforceSettings(
        consumer_key="ck", consumer_secret=SecretStr("cs"), domain="acme.my", api_version=VERSION
    )
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add(responses.POST, f"{INSTANCE}/services/oauth2/token", json=TOKEN_ANSWER)
        sf = make_salesforce_client(settings)
        auth = rsps.calls[0].request.headers["Authorization"]

    assert auth == "Basic " + base64.b64encode(b"ck:cs").decode()
    assert sf.sf_instance == "acme.my.salesforce.com"


def test_username_password_and_connected_app_use_the_oauth_password_grant() -> None:
    settings = SalesforceSettings(
        username="u@acme.example",
        password=SecretStr("pw"),
        consumer_key="ck",
        consumer_secret=SecretStr("cs"),
        api_version=VERSION,
    )
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add(responses.POST, TOKEN_URL, json=TOKEN_ANSWER)
        sf = make_salesforce_client(settings)
        form = parse_qs(str(rsps.calls[0].request.body))

    assert form["grant_type"] == ["password"]
    assert sf.session_id == "OAUTH-TOKEN"


def test_a_session_id_needs_no_login_and_is_not_renewable() -> None:
    settings = SalesforceSettings(
        session_id=SecretStr("00D!tok"), instance_url=INSTANCE, api_version=VERSION
    )
    with responses.RequestsMock(assert_all_requests_are_fired=True):
        sf = make_salesforce_client(settings)

    assert sf.session_id == "00D!tok"
    assert sf.sf_instance == "acme.my.salesforce.com"
    assert choose_flow(settings).renewable is False


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({}, "no salesforce login configured"),
        ({"password": "hunter2-secret"}, "salesforce.username (REFNET_SALESFORCE__USERNAME)"),
        ({"username": "u", "password": "hunter2-secret"}, "salesforce.security_token"),
        ({"session_id": "hunter2-secret"}, "salesforce.instance_url"),
        ({"consumer_secret": "hunter2-secret"}, "salesforce.consumer_key"),
        ({"consumer_key": "ck", "consumer_secret": "hunter2-secret"}, "salesforce.domain"),
        (
            {"username": "u", "consumer_key": "ck", "private_key_file": "/nope.key"},
            "salesforce.private_key_file",
        ),
    ],
)
def test_missing_settings_are_named_and_secrets_never_shown(
    values: dict[str, str], named: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        make_salesforce_client(SalesforceSettings.model_validate(values))
    assert named in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_a_refused_login_is_a_config_error_with_the_code_only() -> None:
    settings = SalesforceSettings(
        username="u@acme.example",
        password=SecretStr("hunter2-secret"),
        security_token=SecretStr("TOK"),
        api_version=VERSION,
    )
    fault = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:sf="urn:fault.partner.soap.sforce.com"><soapenv:Body><soapenv:Fault>'
        "<faultcode>INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: Invalid username, "
        "password, security token; or user locked out.</faultstring><detail><sf:LoginFault>"
        "<sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode><sf:exceptionMessage>Invalid "
        "username, password, security token; or user locked out.</sf:exceptionMessage>"
        "</sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    )
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add(responses.POST, LOGIN_URL, body=fault, status=500)
        with pytest.raises(ConfigError) as caught:
            make_salesforce_client(settings)

    assert "INVALID_LOGIN" in str(caught.value)
    assert "hunter2" not in str(caught.value)
