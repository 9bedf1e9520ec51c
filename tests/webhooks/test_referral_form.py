"""The referral form over the Flask test client: what a browser test cannot pin down.

Redelivery of one form, media types, headers on every answer, expiry by the injected
clock, a rate limit shared by two app instances (two gunicorn workers) on one store, the
store-backed counters themselves, and a link token never reaching a log line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from pydantic import SecretStr
from sqlalchemy import func, select

from connector.errors import ConfigError
from connector.inbox.schema import webhook_inbox
from connector.referral_form import (
    IssuedLink,
    LinkSigner,
    ReferralFormSettings,
    load_referral_form_settings,
)
from connector.store import Store
from tests.webhooks.conftest import Clock
from tests.webhooks.referral_form_fixtures import FORM_SECRET, form_app, form_settings, new_link
from tests.webhooks.test_startup_exit_codes import closed_port, run
from webhooks.logs import redact_path
from webhooks.rate_limit import StoreRateLimitStorage
from webhooks.referral_form import SECURITY_HEADERS

_HIDDEN = re.compile(r'name="(csrf_token|submission)" type="hidden" value="([^"]+)"')


def _hidden_fields(html: str) -> dict[str, str]:
    found = dict(_HIDDEN.findall(html))
    assert set(found) == {"csrf_token", "submission"}, html
    return found


def _form_data(hidden: dict[str, str], **overrides: str) -> dict[str, str]:
    return {
        **hidden,
        "name": "Jonas Berg",
        "email": "jonas.berg@berg-logistik.example",
        "consent": "y",
        **overrides,
    }


def _inbox_rows(store: Store) -> int:
    with store.reading() as tx:
        return int(tx.connection.execute(select(func.count()).select_from(webhook_inbox)).scalar())


@dataclass
class Served:
    client: FlaskClient
    link: IssuedLink
    path: str


@pytest.fixture
def served(store: Store) -> Served:
    settings = form_settings()
    app = form_app(store, settings, start_worker=False)
    link = new_link(store, settings)
    return Served(app.test_client(), link, f"/empfehlen/{link.token}")


def test_the_same_form_sent_twice_is_one_inbox_event(served: Served, store: Store) -> None:
    page = served.client.get(served.path)
    assert page.status_code == 200
    data = _form_data(_hidden_fields(page.text))
    first = served.client.post(served.path, data=data)
    second = served.client.post(served.path, data=data)  # a double click
    assert (first.status_code, second.status_code) == (200, 200)
    assert _inbox_rows(store) == 1


def test_over_https_the_form_works_without_a_referer(store: Store) -> None:
    """The page sends no Referer (the path holds the token); Flask-WTF's form check needs
    none, and the Secure session cookie carries the CSRF token's other half."""
    settings = form_settings(cookie_secure=True)
    link = new_link(store, settings)
    base = "https://hooks.example.com"
    client = form_app(store, settings, start_worker=False).test_client()
    path = f"/empfehlen/{link.token}"
    page = client.get(path, base_url=base)
    assert "Secure" in page.headers["Set-Cookie"]
    answer = client.post(path, base_url=base, data=_form_data(_hidden_fields(page.text)))
    assert answer.status_code == 200 and "Vielen Dank" in answer.text
    assert _inbox_rows(store) == 1


@pytest.mark.parametrize(
    ("content_type", "body"),
    [("application/json", b'{"name": "x"}'), ("text/plain", b"name=x")],
)
def test_a_body_that_is_no_form_is_refused_with_415(
    served: Served, store: Store, content_type: str, body: bytes
) -> None:
    answer = served.client.post(served.path, data=body, headers={"Content-Type": content_type})
    assert answer.status_code == 415
    assert "application/x-www-form-urlencoded" in answer.get_json()["reason"]
    assert _inbox_rows(store) == 0


