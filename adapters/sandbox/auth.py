"""The sandbox's credentials: Salesforce session ids, OAuth client, login user; HubSpot tokens.

The first set is created on first start and kept in the store, so a sandbox restarted on
the same file accepts the same session id and token (a quickstart configures them once).
Sessions can be expired on demand (a scripted fault); logging in again issues a new one,
as Salesforce does. Nothing here is ever logged.
"""

from __future__ import annotations

import secrets
import threading
import uuid
from dataclasses import dataclass

from adapters.sandbox.ids import salesforce_id
from adapters.sandbox.store import Store

__all__ = ["HUBSPOT_ACCESS_TOKEN_SECONDS", "Credentials", "HubSpotOAuthApp", "SalesforceLogin"]

# HubSpot OAuth access tokens expire after 30 minutes ("expires_in": 1800 in the token
# answer; HubSpot, "OAuth — Refresh an access token").
HUBSPOT_ACCESS_TOKEN_SECONDS = 1800

ORG_ID = salesforce_id("00D", 1)
USER_ID = salesforce_id("005", 1)


@dataclass(frozen=True)
class SalesforceLogin:
    """The one user and connected app the fake org knows."""

    username: str
    password: str
    security_token: str
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class HubSpotOAuthApp:
    """The one public (OAuth) app the fake portal has installed, and its refresh token."""

    client_id: str
    client_secret: str
    refresh_token: str


class Credentials:
    """Which Salesforce session ids and HubSpot tokens are currently valid."""

    def __init__(self, store: Store) -> None:
        self._lock = threading.Lock()
        self.login = SalesforceLogin(
            username=store.meta("sf.username", lambda: "integration@refnet.sandbox"),
            password=store.meta("sf.password", lambda: secrets.token_urlsafe(12)),
            security_token=store.meta("sf.security_token", lambda: secrets.token_urlsafe(18)),
            client_id=store.meta("sf.client_id", lambda: "3MVG9" + secrets.token_urlsafe(60)),
            client_secret=store.meta("sf.client_secret", lambda: secrets.token_hex(32)),
        )
        self.salesforce_session = store.meta("sf.session_id", self._new_session_id)
        self.hubspot_token = store.meta("hs.token", lambda: f"pat-na1-{uuid.uuid4()}")
        self._sessions = {self.salesforce_session}
        self._tokens = {self.hubspot_token}
        self._expired: set[str] = set()
        self.hubspot_oauth = HubSpotOAuthApp(
            client_id=store.meta("hs.client_id", lambda: str(uuid.uuid4())),
            client_secret=store.meta("hs.client_secret", lambda: str(uuid.uuid4())),
            refresh_token=store.meta("hs.refresh_token", lambda: f"na1-{uuid.uuid4()}"),
        )
        self._clock = store.clock
        self._oauth_expiry: dict[str, float] = {}  # issued access token → expiry (seconds)

    def issue_hubspot_access_token(self) -> tuple[str, int]:
        """A new OAuth access token and its lifetime in seconds, as the token endpoint answers."""
        token = f"CO{secrets.token_urlsafe(48)}"
        with self._lock:
            self._oauth_expiry[token] = self._clock.seconds() + HUBSPOT_ACCESS_TOKEN_SECONDS
            self._tokens.add(token)
        return token, HUBSPOT_ACCESS_TOKEN_SECONDS

    def check_hubspot_refresh(self, client_id: str, client_secret: str, refresh: str) -> bool:
        app = self.hubspot_oauth
        return (
            secrets.compare_digest(client_id, app.client_id)
            & secrets.compare_digest(client_secret, app.client_secret)
            & secrets.compare_digest(refresh, app.refresh_token)
        )

    @staticmethod
    def _new_session_id() -> str:
        # Real session ids are the 15-char org id, "!", then an opaque token.
        return f"{ORG_ID[:15]}!{secrets.token_urlsafe(72)}"

    def issue_salesforce_session(self) -> str:
        """A fresh session id, as a successful login or token request returns."""
        session = self._new_session_id()
        with self._lock:
            self._sessions.add(session)
        return session

    def salesforce_session_state(self, session: str | None) -> str:
        """``valid``, ``expired`` or ``invalid`` for a presented session id."""
        with self._lock:
            if session in self._sessions:
                return "valid"
            return "expired" if session in self._expired else "invalid"

    def hubspot_token_state(self, token: str | None) -> str:
        with self._lock:
            expiry = self._oauth_expiry.get(token or "")
            if expiry is not None and token in self._tokens and self._clock.seconds() >= expiry:
                self._tokens.discard(token or "")
                self._expired.add(token or "")
            if token in self._tokens:
                return "valid"
            return "expired" if token in self._expired else "invalid"

    def expire_all(self) -> None:
        """Every current session id and token stops working (until a new login)."""
        with self._lock:
            self._expired |= self._sessions | self._tokens
            self._sessions.clear()
            self._tokens.clear()

    def restore(self) -> None:
        """Undo :meth:`expire_all` for the initial session id and token."""
        with self._lock:
            self._sessions.add(self.salesforce_session)
            self._tokens.add(self.hubspot_token)
            self._expired -= {self.salesforce_session, self.hubspot_token}

    def check_client(self, client_id: str, client_secret: str) -> bool:
        return secrets.compare_digest(client_id, self.login.client_id) and secrets.compare_digest(
            client_secret, self.login.client_secret
        )

    def check_user(self, username: str, password: str) -> bool:
        """Password check; Salesforce appends the security token to the password."""
        expected = self.login.password + self.login.security_token
        return secrets.compare_digest(username, self.login.username) and (
            secrets.compare_digest(password, expected)
            or secrets.compare_digest(password, self.login.password)
        )
