"""Per-member referral links: signed with itsdangerous, recorded in the store, revocable.

A link is ``<base>/empfehlen/<token>``; the token is an itsdangerous ``URLSafeTimedSerializer``
dump of the link id and the member id, so a changed character fails the signature and the
issue time is signed too. The signature alone cannot be taken back, so every issued link is
a row of ``referral_links``: revoking sets ``revoked_at`` and the service refuses the link
from then on. Issuing and revoking are audited like every other manual change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from itsdangerous import BadData, URLSafeTimedSerializer
from pydantic import SecretStr
from sqlalchemy import insert, select, update

from connector.errors import InputError
from connector.i18n import gettext as _
from connector.model import Circle, Member, new_id
from connector.referral_form.schema import referral_links
from connector.rules import StageChange
from connector.services import Actor
from connector.store import Store, Tx

__all__ = [
    "FORM_PATH",
    "LINK_CIRCLES",
    "IssuedLink",
    "LinkClaims",
    "LinkSigner",
    "LinkVerdict",
    "check_link",
    "issue_link",
    "revoke_links",
]

FORM_PATH = "/empfehlen"
# Who recommends through the form (the articles' customers and network partners); employees
# and prospects give referrals in the CRM.
LINK_CIRCLES = frozenset({Circle.CUSTOMER, Circle.PARTNER})
# Separates these signatures from every other use of the same secret (the CSRF tokens).
_SALT = "refnet.referral-form.link.v1"

LinkVerdict = Literal["valid", "tampered", "expired", "revoked"]


@dataclass(frozen=True)
class LinkClaims:
    """What a verified token says: which link, whose, issued when."""

    link_id: str
    member_id: str
    issued_at: datetime


@dataclass(frozen=True)
class IssuedLink:
    link_id: str
    member_id: str
    token: str
    expires_at: datetime

    def url(self, base_url: str) -> str:
        return f"{base_url.rstrip('/')}{FORM_PATH}/{self.token}"


class LinkSigner:
    """Signs and reads link tokens; the secret never leaves this object."""

    def __init__(self, secret: SecretStr, *, max_age: timedelta) -> None:
        self._serializer = URLSafeTimedSerializer(secret.get_secret_value(), salt=_SALT)
        self.max_age = max_age

    def sign(self, link_id: str, member_id: str) -> str:
        return self._serializer.dumps({"l": link_id, "m": member_id})

    def read(self, token: str) -> LinkClaims | None:
        """The claims of a token whose signature holds, else None (tampered or not ours)."""
        try:
            payload, signed_at = self._serializer.loads(token, return_timestamp=True)
        except BadData:
            return None
        if not isinstance(payload, dict):
            return None
        link_id, member_id = payload.get("l"), payload.get("m")
        if not isinstance(link_id, str) or not isinstance(member_id, str):
            return None
        return LinkClaims(link_id, member_id, signed_at.astimezone(UTC))

    def expired(self, claims: LinkClaims, now: datetime) -> bool:
        # Compared here, not by itsdangerous' max_age, so the clock can be injected.
        return now - claims.issued_at > self.max_age


def issue_link(store: Store, signer: LinkSigner, member_id: str, *, actor: Actor) -> IssuedLink:
    """Issue and record a new link for ``member_id`` (NotFoundError if there is none)."""
    link_id = new_id("lnk")
    token = signer.sign(link_id, member_id)
    claims = signer.read(token)
    assert claims is not None  # just signed with the same key
    expires_at = claims.issued_at + signer.max_age
    with store.transaction() as tx:
        member = tx.get(Member, member_id)
        if member.circle not in LINK_CIRCLES:
            raise InputError(
                _(
                    "member '{id}': circle is {circle}; referral form links "
                    "are for customers and partners"
                ).format(id=member_id, circle=member.circle.value)
            )
        tx.connection.execute(
            insert(referral_links).values(
                id=link_id, member_id=member_id, issued_at=claims.issued_at, expires_at=expires_at
            )
        )
        tx.audit(
            StageChange(
                "member", member_id, "referral_link", None, link_id, "referral form link issued"
            ),
            actor=actor.name,
        )
    return IssuedLink(link_id, member_id, token, expires_at)


def revoke_links(
    store: Store, member_id: str, *, reason: str, actor: Actor, now: datetime
) -> list[str]:
    """Revoke every active link of ``member_id``; returns the ids revoked (audited each)."""
    with store.transaction() as tx:
        tx.get(Member, member_id)
        active = list(
            tx.connection.execute(
                select(referral_links.c.id)
                .where(
                    referral_links.c.member_id == member_id, referral_links.c.revoked_at.is_(None)
                )
                .order_by(referral_links.c.issued_at)
            ).scalars()
        )
        if active:
            tx.connection.execute(
                update(referral_links)
                .where(referral_links.c.id.in_(active))
                .values(revoked_at=now, revoked_reason=reason)
            )
        for link_id in active:
            tx.audit(
                StageChange(
                    "member", member_id, "referral_link", link_id, "revoked", f"revoked: {reason}"
                ),
                actor=actor.name,
            )
    return active


def check_link(
    tx: Tx, signer: LinkSigner, token: str, now: datetime
) -> tuple[LinkVerdict, LinkClaims | None]:
    """Whether a token opens the form: signature, age, then the revocation list.

    A token with a valid signature but no row (issued by a store since reset) counts as
    revoked: only recorded links can be taken back, so only recorded links are honoured.
    """
    claims = signer.read(token)
    if claims is None:
        return "tampered", None
    if signer.expired(claims, now):
        return "expired", claims
    row = tx.connection.execute(
        select(referral_links.c.member_id, referral_links.c.revoked_at).where(
            referral_links.c.id == claims.link_id
        )
    ).first()
    if row is None or row.revoked_at is not None or row.member_id != claims.member_id:
        return "revoked", claims
    if tx.maybe(Member, claims.member_id) is None:
        return "revoked", claims
    return "valid", claims
