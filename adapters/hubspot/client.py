"""Build hubspot-api-client from refnet's settings, with one choke point for every request.

Two things the SDK does by default that refnet does not want:

* **retries in urllib3.** ``HubSpot(retry=…)`` becomes ``Configuration.retries`` and then
  the ``retries`` of each urllib3 ``PoolManager``; left at ``None``, urllib3's own default
  (three retries of connection and read errors) applies. refnet retries in exactly one
  place (:mod:`adapters.hubspot.retry`), so the factory passes ``Retry(total=0)``: one
  attempt per request, and a transport failure surfaces at once as ``MaxRetryError``.
* **a new API client per property access.** ``client.crm.objects.batch_api`` builds a fresh
  ``Configuration``, ``ApiClient`` and connection pool each time; :class:`HubSpotApis`
  builds each API once.

The SDK's ``api_factory=`` hook builds every sub-API through :func:`_observed_factory`,
which wraps the REST client's ``request``: an :class:`Observer` (the rate limiter) runs
before each request and sees the headers of each answer, failures included. The token is
read from :class:`~pydantic.SecretStr` only here and never logged.

With a refresh token configured (a public OAuth app), the same wrapper puts the current
access token of :class:`~adapters.hubspot.tokens.OAuthTokens` on every request (refreshed
before it expires) and, when HubSpot answers 401, sends the request once more with a fresh
token: renewing authentication, not retrying a failure, so the retry layer never sees it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Any, Protocol

from hubspot import HubSpot
from hubspot.discovery.discovery_base import DiscoveryBase
from urllib3.util.retry import Retry

from adapters.hubspot.tokens import OAuthTokens, token_source
from connector.errors import ConfigError
from connector.i18n import gettext as _
from connector.settings import HubSpotSettings

__all__ = ["HubSpotApis", "Observer", "make_hubspot_client", "no_urllib3_retries"]


class Observer(Protocol):
    """Sees every HTTP request the SDK makes: before it is sent and the answer's headers."""

    def before_request(self) -> None: ...

    def after_response(self, headers: Mapping[str, str] | None) -> None: ...


def no_urllib3_retries() -> Retry:
    """One attempt per request: the tenacity layer is the only one that retries."""
    return Retry(total=0, redirect=0, raise_on_redirect=True, raise_on_status=False)


def _authorized(kwargs: dict[str, Any], token: str) -> dict[str, Any]:
    headers = dict(kwargs.get("headers") or {})
    headers["Authorization"] = f"Bearer {token}"
    return {**kwargs, "headers": headers}


def _observed_factory(
    observer: Observer | None, tokens: OAuthTokens | None = None
) -> Callable[[Any, str, dict[str, Any]], Any]:
    def factory(package: Any, api_name: str, config: dict[str, Any]) -> Any:
        api = DiscoveryBase._default_api_factory(package, api_name, config)
        if observer is None and tokens is None:
            return api
        rest = api.api_client.rest_client
        send = rest.request

        def observed(*args: Any, **kwargs: Any) -> Any:
            if observer is not None:
                observer.before_request()
            try:
                response = send(*args, **kwargs)
            except Exception as exc:
                # ApiException carries the answer's headers; transport errors have none.
                if observer is not None:
                    observer.after_response(getattr(exc, "headers", None))
                raise
            if observer is not None:
                observer.after_response(response.getheaders())
            return response

        def request(*args: Any, **kwargs: Any) -> Any:
            if tokens is None:
                return observed(*args, **kwargs)
            token = tokens.token()
            try:
                return observed(*args, **_authorized(kwargs, token))
            except Exception as exc:
                if getattr(exc, "status", None) != 401:
                    raise
            return observed(*args, **_authorized(kwargs, tokens.rejected(token)))

        # GET/POST/... of the REST client call self.request: an instance attribute wins.
        rest.request = request
        return api

    return factory


def make_hubspot_client(
    settings: HubSpotSettings,
    *,
    host: str | None = None,
    observer: Observer | None = None,
    tokens: OAuthTokens | None = None,
) -> HubSpot:
    """A :class:`HubSpot` client for ``settings``: a static token, or refreshed OAuth tokens.

    ``host`` overrides ``settings.host`` (tests and the sandbox pass the loopback URL);
    ``observer`` sees every request of every sub-API (the adapter passes its rate limiter);
    ``tokens`` are the OAuth tokens to use (by default built from ``settings`` when they
    hold a refresh token).
    """
    base = (host or settings.host).rstrip("/")
    tokens = tokens if tokens is not None else token_source(settings, host=base)
    if tokens is None and (
        settings.access_token is None or not settings.access_token.get_secret_value()
    ):
        raise ConfigError(
            _(
                "no hubspot access token configured: set hubspot.access_token "
                "(REFNET_HUBSPOT__ACCESS_TOKEN, a private app's static token), or a public app's "
                "client_id, client_secret and refresh_token (REFNET_HUBSPOT__REFRESH_TOKEN)"
            )
        )
    return HubSpot(
        # With OAuth the wrapper sets the current token on every request; the SDK's own
        # copy only has to be present.
        access_token=tokens.token() if tokens is not None else _static(settings),
        host=base,
        retry=no_urllib3_retries(),
        api_factory=_observed_factory(observer, tokens),
    )


def _static(settings: HubSpotSettings) -> str:
    assert settings.access_token is not None
    return settings.access_token.get_secret_value()


class HubSpotApis:
    """The sub-APIs refnet uses, each built once (each owns a connection pool)."""

    def __init__(self, client: HubSpot) -> None:
        self.client = client

    @cached_property
    def objects_batch(self) -> Any:
        return self.client.crm.objects.batch_api

    @cached_property
    def objects_search(self) -> Any:
        return self.client.crm.objects.search_api

    @cached_property
    def schemas(self) -> Any:
        return self.client.crm.schemas.core_api

    @cached_property
    def properties(self) -> Any:
        return self.client.crm.properties.core_api

    @cached_property
    def properties_batch(self) -> Any:
        return self.client.crm.properties.batch_api

    @cached_property
    def property_groups(self) -> Any:
        return self.client.crm.properties.groups_api

    @cached_property
    def pipelines(self) -> Any:
        return self.client.crm.pipelines.pipelines_api

    @cached_property
    def pipeline_stages(self) -> Any:
        return self.client.crm.pipelines.pipeline_stages_api

    @cached_property
    def association_labels(self) -> Any:
        return self.client.crm.associations.v4.schema.definitions_api

    @cached_property
    def associations(self) -> Any:
        return self.client.crm.associations.v4.batch_api
