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

__all__ = ["Credentials", "SalesforceLogin"]

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