def test_every_answer_of_the_form_carries_the_security_headers(served: Served) -> None:
    answers = [
        served.client.get(served.path),  # the form
        served.client.get("/empfehlen/not-a-token"),  # refused link
        served.client.post(served.path, data={"name": "x"}),  # no CSRF token
        served.client.get("/static/referral-form/form.css"),
    ]
    assert [a.status_code for a in answers] == [200, 404, 400, 200]
    for answer in answers:
        for name, value in SECURITY_HEADERS.items():
            assert answer.headers[name] == value
    policy = SECURITY_HEADERS["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "script-src" not in policy  # no script at all
    assert "frame-ancestors 'none'" in policy


def test_a_link_older_than_its_max_age_is_refused_as_expired(store: Store) -> None:
    settings = form_settings(link_max_age=timedelta(days=30))
    link = new_link(store, settings)
    clock = Clock(link.expires_at - timedelta(seconds=1))
    client = form_app(store, settings, start_worker=False, clock=clock).test_client()
    assert client.get(f"/empfehlen/{link.token}").status_code == 200
    clock.advance(seconds=2)
    expired = client.get(f"/empfehlen/{link.token}")
    assert expired.status_code == 410
    assert "abgelaufen" in expired.text


def test_a_link_signed_with_another_secret_is_refused(store: Store) -> None:
    settings = form_settings()
    client = form_app(store, settings, start_worker=False).test_client()
    other = LinkSigner(SecretStr("another-secret-0123456789-abcdefghij"), max_age=timedelta(1))
    answer = client.get(f"/empfehlen/{other.sign('lnk-1', 'mem-cus-7')}")
    assert answer.status_code == 404
    assert "ungültig" in answer.text


def test_two_app_instances_on_one_store_count_the_same_rate_limit(store: Store) -> None:
    """Two gunicorn workers are two app instances: the limit holds across both."""
    settings = form_settings(rate_limit="2 per hour")
    link = new_link(store, settings)
    path = f"/empfehlen/{link.token}"
    first = form_app(store, settings, start_worker=False).test_client()
    second = form_app(store, settings, start_worker=False).test_client()
    answers = [
        first.post(path, data={"name": "x"}).status_code,
        second.post(path, data={"name": "x"}).status_code,
        first.post(path, data={"name": "x"}).status_code,
    ]
    assert answers == [400, 400, 429]  # each instance saw at most two requests
    limited = first.post(path, data={"name": "x"})
    assert int(limited.headers["Retry-After"]) > 0
    assert "Zu viele" in limited.text


def test_the_store_counters_count_per_key_and_start_again_when_the_window_ends(
    store: Store,
) -> None:
    now = [1_000_000.0]
    storage = StoreRateLimitStorage(store, clock=lambda: now[0])
    assert [storage.incr("a", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.incr("b", 60) == 1
    assert (storage.get("a"), storage.get_expiry("a")) == (3, 1_000_060.0)
    now[0] += 61
    assert storage.get("a") == 0
    assert storage.incr("a", 60) == 1  # a new window
    storage.clear("a")
    assert storage.get("a") == 0
    assert storage.check()


def test_a_link_token_never_reaches_a_log_path(served: Served) -> None:
    assert redact_path(served.path) == "/empfehlen/<token>"
    assert served.link.token not in redact_path(served.path)


def test_without_a_secret_the_form_is_not_served(store: Store) -> None:
    client = form_app(store, ReferralFormSettings(), start_worker=False).test_client()
    assert client.get("/empfehlen/anything").status_code == 404


def test_a_short_secret_is_refused_by_name_never_by_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REFNET_REFERRAL_FORM_SECRET", "too-short-secret")
    with pytest.raises(ConfigError) as refused:
        load_referral_form_settings()
    assert "secret" in str(refused.value) and "too-short-secret" not in str(refused.value)
    monkeypatch.setenv("REFNET_REFERRAL_FORM_SECRET", FORM_SECRET)
    monkeypatch.setenv("REFNET_REFERRAL_FORM_RATE_LIMIT", "lots")
    with pytest.raises(ConfigError, match="rate_limit"):
        load_referral_form_settings()


def test_refnet_serve_refuses_a_short_form_secret_before_forking(tmp_path: Path) -> None:
    short = "only-20-characters!!"
    result = run(
        tmp_path, ["serve", "--port", str(closed_port())], REFNET_REFERRAL_FORM_SECRET=short
    )
    assert result.returncode == 6
    assert result.stderr.strip() == (
        "error: invalid referral form settings: secret: Value error, needs at least 32 characters"
    )
    assert short not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("accept_language", "lang", "title"),
    [
        (None, "de", "Jemanden empfehlen"),  # no preference: our customers' customers are German
        ("de-DE,de;q=0.9", "de", "Jemanden empfehlen"),
        ("en-US,en;q=0.9", "en", "Recommend someone"),
        ("en;q=0.5,de;q=0.8", "de", "Jemanden empfehlen"),
        ("fr-FR,fr;q=0.9", "de", "Jemanden empfehlen"),  # neither offered: German
    ],
)
def test_the_page_speaks_the_browsers_language_german_by_default(
    served: Served, accept_language: str | None, lang: str, title: str
) -> None:
    headers = {"Accept-Language": accept_language} if accept_language else {}
    page = served.client.get(served.path, headers=headers)
    assert page.status_code == 200
    assert f'<html lang="{lang}">' in page.text
    assert f"<h1>{title}</h1>" in page.text


def test_a_submission_is_answered_in_the_language_its_form_was_shown_in(
    served: Served, store: Store
) -> None:
    page = served.client.get(served.path, headers={"Accept-Language": "en"})
    assert 'name="language" type="hidden" value="en"' in page.text
    data = _form_data(_hidden_fields(page.text), language="en")
    # The browser's preference changed in between: the form shown in English still counts.
    answer = served.client.post(served.path, data=data, headers={"Accept-Language": "de"})
    assert answer.status_code == 200 and "Thank you for your recommendation!" in answer.text
    with store.reading() as tx:
        (payload,) = tx.connection.execute(select(webhook_inbox.c.payload)).scalars()
    assert "I confirm that the person I recommend agrees" in str(payload)
