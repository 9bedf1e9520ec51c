"""OAuth access tokens of a public HubSpot app, refreshed before they expire and on a 401.

HubSpot's OAuth access tokens live 30 minutes (``expires_in`` of the token answer); the
refresh token does not expire until the app is uninstalled (HubSpot, "OAuth — Refresh an
access token"). :class:`OAuthTokens` asks the token endpoint through hubspot-api-client's
``oauth.tokens_api`` for a new access token when none is held, when the held one is within
``margin`` of its expiry, and when HubSpot answered 401 although the clock said the token
was still good (revoked, or clocks apart). A private app's static token needs none of this:
:func:`token_source` returns ``None`` for it.

A refused refresh is a :class:`ConfigError` (re-authorise the app); its message never holds
a token or the SDK's text (which dumps headers and body).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from hubspot import HubSpot
from hubspot.oauth import ApiException as OAuthApiException

from connector.errors import ConfigError, TransientError
from connector.i18n import gettext as _
from connector.settings import HubSpotSettings

__all__ = ["DEFAULT_MARGIN", "OAuthTokens", "token_source"]

DEFAULT_MARGIN = 300.0  # seconds before expiry at which a token is renewed


class OAuthTokens:
    """The current access token of an OAuth app; thread-safe, refreshes lazily."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        host: str,
        clock: Callable[[], float] = time.time,
        margin: float = DEFAULT_MARGIN,
    ) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token
        self._host = host
        self._clock = clock
        self._margin = margin
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        self.refreshes = 0  # how many times the token endpoint was asked (for reports)

    def token(self) -> str:
        """A token good for at least ``margin`` more seconds (refreshed if needed)."""
        with self._lock:
            if self._token is None or self._clock() >= self._expires_at - self._margin:
                self._refresh()
            assert self._token is not None
            return self._token

    def rejected(self, token: str) -> str:
        """HubSpot answered 401 to ``token``: a fresh one (unless another thread got it)."""
        with self._lock:
            if self._token == token or self._token is None:
                self._refresh()
            assert self._token is not None
            return self._token

    def _refresh(self) -> None:
        # A client of its own: the token endpoint takes no bearer token, and no observer
        # (the rate limiter) wraps it, so a refresh inside a request cannot re-enter it.
        client = HubSpot(host=self._host)
        try:
            answer = client.oauth.tokens_api.create(
                grant_type="refresh_token",
                client_id=self._client_id,
                client_secret=self._client_secret,
                refresh_token=self._refresh_token,
            )
        except OAuthApiException as exc:
            status = getattr(exc, "status", 0) or 0
            if status >= 500 or status in (0, 429):
                raise TransientError(
                    _("hubspot: the token endpoint is unavailable (HTTP {status})").format(
                        status=status
                    )
                ) from None
            raise ConfigError(
                _(
                    "hubspot: the refresh token was refused (HTTP {status}); authorise the app "
                    "again and set REFNET_HUBSPOT__REFRESH_TOKEN"
                ).format(status=status)
            ) from None
        self._token = str(answer.access_token)
        self._expires_at = self._clock() + float(answer.expires_in or 0)
        if answer.refresh_token:
            self._refresh_token = str(answer.refresh_token)
        self.refreshes += 1


def token_source(
    settings: HubSpotSettings, *, host: str, clock: Callable[[], float] = time.time
) -> OAuthTokens | None:
    """Refreshing tokens when a refresh token is configured; ``None`` for a static token."""
    if settings.refresh_token is None or not settings.refresh_token.get_secret_value():
        return None
    if not settings.client_id or settings.client_secret is None:
        raise ConfigError(
            _(
                "hubspot: a refresh token needs the app's client id and secret "
                "(REFNET_HUBSPOT__CLIENT_ID, REFNET_HUBSPOT__CLIENT_SECRET)"
            )
        )
    return OAuthTokens(
        client_id=settings.client_id,
        client_secret=settings.client_secret.get_secret_value(),
        refresh_token=settings.refresh_token.get_secret_value(),
        host=host,
        clock=clock,
    )
