"""Build a simple-salesforce client from refnet's settings, whichever login flow they name.

Flows, chosen by which settings are present (first match):

=====================  ======================================================================
session                ``session_id`` + ``instance_url`` (an existing token; never renewed)
JWT bearer             ``username`` + ``consumer_key`` + ``private_key_file``
password (SOAP)        ``username`` + ``password`` + ``security_token``        (legacy)
password (OAuth)       ``username`` + ``password`` + ``consumer_key`` + ``consumer_secret``
                       (legacy)
client credentials     ``consumer_key`` + ``consumer_secret`` + ``domain`` (a My Domain)
=====================  ======================================================================

JWT bearer and client credentials (an External Client App) are the documented paths; the
username-password flows are off by default in new orgs and being retired by Salesforce
(DOC Salesforce Help, "OAuth 2.0 Username-Password Flow for Special Scenarios"), and are
kept only for orgs that still allow them.

Only the chosen flow's arguments reach simple-salesforce, which otherwise picks a flow by its
own precedence. A missing setting is a :class:`~connector.errors.ConfigError` naming the
setting and its environment variable, never a value. A refused login is classified by
:mod:`adapters.salesforce.errors`.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests
from pydantic import SecretStr
from simple_salesforce.api import Salesforce

from adapters.salesforce.errors import classify
from connector.errors import ConfigError
from connector.i18n import gettext as _
from connector.settings import SalesforceSettings

__all__ = ["AuthFlow", "choose_flow", "make_salesforce_client"]


@dataclass(frozen=True)
class AuthFlow:
    name: str
    renewable: bool  # can log in again when the session expires
    kwargs: dict[str, str]


def _setting(name: str) -> str:
    return f"salesforce.{name} (REFNET_SALESFORCE__{name.upper()})"


def _missing(flow: str, names: list[str]) -> ConfigError:
    listed = ", ".join(_setting(name) for name in names)
    return ConfigError(_("salesforce {flow} login needs {listed}").format(flow=flow, listed=listed))


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def _require(flow: str, values: dict[str, str | None]) -> dict[str, str]:
    missing = [name for name, value in values.items() if value is None]
    if missing:
        raise _missing(flow, missing)
    return {name: value for name, value in values.items() if value is not None}


def choose_flow(settings: SalesforceSettings) -> AuthFlow:
    """The login flow the settings describe, with its simple-salesforce arguments."""
    s = settings
    if s.session_id is not None or (s.instance_url and not (s.username or s.consumer_key)):
        found = _require(
            "session", {"session_id": _secret(s.session_id), "instance_url": s.instance_url}
        )
        return AuthFlow("session", False, found)
    if s.private_key_file is not None:
        found = _require(
            "JWT bearer",
            {
                "username": s.username,
                "consumer_key": s.consumer_key,
                "private_key_file": str(s.private_key_file),
            },
        )
        if not s.private_key_file.is_file():
            raise ConfigError(
                _("{setting} does not name a readable file").format(
                    setting=_setting("private_key_file")
                )
            )
        return AuthFlow(
            "JWT bearer",
            True,
            {
                "username": found["username"],
                "consumer_key": found["consumer_key"],
                "privatekey_file": found["private_key_file"],
                "domain": s.domain,
            },
        )
    if s.password is not None or s.security_token is not None:
        if s.security_token is not None or s.consumer_secret is None:
            found = _require(
                "password",
                {
                    "username": s.username,
                    "password": _secret(s.password),
                    "security_token": _secret(s.security_token),
                },
            )
            return AuthFlow("password", True, {**found, "domain": s.domain})
        found = _require(
            "OAuth password",
            {
                "username": s.username,
                "password": _secret(s.password),
                "consumer_key": s.consumer_key,
                "consumer_secret": _secret(s.consumer_secret),
            },
        )
        return AuthFlow("OAuth password", True, {**found, "domain": s.domain})
    if s.consumer_key is not None or s.consumer_secret is not None:
        found = _require(
            "client credentials",
            {"consumer_key": s.consumer_key, "consumer_secret": _secret(s.consumer_secret)},
        )
        if s.domain in ("login", "test"):
            raise ConfigError(
                _(
                    "salesforce client credentials login needs {setting} set to the org's My "
                    "Domain (e.g. 'acme.my'), not 'login' or 'test'"
                ).format(setting=_setting("domain"))
            )
        return AuthFlow("client credentials", True, {**found, "domain": s.domain})
    raise ConfigError(
        _(
            "no salesforce login configured: set username + password + security_token, "
            "username + consumer_key + private_key_file (JWT), consumer_key + consumer_secret + "
            "domain (client credentials), or session_id + instance_url "
            "(REFNET_SALESFORCE__<NAME> variables or the salesforce table of refnet.toml)"
        )
    )


def make_salesforce_client(
    settings: SalesforceSettings, *, session: requests.Session | None = None
) -> Salesforce:
    """A logged-in :class:`Salesforce` client for ``settings``.

    ``session`` is the HTTP transport (tests pass one that ``responses`` intercepts; the
    adapter passes one carrying its budget hook); without it a new one is made with the
    ``verify`` setting applied.
    """
    flow = choose_flow(settings)
    if session is None:
        session = requests.Session()
        session.verify = settings.verify
    version = settings.api_version.removeprefix("v")
    try:
        kw = flow.kwargs
        return Salesforce(
            session=session,
            version=version,
            username=kw.get("username"),
            password=kw.get("password"),
            security_token=kw.get("security_token"),
            session_id=kw.get("session_id"),
            instance_url=kw.get("instance_url"),
            consumer_key=kw.get("consumer_key"),
            consumer_secret=kw.get("consumer_secret"),
            privatekey_file=kw.get("privatekey_file"),
            domain=kw.get("domain"),
        )
    except Exception as exc:
        error = classify(exc, operation=f"login ({flow.name})")
        if error is None:
            raise
        raise error from None
