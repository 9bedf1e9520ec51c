"""The referral form in a real headless Chromium: what a customer sees and what it stores.

The app runs on a loopback WSGI server over a real store; the inbox worker is drained by
the test, so "stored before acknowledged" and "applied once" are both observable.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import BrowserContext, Page
from sqlalchemy import func, select

from connector.inbox.schema import webhook_inbox
from connector.model import Member, Referral, ReferralStatus
from connector.referral_form import ReferralFormSettings, revoke_links, submissions_of
from connector.services import Actor
from connector.store import Store
from tests.webhooks.browser import chromium, serving
from tests.webhooks.referral_form_fixtures import REFERRER, form_app, form_settings, new_link
from webhooks.context import EXTENSION, WebhookContext
from webhooks.referral_form_texts import form_texts

# The browser is German (tests/webhooks/browser.py): the page's words and the stored consent.
TEXTS = form_texts("de")
CONSENT_TEXT = TEXTS["consent"]


@pytest.fixture
def settings() -> ReferralFormSettings:  # overrides the webhook settings fixture by name
    return form_settings()


@pytest.fixture
def app(store: Store, settings: ReferralFormSettings) -> Flask:
    return form_app(store, settings, start_worker=False)


@pytest.fixture
def base_url(app: Flask) -> Iterator[str]:
    with serving(app) as url:
        yield url


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[BrowserContext]:
    with chromium(tmp_path / "chromium-profile") as context:
        yield context


def _drain(app: Flask) -> tuple[int, int]:
    """(done, ignored) of one drain of the inbox."""
    context = app.extensions[EXTENSION]
    assert isinstance(context, WebhookContext)
    result = context.worker.drain()
    return result.done, result.ignored


def _inbox_rows(store: Store) -> int:
    with store.reading() as tx:
        return int(tx.connection.execute(select(func.count()).select_from(webhook_inbox)).scalar())


def _fill(page: Page, *, email: str = "jonas.berg@berg-logistik.example") -> None:
    page.fill("#name", "Jonas Berg")
    page.fill("#company", "Berg Logistik GmbH")
    page.fill("#email", email)
    page.fill("#phone", "+49 711 123456")
    page.fill("#note", "Sucht einen Partner für Antriebstechnik.")
    page.check("#consent")


def test_a_submission_opens_one_referral_from_the_links_member(
    app: Flask, store: Store, settings: ReferralFormSettings, base_url: str, browser: BrowserContext
) -> None:
    link = new_link(store, settings)
    page = browser.new_page()
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text))
    shown = page.goto(link.url(base_url))
    assert shown is not None and shown.status == 200
    assert page.text_content("h1") == TEXTS["title"]
    assert REFERRER.name in (page.text_content(".referrer") or "")
    headers = shown.headers
    assert "'unsafe-inline'" not in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    _fill(page)
    with page.expect_navigation():
        page.click("#submit")
    assert page.text_content("h1") == TEXTS["thanks_title"]
    # Stored before the thank-you page, applied only by the worker.
    assert _inbox_rows(store) == 1
    with store.reading() as tx:
        assert list(tx.find(Referral, referrer_id=REFERRER.id)) == []

    assert _drain(app) == (1, 0)
    assert _drain(app) == (0, 0)  # applied once
    with store.reading() as tx:
        referrals = list(tx.find(Referral, referrer_id=REFERRER.id))
        assert len(referrals) == 1
        referral = referrals[0]
        referred = tx.get(Member, referral.referred_id)
        trail = tx.audit_trail(referral.id)
        stored = submissions_of(tx, REFERRER.id)
    assert referral.status is ReferralStatus.OPEN
    assert referral.circle == REFERRER.circle
    assert referral.note == "Sucht einen Partner für Antriebstechnik."
    assert (referred.name, referred.email, referred.organisation, referred.circle.value) == (
        "Jonas Berg",
        "jonas.berg@berg-logistik.example",
        "Berg Logistik GmbH",
        "prospect",
    )
    assert [(e.field, e.new_value, e.actor) for e in trail] == [("status", "open", "webhook:form")]
    assert trail[0].event_ref is not None and trail[0].event_ref.startswith(f"form:{link.link_id}:")
    assert [(s["phone"], s["consent_text"], s["referral_id"]) for s in stored] == [
        ("+49 711 123456", CONSENT_TEXT, referral.id)
    ]
    # The page needs no inline script or style: Chromium reported no CSP violation.
    assert [v for v in violations if "Content Security Policy" in v] == []


def test_a_known_email_is_not_duplicated_and_a_second_recommendation_adds_no_referral(
    app: Flask, store: Store, settings: ReferralFormSettings, base_url: str, browser: BrowserContext
) -> None:
    known = Member(
        id="mem-pro-1", name="J. Berg", email="Jonas.Berg@berg-logistik.example", circle="prospect"
    )
    with store.transaction() as tx:
        tx.put(known)
    link = new_link(store, settings)
    page = browser.new_page()
    for _ in range(2):  # the person recommends the same contact twice
        page.goto(link.url(base_url))
        _fill(page)
        with page.expect_navigation():
            page.click("#submit")
        assert page.text_content("h1") == TEXTS["thanks_title"]
    # The second opens nothing (an open referral exists): the inbox marks it ignored, with
    # the reason, and its consent is kept all the same.
    assert _drain(app) == (1, 1)
    with store.reading() as tx:
        referrals = list(tx.find(Referral, referrer_id=REFERRER.id))
        assert tx.count(Member) == 2  # the referrer and the known prospect, nobody new
        outcomes = tx.connection.execute(
            select(webhook_inbox.c.outcome).order_by(webhook_inbox.c.id)
        ).scalars()
        assert list(outcomes) == [
            f"referral {referrals[0].id}: opened",
            f"link {link.link_id}: an open referral exists already",
        ]
        assert [s["referred_id"] for s in submissions_of(tx, REFERRER.id)] == [known.id] * 2
    assert [r.referred_id for r in referrals] == [known.id]


def test_a_tampered_link_is_refused(
    store: Store, settings: ReferralFormSettings, base_url: str, browser: BrowserContext
) -> None:
    link = new_link(store, settings)
    # The payload is tampered, not the signature's last character: that character
    # carries two unused padding bits, so swapping "B" for "A" can decode to the
    # same signature and the link stays valid (it did, once, in CI).
    payload, rest = link.token.split(".", 1)
    forged = base64.urlsafe_b64encode(
        json.dumps({"l": link.link_id, "m": "mem-someone-else"}).encode()
    ).rstrip(b"=")
    tampered = f"{forged.decode()}.{rest}"
    assert forged.decode() != payload
    page = browser.new_page()
    shown = page.goto(f"{base_url}/empfehlen/{tampered}")
    assert shown is not None and shown.status == 404
    assert page.text_content("h1") == TEXTS["invalid_title"]
    assert page.locator("form").count() == 0
    assert _inbox_rows(store) == 0


def test_a_revoked_link_is_refused_even_with_the_form_already_open(
    store: Store, settings: ReferralFormSettings, base_url: str, browser: BrowserContext
) -> None:
    link = new_link(store, settings)
    page = browser.new_page()
    page.goto(link.url(base_url))
    _fill(page)
    revoked = revoke_links(
        store, REFERRER.id, reason="Kunde hat gekündigt", actor=Actor("test"), now=link.expires_at
    )
    assert revoked == [link.link_id]
    with page.expect_navigation() as navigation:
        page.click("#submit")
    assert navigation.value is not None and navigation.value.status == 410
    assert page.text_content("h1") == TEXTS["revoked_title"]
    again = page.goto(link.url(base_url))
    assert again is not None and again.status == 410
    assert _inbox_rows(store) == 0


def test_a_form_without_its_csrf_token_is_refused(
    store: Store, settings: ReferralFormSettings, base_url: str, browser: BrowserContext
) -> None:
    link = new_link(store, settings)
    page = browser.new_page()
    page.goto(link.url(base_url))
    _fill(page)
    page.locator("input[name=csrf_token]").evaluate("node => node.remove()")
    with page.expect_navigation() as navigation:
        page.click("#submit")
    assert navigation.value is not None and navigation.value.status == 400
    assert page.text_content("h1") == TEXTS["csrf_title"]
    assert _inbox_rows(store) == 0


def test_a_missing_consent_is_shown_in_german_and_nothing_is_stored(
    store: Store, settings: ReferralFormSettings, base_url: str, browser: BrowserContext
) -> None:
    link = new_link(store, settings)
    page = browser.new_page()
    page.goto(link.url(base_url))
    _fill(page, email="kein-at-zeichen")
    page.uncheck("#consent")
    with page.expect_navigation() as navigation:
        page.click("#submit")
    assert navigation.value is not None and navigation.value.status == 422
    errors = page.locator(".error").all_text_contents()
    assert TEXTS["consent_required"] in errors and TEXTS["email_invalid"] in errors
    assert page.input_value("#name") == "Jonas Berg"  # what was typed is kept
    assert _inbox_rows(store) == 0


class TestRateLimit:
    @pytest.fixture
    def settings(self) -> ReferralFormSettings:
        return form_settings(rate_limit="2 per hour")

    def test_the_third_submission_within_the_window_is_refused(
        self, store: Store, settings: ReferralFormSettings, base_url: str, browser: BrowserContext
    ) -> None:
        link = new_link(store, settings)
        page = browser.new_page()
        statuses = []
        for number in range(3):
            page.goto(link.url(base_url))
            _fill(page, email=f"kontakt{number}@example.org")
            with page.expect_navigation() as navigation:
                page.click("#submit")
            assert navigation.value is not None
            statuses.append(navigation.value.status)
        assert statuses == [200, 200, 429]
        assert page.text_content("h1") == TEXTS["limited_title"]
        assert _inbox_rows(store) == 2


def test_an_english_browser_sees_english_and_its_english_consent_is_stored(
    app: Flask, store: Store, settings: ReferralFormSettings, base_url: str, tmp_path: Path
) -> None:
    english = form_texts("en")
    link = new_link(store, settings)
    with chromium(tmp_path / "english-profile", locale="en-US") as browser:
        page = browser.new_page()
        page.goto(link.url(base_url))
        assert page.get_attribute("html", "lang") == "en"
        assert page.text_content("h1") == "Recommend someone"
        assert page.text_content("label[for=consent]") == english["consent"]
        _fill(page, email="no-at-sign")
        with page.expect_navigation() as navigation:
            page.click("#submit")
        assert navigation.value is not None and navigation.value.status == 422
        assert "Please enter a valid email address." in page.locator(".error").all_text_contents()
        page.fill("#email", "jonas.berg@berg-logistik.example")
        with page.expect_navigation():
            page.click("#submit")
        assert page.text_content("h1") == "Thank you for your recommendation!"
    assert _drain(app) == (1, 0)
    with store.reading() as tx:
        (stored,) = submissions_of(tx, REFERRER.id)
    # The consent stored is the English text the person saw, not the German default.
    assert stored["consent_text"] == english["consent"] != CONSENT_TEXT
    assert stored["consent_text"].startswith("I confirm that the person I recommend agrees")


def test_a_german_browser_sees_the_german_words_of_the_catalog(
    store: Store, settings: ReferralFormSettings, base_url: str, browser: BrowserContext
) -> None:
    link = new_link(store, settings)
    page = browser.new_page()
    page.goto(link.url(base_url))
    assert page.get_attribute("html", "lang") == "de"
    assert page.text_content("h1") == "Jemanden empfehlen"
    assert (page.text_content("label[for=consent]") or "").startswith(
        "Ich bestätige, dass die empfohlene Person damit einverstanden ist"
    )
