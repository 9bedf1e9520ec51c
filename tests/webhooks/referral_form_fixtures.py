"""Shared set-up of the referral form tests: a member, a link, the app with the form on."""

from __future__ import annotations

from typing import Any

from flask import Flask
from pydantic import SecretStr

from connector.model import Member
from connector.referral_form import IssuedLink, LinkSigner, ReferralFormSettings, issue_link
from connector.rules import RulesConfig
from connector.services import Actor
from connector.store import Store
from tests.webhooks.conftest import make_settings
from webhooks import create_app

FORM_SECRET = "form-secret-for-tests-0123456789abcdef"
REFERRER = Member(id="mem-cus-7", name="Eva Ott", email="eva.ott@wagner.example", circle="customer")


def form_settings(**overrides: Any) -> ReferralFormSettings:
    values: dict[str, Any] = {
        "secret": SecretStr(FORM_SECRET),
        "cookie_secure": False,  # the tests speak plain HTTP on loopback
        "rate_limit": "100 per hour",
    }
    values.update(overrides)
    return ReferralFormSettings(**values)


def form_app(store: Store, settings: ReferralFormSettings, **kwargs: Any) -> Flask:
    app = create_app(
        make_settings(), store=store, rules=RulesConfig(), form_settings=settings, **kwargs
    )
    return app


def new_link(store: Store, settings: ReferralFormSettings, member: Member = REFERRER) -> IssuedLink:
    with store.transaction() as tx:
        if tx.maybe(Member, member.id) is None:
            tx.put(member)
    secret = settings.require_secret()
    signer = LinkSigner(secret, max_age=settings.link_max_age)
    return issue_link(store, signer, member.id, actor=Actor("test"))
