"""The referral form: ``GET``/``POST /empfehlen/<token>``, served by the webhook service.

A customer or partner opens the link `refnet members link` issued them and recommends
someone. The order of the checks on a submission, cheap first:

1. media type (a browser form posts ``application/x-www-form-urlencoded``), size;
2. rate limit per client address, then the link: signature, age, revocation list;
3. rate limit per link; the form (Flask-WTF: CSRF token of this session, field rules);
4. the submission becomes an inbox event, committed before the thank-you page (the inbox
   worker opens the referral, as for every CRM event); a store that is down answers 503.

Every answer carries a Content-Security-Policy without inline script or style, refuses
framing and sends no Referer (the link is a bearer token). The page's words come from
:mod:`webhooks.referral_form_texts`, in the language of each request: the one the form was
shown in (a hidden field), else the browser's ``Accept-Language`` (German or English),
else German. The consent stored with a submission is the text shown, in that language.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from flask import Blueprint, Flask, Response, current_app, render_template, request
from flask_wtf import FlaskForm
from limits import RateLimitItem, parse
from limits.strategies import FixedWindowRateLimiter
from wtforms import BooleanField, EmailField, HiddenField, StringField, TelField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from connector.inbox import ReceiveResult
from connector.model import Member
from connector.referral_form import (
    FORM_PATH,
    LinkClaims,
    LinkSigner,
    ReferralFormSettings,
    Submission,
    check_link,
    submission_event,
)
from connector.store import Store
from webhooks.context import current
from webhooks.intake import precheck, store_events
from webhooks.rate_limit import StoreRateLimitStorage
from webhooks.referral_form_texts import DEFAULT_LANGUAGE, FORM_LANGUAGES, form_texts

__all__ = ["FORM_TYPES", "SECURITY_HEADERS", "blueprint", "install"]

log = logging.getLogger("refnet.webhooks")

EXTENSION = "refnet.referral_form"
FORM_TYPES = frozenset({"application/x-www-form-urlencoded"})
SECURITY_HEADERS = {
    # No inline script or style at all; the stylesheet is a file of this service.
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # The path holds the link's token: never hand it to another site.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_SUBMISSION_ID = r"^[0-9a-f]{32}$"
_PHONE = r"^[0-9 +()/\-]*$"

blueprint = Blueprint(
    "referral_form",
    __name__,
    template_folder="templates",
    static_folder="static/referral_form",
    static_url_path="/static/referral-form",
)


class ReferralForm(FlaskForm):
    """The fields; :func:`_form_class` gives them their rules in one language.

    Flask-WTF adds and checks the CSRF token.
    """

    name: StringField
    company: StringField
    email: EmailField
    phone: TelField
    note: TextAreaField
    consent: BooleanField
    submission: HiddenField
    language: HiddenField


@cache
def _form_class(language: str) -> type[ReferralForm]:
    """The form whose error messages are in ``language`` (WTForms keeps a validator's
    message as given, so each language has its own validators)."""
    t = form_texts(language)

    class LocalisedReferralForm(ReferralForm):
        name = StringField(
            validators=[DataRequired(t["required"]), Length(max=255, message=t["too_long"])]
        )
        company = StringField(validators=[Optional(), Length(max=255, message=t["too_long"])])
        email = EmailField(
            validators=[
                DataRequired(t["required"]),
                Length(max=254, message=t["too_long"]),
                Email(t["email_invalid"], check_deliverability=False),
            ]
        )
        phone = TelField(
            validators=[
                Optional(),
                Length(max=64, message=t["too_long"]),
                Regexp(_PHONE, message=t["phone_invalid"]),
            ]
        )
        note = TextAreaField(validators=[Optional(), Length(max=2000, message=t["too_long"])])
        consent = BooleanField(validators=[DataRequired(t["consent_required"])])
        submission = HiddenField(validators=[DataRequired(), Regexp(_SUBMISSION_ID)])
        # The language the form was shown in: the answer and the stored consent keep it
        # (read by _language(); an unknown value is ignored there, not refused).
        language = HiddenField(validators=[Optional()])

    return LocalisedReferralForm


def _language() -> str:
    """The language of this request: the one the submitted form was shown in, else the
    browser's preference among the form's languages, else German."""
    shown = request.form.get("language", "") if request.method == "POST" else ""
    if shown in FORM_LANGUAGES:
        return shown
    best = request.accept_languages.best_match(FORM_LANGUAGES, default=DEFAULT_LANGUAGE)
    return best if best in FORM_LANGUAGES else DEFAULT_LANGUAGE


@dataclass(frozen=True)
class FormContext:
    settings: ReferralFormSettings
    signer: LinkSigner
    limiter: FixedWindowRateLimiter
    limit: RateLimitItem


def install(app: Flask, settings: ReferralFormSettings, store: Store) -> None:
    """Serve the form on ``app`` (the app factory calls this when a secret is set)."""
    secret = settings.require_secret()
    # Flask-WTF keeps the CSRF token's secret half in Flask's signed session cookie.
    app.secret_key = secret.get_secret_value()
    app.config.update(
        WTF_CSRF_TIME_LIMIT=int(settings.csrf_time_limit.total_seconds()),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=settings.cookie_secure,
    )
    app.extensions[EXTENSION] = FormContext(
        settings=settings,
        signer=LinkSigner(secret, max_age=settings.link_max_age),
        limiter=FixedWindowRateLimiter(StoreRateLimitStorage(store)),
        limit=parse(settings.rate_limit),
    )
    app.register_blueprint(blueprint)


def _form_context() -> FormContext:
    context = current_app.extensions[EXTENSION]
    assert isinstance(context, FormContext)
    return context


@blueprint.after_request
def _security_headers(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


def _message(kind: str, status: int) -> Response:
    t = form_texts(_language())
    html = render_template(
        "referral_form/message.html",
        t=t,
        kind=kind,
        heading=t[f"{kind}_title"],
        body=t[f"{kind}_body"],
    )
    return Response(html, status=status, content_type="text/html; charset=utf-8")


def _refused_link(token: str, now: datetime) -> tuple[Response | None, LinkClaims | None]:
    form = _form_context()
    with current().store.reading() as tx:
        verdict, claims = check_link(tx, form.signer, token, now)
    if verdict == "valid":
        return None, claims
    log.warning("referral link refused", extra={"provider": "form", "code": verdict})
    status = 404 if verdict == "tampered" else 410
    return _message("invalid" if verdict == "tampered" else verdict, status), None


def _render_form(form: ReferralForm, claims: LinkClaims, status: int) -> Response:
    with current().store.reading() as tx:
        member = tx.get(Member, claims.member_id)
    language = _language()
    form.language.data = language  # a re-shown form keeps the language it was shown in
    t = form_texts(language)
    html = render_template(
        "referral_form/form.html",
        t=t,
        heading=t["title"],
        form=form,
        referrer_name=member.name,
    )
    return Response(html, status=status, content_type="text/html; charset=utf-8")


@blueprint.get(f"{FORM_PATH}/<token>")
def show_form(token: str) -> Response:
    refused, claims = _refused_link(token, current().clock())
    if refused is not None:
        return refused
    assert claims is not None
    language = _language()
    form = _form_class(language)(submission=uuid.uuid4().hex, language=language)
    return _render_form(form, claims, 200)


def _limited(*identifiers: str) -> Response | None:
    form = _form_context()
    if form.limiter.hit(form.limit, "referral-form", *identifiers):
        return None
    log.warning("referral form rate limited", extra={"provider": "form", "code": "rate_limit"})
    response = _message("limited", 429)
    reset = form.limiter.get_window_stats(form.limit, "referral-form", *identifiers).reset_time
    # The counters' windows run on the wall clock (time.time), not the injectable one.
    response.headers["Retry-After"] = str(max(1, int(reset - time.time())))
    return response


def _text(value: str | None) -> str | None:
    """A field's text without surrounding blanks; None when empty (validated required ones
    never are)."""
    return (value or "").strip() or None


@blueprint.post(f"{FORM_PATH}/<token>")
def submit_form(token: str) -> Response:
    context = current()
    refused = precheck(context, FORM_TYPES, provider="form")
    if refused is not None:
        return refused
    limited = _limited("address", request.remote_addr or "unknown")
    if limited is not None:
        return limited
    now = context.clock()
    refused, claims = _refused_link(token, now)
    if refused is not None:
        return refused
    assert claims is not None
    limited = _limited("link", claims.link_id)
    if limited is not None:
        return limited
    language = _language()
    form = _form_class(language)()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            log.warning("referral form refused", extra={"provider": "form", "code": "csrf"})
            return _message("csrf", 400)
        return _render_form(form, claims, 422)
    event = submission_event(
        Submission(
            name=_text(form.name.data) or "",
            email=_text(form.email.data) or "",
            consent_text=form_texts(language)["consent"],
            company=_text(form.company.data),
            phone=_text(form.phone.data),
            note=_text(form.note.data),
        ),
        link_id=claims.link_id,
        member_id=claims.member_id,
        submission_id=_text(form.submission.data) or "",
        received_at=now,
    )
    stored = store_events(context, "form", [event])
    if not isinstance(stored, ReceiveResult):
        response = _message("unavailable", 503)
        response.headers["Retry-After"] = stored.headers.get("Retry-After", "5")
        return response
    return _message("thanks", 200)
